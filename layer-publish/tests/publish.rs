//! layer-publish against moto_server, through the real SDK and the real binary.

mod common;

use common::*;
use layer_test_harness::{Account, FunctionSpec, REGION, snapshot};
use serde_json::{Value, json};

#[tokio::test]
async fn publishes_a_record_then_reuses_the_identical_version() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(
        dir.path(),
        "common.zip",
        &[("python/common/__init__.py", b"A = 1\n")],
    );
    let mut input = record("common", "1.4.0", &zip);
    // Fields layer-publish does not know pass through, at the top and inside sections.
    input["x-ci"] = json!({"run": 42});
    input["layer"]["x-owner"] = json!("platform");

    let (out, _) = run_ok(&account, std::slice::from_ref(&input), &[]);
    assert_eq!(out.len(), 1);
    // The whole record: the input untouched (unknown fields too) plus `published`.
    let settings = snapshot::with_path(snapshot::settings(&account), dir.path(), "[tmp]");
    settings.bind(|| insta::assert_json_snapshot!("first_publish", out[0]));
    let published = &out[0]["published"];
    assert_eq!(published["code_sha256"], zip.code_sha256.as_str());
    let description = published["description"].as_str().unwrap();

    // What AWS holds is what the record says.
    let held = account
        .lambda(REGION)
        .await
        .get_layer_version()
        .layer_name("common")
        .version_number(1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        held.content().unwrap().code_sha256(),
        Some(zip.code_sha256.as_str())
    );
    assert_eq!(held.description(), Some(description));
    assert_eq!(held.license_info(), Some("MIT"));

    // Again: nothing new is published.
    let (again, stderr) = run_ok(&account, &[input], &["-v"]);
    assert_eq!(again[0]["published"]["reused"], true, "{stderr}");
    assert_eq!(again[0]["published"]["version"], 1);
    assert_eq!(
        again[0]["published"]["version_arn"],
        published["version_arn"]
    );
    assert!(stderr.contains("reusing"), "{stderr}");
    assert_eq!(versions(&account, REGION, "common").await, vec![1]);
}

#[tokio::test]
async fn other_runtimes_or_no_reuse_publish_a_new_version() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "l.zip", &[("python/l.py", b"x")]);
    let input = record("rt", "1.0.0", &zip);
    run_ok(&account, std::slice::from_ref(&input), &[]);

    // Same zip, other runtimes: not the same layer version.
    let (out, _) = run_ok(
        &account,
        std::slice::from_ref(&input),
        &["--runtime", "python3.13"],
    );
    assert_eq!(out[0]["published"]["reused"], false);
    assert_eq!(out[0]["published"]["version"], 2);
    assert_eq!(
        out[0]["published"]["compatible_runtimes"],
        json!(["python3.13"])
    );

    // Same everything, --no-reuse: published anyway.
    let (out, _) = run_ok(&account, std::slice::from_ref(&input), &["--no-reuse"]);
    assert_eq!(out[0]["published"]["reused"], false);
    assert_eq!(out[0]["published"]["version"], 3);

    // The old spelling still works for one release, and says so.
    let (out, stderr) = run_ok(&account, std::slice::from_ref(&input), &["--force"]);
    assert_eq!(out[0]["published"]["version"], 4);
    assert!(
        stderr.contains("--force is deprecated and goes away in the next release; use --no-reuse"),
        "{stderr}"
    );

    // Without --no-reuse the newest identical version is reused.
    let (out, _) = run_ok(&account, &[input], &[]);
    assert_eq!(out[0]["published"]["reused"], true);
    assert_eq!(out[0]["published"]["version"], 4);
    assert_eq!(versions(&account, REGION, "rt").await, vec![1, 2, 3, 4]);
}

#[tokio::test]
async fn idempotent_reruns_cost_one_listing_and_one_get_whatever_the_history() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let mut first = None;
    let mut batch = Vec::new();
    for n in 0..12 {
        let zip = write_zip(
            dir.path(),
            &format!("v{n}.zip"),
            &[("python/v.py", format!("{n}").as_bytes())],
        );
        let input = record("hist", &format!("1.0.{n}"), &zip);
        first.get_or_insert(input.clone());
        batch.push(input);
    }
    run_ok(&account, &batch, &[]);
    assert_eq!(versions(&account, REGION, "hist").await.len(), 12);

    // The oldest content again: found by its marker, confirmed with one GetLayerVersion.
    let (out, stderr) = run_ok(&account, &[first.unwrap()], &["-v"]);
    assert_eq!(out[0]["published"]["reused"], true);
    assert_eq!(out[0]["published"]["version"], 1);
    let (total, counts) = request_counts(&stderr);
    assert_eq!(counts.get("Lambda.ListLayerVersions"), Some(&1), "{stderr}");
    assert_eq!(counts.get("Lambda.GetLayerVersion"), Some(&1), "{stderr}");
    assert_eq!(total, 2, "{stderr}");
}

#[tokio::test]
async fn a_description_chosen_by_the_user_is_kept_and_still_deduplicated() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "u.zip", &[("python/u.py", b"u")]);
    let other = write_zip(dir.path(), "o.zip", &[("python/o.py", b"o")]);
    let input = record("user", "2.0.0", &zip);
    let (out, _) = run_ok(
        &account,
        std::slice::from_ref(&input),
        &["--description", "hand written"],
    );
    assert_eq!(out[0]["published"]["description"], "hand written");
    // A newer version with a marker of other content: ruled out without a call.
    run_ok(&account, &[record("user", "2.0.1", &other)], &[]);

    let (out, stderr) = run_ok(&account, &[input], &["--description", "hand written", "-v"]);
    assert_eq!(out[0]["published"]["reused"], true);
    assert_eq!(out[0]["published"]["version"], 1);
    let (_, counts) = request_counts(&stderr);
    assert_eq!(counts.get("Lambda.GetLayerVersion"), Some(&1), "{stderr}");
}

#[tokio::test]
async fn publishes_a_zip_alone() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(
        dir.path(),
        "alone.zip",
        &[("python/a.py", b"a = 1\n"), ("python/b.py", b"bb")],
    );
    let out = account
        .command(BIN)
        .args([
            "--name",
            "alone",
            "--runtime",
            "python3.12",
            "--arch",
            "arm64",
            "--license",
            "Apache-2.0",
        ])
        .arg(&zip.path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = layer_test_harness::schema::parse_valid_lines(&out.stdout);
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record["layer"]["name"], "alone");
    assert_eq!(record["artifact"]["sha256"], zip.sha256_hex.as_str());
    assert_eq!(record["artifact"]["files"], 2);
    assert_eq!(record["artifact"]["unzipped_bytes"], 8);
    assert_eq!(record["published"]["code_sha256"], zip.code_sha256.as_str());
    assert_eq!(
        record["published"]["compatible_architectures"],
        json!(["arm64"])
    );
    assert_eq!(record["published"]["license"], "Apache-2.0");
    assert_eq!(
        record["published"]["description"],
        format!("sha256:{}", &zip.sha256_hex[..12])
    );
}

#[tokio::test]
async fn publishes_to_every_region_one_record_each() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "m.zip", &[("python/m.py", b"m")]);
    let inputs = [
        record("multi", "1.0.0", &zip),
        record("multi-two", "1.0.0", &zip),
    ];
    let (out, _) = run_ok(
        &account,
        &inputs,
        &[
            "--region",
            "eu-west-1",
            "--region",
            "ap-northeast-1",
            "--region",
            REGION,
        ],
    );
    let got: Vec<(String, String)> = out
        .iter()
        .map(|r| {
            (
                r["layer"]["name"].as_str().unwrap().to_string(),
                r["published"]["region"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = ["multi", "multi-two"]
        .iter()
        .flat_map(|name| {
            ["eu-west-1", "ap-northeast-1", REGION]
                .iter()
                .map(move |region| (name.to_string(), region.to_string()))
        })
        .collect();
    assert_eq!(got, expected);
    for record in &out {
        let region = record["published"]["region"].as_str().unwrap();
        assert!(
            record["published"]["version_arn"]
                .as_str()
                .unwrap()
                .contains(&format!(":{region}:"))
        );
        let name = record["layer"]["name"].as_str().unwrap();
        assert_eq!(
            versions(&account, region, name).await,
            vec![1],
            "{name} in {region}"
        );
    }
}

#[tokio::test]
async fn grants_are_made_once() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "g.zip", &[("python/g.py", b"g")]);
    let input = record("granted", "1.0.0", &zip);
    let flags = [
        "--grant-account",
        "111122223333",
        "--grant-account",
        "444455556666",
        "--grant-org",
        "o-a1b2c3d4e5",
        "--public",
    ];
    let (out, _) = run_ok(&account, std::slice::from_ref(&input), &flags);
    let permissions = out[0]["published"]["permissions"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(permissions.len(), 4);
    assert!(
        permissions.iter().all(|p| p["added"] == true),
        "{permissions:?}"
    );
    assert_eq!(permissions[2]["organization_id"], "o-a1b2c3d4e5");
    assert_eq!(permissions[2]["principal"], "*");
    assert_eq!(permissions[3]["principal"], "*");
    assert!(permissions[3].get("organization_id").is_none());

    let (again, _) = run_ok(&account, &[input], &flags);
    assert_eq!(again[0]["published"]["reused"], true);
    let permissions = again[0]["published"]["permissions"].as_array().unwrap();
    assert!(
        permissions.iter().all(|p| p["added"] == false),
        "{permissions:?}"
    );

    let policy = account
        .lambda(REGION)
        .await
        .get_layer_version_policy()
        .layer_name("granted")
        .version_number(1)
        .send()
        .await
        .unwrap();
    let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    assert_eq!(
        policy["Statement"].as_array().unwrap().len(),
        4,
        "{policy:#}"
    );
}

/// Publish `count` versions of a layer through the tool; returns their ARNs.
async fn history(
    account: &Account,
    dir: &std::path::Path,
    name: &str,
    count: usize,
) -> Vec<String> {
    let batch: Vec<Value> = (0..count)
        .map(|n| {
            let zip = write_zip(
                dir,
                &format!("{name}-{n}.zip"),
                &[("python/h.py", format!("{n}").as_bytes())],
            );
            record(name, &format!("0.1.{n}"), &zip)
        })
        .collect();
    let (out, _) = run_ok(account, &batch, &[]);
    out.iter()
        .map(|r| r["published"]["version_arn"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn retention_never_deletes_the_new_version_nor_versions_in_use() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let arns = history(&account, dir.path(), "kept", 4).await;
    // A published function version holds v2; $LATEST moves on to v3.
    account
        .create_function(REGION, &FunctionSpec::new("api").layer(&arns[1]))
        .await;
    let lambda = account.lambda(REGION).await;
    lambda
        .publish_version()
        .function_name("api")
        .send()
        .await
        .unwrap();
    lambda
        .update_function_configuration()
        .function_name("api")
        .layers(&arns[2])
        .send()
        .await
        .unwrap();

    let zip = write_zip(dir.path(), "new.zip", &[("python/h.py", b"new")]);
    let input = record("kept", "0.2.0", &zip);

    // Dry run first: the plan, and nothing published or deleted.
    let (out, _) = run_ok(
        &account,
        std::slice::from_ref(&input),
        &["--keep", "1", "--dry-run"],
    );
    let retention = &out[0]["planned"]["retention"];
    assert_eq!(retention["dry_run"], true);
    assert_eq!(retention["deleted"], json!([4, 1]));
    assert_eq!(retention["kept_in_use"], json!([3, 2]));
    assert_eq!(versions(&account, REGION, "kept").await, vec![1, 2, 3, 4]);

    // The run that publishes version 5 (protected) and deletes what was planned.
    let (out, _) = run_ok(&account, &[input], &["--keep", "1"]);
    assert_eq!(out[0]["published"]["reused"], false);
    let retention = &out[0]["published"]["retention"];
    assert_eq!(retention["dry_run"], false);
    assert_eq!(retention["deleted"], json!([4, 1]));
    assert_eq!(retention["kept_in_use"], json!([3, 2]));
    assert_eq!(versions(&account, REGION, "kept").await, vec![2, 3, 5]);
}

#[tokio::test]
async fn the_records_retention_policy_applies_and_flags_override_it() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    history(&account, dir.path(), "policy", 3).await;
    let zip = write_zip(dir.path(), "p.zip", &[("python/p.py", b"p")]);
    let mut input = record("policy", "0.3.0", &zip);
    input["layer"]["retention_policy"] = json!({"versions_to_keep": 3});

    // Flags win: keep 4 of 4 deletes nothing.
    let (out, _) = run_ok(&account, std::slice::from_ref(&input), &["--keep", "4"]);
    assert_eq!(out[0]["published"]["retention"]["deleted"], json!([]));
    assert_eq!(versions(&account, REGION, "policy").await, vec![1, 2, 3, 4]);

    // The record's policy: keep 3.
    let (out, _) = run_ok(&account, std::slice::from_ref(&input), &[]);
    assert_eq!(out[0]["published"]["retention"]["deleted"], json!([1]));
    assert_eq!(versions(&account, REGION, "policy").await, vec![2, 3, 4]);

    // An age limit with the count: versions made today are younger than a day, so none go.
    let (out, _) = run_ok(&account, &[input], &["--keep", "1", "--max-age", "1d"]);
    assert_eq!(out[0]["published"]["retention"]["deleted"], json!([]));
    assert_eq!(versions(&account, REGION, "policy").await, vec![2, 3, 4]);
}

#[tokio::test]
async fn prune_only_applies_the_policy_to_an_existing_layer() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    history(&account, dir.path(), "prune", 4).await;
    let out = account
        .command(BIN)
        .args(["--prune-only", "--name", "prune", "--keep", "2"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = layer_test_harness::schema::parse_valid_lines(&out.stdout);
    assert_eq!(records[0]["pruned"]["retention"]["deleted"], json!([2, 1]));
    assert_eq!(versions(&account, REGION, "prune").await, vec![3, 4]);
}

#[tokio::test]
async fn large_zips_go_through_s3_once() {
    let account = Account::new().await;
    let s3 = s3_with_bucket(&account, "layer-artifacts").await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "big.zip", &[("python/big.py", &[b'x'; 4096])]);
    let input = record("big", "1.0.0", &zip);
    let flags = ["--s3-bucket", "layer-artifacts", "--s3-threshold", "100"];

    let (out, _) = run_ok(&account, std::slice::from_ref(&input), &flags);
    let published = &out[0]["published"];
    let key = format!("layer-publish/big/{}.zip", zip.sha256_hex);
    assert_eq!(
        published["s3"],
        json!({"bucket": "layer-artifacts", "key": key, "uploaded": true})
    );
    assert_eq!(published["code_sha256"], zip.code_sha256.as_str());
    let object = s3
        .get_object()
        .bucket("layer-artifacts")
        .key(&key)
        .send()
        .await
        .unwrap();
    let stored = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(stored.as_ref(), zip.bytes.as_slice());

    // Forced to publish again: the object is there with the same content, not sent again.
    let (out, stderr) = run_ok(
        &account,
        &[input],
        &[&flags[..], &["--no-reuse", "-v"]].concat(),
    );
    assert_eq!(out[0]["published"]["version"], 2);
    assert_eq!(out[0]["published"]["s3"]["uploaded"], false);
    let (_, counts) = request_counts(&stderr);
    assert_eq!(counts.get("S3.PutObject"), None, "{stderr}");
    assert_eq!(out[0]["published"]["code_sha256"], zip.code_sha256.as_str());
}

#[tokio::test]
async fn a_missing_bucket_stops_before_anything_is_published() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "big.zip", &[("python/big.py", &[b'x'; 4096])]);
    let (code, out, stderr) = run(
        &account,
        &[record("nobucket", "1.0.0", &zip)],
        &["--s3-bucket", "no-such-bucket", "--s3-threshold", "100"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(out.is_empty());
    assert!(
        stderr.contains("the S3 bucket no-such-bucket does not exist"),
        "{stderr}"
    );
    assert_eq!(layer_count(&account).await, 0);
}

#[tokio::test]
async fn retention_keeps_every_version_this_run_produced() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    history(&account, dir.path(), "arches", 2).await;
    // One layer built twice in one run, e.g. once per architecture.
    let x86 = write_zip(dir.path(), "x86.zip", &[("python/a.py", b"x86")]);
    let arm = write_zip(dir.path(), "arm.zip", &[("python/a.py", b"arm")]);
    let mut arm_record = record("arches", "1.0.0", &arm);
    arm_record["layer"]["compatible_architectures"] = json!(["arm64"]);
    let (out, _) = run_ok(
        &account,
        &[record("arches", "1.0.0", &x86), arm_record],
        &["--keep", "1"],
    );
    assert_eq!(out[0]["published"]["version"], 3);
    assert_eq!(out[1]["published"]["version"], 4);
    assert_eq!(out[0]["published"]["retention"]["deleted"], json!([2, 1]));
    // The second record's retention must not delete the first record's version 3.
    assert_eq!(out[1]["published"]["retention"]["deleted"], json!([]));
    assert_eq!(versions(&account, REGION, "arches").await, vec![3, 4]);
}

/// S3 bucket names are global, so a bucket per account needs `{account}`: with
/// no `--account`, it is the credentials' own (asked of STS).
#[tokio::test]
async fn the_bucket_template_names_the_account() {
    let account = Account::new().await;
    let bucket = format!("art-{}", account.id);
    s3_with_bucket(&account, &bucket).await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "a.zip", &[("python/a.py", &[b'a'; 2048])]);
    let flags = ["--s3-bucket", "art-{account}", "--s3-threshold", "100"];

    let (planned, _) = run_ok(
        &account,
        &[record("accounted", "1.0.0", &zip)],
        &[&flags[..], &["--dry-run"]].concat(),
    );
    assert_eq!(planned[0]["planned"]["s3"]["bucket"], bucket.as_str());
    assert_eq!(layer_count(&account).await, 0, "a dry run published");

    let (out, _) = run_ok(&account, &[record("accounted", "1.0.0", &zip)], &flags);
    assert_eq!(out[0]["published"]["s3"]["bucket"], bucket.as_str());
    assert_eq!(out[0]["published"]["s3"]["uploaded"], true);
}

#[tokio::test]
async fn each_region_uses_its_own_bucket() {
    let account = Account::new().await;
    let s3 = s3(&account).await;
    s3.create_bucket()
        .bucket(format!("art-{REGION}"))
        .send()
        .await
        .unwrap();
    s3.create_bucket()
        .bucket("art-eu-west-1")
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "r.zip", &[("python/r.py", &[b'r'; 2048])]);
    let (out, _) = run_ok(
        &account,
        &[record("regional", "1.0.0", &zip)],
        &[
            "--s3-bucket",
            "art-{region}",
            "--s3-threshold",
            "100",
            "--region",
            REGION,
            "--region",
            "eu-west-1",
        ],
    );
    let buckets: Vec<&str> = out
        .iter()
        .map(|r| r["published"]["s3"]["bucket"].as_str().unwrap())
        .collect();
    assert_eq!(buckets, [format!("art-{REGION}").as_str(), "art-eu-west-1"]);
    assert!(
        out.iter()
            .all(|r| r["published"]["code_sha256"] == zip.code_sha256.as_str())
    );
    assert_eq!(versions(&account, "eu-west-1", "regional").await, vec![1]);
}
