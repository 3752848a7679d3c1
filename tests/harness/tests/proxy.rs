//! The harness's proxy, seen from the real SDK: Lambda's 429 is recognised as
//! `TooManyRequestsException`, limits are kept per bucket, and fault rules fire
//! by operation, function and count. (The AWS model's other parts:
//! `tests/aws_model.rs`.)

use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};
use layer_test_harness::proxy::{AwsModel, Bucket, Fault, Proxy, RateLimit, RateLimits, Rule};
use layer_test_harness::{Account, FunctionSpec, REGION};

#[tokio::test]
async fn throttles_above_the_limit_with_lambdas_error() {
    let account = Account::new().await;
    account
        .create_function(REGION, &FunctionSpec::new("api"))
        .await;
    // Small buckets, so that a few calls reach the limits.
    let limits = RateLimits {
        shared: Some(RateLimit {
            per_second: 0.5,
            burst: 2.0,
        }),
        get_function: Some(RateLimit {
            per_second: 0.5,
            burst: 3.0,
        }),
        get_policy: None,
    };
    let proxy = Proxy::start_with(account.endpoint(), AwsModel::aws().quotas(limits));
    let lambda = account.lambda_through(proxy.endpoint()).await;

    assert!(lambda.list_functions().send().await.is_ok());
    assert!(lambda.list_functions().send().await.is_ok());
    let err = lambda.list_functions().send().await.unwrap_err();
    assert_eq!(err.code(), Some("TooManyRequestsException"), "{err:?}");
    let SdkError::ServiceError(service) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(service.raw().status().as_u16(), 429);

    // GetFunction has a bucket of its own; GetFunctionConfiguration shares the
    // exhausted one.
    for _ in 0..3 {
        lambda
            .get_function()
            .function_name("api")
            .send()
            .await
            .expect("GetFunction is limited separately");
    }
    let err = lambda
        .get_function_configuration()
        .function_name("api")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("TooManyRequestsException"), "{err:?}");
    // Invoke is not a control-plane call: the exhausted buckets do not matter.
    let invoked = lambda.invoke().function_name("api").send().await;
    assert!(invoked.is_ok(), "{invoked:?}");

    let stats = proxy.stats("ListFunctions");
    assert_eq!(
        (stats.received, stats.throttled, stats.forwarded),
        (3, 1, 2)
    );
    assert_eq!(proxy.stats("GetFunction").throttled, 0);
    assert_eq!(
        proxy.bucket(Bucket::Shared),
        layer_test_harness::proxy::BucketStats {
            requests: 4,
            throttled: 2
        }
    );
    assert_eq!(proxy.bucket(Bucket::GetFunction).requests, 3);
}

#[tokio::test]
async fn fault_rules_fire_by_operation_function_and_count() {
    let account = Account::new().await;
    for name in ["a", "b"] {
        account
            .create_function(REGION, &FunctionSpec::new(name))
            .await;
    }
    let proxy = Proxy::start(account.endpoint());
    proxy.add_rule(
        Rule::new("GetFunctionConfiguration", Fault::server_error(503))
            .function("a")
            .after(1)
            .times(1),
    );
    proxy.add_rule(Rule::new("GetFunction", Fault::Drop).times(1));
    proxy.add_rule(Rule::new("ListFunctions", Fault::in_progress()));
    let lambda = account.lambda_through(proxy.endpoint()).await;
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
