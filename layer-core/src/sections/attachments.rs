use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One function's change in `attachments`: enough to undo it.
///
/// `layer-attach` also writes, in `extra`, `published_version` (the function
/// version published after the update) and `alias` (`{name, before, after}`, the
/// alias it moved) when asked to; `--undo` reads `alias` back to restore it.
/// Written by an undo run, `before` is the list found and `after` the one restored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub region: String,
    pub function: String,
    /// Layer version ARNs before the change, in order.
    pub before: Vec<String>,
    /// Layer version ARNs after the change (or planned, on `--dry-run` / `skipped`).
    pub after: Vec<String>,
    pub status: AttachmentStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttachmentStatus {
    /// Changed (a deploy).
    Updated,
    /// Already as wanted; not touched.
    Unchanged,
    /// Would not work with the new list (runtime, architecture, more than 5 layers); not touched.
    Skipped,
    /// AWS refused or failed the change; `reason` says why.
    Failed,
    /// `--dry-run`: would be changed.
    Planned,
    /// Put back to `before` (`--undo`, or after a failed smoke test).
    Restored,
    /// Not put back: the function changed since the deploy (`--force` overrides).
    Conflict,
}
