//! `layer-pack`: Build a verified, byte-for-byte reproducible Lambda layer zip from a layer folder.

use std::path::PathBuf;

use layer_core::cli::Verbosity;
use layer_core::{Error, Result};

/// Build a verified, byte-for-byte reproducible Lambda layer zip from a layer folder.
#[derive(Debug, clap::Parser)]
#[command(name = "layer-pack", version, about, long_about = None)]
pub struct Args {
    /// Records to read (JSON Lines); `-` or nothing reads stdin.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// Run the tool. Not built yet: see issue #3.
pub fn run(args: Args) -> Result<()> {
    args.verbosity.init_logging();
    Err(Error::NotImplemented {
        tool: "layer-pack",
        issue: 3,
    })
}
