//! `layer-attach`: Point Lambda functions at new layer versions without breaking them, and roll them back.

use std::path::PathBuf;

use layer_core::cli::Verbosity;
use layer_core::{Error, Result};

/// Point Lambda functions at new layer versions without breaking them, and roll them back.
#[derive(Debug, clap::Parser)]
#[command(name = "layer-attach", version, about, long_about = None)]
pub struct Args {
    /// Records to read (JSON Lines); `-` or nothing reads stdin.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,

    #[command(flatten)]
    pub aws: layer_aws::AwsArgs,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// Run the tool. Not built yet: see issue #5.
pub fn run(args: Args) -> Result<()> {
    args.verbosity.init_logging();
    Err(Error::NotImplemented {
        tool: "layer-attach",
        issue: 5,
    })
}
