//! One flag vocabulary across the five tools: a flag name means one thing
//! everywhere. Every tool's flags are collected through clap (the very `Args`
//! the binaries parse with), and flags of equal names must say the same thing:
//! the first clause of their help (up to the first `(`, `,`, `;`, `:` or `. `)
//! is equal. A renamed flag keeps its old spelling hidden for one release, with
//! a help that starts with "Deprecated:" and names the new spelling.

use std::collections::BTreeMap;

use clap::CommandFactory;

fn tools() -> Vec<clap::Command> {
    vec![
        layer_bump::Args::command(),
        layer_pack::Args::command(),
        layer_publish::Args::command(),
        layer_attach::Args::command(),
        layer_watch::Args::command(),
    ]
}

/// Every command with its subcommands (`layer-bump check`).
fn commands() -> Vec<(String, clap::Command)> {
    let mut all = Vec::new();
    for tool in tools() {
        let name = tool.get_name().to_string();
        for sub in tool.get_subcommands().filter(|s| s.get_name() != "help") {
            all.push((format!("{name} {}", sub.get_name()), sub.clone()));
        }
        all.push((name, tool));
    }
    all
}

fn help_of(arg: &clap::Arg) -> String {
    arg.get_help().map(|h| h.to_string()).unwrap_or_default()
}

/// What a flag means: the first clause of its help.
fn meaning(help: &str) -> String {
    let end = help
        .char_indices()
        .find(|&(at, c)| {
            matches!(c, '(' | ',' | ';' | ':')
                || (c == '.' && help[at + 1..].starts_with([' ', '\n']))
        })
        .map_or(help.len(), |(at, _)| at);
    help[..end].trim().trim_end_matches('.').to_lowercase()
}

/// `--name` (and `-n`) of every visible flag: (flag, command, meaning).
fn visible_flags() -> Vec<(String, String, String)> {
    let mut flags = Vec::new();
    for (command, cmd) in commands() {
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            let Some(long) = arg.get_long() else { continue };
            if matches!(long, "help" | "version") {
                continue;
            }
            flags.push((format!("--{long}"), command.clone(), meaning(&help_of(arg))));
        }
    }
    flags
}

#[test]
fn the_first_clause_is_the_meaning() {
    assert_eq!(meaning("Layer name (overrides layer.yaml)."), "layer name");
    assert_eq!(
        meaning("Compatible runtime, e.g. python3.12 (repeatable)."),
        "compatible runtime"
    );
    assert_eq!(
        meaning("Say more on stderr. Then more."),
        "say more on stderr"
    );
    assert_eq!(meaning("Keep 1.5 of it"), "keep 1.5 of it");
}

#[test]
fn a_flag_name_means_one_thing_in_every_tool() {
    let mut by_name: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (flag, command, meaning) in visible_flags() {
        by_name.entry(flag).or_default().push((command, meaning));
    }
    let clashes: Vec<String> = by_name
        .iter()
        .filter(|(_, uses)| uses.iter().any(|(_, meaning)| *meaning != uses[0].1))
        .map(|(flag, uses)| {
            let uses: Vec<String> = uses
                .iter()
                .map(|(command, meaning)| format!("    {command}: {meaning:?}"))
                .collect();
            format!("{flag}:\n{}", uses.join("\n"))
        })
        .collect();
    assert!(
        clashes.is_empty(),
        "flags of one name that mean different things (rename one, keeping the old \
         spelling hidden with a deprecation warning):\n{}",
        clashes.join("\n")
    );
    // The shared flags are really shared (a test that compares nothing proves nothing).
    for shared in [
        "--arch",
        "--runtime",
        "--name",
        "--dry-run",
        "--keep",
        "--max-age",
        "--region",
        "--no-input",
    ] {
        assert!(
            by_name.get(shared).is_some_and(|uses| uses.len() >= 2),
            "{shared} is not in two tools: {:?}",
            by_name.get(shared)
        );
    }
}

#[test]
fn renamed_flags_keep_their_old_spelling_hidden_and_deprecated() {
    // (tool, old spelling, new spelling)
    let renamed = [
        ("layer-publish", "--force", "--no-reuse"),
        ("layer-publish", "--architecture", "--arch"),
        ("layer-publish", "--max-age-days", "--max-age"),
        ("layer-attach", "--tag", "--tagged"),
        ("layer-watch", "--keep-versions", "--keep"),
        ("layer-watch", "--delete-older-than-days", "--max-age"),
    ];
    let commands = commands();
    for (tool, old, new) in renamed {
        let (_, cmd) = commands.iter().find(|(name, _)| name == tool).unwrap();
        let find = |flag: &str| {
            cmd.get_arguments()
                .find(|a| a.get_long() == flag.strip_prefix("--"))
                .unwrap_or_else(|| panic!("{tool} has no {flag}"))
        };
        let hidden = find(old);
        assert!(hidden.is_hide_set(), "{tool} {old} is not hidden");
        let help = help_of(hidden);
        assert!(
            help.starts_with("Deprecated:") && help.contains(new),
            "{tool} {old}: {help:?}"
        );
        assert!(!find(new).is_hide_set(), "{tool} {new} is hidden");
    }
    // Every hidden flag is such an old spelling.
    for (command, cmd) in &commands {
        for arg in cmd.get_arguments().filter(|a| a.is_hide_set()) {
            assert!(
                help_of(arg).starts_with("Deprecated:"),
                "{command}: hidden {:?} is not a deprecated spelling",
                arg.get_id()
            );
        }
    }
}

#[test]
fn architectures_and_durations_read_the_same_everywhere() {
    use clap::Parser;
    // --arch: repeatable and comma-separated, the two Lambda names only.
    for args in [
        vec!["layer-pack", "--arch", "x86_64,arm64", "dir"],
        vec!["layer-pack", "--arch", "x86_64", "--arch", "arm64", "dir"],
    ] {
        let parsed = layer_pack::Args::try_parse_from(&args).unwrap();
        assert_eq!(parsed.architectures.len(), 2, "{args:?}");
    }
    let parsed =
        layer_publish::Args::try_parse_from(["layer-publish", "--arch", "arm64,x86_64"]).unwrap();
    assert_eq!(parsed.layer.architectures.len(), 2);
    assert!(layer_pack::Args::try_parse_from(["layer-pack", "--arch", "aarch64"]).is_err());
    assert!(layer_publish::Args::try_parse_from(["layer-publish", "--arch", "sparc"]).is_err());
    // Durations: humantime or plain seconds.
    let attach = |value: &str| {
        layer_attach::Args::try_parse_from(["layer-attach", "--wait-timeout", value])
            .map(|args| args.wait_timeout.as_secs())
    };
    assert_eq!(attach("90").unwrap(), 90);
    assert_eq!(attach("90s").unwrap(), 90);
    assert_eq!(attach("5m").unwrap(), 300);
    assert!(attach("soon").is_err());
    let publish = |value: &str| {
        layer_publish::Args::try_parse_from(["layer-publish", "--publish-timeout", value])
            .map(|args| args.layer.publish_timeout.as_secs())
    };
    assert_eq!(publish("2m").unwrap(), 120);
    assert_eq!(publish("30").unwrap(), 30);
    assert!(publish("16m").is_err());
    let watch = |value: &str| {
        layer_watch::Args::try_parse_from(["layer-watch", "--max-age", value])
            .map(|args| args.retention.max_age)
    };
    assert_eq!(watch("7d").unwrap(), Some(7));
    assert!(watch("7").is_err(), "7 seconds is not an age in days");
}
