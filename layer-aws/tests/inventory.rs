//! The function inventory against moto_server, through the real SDK.

use layer_aws::inventory::{Versions, list_functions};
use layer_core::platform::{Architecture, Runtime};
use layer_test_harness::{Account, FunctionSpec, REGION};

#[tokio::test]
async fn lists_latest_and_published_versions_with_their_layers() {
    let account = Account::new().await;
    let v1 = account
        .publish_layer(REGION, "common", &[("python/c.py", b"1")])
        .await;
    let v2 = account
        .publish_layer(REGION, "common", &[("python/c.py", b"2")])
        .await;
    let other = account
        .publish_layer(REGION, "other", &[("python/o.py", b"")])
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("api").layer(&v1).layer(&other))
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("worker").architecture("arm64"))
        .await;
    let lambda = account.lambda(REGION).await;
    lambda
        .publish_version()
        .function_name("api")
        .send()
        .await
        .expect("publish-version");
    lambda
        .update_function_configuration()
        .function_name("api")
        .layers(&v2)
        .layers(&other)
        .send()
        .await
        .expect("update");

    let latest = list_functions(&lambda, Versions::LatestOnly).await.unwrap();
    let mut names: Vec<_> = latest.iter().map(|f| f.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["api", "worker"]);
    assert!(latest.iter().all(|f| f.is_latest()));

    let all = list_functions(&lambda, Versions::All).await.unwrap();
    let api_v1 = all
        .iter()
        .find(|f| f.name == "api" && f.version == "1")
        .expect("api:1 listed");
    let api_latest = all
        .iter()
        .find(|f| f.name == "api" && f.is_latest())
        .expect("api $LATEST");
    let common: layer_core::arn::LayerVersionArn = v2.parse().unwrap();
    let common = common.layer_arn();
    assert_eq!(api_v1.version_of(&common), Some(1), "{api_v1:?}");
    assert_eq!(api_latest.version_of(&common), Some(2), "{api_latest:?}");
    let layers: Vec<String> = api_latest.layers.iter().map(|a| a.to_string()).collect();
    assert_eq!(layers, [v2.clone(), other.clone()]);
    assert!(
        !api_v1.arn.ends_with(":1"),
        "unqualified arn expected: {}",
        api_v1.arn
    );
    let worker = all.iter().find(|f| f.name == "worker").unwrap();
    assert_eq!(worker.architectures, [Architecture::Arm64]);
    assert_eq!(worker.version_of(&common), None);
    assert_eq!(worker.runtime, Some(Runtime::from("python3.11")));
}

/// Functions of every kind of runtime share an account with the layer's users:
/// a runtime outside the Python table is read and kept as Lambda reports it.
#[tokio::test]
async fn runtimes_the_tools_cannot_build_for_are_listed_not_refused() {
    let account = Account::new().await;
    let common = account
        .publish_layer(REGION, "common", &[("python/c.py", b"1")])
        .await;
    for (name, runtime) in [
        ("web", "nodejs20.x"),
        ("legacy", "python3.8"),
        ("api", "python3.12"),
    ] {
        account
            .create_function(
                REGION,
                &FunctionSpec::new(name).runtime(runtime).layer(&common),
            )
            .await;
    }
    let lambda = account.lambda(REGION).await;
    let listed = list_functions(&lambda, Versions::LatestOnly).await.unwrap();
    let runtime_of = |name: &str| {
        listed
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| f.runtime.clone())
            .unwrap()
    };
    assert_eq!(runtime_of("web"), Runtime::Other("nodejs20.x".into()));
    assert_eq!(runtime_of("legacy"), Runtime::Other("python3.8".into()));
    assert_eq!(runtime_of("api").python().map(|p| p.minor), Some(12));
    assert!(listed.iter().all(|f| f.layers.len() == 1), "{listed:?}");
}
