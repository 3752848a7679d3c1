use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `artifact`: the zip `layer-pack` wrote, and what verifying it found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    /// Absolute path of the zip.
    pub path: String,
    pub zip_bytes: u64,
    /// The sum of the files' sizes, as Lambda counts against its unzipped limit.
    pub unzipped_bytes: u64,
    /// Files in the zip (directory entries not counted).
    pub files: u64,
    /// SHA-256 of the zip, hex.
    pub sha256: String,
    /// SHA-256 of the zip, base64: what AWS reports as `CodeSha256` and
    /// Terraform computes as `filebase64sha256`.
    pub code_sha256: String,
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Bytes and files that pruning left out.
    #[serde(default)]
    pub pruned_bytes: u64,
    #[serde(default)]
    pub pruned_files: u64,
    /// The libdeflate level the entries were compressed with (0: stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression_level: Option<u8>,
    /// How `requirements.txt` was installed, when the layer has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<Dependencies>,
    /// Milliseconds per step: `install`, `collect`, `verify`, `zip`, `total`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub timing_ms: BTreeMap<String, u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The dependency install behind an artifact.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dependencies {
    /// `uv` or `pip`, and its version.
    pub installer: String,
    pub installer_version: String,
    /// What the wheels were chosen for, e.g. `python3.11/x86_64`.
    pub target: String,
    /// The manylinux platform the wheels were chosen for, e.g. `manylinux2014_x86_64`.
    pub platform: String,
    /// Hash of requirements, constraints, target and installer: the cache entry's name.
    pub cache_key: String,
    /// True when an earlier install with the same key was reused.
    pub cache_hit: bool,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One thing a check found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    /// Which check: `layout`, `elf-machine`, `abi`, `glibc`, `wheel-tag`, `size`, `override`.
    pub check: String,
    /// The path inside the zip (or the layer folder, for `layout`) it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub message: String,
    /// The runtime/architecture pairs it applies to, e.g. `python3.11/x86_64`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
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
