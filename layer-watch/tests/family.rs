//! The builds of one layer family (`makoto-common` for x86_64,
//! `makoto-common-arm64` for arm64), through the proxy that models AWS: a
//! record of one build watches every build of its family, each reported on
//! its own, with drift against that build's own latest version.

mod common;

use aws_sdk_lambda::types::Architecture;
use common::{function, report, run_via};
use layer_test_harness::proxy::Proxy;
use layer_test_harness::{Account, FunctionSpec, REGION};
use serde_json::{Value, json};

fn targets(arch: &str) -> Value {
    json!([format!("python3.11/{arch}"), format!("python3.12/{arch}")])
}

/// The x86_64 build's record as layer-publish writes it; its family lists the
/// arm64 build under `arm_name`.
fn x86_record(account: &Account, version: i64, arm_name: &str) -> String {
    let layer_arn = format!("arn:aws:lambda:{REGION}:{}:layer:makoto-common", account.id);
    let record = json!({
        "schema": "layer-record/v1",
        "layer": {
            "name": "makoto-common",
            "compatible_runtimes": ["python3.11", "python3.12"],
            "compatible_architectures": ["x86_64"],
            "family": {
                "name": "makoto-common",
                "targets": targets("x86_64"),
                "builds": [
                    {"name": "makoto-common", "targets": targets("x86_64")},
                    {"name": arm_name, "targets": targets("arm64")},
                ],
            },
        },
        "published": {
            "region": REGION,
            "layer_name": "makoto-common",
            "layer_arn": layer_arn,
            "version_arn": format!("{layer_arn}:{version}"),
            "version": version,
            "code_sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            "created_date": "2026-11-28T00:00:00.000+0000",
            "reused": false,
        },
    });
    format!("{record}\n")
}

/// Who is behind in a report: (function, layer version, versions behind).
fn behind(report: &Value) -> Vec<(String, i64, i64)> {
    report["drift"]["behind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["function"].as_str().unwrap().to_string(),
                b["layer_version"].as_i64().unwrap(),
                b["versions_behind"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// `count` versions of one build; their ARNs, oldest first.
async fn versions(account: &Account, name: &str, arch: Architecture, count: usize) -> Vec<String> {
    let mut arns = Vec::new();
    for n in 1..=count {
        let content = format!("V = {n}\n");
        arns.push(
            account
                .publish_layer_for(
                    REGION,
                    name,
                    arch.clone(),
                    &[("python/v.py", content.as_bytes())],
                )
                .await,
        );
    }
    arns
}

#[tokio::test]
async fn each_build_reports_its_own_users_and_drift_never_another_architectures() {
    let account = Account::new().await;
    let x86 = versions(&account, "makoto-common", Architecture::X8664, 3).await;
    let arm = versions(&account, "makoto-common-arm64", Architecture::Arm64, 2).await;
    for spec in [
        FunctionSpec::new("api").layer(&x86[2]),
        FunctionSpec::new("old-api").layer(&x86[1]),
        // On the arm64 build's latest (2), which is older than the x86_64 build's (3).
        FunctionSpec::new("worker")
            .architecture("arm64")
            .layer(&arm[1]),
        FunctionSpec::new("slow-arm")
            .architecture("arm64")
            .layer(&arm[0]),
    ] {
        account.create_function(REGION, &spec).await;
    }
    let proxy = Proxy::start(account.endpoint());

    // Only the x86_64 build's record comes in: its family brings the arm64 build.
    let input = x86_record(&account, 3, "makoto-common-arm64");
    let run = run_via(
        &account,
        Some(proxy.endpoint()),
        &["--no-metrics", "--format", "json"],
        Some(&input),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.records.len(), 2, "{}", run.stdout);

    let x86_report = report(&run, "makoto-common");
    assert_eq!(x86_report["latest_version"], 3);
    assert_eq!(x86_report["drift"]["functions_using"], 2);
    assert_eq!(behind(x86_report), [("old-api".to_string(), 2, 1)]);
    assert_eq!(x86_report["family"]["name"], "makoto-common");
    assert_eq!(x86_report["family"]["targets"], targets("x86_64"));

    let arm_report = report(&run, "makoto-common-arm64");
    assert_eq!(arm_report["latest_version"], 2);
    assert_eq!(
        arm_report["layer_arn"],
        format!(
            "arn:aws:lambda:{REGION}:{}:layer:makoto-common-arm64",
            account.id
        )
    );
    assert_eq!(arm_report["family"]["targets"], targets("arm64"));
    assert_eq!(
        arm_report["family"]["builds"],
        x86_report["family"]["builds"]
    );
    // worker runs its build's latest: not behind, although 2 < the x86_64 build's 3.
    assert_eq!(function(arm_report, "worker")["behind"], false);
    assert_eq!(behind(arm_report), [("slow-arm".to_string(), 1, 1)]);
    assert_eq!(arm_report["drift"]["functions_behind"], 1);

    // The table says which build each block is.
    let table = run_via(
        &account,
        Some(proxy.endpoint()),
        &["--no-metrics", "--format", "table"],
        Some(&input),
    );
    assert_eq!(table.code, Some(0), "{}", table.stderr);
    assert!(
        table
            .stdout
            .contains("build of makoto-common for python3.11/arm64, python3.12/arm64"),
        "{}",
        table.stdout
    );

    // A build the family lists that was never published here is no error.
    let input = x86_record(&account, 3, "makoto-common-graviton");
    let run = run_via(
        &account,
        Some(proxy.endpoint()),
        &["--no-metrics", "--format", "json"],
        Some(&input),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.records.len(), 1);
    assert!(
        run.stderr
            .contains("makoto-common-graviton (a build of makoto-common) has no versions"),
        "{}",
        run.stderr
    );
}
