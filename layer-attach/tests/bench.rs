//! The benchmark of `scripts/bench-attach.sh` (ignored in normal test runs):
//! attach one layer to many functions on moto behind the harness's proxy and
//! its AWS model (Lambda's quotas, updates InProgress for 1 s with 409s
//! meanwhile), and compare with the guide's shell loop of
//! `aws lambda update-function-configuration`.
//!
//! `BENCH_FUNCTIONS` sets the number of functions (default 300).

use std::process::Command;
use std::time::Instant;

use layer_test_harness::proxy::{Bucket, Proxy, RateLimits};
use layer_test_harness::schema::parse_valid_lines;
use layer_test_harness::{Account, FunctionSpec, REGION, print_load};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_layer-attach");

fn record(version_arn: &str) -> Value {
    let arn: layer_core::arn::LayerVersionArn = version_arn.parse().unwrap();
    json!({
        "schema": "layer-record/v1",
        "layer": { "name": arn.name, "compatible_runtimes": ["python3.11"], "compatible_architectures": ["x86_64"] },
        "published": {
            "region": arn.region, "layer_name": arn.name, "layer_arn": arn.layer_arn(),
            "version_arn": version_arn, "version": arn.version,
            "code_sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            "created_date": "2026-11-28T00:00:00.000+0000", "reused": false,
        },
    })
}

/// The requests the shared 15/s bucket let through (every control-plane call
/// but GetFunction and GetPolicy).
fn control_plane_requests(proxy: &Proxy) -> usize {
    proxy.bucket(Bucket::Shared).admitted()
}

#[tokio::test]
#[ignore = "benchmark: run scripts/bench-attach.sh"]
async fn bench_attach_behind_the_rate_limit() {
    let count: usize = std::env::var("BENCH_FUNCTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let account = Account::new().await;
    let mut common = Vec::new();
    for i in 0..3 {
        let content = format!("V = {i}\n");
        common.push(
            account
                .publish_layer(
                    REGION,
                    "makoto-common",
                    &[("python/c.py", content.as_bytes())],
                )
                .await,
        );
    }
    let other = account
        .publish_layer(REGION, "makoto-vendor", &[("python/v.py", b"")])
        .await;
    let names: Vec<String> = (0..count).map(|i| format!("makoto-fn{i:03}-dev")).collect();
    for name in &names {
        account
            .create_function(
                REGION,
                &FunctionSpec::new(name).layer(&other).layer(&common[0]),
            )
            .await;
    }
    eprintln!("bench: {count} functions on [makoto-vendor:1, makoto-common:1]");

    // layer-attach, default settings, behind the limit.
    print_load("layer-attach");
    let proxy = Proxy::start(account.endpoint());
    let started = Instant::now();
    let out = account
        .command(BIN)
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .write_stdin(format!("{}\n", record(&common[1])))
        .output()
        .unwrap();
    let tool_seconds = started.elapsed().as_secs_f64();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = parse_valid_lines(&out.stdout);
    let entries = records[0]["attachments"].as_array().unwrap();
    let updated = entries.iter().filter(|e| e["status"] == "updated").count();
    assert_eq!(updated, count, "every function updated");
    let updates = proxy.stats("UpdateFunctionConfiguration");
    let throttled: usize = proxy.all_stats().values().map(|s| s.throttled).sum();
    let needed = control_plane_requests(&proxy);
    // The fastest the limit allows: the first `burst` requests at once, then 15 a second.
    let limit = RateLimits::lambda().shared.unwrap();
    let minimum = (needed as f64 - limit.burst).max(0.0) / limit.per_second;
    let simple_minimum = count as f64 / limit.per_second;
    for name in [&names[0], &names[count / 2], &names[count - 1]] {
        assert_eq!(
            account.function_layers(REGION, name).await,
            [&other, &common[1]].map(String::from)
        );
    }
    println!("layer-attach: {count} functions, {updated} updated, 0 failed");
    println!("layer-attach: wall {tool_seconds:.1} s");
    println!(
        "layer-attach: {needed} control-plane requests ({} UpdateFunctionConfiguration), {throttled} throttled",
        updates.received
    );
    println!("layer-attach: calls per bucket: {}", proxy.bucket_report());
    println!(
        "minimum the limit allows for {needed} requests (15/s, burst 15): {minimum:.1} s -> ratio {:.2}",
        tool_seconds / minimum
    );
    println!(
        "minimum for {count} updates at 15/s (no burst): {simple_minimum:.1} s -> ratio {:.2}",
        tool_seconds / simple_minimum
    );
    let ratio = tool_seconds / simple_minimum;
    println!(
        "target: within 1.3 x {count}/15 s = {:.1} s: {} ({ratio:.2}x)",
        1.3 * simple_minimum,
        if ratio <= 1.3 { "met" } else { "MISSED" }
    );

    // The guide's approach: list, then a shell loop of the aws CLI, one call per
    // function, errors ignored (`|| true`), behind a fresh proxy.
    if Command::new("aws").arg("--version").output().is_err() {
        println!("guide: the aws CLI is not installed; skipped");
        return;
    }
    let guide_proxy = Proxy::start(account.endpoint());
    let script = r#"
        set -u
        FUNCTIONS=$(aws lambda list-functions \
          --query "Functions[?starts_with(FunctionName, 'makoto-') && contains(FunctionName, '-dev')].FunctionName" \
          --output text)
        for FUNCTION in $FUNCTIONS; do
          aws lambda update-function-configuration \
            --function-name ${FUNCTION} \
            --layers ${LAYER_ARN} > /dev/null || true
        done
    "#;
    let mut guide = Command::new("bash");
    guide.arg("-c").arg(script);
    for (key, value) in account.env() {
        guide.env(key, value);
    }
    guide
        .env("AWS_ENDPOINT_URL", guide_proxy.endpoint())
        .env("AWS_DEFAULT_REGION", REGION)
        .env("AWS_PAGER", "")
        .env("LAYER_ARN", &common[2]);
    print_load("guide loop");
    let started = Instant::now();
    let status = guide.status().unwrap();
    let guide_seconds = started.elapsed().as_secs_f64();
    assert!(status.success());
    let mut on_new = 0;
    let mut lost_layers = 0;
    for name in &names {
        let layers = account.function_layers(REGION, name).await;
        on_new += usize::from(layers.contains(&common[2]));
        lost_layers += usize::from(!layers.contains(&other));
    }
    let guide_throttled: usize = guide_proxy.all_stats().values().map(|s| s.throttled).sum();
    println!(
        "guide loop: wall {guide_seconds:.1} s, {on_new} of {count} on the new version, \
         {lost_layers} lost their other layer, {guide_throttled} throttled"
    );
    println!(
        "guide loop: calls per bucket: {}",
        guide_proxy.bucket_report()
    );
    println!(
        "guide loop / layer-attach: {:.1}x",
        guide_seconds / tool_seconds
    );
}
