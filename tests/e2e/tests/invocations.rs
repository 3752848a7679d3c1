//! Every tool command in the CI example (every workflow and action under examples/ci/)
//! and in scripts/Makefile
//! parses with the tool's own clap definition, the very `Args` struct its binary
//! parses with: a renamed flag, a conflict or a bad value breaks this test before it
//! breaks someone's pipeline. Also checks that the workflow keeps the guide's
//! order and per-environment policy.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Parse one tool's arguments exactly as its binary would.
fn parse(tool: &str, args: &[String]) -> Result<(), String> {
    let argv = std::iter::once(tool.to_string()).chain(args.iter().cloned());
    let result = match tool {
        "layer-bump" => layer_bump::Args::try_parse_from(argv).map(drop),
        "layer-pack" => layer_pack::Args::try_parse_from(argv).map(drop),
        "layer-publish" => layer_publish::Args::try_parse_from(argv).map(drop),
        "layer-attach" => layer_attach::Args::try_parse_from(argv).map(drop),
        "layer-watch" => layer_watch::Args::try_parse_from(argv).map(drop),
        other => panic!("not a tool: {other}"),
    };
    result.map_err(|err| err.to_string())
}

/// Values for the variables of the commands, plausible for the flags they feed
/// (a number for --keep); anything else becomes `placeholder`.
fn sample(name: &str) -> &'static str {
    match name {
        "keep" | "KEEP" => "5",
        "environment" | "ENVIRONMENT" => "dev",
        "dir" => "layers/common",
        _ => "placeholder",
    }
}

/// Replace `${{ expr }}` (GitHub expressions) and `$VAR` / `${VAR}` (shell) by
/// sample values; `$(...)` command substitutions become one word.
fn substitute(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        if let Some(expr) = tail.strip_prefix("{{") {
            let end = expr.find("}}").expect("closed ${{ }}");
            let name = expr[..end].trim().rsplit('.').next().unwrap_or("");
            out.push_str(sample(name));
            rest = &expr[end + 2..];
        } else if let Some(inner) = tail.strip_prefix('(') {
            let end = matching_paren(inner);
            out.push_str("placeholder");
            rest = &inner[end + 1..];
        } else if let Some(inner) = tail.strip_prefix('{') {
            let end = inner.find('}').expect("closed ${}");
            out.push_str(sample(&inner[..end]));
            rest = &inner[end + 1..];
        } else {
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            out.push_str(sample(&tail[..end]));
            rest = &tail[end..];
        }
    }
    out.push_str(rest);
    out
}

fn matching_paren(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return i,
            ')' => depth -= 1,
            _ => {}
        }
    }
    panic!("unclosed $( in {text}")
}

/// The tool commands of a shell script: (tool, its arguments).
fn tool_commands(script: &str) -> Vec<(String, Vec<String>)> {
    let script = substitute(&script.replace("\\\n", " "));
    let mut found = Vec::new();
    for line in script.lines() {
        let words = shlex::split(line).unwrap_or_else(|| panic!("unbalanced quotes: {line}"));
        for command in simple_commands(words) {
            if let Some(tool) = command.first().and_then(|w| tool_name(w)) {
                found.push((tool, command[1..].to_vec()));
            }
        }
    }
    found
}

/// Split words into simple commands at `|`, `&&`, `||`, `;`; drop redirections,
/// leading variable assignments and the keywords that can precede a command.
fn simple_commands(words: Vec<String>) -> Vec<Vec<String>> {
    let mut commands = vec![Vec::new()];
    let mut words = words.into_iter().peekable();
    while let Some(word) = words.next() {
        let (word, ends) = match word.strip_suffix(';') {
            Some(w) if !w.is_empty() => (w.to_string(), true),
            _ => (word, false),
        };
        let current = commands.last_mut().unwrap();
        match word.as_str() {
            "|" | "&&" | "||" | ";" => commands.push(Vec::new()),
            ">" | ">>" | "<" | "2>" | "2>>" => {
                words.next();
            }
            w if w.starts_with('>') || w.starts_with('<') || w.starts_with("2>") => {}
            "do" | "then" | "else" | "!" | "{" | "}" | "time" if current.is_empty() => {}
            w if current.is_empty() && is_assignment(w) => {}
            _ => current.push(word),
        }
        if ends {
            commands.push(Vec::new());
        }
    }
    commands.retain(|c| !c.is_empty());
    commands
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

fn tool_name(word: &str) -> Option<String> {
    let name = Path::new(word).file_name()?.to_str()?;
    layer_tools_e2e::TOOLS
        .contains(&name)
        .then(|| name.to_string())
}

/// Parse every command; panic listing every one that does not parse.
fn check_all(source: &str, commands: &[(String, Vec<String>)]) {
    let failures: Vec<String> = commands
        .iter()
        .filter_map(|(tool, args)| {
            parse(tool, args)
                .err()
                .map(|err| format!("{source}: {tool} {}\n{err}", args.join(" ")))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn workflow(name: &str) -> Value {
    let path = root().join("examples/ci").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The `run:` scripts of a workflow's jobs or of a composite action.
fn run_scripts(workflow: &Value) -> Vec<String> {
    let steps: Vec<Value> = match workflow["jobs"].as_object() {
        Some(jobs) => jobs
            .values()
            .flat_map(|job| job["steps"].as_array().cloned().unwrap_or_default())
            .collect(),
        None => workflow["runs"]["steps"]
            .as_array()
            .cloned()
            .expect("jobs or runs.steps"),
    };
    steps
        .iter()
        .filter_map(|step| step["run"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn the_helpers_find_tool_commands() {
    let found = tool_commands(
        "for d in $DIRS; do\n  layer-bump --path \"$d\" --tag;\ndone | ./bin/layer-pack --out-dir dist $DIRS > x.jsonl\n\
         A=1 layer-watch - < deploy.jsonl && echo layer-attach",
    );
    let tools: Vec<&str> = found.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(tools, ["layer-bump", "layer-pack", "layer-watch"]);
    assert_eq!(found[0].1, ["--path", "placeholder", "--tag"]);
    assert_eq!(found[2].1, ["-"]);
    assert!(parse("layer-publish", &["--no-such-flag".into()]).is_err());
    assert!(parse("layer-publish", &["--keep".into(), "five".into()]).is_err());
}

#[test]
fn every_tool_command_of_the_ci_example_parses() {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let ci = layer_tools_e2e::examples_dir().join("ci");
    let files: Vec<String> = layer_tools_e2e::ci_example_files()
        .iter()
        .map(|path| {
            path.strip_prefix(&ci)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for name in [
        "deploy-layers.yml",
        "deploy-environment.yml",
        "rollback-layers.yml",
    ] {
        assert!(
            files.iter().any(|f| f == name),
            "examples/ci/{name} is gone: {files:?}"
        );
    }
    for name in &files {
        for script in run_scripts(&workflow(name)) {
            let commands = tool_commands(&script);
            check_all(name, &commands);
            for (tool, _) in commands {
                *seen.entry(tool).or_default() += 1;
            }
        }
    }
    for tool in layer_tools_e2e::TOOLS {
        assert!(
            seen.get(*tool).copied().unwrap_or(0) > 0,
            "the CI example never runs {tool}: {seen:?}"
        );
    }
}

#[test]
fn the_ci_example_keeps_the_guides_order_and_policy() {
    let main = workflow("deploy-layers.yml");
    let jobs = &main["jobs"];
    assert_eq!(jobs["build"]["needs"], "test");
    assert_eq!(jobs["dev"]["needs"], "build");
    assert_eq!(jobs["staging"]["needs"], "dev");
    assert_eq!(jobs["prod"]["needs"], "staging");
    let keep: Vec<i64> = ["dev", "staging", "prod"]
        .iter()
        .map(|env| jobs[*env]["with"]["keep"].as_i64().expect("keep"))
        .collect();
    assert_eq!(keep, [5, 10, 20], "the guide's retention per environment");
    assert_eq!(jobs["prod"]["with"]["change-window"], true);
    assert!(jobs["dev"]["with"].get("change-window").is_none());

    let deploy = workflow("deploy-environment.yml");
    let job = &deploy["jobs"]["deploy"];
    // The job's environment is what GitHub gates with required reviewers.
    assert_eq!(job["environment"], "${{ inputs.environment }}");
    let steps = job["steps"].as_array().unwrap();
    let rollback = steps
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("layer-attach --undo"))
        })
        .expect("a rollback step");
    assert!(
        rollback["if"].as_str().unwrap().contains("failure()"),
        "the undo runs when a step failed"
    );
    assert!(
        steps
            .iter()
            .any(|s| s["run"].as_str().is_some_and(|r| r.contains("--smoke"))),
        "a smoke test"
    );
}

/// The commands `make -n` would run for a target, with the given variables.
fn make_dry_run(target: &str, vars: &[&str]) -> String {
    let out = Command::new("make")
        .arg("--no-print-directory")
        .arg("-n")
        .arg("-f")
        .arg(root().join("scripts/Makefile"))
        .arg(target)
        .args(vars)
        .env_remove("MAKEFLAGS")
        .output()
        .expect("`make` runs (install make to check scripts/Makefile)");
    assert!(
        out.status.success(),
        "make -n {target}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_tool_command_of_the_makefile_parses() {
    let with_flags = [
        "REGION=eu-west-1",
        "ENDPOINT=http://127.0.0.1:5000",
        "PROFILE=dev",
        "BUMP_FLAGS=--pre rc",
        "PACK_FLAGS=--max --slim-dist-info",
        "PUBLISH_FLAGS=--keep 10 --grant-account 123456789012",
        "ATTACH_FLAGS=--match 'makoto-*-dev' --publish-version --alias live",
        "WATCH_FLAGS=--no-metrics --fail-on-drift",
    ];
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for target in ["pack", "publish", "attach", "deploy", "rollback", "watch"] {
        for vars in [&[][..], &with_flags[..]] {
            let commands = tool_commands(&make_dry_run(target, vars));
            assert!(!commands.is_empty(), "make {target} runs no tool");
            check_all(&format!("make {target} {}", vars.join(" ")), &commands);
            for (tool, _) in commands {
                *seen.entry(tool).or_default() += 1;
            }
        }
    }
    for tool in layer_tools_e2e::TOOLS {
        assert!(seen.contains_key(*tool), "the Makefile never runs {tool}");
    }
}
