//! What every tool's `main` shares: logging flags, and turning a result into
//! a message on stderr and an exit code.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use crate::error::Error;

/// Flags that control how much the tool tells people on stderr.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Verbosity {
    /// Say more on stderr (-v: steps, -vv: debug, -vvv: AWS SDK traces).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Say nothing on stderr but errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

impl Verbosity {
    /// Start logging to stderr. `LAYER_LOG` (a tracing filter, e.g.
    /// `layer_publish=debug`) overrides the flags.
    pub fn init_logging(&self) {
        let level = match (self.quiet, self.verbose) {
            (true, _) => "error",
            (false, 0) => "warn,layer=info",
            (false, 1) => "info",
            (false, 2) => "debug,aws=info,hyper=info",
            (false, _) => "trace",
        };
        // Our crates are named layer_*; "layer=info" would not match them, so
        // spell the default out per crate prefix through a directive list.
        let default = level.replace("layer=info", &our_crates("info"));
        let filter = tracing_subscriber::EnvFilter::try_from_env("LAYER_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::stderr().is_terminal())
            .without_time()
            .with_target(false)
            .try_init();
    }

    /// Is a person watching stderr (and has not asked for quiet)? Progress bars only then.
    pub fn show_progress(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal()
    }
}

fn our_crates(level: &str) -> String {
    [
        "layer_core",
        "layer_aws",
        "layer_bump",
        "layer_pack",
        "layer_publish",
        "layer_attach",
        "layer_watch",
    ]
    .iter()
    .map(|krate| format!("{krate}={level}"))
    .collect::<Vec<_>>()
    .join(",")
}

/// The end of every `main`: print the error (if any) for people, and exit with
/// the code the error knows.
pub fn finish(tool: &str, result: Result<(), Error>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = err.exit_code();
            if !matches!(err, Error::BrokenPipe) {
                let mut stderr = std::io::stderr().lock();
                let label = if matches!(err, Error::Findings(_)) {
                    "found"
                } else {
                    "error"
                };
                let _ = writeln!(stderr, "{tool}: {label}: {err}");
                if let Some(fix) = err.fix() {
                    let _ = writeln!(stderr, "{tool}: hint: {fix}");
                }
            }
            ExitCode::from(code)
        }
    }
}
