//! The harness's proxy, seen from the real SDK: Lambda's 429 is recognised as
//! `TooManyRequestsException`, limits are kept per class of call, and fault
//! rules fire by operation, function and count.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_lambda::config::Credentials;
use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};
use layer_test_harness::proxy::{Fault, Proxy, RateLimit, RateLimits, Rule};
use layer_test_harness::{Account, FunctionSpec, REGION};

/// A Lambda client of the account that talks to the proxy and never retries,
/// so each call is one request.
async fn client_through(account: &Account, proxy: &Proxy) -> aws_sdk_lambda::Client {
    let env: std::collections::HashMap<_, _> = account.env().into_iter().collect();
    let credentials = Credentials::new(
        &env["AWS_ACCESS_KEY_ID"],
        &env["AWS_SECRET_ACCESS_KEY"],
        Some(env["AWS_SESSION_TOKEN"].clone()),
        None,
        "proxy-test",
    );
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(proxy.endpoint())
        .credentials_provider(credentials)
        .retry_config(RetryConfig::disabled())
        .load()
        .await;
    aws_sdk_lambda::Client::new(&config)
}

#[tokio::test]
async fn throttles_above_the_limit_with_lambdas_error() {
    let account = Account::new().await;
    account
        .create_function(REGION, &FunctionSpec::new("api"))
        .await;
    let limits = RateLimits {
        control_plane: Some(RateLimit {
            per_second: 0.5,
            burst: 2.0,
        }),
        reads: Some(RateLimit {
            per_second: 0.5,
            burst: 3.0,
        }),
    };
    let proxy = Proxy::start(account.endpoint(), limits);
    let lambda = client_through(&account, &proxy).await;

    assert!(lambda.list_functions().send().await.is_ok());
    assert!(lambda.list_functions().send().await.is_ok());
    let err = lambda.list_functions().send().await.unwrap_err();
    assert_eq!(err.code(), Some("TooManyRequestsException"), "{err:?}");
    let SdkError::ServiceError(service) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(service.raw().status().as_u16(), 429);

    // GetFunctionConfiguration has a bucket of its own.
    for _ in 0..3 {
        lambda
            .get_function_configuration()
            .function_name("api")
            .send()
            .await
            .expect("reads are limited separately");
    }
    // Invoke is not a control-plane call: the exhausted buckets do not matter.
    let invoked = lambda.invoke().function_name("api").send().await;
    assert!(invoked.is_ok(), "{invoked:?}");

    let stats = proxy.stats("ListFunctions");
    assert_eq!(
        (stats.received, stats.throttled, stats.forwarded),
        (3, 1, 2)
    );
    assert_eq!(proxy.stats("GetFunctionConfiguration").throttled, 0);
}

#[tokio::test]
async fn fault_rules_fire_by_operation_function_and_count() {
    let account = Account::new().await;
    for name in ["a", "b"] {
        account
            .create_function(REGION, &FunctionSpec::new(name))
            .await;
    }
    let proxy = Proxy::start(account.endpoint(), RateLimits::none());
    proxy.add_rule(
        Rule::new("GetFunctionConfiguration", Fault::server_error(503))
            .function("a")
            .after(1)
            .times(1),
    );
    proxy.add_rule(Rule::new("GetFunction", Fault::Drop).times(1));
    proxy.add_rule(Rule::new("ListFunctions", Fault::in_progress()));
    let lambda = client_through(&account, &proxy).await;
    let read = |name: &'static str| {
        let lambda = lambda.clone();
        async move {
            lambda
                .get_function_configuration()
                .function_name(name)
                .send()
                .await
        }
    };

    assert!(
        read("a").await.is_ok(),
        "the first request passes (after 1)"
    );
    let err = read("a").await.unwrap_err();
    assert_eq!(err.code(), Some("ServiceException"), "{err:?}");
    assert!(read("a").await.is_ok(), "only once (times 1)");
    assert!(read("b").await.is_ok(), "only for function a");

    let dropped = lambda.get_function().function_name("b").send().await;
    assert!(
        matches!(
            dropped,
            Err(SdkError::DispatchFailure(_) | SdkError::ResponseError(_))
        ),
        "{dropped:?}"
    );
    assert!(
        lambda
            .get_function()
            .function_name("b")
            .send()
            .await
            .is_ok()
    );

    let listed = lambda.list_functions().send().await.unwrap();
    assert!(
        listed
            .functions()
            .iter()
            .all(|f| f.last_update_status().map(|s| s.as_str()) == Some("InProgress"))
    );
    let stats = proxy.stats("GetFunctionConfiguration");
    assert_eq!((stats.received, stats.faulted), (4, 1));
    let seen = proxy.requests("GetFunctionConfiguration");
    assert_eq!(
        seen.iter().map(|r| r.status).collect::<Vec<_>>(),
        [200, 503, 200, 200]
    );
}
