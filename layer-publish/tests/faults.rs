//! Failures moto cannot show, through the harness's fault-injecting HTTP proxy:
//! a publish must never leave two identical versions behind.

mod common;

use std::time::Duration;

use common::*;
use layer_test_harness::{Account, Fault, Proxy, REGION, Rule, moto};

fn proxy() -> Proxy {
    Proxy::start(moto().endpoint())
}

#[tokio::test]
async fn a_lost_answer_is_found_again_not_published_twice() {
    let account = Account::new().await;
    let proxy = proxy();
    // The first publish reaches Lambda, and its answer never comes back.
    proxy.add_rule(Rule::new("PublishLayerVersion", Fault::Lost).times(1));
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "lost.zip", &[("python/l.py", b"lost")]);
    let (code, out, stderr) = run_via(
        &account,
        proxy.endpoint(),
        &[record("lost", "1.0.0", &zip)],
        &["-v"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(out[0]["published"]["version"], 1, "{stderr}");
    assert_eq!(out[0]["published"]["reused"], false);
    assert!(stderr.contains("did create version 1"), "{stderr}");
    assert_eq!(proxy.stats("PublishLayerVersion").received, 1);
    assert_eq!(versions(&account, REGION, "lost").await, vec![1]);
}

#[tokio::test]
async fn a_first_attempt_that_lands_late_is_removed_as_a_duplicate() {
    let account = Account::new().await;
    let proxy = proxy();
    // The first publish's connection drops: the tool cannot know whether it landed.
    proxy.add_rule(Rule::new("PublishLayerVersion", Fault::Drop).times(1));
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "late.zip", &[("python/l.py", b"late")]);
    let mut command = account.command(BIN);
    command
        .args([
            "--endpoint-url",
            proxy.endpoint(),
            "-v",
            "--publish-timeout",
            "3",
        ])
        .write_stdin(lines(&[record("late", "1.0.0", &zip)]));
    let tool = std::thread::spawn(move || command.output().unwrap());

    // The tool's retry creates version 1. Then the first attempt "lands late":
    // an identical version 2 appears while the tool waits before its last look.
    let lambda = account.lambda(REGION).await;
    let started = std::time::Instant::now();
    while versions(&account, REGION, "late").await.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the retry never published"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    lambda
        .publish_layer_version()
        .layer_name("late")
        .description(format!(
            "Shared code for tests (v1.0.0 sha256:{})",
            &zip.sha256_hex[..12]
        ))
        .content(
            aws_sdk_lambda::types::LayerVersionContentInput::builder()
                .zip_file(zip.bytes.clone().into())
                .build(),
        )
        .compatible_runtimes(aws_sdk_lambda::types::Runtime::Python311)
        .compatible_runtimes(aws_sdk_lambda::types::Runtime::Python312)
        .compatible_architectures(aws_sdk_lambda::types::Architecture::X8664)
        // The tool's own request, landing late: the record's license too.
        .license_info("MIT")
        .send()
        .await
        .unwrap();

    let out = tool.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let records = layer_test_harness::schema::parse_valid_lines(&out.stdout);
    assert_eq!(records[0]["published"]["version"], 1, "{stderr}");
    assert!(stderr.contains("deleting the duplicate 2"), "{stderr}");
    assert_eq!(proxy.stats("PublishLayerVersion").received, 2, "{stderr}");
    assert_eq!(versions(&account, REGION, "late").await, vec![1]);
}

#[tokio::test]
async fn server_errors_and_throttling_are_retried_once_each() {
    let account = Account::new().await;
    let proxy = proxy();
    proxy.add_rule(Rule::new("PublishLayerVersion", Fault::server_error(500)).times(1));
    proxy.add_rule(Rule::new("PublishLayerVersion", Fault::throttle()).times(1));
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "5xx.zip", &[("python/f.py", b"5xx")]);
    let (code, out, stderr) = run_via(
        &account,
        proxy.endpoint(),
        &[record("flaky", "1.0.0", &zip)],
        &["-v"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(out[0]["published"]["version"], 1);
    let stats = proxy.stats("PublishLayerVersion");
    assert_eq!(
        (stats.received, stats.faulted, stats.forwarded),
        (3, 2, 1),
        "{stderr}"
    );
    assert_eq!(versions(&account, REGION, "flaky").await, vec![1]);
}

#[tokio::test]
async fn a_code_sha256_mismatch_fails_loudly_and_leaves_nothing() {
    let account = Account::new().await;
    let proxy = proxy();
    // AWS answers with another hash than the zip's: the version is not trusted.
    proxy.add_rule(Rule::new(
        "PublishLayerVersion",
        Fault::Patch(serde_json::json!({"Content": {"CodeSha256": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "CodeSize": 1}})),
    ));
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "mm.zip", &[("python/m.py", b"mm")]);
    let (code, out, stderr) = run_via(
        &account,
        proxy.endpoint(),
        &[record("mismatch", "1.0.0", &zip)],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(out.is_empty());
    assert!(stderr.contains("AWS reports CodeSha256 AAAA"), "{stderr}");
    assert!(stderr.contains("it was deleted"), "{stderr}");
    assert_eq!(
        versions(&account, REGION, "mismatch").await,
        Vec::<i64>::new()
    );
}

#[tokio::test]
async fn a_publish_that_times_out_is_checked_then_sent_again() {
    let account = Account::new().await;
    let proxy = proxy();
    // Held longer than the tool waits for one attempt.
    proxy.add_rule(
        Rule::new(
            "PublishLayerVersion",
            Fault::Delay(Duration::from_millis(2500)),
        )
        .times(1),
    );
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "slow.zip", &[("python/s.py", b"slow")]);
    let (code, out, stderr) = run_via(
        &account,
        proxy.endpoint(),
        &[record("slow", "1.0.0", &zip)],
        &["-v", "--publish-timeout", "1"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("AWS did not answer in time"), "{stderr}");
    assert!(
        stderr.contains("checking whether the version was created"),
        "{stderr}"
    );
    assert_eq!(proxy.stats("PublishLayerVersion").received, 2, "{stderr}");
    let kept = out[0]["published"]["version"].as_i64().unwrap();
    assert_eq!(versions(&account, REGION, "slow").await, vec![kept]);
}

#[tokio::test]
async fn a_failure_midway_still_writes_what_was_published() {
    let account = Account::new().await;
    let proxy = proxy();
    // The second record's publish is refused (not retried: a 4xx is final).
    proxy.add_rule(
        Rule::new(
            "PublishLayerVersion",
            Fault::error(
                400,
                "InvalidParameterValueException",
                "refused for the test",
            ),
        )
        .after(1)
        .times(1),
    );
    let dir = tempfile::tempdir().unwrap();
    let first = write_zip(dir.path(), "a.zip", &[("python/a.py", b"a")]);
    let second = write_zip(dir.path(), "b.zip", &[("python/b.py", b"b")]);
    let (code, out, stderr) = run_via(
        &account,
        proxy.endpoint(),
        &[
            record("first", "1.0.0", &first),
            record("second", "1.0.0", &second),
        ],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(out.len(), 1, "{stderr}");
    assert_eq!(out[0]["layer"]["name"], "first");
    assert_eq!(out[0]["published"]["version"], 1);
    assert!(stderr.contains("second 1.0.0 in us-east-1"), "{stderr}");
    assert!(
        stderr.contains("InvalidParameterValueException"),
        "{stderr}"
    );
    assert_eq!(proxy.stats("PublishLayerVersion").received, 2);
}

/// A ListLayerVersions answer (a recorded response) for versions 1..=dates.len()
/// of a layer, with these creation dates: moto stamps every version "now".
fn listing_with_dates(account: &Account, layer: &str, dates: &[&str]) -> Fault {
    let versions: Vec<serde_json::Value> = dates
        .iter()
        .enumerate()
        .rev()
        .map(|(index, date)| {
            serde_json::json!({
                "LayerVersionArn": format!("arn:aws:lambda:{REGION}:{}:layer:{layer}:{}", account.id, index + 1),
                "Version": index + 1,
                "Description": "aged",
                "CreatedDate": date,
                "CompatibleRuntimes": ["python3.11", "python3.12"],
                "CompatibleArchitectures": ["x86_64"],
            })
        })
        .collect();
    Fault::Respond {
        status: 200,
        headers: Vec::new(),
        body: serde_json::json!({ "LayerVersions": versions })
            .to_string()
            .into_bytes(),
    }
}

#[tokio::test]
async fn versions_older_than_the_age_limit_are_deleted_unless_in_use() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let batch: Vec<serde_json::Value> = (0..4)
        .map(|n| {
            let zip = write_zip(
                dir.path(),
                &format!("aged-{n}.zip"),
                &[("python/a.py", format!("{n}").as_bytes())],
            );
            record("aged", &format!("0.{n}.0"), &zip)
        })
        .collect();
    let (published, _) = run_ok(&account, &batch, &[]);
    let v1 = published[0]["published"]["version_arn"].as_str().unwrap();
    account
        .create_function(
            REGION,
            &layer_test_harness::FunctionSpec::new("old-user").layer(v1),
        )
        .await;

    let proxy = proxy();
    let today = "2099-01-01T00:00:00.000+0000"; // never older than the limit
    proxy.add_rule(Rule::new(
        "ListLayerVersions",
        listing_with_dates(
            &account,
            "aged",
            &[
                "2020-01-01T00:00:00.000+0000",
                "2020-02-01T10:00:00.000+0100",
                today,
                today,
            ],
        ),
    ));
    let out = account
        .command(BIN)
        .args(["--endpoint-url", proxy.endpoint()])
        .args([
            "--prune-only",
            "--name",
            "aged",
            "--max-age-days",
            "30",
            "--keep",
            "1",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let records = layer_test_harness::schema::parse_valid_lines(&out.stdout);
    let retention = &records[0]["pruned"]["retention"];
    // Version 3 is beyond --keep 1 but young; 2 is old and unused; 1 is old and in use.
    assert_eq!(retention["deleted"], serde_json::json!([2]), "{stderr}");
    assert_eq!(retention["kept_in_use"], serde_json::json!([1]), "{stderr}");
    assert_eq!(versions(&account, REGION, "aged").await, vec![1, 3, 4]);
}
