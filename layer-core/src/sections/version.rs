use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `version`: what `layer-bump` decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionSection {
    /// The version found (highest matching tag, `VERSION` file, or the initial version).
    pub current: String,
    /// The version to release (equal to `current` when `bump` is `none`).
    pub next: String,
    pub bump: Bump,
    /// The tag name of `next` (with the tag prefix), e.g. `v1.3.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The commits that decided the bump, newest first.
    #[serde(default)]
    pub commits: Vec<DecidingCommit>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    None,
    Patch,
    Minor,
    Major,
    /// Only the pre-release counter moved (`1.3.0-rc.1` → `1.3.0-rc.2`).
    Prerelease,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecidingCommit {
    pub id: String,
    /// The Conventional Commits type (`feat`, `fix`, ...), or `other`.
    #[serde(rename = "type")]
    pub kind: String,
    pub subject: String,
    #[serde(default)]
    pub breaking: bool,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
