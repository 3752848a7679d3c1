//! The roll-forward (and `--to-version`): read records, plan every function in
//! every region before changing any, then update, publish, smoke-test, and write
//! each record with its `attachments`. A signal stops it between updates: the
//! record then says which functions were updated, which were in flight
//! (`unknown`) and which were not started.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aws_sdk_lambda::Client;
use layer_aws::inventory::{FunctionInfo, Versions, list_functions};
use layer_aws::{Scope, Stop, Traffic, aws_error, is_error_code, lambda_types};
use layer_core::arn::{LayerArn, LayerVersionArn};
use layer_core::cli::Summary;
use layer_core::io::RecordWriter;
use layer_core::platform;
use layer_core::sections::{
    AliasMove, Attachment, AttachmentStatus, FamilyBuild, LayerSection, Published, names,
};
use layer_core::{Context, Error, Record, Result};
use serde_json::{Map, Value};
use tokio::sync::OwnedSemaphorePermit;

use crate::journal::{Change, Journal, account_of};
use crate::plan::{Choice, Decision, Family, FunctionState, Target, decide, new_layers};
use crate::select::Selectors;
use crate::session::{Paced, Session, run_paced};
use crate::undo::{Guard, Restore, restore};
use crate::update::{Applied, set_layers};
use crate::{Args, smoke};

/// What a record asks for: this layer version for the functions of this
/// account and region.
#[derive(Debug, Clone)]
struct Wanted {
    record: usize,
    /// Whose functions: the record's own account and region, or, for a layer
    /// shared from an account outside the estate, each account of the estate.
    scope: Scope,
    layer_name: String,
    arn: LayerVersionArn,
    /// The family the layer is a build of (its own name without a `layer` section).
    family: String,
    /// What the build covers (`layer.family.targets`, or its runtimes on its
    /// architectures), when the record has a `layer` section.
    covers: Option<Vec<platform::Target>>,
    /// Every build the record's family lists.
    listed: Vec<FamilyBuild>,
}

impl Wanted {
    /// The layers of every build of its family, in its account and region.
    fn family_layers(&self) -> Vec<LayerArn> {
        let mut names: Vec<&str> = self.listed.iter().map(|b| b.name.as_str()).collect();
        names.push(&self.arn.name);
        names
            .into_iter()
            .map(|name| LayerArn {
                name: name.to_string(),
                ..self.arn.layer_arn()
            })
            .collect()
    }
}

/// One function and what to do to it.
#[derive(Debug)]
struct Job {
    scope: Scope,
    function: FunctionInfo,
    /// The records whose layers apply to this function.
    records: Vec<usize>,
    decision: Decision,
}

/// The outcome for one function.
#[derive(Debug, Clone)]
struct Outcome {
    scope: Scope,
    records: Vec<usize>,
    entry: Attachment,
    /// The function's layers were changed by this run (even when a later step,
    /// publishing a version or moving an alias, failed): a rollback restores it.
    layers_changed: bool,
}

pub async fn run(
    args: &Args,
    mut records: Vec<Record>,
    traffic: &Traffic,
    summary: &Summary,
    (stop, journal): (Arc<Stop>, Option<Arc<Journal>>),
) -> Result<()> {
    let selectors = Selectors::from_args(args)?;
    let wanted = wanted_layers(args, &records)?;
    if records.is_empty() {
        tracing::warn!("no records in the input: nothing to attach");
        return Ok(());
    }
    let mut scopes: BTreeSet<Scope> = wanted.iter().map(|w| w.scope.clone()).collect();
    // Every --account is assumed before anything changes, also one that no
    // record is for (then nothing is done there, but a role that cannot be
    // assumed is still found out first).
    let regions: BTreeSet<String> = wanted.iter().map(|w| w.scope.region.clone()).collect();
    for account in args.aws.estate.accounts().into_iter().flatten() {
        for region in &regions {
            scopes.insert(Scope::new(Some(account.clone()), region.clone()));
        }
    }
    let session =
        Arc::new(Session::connect(args, scopes.iter().cloned(), traffic, stop, journal).await?);

    // Plan everything, in every account and region (concurrently), before
    // changing anything: a bad input (a missing layer version, a misspelt
    // --function) stops the run untouched, and so does a signal.
    let plans = scopes.iter().map(|scope| {
        let (session, selectors, wanted) = (&session, &selectors, &wanted);
        async move {
            let in_scope: Vec<&Wanted> = wanted.iter().filter(|w| &w.scope == scope).collect();
            let targets = resolve_targets(session, scope, &in_scope).await?;
            plan_scope(session, selectors, scope, &in_scope, &targets).await
        }
    });
    let planned = tokio::select! {
        planned = futures_util::future::try_join_all(plans) => planned?,
        signal = session.stop.stopping() => {
            return Err(Error::interrupted(signal, "stopped while planning; nothing was changed"));
        }
    };
    let mut per_scope = Vec::new();
    let mut seen_names = BTreeSet::new();
    for (jobs, names) in planned {
        seen_names.extend(names);
        per_scope.push(jobs);
    }
    let jobs = interleave(per_scope);
    let missing = selectors.missing_functions(|name| seen_names.contains(name));
    if !missing.is_empty() {
        return Err(Error::usage(format!(
            "no function named {} in {}",
            missing.join(", "),
            scopes
                .iter()
                .map(Scope::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .with_fix(
            "check the --function names (and the regions of the records); nothing was changed",
        ));
    }
    report_plan(&jobs);

    let mut outcomes = if args.dry_run {
        jobs.into_iter().map(planned_outcome).collect()
    } else {
        apply(args, &session, jobs).await
    };

    let mut problems = Vec::new();
    if !args.dry_run
        && session.stop.requested().is_none()
        && let Some(function) = &args.smoke
    {
        smoke_test(
            args,
            &session,
            function,
            &scopes,
            &mut outcomes,
            &mut problems,
        )
        .await;
    }

    for (index, record) in records.iter_mut().enumerate() {
        if !wanted.iter().any(|w| w.record == index) {
            continue;
        }
        let entries: Vec<Attachment> = outcomes
            .iter()
            .filter(|o| o.records.contains(&index))
            .map(|o| o.entry.clone())
            .collect();
        record.set_section(names::ATTACHMENTS, &entries)?;
    }
    let mut out = RecordWriter::stdout();
    out.write_all(&records)?;
    for outcome in &outcomes {
        crate::count(summary, outcome.entry.status);
    }

    if session.stop.requested().is_some() {
        return Err(stopped(&session, &outcomes));
    }
    let failed = outcomes
        .iter()
        .filter(|o| o.entry.status == AttachmentStatus::Failed)
        .count();
    if failed > 0 {
        problems.insert(
            0,
            format!(
                "{failed} of {} functions failed to update{}",
                outcomes.len(),
                failed_accounts(&outcomes)
            ),
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Findings(format!(
            "{}; see \"attachments\" in the output",
            problems.join("; ")
        )))
    }
}

/// How a run a signal stopped ends, after its record is written: what became
/// of the functions, and how to undo or finish.
fn stopped(session: &Session, outcomes: &[Outcome]) -> Error {
    let count = |status| outcomes.iter().filter(|o| o.entry.status == status).count();
    let journal = session
        .journal()
        .map(|journal| format!(" (or `--undo --journal {}`)", journal.path().display()))
        .unwrap_or_default();
    session
        .stop
        .error(format!(
            "stopped before the end: {} updated, {} in flight (unknown), {} not started, {} failed; \
             the record on stdout lists every function",
            count(AttachmentStatus::Updated) + count(AttachmentStatus::Restored),
            count(AttachmentStatus::Unknown),
            count(AttachmentStatus::NotStarted),
            count(AttachmentStatus::Failed),
        ))
        .with_fix(format!(
            "undo it with `layer-attach --undo` on that record{journal}, or run the same \
             command again to finish the deploy"
        ))
}

/// ` (in account 222222222222: 3)`: where the failures are, in an estate.
fn failed_accounts(outcomes: &[Outcome]) -> String {
    let mut by_account: BTreeMap<&str, usize> = BTreeMap::new();
    for outcome in outcomes {
        if let (Some(account), AttachmentStatus::Failed) =
            (&outcome.scope.account, outcome.entry.status)
        {
            *by_account.entry(account).or_default() += 1;
        }
    }
    if by_account.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = by_account
        .iter()
        .map(|(account, n)| format!("account {account}: {n}"))
        .collect();
    format!(" (in {})", parts.join(", "))
}

/// The jobs of every account and region, taking turns (one of each, then the
/// next of each): the sending permits then spread over the pairs, each paced
/// on its own, instead of queueing on one pair's pacer.
fn interleave(per_scope: Vec<Vec<Job>>) -> Vec<Job> {
    let mut queues: Vec<std::vec::IntoIter<Job>> =
        per_scope.into_iter().map(Vec::into_iter).collect();
    let mut jobs = Vec::new();
    loop {
        let before = jobs.len();
        jobs.extend(queues.iter_mut().filter_map(Iterator::next));
        if jobs.len() == before {
            return jobs;
        }
    }
}

/// The accounts and regions whose functions a record's layer is for. Without
/// `--account`: the run's own account, in the record's region. In an estate,
/// a record published in one of its accounts is for that account (the layer
/// published into every account); a record of an account outside it (a
/// tooling account that granted the layer) is for every account of the
/// estate that has no record of that layer of its own.
fn scopes_of(
    accounts: &[Option<String>],
    arn: &LayerVersionArn,
    own_records: &BTreeSet<(String, String, String)>,
) -> Vec<Scope> {
    if accounts == [None] {
        return vec![Scope::new(None, arn.region.clone())];
    }
    if accounts.contains(&Some(arn.account.clone())) {
        return vec![Scope::new(Some(arn.account.clone()), arn.region.clone())];
    }
    accounts
        .iter()
        .flatten()
        .filter(|account| {
            !own_records.contains(&(account.to_string(), arn.region.clone(), arn.name.clone()))
        })
        .map(|account| Scope::new(Some(account.clone()), arn.region.clone()))
        .collect()
}

/// The layer version each record asks for, checked before any AWS call.
fn wanted_layers(args: &Args, records: &[Record]) -> Result<Vec<Wanted>> {
    let accounts = args.aws.estate.accounts();
    let mut published_records = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let published: Published = record
            .require_section(names::PUBLISHED, "layer-publish")
            .context(format!("record {}", index + 1))?;
        published_records.push(published);
    }
    // (account, region, layer) of the records published in the estate's own accounts.
    let own_records: BTreeSet<(String, String, String)> = published_records
        .iter()
        .map(|p| &p.version_arn)
        .filter(|arn| accounts.contains(&Some(arn.account.clone())))
        .map(|arn| (arn.account.clone(), arn.region.clone(), arn.name.clone()))
        .collect();
    let mut wanted: Vec<Wanted> = Vec::new();
    for (index, (record, published)) in records.iter().zip(published_records).enumerate() {
        let number = index + 1;
        let mut arn = published.version_arn.clone();
        if arn.region != published.region || arn.name != published.layer_name {
            return Err(Error::input(format!(
                "record {number}: published.version_arn {} does not belong to layer {} in {}",
                published.version_arn, published.layer_name, published.region
            ))
            .with_fix("pipe in the records exactly as layer-publish wrote them"));
        }
        if !args.aws.regions.is_empty() && !args.aws.regions.contains(&arn.region) {
            tracing::info!(
                "record {number}: region {} not chosen by --region; passed through",
                arn.region
            );
            continue;
        }
        if let Some(version) = args.to_version {
            arn = arn.with_version(version);
        }
        let layer: Option<LayerSection> = record
            .section(names::LAYER)
            .context(format!("record {number}"))?;
        if let Some(other) = wanted.iter().find(|w| w.arn.same_layer(&arn))
            && other.arn.version != arn.version
        {
            return Err(Error::input(format!(
                "records {} and {number} ask for two versions of {} ({} and {})",
                other.record + 1,
                arn.layer_arn(),
                other.arn.version,
                arn.version
            ))
            .with_fix("give one version per layer and region"));
        }
        let scopes = scopes_of(&accounts, &arn, &own_records);
        if scopes.is_empty() {
            tracing::info!(
                "record {number}: every --account has its own record of {}; passed through",
                arn.name
            );
        }
        for scope in scopes {
            wanted.push(Wanted {
                record: index,
                scope,
                family: layer.as_ref().map_or(published.layer_name.clone(), |l| {
                    l.family_name().to_string()
                }),
                covers: layer.as_ref().map(LayerSection::targets),
                listed: layer
                    .as_ref()
                    .and_then(|l| l.family.as_ref())
                    .map(|f| f.builds.clone())
                    .unwrap_or_default(),
                layer_name: published.layer_name.clone(),
                arn: arn.clone(),
            });
        }
    }
    check_families(args, &wanted)?;
    Ok(wanted)
}

/// The builds of one family in one region must not both cover a target (a
/// function would fit both), and `--to-version` cannot name a version of
/// several builds (each is its own layer, numbered apart).
fn check_families(args: &Args, wanted: &[Wanted]) -> Result<()> {
    for (at, one) in wanted.iter().enumerate() {
        for other in &wanted[at + 1..] {
            if one.scope != other.scope
                || one.family != other.family
                || one.arn.same_layer(&other.arn)
            {
                continue;
            }
            if args.to_version.is_some() {
                return Err(Error::usage(format!(
                    "--to-version names one version number, and records {} and {} are two builds of {} ({} and {}), each numbered on its own",
                    one.record + 1,
                    other.record + 1,
                    one.family,
                    one.layer_name,
                    other.layer_name
                ))
                .with_fix("roll back with --undo on the deploy record, or give --to-version the records of one build"));
            }
            let (Some(mine), Some(theirs)) = (&one.covers, &other.covers) else {
                continue;
            };
            if let Some(both) = mine.iter().find(|t| theirs.contains(t)) {
                return Err(Error::input(format!(
                    "records {} and {} are builds of {} that both cover {both} ({} and {}): which one would a function on it get?",
                    one.record + 1,
                    other.record + 1,
                    one.family,
                    one.layer_name,
                    other.layer_name
                ))
                .with_fix("give the records of one pack of the layer (layer-pack gives each target one build)"));
            }
        }
    }
    Ok(())
}

/// The run's builds in a region, grouped by family, in the records' order.
fn families(
    wanted: &[&Wanted],
    targets: &BTreeMap<LayerVersionArn, Target>,
) -> Vec<(Family, Vec<usize>)> {
    let mut families: Vec<(Family, Vec<usize>)> = Vec::new();
    for want in wanted {
        let build = targets[&want.arn].clone();
        match families.iter_mut().find(|(f, _)| f.name == want.family) {
            Some((family, records)) => {
                if !family.builds.iter().any(|b| b.arn == build.arn) {
                    family.builds.push(build);
                }
                for listed in &want.listed {
                    if !family.listed.iter().any(|l| l.name == listed.name) {
                        family.listed.push(listed.clone());
                    }
                }
                records.push(want.record);
            }
            None => families.push((
                Family {
                    name: want.family.clone(),
                    builds: vec![build],
                    listed: want.listed.clone(),
                },
                vec![want.record],
            )),
        }
    }
    families
}

/// Check every wanted layer version exists and read what it runs on.
/// (GetLayerVersion by name and number: GetLayerVersionByArn is not on every
/// endpoint we test against.)
async fn resolve_targets(
    session: &Session,
    scope: &Scope,
    wanted: &[&Wanted],
) -> Result<BTreeMap<LayerVersionArn, Target>> {
    let mut targets = BTreeMap::new();
    let region_handle = session.scope(scope);
    for want in wanted {
        if targets.contains_key(&want.arn) {
            continue;
        }
        // Another account's layer (shared with the estate) by its ARN: a
        // plain name is looked up in the caller's own account.
        let shared = scope
            .account
            .as_ref()
            .is_some_and(|account| *account != want.arn.account);
        let layer_name = if shared {
            want.arn.layer_arn().to_string()
        } else {
            want.layer_name.clone()
        };
        let found = region_handle
            .client
            .get_layer_version()
            .layer_name(layer_name)
            .version_number(want.arn.version)
            .send()
            .await;
        let layer = match found {
            Ok(layer) => layer,
            Err(err) if is_error_code(&err, "ResourceNotFoundException") => {
                return Err(Error::input(format!(
                    "record {}: layer version {} does not exist{}",
                    want.record + 1,
                    want.arn,
                    in_account(scope)
                ))
                .with_fix("publish it first (layer-publish), or pick an existing version; nothing was changed"));
            }
            Err(err) => {
                return Err(aws_error(
                    &format!("reading layer version {}{}", want.arn, in_account(scope)),
                    err,
                ));
            }
        };
        targets.insert(
            want.arn.clone(),
            Target {
                arn: want.arn.clone(),
                runtimes: lambda_types::runtimes(layer.compatible_runtimes()),
                architectures: lambda_types::architectures(layer.compatible_architectures())?,
                covers: want.covers.clone(),
                replaces: want.family_layers(),
            },
        );
    }
    Ok(targets)
}

/// ` as seen from account 111111111111`, in an estate.
fn in_account(scope: &Scope) -> String {
    scope
        .account
        .as_ref()
        .map(|account| format!(" as seen from account {account}"))
        .unwrap_or_default()
}

/// Choose the functions of one account and region and decide what each
/// needs. Also returns every function name there (to catch misspelt
/// `--function` names).
async fn plan_scope(
    session: &Arc<Session>,
    selectors: &Selectors,
    scope: &Scope,
    wanted: &[&Wanted],
    targets: &BTreeMap<LayerVersionArn, Target>,
) -> Result<(Vec<Job>, Vec<String>)> {
    let handle = session.scope(scope);
    let today = session.today;
    let functions = list_functions(&handle.client, Versions::LatestOnly)
        .await
        .map_err(|err| match &scope.account {
            Some(account) => err.context(format!("account {account}, {}", scope.region)),
            None => err,
        })?;
    let names = functions.iter().map(|f| f.name.clone()).collect();

    let families = families(wanted, targets);
    let mut candidates = Vec::new();
    for function in functions {
        if selectors.explicit() && !selectors.name_matches(&function.name) {
            continue;
        }
        let users_only = !selectors.explicit() || selectors.users_only;
        let state = function_state(&function);
        // By default, the families the function already uses (any build of them).
        let applying: Vec<usize> = families
            .iter()
            .enumerate()
            .filter(|(_, (family, _))| !users_only || family.used_by(&state))
            .map(|(at, _)| at)
            .collect();
        if !applying.is_empty() {
            candidates.push((function, applying));
        }
    }
    if !selectors.tags.is_empty() {
        candidates = filter_by_tags(session, selectors, scope, candidates).await?;
    }

    let jobs = candidates
        .into_iter()
        .map(|(function, applying)| {
            let state = function_state(&function);
            let mut chosen: Vec<&Target> = Vec::new();
            let mut records = Vec::new();
            let mut refused = None;
            for (family, family_records) in applying.iter().map(|&at| &families[at]) {
                match family.choose(&state) {
                    Choice::Build(build) => {
                        chosen.push(build);
                        records.extend(
                            wanted
                                .iter()
                                .filter(|w| w.arn == build.arn)
                                .map(|w| w.record),
                        );
                    }
                    // Every record of the family tells of the skip.
                    Choice::NoneFits(reason) => {
                        records.extend(family_records);
                        refused.get_or_insert(reason);
                    }
                }
            }
            records.sort_unstable();
            records.dedup();
            let decision = match refused {
                Some(reason) => Decision::Skip {
                    after: new_layers(&state.layers, &chosen),
                    reason,
                },
                None => decide(&state, &chosen, today),
            };
            Job {
                scope: scope.clone(),
                decision,
                records,
                function,
            }
        })
        .collect();
    Ok((jobs, names))
}

fn function_state(function: &FunctionInfo) -> FunctionState {
    FunctionState {
        name: function.name.clone(),
        runtime: function.runtime.clone(),
        package: function.package,
        architectures: function.architectures.clone(),
        layers: function.layers.clone(),
    }
}

/// Keep the candidates whose tags match (GetFunction returns them, and has the
/// higher read limit; ListFunctions does not return tags).
async fn filter_by_tags<T>(
    session: &Arc<Session>,
    selectors: &Selectors,
    scope: &Scope,
    candidates: Vec<(FunctionInfo, T)>,
) -> Result<Vec<(FunctionInfo, T)>> {
    let names: Vec<String> = candidates.iter().map(|(f, _)| f.name.clone()).collect();
    let in_scope = scope.clone();
    let tags = run_paced(session, names, move |session, name, _sending| {
        let in_scope = in_scope.clone();
        async move {
            let handle = session.scope(&in_scope);
            handle
                .client
                .get_function()
                .function_name(&name)
                .send()
                .await
                .map(|out| {
                    out.tags()
                        .map(|tags| {
                            tags.iter()
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect::<BTreeMap<_, _>>()
                        })
                        .unwrap_or_default()
                })
                .map_err(|err| aws_error(&format!("reading the tags of {name}"), err))
        }
    })
    .await;
    let mut kept = Vec::new();
    for (candidate, tags) in candidates.into_iter().zip(tags) {
        let Paced::Done(tags) = tags else {
            return Err(session
                .stop
                .error("stopped while planning; nothing was changed"));
        };
        if selectors.tags_match(&tags?) {
            kept.push(candidate);
        }
    }
    Ok(kept)
}

fn report_plan(jobs: &[Job]) {
    let count = |f: fn(&Decision) -> bool| jobs.iter().filter(|j| f(&j.decision)).count();
    tracing::info!(
        "{} functions chosen: {} to update, {} unchanged, {} skipped",
        jobs.len(),
        count(|d| matches!(d, Decision::Change(_))),
        count(|d| matches!(d, Decision::Unchanged)),
        count(|d| matches!(d, Decision::Skip { .. })),
    );
    for job in jobs {
        if let Decision::Skip { reason, .. } = &job.decision {
            tracing::warn!("{} ({}): skipped: {reason}", job.function.name, job.scope);
        }
    }
    if jobs.is_empty() {
        tracing::warn!(
            "no function chosen: none uses the layer yet; choose functions with --function, --prefix, --match or --tagged"
        );
    }
}

fn entry(
    job: &Job,
    after: Vec<LayerVersionArn>,
    status: AttachmentStatus,
    reason: Option<String>,
) -> Attachment {
    Attachment {
        region: job.scope.region.clone(),
        account: job.scope.account.clone(),
        function: job.function.name.clone(),
        before: job.function.layers.clone(),
        after,
        status,
        reason,
        published_version: None,
        alias: None,
        extra: Map::new(),
    }
}

/// The outcome of a job that is not run (a dry run, or nothing to do).
fn planned_outcome(job: Job) -> Outcome {
    let entry = match &job.decision {
        Decision::Change(after) => entry(&job, after.clone(), AttachmentStatus::Planned, None),
        Decision::Unchanged => entry(
            &job,
            job.function.layers.clone(),
            AttachmentStatus::Unchanged,
            None,
        ),
        Decision::Skip { after, reason } => entry(
            &job,
            after.clone(),
            AttachmentStatus::Skipped,
            Some(reason.clone()),
        ),
    };
    Outcome {
        scope: job.scope,
        records: job.records,
        entry,
        layers_changed: false,
    }
}

/// Update every function that needs it, at most `concurrency` at a time.
async fn apply(args: &Args, session: &Arc<Session>, jobs: Vec<Job>) -> Vec<Outcome> {
    let (changes, others): (Vec<Job>, Vec<Job>) = jobs
        .into_iter()
        .partition(|job| matches!(job.decision, Decision::Change(_)));
    let bar = session.progress(changes.len(), "updating");
    // What each change becomes if a signal stops the run before it is sent.
    let not_started: Vec<Outcome> = changes
        .iter()
        .map(|job| {
            let Decision::Change(after) = &job.decision else {
                unreachable!("only changes are applied")
            };
            Outcome {
                scope: job.scope.clone(),
                records: job.records.clone(),
                entry: entry(
                    job,
                    after.clone(),
                    AttachmentStatus::NotStarted,
                    Some("the run was stopped by a signal before this update was sent".into()),
                ),
                layers_changed: false,
            }
        })
        .collect();
    let publish = args.publish_version || args.alias.is_some();
    let alias = args.alias.clone();
    let task_bar = bar.clone();
    let paced = run_paced(session, changes, move |session, job, sending| {
        let alias = alias.clone();
        let bar = task_bar.clone();
        async move {
            let outcome = update_one(&session, job, publish, alias.as_deref(), sending).await;
            if outcome.entry.status == AttachmentStatus::Failed {
                bar.suspend(|| {
                    tracing::warn!(
                        "{} ({}): failed: {}",
                        outcome.entry.function,
                        outcome.scope,
                        outcome.entry.reason.as_deref().unwrap_or_default()
                    )
                });
            }
            bar.inc(1);
            outcome
        }
    })
    .await;
    bar.finish_and_clear();
    let mut outcomes: Vec<Outcome> = paced
        .into_iter()
        .zip(not_started)
        .map(|(paced, mut outcome)| match paced {
            Paced::Done(done) => done,
            Paced::NotStarted => outcome,
            Paced::Unfinished => {
                outcome.entry.status = AttachmentStatus::Unknown;
                outcome.entry.reason = Some(UNFINISHED.into());
                // It may have been: a rollback must try it.
                outcome.layers_changed = true;
                outcome
            }
        })
        .collect();
    outcomes.extend(others.into_iter().map(planned_outcome));
    outcomes
}

/// The reason of an update abandoned after a signal.
const UNFINISHED: &str = "the run was stopped by a signal while this update was in flight; \
    it may or may not have been applied: `--undo` compares the function with before and after";

async fn update_one(
    session: &Session,
    job: Job,
    publish: bool,
    alias: Option<&str>,
    sending: OwnedSemaphorePermit,
) -> Outcome {
    let Decision::Change(after) = &job.decision else {
        unreachable!("only changes are applied")
    };
    let handle = session.scope(&job.scope);
    let change = Change {
        region: job.scope.region.clone(),
        function: job.function.name.clone(),
        account: account_of(&job.function.arn),
        estate_account: job.scope.account.clone(),
        before: job.function.layers.clone(),
        after: after.clone(),
    };
    let applied = set_layers(
        &handle.client,
        session.limits,
        session.journal(),
        &change,
        job.function.revision_id.as_deref(),
        sending,
    )
    .await;
    let mut outcome = Outcome {
        scope: job.scope.clone(),
        records: job.records.clone(),
        entry: entry(&job, after.clone(), AttachmentStatus::Updated, None),
        layers_changed: matches!(applied, Applied::Done { .. }),
    };
    match applied {
        Applied::Failed(reason) => {
            outcome.entry.status = AttachmentStatus::Failed;
            outcome.entry.reason = Some(reason);
        }
        Applied::Done { revision_id } if publish => {
            match publish_and_move_alias(session, &job, revision_id, alias).await {
                Ok((version, moved)) => {
                    outcome.entry.published_version = Some(version);
                    outcome.entry.alias = moved;
                }
                Err(reason) => {
                    outcome.entry.status = AttachmentStatus::Failed;
                    outcome.entry.reason = Some(format!(
                        "the layers were updated on $LATEST, but {reason:#}; `--undo` restores the layers"
                    ));
                }
            }
        }
        Applied::Done { .. } => {}
    }
    outcome
}

/// Publish a function version of the updated configuration and point the alias at it.
async fn publish_and_move_alias(
    session: &Session,
    job: &Job,
    revision_id: Option<String>,
    alias: Option<&str>,
) -> Result<(String, Option<AliasMove>)> {
    let handle = session.scope(&job.scope);
    let client: &Client = &handle.client;
    let name = &job.function.name;
    let published = client
        .publish_version()
        .function_name(name)
        .set_revision_id(revision_id)
        .send()
        .await
        .map_err(|err| aws_error("publishing a version failed: PublishVersion", err))?;
    let version = published.version().unwrap_or_default().to_string();
    let Some(alias) = alias else {
        return Ok((version, None));
    };
    let current = client
        .get_alias()
        .function_name(name)
        .name(alias)
        .send()
        .await;
    let before = match current {
        Ok(current) => Some(current.function_version().unwrap_or_default().to_string()),
        Err(err) if is_error_code(&err, "ResourceNotFoundException") => None,
        Err(err) => {
            return Err(aws_error(
                &format!("reading alias {alias} failed: GetAlias"),
                err,
            ));
        }
    };
    let moved = if before.is_some() {
        client
            .update_alias()
            .function_name(name)
            .name(alias)
            .function_version(&version)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| aws_error("UpdateAlias", err))
    } else {
        client
            .create_alias()
            .function_name(name)
            .name(alias)
            .function_version(&version)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| aws_error("CreateAlias", err))
    };
    moved.context(format!("moving alias {alias} to version {version} failed"))?;
    Ok((
        version.clone(),
        Some(AliasMove {
            name: alias.to_string(),
            before,
            after: Some(version),
        }),
    ))
}

/// Invoke the health check in each account and region; on failure, roll back when asked.
async fn smoke_test(
    args: &Args,
    session: &Arc<Session>,
    function: &str,
    scopes: &BTreeSet<Scope>,
    outcomes: &mut [Outcome],
    problems: &mut Vec<String>,
) {
    let payload: Value = serde_json::from_str(&args.smoke_payload).unwrap_or(Value::Null);
    let mut failures = Vec::new();
    for scope in scopes {
        let check = smoke::check(&session.scope(scope).client, function, &payload);
        // An invocation may take minutes: a signal does not wait for it (the
        // updates are done and recorded; the run ends with the signal's code).
        let checked = tokio::select! {
            checked = check => checked,
            _ = session.stop.stopping() => {
                problems.push(format!("the smoke test of {function} was stopped by a signal"));
                return;
            }
        };
        match checked {
            Ok(()) => tracing::info!("smoke test of {function} in {scope} passed"),
            Err(reason) => {
                tracing::error!("smoke test of {function} in {scope} failed: {reason:#}");
                failures.push(format!("{scope}: {reason:#}"));
            }
        }
    }
    if failures.is_empty() {
        return;
    }
    let failure = format!(
        "the smoke test of {function} failed ({})",
        failures.join("; ")
    );
    if !args.undo_on_failure {
        problems.push(format!(
            "{failure}; the functions stay updated: roll back with `layer-attach --undo` on this output"
        ));
        return;
    }
    // Every function whose layers this run changed, also those whose
    // publish-version or alias step failed afterwards.
    let changed: Vec<usize> = outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| o.layers_changed)
        .map(|(i, _)| i)
        .collect();
    tracing::warn!("rolling back {} functions", changed.len());
    let items: Vec<Outcome> = changed.iter().map(|&i| outcomes[i].clone()).collect();
    let bar = session.progress(items.len(), "rolling back");
    let task_bar = bar.clone();
    let restored = run_paced(session, items, move |session, outcome, sending| {
        let bar = task_bar.clone();
        async move {
            let handle = session.scope(&outcome.scope);
            let result = restore(
                handle,
                session.limits,
                session.journal(),
                &outcome.entry,
                Guard {
                    force: false,
                    dry_run: false,
                },
                sending,
            )
            .await;
            bar.inc(1);
            result
        }
    })
    .await;
    bar.finish_and_clear();
    let mut not_restored = 0;
    for (&index, paced) in changed.iter().zip(restored) {
        let entry = &mut outcomes[index].entry;
        let result = match paced {
            Paced::Done((result, _current)) => result,
            // A signal stopped the rollback: the entry keeps the deploy's
            // before/after, so that `--undo` finishes it.
            Paced::NotStarted => {
                not_restored += 1;
                entry.reason = Some(format!(
                    "{failure}; the rollback was stopped by a signal before it reached this function"
                ));
                continue;
            }
            Paced::Unfinished => {
                not_restored += 1;
                entry.status = AttachmentStatus::Unknown;
                entry.reason = Some(format!("{failure}; {UNFINISHED}"));
                continue;
            }
        };
        let (status, reason) = match result {
            Restore::Restored | Restore::AlreadyThere | Restore::Planned => (
                AttachmentStatus::Restored,
                format!("{failure}; rolled back to the before list"),
            ),
            Restore::Conflict(why) => {
                not_restored += 1;
                (
                    AttachmentStatus::Conflict,
                    format!("{failure}; not rolled back: {why}"),
                )
            }
            Restore::Failed(why) => {
                not_restored += 1;
                (
                    AttachmentStatus::Failed,
                    format!("{failure}; rollback failed: {why}"),
                )
            }
        };
        entry.status = status;
        entry.reason = Some(reason);
    }
    problems.push(format!(
        "{failure}; rolled back {} of {} changed functions",
        changed.len() - not_restored,
        changed.len()
    ));
}
