//! Versions in use, drift, aliases, deleted versions, storage and retention,
//! against moto_server through the real binary.

mod common;

use common::{code_size, report, run, version};
use layer_test_harness::{Account, FunctionSpec, REGION, snapshot};
use serde_json::json;

/// Four versions of `common`:
/// - v1: api:1 and its alias `prod` (v1 is then deleted: still in use);
/// - v2: `batch` ($LATEST);
/// - v3: nobody;
/// - v4 (latest): api ($LATEST) and `web`.
///
/// `other-fn` uses another layer only.
async fn four_versions(account: &Account) -> Vec<String> {
    let mut arns = Vec::new();
    for n in 1..=4 {
        let body = "x".repeat(n * 100);
        arns.push(
            account
                .publish_layer(REGION, "common", &[("python/common.py", body.as_bytes())])
                .await,
        );
    }
    let other = account
        .publish_layer(REGION, "other", &[("python/o.py", b"o")])
        .await;
    account
        .create_function(
            REGION,
            &FunctionSpec::new("api").layer(&arns[0]).layer(&other),
        )
        .await;
    let lambda = account.lambda(REGION).await;
    lambda
        .publish_version()
        .function_name("api")
        .send()
        .await
        .expect("publish-version");
    lambda
        .create_alias()
        .function_name("api")
        .name("prod")
        .function_version("1")
        .send()
        .await
        .expect("create-alias");
    lambda
        .update_function_configuration()
        .function_name("api")
        .layers(&arns[3])
        .layers(&other)
        .send()
        .await
        .expect("update-function-configuration");
    account
        .create_function(REGION, &FunctionSpec::new("batch").layer(&arns[1]))
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("web").layer(&arns[3]))
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("other-fn").layer(&other))
        .await;
    lambda
        .delete_layer_version()
        .layer_name("common")
        .version_number(1)
        .send()
        .await
        .expect("delete-layer-version");
    arns
}

#[tokio::test]
async fn reports_versions_in_use_drift_deleted_versions_and_storage() {
    let account = Account::new().await;
    four_versions(&account).await;
    let sizes = [
        code_size(&account, "common", 2).await,
        code_size(&account, "common", 3).await,
        code_size(&account, "common", 4).await,
    ];

    let out = run(&account, &["common", "--no-metrics", "--keep", "1"], None);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let report = report(&out, "common");
    // The whole report, as it reads: every version newest first (v1 deleted but
    // still used by api:1 and its alias prod); the functions that use the layer
    // (not other-fn); drift: batch's $LATEST (v2) and api's alias prod (v1), while
    // api:1 alone is history; storage with keep 1: v3 (unused) goes, v2 is in use.
    snapshot::settings(&account).bind(|| insta::assert_json_snapshot!("inventory_report", report));

    // The sizes are GetLayerVersion's.
    let storage = &report["storage"];
    assert_eq!(storage["total_code_size"], sizes.iter().sum::<i64>());
    assert_eq!(storage["latest_code_size"], sizes[2]);
    assert_eq!(version(report, 3)["code_size"], sizes[1]);
    assert_eq!(storage["retention"]["would_free_bytes"], sizes[1]);
}

#[tokio::test]
async fn without_aliases_drift_is_judged_on_latest_only() {
    let account = Account::new().await;
    four_versions(&account).await;
    let out = run(&account, &["common", "--no-metrics", "--no-aliases"], None);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let report = report(&out, "common");
    assert_eq!(report["drift"]["functions_behind"], 1);
    assert_eq!(report["drift"]["behind"][0]["function"], "batch");
    assert_eq!(report["storage"]["retention"]["policy"], json!(null));
    assert_eq!(report["storage"]["retention"]["would_delete"], json!([]));
}

#[tokio::test]
async fn fail_on_drift_exits_1_and_still_writes_the_report() {
    let account = Account::new().await;
    four_versions(&account).await;
    let out = run(
        &account,
        &["common", "--no-metrics", "--fail-on-drift"],
        None,
    );
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(report(&out, "common")["drift"]["functions_behind"], 2);
    assert!(out.stderr.contains("2 function(s)"), "{}", out.stderr);

    // A layer with every function on the latest version passes the gate.
    let v1 = account
        .publish_layer(REGION, "fresh", &[("python/f.py", b"f")])
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("fresh-fn").layer(&v1))
        .await;
    let out = run(
        &account,
        &["fresh", "--no-metrics", "--fail-on-drift"],
        None,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(report(&out, "fresh")["drift"]["functions_behind"], 0);
}

#[tokio::test]
async fn records_on_stdin_bring_the_policy_and_pass_unknown_fields_through() {
    let account = Account::new().await;
    let arns = four_versions(&account).await;
    let record = json!({
        "schema": "layer-record/v1",
        "layer": {"name": "common", "retention_policy": {"versions_to_keep": 1}},
        "published": {
            "region": REGION,
            "layer_name": "common",
            "layer_arn": format!("arn:aws:lambda:{REGION}:{}:layer:common", account.id),
            "version_arn": arns[3],
            "version": 4,
            "code_sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            "created_date": "2026-01-01T00:00:00.000+0000",
            "reused": false
        },
        "x-ci": {"run": 42, "by": "nightly"},
        "zeta": [1, 2]
    });
    // The same layer twice (two regions' records would be two reports; one region: one).
    let input = format!("{record}\n{record}\n");
    let out = run(&account, &["--no-metrics"], Some(&input));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.records.len(), 1, "{}", out.stdout);
    let report = report(&out, "common");
    assert_eq!(report["x-ci"], json!({"run": 42, "by": "nightly"}));
    assert_eq!(report["zeta"], json!([1, 2]));
    assert!(report.get("published").is_none() && report.get("layer").is_none());
    assert_eq!(
        report["storage"]["retention"]["policy"],
        json!({"versions_to_keep": 1})
    );
    assert_eq!(report["storage"]["retention"]["would_delete"], json!([3]));
}

#[tokio::test]
async fn a_layer_arn_finds_functions_even_when_every_version_is_deleted() {
    let account = Account::new().await;
    let v1 = account
        .publish_layer(REGION, "gone", &[("python/g.py", b"g")])
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("old-fn").layer(&v1))
        .await;
    account
        .lambda(REGION)
        .await
        .delete_layer_version()
        .layer_name("gone")
        .version_number(1)
        .send()
        .await
        .expect("delete-layer-version");
    let layer_arn = v1.rsplit_once(':').unwrap().0.to_string();
    let out = run(&account, &[&layer_arn, "--no-metrics"], None);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let report = report(&out, "gone");
    assert_eq!(report["latest_version"], json!(null));
    assert_eq!(report["deleted_in_use"], json!([1]));
    assert_eq!(report["drift"]["functions_using"], 1);
    assert_eq!(report["storage"]["versions"], 0);

    // By name alone there is nothing to find: a clear error.
    let out = run(&account, &["gone", "--no-metrics"], None);
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("ARN"), "{}", out.stderr);
}

#[tokio::test]
async fn the_table_is_for_people() {
    let account = Account::new().await;
    four_versions(&account).await;
    let out = run(
        &account,
        &["common", "--no-metrics", "--format", "table"],
        None,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let text = &out.stdout;
    assert!(
        text.starts_with("common (us-east-1)  latest v4  functions 3  behind 2\n"),
        "{text}"
    );
    assert!(
        text.contains("v1 ") && text.contains("deleted, in use"),
        "{text}"
    );
    assert!(text.contains("batch:$LATEST on v2 (2 behind)"), "{text}");
    assert!(text.contains("api:prod on v1 (3 behind)"), "{text}");
    assert!(!text.contains('{'), "no JSON in the table: {text}");
}

#[tokio::test]
async fn one_report_per_layer_and_region() {
    let account = Account::new().await;
    let west = "eu-west-1";
    let east_v1 = account
        .publish_layer(REGION, "common", &[("python/c.py", b"1")])
        .await;
    let west_v1 = account
        .publish_layer(west, "common", &[("python/c.py", b"1")])
        .await;
    let west_v2 = account
        .publish_layer(west, "common", &[("python/c.py", b"22")])
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("east-fn").layer(&east_v1))
        .await;
    account
        .create_function(west, &FunctionSpec::new("west-fn").layer(&west_v1))
        .await;
    account
        .create_function(west, &FunctionSpec::new("west-new").layer(&west_v2))
        .await;

    let out = run(
        &account,
        &[
            "common",
            "--no-metrics",
            "--region",
            REGION,
            "--region",
            west,
        ],
        None,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let regions: Vec<&str> = out
        .records
        .iter()
        .map(|r| r["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions, [REGION, west]);
    let (east, western) = (&out.records[0], &out.records[1]);
    assert_eq!(east["latest_version"], 1);
    assert_eq!(east["drift"]["functions_using"], 1);
    assert_eq!(east["drift"]["functions_behind"], 0);
    assert_eq!(western["latest_version"], 2);
    assert_eq!(western["drift"]["functions_using"], 2);
    assert_eq!(western["drift"]["behind"][0]["function"], "west-fn");
    assert!(
        western["layer_arn"]
            .as_str()
            .unwrap()
            .contains(":eu-west-1:")
    );

    // A region without the layer is an error, not a silent empty report.
    let out = run(
        &account,
        &["common", "--no-metrics", "--region", "ap-northeast-1"],
        None,
    );
    assert_eq!(out.code, Some(2));
    assert!(
        out.stderr.contains("not found in ap-northeast-1"),
        "{}",
        out.stderr
    );
}
