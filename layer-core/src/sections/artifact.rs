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
    pub check: Check,
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

/// Which of layer-pack's checks found something.
///
/// A check this build does not know (written by a newer layer-pack) is kept
/// verbatim as [`Check::Other`], so that a reader never fails on it and writes
/// it back unchanged.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Check {
    /// Files where Lambda's Python never looks (outside `python/`, wrong site-packages).
    Layout,
    /// A native library built for another machine than the architecture.
    ElfMachine,
    /// A native extension built for another Python than the runtime.
    Abi,
    /// A native library that needs a newer glibc than the runtime's OS has.
    Glibc,
    /// A wheel whose tags do not fit the runtime or architecture.
    WheelTag,
    /// Lambda's size limits.
    Size,
    /// A file of the library that replaces one a dependency installed.
    Override,
    /// Importing the layer's packages with the target Python.
    Import,
    /// A declared runtime AWS has deprecated (the runtime lifecycle table).
    Runtime,
    /// Any other check, as written.
    Other(String),
}

impl Check {
    /// The name in records: `layout`, `elf-machine`, `wheel-tag`, ...
    pub fn as_str(&self) -> &str {
        match self {
            Check::Layout => "layout",
            Check::ElfMachine => "elf-machine",
            Check::Abi => "abi",
            Check::Glibc => "glibc",
            Check::WheelTag => "wheel-tag",
            Check::Size => "size",
            Check::Override => "override",
            Check::Import => "import",
            Check::Runtime => "runtime",
            Check::Other(name) => name,
        }
    }

    /// The checks that compare native code or wheels with the runtime and architecture.
    pub fn is_compatibility(&self) -> bool {
        matches!(
            self,
            Check::ElfMachine | Check::Abi | Check::Glibc | Check::WheelTag
        )
    }
}

impl From<String> for Check {
    fn from(name: String) -> Self {
        let known = [
            Check::Layout,
            Check::ElfMachine,
            Check::Abi,
            Check::Glibc,
            Check::WheelTag,
            Check::Size,
            Check::Override,
            Check::Import,
            Check::Runtime,
        ];
        known
            .into_iter()
            .find(|check| check.as_str() == name)
            .unwrap_or(Check::Other(name))
    }
}

impl From<Check> for String {
    fn from(check: Check) -> Self {
        match check {
            Check::Other(name) => name,
            known => known.as_str().to_string(),
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}
