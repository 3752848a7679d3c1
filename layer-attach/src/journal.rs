//! The run's journal: before each change of a function's layers, a `begin`
//! line (function, region, account, `before`, `after`); after it, an `end`
//! line with the result. Each line is on disk before the change is sent, so
//! after any stop, `kill -9` included, every function the run may have
//! changed has a line, and `--undo --journal PATH` can restore them all.

use std::path::Path;

use layer_core::arn::LayerVersionArn;
use layer_core::journal::{AppendLog, KEEP_FOR, prune, read_lines, run_id, state_dir};
use layer_core::sections::{Attachment, AttachmentStatus};
use layer_core::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Map;

use crate::update::Applied;

/// The name every layer-attach journal starts with (pruning keeps to these).
const PREFIX: &str = "layer-attach-";
/// The first line's `journal` field.
const FORMAT: &str = "layer-attach-journal/v1";

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Line {
    /// The first line: which run wrote the journal.
    Run {
        journal: String,
        run: String,
        /// `attach` (a deploy, `--to-version`) or `undo`.
        mode: String,
        pid: u32,
    },
    /// About to send this change.
    Begin(Change),
    /// What became of it.
    End {
        region: String,
        function: String,
        /// `updated` or `failed`.
        status: AttachmentStatus,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
}

/// A change of one function's layers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub region: String,
    pub function: String,
    /// The function's account (from its ARN).
    pub account: String,
    /// The estate account the run assumed a role in (`--account`), which
    /// `--undo --journal` assumes again; absent for the run's own account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estate_account: Option<String>,
    pub before: Vec<LayerVersionArn>,
    pub after: Vec<LayerVersionArn>,
}

/// The journal of this run.
#[derive(Debug)]
pub struct Journal {
    log: AppendLog,
    first: Line,
    /// Whether the first line is written (and the path said).
    started: std::sync::Mutex<bool>,
}

impl Journal {
    /// The journal of a run that changes functions: `chosen` (`--journal`) or
    /// a new file in the state folder, whose old journals are pruned. The file
    /// is made, and its path said on stderr, before the first change (a run
    /// that changes nothing leaves none).
    pub fn open(chosen: Option<&Path>, mode: &str) -> Result<Journal> {
        let run = run_id();
        let path = match chosen {
            Some(path) => path.to_path_buf(),
            None => {
                let dir = state_dir()?;
                let pruned = prune(&dir, PREFIX, KEEP_FOR);
                if pruned > 0 {
                    tracing::info!("pruned {pruned} journals older than 30 days");
                }
                dir.join(format!("{PREFIX}{run}.jsonl"))
            }
        };
        let log = AppendLog::new(path)?;
        Ok(Journal {
            log,
            first: Line::Run {
                journal: FORMAT.into(),
                run,
                mode: mode.into(),
                pid: std::process::id(),
            },
            started: std::sync::Mutex::new(false),
        })
    }

    pub fn path(&self) -> &Path {
        self.log.path()
    }

    /// Whether the run changed (or tried to change) anything.
    pub fn written(&self) -> bool {
        self.log.written()
    }

    /// Say, before the change is sent, what it will be. An error here means
    /// the change must not be sent.
    pub fn begin(&self, change: &Change) -> Result<()> {
        {
            let mut started = self
                .started
                .lock()
                .map_err(|_| Error::failed("the journal's lock was poisoned by a panic"))?;
            if !*started {
                self.log.append(&self.first)?;
                eprintln!("layer-attach: journal: {}", self.log.path().display());
                *started = true;
            }
        }
        self.log.append(&Line::Begin(change.clone()))
    }

    /// Say what became of it. A failure to write is only logged: the `begin`
    /// line already makes `--undo` check the function.
    pub fn end(&self, change: &Change, applied: &Applied) {
        let (status, reason) = match applied {
            Applied::Done { .. } => (AttachmentStatus::Updated, None),
            Applied::Failed(why) => (AttachmentStatus::Failed, Some(why.clone())),
        };
        let line = Line::End {
            region: change.region.clone(),
            function: change.function.clone(),
            status,
            reason,
        };
        if let Err(err) = self.log.append(&line) {
            tracing::warn!("{err:#}");
        }
    }
}

/// The account in a function's ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`).
pub fn account_of(function_arn: &str) -> String {
    function_arn
        .split(':')
        .nth(4)
        .unwrap_or_default()
        .to_string()
}

/// The changes a journal names, as deploy entries `--undo` restores: per
/// function the list it had before the run's first change and the one its
/// last change left (`updated` or `failed` when the result was written,
/// `unknown` when the run stopped before that).
pub fn read(path: &Path) -> Result<Vec<Attachment>> {
    let bad = |line: usize, err: String| {
        Error::input(format!(
            "{} line {line}: not a layer-attach journal line: {err}",
            path.display()
        ))
        .with_fix(
            "give the journal layer-attach wrote (its path is on stderr at the start of the run)",
        )
    };
    let mut entries: Vec<Attachment> = Vec::new();
    for (index, value) in read_lines(path)?.into_iter().enumerate() {
        let line: Line =
            serde_json::from_value(value).map_err(|err| bad(index + 1, err.to_string()))?;
        match line {
            Line::Run { journal, .. } if journal != FORMAT => {
                return Err(bad(index + 1, format!("unknown format {journal:?}")));
            }
            Line::Run { .. } => {}
            Line::Begin(change) => {
                let same = |e: &&mut Attachment| {
                    e.region == change.region && e.function == change.function
                };
                match entries.iter_mut().find(same) {
                    // A later change of the same function (the rollback after
                    // a failed smoke test): `after` stays the last list other
                    // than `before`, where a stopped rollback may have left it
                    // (`--undo` finds `before` already there otherwise).
                    Some(known) => {
                        if change.after != known.before {
                            known.after = change.after;
                        }
                        known.status = AttachmentStatus::Unknown;
                        known.reason = Some(
                            "the run stopped before it wrote what became of this change".into(),
                        );
                    }
                    None => entries.push(Attachment {
                        account: change.estate_account,
                        region: change.region,
                        function: change.function,
                        before: change.before,
                        after: change.after,
                        status: AttachmentStatus::Unknown,
                        reason: Some(
                            "the run stopped before it wrote what became of this change".into(),
                        ),
                        published_version: None,
                        alias: None,
                        extra: Map::new(),
                    }),
                }
            }
            Line::End {
                region,
                function,
                status,
                reason,
            } => {
                if let Some(known) = entries
                    .iter_mut()
                    .find(|e| e.region == region && e.function == function)
                {
                    known.status = status;
                    known.reason = reason;
                }
            }
        }
    }
    if entries.is_empty() {
        tracing::warn!("the journal {} names no change", path.display());
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arn(version: i64) -> LayerVersionArn {
        format!("arn:aws:lambda:eu-west-1:123456789012:layer:common:{version}")
            .parse()
            .unwrap()
    }

    fn change(function: &str) -> Change {
        Change {
            region: "eu-west-1".into(),
            function: function.into(),
            account: "123456789012".into(),
            estate_account: None,
            before: vec![arn(1)],
            after: vec![arn(2)],
        }
    }

    #[test]
    fn a_journal_reads_back_as_entries_to_undo() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let journal = Journal::open(Some(&path), "attach").unwrap();
        assert!(!path.exists(), "made at the first change only");
        journal.begin(&change("a")).unwrap();
        journal.end(&change("a"), &Applied::Done { revision_id: None });
        journal.begin(&change("b")).unwrap();
        journal.end(&change("b"), &Applied::Failed("refused".into()));
        // Killed while c's update was in flight.
        journal.begin(&change("c")).unwrap();
        let entries = read(&path).unwrap();
        let statuses: Vec<(&str, AttachmentStatus)> = entries
            .iter()
            .map(|e| (e.function.as_str(), e.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("a", AttachmentStatus::Updated),
                ("b", AttachmentStatus::Failed),
                ("c", AttachmentStatus::Unknown),
            ]
        );
        assert!(
            entries
                .iter()
                .all(|e| e.before == [arn(1)] && e.after == [arn(2)])
        );
        assert_eq!(entries[1].reason.as_deref(), Some("refused"));
    }

    #[test]
    fn a_stopped_rollback_leaves_the_deploy_s_before_and_after() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let journal = Journal::open(Some(&path), "attach").unwrap();
        journal.begin(&change("a")).unwrap();
        journal.end(&change("a"), &Applied::Done { revision_id: None });
        let back = Change {
            before: vec![arn(2)],
            after: vec![arn(1)],
            ..change("a")
        };
        journal.begin(&back).unwrap();
        let entries = read(&path).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].before, [arn(1)]);
        assert_eq!(entries[0].after, [arn(2)]);
        assert_eq!(entries[0].status, AttachmentStatus::Unknown);
    }

    #[test]
    fn a_file_that_is_no_journal_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deploy.jsonl");
        std::fs::write(&path, "{\"schema\": \"layer-record/v1\"}\n").unwrap();
        let err = read(&path).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(
            err.to_string().contains("not a layer-attach journal line"),
            "{err}"
        );
    }

    #[test]
    fn the_account_comes_from_the_function_arn() {
        assert_eq!(
            account_of("arn:aws:lambda:eu-west-1:210987654321:function:fn-a"),
            "210987654321"
        );
    }
}
