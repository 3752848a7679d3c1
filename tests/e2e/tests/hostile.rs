//! The corpus of hostile inputs in tests/hostile/<case>/, driven through the
//! real binaries: each case is refused with its expected exit code and message,
//! and nothing is written, overwritten, published or changed.
//!
//! A case is a folder with `case.json`:
//!
//! ```json
//! { "title": "what the input is", "category": "records",
//!   "tools": ["layer-publish", "layer-attach"], "args": ["--dry-run"],
//!   "stdin": "input.jsonl", "aws": true,
//!   "exit": 2, "stderr": ["truncated"],
//!   "as_root": { "exit": 0, "stderr": [], "writes": true, "why": "..." } }
//! ```
//!
//! and optionally `setup.sh`, run with `sh` in a scratch copy of the folder
//! before the tool (to make zips, symlinks, sparse files, git repositories;
//! `tests/hostile/lib.sh`, at `$HOSTILE_LIB`, has helpers for them).
//! In `args` and in the stdin file, `{account}`, `{region}` and `{dir}` (the
//! scratch folder) are replaced. AWS cases run in a fresh moto account that
//! holds a layer `base` (version 1) used by a function `victim`; before and
//! after the tool, every layer version and every function's layers and
//! revision are compared. Every file in the scratch folder is compared too
//! (and git refs where there is a repository). `as_root` is the expectation
//! when the tests run as root, for cases root sees differently (root reads a
//! chmod-000 file).
//!
//! The table of cases in docs/reliability.md is generated from this run.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use layer_test_harness::{Account, FunctionSpec, REGION};
use layer_tools_e2e::tool_path;
use serde_json::Value;

#[derive(Debug, Clone)]
struct Case {
    name: String,
    dir: PathBuf,
    spec: Value,
}

#[derive(Debug, Clone)]
struct Expect {
    exit: i32,
    stderr: Vec<String>,
    writes: bool,
}

impl Case {
    fn str(&self, key: &str) -> String {
        self.spec[key].as_str().unwrap_or_default().to_string()
    }

    fn strings(&self, key: &str) -> Vec<String> {
        strings(&self.spec[key])
    }

    fn aws(&self) -> bool {
        self.spec["aws"].as_bool().unwrap_or(false)
    }

    fn expect(&self, as_root: bool) -> Expect {
        let spec = match &self.spec["as_root"] {
            Value::Object(_) if as_root => &self.spec["as_root"],
            _ => &self.spec,
        };
        Expect {
            exit: spec["exit"].as_i64().unwrap_or(2) as i32,
            stderr: strings(&spec["stderr"]),
            writes: spec["writes"].as_bool().unwrap_or(false),
        }
    }
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../hostile")
}

fn load_cases() -> Vec<Case> {
    let mut cases: Vec<Case> = std::fs::read_dir(corpus_dir())
        .expect("tests/hostile exists")
        .map(|entry| entry.unwrap().path())
        .filter(|dir| dir.join("case.json").is_file())
        .map(|dir| {
            let text = std::fs::read_to_string(dir.join("case.json")).unwrap();
            let spec: Value = serde_json::from_str(&text)
                .unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
            Case {
                name: dir.file_name().unwrap().to_string_lossy().into_owned(),
                dir,
                spec,
            }
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

fn running_as_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_inputs_are_refused_and_change_nothing() {
    let all = load_cases();
    assert!(all.len() >= 30, "the corpus shrank: {} cases", all.len());
    // HOSTILE_CASE=substring runs only matching cases (and checks no table).
    let only = std::env::var("HOSTILE_CASE").ok();
    let cases: Vec<Case> = all
        .into_iter()
        .filter(|case| only.as_ref().is_none_or(|o| case.name.contains(o.as_str())))
        .collect();
    let as_root = running_as_root();
    let limit = Arc::new(tokio::sync::Semaphore::new(4));
    let mut runs = tokio::task::JoinSet::new();
    for case in &cases {
        for tool in case.strings("tools") {
            let case = case.clone();
            let limit = limit.clone();
            runs.spawn(async move {
                let _permit = limit.acquire_owned().await.unwrap();
                let started = std::time::Instant::now();
                let outcome = run_case(&case, &tool, as_root).await;
                eprintln!(
                    "hostile: {} ({tool}) {} in {:.1?}",
                    case.name,
                    if outcome.is_ok() { "ok" } else { "FAILED" },
                    started.elapsed()
                );
                (case.name.clone(), tool, outcome)
            });
        }
    }
    let mut failures = Vec::new();
    let mut ran: BTreeMap<String, Vec<String>> = BTreeMap::new();
    while let Some(joined) = runs.join_next().await {
        let (name, tool, outcome) = joined.expect("case task");
        match outcome {
            Ok(()) => ran.entry(name).or_default().push(tool),
            Err(why) => failures.push(format!("{name} ({tool}): {why}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    if only.is_none() {
        support::reliability_section("hostile", &table(&cases, &ran));
    }
}

fn table(cases: &[Case], ran: &BTreeMap<String, Vec<String>>) -> String {
    let mut lines = vec![
        support::row(&[
            "category",
            "hostile input (tests/hostile/…)",
            "tools",
            "runs",
            "result",
        ]),
        support::row(&["---", "---", "---", "---:", "---"]),
    ];
    let mut sorted: Vec<&Case> = cases.iter().collect();
    sorted.sort_by_key(|case| (case.str("category"), case.name.clone()));
    let mut total = 0;
    for case in sorted {
        let tools = case.strings("tools");
        total += ran.get(&case.name).map_or(0, Vec::len);
        let expect = case.expect(false);
        let mut result = format!(
            "exit {}, {}{}",
            expect.exit,
            expect
                .stderr
                .iter()
                .map(|needle| format!("\"{needle}\""))
                .collect::<Vec<_>>()
                .join(" + "),
            if expect.writes {
                ""
            } else {
                "; nothing written or changed"
            }
        );
        if case.spec["as_root"].is_object() {
            let root = case.expect(true);
            result.push_str(&format!(
                " (as root: exit {}; {})",
                root.exit,
                case.spec["as_root"]["why"].as_str().unwrap_or("")
            ));
        }
        lines.push(support::row(&[
            &case.str("category"),
            &format!("{} (`{}`)", case.str("title"), case.name),
            &tools
                .iter()
                .map(|t| t.trim_start_matches("layer-"))
                .collect::<Vec<_>>()
                .join(", "),
            &tools.len().to_string(),
            &result,
        ]));
    }
    lines.push(String::new());
    lines.push(format!(
        "{} cases, {total} tool runs, every one passed.",
        cases.len()
    ));
    lines.join("\n")
}

/// One case through one tool; `Err` says what went wrong.
async fn run_case(case: &Case, tool: &str, as_root: bool) -> Result<(), String> {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().to_path_buf();
    copy_dir(&case.dir, &dir);
    let account = if case.aws() {
        let account = Account::new().await;
        let base = account
            .publish_layer(REGION, "base", &[("python/base.py", b"BASE = 1\n")])
            .await;
        account
            .create_function(REGION, &FunctionSpec::new("victim").layer(&base))
            .await;
        Some(account)
    } else {
        None
    };
    let vars: Vec<(&str, String)> = vec![
        (
            "{account}",
            account.as_ref().map(|a| a.id.clone()).unwrap_or_default(),
        ),
        ("{region}", REGION.to_string()),
        ("{dir}", dir.display().to_string()),
    ];
    let substitute = |text: &str| {
        vars.iter().fold(text.to_string(), |acc, (key, value)| {
            acc.replace(key, value)
        })
    };
    if dir.join("setup.sh").is_file() {
        let out = std::process::Command::new("sh")
            .arg("setup.sh")
            .current_dir(&dir)
            .env("ACCOUNT", &vars[0].1)
            .env("HOSTILE_LIB", corpus_dir().join("lib.sh"))
            .output()
            .unwrap();
        if !out.status.success() {
            return Err(format!(
                "setup.sh failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    let stdin = match case.str("stdin") {
        name if name.is_empty() => None,
        name => Some(
            std::fs::read(dir.join(&name))
                .map(|bytes| match String::from_utf8(bytes) {
                    Ok(text) => substitute(&text).into_bytes(),
                    Err(raw) => raw.into_bytes(),
                })
                .map_err(|err| format!("stdin {name}: {err}"))?,
        ),
    };
    let args: Vec<String> = case.strings("args").iter().map(|a| substitute(a)).collect();

    let files_before = snapshot(&dir);
    let aws_before = match &account {
        Some(account) => Some(support::aws_state(account).await),
        None => None,
    };
    let mut command = match &account {
        Some(account) => account.command(tool_path(tool)),
        None => Account::bare_command(tool_path(tool)),
    };
    command
        .args(&args)
        .current_dir(&dir)
        .timeout(Duration::from_secs(180));
    // Without a stdin file, stdin is /dev/null (what `output()` gives).
    if let Some(bytes) = stdin {
        command.write_stdin(bytes);
    }
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .map_err(|err| format!("could not run {tool}: {err}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let expect = case.expect(as_root);
    let mut problems = Vec::new();
    if out.status.code() != Some(expect.exit) {
        problems.push(format!(
            "exit {:?}, expected {}",
            out.status.code(),
            expect.exit
        ));
    }
    for needle in &expect.stderr {
        if !stderr.contains(needle.as_str()) {
            problems.push(format!("stderr lacks {needle:?}"));
        }
    }
    if expect.exit == 2 {
        if !out.stdout.is_empty() {
            problems.push(format!(
                "stdout is not empty: {}",
                String::from_utf8_lossy(&out.stdout)
            ));
        }
        if !stderr.contains("error:") {
            problems.push("stderr has no `error:` line".into());
        }
    }
    if stderr.contains("panicked") {
        problems.push("the tool panicked".into());
    }
    if !expect.writes {
        let files_after = snapshot(&dir);
        if files_after != files_before {
            problems.push(format!(
                "files changed: {}",
                diff(&files_before, &files_after)
            ));
        }
        if let (Some(account), Some(before)) = (&account, aws_before) {
            let after = support::aws_state(account).await;
            if after != before {
                problems.push(format!("AWS changed: {before:?} -> {after:?}"));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n--- stderr:\n{stderr}", problems.join("; ")))
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file, link and git ref under a folder: path -> what it is.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    walk(dir, dir, &mut found);
    found
}

fn walk(root: &Path, dir: &Path, found: &mut BTreeMap<String, String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let relative = path.strip_prefix(root).unwrap().display().to_string();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).unwrap_or_default();
            found.insert(relative, format!("link to {}", target.display()));
        } else if meta.is_dir() && entry.file_name() == ".git" {
            found.insert(relative, git_refs(dir));
        } else if meta.is_dir() {
            walk(root, &path, found);
        } else if !meta.is_file() {
            // A fifo or socket: opening it to read would block.
            found.insert(relative, "special file".into());
        } else if meta.len() > 1 << 20 {
            // Big (often sparse) files: size and mtime are enough to see a write.
            found.insert(
                relative,
                format!("{} bytes, mtime {:?}", meta.len(), meta.modified().ok()),
            );
        } else {
            let what = match std::fs::read(&path) {
                Ok(bytes) => format!("{} bytes, hash {:016x}", bytes.len(), fnv(&bytes)),
                Err(err) => format!("unreadable ({})", err.kind()),
            };
            found.insert(relative, what);
        }
    }
}

fn git_refs(repo: &Path) -> String {
    let out = std::process::Command::new("git")
        .args(["for-each-ref", "--format=%(refname) %(objectname)"])
        .current_dir(repo)
        .output()
        .unwrap();
    format!("git refs: {}", String::from_utf8_lossy(&out.stdout).trim())
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

fn diff(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> String {
    let mut changes = Vec::new();
    for (path, what) in after {
        match before.get(path) {
            None => changes.push(format!("+{path}")),
            Some(old) if old != what => changes.push(format!("~{path}")),
            _ => {}
        }
    }
    changes.extend(
        before
            .keys()
            .filter(|p| !after.contains_key(*p))
            .map(|p| format!("-{p}")),
    );
    changes.join(", ")
}
