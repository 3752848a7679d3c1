//! One input rule for every tool (docs/contract.md, "Input"): a file, `-`, or
//! stdin when something is piped or redirected in; never a terminal or
//! /dev/null. A tool that needs records stops with a usage error when there are
//! none; one whose records are optional starts from a new record. The same
//! rule through every binary (the tools' own tests cover their pipes).

use std::process::Command;

use layer_tools_e2e::{output_with_stdin, tool_path};

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Run a tool with no AWS settings at all: these cases stop before any call.
fn run(tool: &str, args: &[&str], stdin: Option<&str>) -> Ran {
    let mut command = Command::new(tool_path(tool));
    command
        .args(args)
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    let out = output_with_stdin(&mut command, stdin);
    Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn tools_that_need_records_refuse_to_run_with_nothing_piped_in() {
    for (tool, message) in [
        (
            "layer-publish",
            "no input: no file was given and nothing is piped in",
        ),
        (
            "layer-attach",
            "no input: no file was given and nothing is piped in",
        ),
        ("layer-watch", "no layer given and nothing piped in"),
    ] {
        let ran = run(tool, &[], None);
        assert_eq!(ran.code, Some(2), "{tool}: {}", ran.stderr);
        assert!(ran.stdout.is_empty(), "{tool}");
        assert!(ran.stderr.contains(message), "{tool}: {}", ran.stderr);
        assert!(
            ran.stderr.contains(&format!("{tool}: hint:")),
            "{tool}: {}",
            ran.stderr
        );
    }
}

#[test]
fn a_pipe_is_read_even_when_it_is_empty() {
    // An upstream stage that wrote nothing: read, and nothing to do.
    for tool in ["layer-publish", "layer-attach"] {
        let ran = run(tool, &[], Some(""));
        assert_eq!(ran.code, Some(0), "{tool}: {}", ran.stderr);
        assert!(ran.stdout.is_empty(), "{tool}");
        assert!(
            ran.stderr.contains("no records in the input"),
            "{tool}: {}",
            ran.stderr
        );
    }
    let ran = run("layer-watch", &[], Some(""));
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("no records on stdin"), "{}", ran.stderr);
}

#[test]
fn what_is_piped_in_is_read_as_records_by_every_tool() {
    // Not JSON on stdin: each tool read it (and says how to stop that where it can).
    let script = "echo this is the rest of a CI script\n";
    let dir = tempfile::tempdir().unwrap();
    let layer = dir.path().join("layer");
    std::fs::create_dir_all(layer.join("python/lib")).unwrap();
    std::fs::write(
        layer.join("layer.yaml"),
        "name: lib\ncompatible_runtimes: [python3.12]\n",
    )
    .unwrap();
    std::fs::write(layer.join("python/lib/__init__.py"), "A = 1\n").unwrap();
    let layer = layer.to_str().unwrap();
    let out_dir = dir.path().join("dist");
    let out_dir = out_dir.to_str().unwrap();
    for (tool, args) in [
        ("layer-bump", vec!["-C", ".."]),
        ("layer-pack", vec!["--out-dir", out_dir, layer]),
        ("layer-publish", vec![]),
        ("layer-attach", vec![]),
        ("layer-watch", vec![]),
    ] {
        let ran = run(tool, &args, Some(script));
        assert_eq!(ran.code, Some(2), "{tool}: {}", ran.stderr);
        assert!(ran.stdout.is_empty(), "{tool}");
        assert!(
            ran.stderr
                .contains("stdin: line 1, column 1: not valid JSON"),
            "{tool}: {}",
            ran.stderr
        );
        assert!(
            ran.stderr.contains("`< /dev/null` stops that"),
            "{tool}: {}",
            ran.stderr
        );
    }
    // --no-input leaves stdin alone where records are optional.
    let ran = run(
        "layer-pack",
        &["--no-input", "--out-dir", out_dir, layer],
        Some(script),
    );
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(ran.stdout.contains("\"artifact\""), "{}", ran.stdout);
}
