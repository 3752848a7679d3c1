//! `layer-bump check`: exit codes, the reason on stderr, the result on stdout.

mod common;

use common::{bump_in, stderr, valid_lines};

fn check(have: &str, need: &str) -> std::process::Output {
    let dir = std::env::temp_dir();
    bump_in(&dir, &["check", "--have", have, "--need", need])
}

#[test]
fn compatible_is_exit_0_with_a_valid_result() {
    let out = check("1.4.0", "1.2.0");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let record = &valid_lines(&out.stdout)[0];
    assert_eq!(record["schema"], "layer-record/v1");
    let result = &record["check"];
    assert_eq!(result["have"], "1.4.0");
    assert_eq!(result["need"], "^1.2.0");
    assert_eq!(result["compatible"], true);
}

#[test]
fn incompatible_is_exit_1_with_the_reason_on_stderr() {
    for (have, need, reason) in [
        ("2.0.0", "1.2.0", "another major version"),
        ("1.1.0", "1.2.0", "older than the required 1.2.0"),
        (
            "0.3.0",
            "0.2.1",
            "below 1.0.0 the minor version is the breaking level",
        ),
        ("2.0.0", ">=1.2, <2", "does not satisfy <2"),
        ("1.5.0-rc.1", "1.2.0", "pre-release"),
    ] {
        let out = check(have, need);
        assert_eq!(out.status.code(), Some(1), "{have} vs {need}");
        let err = stderr(&out);
        assert!(
            err.contains("layer-bump: found:") && err.contains(reason),
            "{have} vs {need}: {err}"
        );
        let result = &valid_lines(&out.stdout)[0]["check"];
        assert_eq!(result["compatible"], false);
        assert!(result["reason"].as_str().unwrap().contains(reason));
    }
}

#[test]
fn requirement_syntax_and_a_leading_v() {
    for (have, need) in [
        ("v1.9.3", ">=1.2, <2"),
        ("1.2.9", "~1.2.3"),
        ("0.2.5", "^0.2"),
        ("1.3.0-rc.2", ">=1.3.0-rc.1"),
    ] {
        let out = check(have, need);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{have} vs {need}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn unreadable_versions_are_exit_2_with_nothing_on_stdout() {
    for (have, need, says) in [
        ("1.2", "1.0.0", "--have \"1.2\" is not a semantic version"),
        (
            "1.2.0",
            "one",
            "--need \"one\" is not a version requirement",
        ),
    ] {
        let out = check(have, need);
        assert_eq!(out.status.code(), Some(2));
        assert!(out.stdout.is_empty());
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
    }
    let dir = std::env::temp_dir();
    let out = bump_in(
        &dir,
        &["--path", "x", "check", "--have", "1.0.0", "--need", "1"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not to `check`"), "{}", stderr(&out));
}
