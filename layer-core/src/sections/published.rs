use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::arn::{LayerArn, LayerVersionArn};
use crate::platform::{Architecture, Runtime};

/// `published`: the layer version in one region. A record published to several
/// regions becomes one record per region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Published {
    pub region: String,
    /// The account published in, when the run worked across accounts
    /// (`--account`): the record of one account and region of the estate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub layer_name: String,
    pub layer_arn: LayerArn,
    pub version_arn: LayerVersionArn,
    pub version: i64,
    /// Base64 SHA-256 of the zip, as AWS reports it.
    pub code_sha256: String,
    pub created_date: String,
    /// True when an identical version already existed and was reused.
    pub reused: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub compatible_runtimes: Vec<Runtime>,
    #[serde(default)]
    pub compatible_architectures: Vec<Architecture>,
    #[serde(default)]
    pub permissions: Vec<Grant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<RetentionOutcome>,
    /// The layer's semantic version as the version's description carries it
    /// (what AWS holds: a reused version keeps the one it was published with).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semantic_version: Option<String>,
    /// SHA-256 of the zip, hex, in full: AWS's CodeSha256 (the description
    /// carries its first 12 digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Where the zip went when it was published through S3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Upload>,
    /// The SSM parameter that points consumers at this version (`--ssm-parameter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssm_parameter: Option<SsmPointer>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An SSM String parameter holding the published version ARN, for consumers
/// (Terraform's `aws_ssm_parameter`, CDK's `valueForStringParameter`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsmPointer {
    /// The parameter's name, e.g. `/layers/common/latest`.
    pub name: String,
    /// False when it already held the ARN (nothing written); in a dry run,
    /// true when it would be written.
    pub written: bool,
}

/// The S3 object a layer version was published from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Upload {
    pub bucket: String,
    pub key: String,
    /// False when the object was already there with the same SHA-256.
    pub uploaded: bool,
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
    /// Versions beyond the policy that were kept because they are granted to
    /// other accounts, an organization or everyone (whose functions cannot be
    /// seen from here); `--prune-shared` deletes them anyway.
    #[serde(default)]
    pub kept_shared: Vec<i64>,
}
