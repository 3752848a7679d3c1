//! Helpers shared by layer-watch's tests: run the binary in an account, seed
//! Lambda metrics with PutMetricData, read sizes back.

#![allow(dead_code)]

use std::time::{Duration, SystemTime};

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum};
use layer_test_harness::{Account, REGION, schema};
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_layer-watch");

/// The output of one run: exit code, stdout records (schema-checked), stderr.
pub struct Run {
    pub code: Option<i32>,
    pub records: Vec<Value>,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(account: &Account, args: &[&str], stdin: Option<&str>) -> Run {
    run_via(account, None, args, stdin)
}

/// Like [`run`], talking to `endpoint` (the harness's proxy) when given.
pub fn run_via(
    account: &Account,
    endpoint: Option<&str>,
    args: &[&str],
    stdin: Option<&str>,
) -> Run {
    let mut command = account.command(BIN);
    if let Some(endpoint) = endpoint {
        command.env("AWS_ENDPOINT_URL", endpoint);
    }
    command.args(args);
    command.write_stdin(stdin.unwrap_or(""));
    let out = command.output().expect("run layer-watch");
    let stdout = String::from_utf8(out.stdout).expect("utf-8 stdout");
    let records = if args.contains(&"table") {
        Vec::new()
    } else {
        schema::parse_valid_lines(stdout.as_bytes())
    };
    Run {
        code: out.status.code(),
        records,
        stdout,
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
    }
}

pub async fn cloudwatch(account: &Account) -> aws_sdk_cloudwatch::Client {
    aws_sdk_cloudwatch::Client::new(&account.sdk_config(REGION).await)
}

/// Put one AWS/Lambda datapoint for a function, `ago` before now.
pub fn lambda_datum(function: &str, metric: &str, value: f64, ago: Duration) -> MetricDatum {
    MetricDatum::builder()
        .metric_name(metric)
        .dimensions(
            Dimension::builder()
                .name("FunctionName")
                .value(function)
                .build(),
        )
        .timestamp(aws_smithy_types::DateTime::from(SystemTime::now() - ago))
        .value(value)
        .build()
}

pub async fn seed(account: &Account, datums: Vec<MetricDatum>) {
    let client = cloudwatch(account).await;
    for batch in datums.chunks(500) {
        client
            .put_metric_data()
            .namespace("AWS/Lambda")
            .set_metric_data(Some(batch.to_vec()))
            .send()
            .await
            .expect("put-metric-data");
    }
}

/// Two versions of layer `common` (different content), oldest first.
pub async fn two_versions(account: &Account) -> (String, String) {
    let v1 = account
        .publish_layer(REGION, "common", &[("python/c.py", b"1")])
        .await;
    let v2 = account
        .publish_layer(REGION, "common", &[("python/c.py", b"22")])
        .await;
    (v1, v2)
}

/// The zipped size AWS reports for a layer version.
pub async fn code_size(account: &Account, layer: &str, version: i64) -> i64 {
    account
        .lambda(REGION)
        .await
        .get_layer_version()
        .layer_name(layer)
        .version_number(version)
        .send()
        .await
        .expect("get-layer-version")
        .content()
        .expect("content")
        .code_size()
}

/// The one report of a run about `layer`.
pub fn report<'a>(run: &'a Run, layer: &str) -> &'a Value {
    let found: Vec<&Value> = run
        .records
        .iter()
        .filter(|r| r["type"] == "layer" && r["layer_name"] == layer)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one report for {layer}: {}\n{}",
        run.stdout,
        run.stderr
    );
    found[0]
}

/// The entry of `versions` for one layer version.
pub fn version(report: &Value, number: i64) -> &Value {
    report["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["version"] == number)
        .unwrap_or_else(|| panic!("version {number} in {report:#}"))
}

pub fn function<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["function"] == name)
        .unwrap_or_else(|| panic!("function {name} in {report:#}"))
}

/// A CloudWatch call count from the tool's stderr (`CloudWatch.GetMetricData=N`).
pub fn calls(stderr: &str, operation: &str) -> u64 {
    let key = format!("{operation}=");
    stderr
        .lines()
        .filter_map(|line| line.split(&key).nth(1))
        .filter_map(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
        })
        .next_back()
        .unwrap_or(0)
}

/// A new account where layer `common` has one version and one function, `f`, uses it.
pub async fn account_with_one_user() -> Account {
    let account = Account::new().await;
    let v1 = account
        .publish_layer(REGION, "common", &[("python/c.py", b"1")])
        .await;
    account
        .create_function(
            REGION,
            &layer_test_harness::FunctionSpec::new("f").layer(&v1),
        )
        .await;
    account
}
