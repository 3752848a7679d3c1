//! layer-publish stopped by a signal while it publishes: the layer in flight is
//! finished and its record written, no new layer starts, and the exit says
//! which signal; a second signal abandons what is in flight at once. The same
//! for `--prune-only`: the deletion in flight finishes, no other starts.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
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
    let during = ("PublishLayerVersion", signal, times);
    run_and_signal(account, proxy, &[], input, during)
}

/// Start layer-publish with `args` through `proxy` on `input`; once the first
/// `operation` of `during` is under way, send its signal (so many times, 300
/// ms apart).
fn run_and_signal(
    account: &Account,
    proxy: &Proxy,
    args: &[&str],
    input: &[Value],
    (operation, signal, times): (&str, &str, usize),
) -> (Option<i32>, Vec<Value>, String, Duration) {
    let mut child = Command::new(BIN)
        .env_clear()
        .envs(account.env())
        .args(["--endpoint-url", proxy.endpoint()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(lines(input).as_bytes()).unwrap();
    }
    let started = Instant::now();
    while proxy.stats(operation).received == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no {operation}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let signalled = Instant::now();
    for time in 0..times {
        if time > 0 {
            std::thread::sleep(Duration::from_millis(300));
        }
        Command::new("kill")
            .args(["-s", signal, &child.id().to_string()])
            .status()
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        layer_test_harness::schema::parse_valid_lines(&out.stdout),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        signalled.elapsed(),
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
        let during = ("DeleteLayerVersion", "INT", 1);
        tokio::task::block_in_place(|| run_and_signal(account, proxy, &args, &[], during))
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
