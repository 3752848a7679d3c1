//! layer-publish stopped by a signal while it publishes: the layer in flight is
//! finished and its record written, no new layer starts, and the exit says
//! which signal; a second signal abandons what is in flight at once. The same
//! for `--prune-only`: the deletion in flight finishes, no other starts.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use layer_test_harness::signals::{Stopping, stop_when};
use layer_test_harness::{Account, Fault, Proxy, REGION, Rule, moto};
use serde_json::Value;

/// Start layer-publish through `proxy` on `input`, send `signal` (`times`
/// times, 300 ms apart) once the first PublishLayerVersion is under way; the
/// exit code, stdout records, stderr and how long the stop took.
fn publish_and_signal(
    account: &Account,
    proxy: &Proxy,
    input: &[Value],
    signal: &str,
    times: usize,
) -> (Option<i32>, Vec<Value>, String, Duration) {
    let stopping = Stopping {
        operation: "PublishLayerVersion",
        received: 1,
        signal,
        times,
    };
    run_and_signal(account, proxy, &[], input, &stopping)
}

/// Start layer-publish with `args` through `proxy` on `input`, and stop it as
/// `stopping` says: exit code, stdout records, stderr, how long the stop took.
fn run_and_signal(
    account: &Account,
    proxy: &Proxy,
    args: &[&str],
    input: &[Value],
    stopping: &Stopping,
) -> (Option<i32>, Vec<Value>, String, Duration) {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .envs(account.env())
        .args(["--endpoint-url", proxy.endpoint()])
        .args(args);
    let stopped = stop_when(command, &lines(input), proxy, stopping);
    (
        stopped.code,
        layer_test_harness::schema::parse_valid_lines(&stopped.stdout),
        stopped.stderr,
        stopped.took,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_the_layer_in_flight_writes_its_record_and_starts_no_other() {
    let account = Account::new().await;
    let proxy = Proxy::start(moto().endpoint());
    // Each publish takes 1.5 s to answer: the signal comes during the first.
    proxy.add_rule(Rule::new(
        "PublishLayerVersion",
        Fault::Delay(Duration::from_millis(1500)),
    ));
    let dir = tempfile::tempdir().unwrap();
    let records: Vec<Value> = ["first", "second", "third"]
        .iter()
        .map(|name| {
            let zip = write_zip(
                dir.path(),
                &format!("{name}.zip"),
                &[("python/m.py", name.as_bytes())],
            );
            record(name, "1.0.0", &zip)
        })
        .collect();
    let (code, out, stderr, _) = {
        let account = &account;
        let proxy = &proxy;
        tokio::task::block_in_place(|| publish_and_signal(account, proxy, &records, "TERM", 1))
    };
    assert_eq!(code, Some(143), "{stderr}");
    assert!(stderr.contains("layer-publish: stopped: "), "{stderr}");
    assert_eq!(out.len(), 1, "{stderr}");
    assert_eq!(out[0]["layer"]["name"], "first");
    assert_eq!(versions(&account, REGION, "first").await, [1]);
    assert!(versions(&account, REGION, "second").await.is_empty());
    assert!(versions(&account, REGION, "third").await.is_empty());
    assert_eq!(proxy.stats("PublishLayerVersion").received, 1, "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_sigint_abandons_the_layer_in_flight_at_once() {
    let account = Account::new().await;
    let proxy = Proxy::start(moto().endpoint());
    proxy.add_rule(Rule::new(
        "PublishLayerVersion",
        Fault::Delay(Duration::from_millis(8000)),
    ));
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "slow.zip", &[("python/s.py", b"s")]);
    let (code, out, stderr, took) = {
        let account = &account;
        let proxy = &proxy;
        let input = [record("slow", "1.0.0", &zip)];
        tokio::task::block_in_place(|| publish_and_signal(account, proxy, &input, "INT", 2))
    };
    assert_eq!(code, Some(130), "{stderr}");
    assert!(took < Duration::from_secs(5), "{took:?}: {stderr}");
    assert!(out.is_empty(), "{out:?}");
    assert!(stderr.contains("abandoned after the signal"), "{stderr}");
    assert!(
        stderr.contains("running again finds and reuses it"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_during_prune_only_finishes_the_deletion_in_flight_and_reports_it() {
    let account = Account::new().await;
    for n in 0..6 {
        let content = format!("V = {n}\n");
        account
            .publish_layer(REGION, "pruned", &[("python/p.py", content.as_bytes())])
            .await;
    }
    let proxy = Proxy::start(moto().endpoint());
    proxy.add_rule(Rule::new(
        "DeleteLayerVersion",
        Fault::Delay(Duration::from_millis(1500)),
    ));
    let args = ["--prune-only", "--name", "pruned", "--keep", "1"];
    let (code, out, stderr, _) = {
        let account = &account;
        let proxy = &proxy;
        let stopping = Stopping {
            operation: "DeleteLayerVersion",
            received: 1,
            signal: "INT",
            times: 1,
        };
        tokio::task::block_in_place(|| run_and_signal(account, proxy, &args, &[], &stopping))
    };
    assert_eq!(code, Some(130), "{stderr}");
    assert!(
        stderr.contains("versions deleted so far: 1, in 1 of 1 regions"),
        "{stderr}"
    );
    // The deletion under way when the signal came is done and reported; no
    // other one was started.
    assert_eq!(proxy.stats("DeleteLayerVersion").received, 1, "{stderr}");
    assert_eq!(out.len(), 1, "{stderr}");
    let deleted = out[0]["pruned"]["retention"]["deleted"].as_array().unwrap();
    assert_eq!(deleted.len(), 1, "{out:?}");
    let left = versions(&account, REGION, "pruned").await;
    assert_eq!(left.len(), 5, "{left:?}");
    assert!(!left.contains(&deleted[0].as_i64().unwrap()), "{left:?}");
}

/// Stopped at any moment of a publish across two regions (SIGKILL after the
/// 1st to the 6th PublishLayerVersion, SIGTERM after the 2nd and the 5th),
/// with every publish taking effect at once and answering 600 ms later: the
/// same command run again reuses exactly what landed and publishes the rest,
/// so each layer ends with one version per region, never two. After SIGTERM
/// every version that landed is also named by a record on stdout.
#[tokio::test(flavor = "multi_thread")]
async fn stopped_at_any_moment_the_same_command_again_publishes_each_layer_once() {
    const OTHER_REGION: &str = "eu-west-1";
    let dir = tempfile::tempdir().unwrap();
    let names = ["first", "second", "third"];
    let records: Vec<Value> = names
        .iter()
        .map(|name| {
            let files = [("python/m.py", name.as_bytes())];
            let zip = write_zip(dir.path(), &format!("{name}.zip"), &files);
            record(name, "1.0.0", &zip)
        })
        .collect();
    let regions = ["--region", REGION, "--region", OTHER_REGION];
    let moments = (1..=6)
        .map(|received| ("KILL", received))
        .chain([("TERM", 2), ("TERM", 5)]);
    for (signal, received) in moments {
        let moment = format!("SIG{signal} after {received} publishes");
        let account = Account::new().await;
        let proxy = Proxy::start(moto().endpoint());
        proxy.add_rule(Rule::new(
            "PublishLayerVersion",
            Fault::SlowAnswer(Duration::from_millis(600)),
        ));
        let stopping = Stopping {
            operation: "PublishLayerVersion",
            received,
            signal,
            times: 1,
        };
        let (code, stopped_out, stderr, _) = tokio::task::block_in_place(|| {
            run_and_signal(&account, &proxy, &regions, &records, &stopping)
        });
        let expected_code = if signal == "KILL" { None } else { Some(143) };
        assert_eq!(code, expected_code, "{moment}: {stderr}");

        // What landed before the stop, by layer and region.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut landed = Vec::new();
        for name in names {
            for region in [REGION, OTHER_REGION] {
                let found = versions(&account, region, name).await;
                assert!(found.len() <= 1, "{moment}: {name} in {region}: {found:?}");
                if !found.is_empty() {
                    landed.push((name.to_string(), region.to_string()));
                }
            }
        }
        assert!(!landed.is_empty(), "{moment}: nothing landed");
        eprintln!("{moment}: {} of 6 publications landed", landed.len());
        if signal != "KILL" {
            let mut named: Vec<(String, String)> =
                stopped_out.iter().map(layer_and_region).collect();
            named.sort();
            landed.sort();
            assert_eq!(named, landed, "{moment}: the record names what landed");
        }

        let (out, stderr) = run_ok(&account, &records, &regions);
        assert_eq!(out.len(), 6, "{moment}: {stderr}");
        let mut reused: Vec<(String, String)> = out
            .iter()
            .filter(|r| r["published"]["reused"] == true)
            .map(layer_and_region)
            .collect();
        reused.sort();
        landed.sort();
        assert_eq!(reused, landed, "{moment}: reused exactly what landed");
        for name in names {
            for region in [REGION, OTHER_REGION] {
                let found = versions(&account, region, name).await;
                assert_eq!(found, [1], "{moment}: {name} in {region}");
            }
        }
    }
}

fn layer_and_region(record: &Value) -> (String, String) {
    let published = &record["published"];
    (
        published["layer_name"].as_str().unwrap().to_string(),
        published["region"].as_str().unwrap().to_string(),
    )
}
