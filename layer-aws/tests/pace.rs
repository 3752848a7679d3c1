//! The pacer through the harness proxy's AWS model (Lambda's quota buckets per
//! account and region, 429 above them): bursts that the model would throttle
//! go through unthrottled, every attempt takes a turn (retries included), and
//! GetFunction draws from its own bucket.

use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use layer_aws::{Bucket, Pacer, Rates, RequestCounter, lambda_client};
use layer_test_harness::proxy::Bucket as ModelBucket;
use layer_test_harness::{Account, Fault, FunctionSpec, Proxy, REGION, Rule};

/// A Lambda client of `account` through `proxy`, paced by `pacer`, with the
/// SDK's standard retry (as the tools have it).
async fn paced_client(account: &Account, proxy: &Proxy, pacer: &Pacer) -> aws_sdk_lambda::Client {
    let config = account.sdk_config(REGION).await;
    let config = config
        .into_builder()
        .endpoint_url(proxy.endpoint())
        .retry_config(RetryConfig::standard().with_max_attempts(4))
        .build();
    lambda_client(&config, &RequestCounter::default(), pacer)
}

#[tokio::test]
async fn a_burst_the_model_would_throttle_goes_through_paced() {
    let account = Account::new().await;
    account
        .create_function(REGION, &FunctionSpec::new("paced"))
        .await;
    let proxy = Proxy::start(account.endpoint());
    let pacer = Pacer::new(REGION, Rates::LAMBDA);
    let client = paced_client(&account, &proxy, &pacer).await;

    // 40 shared-bucket reads and 60 GetFunction at once: unpaced, the model
    // admits 15 and 100 at once (its burst) and throttles the rest of the first.
    let started = Instant::now();
    let mut calls = tokio::task::JoinSet::new();
    for i in 0..100 {
        let client = client.clone();
        calls.spawn(async move {
            if i < 40 {
                client
                    .get_function_configuration()
                    .function_name("paced")
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|err| format!("{err:?}"))
            } else {
                client
                    .get_function()
                    .function_name("paced")
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|err| format!("{err:?}"))
            }
        });
    }
    while let Some(done) = calls.join_next().await {
        done.unwrap().unwrap();
    }
    let elapsed = started.elapsed();

    assert_eq!(
        proxy.bucket(ModelBucket::Shared).throttled,
        0,
        "{}",
        proxy.bucket_report()
    );
    assert_eq!(proxy.bucket(ModelBucket::GetFunction).throttled, 0);
    assert_eq!(proxy.bucket(ModelBucket::Shared).requests, 40);
    assert_eq!(proxy.bucket(ModelBucket::GetFunction).requests, 60);
    let counts = pacer.counts();
    assert_eq!(counts[&Bucket::Shared], 40);
    assert_eq!(counts[&Bucket::GetFunction], 60);
    // 40 shared requests at 15 a second take 39/15 s at least; GetFunction's
    // 60 ran alongside them in their own bucket.
    assert!(elapsed >= Duration::from_millis(2_500), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[tokio::test]
async fn every_attempt_takes_a_turn_retries_included() {
    let account = Account::new().await;
    account
        .create_function(REGION, &FunctionSpec::new("retried"))
        .await;
    let proxy = Proxy::start(account.endpoint());
    // Another caller in the account used the quota: the first two attempts are throttled.
    proxy.add_rule(Rule::new("GetFunctionConfiguration", Fault::throttle()).times(2));
    let pacer = Pacer::new(REGION, Rates::LAMBDA);
    let client = paced_client(&account, &proxy, &pacer).await;

    client
        .get_function_configuration()
        .function_name("retried")
        .send()
        .await
        .expect("the third attempt succeeds");

    assert_eq!(proxy.stats("GetFunctionConfiguration").received, 3);
    assert_eq!(pacer.counts()[&Bucket::Shared], 3, "{}", pacer.summary());
}

#[tokio::test]
async fn other_services_and_invoke_are_not_paced() {
    let account = Account::new().await;
    let proxy = Proxy::start(account.endpoint());
    let pacer = Pacer::new(REGION, Rates::share(1.0));
    let client = paced_client(&account, &proxy, &pacer).await;
    // One listing is paced; invoking is not (Invoke has no request quota).
    client.list_functions().send().await.unwrap();
    proxy.add_rule(Rule::new(
        "Invoke",
        Fault::invoke_returns(&serde_json::json!({"statusCode": 200})),
    ));
    let started = Instant::now();
    for _ in 0..3 {
        client.invoke().function_name("any").send().await.unwrap();
    }
    // At 1 request a second, three paced requests would take 2 s or more.
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(pacer.counts()[&Bucket::Shared], 1);
}
