//! `layer-watch`: who runs which layer version, who is behind, and how the layer is doing.
//!
//! One pass (a *round*) per region: the function inventory (`ListFunctions`, every
//! version, every page), the layer's versions with their sizes, the aliases of the
//! functions that use it, and the CloudWatch metrics of those functions over a
//! window, fetched with `GetMetricData` at 500 queries a call. Then one report
//! record per layer and region. With `--interval` rounds repeat until Ctrl-C.

mod collect;
mod metrics;
mod publish_metrics;
mod report;
mod table;
mod targets;
mod window;

use std::io::IsTerminal;
use std::time::Duration;

use layer_core::cli::{Outcome, Summary, Verbosity, parse_duration};
use layer_core::io::RecordWriter;
use layer_core::retention::RetentionArgs;
use layer_core::{Error, Result};

pub use report::LayerReport;
pub use window::Window;

/// Report who runs which layer version, who is behind, and how the layer is doing.
///
/// For each layer (named as arguments, or from `layer-record/v1` records on stdin)
/// and region: the latest version; every version in use with the functions,
/// function versions and aliases on it; the functions behind the latest (drift);
/// versions in use that were deleted; invocations, errors, throttles, error rate
/// and average duration over a window (from CloudWatch, per function, per layer
/// version and per layer); the zipped size of every version and what the
/// retention policy would free.
///
/// Output: one `layer-report/v1` record per layer and region (JSON), or a table
/// when stdout is a terminal. With `--interval`, rounds repeat and stream JSON
/// Lines until Ctrl-C.
#[derive(Debug, clap::Parser)]
#[command(
    name = "layer-watch",
    version,
    about,
    long_about,
    verbatim_doc_comment,
    after_help = "Examples:
  layer-watch common --region eu-west-1 --region us-east-1
  layer-watch common --since 7d --format json | jq '.drift'
  layer-publish < built.jsonl | layer-watch --fail-on-drift    # CI gate
  layer-watch common --interval 60s --put-metrics >> watch.jsonl
  layer-watch common --account 111111111111 --account 222222222222 \\
      --role-arn 'arn:aws:iam::{account}:role/LayerReader' --region eu-west-1 --fail-on-drift"
)]
pub struct Args {
    /// Layers to watch: names (`common`) or layer ARNs (`arn:aws:lambda:REGION:ACCOUNT:layer:NAME`,
    /// for a layer of another account or one whose versions were all deleted).
    /// `-` reads `layer-record/v1` records from stdin; so does no name at all,
    /// when something is piped or redirected into stdin.
    #[arg(value_name = "LAYER")]
    pub layers: Vec<String>,

    /// Metrics window, ending now: a duration like 15m, 24h, 7d (plain seconds
    /// too), 1 minute to 455 days.
    #[arg(long, value_name = "DURATION", default_value = "24h")]
    pub since: String,

    /// Output format [default: table when stdout is a terminal, json otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Repeat every DURATION (e.g. 60s, 5m; plain seconds too) and stream JSON
    /// Lines, each with a `type` ("layer" reports, then one "round" summary),
    /// until Ctrl-C.
    #[arg(long, value_name = "DURATION", conflicts_with = "fail_on_drift")]
    pub interval: Option<String>,

    /// Exit 1 when any function ($LATEST, or an alias) runs an older layer
    /// version than the latest (a CI gate). The report is still written.
    #[arg(long)]
    pub fail_on_drift: bool,

    /// Publish custom metrics (FunctionsUsing, FunctionsBehind, LayerSize) per
    /// layer to CloudWatch, for alarms (see scripts/alarms/).
    #[arg(long)]
    pub put_metrics: bool,

    /// CloudWatch namespace of the custom metrics of --put-metrics.
    #[arg(
        long,
        value_name = "NAMESPACE",
        default_value = "LayerTools",
        requires = "put_metrics"
    )]
    pub metrics_namespace: String,

    /// Skip CloudWatch metrics (inventory, drift and storage only).
    #[arg(long)]
    pub no_metrics: bool,

    /// Skip the aliases of the functions (one ListAliases call per function
    /// using the layer); drift is then judged on $LATEST only.
    #[arg(long)]
    pub no_aliases: bool,

    /// The retention policy whose effect (storage freed) the report shows.
    #[command(flatten)]
    pub retention: RetentionArgs,

    #[command(flatten)]
    pub aws: layer_aws::AwsArgs,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// How reports are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A readable table per layer.
    Table,
    /// One JSON record per layer and region (indented on a terminal).
    Json,
}

/// Run the tool.
pub fn run(mut args: Args) -> Result<()> {
    args.verbosity.init_logging();
    args.retention.fold_deprecated();
    layer_aws::block_on(run_async(args))
}

async fn run_async(args: Args) -> Result<()> {
    let window = Window::parse(&args.since)?;
    let interval = args.interval.as_deref().map(parse_interval).transpose()?;
    let format = match (args.format, interval) {
        (Some(Format::Table), Some(_)) => {
            return Err(
                Error::usage("--interval streams JSON Lines; it cannot print tables")
                    .with_fix("drop --format table (or --interval)"),
            );
        }
        (Some(format), _) => format,
        (None, Some(_)) => Format::Json,
        (None, None) if std::io::stdout().is_terminal() => Format::Table,
        (None, None) => Format::Json,
    };
    let targets = targets::resolve(&args).await?;
    let options = collect::Options {
        window,
        metrics: !args.no_metrics,
        aliases: !args.no_aliases,
    };
    let mut session = collect::Session::new(&args.aws, &targets).await?;
    match interval {
        None => run_once(&args, format, &mut session, &targets, &options).await,
        Some(every) => run_interval(&args, every, &mut session, &targets, &options).await,
    }
}

async fn run_once(
    args: &Args,
    format: Format,
    session: &mut collect::Session,
    targets: &[targets::Target],
    options: &collect::Options,
) -> Result<()> {
    // Only --put-metrics changes anything, so only then does a signal wait
    // for the run: the first lets it finish (every metric put, the reports
    // written) for up to the grace period, a second abandons it.
    let stop = args
        .put_metrics
        .then(|| layer_aws::Stop::listen("layer-watch"))
        .transpose()?;
    let summary = Summary::start("layer-watch", "layers");
    let work = async {
        let reports = session.round(targets, options).await?;
        if args.put_metrics {
            publish_metrics::put(session, &reports, &args.metrics_namespace).await?;
            reports.iter().for_each(|_| summary.add(Outcome::Updated));
        }
        Ok::<_, Error>(reports)
    };
    let reports = match &stop {
        None => work.await?,
        Some(stop) => tokio::select! {
            () = stop.abandoning() => {
                return Err(stop
                    .error("abandoned before every metric was put: some of this run's metrics \
                            may be in CloudWatch, and no report was written")
                    .with_fix("run the same command again: it puts every metric anew"));
            }
            reports = work => reports?,
        },
    };
    if args.put_metrics {
        summary.print(&args.verbosity, Some(session.traffic.counter.total()));
    }
    session.log_calls();
    match format {
        Format::Json => RecordWriter::stdout().write_all(reports.iter())?,
        Format::Table => table::print(&reports)?,
    }
    if let Some(stop) = stop.as_ref().filter(|stop| stop.requested().is_some()) {
        return Err(stop.error(
            "stopped after the run finished: every metric it put is accounted for by the reports \
             on stdout",
        ));
    }
    if !args.aws.estate.accounts.is_empty() {
        tracing::info!("{}", estate_summary(&reports));
    }
    let behind: usize = reports.iter().map(|r| r.drift.functions_behind).sum();
    if args.fail_on_drift && behind > 0 {
        let layers = reports
            .iter()
            .filter(|r| r.drift.functions_behind > 0)
            .count();
        return Err(Error::Findings(format!(
            "{behind} function(s) run an older version than the latest, in {layers} layer(s)"
        )));
    }
    Ok(())
}

/// `estate: 111111111111: 3 using, 1 behind, 0 deleted-in-use; 222222222222: ...`:
/// per account, over its layers and regions (a function counted once per
/// layer and region it uses).
fn estate_summary(reports: &[LayerReport]) -> String {
    let mut by_account: std::collections::BTreeMap<&str, (usize, usize, usize)> =
        std::collections::BTreeMap::new();
    for report in reports {
        let totals = by_account
            .entry(report.account.as_deref().unwrap_or("own account"))
            .or_default();
        totals.0 += report.functions.len();
        totals.1 += report.drift.functions_behind;
        totals.2 += report.deleted_in_use.len();
    }
    let parts: Vec<String> = by_account
        .iter()
        .map(|(account, (using, behind, deleted))| {
            format!("{account}: {using} using, {behind} behind, {deleted} deleted-in-use")
        })
        .collect();
    format!("estate: {}", parts.join("; "))
}

/// Rounds until Ctrl-C (or SIGTERM): each one writes its layer reports and a
/// `round` summary as compact JSON Lines. A first signal during a round lets
/// it finish (its metrics all put, its reports written) for up to the grace
/// period, so what was published is on stdout; a second signal, or the end of
/// the grace period, abandons it. Lines already written are whole, so the
/// stream stays valid. Exit 0: a signal is how a watcher is meant to end.
async fn run_interval(
    args: &Args,
    every: Duration,
    session: &mut collect::Session,
    targets: &[targets::Target],
    options: &collect::Options,
) -> Result<()> {
    let mut out = RecordWriter::new(std::io::stdout(), false);
    // With --put-metrics, the layers whose metrics each round published.
    let summary = Summary::start("layer-watch", "layers");
    let stop = layer_aws::Stop::listen("layer-watch")?;
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for number in 1u64.. {
        tokio::select! {
            _ = stop.stopping() => break,
            _ = ticker.tick() => {}
        }
        let started = std::time::Instant::now();
        let round = async {
            let reports = session.round(targets, options).await?;
            if args.put_metrics {
                publish_metrics::put(session, &reports, &args.metrics_namespace).await?;
            }
            Ok::<_, Error>(reports)
        };
        let outcome = tokio::select! {
            () = stop.abandoning() => {
                tracing::warn!("round {number} abandoned by a signal: its reports are not written");
                break;
            }
            outcome = round => outcome,
        };
        match outcome {
            Ok(reports) => {
                if args.put_metrics {
                    reports.iter().for_each(|_| summary.add(Outcome::Updated));
                }
                out.write_all(reports.iter())?;
                out.write(&report::RoundSummary::new(
                    number,
                    &reports,
                    started.elapsed(),
                ))?;
            }
            // The first round proves the input; later failures are AWS being
            // unavailable for a while, which a watcher should outlast.
            Err(err) if number > 1 => {
                tracing::warn!("round {number} failed, trying again next round: {err:#}");
                if args.put_metrics {
                    targets.iter().for_each(|_| summary.add(Outcome::Failed));
                }
            }
            Err(err) => return Err(err),
        }
        session.log_calls();
        if stop.requested().is_some() {
            break;
        }
    }
    tracing::info!("stopped by a signal");
    if args.put_metrics {
        summary.print(&args.verbosity, Some(session.traffic.counter.total()));
    }
    Ok(())
}

fn parse_interval(text: &str) -> Result<Duration> {
    let every = parse_duration(text).map_err(|err| {
        Error::usage(format!("--interval {err}")).with_fix("use a duration like 60s, 5m or 1h")
    })?;
    if every < Duration::from_secs(1) {
        return Err(
            Error::usage(format!("--interval \"{text}\" is shorter than 1 second"))
                .with_fix("use 1s or more (60s or more suits CloudWatch's one-minute metrics)"),
        );
    }
    Ok(every)
}
