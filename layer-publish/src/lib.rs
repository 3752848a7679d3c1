//! `layer-publish`: publish layer zips as Lambda layer versions, idempotently,
//! to one or many regions, with grants and retention.
//!
//! The run has two halves, so that bad input never leaves anything half-done:
//! 1. check everything that can be checked before the first write call: the
//!    records, the zips against their recorded sha256, Lambda's size limits, the
//!    grants, the regions and credentials, and (in `--prune-only` mode) that the
//!    layers exist;
//! 2. per region, concurrently: find an identical version or publish one, grant,
//!    apply retention; then write one output record per input record and region.

mod aws;
mod description;
mod dry_run;
mod grants;
mod jobs;
mod lookup;
mod publish;
mod region;
mod retention;
mod s3;
mod ssm;
pub mod zipcheck;

use std::path::PathBuf;
use std::time::Duration;

use layer_aws::{Stop, Traffic};
use layer_core::cli::{Outcome, Summary, Verbosity, duration_between, warn_deprecated};
use layer_core::io::RecordWriter;
use layer_core::platform::{Architecture, Runtime};
use layer_core::retention::RetentionArgs;
use layer_core::sections::{Grant, PlannedAction, RetentionOutcome, names};
use layer_core::{Error, Result};

pub use description::{MARKER_PREFIX, describe};

/// The largest zip `--s3-threshold` may name: 50 MiB, whose base64 alone
/// already reaches Lambda's request limit.
pub const DIRECT_UPLOAD_LIMIT: u64 = 50 * 1024 * 1024;

/// Lambda refuses a PublishLayerVersion request above this many bytes (413).
pub const REQUEST_LIMIT: u64 = 69_905_067;

/// A zip is sent inline only when its whole request (the zip in base64, in
/// JSON) stays this far below [`REQUEST_LIMIT`]: the limit is AWS's figure
/// as its error message states it, and one report shows another.
pub const REQUEST_MARGIN: u64 = 64 * 1024;

/// Function plus all its layers, unzipped, at most.
pub const UNZIPPED_LIMIT: u64 = 262_144_000;

/// Publish layer zips as Lambda layer versions: idempotent, to one or many
/// regions, with grants and retention.
///
/// Reads the records of `layer-pack` (sections `layer` and `artifact`) and adds a
/// `published` section to each, one output record per region. A version with
/// the same content (CodeSha256), runtimes and architectures is reused, not
/// published again.
#[derive(Debug, clap::Parser)]
#[command(
    name = "layer-publish",
    version,
    about,
    long_about,
    verbatim_doc_comment,
    after_help = "Examples:
  layer-pack layers/common | layer-publish --region eu-west-1 --region us-east-1
  layer-publish --name common --runtime python3.12 --arch x86_64,arm64 dist/common.zip
  layer-publish build.jsonl --grant-account 123456789012 --keep 10 --max-age 90d
  layer-publish build.jsonl --dry-run             # the plan as records; nothing changes
  layer-publish --prune-only --name common --keep 5 --dry-run
  layer-publish build.jsonl --account 111111111111 --account 222222222222 \\
      --role-arn 'arn:aws:iam::{account}:role/LayerDeployer' --region eu-west-1 --region us-east-1 \\
      --ssm-parameter '/layers/{name}/latest'"
)]
pub struct Args {
    /// Records to read (JSON Lines), `-` for stdin, or a layer zip (with --name).
    /// Without it, records piped or redirected into stdin are read.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,

    /// Print what would be done, as records, and change nothing: per record and
    /// region a `planned` section (publish a new version or reuse version N, the
    /// grants, the versions retention would delete); with --prune-only, `pruned`
    /// records with `dry_run: true`.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub layer: LayerFlags,

    #[command(flatten)]
    pub upload: UploadFlags,

    #[command(flatten)]
    pub grants: GrantFlags,

    /// After the version exists, write its ARN into this SSM String parameter
    /// in each account and region where it was published (only when it does
    /// not already hold it), for consumers such as Terraform's
    /// aws_ssm_parameter; `{name}`, `{region}` and `{account}` are replaced,
    /// e.g. --ssm-parameter '/layers/{name}/latest'.
    #[arg(long, value_name = "TEMPLATE", help_heading = "Consumers")]
    pub ssm_parameter: Option<String>,

    #[command(flatten)]
    pub retention: RetentionArgs,

    /// Publish nothing: only apply the retention policy to the existing layer
    /// --name (which must exist). Writes one `pruned` record per region to stdout.
    #[arg(long, requires = "name", help_heading = "Retention")]
    pub prune_only: bool,

    /// Also delete versions beyond the policy that are granted to other
    /// accounts, an organization or everyone (by default they are kept and
    /// reported as `kept_shared`: their users cannot be seen from this account).
    #[arg(long, help_heading = "Retention")]
    pub prune_shared: bool,

    #[command(flatten)]
    pub aws: layer_aws::AwsArgs,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// What to publish; each flag overrides the record's `layer` section.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Layer")]
pub struct LayerFlags {
    /// Layer name (overrides the record's layer section; required when INPUT is a zip).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Layer description, used verbatim (at most 256 characters). Without it the
    /// description is the layer's own plus its version and a short content hash,
    /// which lets re-runs find an identical version cheaply.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,

    /// License, as text or an SPDX id such as MIT (overrides the record's layer section).
    #[arg(long, value_name = "LICENSE")]
    pub license: Option<String>,

    /// Compatible runtime, e.g. python3.12 (repeatable or comma-separated;
    /// overrides the record's layer section).
    #[arg(long = "runtime", value_name = "RUNTIME", value_delimiter = ',')]
    pub runtimes: Vec<Runtime>,

    /// Compatible architecture, x86_64 or arm64 (repeatable or comma-separated;
    /// overrides the record's layer section).
    #[arg(long = "arch", value_name = "ARCH", value_enum, value_delimiter = ',')]
    pub architectures: Vec<Architecture>,

    /// Deprecated: --arch.
    #[arg(long = "architecture", value_name = "ARCH", value_enum, hide = true)]
    pub old_architecture: Vec<Architecture>,

    /// Publish a new version even when an identical one exists (which is
    /// otherwise reused).
    #[arg(long)]
    pub no_reuse: bool,

    /// Deprecated: --no-reuse (--force means "override the safety check" in layer-attach).
    #[arg(long = "force", hide = true)]
    pub old_force: bool,

    /// Publish even when layer-pack's checks found errors in the zip (findings
    /// of severity "error", e.g. a native library the runtime cannot load).
    #[arg(long)]
    pub ignore_findings: bool,

    /// How long one PublishLayerVersion attempt may take before it is treated as
    /// timed out (then the tool looks for the version it may have created before
    /// trying again): a duration like 2m or 90s (plain seconds too), 1s to 15m.
    #[arg(long, value_name = "DURATION", default_value = "120s",
          value_parser = duration_between(Duration::from_secs(1), Duration::from_secs(900)))]
    pub publish_timeout: Duration,
}

/// Zips too large to send inline go through S3.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Upload")]
pub struct UploadFlags {
    /// S3 bucket for zips at or above --s3-threshold; `{region}` and
    /// `{account}` in the name are replaced by each region and account (a
    /// bucket must be in the layer's region; S3 names are global, so an estate
    /// needs one per account).
    #[arg(long, value_name = "BUCKET")]
    pub s3_bucket: Option<String>,

    /// Key prefix in the bucket; the key is PREFIX + NAME/SHA256.zip.
    #[arg(long, value_name = "PREFIX", default_value = "layer-publish/")]
    pub s3_prefix: String,

    /// Send zips of this many bytes or more through S3 (at most 52428800)
    /// [default: by the request's size: a zip goes through S3 when its inline
    /// request, base64 in JSON, would come within 64 KiB of Lambda's limit of
    /// 69905067 bytes].
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..=DIRECT_UPLOAD_LIMIT))]
    pub s3_threshold: Option<u64>,
}

/// Who may use the published version (`lambda:GetLayerVersion`).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Permissions")]
pub struct GrantFlags {
    /// Grant an AWS account (12 digits); repeat for several.
    #[arg(long = "grant-account", value_name = "ACCOUNT_ID")]
    pub accounts: Vec<String>,

    /// Grant every account of an AWS Organization (o-xxxxxxxxxx).
    #[arg(long = "grant-org", value_name = "ORG_ID")]
    pub org: Option<String>,

    /// Grant everyone (public). Never implied by another flag.
    #[arg(long)]
    pub public: bool,
}

/// Run the tool.
pub fn run(mut args: Args) -> Result<()> {
    args.verbosity.init_logging();
    args.fold_deprecated();
    layer_aws::block_on(run_async(args))
}

impl Args {
    /// The old spellings of renamed flags, folded into the new ones with a warning.
    fn fold_deprecated(&mut self) {
        self.retention.fold_deprecated();
        if self.layer.old_force {
            warn_deprecated("--force", "--no-reuse");
            self.layer.no_reuse = true;
        }
        if !self.layer.old_architecture.is_empty() {
            warn_deprecated("--architecture", "--arch");
            let old = std::mem::take(&mut self.layer.old_architecture);
            self.layer.architectures.extend(old);
        }
    }
}

async fn run_async(args: Args) -> Result<()> {
    let traffic = Traffic::new(&args.aws);
    let result = if args.prune_only {
        retention::prune_only(&args, &traffic).await
    } else if args.dry_run {
        plan_all(&args, &traffic).await
    } else {
        publish_all(&args, &traffic).await
    };
    // At -v only: the benchmark and people tuning a pipeline read it.
    if args.verbosity.verbose > 0 {
        traffic.log();
    }
    result
}

async fn publish_all(args: &Args, traffic: &Traffic) -> Result<()> {
    // Everything that needs no AWS call first: a bad record stops the run here.
    let jobs = jobs::prepare(args)?;
    if jobs.is_empty() {
        tracing::warn!("no records in the input: nothing to publish");
        return Ok(());
    }
    let summary = Summary::start(TOOL, "layer versions");
    // From here on SIGINT/SIGTERM stop the run gracefully: no new layer
    // starts, and the records of what was published are written.
    let stop = Stop::listen(TOOL)?;
    let regions = args.aws.regions().await?;
    let clients = aws::Clients::for_regions(&args.aws, &regions, traffic).await?;
    tokio::select! {
        checked = region::preflight(args, &jobs, &clients) => checked?,
        signal = stop.stopping() => {
            return Err(Error::interrupted(signal, "stopped before publishing; nothing was published"));
        }
    }
    let mut outcomes = region::publish_everywhere(args, &jobs, &clients, &stop).await;
    point_consumers(args, &clients, &mut outcomes).await;

    let mut writer = RecordWriter::stdout();
    let mut failures = Vec::new();
    // Every version that was published is written out, even when another region
    // failed: the output is the record of what now exists.
    for (job, per_region) in jobs.iter().zip(outcomes) {
        for (region, outcome) in clients.regions.iter().zip(per_region) {
            match outcome {
                Ok(published) => {
                    count(
                        &summary,
                        published.reused,
                        &published.permissions,
                        published.retention.as_ref(),
                    );
                    let mut record = job.record.clone();
                    record.set_section(names::PUBLISHED, &published)?;
                    writer.write(&record)?;
                }
                Err(err) => {
                    summary.add(Outcome::Failed);
                    failures.push((job.label(), region.scope.to_string(), err));
                }
            }
        }
    }
    summary.print(&args.verbosity, Some(traffic.counter.total()));
    if stop.requested().is_some() {
        let not_done: Vec<String> = failures
            .iter()
            .map(|(job, region, err)| format!("{job} in {region}: {err:#}"))
            .collect();
        let total = jobs.len() * regions.len();
        return Err(stop
            .error(format!(
                "stopped before the end: {} of {total} publications done (their records are on \
                 stdout); not done:\n  {}",
                total - failures.len(),
                not_done.join("\n  ")
            ))
            .with_fix(
                "run the same command again: what is published is found and reused, the rest is published",
            ));
    }
    region::fail_on(failures)
}

/// `--dry-run`: the plan of every record in every region, as records with a
/// `planned` section; nothing is changed.
async fn plan_all(args: &Args, traffic: &Traffic) -> Result<()> {
    let jobs = jobs::prepare(args)?;
    if jobs.is_empty() {
        tracing::warn!("no records in the input: nothing to plan");
        return Ok(());
    }
    let summary = Summary::start(TOOL, "layer versions").dry_run(true);
    let regions = args.aws.regions().await?;
    let clients = aws::Clients::for_regions(&args.aws, &regions, traffic).await?;
    region::preflight(args, &jobs, &clients).await?;
    let mut plans = dry_run::plan_everywhere(args, &jobs, &clients).await?;
    if let Some(template) = &args.ssm_parameter {
        for per_region in &mut plans {
            for (planned, region) in per_region.iter_mut().zip(&clients.regions) {
                planned.ssm_parameter = Some(planned_pointer(template, planned, region).await?);
            }
        }
    }
    let mut writer = RecordWriter::stdout();
    for (job, per_region) in jobs.iter().zip(plans) {
        for planned in per_region {
            count(
                &summary,
                planned.action == PlannedAction::Reuse,
                &planned.permissions,
                planned.retention.as_ref(),
            );
            let mut record = job.record.clone();
            record.set_section(names::PLANNED, &planned)?;
            writer.write(&record)?;
        }
    }
    summary.print(&args.verbosity, Some(traffic.counter.total()));
    Ok(())
}

/// `--ssm-parameter`: point each account and region's parameter at the
/// version published there, only once it exists. A pointer that cannot be
/// written fails that record (the version stays, and is in no output record:
/// run again to write the pointer).
async fn point_consumers(
    args: &Args,
    clients: &aws::Clients,
    outcomes: &mut [Vec<Result<layer_core::sections::Published>>],
) {
    let Some(template) = &args.ssm_parameter else {
        return;
    };
    for per_region in outcomes.iter_mut() {
        for (outcome, region) in per_region.iter_mut().zip(&clients.regions) {
            let Ok(published) = outcome else { continue };
            let arn = &published.version_arn;
            let name = ssm::render(template, &published.layer_name, &arn.region, &arn.account);
            match ssm::point(region, &name, &arn.to_string(), false).await {
                Ok(pointer) => published.ssm_parameter = Some(pointer),
                Err(err) => *outcome = Err(err.context(format!("{} was published", arn))),
            }
        }
    }
}

/// What `--ssm-parameter` would write in a dry run: the reused version's ARN,
/// or (a version to publish) certainly a write.
async fn planned_pointer(
    template: &str,
    planned: &layer_core::sections::Planned,
    region: &aws::RegionClients,
) -> Result<layer_core::sections::SsmPointer> {
    let account = match &planned.version_arn {
        Some(arn) => arn.account.clone(),
        None => region.account().await?,
    };
    let name = ssm::render(template, &planned.layer_name, &planned.region, &account);
    match &planned.version_arn {
        Some(arn) => ssm::point(region, &name, &arn.to_string(), true).await,
        None => Ok(layer_core::sections::SsmPointer {
            name,
            written: true,
        }),
    }
}

/// One layer version in the summary: updated (published) or unchanged
/// (reused), with the grants added and the old versions deleted (or, in a dry
/// run, to be).
fn count(summary: &Summary, reused: bool, grants: &[Grant], deletions: Option<&RetentionOutcome>) {
    summary.add(if reused {
        Outcome::Unchanged
    } else {
        Outcome::Updated
    });
    let dry_run = summary.is_dry_run();
    let added = grants.iter().filter(|grant| grant.added).count() as u64;
    summary.add_more(
        if dry_run {
            "grants to add"
        } else {
            "grants added"
        },
        added,
    );
    retention::count_deleted(summary, deletions);
}

const TOOL: &str = "layer-publish";
