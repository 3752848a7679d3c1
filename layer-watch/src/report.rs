//! The report records (`layer-report/v1`): one `layer` record per layer and
//! region, and in `--interval` mode one `round` record after each round.
//! Their JSON Schema: `layer-core/schemas/layer-report.v1.json`.

use std::time::Duration;

use layer_core::arn::{LayerArn, LayerVersionArn};
use layer_core::platform::{Date, Runtime, Stage};
use layer_core::record::LAYER_REPORT;
use layer_core::sections::{Family, RetentionPolicy};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::metrics::MetricsSummary;

/// One layer in one region.
#[derive(Debug, Clone, Serialize)]
pub struct LayerReport {
    pub schema: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub generated_at: String,
    /// The account watched from (`--account`), in an estate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub region: String,
    pub layer_name: String,
    pub layer_arn: LayerArn,
    /// The newest existing version; null when every version was deleted.
    pub latest_version: Option<i64>,
    /// Every existing version, and every deleted version still in use; newest first.
    pub versions: Vec<VersionReport>,
    /// Every function with at least one version or alias on the layer, by name.
    pub functions: Vec<FunctionReport>,
    pub drift: Drift,
    /// Versions in use that no longer exist (they keep working for their functions).
    pub deleted_in_use: Vec<i64>,
    /// The metrics window; null with --no-metrics.
    pub window: Option<WindowReport>,
    /// Sums over every function using the layer; null with --no-metrics.
    pub metrics: Option<MetricsSummary>,
    pub storage: Storage,
    /// The runtimes of the functions using the layer that AWS has deprecated
    /// (or blocks), by the runtime lifecycle table; empty when none.
    pub deprecated_runtimes: Vec<DeprecatedRuntime>,
    /// Set for another account's layer: what could not be seen from here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_account: Option<OtherAccount>,
    /// The family the layer is a build of (`targets`: this build's), when a
    /// record said so; drift is this build's own (behind its latest).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
    /// Fields of the input record no layer tool owns, passed through untouched.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl LayerReport {
    pub fn envelope() -> (String, &'static str) {
        (LAYER_REPORT.tag(), "layer")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct WindowReport {
    /// `--since` as given.
    pub since: String,
    pub start: String,
    pub end: String,
    pub period_seconds: i32,
}

/// One layer version.
#[derive(Debug, Clone, Serialize)]
pub struct VersionReport {
    pub version: i64,
    pub version_arn: LayerVersionArn,
    /// False for a deleted version that functions still use.
    pub exists: bool,
    pub latest: bool,
    pub created_date: Option<String>,
    /// Zipped size in bytes (unknown for deleted versions).
    pub code_size: Option<i64>,
    /// Functions on this version, with the qualifiers and aliases that use it.
    pub functions: Vec<Usage>,
    /// Sums over the functions attributed to this version; null with --no-metrics.
    pub metrics: Option<MetricsSummary>,
}

/// Which versions and aliases of one function use a layer version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Usage {
    pub function: String,
    /// `$LATEST` and/or published version numbers.
    pub qualifiers: Vec<String>,
    pub aliases: Vec<String>,
}

/// One function (all its versions) using the layer.
#[derive(Debug, Clone, Serialize)]
pub struct FunctionReport {
    pub function: String,
    pub arn: String,
    /// The layer version of `$LATEST`; null when `$LATEST` does not use the layer.
    pub latest_uses: Option<i64>,
    /// Every version or alias of the function on the layer.
    pub uses: Vec<QualifierUse>,
    /// The layer version this function's metrics count towards: `$LATEST`'s,
    /// otherwise the newest one it uses.
    pub attributed_version: i64,
    /// True when its versions or aliases run different layer versions (CloudWatch
    /// counts all of a function's versions together, so attribution is approximate).
    pub mixed: bool,
    pub behind: bool,
    /// The runtime of its `$LATEST` (or of its newest version on the layer);
    /// null for a function without one (a container image).
    pub runtime: Option<Runtime>,
    /// Where that runtime stands today (`supported`, `deprecated`,
    /// `create_blocked`, `update_blocked`); null for a runtime the table lacks.
    pub runtime_stage: Option<Stage>,
    /// CloudWatch metrics of the function (all its versions); null with --no-metrics.
    pub metrics: Option<MetricsSummary>,
}

/// Functions on one runtime AWS has deprecated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeprecatedRuntime {
    pub runtime: Runtime,
    pub stage: Stage,
    pub deprecated: Option<Date>,
    /// From this day AWS refuses to update functions on it.
    pub update_blocked: Option<Date>,
    pub functions: Vec<String>,
}

/// Another account's layer: its versions cannot be listed from here (AWS
/// never allows it), so only the versions this account's functions use were
/// read, one by one, and only those granted to this account could be.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OtherAccount {
    /// The account that owns the layer.
    pub owner_account: String,
    /// Versions functions here use that this account may not read (no grant
    /// to it): their size and date are unknown, and they are not in `versions`.
    pub unreadable_versions: Vec<i64>,
    /// What is missing from the report, and why.
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QualifierUse {
    /// `$LATEST`, a version number, or an alias name.
    pub qualifier: String,
    /// `version`, or `alias` (then `function_version` says which version it points to).
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_version: Option<String>,
    pub layer_version: i64,
}

/// Who runs an older version than the latest. Published function versions are
/// immutable history and not drift; `$LATEST` and aliases are what runs and
/// what can be moved.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Drift {
    pub functions_using: usize,
    pub functions_behind: usize,
    pub behind: Vec<Behind>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Behind {
    pub function: String,
    /// `$LATEST` or an alias name.
    pub qualifier: String,
    pub layer_version: i64,
    /// latest version number - this version number.
    pub versions_behind: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Storage {
    /// Existing versions.
    pub versions: usize,
    /// Zipped bytes of every existing version.
    pub total_code_size: i64,
    pub latest_code_size: Option<i64>,
    pub retention: Retention,
}

/// What the retention policy (the same rule layer-publish applies) would free.
#[derive(Debug, Clone, Serialize)]
pub struct Retention {
    /// null when no policy was given (no record policy, no flags).
    pub policy: Option<RetentionPolicy>,
    pub would_delete: Vec<i64>,
    /// Beyond the policy but kept because a function (version) still uses them.
    pub kept_in_use: Vec<i64>,
    pub would_free_bytes: i64,
}

/// The end of one `--interval` round.
#[derive(Debug, Clone, Serialize)]
pub struct RoundSummary {
    pub schema: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub round: u64,
    pub finished_at: String,
    pub elapsed_ms: u64,
    pub layers: usize,
    pub functions_using: usize,
    pub functions_behind: usize,
}

impl RoundSummary {
    pub fn new(round: u64, reports: &[LayerReport], elapsed: Duration) -> Self {
        RoundSummary {
            schema: LAYER_REPORT.tag(),
            kind: "round",
            round,
            finished_at: now_rfc3339(),
            elapsed_ms: elapsed.as_millis() as u64,
            layers: reports.len(),
            functions_using: reports.iter().map(|r| r.drift.functions_using).sum(),
            functions_behind: reports.iter().map(|r| r.drift.functions_behind).sum(),
        }
    }
}

pub fn now_rfc3339() -> String {
    rfc3339(std::time::SystemTime::now())
}

pub fn rfc3339(time: std::time::SystemTime) -> String {
    let seconds = time
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs() as i64;
    rfc3339_secs(seconds)
}

pub fn rfc3339_secs(seconds: i64) -> String {
    aws_smithy_types::DateTime::from_secs(seconds)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}
