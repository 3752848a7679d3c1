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
    /// Where `current` came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<VersionSource>,
    /// The tag or commit the commits were read from (exclusive); absent when
    /// the whole history was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// Only commits touching these paths were read (`--path`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// How many commits counted towards the bump (merge commits, reverted
    /// pairs, release commits and ignored types left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counted: Option<u64>,
    /// The bump level was forced (`--bump`) rather than read from the commits.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forced: bool,
    /// The `VERSION` file that was written (`--write`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
    /// The id of the release commit made (`--commit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub committed: Option<String>,
    /// An annotated tag named `tag` was created (`--tag`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tagged: bool,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where the current version was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionSource {
    /// The highest tag with the tag prefix in HEAD's history.
    Tag,
    /// The `VERSION` file (`--version-file`).
    File,
    /// Neither: the initial version (`--initial`, default 0.0.0).
    Initial,
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
