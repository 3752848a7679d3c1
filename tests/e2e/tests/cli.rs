//! Every binary answers --help and --version, and refuses bad flags with a usage
//! message and exit 2.

use assert_cmd::Command;
use layer_tools_e2e::{TOOLS, tool_path};

#[test]
fn every_tool_has_help() {
    for tool in TOOLS {
        let out = Command::new(tool_path(tool))
            .arg("--help")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{tool} --help");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains(&format!("Usage: {tool}")),
            "{tool} --help:\n{text}"
        );
        assert!(
            text.contains("--verbose") && text.contains("--quiet"),
            "{tool} --help:\n{text}"
        );
    }
}

#[test]
fn every_tool_has_a_version() {
    for tool in TOOLS {
        let out = Command::new(tool_path(tool))
            .arg("--version")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{tool} --version");
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.trim(), format!("{tool} {}", env!("CARGO_PKG_VERSION")));
    }
}

#[test]
fn bad_flags_are_usage_errors() {
    for tool in TOOLS {
        let out = Command::new(tool_path(tool))
            .arg("--no-such-flag")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{tool} --no-such-flag");
        assert!(
            out.stdout.is_empty(),
            "{tool} wrote to stdout on a usage error"
        );
        let text = String::from_utf8(out.stderr).unwrap();
        assert!(
            text.contains("unexpected argument '--no-such-flag'"),
            "{tool}:\n{text}"
        );
        assert!(text.contains("Usage:"), "{tool}:\n{text}");
    }
}
