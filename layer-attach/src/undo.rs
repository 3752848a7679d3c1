//! `--undo`: restore each function's `before` list from a deploy record, but only
//! where the function still has the deploy's `after` list (someone else's later
//! change is a conflict, not something to overwrite; `--force` overrides). Also
//! used to roll back after a failed smoke test. The deploy's entries come from
//! its record or, when the run left no record (`kill -9`), from its journal
//! (`--journal PATH`), with the same rules. `unknown` entries (in flight when a
//! signal stopped the deploy) are restored where the function has `after`,
//! and left alone where it still has `before`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use layer_aws::{Scope, Stop, Traffic, aws_error, is_error_code, lambda_types};
use layer_core::arn::LayerVersionArn;
use layer_core::cli::Summary;
use layer_core::io::RecordWriter;
use layer_core::record::LAYER_RECORD;
use layer_core::sections::{AliasMove, Attachment, AttachmentStatus, names};
use layer_core::{Context, Error, Record, Result};
use serde_json::Map;
use tokio::sync::OwnedSemaphorePermit;

use crate::Args;
use crate::journal::{Change, Journal, account_of};
use crate::plan::MAX_LAYERS;
use crate::session::{Paced, Region, Session, run_paced};
use crate::update::{Applied, Limits, set_layers};

/// What restoring one function came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Restore {
    Restored,
    /// It already had the `before` list (and alias).
    AlreadyThere,
    /// `--dry-run`: it would be restored.
    Planned,
    Conflict(String),
    Failed(String),
}

/// How a restore may go: `force` restores even where the function changed
/// since the deploy; `dry_run` only says whether it would.
#[derive(Debug, Clone, Copy)]
pub struct Guard {
    pub force: bool,
    pub dry_run: bool,
}

/// Restore the `before` list (and alias) of a deploy's entry, guarded by what
/// the deploy left behind (`after`). `sending` is held until the update is
/// sent. Also returns the layers the function had when read.
pub async fn restore(
    region: &Region,
    limits: Limits,
    journal: Option<&Journal>,
    deployed: &Attachment,
    guard: Guard,
    sending: OwnedSemaphorePermit,
) -> (Restore, Option<Vec<LayerVersionArn>>) {
    let Guard { force, dry_run } = guard;
    let (function, before, after) = (&deployed.function, &deployed.before, &deployed.after);
    // GetFunction: its own quota, and it has the layers and the RevisionId.
    let read = region
        .client
        .get_function()
        .function_name(function)
        .send()
        .await;
    let config = match read.map(|out| out.configuration) {
        Ok(Some(config)) => config,
        Ok(None) => {
            return (
                Restore::Failed(format!(
                    "AWS answered GetFunction of {function} without its configuration"
                )),
                None,
            );
        }
        Err(err) if is_error_code(&err, "ResourceNotFoundException") => {
            return (
                Restore::Conflict("the function no longer exists".into()),
                None,
            );
        }
        Err(err) => {
            let why = format!("{:#}", aws_error(&format!("reading {function}"), err));
            return (Restore::Failed(why), None);
        }
    };
    let current = match lambda_types::function_layers(config.layers(), function) {
        Ok(current) => current,
        Err(err) => return (Restore::Failed(format!("{err:#}")), None),
    };
    let layers = if current == *before {
        Restore::AlreadyThere
    } else if current != *after && !force {
        Restore::Conflict(format!(
            "its layers changed since the deploy: it has [{}], the deploy left [{}]; \
             --force restores the before list anyway",
            joined(&current),
            joined(after)
        ))
    } else if dry_run {
        Restore::Planned
    } else {
        let change = Change {
            region: deployed.region.clone(),
            function: function.clone(),
            account: account_of(config.function_arn().unwrap_or_default()),
            estate_account: deployed.account.clone(),
            before: current.clone(),
            after: before.clone(),
        };
        match set_layers(
            &region.client,
            limits,
            journal,
            &change,
            config.revision_id(),
            sending,
        )
        .await
        {
            Applied::Done { .. } => Restore::Restored,
            Applied::Failed(why) => Restore::Failed(why),
        }
    };
    let result = match (layers, &deployed.alias) {
        (layers @ (Restore::Restored | Restore::AlreadyThere | Restore::Planned), Some(alias)) => {
            match restore_alias(region, function, alias, force, dry_run).await {
                Restore::AlreadyThere => layers,
                Restore::Restored if layers == Restore::AlreadyThere => Restore::Restored,
                other if matches!(other, Restore::Conflict(_) | Restore::Failed(_)) => other,
                _ => layers,
            }
        }
        (layers, _) => layers,
    };
    (result, Some(current))
}

/// Move the alias back to the version it had before the deploy (delete it when
/// the deploy created it), if it still points where the deploy left it.
async fn restore_alias(
    region: &Region,
    function: &str,
    alias: &AliasMove,
    force: bool,
    dry_run: bool,
) -> Restore {
    let read = region
        .client
        .get_alias()
        .function_name(function)
        .name(&alias.name)
        .send()
        .await;
    let current = match read {
        Ok(current) => Some(current.function_version().unwrap_or_default().to_string()),
        Err(err) if is_error_code(&err, "ResourceNotFoundException") => None,
        Err(err) => return Restore::Failed(format!("{:#}", aws_error("GetAlias", err))),
    };
    if current == alias.before {
        return Restore::AlreadyThere;
    }
    if current != alias.after && !force {
        return Restore::Conflict(format!(
            "alias {} points at version {}, not at {} where the deploy left it",
            alias.name,
            current.as_deref().unwrap_or("(none)"),
            alias.after.as_deref().unwrap_or("(none)")
        ));
    }
    if dry_run {
        return Restore::Planned;
    }
    let done = match &alias.before {
        Some(version) => region
            .client
            .update_alias()
            .function_name(function)
            .name(&alias.name)
            .function_version(version)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| aws_error("UpdateAlias", err)),
        None => region
            .client
            .delete_alias()
            .function_name(function)
            .name(&alias.name)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| aws_error("DeleteAlias", err)),
    };
    match done {
        Ok(()) => Restore::Restored,
        Err(err) => Restore::Failed(format!("restoring alias {}: {err:#}", alias.name)),
    }
}

fn joined(arns: &[LayerVersionArn]) -> String {
    arns.iter()
        .map(LayerVersionArn::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// One function to restore, and the records that mention it.
#[derive(Debug, Clone)]
struct Undo {
    entry: Attachment,
    records: Vec<usize>,
}

/// What to undo: the records of a deploy, or the journal of a run.
#[derive(Debug)]
pub enum Deploy {
    Records(Vec<Record>),
    Journal(PathBuf),
}

pub async fn run(
    args: &Args,
    deploy: Deploy,
    traffic: &Traffic,
    summary: &Summary,
    (stop, journal): (Arc<Stop>, Option<Arc<Journal>>),
) -> Result<()> {
    let (mut records, work) = match deploy {
        Deploy::Records(records) => {
            let work = collect(&records)?;
            (records, work)
        }
        Deploy::Journal(path) => from_journal(&path)?,
    };
    if work.is_empty() {
        tracing::warn!("the deploy changed no function: nothing to undo");
    }
    // A multi-account deploy names the account of each entry: the same roles
    // are assumed again (all of them before anything is restored).
    let scopes: BTreeSet<Scope> = work.iter().map(|u| scope_of(&u.entry)).collect();
    let session = Arc::new(Session::connect(args, scopes, traffic, stop, journal).await?);
    let bar = session.progress(work.len(), "restoring");
    let task_bar = bar.clone();
    let (force, dry_run) = (args.force, args.dry_run);
    let guard = Guard { force, dry_run };
    let results = run_paced(&session, work.clone(), move |session, undo, sending| {
        let bar = task_bar.clone();
        async move {
            let entry = &undo.entry;
            let result = restore(
                session.scope(&scope_of(entry)),
                session.limits,
                session.journal(),
                entry,
                guard,
                sending,
            )
            .await;
            bar.inc(1);
            result
        }
    })
    .await;
    bar.finish_and_clear();

    let mut outcomes = Vec::new();
    let mut problems = 0;
    for (undo, paced) in work.into_iter().zip(results) {
        let (status, reason, current) = match paced {
            Paced::Done((result, current)) => {
                let (status, reason) = restore_status(result);
                (status, reason, current)
            }
            Paced::NotStarted => (
                AttachmentStatus::NotStarted,
                Some("the undo was stopped by a signal before it reached this function".into()),
                None,
            ),
            Paced::Unfinished => (
                AttachmentStatus::Unknown,
                Some(
                    "the undo was stopped by a signal while restoring this function; it may \
                     or may not have been restored: run the same --undo again"
                        .into(),
                ),
                None,
            ),
        };
        if matches!(
            status,
            AttachmentStatus::Conflict | AttachmentStatus::Failed
        ) {
            problems += 1;
            tracing::warn!(
                "{} ({}): {}: {}",
                undo.entry.function,
                scope_of(&undo.entry),
                if status == AttachmentStatus::Conflict {
                    "conflict"
                } else {
                    "failed"
                },
                reason.as_deref().unwrap_or_default()
            );
        }
        let entry = Attachment {
            region: undo.entry.region.clone(),
            account: undo.entry.account.clone(),
            function: undo.entry.function.clone(),
            // The list found now, and the one restored (or to restore).
            before: current.unwrap_or_else(|| undo.entry.after.clone()),
            after: undo.entry.before.clone(),
            status,
            reason,
            published_version: None,
            // The move back: from the deploy's version to the one before (none: deleted).
            alias: undo.entry.alias.as_ref().map(AliasMove::reversed),
            extra: Map::new(),
        };
        outcomes.push((undo.records, entry));
    }

    for (index, record) in records.iter_mut().enumerate() {
        let entries: Vec<&Attachment> = outcomes
            .iter()
            .filter(|(in_records, _)| in_records.contains(&index))
            .map(|(_, entry)| entry)
            .collect();
        record.set_section(names::ATTACHMENTS, &entries)?;
    }
    RecordWriter::stdout().write_all(&records)?;
    for (_, entry) in &outcomes {
        crate::count(summary, entry.status);
    }
    if session.stop.requested().is_some() {
        let count = |status| outcomes.iter().filter(|(_, e)| e.status == status).count();
        return Err(session
            .stop
            .error(format!(
                "the undo stopped before the end: {} restored, {} in flight (unknown), {} not started",
                count(AttachmentStatus::Restored),
                count(AttachmentStatus::Unknown),
                count(AttachmentStatus::NotStarted),
            ))
            .with_fix("run the same --undo again: it restores what is left and leaves what is restored"));
    }
    if problems > 0 {
        return Err(Error::Findings(format!(
            "{problems} of {} functions were not restored; see \"attachments\" in the output",
            outcomes.len()
        )));
    }
    Ok(())
}

/// An undo entry's status (and reason) for what restoring it came to.
fn restore_status(result: Restore) -> (AttachmentStatus, Option<String>) {
    match result {
        Restore::Restored => (AttachmentStatus::Restored, None),
        Restore::AlreadyThere => (
            AttachmentStatus::Unchanged,
            Some("it already has the before list".to_string()),
        ),
        Restore::Planned => (AttachmentStatus::Planned, None),
        Restore::Conflict(why) => (AttachmentStatus::Conflict, Some(why)),
        Restore::Failed(why) => (AttachmentStatus::Failed, Some(why)),
    }
}

/// The functions a journal names, and the one record the undo writes about
/// them (a journal has no records to annotate).
fn from_journal(path: &std::path::Path) -> Result<(Vec<Record>, Vec<Undo>)> {
    let mut work = Vec::new();
    for entry in crate::journal::read(path)? {
        check_entry(&entry).context(path.display())?;
        work.push(Undo {
            entry,
            records: vec![0],
        });
    }
    Ok((vec![Record::new(LAYER_RECORD)], work))
}

/// The functions to restore: every `updated`, `failed` or `unknown` entry (a
/// failed update, or one in flight when a signal stopped the deploy, may have
/// changed the function), once per function even when several records
/// (several layers) list it. Checked before any AWS call.
fn collect(records: &[Record]) -> Result<Vec<Undo>> {
    let mut work: BTreeMap<(Scope, String), Undo> = BTreeMap::new();
    for (index, record) in records.iter().enumerate() {
        let number = index + 1;
        let entries: Vec<Attachment> = record
            .require_section(names::ATTACHMENTS, "layer-attach (a deploy record)")
            .context(format!("record {number}"))?;
        for entry in entries {
            if !matches!(
                entry.status,
                AttachmentStatus::Updated | AttachmentStatus::Failed | AttachmentStatus::Unknown
            ) {
                continue;
            }
            check_entry(&entry).context(format!("record {number}"))?;
            let key = (scope_of(&entry), entry.function.clone());
            match work.get_mut(&key) {
                Some(known)
                    if known.entry.before == entry.before && known.entry.after == entry.after =>
                {
                    known.records.push(index);
                }
                Some(known) => {
                    return Err(Error::input(format!(
                        "records {} and {number} disagree about {} in {}: different before/after lists",
                        known.records[0] + 1,
                        entry.function,
                        scope_of(&entry)
                    ))
                    .with_fix("undo one deploy at a time, newest first"));
                }
                None => {
                    work.insert(
                        key,
                        Undo {
                            entry,
                            records: vec![index],
                        },
                    );
                }
            }
        }
    }
    Ok(work.into_values().collect())
}

/// The account and region of a deploy's entry.
fn scope_of(entry: &Attachment) -> Scope {
    Scope::new(entry.account.clone(), entry.region.clone())
}

/// What the typed section cannot say: the region is a region, the account
/// an account id, and `before`
/// is a list Lambda would take back.
fn check_entry(entry: &Attachment) -> Result<()> {
    layer_aws::validate_region(&entry.region)?;
    if let Some(account) = &entry.account {
        layer_aws::validate_account(account)?;
    }
    if entry.before.len() > MAX_LAYERS {
        return Err(Error::input(format!(
            "{} has {} layers in \"before\"; Lambda allows at most {MAX_LAYERS}",
            entry.function,
            entry.before.len()
        )));
    }
    Ok(())
}
