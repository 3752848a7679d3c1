//! `scripts/aws-smoke.sh`, the smoke test for users with an AWS account, run
//! here against moto (through the harness proxy's AWS model) with
//! `--endpoint-url`: the whole pipe on throwaway resources, `--undo`, and
//! nothing left behind. Never run against AWS by the tests.
//!
//! It needs the aws CLI (as the script does); without it the test says so and
//! passes, unless `LAYER_TOOLS_REQUIRE_AWS_CLI=1`.

use std::path::PathBuf;
use std::process::{Command, Output};

use layer_test_harness::proxy::{Bucket, Proxy};
use layer_test_harness::{Account, REGION};

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/aws-smoke.sh")
}

/// The script in `account`'s environment, with the tools of this build.
fn smoke(account: &Account, args: &[&str], armed: bool) -> Output {
    let tools = layer_tools_e2e::tool_path("layer-attach")
        .parent()
        .unwrap()
        .to_path_buf();
    let mut command = Command::new("bash");
    command.arg(script()).args(args);
    for (key, value) in account.env() {
        command.env(key, value);
    }
    // The endpoint comes from --endpoint-url alone, as a user would give it.
    command
        .env_remove("AWS_ENDPOINT_URL")
        .env("LAYER_TOOLS_BIN", tools)
        .env("NO_PROXY", "127.0.0.1,localhost");
    if armed {
        command.env("LAYER_TOOLS_AWS_SMOKE", "1");
    } else {
        command.env_remove("LAYER_TOOLS_AWS_SMOKE");
    }
    command.output().expect("bash runs")
}

async fn assert_no_functions(account: &Account) {
    let listed = account
        .lambda(REGION)
        .await
        .list_functions()
        .send()
        .await
        .unwrap();
    assert!(listed.functions().is_empty(), "{:?}", listed.functions());
}

fn aws_cli_missing() -> bool {
    let missing = Command::new("aws").arg("--version").output().is_err();
    if missing {
        assert!(
            std::env::var("LAYER_TOOLS_REQUIRE_AWS_CLI").as_deref() != Ok("1"),
            "the aws CLI is required (LAYER_TOOLS_REQUIRE_AWS_CLI=1)"
        );
        eprintln!("warning: the aws CLI is not installed; scripts/aws-smoke.sh not exercised");
    }
    missing
}

#[tokio::test]
async fn refuses_without_the_opt_in_or_an_explicit_account() {
    let account = Account::new().await;
    let out = smoke(&account, &["--endpoint-url", account.endpoint()], false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("set LAYER_TOOLS_AWS_SMOKE=1"), "{stderr}");

    // The account must be named: the environment's credentials alone are not enough.
    let out = smoke(&account, &["--region", REGION], true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no --profile or --endpoint-url"),
        "{stderr}"
    );
    assert_no_functions(&account).await;
}

#[tokio::test]
async fn runs_the_whole_pipe_with_undo_and_leaves_nothing_behind() {
    if aws_cli_missing() {
        return;
    }
    let account = Account::new().await;
    let proxy = Proxy::start(account.endpoint());
    let out = smoke(
        &account,
        &["--endpoint-url", proxy.endpoint(), "--region", REGION],
        true,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for step in [
        "ok: layer-publish published version 1",
        "ok: layer-attach updated both functions",
        "ok: layer-watch sees both functions on the latest version",
        "ok: layer-attach --undo restored both functions",
        "passed; everything created under lt-smoke-",
    ] {
        assert!(stderr.contains(step), "{step:?} missing in:\n{stderr}");
    }
    // The tools went through the model without being throttled.
    assert_eq!(
        proxy.bucket(Bucket::Shared).throttled,
        0,
        "{}",
        proxy.bucket_report()
    );
    assert_eq!(proxy.stats("UpdateFunctionConfiguration").received, 4);

    // Nothing is left: no function, no layer version, no role.
    assert_no_functions(&account).await;
    let lambda = account.lambda(REGION).await;
    let layers = lambda.list_layers().send().await.unwrap();
    for layer in layers.layers() {
        let name = layer.layer_name().unwrap_or_default();
        let versions = lambda
            .list_layer_versions()
            .layer_name(name)
            .send()
            .await
            .unwrap();
        assert!(
            versions.layer_versions().is_empty(),
            "{name} has versions left"
        );
    }
    let roles = account.iam().await.list_roles().send().await.unwrap();
    assert!(
        roles
            .roles()
            .iter()
            .all(|role| !role.role_name().starts_with("lt-smoke-")),
        "a role is left"
    );
}
