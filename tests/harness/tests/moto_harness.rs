//! The harness itself, against a real moto_server through the real SDK.

use layer_test_harness::{Account, FunctionSpec, REGION, moto};

#[tokio::test]
async fn publishes_and_reads_back_a_layer_version() {
    let account = Account::new().await;
    let arn = account
        .publish_layer(
            REGION,
            "harness-layer",
            &[("python/harness_mod.py", b"VALUE = 1\n")],
        )
        .await;
    assert!(
        arn.starts_with(&format!(
            "arn:aws:lambda:{REGION}:{}:layer:harness-layer:",
            account.id
        )),
        "{arn}"
    );

    let lambda = account.lambda(REGION).await;
    let version = lambda
        .get_layer_version()
        .layer_name("harness-layer")
        .version_number(1)
        .send()
        .await
        .expect("get-layer-version");
    assert_eq!(version.layer_version_arn(), Some(arn.as_str()));
    let content = version.content().expect("content");
    assert!(content.code_size() > 0);
    // CodeSha256 is base64 of the SHA-256 of the zip: 44 characters ending in '='.
    let sha = content.code_sha256().expect("code sha");
    assert_eq!(sha.len(), 44, "{sha}");
    assert!(sha.ends_with('='), "{sha}");
}

#[tokio::test]
async fn accounts_do_not_see_each_other() {
    let first = Account::new().await;
    let second = Account::new().await;
    assert_ne!(first.id, second.id);
    first
        .publish_layer(REGION, "only-in-first", &[("python/a.py", b"")])
        .await;

    let listed = second
        .lambda(REGION)
        .await
        .list_layers()
        .send()
        .await
        .expect("list-layers");
    assert!(listed.layers().is_empty(), "{:?}", listed.layers());
    let listed = first
        .lambda(REGION)
        .await
        .list_layers()
        .send()
        .await
        .expect("list-layers");
    assert_eq!(listed.layers().len(), 1);
}

#[tokio::test]
async fn creates_functions_with_layers_in_order() {
    let account = Account::new().await;
    let a = account
        .publish_layer(REGION, "first", &[("python/a.py", b"")])
        .await;
    let b = account
        .publish_layer(REGION, "second", &[("python/b.py", b"")])
        .await;
    account
        .create_function(
            REGION,
            &FunctionSpec::new("fn-with-layers")
                .layer(&b)
                .layer(&a)
                .tag("team", "platform"),
        )
        .await;
    assert_eq!(
        account.function_layers(REGION, "fn-with-layers").await,
        vec![b, a]
    );
}

#[test]
fn moto_listens_on_loopback_only() {
    let server = moto();
    assert!(
        server.endpoint().starts_with("http://127.0.0.1:"),
        "{}",
        server.endpoint()
    );
    assert!(server.pid() > 0);
    // The process we started is alive (signal 0 checks without touching it).
    let alive = std::process::Command::new("kill")
        .args(["-0", &server.pid().to_string()])
        .status()
        .expect("kill -0");
    assert!(alive.success());
}
