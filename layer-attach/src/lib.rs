//! `layer-attach`: point Lambda functions at new layer versions without breaking
//! them, and roll them back.
//!
//! Reads `layer-record/v1` records with a `published` section (from
//! `layer-publish`), chooses functions, computes each one's new layer list
//! (the same layer's version replaced in place, other layers kept), checks it
//! fits (at most 5 layers, runtime and architecture), and updates the functions
//! guarded by their `RevisionId`, at a bounded rate and concurrency. Each record
//! comes out with an `attachments` section: per function its `before` and
//! `after` lists and a status, enough for `--undo` to restore every function.
//! Each change is written to a journal before it is sent, and SIGINT/SIGTERM
//! stop the run between updates with a complete record, so that no stop, not
//! even `kill -9`, leaves a changed function without a record of it.

mod attach;
mod journal;
mod plan;
mod select;
mod session;
mod smoke;
mod undo;
mod update;

use std::path::PathBuf;
use std::time::Duration;

use layer_aws::{Stop, Traffic};
use layer_core::cli::{Outcome, Summary, Verbosity, parse_duration, warn_deprecated};
use layer_core::io::{Input, read_records};
use layer_core::record::LAYER_RECORD;
use layer_core::sections::AttachmentStatus;
use layer_core::{Error, Result};

pub use plan::{Decision, FunctionState, MAX_LAYERS, Target, decide, new_layers};

/// Point Lambda functions at new layer versions without breaking them, and roll them back.
///
/// Reads the records of `layer-publish` and, by default, moves every function that
/// already uses any version of a published layer to the new version (the
/// roll-forward). Selectors choose functions explicitly instead (selectors of
/// different kinds must all match; a repeated one widens). Each function's
/// other layers and their order are kept; several records (several layers) for
/// one function make one update. Functions that would not work with the new list
/// (more than 5 layers, another runtime or architecture) are skipped with the
/// reason. The output is each record plus `attachments`: per function `before`,
/// `after` and a `status` (updated, unchanged, skipped, failed), which is enough
/// to undo the deploy. Exit 1 when any function failed (the output is complete).
///
/// Each change is first written to a journal (its path is on stderr). On
/// SIGINT or SIGTERM no new update starts, those in flight get 10 s to finish
/// (then they are `unknown`), the record is written (`not_started` for the
/// rest) and the exit is 130 or 143; a second signal writes it at once. After
/// `kill -9`, `--undo --journal PATH` restores what the journal names.
#[derive(Debug, clap::Parser)]
#[command(
    name = "layer-attach",
    version,
    about,
    long_about,
    verbatim_doc_comment,
    after_help = "Examples:
  layer-publish < packed.jsonl | layer-attach > deploy.jsonl
  layer-attach --match 'makoto-*-dev' --dry-run published.jsonl
  layer-attach --prefix makoto- --tagged env=prod --publish-version --alias live \\
      --smoke makoto-health-check --undo-on-failure published.jsonl > deploy.jsonl
  layer-attach --undo deploy.jsonl              # restore every function's `before` list
  layer-attach --journal deploy.journal published.jsonl > deploy.jsonl
  layer-attach --undo --journal deploy.journal  # restore from the journal (no record: kill -9)
  layer-attach --to-version 6 published.jsonl   # point the users back at version 6
  layer-attach --account 111111111111 --account 222222222222 \\
      --role-arn 'arn:aws:iam::{account}:role/LayerDeployer' published.jsonl > deploy.jsonl
  layer-attach --undo --role-arn 'arn:aws:iam::{account}:role/LayerDeployer' deploy.jsonl"
)]
pub struct Args {
    /// Records to read (JSON Lines): `layer-publish` output, or with --undo a deploy
    /// record of layer-attach; `-` for stdin. Without it, records piped or
    /// redirected into stdin are read.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,

    /// Choose this function (by name); repeat for more.
    #[arg(
        long = "function",
        value_name = "NAME",
        help_heading = "Choosing functions"
    )]
    pub functions: Vec<String>,

    /// Choose functions whose name starts with PREFIX; repeat for more.
    #[arg(
        long = "prefix",
        value_name = "PREFIX",
        help_heading = "Choosing functions"
    )]
    pub prefixes: Vec<String>,

    /// Choose functions whose name matches GLOB, e.g. 'makoto-*-dev'; repeat for more.
    #[arg(
        long = "match",
        value_name = "GLOB",
        help_heading = "Choosing functions"
    )]
    pub globs: Vec<String>,

    /// Choose functions tagged KEY=VALUE; repeated, every tag must match.
    #[arg(long = "tagged", value_name = "KEY=VALUE", value_parser = select::parse_tag, help_heading = "Choosing functions")]
    pub tags: Vec<(String, String)>,

    /// Deprecated: --tagged (--tag means "create a release tag" in layer-bump).
    #[arg(long = "tag", value_name = "KEY=VALUE", value_parser = select::parse_tag, hide = true)]
    pub old_tags: Vec<(String, String)>,

    /// With selectors: only functions that already use some version of the layer
    /// (without selectors this is the default).
    #[arg(long, help_heading = "Choosing functions")]
    pub users_only: bool,

    /// Print what would be done, as records, and change nothing: each function's
    /// `before` and `after` lists with the status `planned`.
    #[arg(long)]
    pub dry_run: bool,

    /// Point the chosen functions at version N of the records' layers instead of
    /// the published one (a rollback to an older version).
    #[arg(long, value_name = "N", conflicts_with = "undo", value_parser = clap::value_parser!(i64).range(1..))]
    pub to_version: Option<i64>,

    /// After updating, publish a function version (layers on $LATEST do not reach
    /// published versions).
    #[arg(long, help_heading = "After the update")]
    pub publish_version: bool,

    /// After publishing a version, point this alias at it (created if missing).
    /// Implies --publish-version.
    #[arg(long, value_name = "NAME", help_heading = "After the update")]
    pub alias: Option<String>,

    /// Invoke this health-check function after the update (in each region) and
    /// require a response with `"statusCode": 200`.
    #[arg(long, value_name = "FUNCTION", help_heading = "After the update")]
    pub smoke: Option<String>,

    /// The JSON payload for --smoke.
    #[arg(
        long,
        value_name = "JSON",
        default_value = r#"{"test": true}"#,
        help_heading = "After the update"
    )]
    pub smoke_payload: String,

    /// When the smoke test fails, roll every function this run changed back.
    #[arg(long, requires = "smoke", help_heading = "After the update")]
    pub undo_on_failure: bool,

    /// Restore each function's `before` list from a deploy record, where the
    /// function's list still equals `after` (otherwise report a conflict).
    #[arg(long, help_heading = "Rollback")]
    pub undo: bool,

    /// The journal: each change is written to it (and synced) before it is sent,
    /// and its result after. Default: a new file per run under
    /// $XDG_STATE_HOME/layer-tools/ (or ~/.local/state/layer-tools/); journals
    /// older than 30 days there are removed. With --undo: restore what this
    /// journal names instead of reading a record, e.g.
    /// `layer-attach --undo --journal ~/.local/state/layer-tools/layer-attach-….jsonl`.
    #[arg(long, value_name = "PATH", help_heading = "Rollback")]
    pub journal: Option<PathBuf>,

    /// Override the safety check: with --undo, restore even where the function's
    /// list changed since the deploy.
    #[arg(long, requires = "undo", help_heading = "Rollback")]
    pub force: bool,

    /// Updates being sent at the same time, at most, per account and region
    /// (the request rate is --rate's; a function waiting for its update to
    /// finish does not count).
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=64), help_heading = "Pace")]
    pub concurrency: u32,

    /// How long to wait for one function's update to complete (LastUpdateStatus):
    /// a duration like 5m or 90s (plain seconds too).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "300s",
        value_parser = parse_duration,
        help_heading = "Pace"
    )]
    pub wait_timeout: Duration,

    /// How long to keep retrying one function's update while AWS answers that an
    /// update is in progress (409) or throttles (429), up to 10 attempts: a
    /// duration like 2m or 90s (plain seconds too).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "120s",
        value_parser = parse_duration,
        help_heading = "Pace"
    )]
    pub retry_for: Duration,

    #[command(flatten)]
    pub aws: layer_aws::AwsArgs,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// Run the tool.
pub fn run(mut args: Args) -> Result<()> {
    args.verbosity.init_logging();
    if !args.old_tags.is_empty() {
        warn_deprecated("--tag", "--tagged");
        let old = std::mem::take(&mut args.old_tags);
        args.tags.extend(old);
    }
    if args.undo && has_selectors(&args) {
        return Err(Error::usage(
            "--undo restores the functions named in the deploy record; it takes no selectors",
        )
        .with_fix("drop --function/--prefix/--match/--tagged, or edit the deploy record"));
    }
    serde_json::from_str::<serde_json::Value>(&args.smoke_payload).map_err(|err| {
        Error::usage(format!("--smoke-payload is not JSON: {err}"))
            .with_fix("give a JSON document, e.g. --smoke-payload '{\"test\": true}'")
    })?;
    check_accounts(&args)?;
    let deploy = if let (true, Some(path)) = (args.undo, &args.journal) {
        if args.input.is_some() {
            return Err(Error::usage(
                "--undo --journal restores from the journal alone; it takes no INPUT",
            )
            .with_fix("give either the deploy record or --journal PATH"));
        }
        undo::Deploy::Journal(path.clone())
    } else {
        let input = Input::required(args.input.as_deref())?;
        undo::Deploy::Records(read_records(&input, &[LAYER_RECORD])?)
    };
    let traffic = Traffic::new(&args.aws);
    let summary = Summary::start("layer-attach", "functions").dry_run(args.dry_run);
    let mut journal = None;
    let result = layer_aws::block_on(async {
        // From here on a signal stops the run gracefully.
        let stop = Stop::listen("layer-attach")?;
        journal = open_journal(&args)?;
        let shared = (stop, journal.clone());
        match deploy {
            undo::Deploy::Records(records) if !args.undo => {
                attach::run(&args, records, &traffic, &summary, shared).await
            }
            deploy => undo::run(&args, deploy, &traffic, &summary, shared).await,
        }
    });
    if let Some(journal) = journal.filter(|journal| journal.written()) {
        eprintln!(
            "layer-attach: the journal of this run: {}",
            journal.path().display()
        );
    }
    // At -v only, as every AWS tool does: people tuning --rate read it.
    if args.verbosity.verbose > 0 {
        traffic.log();
    }
    // After the run's work, not after a usage or input error that stopped it first.
    if result.is_ok() || summary.counted() > 0 {
        summary.print(&args.verbosity, Some(traffic.counter.total()));
    }
    result
}

/// The journal this run writes its changes to: none for --dry-run; with
/// `--undo --journal`, that file is the input, and the undo writes its own
/// journal in the state folder.
fn open_journal(args: &Args) -> Result<Option<std::sync::Arc<journal::Journal>>> {
    if args.dry_run {
        return Ok(None);
    }
    let chosen = args.journal.as_deref().filter(|_| !args.undo);
    let mode = if args.undo { "undo" } else { "attach" };
    let journal = journal::Journal::open(chosen, mode)?;
    Ok(Some(std::sync::Arc::new(journal)))
}

/// How one function's status counts in the summary line.
fn count(summary: &Summary, status: AttachmentStatus) {
    summary.add(match status {
        AttachmentStatus::Updated | AttachmentStatus::Restored | AttachmentStatus::Planned => {
            Outcome::Updated
        }
        AttachmentStatus::Unchanged => Outcome::Unchanged,
        AttachmentStatus::Skipped | AttachmentStatus::Conflict | AttachmentStatus::NotStarted => {
            Outcome::Skipped
        }
        AttachmentStatus::Failed | AttachmentStatus::Unknown => Outcome::Failed,
    });
}

/// `--account`/`--role-arn` before anything else: with --undo the accounts
/// come from the deploy record (only the role template is taken).
fn check_accounts(args: &Args) -> Result<()> {
    let estate = &args.aws.estate;
    if !args.undo {
        return estate.check();
    }
    if let Some(account) = estate.accounts.first() {
        return Err(Error::usage(format!(
            "--undo restores the accounts the deploy record names; --account {account} is not taken with it"
        ))
        .with_fix("drop --account (keep --role-arn), or edit the deploy record"));
    }
    Ok(())
}

fn has_selectors(args: &Args) -> bool {
    !(args.functions.is_empty()
        && args.prefixes.is_empty()
        && args.globs.is_empty()
        && args.tags.is_empty())
        || args.users_only
}
