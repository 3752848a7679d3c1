//! Applying a retention policy with the rule shared with layer-watch
//! (`layer_core::retention::plan`): never the version just published, never a
//! version any function or function version uses.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::SystemTime;

use aws_sdk_lambda::Client;
use layer_aws::dates::age_days;
use layer_aws::inventory::{FunctionInfo, Versions, list_functions};
use layer_aws::{Stop, Traffic, aws_error};
use layer_core::cli::{Outcome, Summary};
use layer_core::io::RecordWriter;
use layer_core::record::LAYER_RECORD;
use layer_core::retention::{Candidate, plan};
use layer_core::sections::{Pruned, RetentionOutcome, RetentionPolicy, names};
use layer_core::{Error, Record, Result};
use tokio::sync::OnceCell;

use crate::aws::Clients;
use crate::lookup::{Listed, list_versions};
use crate::{Args, grants, jobs};

/// The functions of one region, listed at most once per run (and only when
/// the policy has something to delete).
#[derive(Debug, Default)]
pub struct Inventory {
    functions: OnceCell<Vec<FunctionInfo>>,
}

impl Inventory {
    async fn get(&self, client: &Client) -> Result<&[FunctionInfo]> {
        self.functions
            .get_or_try_init(|| list_functions(client, Versions::All))
            .await
            .map(Vec::as_slice)
    }
}

/// How the policy is carried out.
#[derive(Debug, Clone)]
pub struct Mode {
    /// Say what would be deleted, delete nothing.
    pub dry_run: bool,
    /// Delete versions granted to others too (`--prune-shared`).
    pub prune_shared: bool,
    /// SIGINT/SIGTERM: delete nothing more (what was deleted is reported).
    pub stop: Option<Arc<Stop>>,
}

impl Mode {
    /// The mode the command line asks for.
    pub fn from_args(args: &Args) -> Mode {
        Mode {
            dry_run: args.dry_run,
            prune_shared: args.prune_shared,
            stop: None,
        }
    }

    /// The same mode, deleting nothing more once `stop` is requested.
    pub fn stopping_on(self, stop: &Arc<Stop>) -> Mode {
        Mode {
            stop: Some(stop.clone()),
            ..self
        }
    }

    fn stopped(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|stop| stop.requested().is_some())
    }
}

/// Plan (and unless `mode.dry_run`, carry out) the policy on a layer's
/// versions. A version granted to other accounts, an organization or everyone
/// is kept unless `mode.prune_shared`: who uses it there cannot be seen from here.
pub async fn apply(
    client: &Client,
    inventory: &Inventory,
    layer: &str,
    listing: &[Listed],
    policy: &RetentionPolicy,
    protected: &BTreeSet<i64>,
    mode: Mode,
) -> Result<RetentionOutcome> {
    let dry_run = mode.dry_run;
    let now = SystemTime::now();
    let candidates: Vec<Candidate> = listing
        .iter()
        .map(|v| Candidate {
            version: v.version,
            age_days: age_days(&v.created_date, now),
        })
        .collect();
    let mut outcome = RetentionOutcome {
        dry_run,
        deleted: Vec::new(),
        kept_in_use: Vec::new(),
        kept_shared: Vec::new(),
    };
    // List functions only when the policy would delete something.
    if plan(&candidates, policy, protected, &BTreeSet::new())
        .delete
        .is_empty()
    {
        return Ok(outcome);
    }
    let in_use = versions_in_use(inventory.get(client).await?, listing);
    let decided = plan(&candidates, policy, protected, &in_use);
    for &version in &decided.delete {
        if mode.stopped() {
            // The rest stays: the outcome lists only what was deleted, and a
            // later run with the same policy deletes the rest.
            tracing::warn!("{layer}: stopped; versions not yet deleted are kept");
            break;
        }
        if !mode.prune_shared {
            let grantees =
                grants::grantees(&grants::existing_statements(client, layer, version).await?);
            if !grantees.is_empty() {
                tracing::info!(
                    "{layer}: kept version {version}: it is granted to {} (their use cannot \
                     be seen from here; --prune-shared deletes it anyway)",
                    grantees.join(", ")
                );
                outcome.kept_shared.push(version);
                continue;
            }
        }
        if !dry_run {
            delete(client, layer, version).await?;
        }
        tracing::info!(
            "{layer}: {} version {version} (beyond the retention policy)",
            if dry_run { "would delete" } else { "deleted" }
        );
        outcome.deleted.push(version);
    }
    for version in &decided.kept_in_use {
        tracing::info!("{layer}: kept version {version}: a function still uses it");
    }
    outcome.kept_in_use = decided.kept_in_use;
    Ok(outcome)
}

/// The old versions deleted (or, in a dry run, to be deleted) in the summary line.
pub fn count_deleted(summary: &Summary, outcome: Option<&RetentionOutcome>) {
    let Some(outcome) = outcome else {
        return;
    };
    let what = if outcome.dry_run {
        "old versions to delete"
    } else {
        "old versions deleted"
    };
    summary.add_more(what, outcome.deleted.len() as u64);
}

/// The versions of this layer (same region, account and name) used by any
/// function or published function version.
fn versions_in_use(functions: &[FunctionInfo], listing: &[Listed]) -> BTreeSet<i64> {
    let Some(layer) = listing.first().map(|v| v.version_arn.layer_arn()) else {
        return BTreeSet::new();
    };
    functions
        .iter()
        .filter_map(|f| f.version_of(&layer))
        .collect()
}

async fn delete(client: &Client, layer: &str, version: i64) -> Result<()> {
    client
        .delete_layer_version()
        .layer_name(layer)
        .version_number(version)
        .send()
        .await
        .map(|_| ())
        .map_err(|err| {
            aws_error(
                &format!("deleting {layer}:{version} (DeleteLayerVersion)"),
                err,
            )
        })
}

/// `--prune-only`: apply the policy to an existing layer in every region,
/// publishing nothing. One report line per region on stdout. A first
/// SIGINT/SIGTERM deletes nothing more and starts no new region; the reports
/// of what was deleted are written, and the run exits 130/143.
pub async fn prune_only(args: &Args, traffic: &Traffic) -> Result<()> {
    let name = args.layer.name.clone().unwrap_or_default();
    let Some(policy) = jobs::retention_policy(args, None) else {
        return Err(Error::usage("--prune-only needs a policy")
            .with_fix("pass --keep N and/or --max-age AGE (e.g. 90d)"));
    };
    if args.input.is_some() {
        return Err(Error::usage("--prune-only reads no input")
            .with_fix("leave out INPUT, or leave out --prune-only to publish it"));
    }
    let stop = Stop::listen(crate::TOOL)?;
    let regions = args.aws.regions().await?;
    let clients = Clients::for_regions(&args.aws, &regions, traffic).await?;
    let listings = tokio::select! {
        listings = list_every_region(&clients, &name) => listings?,
        signal = stop.stopping() => {
            return Err(Error::interrupted(signal, "stopped before pruning; nothing was deleted"));
        }
    };
    let summary = Summary::start(crate::TOOL, "regions").dry_run(args.dry_run);
    let mode = Mode::from_args(args).stopping_on(&stop);
    let mut writer = RecordWriter::stdout();
    let (mut done, mut deleted) = (0, 0);
    for (region, listing) in clients.regions.iter().zip(listings) {
        if stop.requested().is_some() {
            break;
        }
        let inventory = Inventory::default();
        // The newest version is never deleted by prune-only: it is what new
        // functions get.
        let protected = listing.first().map(|v| v.version).into_iter().collect();
        let outcome = apply(
            &region.lambda,
            &inventory,
            &name,
            &listing,
            &policy,
            &protected,
            mode.clone(),
        )
        .await?;
        summary.add(if outcome.deleted.is_empty() {
            Outcome::Unchanged
        } else {
            Outcome::Updated
        });
        count_deleted(&summary, Some(&outcome));
        deleted += outcome.deleted.len();
        let mut record = Record::new(LAYER_RECORD);
        record.set_section(
            names::PRUNED,
            &Pruned {
                region: region.region.clone(),
                account: region.scope.account.clone(),
                layer_name: name.clone(),
                layer_arn: listing[0].version_arn.layer_arn(),
                versions_before: listing.iter().map(|v| v.version).collect(),
                retention: outcome,
            },
        )?;
        writer.write(&record)?;
        done += 1;
    }
    summary.print(&args.verbosity, Some(traffic.counter.total()));
    if stop.requested().is_some() {
        return Err(stop
            .error(format!(
                "stopped before the policy was carried out everywhere; versions deleted so \
                 far: {deleted}, in {done} of {} regions (reported on stdout)",
                clients.regions.len()
            ))
            .with_fix("run the same command again: the policy deletes what is left"));
    }
    Ok(())
}

/// Every region's versions, read before anything is deleted anywhere: an
/// unknown layer in any region stops the run here.
async fn list_every_region(clients: &Clients, name: &str) -> Result<Vec<Vec<Listed>>> {
    let mut listings = Vec::new();
    for region in &clients.regions {
        let listing = list_versions(&region.lambda, name).await?;
        if listing.is_empty() {
            return Err(Error::input(format!(
                "there is no layer \"{name}\" in {} (or it has no versions)",
                region.scope
            ))
            .with_fix("check --name and --region; `aws lambda list-layers` shows the layers"));
        }
        listings.push(listing);
    }
    Ok(listings)
}
