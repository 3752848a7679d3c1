//! What every tool shares on its command line and on stderr: logging flags,
//! durations, deprecated spellings, the line that ends a run, and turning a
//! result into a message and an exit code.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

/// A duration on the command line, the same in every tool: humantime (`90s`,
/// `5m`, `7d`, `1h 30m`) or plain seconds (`90`). The value parser of every
/// duration flag.
pub fn parse_duration(text: &str) -> std::result::Result<Duration, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    humantime::parse_duration(text).map_err(|err| {
        format!("\"{text}\" is not a duration ({err}); use e.g. 90s, 5m, 7d, or plain seconds")
    })
}

/// A value parser for durations between `min` and `max` (inclusive).
pub fn duration_between(
    min: Duration,
    max: Duration,
) -> impl Fn(&str) -> std::result::Result<Duration, String> + Clone + Send + Sync + 'static {
    move |text| {
        let value = parse_duration(text)?;
        if value < min || value > max {
            return Err(format!(
                "{} is outside {} to {}",
                humantime::format_duration(value),
                humantime::format_duration(min),
                humantime::format_duration(max)
            ));
        }
        Ok(value)
    }
}

/// Say on stderr that a flag spelling is deprecated. Renamed flags keep their
/// old spelling as a hidden flag for one release; the tool folds its value into
/// the new flag and calls this.
pub fn warn_deprecated(old: &str, new: &str) {
    tracing::warn!("{old} is deprecated and goes away in the next release; use {new}");
}

/// How one thing a run handled ended, in the words of the summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Updated,
    Unchanged,
    Skipped,
    Failed,
}

/// The one line on stderr that ends every run that changes things, as cargo's
/// `Finished` and uv's `Installed 3 packages in 12ms` do:
///
/// `layer-attach: 12 functions: 9 updated, 2 unchanged, 1 skipped, 0 failed; 31 AWS requests; 4.21s`
///
/// Shared between the tasks of a run (counts behind a lock), like the request counter.
#[derive(Debug)]
pub struct Summary {
    tool: &'static str,
    noun: &'static str,
    started: Instant,
    dry_run: bool,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default, Clone)]
struct Counts {
    updated: u64,
    unchanged: u64,
    skipped: u64,
    failed: u64,
    /// Further counts a tool reports after the four (`old versions deleted: 3`),
    /// shown when not zero.
    more: Vec<(&'static str, u64)>,
}

impl Summary {
    /// Start timing a run of `tool` that handles `noun` (a plural: `functions`).
    pub fn start(tool: &'static str, noun: &'static str) -> Self {
        Summary {
            tool,
            noun,
            started: Instant::now(),
            dry_run: false,
            counts: Mutex::new(Counts::default()),
        }
    }

    /// A dry run: the line says so, and counts what would be done.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    pub fn is_dry_run(&self) -> bool {
        self.dry_run
    }

    /// How many things were counted in the four outcomes so far.
    pub fn counted(&self) -> u64 {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.updated + counts.unchanged + counts.skipped + counts.failed
    }

    pub fn add(&self, outcome: Outcome) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        match outcome {
            Outcome::Updated => counts.updated += 1,
            Outcome::Unchanged => counts.unchanged += 1,
            Outcome::Skipped => counts.skipped += 1,
            Outcome::Failed => counts.failed += 1,
        }
    }

    /// Add to a further count (`old versions deleted`).
    pub fn add_more(&self, what: &'static str, count: u64) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        match counts.more.iter_mut().find(|(name, _)| *name == what) {
            Some((_, total)) => *total += count,
            None => counts.more.push((what, count)),
        }
    }

    /// The line, without the tool's name; `requests` is `None` for a tool
    /// that sends none (layer-bump).
    pub fn line(&self, requests: Option<u64>, elapsed: Duration) -> String {
        let counts = self
            .counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let total = counts.updated + counts.unchanged + counts.skipped + counts.failed;
        let updated = if self.dry_run { "to update" } else { "updated" };
        // The nouns are plurals in -s: `1 function`, `2 functions`.
        let noun = match total {
            1 => self.noun.strip_suffix('s').unwrap_or(self.noun),
            _ => self.noun,
        };
        let mut line = format!(
            "{}{total} {noun}: {} {updated}, {} unchanged, {} skipped, {} failed",
            if self.dry_run {
                "dry run, nothing changed: "
            } else {
                ""
            },
            counts.updated,
            counts.unchanged,
            counts.skipped,
            counts.failed
        );
        for (what, count) in counts.more.iter().filter(|(_, count)| *count > 0) {
            line.push_str(&format!(", {what}: {count}"));
        }
        if let Some(requests) = requests {
            line.push_str(&format!("; {requests} AWS requests"));
        }
        line.push_str(&format!("; {}", format_elapsed(elapsed)));
        line
    }

    /// Print the line on stderr (`TOOL: LINE`), unless --quiet.
    pub fn print(&self, verbosity: &Verbosity, requests: Option<u64>) {
        if !verbosity.quiet {
            eprintln!(
                "{}: {}",
                self.tool,
                self.line(requests, self.started.elapsed())
            );
        }
    }
}

/// Wall time as people read it: `0.42s`, `12.3s`, `2m 05s`.
pub fn format_elapsed(elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    if seconds < 10.0 {
        format!("{seconds:.2}s")
    } else if seconds < 60.0 {
        format!("{seconds:.1}s")
    } else {
        let whole = elapsed.as_secs();
        format!("{}m {:02}s", whole / 60, whole % 60)
    }
}

/// A rate for a progress bar: `2.2/s` (indicatif's own shows four decimals).
pub fn format_rate(per_second: f64) -> String {
    if per_second >= 10.0 {
        format!("{per_second:.0}/s")
    } else {
        format!("{per_second:.1}/s")
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
    let label = match err {
        Error::Findings(_) => "found",
        Error::Interrupted { .. } => "stopped",
        _ => "error",
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
    fn durations_read_as_humantime_or_plain_seconds() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration(" 90s "), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5_400)));
        let err = parse_duration("soon").unwrap_err();
        assert!(err.contains("\"soon\" is not a duration"), "{err}");
        assert!(parse_duration("-5").is_err());
        let bounded = duration_between(Duration::from_secs(1), Duration::from_secs(900));
        assert_eq!(bounded("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(bounded("16m").unwrap_err(), "16m is outside 1s to 15m");
        assert!(bounded("0").is_err());
    }

    #[test]
    fn the_summary_line_counts_outcomes_requests_and_time() {
        let summary = Summary::start("layer-attach", "functions");
        for outcome in [
            Outcome::Updated,
            Outcome::Updated,
            Outcome::Unchanged,
            Outcome::Skipped,
            Outcome::Failed,
        ] {
            summary.add(outcome);
        }
        summary.add_more("restored", 0);
        assert_eq!(
            summary.line(Some(31), Duration::from_millis(4_213)),
            "5 functions: 2 updated, 1 unchanged, 1 skipped, 1 failed; 31 AWS requests; 4.21s"
        );
        let summary = Summary::start("layer-publish", "layer versions").dry_run(true);
        summary.add(Outcome::Updated);
        summary.add_more("old versions to delete", 2);
        summary.add_more("old versions to delete", 1);
        assert_eq!(
            summary.line(Some(4), Duration::from_secs(75)),
            "dry run, nothing changed: 1 layer version: 1 to update, 0 unchanged, 0 skipped, \
             0 failed, old versions to delete: 3; 4 AWS requests; 1m 15s"
        );
        assert_eq!(
            Summary::start("layer-bump", "release steps").line(None, Duration::from_millis(80)),
            "0 release steps: 0 updated, 0 unchanged, 0 skipped, 0 failed; 0.08s"
        );
    }

    #[test]
    fn rates_and_times_read_without_noise() {
        assert_eq!(format_rate(2.2418), "2.2/s");
        assert_eq!(format_rate(13.4), "13/s");
        assert_eq!(format_rate(0.0), "0.0/s");
        assert_eq!(format_elapsed(Duration::from_millis(420)), "0.42s");
        assert_eq!(format_elapsed(Duration::from_millis(12_340)), "12.3s");
        assert_eq!(format_elapsed(Duration::from_secs(125)), "2m 05s");
    }

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
        let stopped = Error::interrupted(crate::Signal::Terminate, "stopped before the end")
            .with_fix("run it again");
        let mut out = Vec::new();
        report("layer-attach", &stopped, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "layer-attach: stopped: stopped before the end\nlayer-attach: hint: run it again\n"
        );
        assert_eq!(stopped.exit_code(), 143);
    }
}
