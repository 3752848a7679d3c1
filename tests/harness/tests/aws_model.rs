//! The proxy's AWS model, seen from the real SDK against moto: the quota
//! buckets, updates in progress and their 409s, pages of 50, the 413 for an
//! oversized request, account boundaries for layers, and blocked runtimes.
//! Each client here never retries, so every call is one request.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use aws_sdk_lambda::Client;
use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput;
use aws_sdk_lambda::operation::update_function_configuration::{
    UpdateFunctionConfigurationError, UpdateFunctionConfigurationOutput,
};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{LastUpdateStatus, LayerVersionContentInput, Runtime};
use layer_test_harness::proxy::{AwsModel, Bucket, PAGE_SIZE, Proxy, REQUEST_LIMIT};
use layer_test_harness::runtimes::RuntimeLifecycle;
use layer_test_harness::{Account, FunctionSpec, REGION};

fn code<T, E: ProvideErrorMetadata>(result: &Result<T, E>) -> Option<&str> {
    result.as_ref().err().and_then(|err| err.code())
}

#[tokio::test]
async fn get_function_configuration_shares_the_15_per_second_bucket_get_function_does_not() {
    let account = Account::new().await;
    account
        .create_function(REGION, &FunctionSpec::new("api"))
        .await;
    let proxy = Proxy::start(account.endpoint());
    let lambda = account.lambda_through(proxy.endpoint()).await;

    // A burst of 40: all sent at once, as a tool's parallel tasks would.
    let burst = |operation: &'static str| {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..40 {
            let lambda = lambda.clone();
            tasks.spawn(async move {
                let answer = match operation {
                    "GetFunction" => lambda
                        .get_function()
                        .function_name("api")
                        .send()
                        .await
                        .err()
                        .map(|e| e.code().map(str::to_string)),
                    _ => lambda
                        .get_function_configuration()
                        .function_name("api")
                        .send()
                        .await
                        .err()
                        .map(|e| e.code().map(str::to_string)),
                };
                answer.map(|code| code.unwrap_or_else(|| "no code".into()))
            });
        }
        tasks.join_all()
    };
    let answers = burst("GetFunctionConfiguration").await;
    let throttled = answers
        .iter()
        .filter(|code| code.as_deref() == Some("TooManyRequestsException"))
        .count();
    // 15 tokens, and at 15/s hardly one more while the burst arrives.
    assert!(throttled >= 20, "{answers:?}");
    assert_eq!(
        throttled + answers.iter().filter(|code| code.is_none()).count(),
        40
    );

    // The shared bucket is empty now; GetFunction draws from its own 100/s,
    // GetPolicy from its own 15/s, and Invoke from none.
    let answers = burst("GetFunction").await;
    assert!(answers.iter().all(Option::is_none), "{answers:?}");
    let policy = lambda.get_policy().function_name("api").send().await;
    assert_ne!(
        code(&policy),
        Some("TooManyRequestsException"),
        "{policy:?}"
    );
    let invoked = lambda.invoke().function_name("api").send().await;
    assert!(invoked.is_ok(), "{invoked:?}");

    assert_eq!(proxy.bucket(Bucket::Shared).requests, 40);
    assert_eq!(proxy.bucket(Bucket::Shared).throttled, throttled);
    assert_eq!(proxy.bucket(Bucket::GetFunction).requests, 40);
    assert_eq!(proxy.bucket(Bucket::GetFunction).throttled, 0);
    assert_eq!(proxy.bucket(Bucket::GetPolicy).requests, 1);
    assert_eq!(proxy.stats("Invoke").throttled, 0);
    let report = proxy.bucket_report();
    assert!(
        report.contains(&format!("shared 40 ({throttled} throttled)")),
        "{report}"
    );

    // Buckets are per account: another account's are full.
    let other = Account::new().await;
    other
        .create_function(REGION, &FunctionSpec::new("api"))
        .await;
    let other_lambda = other.lambda_through(proxy.endpoint()).await;
    for _ in 0..10 {
        configuration(&other_lambda, "api").await;
    }
}

/// Set a function's description: an update.
async fn describe(
    lambda: &Client,
    name: &str,
    description: &str,
) -> Result<UpdateFunctionConfigurationOutput, SdkError<UpdateFunctionConfigurationError>> {
    lambda
        .update_function_configuration()
        .function_name(name)
        .description(description)
        .send()
        .await
}

async fn configuration(lambda: &Client, name: &str) -> GetFunctionConfigurationOutput {
    lambda
        .get_function_configuration()
        .function_name(name)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_update_is_in_progress_for_a_while_and_conflicts_meanwhile() {
    assert_eq!(AwsModel::aws().update_time, Duration::from_secs(1));
    let account = Account::new().await;
    for name in ["api", "other"] {
        account
            .create_function(REGION, &FunctionSpec::new(name))
            .await;
    }
    // 2 s instead of the default 1 s, so that the checks below fit in it on a
    // busy machine.
    let update_time = Duration::from_secs(2);
    let proxy = Proxy::start_with(account.endpoint(), AwsModel::aws().update_time(update_time));
    let lambda = account.lambda_through(proxy.endpoint()).await;

    let started = Instant::now();
    let answer = describe(&lambda, "api", "first")
        .await
        .expect("the first update is accepted");
    assert_eq!(
        answer.last_update_status(),
        Some(&LastUpdateStatus::InProgress)
    );
    assert_eq!(answer.description(), Some("first"));
    let config = configuration(&lambda, "api").await;
    assert_eq!(
        config.last_update_status(),
        Some(&LastUpdateStatus::InProgress)
    );
    let function = lambda
        .get_function()
        .function_name("api")
        .send()
        .await
        .unwrap();
    assert_eq!(
        function.configuration().unwrap().last_update_status(),
        Some(&LastUpdateStatus::InProgress)
    );

    let second = describe(&lambda, "api", "second").await;
    assert_eq!(code(&second), Some("ResourceConflictException"));
    assert_eq!(
        second.unwrap_err().message(),
        Some(
            format!(
                "The operation cannot be performed at this time. An update is in progress for \
                 resource: arn:aws:lambda:{REGION}:{}:function:api",
                account.id
            )
            .as_str()
        )
    );
    let published = lambda.publish_version().function_name("api").send().await;
    assert_eq!(code(&published), Some("ResourceConflictException"));
    // Other functions are not held up.
    let other = describe(&lambda, "other", "x").await;
    assert!(other.is_ok(), "{other:?}");
    assert!(
        started.elapsed() < update_time,
        "the checks above ran while the update was in progress"
    );

    tokio::time::sleep(
        (update_time + Duration::from_millis(100)).saturating_sub(started.elapsed()),
    )
    .await;
    let config = configuration(&lambda, "api").await;
    assert_eq!(
        config.last_update_status(),
        Some(&LastUpdateStatus::Successful)
    );
    assert_eq!(config.description(), Some("first"), "moto's real answer");
    let third = describe(&lambda, "api", "third").await;
    assert!(third.is_ok(), "{third:?}");
    assert_eq!(proxy.stats("UpdateFunctionConfiguration").refused, 1);
    assert_eq!(proxy.stats("PublishVersion").refused, 1);
}

#[tokio::test]
async fn updates_can_be_instant_when_a_test_asks() {
    let account = Account::new().await;
    account
        .create_function(REGION, &FunctionSpec::new("api"))
        .await;
    // Opted out on purpose: this checks that the opt-out gives moto's behaviour.
    let proxy = Proxy::start_with(account.endpoint(), AwsModel::aws().instant_updates());
    let lambda = account.lambda_through(proxy.endpoint()).await;
    for description in ["a", "b"] {
        let answer = describe(&lambda, "api", description).await.unwrap();
        assert_eq!(
            answer.last_update_status(),
            Some(&LastUpdateStatus::Successful)
        );
    }
}

#[tokio::test]
async fn lists_come_in_pages_of_50_with_opaque_markers() {
    let account = Account::new().await;
    for i in 0..120 {
        account
            .create_function(REGION, &FunctionSpec::new(format!("fn-{i:03}")))
            .await;
    }
    for i in 0..120 {
        let content = format!("V = {i}\n");
        account
            .publish_layer(REGION, "big", &[("python/v.py", content.as_bytes())])
            .await;
    }
    let proxy = Proxy::start(account.endpoint());
    let lambda = account.lambda_through(proxy.endpoint()).await;

    // ListFunctions: 50, 50, 20, each page's marker leading to the next.
    let mut names = Vec::new();
    let mut sizes = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = lambda
            .list_functions()
            .set_marker(marker.clone())
            .send()
            .await
            .unwrap();
        sizes.push(page.functions().len());
        names.extend(
            page.functions()
                .iter()
                .map(|f| f.function_name().unwrap().to_string()),
        );
        assert!(
            page.functions()
                .iter()
                .all(|f| f.last_update_status().is_none() && f.state().is_none()),
            "ListFunctions leaves out State and LastUpdateStatus"
        );
        marker = page.next_marker().map(str::to_string);
        if let Some(token) = &marker {
            assert!(
                token.parse::<u64>().is_err() && !names.iter().any(|n| token.contains(n.as_str())),
                "an opaque marker: {token}"
            );
        } else {
            break;
        }
    }
    assert_eq!(sizes, [PAGE_SIZE, PAGE_SIZE, 20]);
    let unique: BTreeSet<_> = names.iter().collect();
    assert_eq!(unique.len(), 120);

    // MaxItems asks for less, never for more than 50.
    let small = lambda.list_functions().max_items(7).send().await.unwrap();
    assert_eq!(small.functions().len(), 7);
    let next = lambda
        .list_functions()
        .max_items(7)
        .marker(small.next_marker().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        next.functions()[0].function_name(),
        Some(names[7].as_str()),
        "the next page starts where the last ended"
    );
    let large = lambda.list_functions().max_items(500).send().await.unwrap();
    assert_eq!(large.functions().len(), PAGE_SIZE);
    let bad = lambda.list_functions().marker("50").send().await;
    assert_eq!(code(&bad), Some("InvalidParameterValueException"));

    // ListLayerVersions: the same, newest first, through the SDK's paginator.
    let mut versions = Vec::new();
    let mut pages = lambda
        .list_layer_versions()
        .layer_name("big")
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        assert!(page.layer_versions().len() <= PAGE_SIZE);
        versions.extend(page.layer_versions().iter().map(|v| v.version()));
    }
    assert_eq!(versions, (1..=120).rev().collect::<Vec<i64>>());
    assert_eq!(proxy.stats("ListLayerVersions").received, 3);

    // Opted out on purpose: moto's single page, to show what the model changes.
    let moto = Proxy::start_with(account.endpoint(), AwsModel::moto());
    let whole = account
        .lambda_through(moto.endpoint())
        .await
        .list_functions()
        .send()
        .await
        .unwrap();
    assert_eq!(whole.functions().len(), 120);
    assert_eq!(whole.next_marker(), None);
}

#[tokio::test]
async fn a_request_above_the_inline_limit_gets_413() {
    let account = Account::new().await;
    let proxy = Proxy::start(account.endpoint());
    let lambda = account.lambda_through(proxy.endpoint()).await;
    // 50 MiB of zip is 69,905,068 bytes of base64: over the limit before any JSON.
    let zip = vec![b'z'; 50 * 1024 * 1024];
    let published = lambda
        .publish_layer_version()
        .layer_name("huge")
        .content(
            LayerVersionContentInput::builder()
                .zip_file(Blob::new(zip))
                .build(),
        )
        .send()
        .await;
    assert_eq!(code(&published), Some("RequestEntityTooLargeException"));
    let err = published.unwrap_err();
    assert_eq!(
        err.message(),
        Some(
            format!("Request must be smaller than {REQUEST_LIMIT} bytes for the PublishLayerVersion operation")
                .as_str()
        )
    );
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(413));
    let stats = proxy.stats("PublishLayerVersion");
    assert_eq!((stats.refused, stats.forwarded), (1, 0));
    let listed = account
        .lambda(REGION)
        .await
        .list_layer_versions()
        .layer_name("huge")
        .send()
        .await
        .unwrap();
    assert!(listed.layer_versions().is_empty(), "nothing reached moto");
}

#[tokio::test]
async fn another_accounts_layer_is_never_listed_and_read_only_with_a_grant() {
    let owner = Account::new().await;
    let reader = Account::new().await;
    let v1 = owner
        .publish_layer(REGION, "shared", &[("python/s.py", b"1")])
        .await;
    owner
        .publish_layer(REGION, "shared", &[("python/s.py", b"2")])
        .await;
    let layer_arn = v1.rsplit_once(':').unwrap().0.to_string();
    let proxy = Proxy::start(owner.endpoint());
    let as_owner = owner.lambda_through(proxy.endpoint()).await;
    let as_reader = reader.lambda_through(proxy.endpoint()).await;
    let get = |version: i64| {
        let as_reader = as_reader.clone();
        let layer_arn = layer_arn.clone();
        async move {
            as_reader
                .get_layer_version()
                .layer_name(layer_arn)
                .version_number(version)
                .send()
                .await
        }
    };
    let get_by_arn = |arn: String| {
        let as_reader = as_reader.clone();
        async move { as_reader.get_layer_version_by_arn().arn(arn).send().await }
    };

    let listed = as_reader
        .list_layer_versions()
        .layer_name(&layer_arn)
        .send()
        .await;
    assert_eq!(code(&listed), Some("AccessDeniedException"));
    assert_eq!(code(&get(1).await), Some("AccessDeniedException"));
    assert_eq!(
        code(&get_by_arn(v1.clone()).await),
        Some("AccessDeniedException")
    );

    as_owner
        .add_layer_version_permission()
        .layer_name("shared")
        .version_number(1)
        .statement_id("reader")
        .action("lambda:GetLayerVersion")
        .principal(&reader.id)
        .send()
        .await
        .unwrap();
    let read = get(1).await.expect("granted version 1");
    assert_eq!(read.layer_version_arn(), Some(v1.as_str()));
    assert!(read.content().and_then(|c| c.code_sha256()).is_some());
    let by_arn = get_by_arn(v1.clone()).await.expect("granted, by ARN");
    assert_eq!(by_arn.layer_version_arn(), Some(v1.as_str()));
    assert_eq!(by_arn.version(), 1);
    assert_eq!(
        code(&get(2).await),
        Some("AccessDeniedException"),
        "version 2 was not granted"
    );
    let listed = as_reader
        .list_layer_versions()
        .layer_name(&layer_arn)
        .send()
        .await;
    assert_eq!(
        code(&listed),
        Some("AccessDeniedException"),
        "a grant never allows listing"
    );

    // A grant to an organization holds for its members only.
    as_owner
        .add_layer_version_permission()
        .layer_name("shared")
        .version_number(2)
        .statement_id("org")
        .action("lambda:GetLayerVersion")
        .principal("*")
        .organization_id("o-team")
        .send()
        .await
        .unwrap();
    assert_eq!(code(&get(2).await), Some("AccessDeniedException"));
    proxy.join_organization(&reader.id, "o-team");
    assert!(get(2).await.is_ok());

    // Revoked, refused again; the owner reads its own layer by ARN as AWS allows.
    as_owner
        .remove_layer_version_permission()
        .layer_name("shared")
        .version_number(1)
        .statement_id("reader")
        .send()
        .await
        .unwrap();
    assert_eq!(code(&get(1).await), Some("AccessDeniedException"));
    let own = as_owner
        .list_layer_versions()
        .layer_name(&layer_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(own.layer_versions().len(), 2);
}

#[tokio::test]
async fn a_function_on_a_blocked_runtime_cannot_be_updated() {
    let account = Account::new().await;
    account
        .create_function(REGION, &FunctionSpec::new("old").runtime("python3.9"))
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("new"))
        .await;
    let proxy = Proxy::start_with(
        account.endpoint(),
        AwsModel::aws().runtimes(Some(RuntimeLifecycle::aws().on("2026-03-09"))),
    );
    let lambda = account.lambda_through(proxy.endpoint()).await;

    let refused = describe(&lambda, "old", "x").await;
    assert_eq!(code(&refused), Some("InvalidParameterValueException"));
    assert!(
        refused
            .unwrap_err()
            .message()
            .unwrap_or_default()
            .starts_with(
                "The runtime parameter of python3.9 is no longer supported for creating or updating AWS Lambda functions."
            )
    );
    assert_eq!(proxy.stats("UpdateFunctionConfiguration").refused, 1);
    let unchanged = configuration(&account.lambda(REGION).await, "old").await;
    assert_eq!(unchanged.description(), Some(""), "nothing reached moto");

    let current = describe(&lambda, "new", "x").await;
    assert!(current.is_ok(), "{current:?}");
    // Moving the function to a supported runtime is how it leaves the blocked one.
    let moved = lambda
        .update_function_configuration()
        .function_name("old")
        .runtime(Runtime::Python312)
        .send()
        .await;
    assert!(moved.is_ok(), "{moved:?}");

    // The day before the block, the same update goes through.
    let earlier = Account::new().await;
    earlier
        .create_function(REGION, &FunctionSpec::new("old").runtime("python3.9"))
        .await;
    let before = Proxy::start_with(
        earlier.endpoint(),
        AwsModel::aws().runtimes(Some(RuntimeLifecycle::aws().on("2026-03-08"))),
    );
    let updated = describe(&earlier.lambda_through(before.endpoint()).await, "old", "x").await;
    assert!(updated.is_ok(), "{updated:?}");
}
