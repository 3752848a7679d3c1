use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `artifact`: the zip `layer-pack` wrote, and what verifying it found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    pub path: String,
    pub zip_bytes: u64,
    pub unzipped_bytes: u64,
    pub files: u64,
    /// SHA-256 of the zip, hex.
    pub sha256: String,
    /// SHA-256 of the zip, base64: what AWS reports as `CodeSha256` and
    /// Terraform computes as `filebase64sha256`.
    pub code_sha256: String,
    #[serde(default)]
    pub findings: Vec<Finding>,
    #[serde(default)]
    pub pruned_bytes: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub timing_ms: BTreeMap<String, u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One thing a check found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    /// Which check: `layout`, `elf-machine`, `abi`, `glibc`, `size`, ...
    pub check: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub message: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}
