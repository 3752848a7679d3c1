//! Help texts are the documentation people read first, and the source of the man
//! pages (`cargo xtask docs`): every flag and argument of every tool and
//! subcommand says what it does, and every tool's help ends with examples, in
//! the short `-h` as well as the long `--help`.

use assert_cmd::Command;
use clap::CommandFactory;
use layer_tools_e2e::{TOOLS, tool_path};

fn commands() -> Vec<clap::Command> {
    vec![
        layer_bump::Args::command(),
        layer_pack::Args::command(),
        layer_publish::Args::command(),
        layer_attach::Args::command(),
        layer_watch::Args::command(),
    ]
}

/// A command and its subcommands, with their full names.
fn with_subcommands(command: &clap::Command, prefix: &str) -> Vec<(String, clap::Command)> {
    let name = format!("{prefix}{}", command.get_name());
    let mut all = vec![(name.clone(), command.clone())];
    for sub in command.get_subcommands() {
        if sub.get_name() != "help" {
            all.extend(with_subcommands(sub, &format!("{name} ")));
        }
    }
    all
}

#[test]
fn every_flag_and_argument_has_help_text() {
    let mut missing = Vec::new();
    for tool in commands() {
        for (name, command) in with_subcommands(&tool, "") {
            for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
                let help = arg
                    .get_long_help()
                    .or(arg.get_help())
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                if help.trim().len() < 10 {
                    missing.push(format!("{name}: {} ({help:?})", arg.get_id()));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "arguments without a real help text:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_tool_and_subcommand_ends_its_help_with_examples() {
    for tool in commands() {
        for (name, command) in with_subcommands(&tool, "") {
            let after = command
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(
                after.contains("Examples:"),
                "{name}: no examples in after_help:\n{after}"
            );
            let tool_name = tool.get_name();
            let examples = after
                .lines()
                .filter(|line| line.trim_start().starts_with(tool_name))
                .count();
            assert!(
                examples >= 2,
                "{name}: fewer than two example command lines:\n{after}"
            );
        }
    }
}

#[test]
fn short_and_long_help_of_the_binaries_show_the_examples() {
    for tool in TOOLS {
        for flag in ["-h", "--help"] {
            let out = Command::new(tool_path(tool)).arg(flag).output().unwrap();
            assert_eq!(out.status.code(), Some(0));
            let text = String::from_utf8(out.stdout).unwrap();
            assert!(
                text.contains("Examples:"),
                "{tool} {flag} shows no examples:\n{text}"
            );
        }
    }
}
