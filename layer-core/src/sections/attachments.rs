use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::arn::LayerVersionArn;

/// One function's change in `attachments`: enough to undo it.
///
/// Written by an undo run, `before` is the list found and `after` the one restored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub region: String,
    /// The function's account, when the run worked across accounts
    /// (`--account`); `--undo` assumes the role in it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub function: String,
    /// Layer versions before the change, in order.
    pub before: Vec<LayerVersionArn>,
    /// Layer versions after the change (or planned, on `--dry-run` / `skipped`).
    pub after: Vec<LayerVersionArn>,
    pub status: AttachmentStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The function version published after the update (`--publish-version`, `--alias`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_version: Option<String>,
    /// The alias moved after the update (`--alias`); `--undo` reads it back to
    /// restore the alias.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<AliasMove>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An alias moved from the function version `before` to `after`. `None` means
/// no alias: a deploy that created the alias has `before: null`, and the undo
/// that deletes it again has `after: null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasMove {
    pub name: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl AliasMove {
    /// The move that undoes this one.
    pub fn reversed(&self) -> AliasMove {
        AliasMove {
            name: self.name.clone(),
            before: self.after.clone(),
            after: self.before.clone(),
        }
    }
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
    /// A signal stopped the run before this change was sent: not touched.
    #[serde(rename = "not_started")]
    NotStarted,
    /// A signal stopped the run while this change was in flight: it may or
    /// may not have been applied (`--undo` compares the function with
    /// `before` and `after`).
    Unknown,
}

impl AttachmentStatus {
    /// Every status, for checks that the schema lists the same ones.
    pub const ALL: &[AttachmentStatus] = &[
        AttachmentStatus::Updated,
        AttachmentStatus::Unchanged,
        AttachmentStatus::Skipped,
        AttachmentStatus::Failed,
        AttachmentStatus::Planned,
        AttachmentStatus::Restored,
        AttachmentStatus::Conflict,
        AttachmentStatus::NotStarted,
        AttachmentStatus::Unknown,
    ];
}
