//! `cargo xtask docs [OUT]`: man pages (`OUT/man/*.1`) and shell completions
//! (`OUT/completions/{bash,zsh,fish}/...`) for every tool, generated from the
//! same clap definitions the binaries parse with, so they never drift.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Command, CommandFactory, Parser};
use clap_complete::Shell;

#[derive(Debug, Parser)]
#[command(name = "xtask", about = "Project chores")]
enum Task {
    /// Write man pages and shell completions for every tool.
    Docs {
        /// Where to write them.
        #[arg(default_value = "target/docs")]
        out: PathBuf,
    },
}

fn tools() -> Vec<Command> {
    vec![
        layer_bump::Args::command(),
        layer_pack::Args::command(),
        layer_publish::Args::command(),
        layer_attach::Args::command(),
        layer_watch::Args::command(),
    ]
}

fn main() -> ExitCode {
    let Task::Docs { out } = Task::parse();
    match write_docs(&out) {
        Ok(()) => {
            eprintln!(
                "xtask: wrote man pages and completions under {}",
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("xtask: error: {err}");
            ExitCode::from(2)
        }
    }
}

fn write_docs(out: &Path) -> std::io::Result<()> {
    let man_dir = out.join("man");
    std::fs::create_dir_all(&man_dir)?;
    for tool in tools() {
        write_man_pages(tool.clone(), &man_dir)?;
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let dir = out.join("completions").join(shell.to_string());
            std::fs::create_dir_all(&dir)?;
            let name = tool.get_name().to_string();
            clap_complete::generate_to(shell, &mut tool.clone(), name, &dir)?;
        }
    }
    Ok(())
}

/// One page for the tool, and one per subcommand (`layer-bump-check.1`), as
/// `clap_mangen::generate_to` writes them, except that the examples of
/// `after_help` become an EXAMPLES section kept line by line.
fn write_man_pages(tool: Command, dir: &Path) -> std::io::Result<()> {
    let mut tool = tool.disable_help_subcommand(true);
    tool.build();
    write_man_page(&tool, dir)
}

fn write_man_page(command: &Command, dir: &Path) -> std::io::Result<()> {
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_man_page(sub, dir)?;
    }
    let man = clap_mangen::Man::new(command.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut page)?;
    }
    if command.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut page)?;
    }
    if let Some(after) = command.get_after_long_help().or(command.get_after_help()) {
        page.extend_from_slice(examples_section(&after.to_string()).as_bytes());
    }
    if command.get_version().is_some() {
        man.render_version_section(&mut page)?;
    }
    std::fs::write(dir.join(man.get_filename()), page)
}

/// The help's examples as roff, unfilled (`.nf`): filled, man would join the
/// command lines into one paragraph. Hyphens are `\-` so that a copied command
/// keeps ASCII hyphens.
fn examples_section(text: &str) -> String {
    let mut roff = String::from(".SH EXAMPLES\n.nf\n");
    for line in text.lines().filter(|line| line.trim() != "Examples:") {
        let line = line.replace('\\', "\\e").replace('-', "\\-");
        if line.starts_with('.') || line.starts_with('\'') {
            roff.push_str("\\&");
        }
        roff.push_str(&line);
        roff.push('\n');
    }
    roff.push_str(".fi\n");
    roff
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: PathBuf) -> String {
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    #[test]
    fn every_tool_gets_a_man_page_with_its_flags_and_examples_and_completions() {
        let out = tempfile::tempdir().unwrap();
        write_docs(out.path()).unwrap();
        for tool in tools() {
            let name = tool.get_name().to_string();
            let page = read(out.path().join("man").join(format!("{name}.1")));
            assert!(
                page.contains(".SH EXAMPLES\n.nf\n"),
                "{name}.1 has no examples"
            );
            let bash = read(out.path().join(format!("completions/bash/{name}.bash")));
            let zsh = read(out.path().join(format!("completions/zsh/_{name}")));
            let fish = read(out.path().join(format!("completions/fish/{name}.fish")));
            for arg in tool.get_arguments().filter(|a| !a.is_hide_set()) {
                let Some(long) = arg.get_long() else { continue };
                assert!(
                    page.contains(&format!("\\-\\-{}", long.replace('-', "\\-"))),
                    "{name}.1 lacks --{long}"
                );
                assert!(bash.contains(&format!("--{long}")), "bash: {name} --{long}");
                assert!(zsh.contains(&format!("--{long}")), "zsh: {name} --{long}");
                assert!(
                    fish.contains(&format!("-l {long}")),
                    "fish: {name} --{long}"
                );
            }
        }
        let check = read(out.path().join("man/layer-bump-check.1"));
        assert!(
            check.contains("layer\\-bump check \\-\\-have 1.4.0"),
            "{check}"
        );
    }

    #[test]
    fn examples_stay_literal_in_roff() {
        let roff = examples_section("Examples:\n  tool --a x \\\n.dot\n");
        assert_eq!(
            roff,
            ".SH EXAMPLES\n.nf\n  tool \\-\\-a x \\e\n\\&.dot\n.fi\n"
        );
    }
}
