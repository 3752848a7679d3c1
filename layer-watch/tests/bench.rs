//! The benchmark of `scripts/bench-watch.sh` (ignored in normal test runs):
//! a layer used by `BENCH_FUNCTIONS` functions (default 300, one in four on
//! the older of two versions, none with published versions), each with an
//! Invocations, Errors and Duration datapoint, watched behind the harness
//! proxy's AWS model (Lambda's quotas per account and region, pages of 50):
//! layer-watch with and without metrics, then the guide's monitoring script
//! (`scripts/lib/guide_monitoring.py`, boto3) behind a fresh proxy. Prints the
//! wall times, the calls per quota bucket and per service, and the totals.

mod common;

use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StatisticSet};
use layer_test_harness::proxy::Proxy;
use layer_test_harness::{Account, FunctionSpec, REGION, print_load};

/// The target: a report on 300 such functions within this many seconds.
const TARGET_SECONDS: f64 = 6.0;

fn datum(
    function: &str,
    metric: &str,
    when: SystemTime,
) -> aws_sdk_cloudwatch::types::builders::MetricDatumBuilder {
    MetricDatum::builder()
        .metric_name(metric)
        .dimensions(
            Dimension::builder()
                .name("FunctionName")
                .value(function)
                .build(),
        )
        .timestamp(aws_smithy_types::DateTime::from(when))
}

/// Calls of the CloudWatch operations the proxy saw.
fn cloudwatch_calls(proxy: &Proxy) -> usize {
    ["GetMetricData", "GetMetricStatistics"]
        .iter()
        .map(|op| proxy.stats(op).received)
        .sum()
}

#[tokio::test]
#[ignore = "benchmark: run scripts/bench-watch.sh"]
async fn bench_watch_behind_the_model() {
    let count: usize = std::env::var("BENCH_FUNCTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let account = Account::new().await;
    let (v1, v2) = common::two_versions(&account).await;
    let when = SystemTime::now() - Duration::from_secs(600);
    let (mut invocations, mut errors, mut duration_ms) = (0.0, 0.0, 0.0);
    let mut datums = Vec::new();
    for i in 0..count {
        let name = format!("fn-{i:04}");
        let layer = if i % 4 == 0 { &v1 } else { &v2 };
        account
            .create_function(REGION, &FunctionSpec::new(&name).layer(layer))
            .await;
        let (calls, failed, average) =
            ((i % 50 + 1) as f64, (i % 3) as f64, 10.0 + (i % 200) as f64);
        datums.push(datum(&name, "Invocations", when).value(calls).build());
        datums.push(datum(&name, "Errors", when).value(failed).build());
        // Duration as CloudWatch keeps it: one aggregate with its sample count.
        let set = StatisticSet::builder()
            .sample_count(calls)
            .sum(calls * average)
            .minimum(average)
            .maximum(average)
            .build();
        datums.push(datum(&name, "Duration", when).statistic_values(set).build());
        invocations += calls;
        errors += failed;
        duration_ms += calls * average;
    }
    common::seed(&account, datums).await;
    println!(
        "bench: {count} functions on common (v1: one in four, v2: the rest), no published versions"
    );
    println!(
        "expected: invocations {invocations}, errors {errors}, average duration {:.3} ms",
        duration_ms / invocations
    );

    for (label, extra) in [
        ("layer-watch", &[][..]),
        ("layer-watch --no-metrics", &["--no-metrics"][..]),
    ] {
        let proxy = Proxy::start(account.endpoint());
        print_load(label);
        let started = Instant::now();
        let out = account
            .command(common::BIN)
            .env("AWS_ENDPOINT_URL", proxy.endpoint())
            .args(["common", "--since", "1h", "-v"])
            .args(extra)
            .output()
            .unwrap();
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let records = layer_test_harness::schema::parse_valid_lines(&out.stdout);
        let report = &records[0];
        assert_eq!(report["drift"]["functions_using"], count);
        let metrics = &report["metrics"];
        println!(
            "{label}: wall {seconds:.2} s ({}), {} functions using, {} behind; invocations {}, errors {}, average duration {} ms",
            if seconds <= TARGET_SECONDS {
                "target of 6 s met"
            } else {
                "target of 6 s MISSED"
            },
            report["drift"]["functions_using"],
            report["drift"]["functions_behind"],
            metrics["invocations"],
            metrics["errors"],
            metrics["average_duration_ms"],
        );
        println!(
            "{label}: Lambda calls per bucket: {}",
            proxy.bucket_report()
        );
        println!("{label}: CloudWatch calls: {}", cloudwatch_calls(&proxy));
    }

    // The guide's script, behind a fresh proxy with the same model.
    let python = std::env::var("BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/lib/guide_monitoring.py"
    );
    let proxy = Proxy::start(account.endpoint());
    let mut guide = Command::new(python);
    guide.arg(script).arg("common").arg("3600");
    for (key, value) in account.env() {
        guide.env(key, value);
    }
    guide
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .env("AWS_DEFAULT_REGION", REGION);
    print_load("guide");
    match guide.output() {
        Ok(out) if out.status.success() => {
            println!(
                "guide (boto3): {}",
                String::from_utf8_lossy(&out.stdout).trim()
            );
            // (Its CloudWatch calls are the script's own count: botocore speaks
            // rpc-v2 CBOR to CloudWatch, which the proxy forwards unnamed.)
            println!(
                "guide (boto3): Lambda calls per bucket: {}",
                proxy.bucket_report()
            );
        }
        Ok(out) => println!(
            "guide (boto3): failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        ),
        Err(err) => println!("guide (boto3): could not run python3 with boto3: {err}"),
    }
}
