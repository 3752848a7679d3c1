//! `layer-bump`: Decide the next semantic version of a layer from Conventional Commits, and check version compatibility.

use std::path::PathBuf;

use layer_core::cli::Verbosity;
use layer_core::{Error, Result};

/// Decide the next semantic version of a layer from Conventional Commits, and check version compatibility.
#[derive(Debug, clap::Parser)]
#[command(name = "layer-bump", version, about, long_about = None)]
pub struct Args {
    /// Records to read (JSON Lines); `-` or nothing reads stdin.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// Run the tool. Not built yet: see issue #6.
pub fn run(args: Args) -> Result<()> {
    args.verbosity.init_logging();
    Err(Error::NotImplemented {
        tool: "layer-bump",
        issue: 6,
    })
}
