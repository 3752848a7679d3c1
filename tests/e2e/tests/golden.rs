//! The golden corpus: `tests/golden/<case>/` holds the command line (`args`), the
//! records piped in (`in.jsonl`, optional: without it stdin is /dev/null), the
//! records the tool must write (`out.jsonl`), and optionally the exit status
//! (`status`, default 0) and the whole of stderr (`err`). Only record
//! transformations that need no AWS: they run in a clean environment, with no
//! region and no credentials.
//!
//! In `args` and `in.jsonl`, `$CASE` is the case's folder and `$OUT` a fresh
//! temporary folder (the working directory); in the outputs those paths read as
//! `$CASE` and `$OUT`, and `artifact.timing_ms` values as 0.
//!
//! `GOLDEN_UPDATE=1 cargo test -p layer-tools-e2e --test golden` rewrites the
//! expected files from what the tools write (never when `CI` is set): review
//! the diff before committing it.

use std::path::{Path, PathBuf};
use std::process::Command;

use layer_tools_e2e::{TOOLS, output_with_stdin, tool_path};
use serde_json::Value;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../golden")
}

/// What a case's run gave, with its paths and timings made stable.
#[derive(Debug, PartialEq)]
struct Outcome {
    status: i32,
    stdout: String,
    stderr: String,
}

fn run_case(case: &Path) -> Outcome {
    let case = case.canonicalize().unwrap();
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().canonicalize().unwrap();
    let expand = |text: &str| {
        text.replace("$CASE", case.to_str().unwrap())
            .replace("$OUT", out_dir.to_str().unwrap())
    };
    let args = std::fs::read_to_string(case.join("args")).expect("every case has args");
    let words = shlex::split(&expand(args.trim())).expect("args: balanced quotes");
    let (tool, args) = words.split_first().expect("args: a tool and its arguments");
    assert!(TOOLS.contains(&tool.as_str()), "args: {tool} is not a tool");
    let mut command = Command::new(tool_path(tool));
    command
        .args(args)
        .current_dir(&out_dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &out_dir)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("LAYER_PACK_CACHE_DIR", out_dir.join(".cache"));
    let input = std::fs::read_to_string(case.join("in.jsonl"))
        .ok()
        .map(|text| expand(&text));
    let output = output_with_stdin(&mut command, input.as_deref());
    let stable = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .replace(out_dir.to_str().unwrap(), "$OUT")
            .replace(case.to_str().unwrap(), "$CASE")
    };
    Outcome {
        status: output.status.code().unwrap_or(-1),
        stdout: stable_records(&stable(&output.stdout)),
        stderr: stable(&output.stderr),
    }
}

/// Records with their timings zeroed, one compact line each.
fn stable_records(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let mut record: Value = serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("stdout is not JSON Lines ({err}): {line}"));
            if let Some(timing) = record
                .pointer_mut("/artifact/timing_ms")
                .and_then(Value::as_object_mut)
            {
                timing.values_mut().for_each(|ms| *ms = Value::from(0));
            }
            layer_test_harness::schema::assert_valid(&record);
            format!("{record}\n")
        })
        .collect()
}

fn expected(case: &Path) -> Outcome {
    let read = |name: &str| std::fs::read_to_string(case.join(name)).ok();
    Outcome {
        status: read("status").map_or(0, |s| s.trim().parse().expect("status: a number")),
        stdout: read("out.jsonl").unwrap_or_default(),
        stderr: read("err").unwrap_or_default(),
    }
}

fn update(case: &Path, actual: &Outcome) {
    std::fs::write(case.join("out.jsonl"), &actual.stdout).unwrap();
    match actual.status {
        0 => drop(std::fs::remove_file(case.join("status"))),
        status => std::fs::write(case.join("status"), format!("{status}\n")).unwrap(),
    }
    // stderr is checked for failures (the message is the output then).
    if actual.status == 0 {
        drop(std::fs::remove_file(case.join("err")));
    } else {
        std::fs::write(case.join("err"), &actual.stderr).unwrap();
    }
}

#[test]
fn every_golden_case_gives_its_records() {
    let updating = std::env::var_os("GOLDEN_UPDATE").is_some() && std::env::var_os("CI").is_none();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("args").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "the corpus is missing: {cases:?}");
    let mut failures = Vec::new();
    for case in &cases {
        let actual = run_case(case);
        if updating {
            update(case, &actual);
            continue;
        }
        let mut want = expected(case);
        if !case.join("err").is_file() {
            want.stderr = actual.stderr.clone();
        }
        if actual != want {
            failures.push(format!(
                "{}:\n  status {} (want {})\n  stdout:\n{}  want:\n{}  stderr:\n{}  want:\n{}",
                case.file_name().unwrap().to_string_lossy(),
                actual.status,
                want.status,
                actual.stdout,
                want.stdout,
                actual.stderr,
                want.stderr
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden case(s) differ (GOLDEN_UPDATE=1 rewrites them):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
