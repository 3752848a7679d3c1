//! Every AWS tool under faults injected by the harness's proxy (between the
//! real binary and moto_server): it completes, or it fails with a clear message
//! and nothing lost. Retries are bounded: each scenario asserts how many
//! requests the proxy saw and how long the run took.
//!
//! Fault tests that exist next to the tools are not repeated here
//! (layer-publish/tests/faults.rs: one lost answer, a late landing, one 5xx and
//! one 429, a CodeSha256 mismatch, a timeout; layer-attach/tests/attach.rs:
//! 409s and InProgress waited out, per-function failures, rate limits). This
//! file adds persistent faults, faults on the calls around the main one, the
//! attach record + `--undo` after a partial failure, and layer-watch.
//!
//! All scenarios run concurrently in one test, which then writes (or checks)
//! the fault table in docs/reliability.md.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use base64::Engine;
use layer_test_harness::{Account, Fault, FunctionSpec, Proxy, REGION, Rule, moto};
use layer_tools_e2e::tool_path;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// One line of the table.
struct Row {
    tool: &'static str,
    fault: &'static str,
    injected: String,
    requests: String,
    result: String,
}

type Scenario = fn() -> Pin<Box<dyn Future<Output = Row> + Send>>;

struct Run {
    code: i32,
    stdout: Vec<Value>,
    stderr: String,
    took: Duration,
}

/// Run a tool in the account through the proxy.
async fn run(account: &Account, proxy: &Proxy, tool: &str, args: &[&str], stdin: &str) -> Run {
    let mut command = account.command(tool_path(tool));
    command
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .args(args)
        .write_stdin(stdin.to_string())
        .timeout(Duration::from_secs(240));
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{tool} panicked:\n{stderr}");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: layer_test_harness::schema::parse_valid_lines(&out.stdout),
        stderr,
        took: started.elapsed(),
    }
}

/// A clean failure: exit 2, an `error:` line that names the call, nothing on stdout.
fn assert_clean_failure(run: &Run, needles: &[&str]) {
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{:?}", run.stdout);
    assert!(run.stderr.contains("error:"), "{}", run.stderr);
    for needle in needles {
        assert!(
            run.stderr.contains(needle),
            "no {needle:?} in:\n{}",
            run.stderr
        );
    }
}

fn proxy() -> Proxy {
    Proxy::start(moto().endpoint())
}

fn lines(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

// ----- layer-publish -----

/// A zip on disk and its record, as layer-pack writes them.
fn packed(dir: &std::path::Path, name: &str) -> Value {
    let bytes = layer_test_harness::zip_bytes(&[(
        &format!("python/{name}.py"),
        format!("NAME = {name:?}\n").as_bytes(),
    )]);
    let path = dir.join(format!("{name}.zip"));
    std::fs::write(&path, &bytes).unwrap();
    let digest = Sha256::digest(&bytes);
    json!({
        "schema": "layer-record/v1",
        "layer": {"name": name, "version": "1.0.0",
                  "compatible_runtimes": ["python3.12"], "compatible_architectures": ["x86_64"]},
        "artifact": {
            "path": path.display().to_string(), "zip_bytes": bytes.len(),
            "unzipped_bytes": 100, "files": 1,
            "sha256": digest.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "code_sha256": base64::engine::general_purpose::STANDARD.encode(digest),
            "findings": [],
        }
    })
}

async fn versions(account: &Account, name: &str) -> Vec<i64> {
    support::aws_state(account)
        .await
        .layers
        .get(name)
        .cloned()
        .unwrap_or_default()
}

/// Publish one layer through the proxy with these rules; returns the run.
async fn publish_with(account: &Account, proxy: &Proxy, name: &str, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let record = packed(dir.path(), name);
    let mut all = vec!["-v", "--publish-timeout", "2"];
    all.extend_from_slice(args);
    run(account, proxy, "layer-publish", &all, &lines(&[record])).await
}

fn publish_throttled_three_times() -> Pin<Box<dyn Future<Output = Row> + Send>> {
    Box::pin(async {
        let account = Account::new().await;
        let proxy = proxy();
        proxy.add_rule(Rule::new("PublishLayerVersion", Fault::throttle()).times(3));
        let run = publish_with(&account, &proxy, "throttled", &[]).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(versions(&account, "throttled").await, vec![1]);
        let stats = proxy.stats("PublishLayerVersion");
        assert_eq!((stats.received, stats.forwarded), (4, 1), "{}", run.stderr);
        Row {
            tool: "layer-publish",
            fault: "429 TooManyRequestsException",
            injected: "PublishLayerVersion × 3".into(),
            requests: "PublishLayerVersion 4".into(),
            result: "completed, 1 version".into(),
        }
    })
}

fn publish_503_then_lost() -> Pin<Box<dyn Future<Output = Row> + Send>> {
    Box::pin(async {
        let account = Account::new().await;
        let proxy = proxy();
        proxy.add_rule(Rule::new("PublishLayerVersion", Fault::server_error(503)).times(1));
        proxy.add_rule(Rule::new("PublishLayerVersion", Fault::Lost).times(1));
        let run = publish_with(&account, &proxy, "flaky", &[]).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout[0]["published"]["version"], 1);
        assert_eq!(versions(&account, "flaky").await, vec![1], "{}", run.stderr);
        assert_eq!(
            proxy.stats("PublishLayerVersion").received,
            2,
            "{}",
            run.stderr
        );
        Row {
            tool: "layer-publish",
            fault: "503, then answer lost (request landed)",
            injected: "PublishLayerVersion × 2".into(),
            requests: "PublishLayerVersion 2".into(),
            result: "completed, the landed version found and used: 1 version".into(),
        }
    })
}

fn publish_always_lost() -> Pin<Box<dyn Future<Output = Row> + Send>> {
    Box::pin(async {
        let account = Account::new().await;
        let proxy = proxy();
        // Every publish lands, and no answer ever comes back.
        proxy.add_rule(Rule::new("PublishLayerVersion", Fault::Lost));
        let run = publish_with(&account, &proxy, "lost", &["--max-attempts", "3"]).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(versions(&account, "lost").await, vec![1], "{}", run.stderr);
        assert_eq!(
            proxy.stats("PublishLayerVersion").received,
            1,
            "{}",
            run.stderr
        );
        Row {
            tool: "layer-publish",
            fault: "every answer lost (requests land)",
            injected: "PublishLayerVersion, always".into(),
            requests: "PublishLayerVersion 1".into(),
            result: "completed: the landed version is found, never published twice".into(),
        }
    })
}

/// A fault on every PublishLayerVersion: a clean failure within a minute,
/// nothing published; returns how many publishes the proxy saw.
async fn publish_fails_for_good(fault: Fault, name: &str, needles: &[&str]) -> usize {
    let account = Account::new().await;
    let proxy = proxy();
    proxy.add_rule(Rule::new("PublishLayerVersion", fault));
    let run = publish_with(&account, &proxy, name, &["--max-attempts", "3"]).await;
    assert_clean_failure(&run, needles);
    assert!(run.took < Duration::from_secs(60), "{:?}", run.took);
    assert_eq!(versions(&account, name).await, Vec::<i64>::new());
    proxy.stats("PublishLayerVersion").received
}

fn publish_always_500() -> Pin<Box<dyn Future<Output = Row> + Send>> {
    Box::pin(async {
        let received = publish_fails_for_good(
            Fault::server_error(500),
            "down",
            &["PublishLayerVersion", "ServiceException"],
        )
        .await;
        assert_eq!(received, 3);
        Row {
            tool: "layer-publish",
            fault: "500 ServiceException, always",
            injected: "PublishLayerVersion, always (--max-attempts 3)".into(),
            requests: "PublishLayerVersion 3".into(),
            result: "clean failure, exit 2, nothing published".into(),
        }
    })
}

fn publish_always_dropped() -> Pin<Box<dyn Future<Output = Row> + Send>> {
    Box::pin(async {
        let received =
            publish_fails_for_good(Fault::Drop, "dropped", &["PublishLayerVersion"]).await;
        assert_eq!(received, 3);
        Row {
            tool: "layer-publish",
            fault: "connection dropped, always",
            injected: "PublishLayerVersion, always (--max-attempts 3)".into(),
            requests: "PublishLayerVersion 3".into(),
            result: "clean failure, exit 2, nothing published".into(),
        }
    })
}

fn publish_conflict() -> Pin<Box<dyn Future<Output = Row> + Send>> {
    Box::pin(async {
        let received = publish_fails_for_good(
            Fault::conflict(),
            "conflict",
            &["ResourceConflictException", "hint:"],
        )
        .await;
        assert!((1..=3).contains(&received), "{received}");
        Row {
            tool: "layer-publish",
            fault: "409 ResourceConflictException, always",
            injected: "PublishLayerVersion, always (--max-attempts 3)".into(),
            requests: "PublishLayerVersion ≤ 3".into(),
            result: "clean failure, exit 2, nothing published".into(),
        }
    })
}

fn publish_lookup_throttled_and_slow() -> Pin<Box<dyn Future<Output = Row> + Send>> {
    Box::pin(async {
        let account = Account::new().await;
        let proxy = proxy();
        proxy.add_rule(Rule::new("ListLayerVersions", Fault::throttle()).times(2));
        proxy.add_rule(Rule::new("*", Fault::Delay(Duration::from_millis(300))));
        let run = publish_with(&account, &proxy, "slowpoke", &[]).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(versions(&account, "slowpoke").await, vec![1]);
        assert_eq!(
            proxy.stats("PublishLayerVersion").received,
            1,
            "{}",
            run.stderr
        );
        let listed = proxy.stats("ListLayerVersions");
        assert_eq!(listed.received - listed.forwarded, 2, "{}", run.stderr);
        Row {
            tool: "layer-publish",
            fault: "429 on the lookup, 300 ms slow answers",
            injected: "ListLayerVersions × 2; every request delayed".into(),
            requests: "PublishLayerVersion 1".into(),
            result: "completed, 1 version".into(),
        }
    })
}

fn publish_throttled_forever() -> Pin<Box<dyn Future<Output = Row> + Send>> {
    Box::pin(async {
        let account = Account::new().await;
        let proxy = proxy();
        proxy.add_rule(Rule::new("*", Fault::throttle()));
        let run = publish_with(&account, &proxy, "never", &["--max-attempts", "2"]).await;
        assert_clean_failure(&run, &["TooManyRequestsException", "hint:"]);
        assert!(run.took < Duration::from_secs(60), "{:?}", run.took);
        let total: usize = proxy.all_stats().values().map(|s| s.received).sum();
        assert!(total <= 4, "{:?}", proxy.all_stats());
        assert_eq!(versions(&account, "never").await, Vec::<i64>::new());
        Row {
            tool: "layer-publish",
            fault: "429 on every request, always",
            injected: "every operation (--max-attempts 2)".into(),
            requests: "≤ 4 in all".into(),
            result: "clean failure, exit 2, nothing published".into(),
        }
    })
}

// ----- layer-attach -----

/// Layer `common` versions 1 and 2; functions using version 1; the record of
/// version 2 as layer-publish writes it.
async fn attach_setup(account: &Account, functions: &[&str]) -> (String, String, String) {
    let v1 = account
        .publish_layer(REGION, "common", &[("python/c.py", b"1")])
        .await;
    let v2 = account
        .publish_layer(REGION, "common", &[("python/c.py", b"2")])
        .await;
    for name in functions {
        account
            .create_function(REGION, &FunctionSpec::new(*name).layer(&v1))
            .await;
    }
    let record = json!({
        "schema": "layer-record/v1",
        "layer": {"name": "common", "version": "2.0.0",
                  "compatible_runtimes": ["python3.11", "python3.12"],
                  "compatible_architectures": ["x86_64"]},
        "published": {
            "region": REGION, "layer_name": "common",
            "layer_arn": format!("arn:aws:lambda:{REGION}:{}:layer:common", account.id),
            "version_arn": v2, "version": 2,
            "code_sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            "created_date": "2026-11-28T00:00:00.000+0000", "reused": false,
            "compatible_runtimes": ["python3.11", "python3.12"],
            "compatible_architectures": ["x86_64"],
        }
    });
    (v1, v2, lines(&[record]))
}

fn status_of<'a>(record: &'a Value, function: &str) -> &'a str {
    record["attachments"]
        .as_array()
        .and_then(|all| all.iter().find(|a| a["function"] == function))
        .and_then(|a| a["status"].as_str())
        .unwrap_or("(absent)")
}

/// Attach with one function failing for good, then undo the record it wrote.
async fn attach_partial_failure_then_undo(fault: Fault, args: &[&str]) -> (usize, Run) {
    let account = Account::new().await;
    let names = ["fn-a", "fn-b", "fn-c", "fn-d"];
    let (v1, v2, input) = attach_setup(&account, &names).await;
    let before = support::aws_state(&account).await;
    let proxy = Proxy::start(moto().endpoint());
    proxy.add_rule(Rule::new("UpdateFunctionConfiguration", fault).function("fn-c"));
    let mut all = vec![
        "--max-attempts",
        "2",
        "--retry-for",
        "3",
        "--wait-timeout",
        "5",
    ];
    all.extend_from_slice(args);
    let run = run(&account, &proxy, "layer-attach", &all, &input).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.took < Duration::from_secs(90), "{:?}", run.took);
    // The record is written even though the run failed, and says what changed.
    assert_eq!(run.stdout.len(), 1, "{}", run.stderr);
    let record = &run.stdout[0];
    for name in ["fn-a", "fn-b", "fn-d"] {
        assert_eq!(status_of(record, name), "updated", "{name}: {record}");
        assert_eq!(
            account.function_layers(REGION, name).await,
            vec![v2.clone()]
        );
    }
    assert_eq!(status_of(record, "fn-c"), "failed", "{record}");
    assert_eq!(
        account.function_layers(REGION, "fn-c").await,
        vec![v1.clone()]
    );
    let updates_of_c = proxy
        .requests("UpdateFunctionConfiguration")
        .iter()
        .filter(|r| r.function.as_deref() == Some("fn-c"))
        .count();

    // --undo of that record, straight to moto, restores every changed function.
    let undo = account
        .command(tool_path("layer-attach"))
        .arg("--undo")
        .write_stdin(lines(std::slice::from_ref(record)))
        .output()
        .unwrap();
    let undo_err = String::from_utf8_lossy(&undo.stderr);
    assert_eq!(undo.status.code(), Some(0), "{undo_err}");
    for name in names {
        assert_eq!(
            account.function_layers(REGION, name).await,
            vec![v1.clone()],
            "{name}"
        );
    }
    let after = support::aws_state(&account).await;
    assert_eq!(after.layers, before.layers);
    (updates_of_c, run)
}

fn attach_always_500_then_undo() -> Pin<Box<dyn Future<Output = Row> + Send>> {
    Box::pin(async {
        let (updates, run) = attach_partial_failure_then_undo(Fault::server_error(500), &[]).await;
        assert!(
            run.stderr.contains("1 of 4 functions failed"),
            "{}",
            run.stderr
        );
        assert_eq!(updates, 2, "--max-attempts 2: {}", run.stderr);
        Row {
            tool: "layer-attach",
            fault: "500 ServiceException, always, on 1 of 4 functions",
            injected: "UpdateFunctionConfiguration of fn-c, always (--max-attempts 2)".into(),
            requests: "UpdateFunctionConfiguration of fn-c 2".into(),
            result: "exit 1; record lists 3 updated + 1 failed; `--undo` restores all 3".into(),
        }
    })
}

fn attach_always_dropped_then_undo() -> Pin<Box<dyn Future<Output = Row> + Send>> {
    Box::pin(async {
        let (updates, run) = attach_partial_failure_then_undo(Fault::Drop, &[]).await;
        assert!(updates <= 2, "{updates}: {}", run.stderr);
        Row {
            tool: "layer-attach",
            fault: "connection dropped, always, on 1 of 4 functions",
            injected: "UpdateFunctionConfiguration of fn-c, always (--max-attempts 2)".into(),
            requests: "UpdateFunctionConfiguration of fn-c ≤ 2".into(),
            result: "exit 1; record lists 3 updated + 1 failed; `--undo` restores all 3".into(),
        }
    })
}

fn attach_always_throttled_then_undo() -> Pin<Box<dyn Future<Output = Row> + Send>> {
    Box::pin(async {
        let (updates, run) = attach_partial_failure_then_undo(Fault::throttle(), &[]).await;
        assert!((2..=20).contains(&updates), "{updates}: {}", run.stderr);
        Row {
            tool: "layer-attach",
            fault: "429, always, on 1 of 4 functions",
            injected: "UpdateFunctionConfiguration of fn-c, always (--retry-for 3)".into(),
            requests: "UpdateFunctionConfiguration of fn-c ≤ 20".into(),
            result: "exit 1; record lists 3 updated + 1 failed; `--undo` restores all 3".into(),
        }
    })
}

fn attach_in_progress_forever_then_undo() -> Pin<Box<dyn Future<Output = Row> + Send>> {
    Box::pin(async {
        let account = Account::new().await;
        let (v1, _v2, input) = attach_setup(&account, &["fn-a", "fn-b"]).await;
        let proxy = Proxy::start(moto().endpoint());
        // fn-b's update never finishes.
        proxy.add_rule(
            Rule::new("UpdateFunctionConfiguration", Fault::in_progress()).function("fn-b"),
        );
        proxy.add_rule(Rule::new("GetFunction", Fault::in_progress()).function("fn-b"));
        let run = run(
            &account,
            &proxy,
            "layer-attach",
            &["--wait-timeout", "3"],
            &input,
        )
        .await;
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(run.took < Duration::from_secs(60), "{:?}", run.took);
        // Polled with GetFunction (its own quota), a bounded number of times.
        assert_eq!(proxy.stats("GetFunctionConfiguration").received, 0);
        let polls = proxy.stats("GetFunction").received;
        assert!((1..=40).contains(&polls), "{polls}");
        let record = &run.stdout[0];
        assert_eq!(status_of(record, "fn-a"), "updated", "{record}");
        assert_ne!(status_of(record, "fn-b"), "(absent)", "{record}");
        // Undo restores both (fn-b's update did land in moto).
        let undo = account
            .command(tool_path("layer-attach"))
            .arg("--undo")
            .write_stdin(lines(std::slice::from_ref(record)))
            .output()
            .unwrap();
        assert_eq!(
            undo.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&undo.stderr)
        );
        assert_eq!(
            account.function_layers(REGION, "fn-a").await,
            vec![v1.clone()]
        );
        assert_eq!(account.function_layers(REGION, "fn-b").await, vec![v1]);
        Row {
            tool: "layer-attach",
            fault: "LastUpdateStatus InProgress forever",
            injected: "every poll of fn-b (--wait-timeout 3)".into(),
            requests: "polls ≤ 40".into(),
            result:
                "exit 1 after the wait timeout; record written; `--undo` restores both functions"
                    .into(),
        }
    })
}

fn attach_list_503_and_in_progress_polls() -> Pin<Box<dyn Future<Output = Row> + Send>> {
    Box::pin(async {
        let account = Account::new().await;
        let (_v1, v2, input) = attach_setup(&account, &["fn-a", "fn-b", "fn-c"]).await;
        let proxy = Proxy::start(moto().endpoint());
        proxy.add_rule(Rule::new("ListFunctions", Fault::server_error(503)).times(2));
        proxy.add_rule(Rule::new(
            "UpdateFunctionConfiguration",
            Fault::in_progress(),
        ));
        proxy.add_rule(Rule::new("GetFunction", Fault::in_progress()).times(4));
        let run = run(&account, &proxy, "layer-attach", &[], &input).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        for name in ["fn-a", "fn-b", "fn-c"] {
            assert_eq!(status_of(&run.stdout[0], name), "updated");
            assert_eq!(
                account.function_layers(REGION, name).await,
                vec![v2.clone()]
            );
        }
        let listed = proxy.stats("ListFunctions");
        assert_eq!(listed.faulted, 2);
        assert_eq!(proxy.stats("GetFunction").faulted, 4, "{}", run.stderr);
        assert_eq!(
            proxy.stats("UpdateFunctionConfiguration").received,
            3,
            "{}",
            run.stderr
        );
        Row {
            tool: "layer-attach",
            fault: "503 on the inventory, InProgress for 4 polls",
            injected: "ListFunctions × 2; GetFunction × 4".into(),
            requests: "UpdateFunctionConfiguration 3 (one per function)".into(),
            result: "completed, 3 functions updated".into(),
        }
    })
}

// ----- layer-watch -----

async fn watch_setup(account: &Account) {
    let v1 = account
        .publish_layer(REGION, "watched", &[("python/w.py", b"1")])
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("user").layer(&v1))
        .await;
}

fn watch_transient_faults() -> Pin<Box<dyn Future<Output = Row> + Send>> {
    Box::pin(async {
        let account = Account::new().await;
        watch_setup(&account).await;
        let proxy = proxy();
        proxy.add_rule(Rule::new("ListFunctions", Fault::throttle()).times(2));
        proxy.add_rule(
            Rule::new(
                "GetMetricData",
                Fault::error(503, "ServiceUnavailable", "try later"),
            )
            .times(2),
        );
        proxy.add_rule(Rule::new(
            "ListLayerVersions",
            Fault::Delay(Duration::from_millis(500)),
        ));
        let run = run(
            &account,
            &proxy,
            "layer-watch",
            &["watched", "--format", "json"],
            "",
        )
        .await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(!run.stdout.is_empty(), "{}", run.stderr);
        assert_eq!(proxy.stats("ListFunctions").faulted, 2);
        assert_eq!(
            proxy.stats("GetMetricData").faulted,
            2,
            "{:?}",
            proxy.all_stats()
        );
        Row {
            tool: "layer-watch",
            fault: "429 on the inventory, 503 from CloudWatch, 500 ms slow listing",
            injected: "ListFunctions × 2; GetMetricData × 2; ListLayerVersions delayed".into(),
            requests: "ListFunctions 3, GetMetricData 3".into(),
            result: "completed, full report".into(),
        }
    })
}

fn watch_metrics_down() -> Pin<Box<dyn Future<Output = Row> + Send>> {
    Box::pin(async {
        let account = Account::new().await;
        watch_setup(&account).await;
        let proxy = proxy();
        proxy.add_rule(Rule::new(
            "GetMetricData",
            Fault::error(500, "InternalFailure", "down"),
        ));
        let run = run(
            &account,
            &proxy,
            "layer-watch",
            &["watched", "--format", "json", "--max-attempts", "2"],
            "",
        )
        .await;
        assert!(run.took < Duration::from_secs(60), "{:?}", run.took);
        assert_eq!(proxy.stats("GetMetricData").received, 2, "{}", run.stderr);
        assert!(run.stderr.contains("GetMetricData"), "{}", run.stderr);
        assert!(
            run.code == 2 || run.code == 1 || run.code == 0,
            "{}",
            run.stderr
        );
        let result = match run.code {
            2 => {
                assert_clean_failure(&run, &["InternalFailure"]);
                "clean failure, exit 2, message names GetMetricData"
            }
            _ => "report without metrics, warning names GetMetricData",
        };
        Row {
            tool: "layer-watch",
            fault: "500 from CloudWatch, always",
            injected: "GetMetricData, always (--max-attempts 2)".into(),
            requests: "GetMetricData 2".into(),
            result: result.into(),
        }
    })
}

fn watch_dropped_forever() -> Pin<Box<dyn Future<Output = Row> + Send>> {
    Box::pin(async {
        let account = Account::new().await;
        watch_setup(&account).await;
        let proxy = proxy();
        proxy.add_rule(Rule::new("ListFunctions", Fault::Drop));
        let run = run(
            &account,
            &proxy,
            "layer-watch",
            &["watched", "--max-attempts", "3"],
            "",
        )
        .await;
        assert_clean_failure(&run, &["ListFunctions"]);
        assert!(run.took < Duration::from_secs(60), "{:?}", run.took);
        assert_eq!(proxy.stats("ListFunctions").received, 3, "{}", run.stderr);
        Row {
            tool: "layer-watch",
            fault: "connection dropped, always",
            injected: "ListFunctions, always (--max-attempts 3)".into(),
            requests: "ListFunctions 3".into(),
            result: "clean failure, exit 2".into(),
        }
    })
}

const SCENARIOS: &[Scenario] = &[
    publish_throttled_three_times,
    publish_503_then_lost,
    publish_always_lost,
    publish_always_500,
    publish_always_dropped,
    publish_conflict,
    publish_lookup_throttled_and_slow,
    publish_throttled_forever,
    attach_always_500_then_undo,
    attach_always_dropped_then_undo,
    attach_always_throttled_then_undo,
    attach_in_progress_forever_then_undo,
    attach_list_503_and_in_progress_polls,
    watch_transient_faults,
    watch_metrics_down,
    watch_dropped_forever,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_tool_completes_or_fails_cleanly_under_faults() {
    // Scenarios are independent (an account and a proxy each): run them together.
    let mut tasks = tokio::task::JoinSet::new();
    for (index, scenario) in SCENARIOS.iter().enumerate() {
        let scenario = *scenario;
        tasks.spawn(async move { (index, scenario().await) });
    }
    let rows = layer_test_harness::join_in_order(tasks).await;
    let mut table = vec![
        support::row(&[
            "tool",
            "fault",
            "injected on",
            "requests (asserted)",
            "result",
        ]),
        support::row(&["---", "---", "---", "---", "---"]),
    ];
    for row in &rows {
        table.push(support::row(&[
            row.tool,
            row.fault,
            &row.injected,
            &row.requests,
            &row.result,
        ]));
    }
    table.push(String::new());
    table.push(format!("{} fault scenarios, every one passed.", rows.len()));
    support::reliability_section("faults", &table.join("\n"));
}
