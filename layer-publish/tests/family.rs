//! The builds of one layer family (layer-pack gives one per architecture when
//! the layer has native code): each is published as its own layer version with
//! its own runtimes and architectures, idempotently per build, through the
//! proxy that models AWS.

mod common;

use common::*;
use layer_test_harness::proxy::Proxy;
use layer_test_harness::{Account, REGION};
use serde_json::{Value, json};

/// The record of one build of `makoto-common`.
fn build(name: &str, arch: &str, zip: &Zip) -> Value {
    let mut record = record(name, "1.0.0", zip);
    record["layer"]["compatible_architectures"] = json!([arch]);
    let targets = |arch: &str| json!([format!("python3.11/{arch}"), format!("python3.12/{arch}")]);
    record["layer"]["family"] = json!({
        "name": "makoto-common",
        "targets": targets(arch),
        "builds": [
            {"name": "makoto-common", "targets": targets("x86_64")},
            {"name": "makoto-common-arm64", "targets": targets("arm64")},
        ],
    });
    record
}

#[tokio::test]
async fn each_build_of_a_family_is_its_own_layer_version_and_is_reused_per_build() {
    let account = Account::new().await;
    let proxy = Proxy::start(account.endpoint());
    let dir = tempfile::tempdir().unwrap();
    let x86_zip = write_zip(
        dir.path(),
        "makoto-common-1.0.0.zip",
        &[("python/lib/python3.11/site-packages/_native.so", b"x86_64")],
    );
    let arm_zip = write_zip(
        dir.path(),
        "makoto-common-arm64-1.0.0.zip",
        &[("python/lib/python3.11/site-packages/_native.so", b"aarch64")],
    );
    let input = [
        build("makoto-common", "x86_64", &x86_zip),
        build("makoto-common-arm64", "arm64", &arm_zip),
    ];

    let (code, out, stderr) = run_via(&account, proxy.endpoint(), &input, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(out.len(), 2);
    for (record, name, arch, zip) in [
        (&out[0], "makoto-common", "x86_64", &x86_zip),
        (&out[1], "makoto-common-arm64", "arm64", &arm_zip),
    ] {
        let published = &record["published"];
        assert_eq!(published["layer_name"], name);
        assert_eq!(published["version"], 1);
        assert_eq!(published["reused"], false);
        assert_eq!(published["compatible_architectures"], json!([arch]));
        assert_eq!(published["code_sha256"], zip.code_sha256.as_str());
        // The family passes through for the next stages.
        assert_eq!(record["layer"]["family"]["name"], "makoto-common");
        let held = account
            .lambda(REGION)
            .await
            .get_layer_version()
            .layer_name(name)
            .version_number(1)
            .send()
            .await
            .unwrap();
        let archs: Vec<&str> = held
            .compatible_architectures()
            .iter()
            .map(|a| a.as_str())
            .collect();
        assert_eq!(archs, [arch], "what AWS holds for {name}");
        let runtimes: Vec<&str> = held
            .compatible_runtimes()
            .iter()
            .map(|r| r.as_str())
            .collect();
        assert_eq!(runtimes, ["python3.11", "python3.12"]);
        assert_eq!(
            held.content().unwrap().code_sha256(),
            Some(zip.code_sha256.as_str())
        );
    }

    // Again: both reused, nothing new, per build.
    let (code, again, stderr) = run_via(&account, proxy.endpoint(), &input, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        again.iter().all(|r| r["published"]["reused"] == true),
        "{again:#?}"
    );
    assert_eq!(versions(&account, REGION, "makoto-common").await, [1]);
    assert_eq!(versions(&account, REGION, "makoto-common-arm64").await, [1]);

    // A new arm64 build alone (its x86_64 sibling unchanged) is a new version of that build only.
    let arm_zip2 = write_zip(
        dir.path(),
        "makoto-common-arm64-1.0.1.zip",
        &[(
            "python/lib/python3.11/site-packages/_native.so",
            b"aarch64, fixed",
        )],
    );
    let input2 = [
        build("makoto-common", "x86_64", &x86_zip),
        build("makoto-common-arm64", "arm64", &arm_zip2),
    ];
    let (code, third, stderr) = run_via(&account, proxy.endpoint(), &input2, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(third[0]["published"]["reused"], true);
    assert_eq!(third[1]["published"]["reused"], false);
    assert_eq!(third[1]["published"]["version"], 2);
    assert_eq!(versions(&account, REGION, "makoto-common").await, [1]);
}

#[tokio::test]
async fn a_name_for_the_builds_of_a_family_is_refused_before_anything_is_published() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let x86_zip = write_zip(dir.path(), "a.zip", &[("python/a.py", b"A = 1\n")]);
    let arm_zip = write_zip(dir.path(), "b.zip", &[("python/a.py", b"A = 2\n")]);
    let input = [
        build("makoto-common", "x86_64", &x86_zip),
        build("makoto-common-arm64", "arm64", &arm_zip),
    ];
    let (code, out, stderr) = run(&account, &input, &["--name", "shared"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(out.is_empty());
    assert!(
        stderr.contains(
            "--name names one layer, and the input holds 2: makoto-common, makoto-common-arm64"
        ),
        "{stderr}"
    );
    assert_eq!(layer_count(&account).await, 0);
}
