use serde::{Deserialize, Serialize};

use crate::arn::LayerVersionArn;
use crate::platform::{Architecture, Runtime};
use crate::sections::{Grant, RetentionOutcome, SsmPointer};

/// `planned`: what `layer-publish --dry-run` would do with one record in one
/// region. Nothing was changed; a real run with the same input and flags does
/// this (unless the account changes in between). `layer-attach` refuses it: it
/// reads `published`, which a dry run never writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Planned {
    pub region: String,
    /// The account of the estate (`--account`) this plan is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub layer_name: String,
    pub action: PlannedAction,
    /// `reuse`: the existing version that holds this zip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_arn: Option<LayerVersionArn>,
    /// `publish`: the zip would go through S3 (else inline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<PlannedUpload>,
    /// Base64 SHA-256 of the zip (what AWS reports as CodeSha256).
    pub code_sha256: String,
    /// The description a new version would get.
    pub description: String,
    #[serde(default)]
    pub compatible_runtimes: Vec<Runtime>,
    #[serde(default)]
    pub compatible_architectures: Vec<Architecture>,
    /// The grants of the run; `added` is true for each that would be added,
    /// false for one already on the reused version.
    #[serde(default)]
    pub permissions: Vec<Grant>,
    /// What the retention policy would delete (`dry_run` is true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<RetentionOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semantic_version: Option<String>,
    /// SHA-256 of the zip, hex.
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// The SSM parameter a real run would point at the version (`--ssm-parameter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssm_parameter: Option<SsmPointer>,
}

/// What a real run would do with the record's zip in the region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlannedAction {
    /// Publish a new version (no identical one exists, or `--no-reuse`).
    Publish,
    /// Reuse the identical version `version`.
    Reuse,
}

/// Where a zip published through S3 would go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedUpload {
    pub bucket: String,
    pub key: String,
    /// False when the object is there already with the same SHA-256.
    pub upload: bool,
}
