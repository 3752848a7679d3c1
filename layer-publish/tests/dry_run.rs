//! `--dry-run` changes nothing in AWS and plans what a real run then does:
//! against moto_server, through the real SDK and the real binary.

mod common;

use common::*;
use layer_test_harness::{Account, FunctionSpec, REGION, snapshot};
use serde_json::{Value, json};

/// Calls that change something; a dry run sends none of them.
const WRITES: &[&str] = &[
    "Lambda.PublishLayerVersion",
    "Lambda.AddLayerVersionPermission",
    "Lambda.DeleteLayerVersion",
    "S3.PutObject",
];

fn sends_no_writes(stderr: &str) {
    let (_, counts) = request_counts(stderr);
    for write in WRITES {
        assert_eq!(counts.get(*write), None, "{write} in a dry run:\n{stderr}");
    }
}

/// The grants on one version (empty when it has no policy).
async fn grants_on(account: &Account, name: &str, version: i64) -> Vec<Value> {
    let lambda = account.lambda(REGION).await;
    match lambda
        .get_layer_version_policy()
        .layer_name(name)
        .version_number(version)
        .send()
        .await
    {
        Ok(policy) => {
            let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
            policy["Statement"].as_array().cloned().unwrap_or_default()
        }
        Err(_) => Vec::new(),
    }
}

/// The line that ends the run on stderr.
fn summary_line(stderr: &str) -> &str {
    stderr
        .lines()
        .rfind(|line| line.starts_with("layer-publish: ") && line.contains(" failed"))
        .unwrap_or_else(|| panic!("no summary line in:\n{stderr}"))
}

#[tokio::test]
async fn a_dry_run_changes_nothing_and_plans_what_the_real_run_does() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    // Versions 1 to 3; a function uses version 2.
    let mut arns = Vec::new();
    for n in 1..=3 {
        let zip = write_zip(
            dir.path(),
            &format!("{n}.zip"),
            &[("python/p.py", &[b'0' + n])],
        );
        let (out, _) = run_ok(&account, &[record("plan", &format!("0.1.{n}"), &zip)], &[]);
        arns.push(
            out[0]["published"]["version_arn"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    account
        .create_function(REGION, &FunctionSpec::new("api").layer(&arns[1]))
        .await;
    let zip = write_zip(dir.path(), "new.zip", &[("python/p.py", b"new")]);
    let input = record("plan", "0.2.0", &zip);
    let flags = ["--keep", "1", "--grant-account", "111122223333", "-v"];

    // The plan: publish, grant, delete 3 and 1 (2 is in use).
    let (planned, stderr) = run_ok(
        &account,
        std::slice::from_ref(&input),
        &[&flags[..], &["--dry-run"]].concat(),
    );
    assert_eq!(planned.len(), 1);
    let plan = &planned[0]["planned"];
    assert!(planned[0].get("published").is_none());
    snapshot::settings(&account).bind(|| insta::assert_json_snapshot!("plan_to_publish", plan));
    assert_eq!(plan["code_sha256"], zip.code_sha256.as_str());
    assert_eq!(
        planned[0]["artifact"], input["artifact"],
        "the record passes through"
    );
    sends_no_writes(&stderr);
    let line = summary_line(&stderr);
    assert!(
        line.starts_with(
            "layer-publish: dry run, nothing changed: 1 layer version: 1 to update, 0 unchanged, \
             0 skipped, 0 failed, grants to add: 1, old versions to delete: 2; "
        ),
        "{line}"
    );

    // Nothing changed: no version, no grant, no deletion.
    assert_eq!(versions(&account, REGION, "plan").await, vec![1, 2, 3]);
    for version in 1..=3 {
        assert!(grants_on(&account, "plan", version).await.is_empty());
    }

    // The real run does what the plan said.
    let (published, stderr) = run_ok(&account, std::slice::from_ref(&input), &flags);
    let done = &published[0]["published"];
    assert_eq!(done["reused"], false);
    assert_eq!(done["version"], 4);
    assert_eq!(done["permissions"], plan["permissions"]);
    assert_eq!(done["retention"]["deleted"], plan["retention"]["deleted"]);
    assert_eq!(
        done["retention"]["kept_in_use"],
        plan["retention"]["kept_in_use"]
    );
    assert_eq!(versions(&account, REGION, "plan").await, vec![2, 4]);
    assert_eq!(grants_on(&account, "plan", 4).await.len(), 1);
    let line = summary_line(&stderr);
    assert!(
        line.starts_with(
            "layer-publish: 1 layer version: 1 updated, 0 unchanged, 0 skipped, 0 failed, \
             grants added: 1, old versions deleted: 2; "
        ),
        "{line}"
    );

    // Planned again: reuse version 4, whose grant is there already.
    let (planned, stderr) = run_ok(
        &account,
        std::slice::from_ref(&input),
        &[&flags[..], &["--dry-run"]].concat(),
    );
    let plan = &planned[0]["planned"];
    assert_eq!(plan["action"], "reuse");
    assert_eq!(plan["version"], 4);
    assert_eq!(plan["version_arn"], done["version_arn"]);
    assert_eq!(plan["permissions"][0]["added"], false);
    assert_eq!(plan["retention"]["deleted"], json!([]));
    sends_no_writes(&stderr);
    let (published, _) = run_ok(&account, &[input], &flags);
    assert_eq!(published[0]["published"]["reused"], true);
    assert_eq!(published[0]["published"]["version"], plan["version"]);
    assert_eq!(
        published[0]["published"]["permissions"],
        plan["permissions"]
    );
    assert_eq!(versions(&account, REGION, "plan").await, vec![2, 4]);
}

#[tokio::test]
async fn a_dry_run_plans_an_upload_through_s3_without_uploading() {
    let account = Account::new().await;
    let s3 = s3_with_bucket(&account, "layer-plans").await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "big.zip", &[("python/big.py", &[b'x'; 4096])]);
    let input = record("big", "1.0.0", &zip);
    let flags = ["--s3-bucket", "layer-plans", "--s3-threshold", "100", "-v"];
    let (planned, stderr) = run_ok(
        &account,
        std::slice::from_ref(&input),
        &[&flags[..], &["--dry-run"]].concat(),
    );
    let key = format!("layer-publish/big/{}.zip", zip.sha256_hex);
    assert_eq!(
        planned[0]["planned"]["s3"],
        json!({"bucket": "layer-plans", "key": key, "upload": true})
    );
    sends_no_writes(&stderr);
    let listed = s3
        .list_objects_v2()
        .bucket("layer-plans")
        .send()
        .await
        .unwrap();
    assert!(listed.contents().is_empty());
    assert_eq!(layer_count(&account).await, 0);

    // After the real run the object is there: the plan says it would not be sent again.
    run_ok(&account, std::slice::from_ref(&input), &flags);
    let (planned, _) = run_ok(
        &account,
        &[input],
        &[&flags[..], &["--dry-run", "--no-reuse"]].concat(),
    );
    assert_eq!(planned[0]["planned"]["action"], "publish");
    assert_eq!(planned[0]["planned"]["s3"]["upload"], false);
}
