//! layer-attach stopped at many moments of a deploy: SIGINT, SIGTERM (once,
//! and twice: "stop at once") and SIGKILL, against moto behind the proxy's AWS
//! model (updates `InProgress` for a second, 409 while they are, Lambda's
//! quotas), so that updates are in flight when the signal comes. After each
//! stop, every function moto shows changed must be named by the record on
//! stdout (SIGINT, SIGTERM) or by the journal (SIGKILL: no record), and
//! `--undo` (of the record, or `--undo --journal`) must bring every function
//! back to its `before` list. The figures go to docs/reliability.md.

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use layer_test_harness::proxy::Proxy;
use layer_test_harness::reliability;
use layer_test_harness::schema::parse_valid_lines;
use layer_test_harness::{Account, FunctionSpec, REGION, moto};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_layer-attach");
/// Functions per run: enough that a run takes a few seconds at `--rate 5`.
const FUNCTIONS: usize = 10;
/// Runs at the same time (each in an account of its own).
const PARALLEL: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kill {
    Int,
    Term,
    /// The signal twice, 100 ms apart: write what is done and stop at once.
    IntTwice,
    TermTwice,
    Nine,
}

impl Kill {
    fn label(self) -> &'static str {
        match self {
            Kill::Int => "SIGINT",
            Kill::Term => "SIGTERM",
            Kill::IntTwice => "SIGINT twice",
            Kill::TermTwice => "SIGTERM twice",
            Kill::Nine => "SIGKILL",
        }
    }

    fn signal(self) -> &'static str {
        match self {
            Kill::Int | Kill::IntTwice => "INT",
            Kill::Term | Kill::TermTwice => "TERM",
            Kill::Nine => "KILL",
        }
    }

    fn exit_code(self) -> Option<i32> {
        match self {
            Kill::Int | Kill::IntTwice => Some(130),
            Kill::Term | Kill::TermTwice => Some(143),
            Kill::Nine => None,
        }
    }
}

/// When the signal is sent.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Moment {
    /// This long after the start (planning, or the first updates).
    After(u64),
    /// Once the journal has this many lines (1 is the run's line, then a
    /// `begin` and an `end` per function).
    Lines(usize),
}

impl Moment {
    fn label(self) -> String {
        match self {
            Moment::After(ms) => format!("{ms} ms after the start"),
            Moment::Lines(n) => format!("journal at {n} lines"),
        }
    }
}

const MOMENTS: &[Moment] = &[
    Moment::After(150),
    Moment::Lines(2),
    Moment::Lines(4),
    Moment::Lines(7),
    Moment::Lines(10),
    Moment::Lines(14),
    Moment::Lines(18),
    Moment::Lines(21),
];

/// What one stop came to.
struct Tried {
    kill: Kill,
    moment: Moment,
    /// Functions moto showed changed after the stop.
    changed: usize,
    /// Functions `--undo` restored (or found already back).
    restored: usize,
    /// Where the changed functions were named.
    named_by: &'static str,
}

fn lines(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

fn record(v2: &str, account: &str) -> Value {
    json!({
        "schema": "layer-record/v1",
        "layer": {"name": "common", "version": "2.0.0",
                  "compatible_runtimes": ["python3.11", "python3.12"],
                  "compatible_architectures": ["x86_64"]},
        "published": {
            "region": REGION, "layer_name": "common",
            "layer_arn": format!("arn:aws:lambda:{REGION}:{account}:layer:common"),
            "version_arn": v2, "version": 2,
            "code_sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            "created_date": "2026-11-28T00:00:00.000+0000", "reused": false,
            "compatible_runtimes": ["python3.11", "python3.12"],
            "compatible_architectures": ["x86_64"],
        }
    })
}

fn journal_lines(path: &Path) -> usize {
    std::fs::read(path)
        .map(|bytes| bytes.iter().filter(|&&b| b == b'\n').count())
        .unwrap_or(0)
}

/// Start layer-attach, stop it at `moment` with `kill`; returns its exit
/// status, stdout and stderr.
fn run_and_stop(
    account: &Account,
    endpoint: &str,
    dir: &Path,
    input: &str,
    kill: Kill,
    moment: Moment,
) -> (std::process::ExitStatus, Vec<u8>, String) {
    let (input_path, out_path, err_path) = (dir.join("in"), dir.join("out"), dir.join("err"));
    std::fs::write(&input_path, input).unwrap();
    let journal = dir.join("journal.jsonl");
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .envs(account.env())
        .env("AWS_ENDPOINT_URL", endpoint)
        .args(["--rate", "5", "--journal"])
        .arg(&journal)
        .stdin(std::fs::File::open(&input_path).unwrap())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap());
    let mut child = command.spawn().unwrap();
    let started = Instant::now();
    let limit = Duration::from_secs(60);
    // Wait for the moment (or the end of the run, when it comes first).
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        let now = match moment {
            Moment::After(ms) => started.elapsed() >= Duration::from_millis(ms),
            Moment::Lines(n) => journal_lines(&journal) >= n,
        };
        if now {
            let signal = |name: &str| {
                Command::new("kill")
                    .args(["-s", name, &child.id().to_string()])
                    .status()
                    .unwrap();
            };
            signal(kill.signal());
            if matches!(kill, Kill::IntTwice | Kill::TermTwice) {
                std::thread::sleep(Duration::from_millis(100));
                signal(kill.signal());
            }
            break;
        }
        assert!(started.elapsed() < limit, "the moment never came");
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < limit, "layer-attach did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status,
        std::fs::read(&out_path).unwrap(),
        std::fs::read_to_string(&err_path).unwrap(),
    )
}

/// The functions a record or journal names as (possibly) changed.
fn named(entries: &[Value]) -> BTreeSet<String> {
    entries
        .iter()
        .filter(|e| matches!(e["status"].as_str(), Some("updated" | "unknown" | "failed")))
        .map(|e| e["function"].as_str().unwrap().to_string())
        .collect()
}

async fn stop_once(kill: Kill, moment: Moment) -> Tried {
    let account = Account::new().await;
    let v1 = account
        .publish_layer(REGION, "common", &[("python/c.py", b"1")])
        .await;
    let v2 = account
        .publish_layer(REGION, "common", &[("python/c.py", b"2")])
        .await;
    let names: Vec<String> = (0..FUNCTIONS).map(|i| format!("fn-{i:02}")).collect();
    for name in &names {
        account
            .create_function(REGION, &FunctionSpec::new(name).layer(&v1))
            .await;
    }
    let proxy = Proxy::start(moto().endpoint());
    let dir = tempfile::tempdir().unwrap();
    let input = lines(&[record(&v2, &account.id)]);
    let account = Arc::new(account);
    let (status, stdout, stderr) = {
        let (account, endpoint, dir) = (
            account.clone(),
            proxy.endpoint().to_string(),
            dir.path().to_path_buf(),
        );
        tokio::task::spawn_blocking(move || {
            run_and_stop(&account, &endpoint, &dir, &input, kill, moment)
        })
        .await
        .unwrap()
    };
    let case = format!("{} at {}", kill.label(), moment.label());
    assert!(!stderr.contains("panicked"), "{case}: {stderr}");
    // An update the proxy admitted just before a SIGKILL may still be on its
    // way to moto: let it land before reading moto's state.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut changed = BTreeSet::new();
    for name in &names {
        let layers = account.function_layers(REGION, name).await;
        if layers != [v1.clone()] {
            assert_eq!(layers, std::slice::from_ref(&v2), "{case}: {name}");
            changed.insert(name.clone());
        }
    }

    let records = parse_valid_lines(&stdout);
    let journal = dir.path().join("journal.jsonl");
    let finished = status.code() == Some(0);
    let (named_by, named_set) = if status.signal().is_some() && !journal.exists() {
        // The signal came before the tool listened for it (it was still
        // starting): the default action killed it before any change.
        assert!(
            changed.is_empty(),
            "{case}: killed early, yet {changed:?} changed"
        );
        ("nothing changed", BTreeSet::new())
    } else if kill == Kill::Nine {
        // Judged by the journal alone, even when the run ended just before
        // the kill (then it also wrote its record).
        if !finished {
            assert_eq!(status.signal(), Some(9), "{case}: {status:?}");
        }
        // Every function with a `begin` line: it may have changed.
        let begun: BTreeSet<String> = std::fs::read_to_string(&journal)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|line| line["event"] == "begin")
            .map(|line| line["function"].as_str().unwrap().to_string())
            .collect();
        ("journal", begun)
    } else {
        if !finished {
            assert_eq!(status.code(), kill.exit_code(), "{case}: {stderr}");
            assert!(
                stderr.contains("layer-attach: stopped: "),
                "{case}: {stderr}"
            );
        }
        // Planning stopped: nothing changed, nothing written.
        if records.is_empty() {
            assert!(
                changed.is_empty(),
                "{case}: no record, yet {changed:?} changed\n{stderr}"
            );
            ("record", BTreeSet::new())
        } else {
            assert_eq!(records.len(), 1, "{case}: {stderr}");
            let entries = records[0]["attachments"].as_array().unwrap().clone();
            // The record is complete: every function, with before and after.
            assert_eq!(entries.len(), FUNCTIONS, "{case}: {}", records[0]);
            for entry in &entries {
                let status = entry["status"].as_str().unwrap();
                assert!(
                    matches!(status, "updated" | "not_started" | "unknown"),
                    "{case}: {entry}"
                );
                assert_eq!(entry["before"], json!([v1]), "{case}: {entry}");
                assert_eq!(entry["after"], json!([v2]), "{case}: {entry}");
                if status == "not_started" {
                    let name = entry["function"].as_str().unwrap();
                    assert!(
                        !changed.contains(name),
                        "{case}: {name} not_started but changed"
                    );
                }
            }
            ("record", named(&entries))
        }
    };
    let unnamed: Vec<&String> = changed.difference(&named_set).collect();
    assert!(
        unnamed.is_empty(),
        "{case}: changed without a record or journal entry: {unnamed:?}\n{stderr}"
    );

    if named_set.is_empty() {
        return Tried {
            kill,
            moment,
            changed: 0,
            restored: 0,
            named_by,
        };
    }
    // --undo brings every function back to its before list.
    let mut undo = account.command(BIN);
    undo.env("AWS_ENDPOINT_URL", proxy.endpoint()).arg("--undo");
    if named_by == "journal" {
        undo.arg("--journal").arg(&journal);
    } else {
        undo.write_stdin(lines(&records));
    }
    let restored_run = tokio::task::spawn_blocking(move || {
        undo.timeout(Duration::from_secs(120)).output().unwrap()
    })
    .await
    .unwrap();
    let undo_err = String::from_utf8_lossy(&restored_run.stderr).into_owned();
    assert_eq!(
        restored_run.status.code(),
        Some(0),
        "{case}: undo: {undo_err}"
    );
    let mut restored = 0;
    for name in &names {
        let layers = account.function_layers(REGION, name).await;
        assert_eq!(
            layers,
            std::slice::from_ref(&v1),
            "{case}: {name} not restored: {undo_err}"
        );
        if changed.contains(name) {
            restored += 1;
        }
    }
    Tried {
        kill,
        moment,
        changed: changed.len(),
        restored,
        named_by,
    }
}

fn path_of_docs() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/reliability.md")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_stop_leaves_a_changed_function_without_a_record_and_undo_restores_all() {
    assert!(path_of_docs().exists());
    let mut cases = Vec::new();
    for kill in [Kill::Int, Kill::Term, Kill::Nine] {
        for &moment in MOMENTS {
            cases.push((kill, moment));
        }
    }
    cases.push((Kill::IntTwice, Moment::Lines(4)));
    cases.push((Kill::IntTwice, Moment::Lines(12)));
    cases.push((Kill::TermTwice, Moment::Lines(8)));
    let permits = Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, (kill, moment)) in cases.into_iter().enumerate() {
        let permits = permits.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.unwrap();
            (index, stop_once(kill, moment).await)
        });
    }
    let tried = layer_test_harness::join_in_order(tasks).await;

    let mut table = vec![
        reliability::row(&[
            "signal",
            "sent when",
            "named by",
            "functions changed",
            "restored by --undo",
        ]),
        reliability::row(&["---", "---", "---", "---:", "---:"]),
    ];
    for t in &tried {
        table.push(reliability::row(&[
            t.kill.label(),
            &t.moment.label(),
            t.named_by,
            &t.changed.to_string(),
            &t.restored.to_string(),
        ]));
    }
    let changed: usize = tried.iter().map(|t| t.changed).sum();
    let restored: usize = tried.iter().map(|t| t.restored).sum();
    table.push(String::new());
    table.push(format!(
        "{} stops tried, {changed} functions changed, {restored} restored, every changed \
         function named by the record or the journal.",
        tried.len()
    ));
    reliability::section_with_figures("interrupts", &table.join("\n"), &[3, 4]);
}
