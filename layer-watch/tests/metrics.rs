//! Metrics seeded with PutMetricData and read back through the tool; the
//! aggregates checked against sums computed here by hand.

mod common;

use std::time::Duration;

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use common::{
    account_with_one_user, calls, cloudwatch, function, lambda_datum, report, run, seed, version,
};
use layer_test_harness::{Account, FunctionSpec, REGION};
use serde_json::json;

const MINUTES: fn(u64) -> Duration = |m| Duration::from_secs(m * 60);

#[tokio::test]
async fn sums_per_function_per_version_and_per_layer_with_a_true_average() {
    let account = Account::new().await;
    let (v1, v2) = common::two_versions(&account).await;
    account
        .create_function(REGION, &FunctionSpec::new("busy").layer(&v2))
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("slow").layer(&v1))
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("idle").layer(&v2))
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("unrelated"))
        .await;
    seed(
        &account,
        vec![
            // busy: two datapoints of each inside the window.
            lambda_datum("busy", "Invocations", 600.0, MINUTES(30)),
            lambda_datum("busy", "Invocations", 400.0, MINUTES(90)),
            lambda_datum("busy", "Errors", 7.0, MINUTES(30)),
            lambda_datum("busy", "Errors", 3.0, MINUTES(90)),
            lambda_datum("busy", "Throttles", 2.0, MINUTES(30)),
            lambda_datum("busy", "Duration", 12_000.0, MINUTES(30)),
            lambda_datum("busy", "Duration", 8_000.0, MINUTES(90)),
            // slow: rarely called, long.
            lambda_datum("slow", "Invocations", 4.0, MINUTES(10)),
            lambda_datum("slow", "Errors", 1.0, MINUTES(10)),
            lambda_datum("slow", "Duration", 8_000.0, MINUTES(10)),
            // Outside a 6h window: must not count.
            lambda_datum("busy", "Invocations", 5_000.0, MINUTES(60 * 8)),
            lambda_datum("slow", "Duration", 99_999.0, MINUTES(60 * 8)),
            // Not a user of the layer.
            lambda_datum("unrelated", "Invocations", 777.0, MINUTES(10)),
        ],
    )
    .await;

    let out = run(&account, &["common", "--since", "6h", "-v"], None);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let report = report(&out, "common");
    assert_eq!(report["window"]["since"], "6h");
    assert_eq!(report["window"]["period_seconds"], 6 * 3600);

    // By hand: busy 1000 inv / 10 err / 2 thr / 20000 ms; slow 4 / 1 / 0 / 8000; idle 0.
    let (invocations, errors, duration) = (1000.0 + 4.0, 10.0 + 1.0, 20_000.0 + 8_000.0);
    let layer = &report["metrics"];
    assert_eq!(layer["invocations"], 1004);
    assert_eq!(layer["errors"], 11);
    assert_eq!(layer["throttles"], 2);
    assert_eq!(layer["duration_ms_total"], duration);
    assert_eq!(layer["average_duration_ms"], duration / invocations);
    assert_eq!(layer["error_rate"], errors / invocations);
    // The guide's average of per-function averages would be (20 + 2000) / 2 = 1010 ms.
    assert!(layer["average_duration_ms"].as_f64().unwrap() < 30.0);

    assert_eq!(
        function(report, "busy")["metrics"],
        json!({"invocations": 1000, "errors": 10, "throttles": 2, "error_rate": 0.01,
               "duration_ms_total": 20000.0, "average_duration_ms": 20.0})
    );
    // No datapoints: zeros, and no rate or average.
    assert_eq!(
        function(report, "idle")["metrics"],
        json!({"invocations": 0, "errors": 0, "throttles": 0, "error_rate": null,
               "duration_ms_total": 0.0, "average_duration_ms": null})
    );
    // Per version: v2 = busy + idle, v1 = slow.
    assert_eq!(version(report, 2)["metrics"]["invocations"], 1000);
    assert_eq!(version(report, 2)["metrics"]["average_duration_ms"], 20.0);
    assert_eq!(version(report, 1)["metrics"]["invocations"], 4);
    assert_eq!(version(report, 1)["metrics"]["average_duration_ms"], 2000.0);

    // Three functions, 12 queries: one call.
    assert_eq!(
        calls(&out.stderr, "CloudWatch.GetMetricData"),
        1,
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn batches_500_queries_per_call() {
    let account = Account::new().await;
    let v1 = account
        .publish_layer(REGION, "wide", &[("python/w.py", b"w")])
        .await;
    // 130 functions × 4 queries = 520 queries: two calls, ceil(520 / 500).
    let names: Vec<String> = (0..130).map(|i| format!("fn-{i:03}")).collect();
    for name in &names {
        account
            .create_function(REGION, &FunctionSpec::new(name).layer(&v1))
            .await;
    }
    // One datapoint for every function; each function's count is its index + 1.
    seed(
        &account,
        names
            .iter()
            .enumerate()
            .map(|(i, name)| lambda_datum(name, "Invocations", (i + 1) as f64, MINUTES(5)))
            .collect(),
    )
    .await;

    let out = run(
        &account,
        &["wide", "--since", "1h", "--no-aliases", "-v"],
        None,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        calls(&out.stderr, "CloudWatch.GetMetricData"),
        2,
        "{}",
        out.stderr
    );
    let report = report(&out, "wide");
    assert_eq!(report["metrics"]["invocations"], 130 * 131 / 2);
    // The last function's queries travel in the second call.
    assert_eq!(function(report, "fn-129")["metrics"]["invocations"], 130);
    assert_eq!(function(report, "fn-000")["metrics"]["invocations"], 1);
}

#[tokio::test]
async fn put_metrics_publishes_what_alarms_watch() {
    let account = Account::new().await;
    let v1 = account
        .publish_layer(REGION, "common", &[("python/c.py", b"1")])
        .await;
    let v2 = account
        .publish_layer(REGION, "common", &[("python/c.py", b"2222")])
        .await;
    for (name, layer) in [("a", &v1), ("b", &v1), ("c", &v2)] {
        account
            .create_function(REGION, &FunctionSpec::new(name).layer(layer))
            .await;
    }
    let out = run(
        &account,
        &[
            "common",
            "--no-metrics",
            "--put-metrics",
            "--metrics-namespace",
            "Test/Layers",
            "-v",
        ],
        None,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        calls(&out.stderr, "CloudWatch.PutMetricData"),
        1,
        "{}",
        out.stderr
    );
    // The line that ends a run that changed something.
    let summary = out
        .stderr
        .lines()
        .find(|line| line.starts_with("layer-watch: "))
        .unwrap_or_else(|| panic!("no summary line:\n{}", out.stderr));
    assert!(
        summary.starts_with("layer-watch: 1 layer: 1 updated, 0 unchanged, 0 skipped, 0 failed; "),
        "{summary}"
    );
    assert!(summary.contains(" AWS requests; "), "{summary}");
    let size = common::code_size(&account, "common", 2).await;

    let client = cloudwatch(&account).await;
    let query = |id: &str, name: &str| {
        MetricDataQuery::builder()
            .id(id)
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace("Test/Layers")
                            .metric_name(name)
                            .dimensions(
                                Dimension::builder()
                                    .name("LayerName")
                                    .value("common")
                                    .build(),
                            )
                            .build(),
                    )
                    .period(3600)
                    .stat("Maximum")
                    .build(),
            )
            .build()
    };
    let now = std::time::SystemTime::now();
    let answer = client
        .get_metric_data()
        .start_time(aws_smithy_types::DateTime::from(now - MINUTES(30)))
        .end_time(aws_smithy_types::DateTime::from(now + MINUTES(30)))
        .metric_data_queries(query("using", "FunctionsUsing"))
        .metric_data_queries(query("behind", "FunctionsBehind"))
        .metric_data_queries(query("size", "LayerSize"))
        .send()
        .await
        .expect("get-metric-data");
    let value = |id: &str| {
        answer
            .metric_data_results()
            .iter()
            .find(|r| r.id() == Some(id))
            .map(|r| r.values().to_vec())
            .unwrap_or_default()
    };
    assert_eq!(value("using"), [3.0]);
    assert_eq!(value("behind"), [2.0]);
    assert_eq!(value("size"), [size as f64]);
}

/// The alarm template watches exactly the metrics the tool publishes, under the
/// tool's default namespace and dimension.
#[tokio::test]
async fn the_alarm_template_matches_the_published_metrics() {
    let account = account_with_one_user().await;
    let out = run(&account, &["common", "--no-metrics", "--put-metrics"], None);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let listed = cloudwatch(&account)
        .await
        .list_metrics()
        .namespace("LayerTools")
        .send()
        .await
        .expect("list-metrics");
    let mut published: Vec<String> = listed
        .metrics()
        .iter()
        .filter_map(|m| m.metric_name().map(str::to_string))
        .collect();
    published.sort();
    published.dedup();
    assert_eq!(
        published,
        ["FunctionsBehind", "FunctionsUsing", "LayerSize"]
    );
    for metric in listed.metrics() {
        let dimensions: Vec<_> = metric.dimensions().iter().map(|d| d.name()).collect();
        assert_eq!(dimensions, [Some("LayerName")]);
    }

    let template = include_str!("../../scripts/alarms/layer-watch-alarms.yaml");
    let mut watched: Vec<String> = template
        .lines()
        .filter_map(|line| line.trim().strip_prefix("MetricName: "))
        .map(str::to_string)
        .collect();
    watched.sort();
    watched.dedup();
    assert_eq!(watched, published);
    assert!(template.contains("Default: LayerTools"));
    assert!(template.contains("- Name: LayerName"));
    assert!(!template.contains('*'), "no wildcard dimension values");
}
