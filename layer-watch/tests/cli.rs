//! Bad input (exit 2, nothing on stdout) and the --interval stream.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{BIN, account_with_one_user, run};
use layer_test_harness::{Account, REGION, schema};
use serde_json::Value;

fn assert_refused(out: &common::Run, words: &[&str]) {
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "nothing half-done: {}", out.stdout);
    for word in words {
        assert!(out.stderr.contains(word), "{word:?} in {}", out.stderr);
    }
    assert!(out.stderr.contains("layer-watch: hint:"), "{}", out.stderr);
}

#[tokio::test]
async fn an_unknown_layer_stops_the_run_before_any_output() {
    let account = Account::new().await;
    account
        .publish_layer(REGION, "common", &[("python/c.py", b"1")])
        .await;
    let out = run(&account, &["common", "nope", "--no-metrics"], None);
    assert_refused(&out, &["layer \"nope\" not found in us-east-1"]);
}

#[tokio::test]
async fn bad_windows_intervals_regions_and_names_are_usage_errors() {
    let account = Account::new().await;
    account
        .publish_layer(REGION, "common", &[("python/c.py", b"1")])
        .await;
    assert_refused(
        &run(&account, &["common", "--since", "yesterday"], None),
        &["--since \"yesterday\""],
    );
    assert_refused(
        &run(&account, &["common", "--since", "10s"], None),
        &["shorter than one minute"],
    );
    assert_refused(
        &run(&account, &["common", "--since", "2y"], None),
        &["455 days"],
    );
    assert_refused(
        &run(&account, &["common", "--interval", "soon"], None),
        &["--interval \"soon\" is not a duration"],
    );
    // A value clap checks: its own message, without our hint line.
    let out = run(&account, &["common", "--max-age", "90"], None);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr
            .contains("retention ages are whole days (e.g. 90d), and \"90\" is 1m 30s"),
        "{}",
        out.stderr
    );
    assert_refused(
        &run(&account, &["common", "--region", "mars-1"], None),
        &["\"mars-1\" is not an AWS region"],
    );
    assert_refused(
        &run(&account, &["common*"], None),
        &["invalid layer name \"common*\""],
    );
    assert_refused(
        &run(
            &account,
            &[
                "common",
                "--put-metrics",
                "--metrics-namespace",
                "AWS/Lambda",
            ],
            None,
        ),
        &["reserved"],
    );
}

#[tokio::test]
async fn bad_records_are_refused_with_their_line() {
    let account = Account::new().await;
    let out = run(
        &account,
        &[],
        Some("{\"schema\":\"layer-record/v1\",\"layer\":{\"name\":\"c\"}}\n{oops\n"),
    );
    assert_refused(&out, &["line 2"]);
    let out = run(&account, &["-"], Some("{\"schema\":\"layer-record/v1\"}\n"));
    assert_refused(&out, &["neither a \"published\" nor a \"layer\" section"]);
}

#[test]
fn without_a_region_it_says_how_to_give_one() {
    let out = Account::bare_command(BIN)
        .args(["common"])
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("no AWS region"), "{stderr}");
}

/// Two rounds of JSON Lines, then SIGINT: the tool stops cleanly (exit 0), and
/// every line it wrote is a whole, valid record.
#[tokio::test]
async fn interval_streams_json_lines_until_interrupted() {
    let account = account_with_one_user().await;

    let mut child = Command::new(BIN)
        .args(["common", "--interval", "1s", "--since", "1h"])
        .env_clear()
        .envs(account.env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn layer-watch");
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut received: Vec<Value> = Vec::new();
    while received.iter().filter(|r| r["type"] == "round").count() < 2 {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .expect("a line within 60 s");
        let record: Value = serde_json::from_str(&line).expect("one JSON object per line");
        schema::assert_valid(&record);
        received.push(record);
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let (done_tx, done) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait_with_output());
    });
    let out = done
        .recv_timeout(Duration::from_secs(30))
        .expect("layer-watch stops within 30 s of SIGINT")
        .expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let kinds: Vec<&str> = received
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["layer", "round", "layer", "round"]);
    assert_eq!(received[1]["round"], 1);
    assert_eq!(received[3]["round"], 2);
    assert_eq!(received[0]["drift"]["functions_using"], 1);
    assert_eq!(received[1]["functions_using"], 1);
    // Whatever came after the last round we read is still whole JSON.
    for line in lines.try_iter() {
        let record: Value = serde_json::from_str(&line).expect("whole lines only");
        schema::assert_valid(&record);
    }
}

/// The schema the tests validate against is strict enough to catch a broken report.
#[test]
fn the_report_schema_refuses_incomplete_reports() {
    let refuses = |value: Value| std::panic::catch_unwind(|| schema::assert_valid(&value)).is_err();
    assert!(refuses(
        serde_json::json!({"schema": "layer-report/v1", "type": "layer", "layer_name": "x"})
    ));
    assert!(refuses(
        serde_json::json!({"schema": "layer-report/v1", "type": "gossip"})
    ));
    assert!(refuses(
        serde_json::json!({"schema": "layer-report/v1", "type": "round", "round": 0})
    ));
}

#[tokio::test]
async fn old_retention_spellings_still_work_with_a_warning() {
    let account = Account::new().await;
    account
        .publish_layer(REGION, "common", &[("python/c.py", b"1")])
        .await;
    let out = run(
        &account,
        &[
            "common",
            "--no-metrics",
            "--keep-versions",
            "1",
            "--delete-older-than-days",
            "30",
        ],
        None,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    for warning in [
        "--keep-versions is deprecated and goes away in the next release; use --keep",
        "--delete-older-than-days is deprecated and goes away in the next release; use --max-age 30d",
    ] {
        assert!(out.stderr.contains(warning), "{}", out.stderr);
    }
}
