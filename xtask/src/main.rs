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
        // One page for the tool, and one per subcommand (`layer-bump-check.1`).
        clap_mangen::generate_to(tool.clone(), &man_dir)?;
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let dir = out.join("completions").join(shell.to_string());
            std::fs::create_dir_all(&dir)?;
            let name = tool.get_name().to_string();
            clap_complete::generate_to(shell, &mut tool.clone(), name, &dir)?;
        }
    }
    Ok(())
}
