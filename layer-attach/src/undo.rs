//! `--undo`: restore each function's `before` list from a deploy record, but only
//! where the function still has the deploy's `after` list (someone else's later
//! change is a conflict, not something to overwrite; `--force` overrides). Also
//! used to roll back after a failed smoke test.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use layer_aws::{aws_error, is_error_code};
use layer_core::arn::LayerVersionArn;
use layer_core::io::RecordWriter;
use layer_core::sections::{Attachment, AttachmentStatus, names};
use layer_core::{Error, Record, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Args;
use crate::plan::MAX_LAYERS;
use crate::session::{Region, Session, run_bounded};
use crate::update::{Applied, Limits, set_layers};

/// An alias a deploy moved (`--alias`): from version `before` (none: the deploy
/// created it) to `after`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasMove {
    pub name: String,
    pub before: Option<String>,
    pub after: String,
}

impl AliasMove {
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

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

/// Restore one function's `before` list (and alias), guarded by what the deploy
/// left behind. Also returns the layers the function had when read.
pub async fn restore(
    region: &Region,
    limits: Limits,
    function: &str,
    before: &[String],
    after: &[String],
    alias: Option<&AliasMove>,
    force: bool,
) -> (Restore, Option<Vec<String>>) {
    restore_or_plan(region, limits, function, before, after, alias, force, false).await
}

#[allow(clippy::too_many_arguments)]
async fn restore_or_plan(
    region: &Region,
    limits: Limits,
    function: &str,
    before: &[String],
    after: &[String],
    alias: Option<&AliasMove>,
    force: bool,
    dry_run: bool,
) -> (Restore, Option<Vec<String>>) {
    region.pacers.reads.wait().await;
    let read = region
        .client
        .get_function_configuration()
        .function_name(function)
        .send()
        .await;
    let config = match read {
        Ok(config) => config,
        Err(err) if is_error_code(&err, "ResourceNotFoundException") => {
            return (
                Restore::Conflict("the function no longer exists".into()),
                None,
            );
        }
        Err(err) => {
            let why = aws_error(&format!("reading {function}"), err).to_string();
            return (Restore::Failed(why), None);
        }
    };
    let current: Vec<String> = config
        .layers()
        .iter()
        .filter_map(|layer| layer.arn().map(str::to_string))
        .collect();
    let layers = if current == before {
        Restore::AlreadyThere
    } else if current != after && !force {
        Restore::Conflict(format!(
            "its layers changed since the deploy: it has [{}], the deploy left [{}]; \
             --force restores the before list anyway",
            current.join(", "),
            after.join(", ")
        ))
    } else if dry_run {
        Restore::Planned
    } else {
        match set_layers(
            &region.client,
            &region.pacers,
            limits,
            function,
            before,
            config.revision_id(),
        )
        .await
        {
            Applied::Done { .. } => Restore::Restored,
            Applied::Failed(why) => Restore::Failed(why),
        }
    };
    let result = match (layers, alias) {
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
    region.pacers.control.wait().await;
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
        Err(err) => return Restore::Failed(aws_error("GetAlias", err).to_string()),
    };
    if current == alias.before {
        return Restore::AlreadyThere;
    }
    if current.as_deref() != Some(alias.after.as_str()) && !force {
        return Restore::Conflict(format!(
            "alias {} points at version {}, not at {} where the deploy left it",
            alias.name,
            current.as_deref().unwrap_or("(none)"),
            alias.after
        ));
    }
    if dry_run {
        return Restore::Planned;
    }
    region.pacers.control.wait().await;
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
        Err(err) => Restore::Failed(format!("restoring alias {}: {err}", alias.name)),
    }
}

/// One function to restore, and the records that mention it.
#[derive(Debug, Clone)]
struct Undo {
    entry: Attachment,
    alias: Option<AliasMove>,
    records: Vec<usize>,
}

pub async fn run(args: &Args, mut records: Vec<Record>) -> Result<()> {
    let work = collect(&records)?;
    if work.is_empty() {
        tracing::warn!("the deploy records changed no function: nothing to undo");
    }
    let regions: BTreeSet<String> = work.iter().map(|u| u.entry.region.clone()).collect();
    let session = Arc::new(Session::connect(args, regions).await?);
    let bar = session.progress(work.len(), "restoring");
    let task_bar = bar.clone();
    let (force, dry_run) = (args.force, args.dry_run);
    let results = run_bounded(&session, work.clone(), move |session, undo| {
        let bar = task_bar.clone();
        async move {
            let entry = &undo.entry;
            let result = restore_or_plan(
                session.region(&entry.region),
                session.limits,
                &entry.function,
                &entry.before,
                &entry.after,
                undo.alias.as_ref(),
                force,
                dry_run,
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
    for (undo, (result, current)) in work.into_iter().zip(results) {
        let (status, reason) = match result {
            Restore::Restored => (AttachmentStatus::Restored, None),
            Restore::AlreadyThere => (
                AttachmentStatus::Unchanged,
                Some("it already has the before list".to_string()),
            ),
            Restore::Planned => (AttachmentStatus::Planned, None),
            Restore::Conflict(why) => (AttachmentStatus::Conflict, Some(why)),
            Restore::Failed(why) => (AttachmentStatus::Failed, Some(why)),
        };
        if matches!(
            status,
            AttachmentStatus::Conflict | AttachmentStatus::Failed
        ) {
            problems += 1;
            tracing::warn!(
                "{} ({}): {}: {}",
                undo.entry.function,
                undo.entry.region,
                if status == AttachmentStatus::Conflict {
                    "conflict"
                } else {
                    "failed"
                },
                reason.as_deref().unwrap_or_default()
            );
        }
        let mut extra = Map::new();
        if let Some(alias) = &undo.alias {
            // The move back: from the deploy's version to the one before (none: deleted).
            let back = serde_json::json!({
                "name": alias.name,
                "before": alias.after,
                "after": alias.before,
            });
            extra.insert("alias".into(), back);
        }
        let entry = Attachment {
            region: undo.entry.region.clone(),
            function: undo.entry.function.clone(),
            // The list found now, and the one restored (or to restore).
            before: current.unwrap_or_else(|| undo.entry.after.clone()),
            after: undo.entry.before.clone(),
            status,
            reason,
            extra,
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
    if problems > 0 {
        return Err(Error::Findings(format!(
            "{problems} of {} functions were not restored; see \"attachments\" in the output",
            outcomes.len()
        )));
    }
    Ok(())
}

/// The functions to restore: every `updated` or `failed` entry (a failed update
/// may have changed the function), once per function even when several records
/// (several layers) list it. Checked before any AWS call.
fn collect(records: &[Record]) -> Result<Vec<Undo>> {
    let mut work: BTreeMap<(String, String), Undo> = BTreeMap::new();
    for (index, record) in records.iter().enumerate() {
        let number = index + 1;
        let entries: Vec<Attachment> = record
            .require_section(names::ATTACHMENTS, "layer-attach (a deploy record)")
            .map_err(|err| in_record(number, err))?;
        for entry in entries {
            if !matches!(
                entry.status,
                AttachmentStatus::Updated | AttachmentStatus::Failed
            ) {
                continue;
            }
            check_entry(number, &entry)?;
            let alias = match entry.extra.get("alias") {
                None | Some(Value::Null) => None,
                Some(value) => Some(serde_json::from_value::<AliasMove>(value.clone()).map_err(
                    |err| {
                        Error::input(format!(
                            "record {number}: the alias of {} is not valid: {err}",
                            entry.function
                        ))
                    },
                )?),
            };
            let key = (entry.region.clone(), entry.function.clone());
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
                        entry.region
                    ))
                    .with_fix("undo one deploy at a time, newest first"));
                }
                None => {
                    work.insert(
                        key,
                        Undo {
                            entry,
                            alias,
                            records: vec![index],
                        },
                    );
                }
            }
        }
    }
    Ok(work.into_values().collect())
}

fn check_entry(number: usize, entry: &Attachment) -> Result<()> {
    layer_aws::validate_region(&entry.region).map_err(|err| in_record(number, err))?;
    if entry.before.len() > MAX_LAYERS {
        return Err(Error::input(format!(
            "record {number}: {} has {} layers in \"before\"; Lambda allows at most {MAX_LAYERS}",
            entry.function,
            entry.before.len()
        )));
    }
    for arn in entry.before.iter().chain(&entry.after) {
        arn.parse::<LayerVersionArn>()
            .map_err(|err| in_record(number, err))?;
    }
    Ok(())
}

fn in_record(number: usize, err: Error) -> Error {
    match err {
        Error::Input { problem, fix } | Error::Usage { problem, fix } => Error::Input {
            problem: format!("record {number}: {problem}"),
            fix,
        },
        other => other,
    }
}
