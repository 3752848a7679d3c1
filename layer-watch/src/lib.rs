//! `layer-watch`: Report who runs which layer version, who is behind, and how the layer is doing.

use std::path::PathBuf;

use layer_core::cli::Verbosity;
use layer_core::{Error, Result};

/// Report who runs which layer version, who is behind, and how the layer is doing.
#[derive(Debug, clap::Parser)]
#[command(name = "layer-watch", version, about, long_about = None)]
pub struct Args {
    /// Records to read (JSON Lines); `-` or nothing reads stdin.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,

    #[command(flatten)]
    pub aws: layer_aws::AwsArgs,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// Run the tool. Not built yet: see issue #7.
pub fn run(args: Args) -> Result<()> {
    args.verbosity.init_logging();
    Err(Error::NotImplemented {
        tool: "layer-watch",
        issue: 7,
    })
}
