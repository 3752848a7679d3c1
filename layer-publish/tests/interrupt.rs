//! layer-publish stopped by a signal while it publishes: the layer in flight is
//! finished and its record written, no new layer starts, and the exit says
//! which signal; a second signal abandons what is in flight at once.

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
    let mut child = Command::new(BIN)
        .env_clear()
        .envs(account.env())
        .args(["--endpoint-url", proxy.endpoint()])
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
    while proxy.stats("PublishLayerVersion").received == 0 {
        assert!(started.elapsed() < Duration::from_secs(30), "no publish");
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
