//! Bad input: a clear message, exit 2, nothing published or deleted.

mod common;

use common::*;
use layer_test_harness::{Account, REGION};
use serde_json::json;

/// Run with raw stdin and expect exit 2, no stdout, and a message containing `needle`.
fn refused(account: &Account, stdin: &str, args: &[&str], needle: &str) -> String {
    let out = account
        .command(BIN)
        .args(args)
        .write_stdin(stdin.to_string())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{args:?}:\n{stderr}");
    assert!(out.stdout.is_empty(), "wrote output on bad input");
    assert!(stderr.contains(needle), "expected {needle:?} in:\n{stderr}");
    assert!(stderr.starts_with("layer-publish: error: "), "{stderr}");
    stderr
}

/// Each case refused (exit 2, nothing on stdout, `error:` first): its name and
/// its stderr, as people read them.
fn refusals(account: &Account, cases: &[(&str, String, &[&str])]) -> String {
    cases
        .iter()
        .map(|(name, stdin, args)| format!("## {name}\n{}", refused(account, stdin, args, "")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn malformed_foreign_and_incomplete_records_are_refused() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "ok.zip", &[("python/ok.py", b"ok")]);
    let good = lines(&[record("bad", "1.0.0", &zip)]);

    // A good record first, then garbage: nothing is published, not even the first.
    let stderr = refusals(
        &account,
        &[
            ("not JSON", format!("{good}{{\"schema\": nope}}\n"), &[]),
            (
                "foreign schema",
                format!("{good}{{\"schema\":\"terraform/v1\"}}\n"),
                &[],
            ),
            (
                "another major",
                format!("{good}{{\"schema\":\"layer-record/v2\"}}\n"),
                &[],
            ),
            (
                "no artifact",
                "{\"schema\":\"layer-record/v1\",\"layer\":{\"name\":\"x\"}}\n".into(),
                &[],
            ),
            (
                "truncated",
                format!("{good}{{\"schema\":\"layer-record/v1\",\"layer\":{{\"name\":\"x\","),
                &[],
            ),
        ],
    );
    insta::assert_snapshot!("malformed_records", stderr);
    assert_eq!(layer_count(&account).await, 0);
}

#[tokio::test]
async fn a_missing_or_changed_zip_is_refused() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "z.zip", &[("python/z.py", b"z")]);
    let good = record("zipcheck", "1.0.0", &zip);

    let mut missing = good.clone();
    missing["artifact"]["path"] = json!(dir.path().join("gone.zip").display().to_string());
    refused(
        &account,
        &lines(&[good.clone(), missing]),
        &[],
        "does not exist",
    );

    // Rewritten after packing: same name, other bytes.
    let other = write_zip(dir.path(), "other.zip", &[("python/z.py", b"changed")]);
    std::fs::copy(&other.path, &zip.path).unwrap();
    let stderr = refused(
        &account,
        &lines(&[good]),
        &[],
        "changed after it was packed",
    );
    assert!(stderr.contains(&zip.sha256_hex), "{stderr}");
    assert_eq!(layer_count(&account).await, 0);
}

#[tokio::test]
async fn sizes_beyond_lambdas_limits_are_refused_with_the_excess() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "s.zip", &[("python/s.py", b"s")]);
    let mut big = record("toobig", "1.0.0", &zip);
    big["artifact"]["unzipped_bytes"] = json!(262_144_000u64 + 1234);
    refused(
        &account,
        &lines(&[big]),
        &[],
        "1234 bytes over Lambda's limit",
    );

    // At or above the inline limit without a bucket.
    refused(
        &account,
        &lines(&[record("s3needed", "1.0.0", &zip)]),
        &["--s3-threshold", "10"],
        "--s3-threshold sends zips of 10 bytes or more through S3",
    );
    assert_eq!(layer_count(&account).await, 0);
}

#[tokio::test]
async fn bad_grants_names_and_flags_are_refused() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "g.zip", &[("python/g.py", b"g")]);
    let input = lines(&[record("grants", "1.0.0", &zip)]);
    let long = "d".repeat(257);
    let stderr = refusals(
        &account,
        &[
            ("account id", input.clone(), &["--grant-account", "12345"]),
            (
                "organization id",
                input.clone(),
                &["--grant-org", "o-SHOUT12345"],
            ),
            ("runtime", input.clone(), &["--runtime", "python2.9"]),
            ("layer name", input.clone(), &["--name", "bad name"]),
            ("description", input.clone(), &["--description", &long]),
        ],
    );
    insta::assert_snapshot!("bad_flags", stderr);
    // A value clap knows the choices of: its own message, which lists them.
    let out = account
        .command(BIN)
        .args(["--arch", "sparc"])
        .write_stdin(input.clone())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("invalid value 'sparc'") && stderr.contains("x86_64, arm64"),
        "{stderr}"
    );
    // A zip given without a name.
    let out = account.command(BIN).arg(&zip.path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--name"));
    assert_eq!(layer_count(&account).await, 0);
}

#[tokio::test]
async fn an_unknown_layer_in_prune_only_mode_is_refused() {
    let account = Account::new().await;
    let out = account
        .command(BIN)
        .args(["--prune-only", "--name", "never-published", "--keep", "3"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no layer \"never-published\""), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn a_missing_region_or_missing_credentials_is_refused_before_any_call() {
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "r.zip", &[("python/r.py", b"r")]);
    let input = lines(&[record("nowhere", "1.0.0", &zip)]);
    let out = Account::bare_command(BIN)
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no AWS region"));
    assert!(out.stdout.is_empty());

    let out = Account::bare_command(BIN)
        .args(["--region", REGION, "--endpoint-url", "http://127.0.0.1:9"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no AWS credentials"));
    assert!(out.stdout.is_empty());
}

#[tokio::test]
async fn records_with_error_findings_are_not_published_by_default() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "f.zip", &[("python/f.py", b"f")]);
    let mut input = record("findings", "1.0.0", &zip);
    input["artifact"]["findings"] = json!([
        {"severity": "warning", "check": "size", "message": "large"},
        {"severity": "error", "check": "glibc", "path": "python/x.so", "message": "needs GLIBC_2.28, python3.11 has 2.26"},
    ]);
    let stderr = refused(
        &account,
        &lines(std::slice::from_ref(&input)),
        &[],
        "glibc: needs GLIBC_2.28",
    );
    assert!(stderr.contains("--ignore-findings"), "{stderr}");
    assert_eq!(layer_count(&account).await, 0);

    let (out, _) = run_ok(&account, &[input], &["--ignore-findings"]);
    assert_eq!(out[0]["published"]["version"], 1);
}

#[tokio::test]
async fn a_zip_whose_inline_request_is_too_large_needs_a_bucket() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    // 52,400,000 bytes: under 50 MiB (52,428,800), yet its base64 alone
    // (69,866,668 bytes) comes within the safety margin of Lambda's limit.
    let content = vec![0u8; 52_400_000];
    let zip = write_stored_zip(dir.path(), "big.zip", &[("python/big.bin", &content)]);
    assert!(zip.bytes.len() < 50 * 1024 * 1024);
    let stderr = refused(
        &account,
        &lines(&[record("big", "1.0.0", &zip)]),
        &[],
        "it can only go through S3",
    );
    assert!(
        stderr.contains("over Lambda's limit of 69905067 bytes less a safety margin of 65536"),
        "{stderr}"
    );
    assert!(stderr.contains("hint: pass --s3-bucket BUCKET"), "{stderr}");
    assert_eq!(layer_count(&account).await, 0);
}
