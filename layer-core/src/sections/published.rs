use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `published`: the layer version in one region. A record published to several
/// regions becomes one record per region.
///
/// `layer-publish` also writes, in `extra` (see `published.v1.json`):
/// `semantic_version`, `sha256` (hex, in full: the description carries only its
/// first 12 digits), `license`, and `s3` (`bucket`, `key`, `uploaded`) when the
/// zip went through S3. They are kept out of the typed fields so that adding
/// them broke no producer that builds this struct.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Published {
    pub region: String,
    pub layer_name: String,
    pub layer_arn: String,
    pub version_arn: String,
    pub version: i64,
    /// Base64 SHA-256 of the zip, as AWS reports it.
    pub code_sha256: String,
    pub created_date: String,
    /// True when an identical version already existed and was reused.
    pub reused: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub compatible_runtimes: Vec<String>,
    #[serde(default)]
    pub compatible_architectures: Vec<String>,
    #[serde(default)]
    pub permissions: Vec<Grant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<RetentionOutcome>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A `lambda:GetLayerVersion` grant on the published version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub statement_id: String,
    /// An account id, or `*` for everyone.
    pub principal: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// False when the statement was already there.
    pub added: bool,
}

/// What the retention policy did (or, with `--dry-run`, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionOutcome {
    pub dry_run: bool,
    pub deleted: Vec<i64>,
    /// Versions beyond the policy that were kept because a function uses them.
    pub kept_in_use: Vec<i64>,
}
