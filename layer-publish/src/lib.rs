//! `layer-publish`: Publish layer zips as Lambda layer versions: idempotent, to one or many regions, with grants and retention.

use std::path::PathBuf;

use layer_core::cli::Verbosity;
use layer_core::{Error, Result};

/// Publish layer zips as Lambda layer versions: idempotent, to one or many regions, with grants and retention.
#[derive(Debug, clap::Parser)]
#[command(name = "layer-publish", version, about, long_about = None)]
pub struct Args {
    /// Records to read (JSON Lines); `-` or nothing reads stdin.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,

    #[command(flatten)]
    pub aws: layer_aws::AwsArgs,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// Run the tool. Not built yet: see issue #4.
pub fn run(args: Args) -> Result<()> {
    args.verbosity.init_logging();
    Err(Error::NotImplemented {
        tool: "layer-publish",
        issue: 4,
    })
}
