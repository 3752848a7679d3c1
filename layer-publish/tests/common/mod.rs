//! Shared test helpers: records built by hand the way layer-pack writes them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use base64::Engine;
use layer_test_harness::{Account, REGION, stored_zip_bytes, zip_bytes};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const BIN: &str = env!("CARGO_BIN_EXE_layer-publish");

/// A zip on disk and the hashes layer-pack would record for it.
#[derive(Debug, Clone)]
pub struct Zip {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub sha256_hex: String,
    pub code_sha256: String,
}

pub fn write_zip(dir: &Path, file_name: &str, files: &[(&str, &[u8])]) -> Zip {
    zip_file(dir, file_name, zip_bytes(files))
}

/// A zip of stored (uncompressed) entries: as large as its files.
pub fn write_stored_zip(dir: &Path, file_name: &str, files: &[(&str, &[u8])]) -> Zip {
    zip_file(dir, file_name, stored_zip_bytes(files))
}

fn zip_file(dir: &Path, file_name: &str, bytes: Vec<u8>) -> Zip {
    let path = dir.join(file_name);
    std::fs::write(&path, &bytes).unwrap();
    let digest = Sha256::digest(&bytes);
    Zip {
        path,
        sha256_hex: digest.iter().map(|b| format!("{b:02x}")).collect(),
        code_sha256: base64::engine::general_purpose::STANDARD.encode(digest),
        bytes,
    }
}

/// A `layer-record/v1` record with `layer` and `artifact` sections for a zip.
pub fn record(name: &str, version: &str, zip: &Zip) -> Value {
    json!({
        "schema": "layer-record/v1",
        "layer": {
            "name": name,
            "version": version,
            "description": "Shared code for tests",
            "compatible_runtimes": ["python3.11", "python3.12"],
            "compatible_architectures": ["x86_64"],
            "license": "MIT",
        },
        "artifact": {
            "path": zip.path.display().to_string(),
            "zip_bytes": zip.bytes.len(),
            "unzipped_bytes": 1000,
            "files": 1,
            "sha256": zip.sha256_hex,
            "code_sha256": zip.code_sha256,
            "findings": [],
        }
    })
}

pub fn lines(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

/// Run the tool with records on stdin; returns (exit code, stdout records, stderr).
pub fn run(account: &Account, input: &[Value], args: &[&str]) -> (i32, Vec<Value>, String) {
    let out = account
        .command(BIN)
        .args(args)
        .write_stdin(lines(input))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let code = out.status.code().unwrap_or(-1);
    let records = layer_test_harness::schema::parse_valid_lines(&out.stdout);
    (code, records, stderr)
}

/// Run and require success.
pub fn run_ok(account: &Account, input: &[Value], args: &[&str]) -> (Vec<Value>, String) {
    let (code, records, stderr) = run(account, input, args);
    assert_eq!(code, 0, "layer-publish failed:\n{stderr}");
    (records, stderr)
}

/// The version numbers of a layer, ascending.
pub async fn versions(account: &Account, region: &str, name: &str) -> Vec<i64> {
    let listed = account
        .lambda(region)
        .await
        .list_layer_versions()
        .layer_name(name)
        .send()
        .await
        .unwrap();
    let mut versions: Vec<i64> = listed
        .layer_versions()
        .iter()
        .map(|v| v.version())
        .collect();
    versions.sort();
    versions
}

/// How many layers exist in the account's region.
pub async fn layer_count(account: &Account) -> usize {
    account
        .lambda(REGION)
        .await
        .list_layers()
        .send()
        .await
        .unwrap()
        .layers()
        .len()
}

/// The request counts the tool reports at -v:
/// `AWS requests: 2 (Lambda 2): Lambda.GetLayerVersion=1 Lambda.ListLayerVersions=1`.
pub fn request_counts(stderr: &str) -> (u64, std::collections::BTreeMap<String, u64>) {
    let line = stderr
        .lines()
        .find_map(|l| l.split("AWS requests: ").nth(1))
        .unwrap_or_else(|| panic!("no request count in:\n{stderr}"));
    let (total, detail) = line.split_once(' ').unwrap_or((line, ""));
    let (_, per_operation) = detail.split_once(": ").unwrap_or(("", detail));
    let counts = per_operation
        .split_whitespace()
        .filter_map(|pair| pair.split_once('='))
        .map(|(op, n)| (op.to_string(), n.parse().unwrap()))
        .collect();
    (total.parse().unwrap(), counts)
}

pub async fn s3(account: &Account) -> aws_sdk_s3::Client {
    let config = account.sdk_config(REGION).await;
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    )
}

/// An S3 client, and a new bucket in the test's region.
pub async fn s3_with_bucket(account: &Account, bucket: &str) -> aws_sdk_s3::Client {
    let client = s3(account).await;
    client.create_bucket().bucket(bucket).send().await.unwrap();
    client
}

/// Run the tool through a proxy (its endpoint overrides the account's).
pub fn run_via(
    account: &Account,
    endpoint: &str,
    input: &[Value],
    args: &[&str],
) -> (i32, Vec<Value>, String) {
    let mut all = vec!["--endpoint-url", endpoint];
    all.extend_from_slice(args);
    run(account, input, &all)
}
