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
            if !matches!(err, Error::BrokenPipe) {
                let _ = report(tool, &err, &mut std::io::stderr().lock());
            }
            ExitCode::from(err.exit_code())
        }
    }
}

/// The message for people: `TOOL: error: PROBLEM`, one `TOOL: caused by: CAUSE`
/// line per cause, then `TOOL: hint: FIX` where a fix is known.
fn report(tool: &str, err: &Error, out: &mut impl Write) -> std::io::Result<()> {
    let label = if matches!(err, Error::Findings(_)) {
        "found"
    } else {
        "error"
    };
    writeln!(out, "{tool}: {label}: {err}")?;
    for cause in err.causes() {
        writeln!(out, "{tool}: caused by: {cause}")?;
    }
    if let Some(fix) = err.fix() {
        writeln!(out, "{tool}: hint: {fix}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_shows_problem_causes_and_hint_in_that_order() {
        let err = Error::failed("listing functions (ListFunctions): could not reach AWS")
            .with_source(std::io::Error::other("connection refused"))
            .with_fix("check the network");
        let mut out = Vec::new();
        report("layer-watch", &err, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "layer-watch: error: listing functions (ListFunctions): could not reach AWS\n\
             layer-watch: caused by: connection refused\n\
             layer-watch: hint: check the network\n"
        );
        let mut out = Vec::new();
        report(
            "layer-attach",
            &Error::Findings("1 failed".into()),
            &mut out,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "layer-attach: found: 1 failed\n"
        );
    }
}
