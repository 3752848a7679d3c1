use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::platform::Target;

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
    /// How `requirements.txt` was installed, when the layer has one and its
    /// dependencies are one copy under `python/` (the same for every declared Python).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<Dependencies>,
    /// When what the installer resolved differs between the declared Pythons
    /// (native extensions, environment markers): one install per Python, each
    /// under `python/lib/pythonX.Y/site-packages/` (its `path`); then
    /// `dependencies` is absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub site_packages: Vec<Dependencies>,
    /// What the import scan kept back from pruning, when a default rule matched anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pruning: Option<Pruning>,
    /// The import proof, one entry per declared target (runtime/architecture).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub import_proof: Vec<ImportProof>,
    /// Milliseconds per step: `install`, `collect`, `scan`, `verify`, `import_proof`, `zip`, `total`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub timing_ms: BTreeMap<String, u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Pruning that never removes what is imported: the kept Python sources were
/// scanned for their imports, and files a default rule matched that they
/// import (transitively) stayed in the layer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pruning {
    /// Python sources the import scan read.
    pub scanned_files: u64,
    /// Files kept despite a default prune rule, because kept code imports them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept_back: Vec<KeptBack>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One file kept back from pruning, and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeptBack {
    /// The file, as a path inside the zip (`python/astropy/tests/runner.py`).
    pub path: String,
    /// The module it holds (`astropy.tests.runner`).
    pub module: String,
    /// The file whose import keeps it (the first in path order).
    pub imported_by: String,
    /// The default rule that would have removed it (`tests/`).
    pub rule: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The import proof for one target: every top-level module of the layer
/// imported by a local Python of that version, with only the layer on `sys.path`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportProof {
    /// `python3.11/x86_64`.
    pub target: Target,
    /// True when every module imported.
    pub proven: bool,
    /// The interpreter that imported them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<String>,
    /// Its full version, e.g. `3.11.7`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python_version: Option<String>,
    /// Top-level modules that imported.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<String>,
    /// Top-level modules that did not (each has a finding with check `import`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<String>,
    /// Why the target was not proven (no interpreter, another architecture, turned off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The dependency install behind an artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dependencies {
    /// `uv` or `pip`, and its version.
    pub installer: String,
    pub installer_version: String,
    /// What the wheels were chosen for, e.g. `python3.11/x86_64`.
    pub target: Target,
    /// The manylinux platform the wheels were chosen for, e.g. `manylinux2014_x86_64`.
    pub platform: String,
    /// Hash of every input of the install (requirements and the files they reference,
    /// constraints, lock, target, installer and its version): the cache entry's name.
    pub cache_key: String,
    /// True when an earlier install with the same key was reused.
    pub cache_hit: bool,
    /// Why this install was not cached (an input that cannot be hashed), when it was not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_cached: Option<String>,
    /// The lock the dependencies came from (`uv.lock`, `pylock.toml`), when not requirements.txt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock: Option<String>,
    /// Packages built from their source distribution (`docopt 0.6.2`), by the layer's opt-in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub built_from_source: Vec<String>,
    /// The folder of the zip it went into: `python/`, or `python/lib/python3.12/site-packages/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
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
    pub targets: Vec<Target>,
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
