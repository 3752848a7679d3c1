use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One function's change in `attachments`: enough to undo it.
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
    Updated,
    Unchanged,
    Skipped,
    Failed,
    Planned,
    Restored,
    Conflict,
}
