//! What a layer runs on: one of Lambda's Python runtimes on one architecture.
//! The runtimes, architectures and the table of facts about them (Python
//! version, the OS's glibc) are shared by every tool: `layer_core::platform`.

use std::fmt;

pub use layer_core::platform::{Architecture, Glibc, PythonRuntime};

/// One runtime on one architecture: what the checks verify against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    pub runtime: PythonRuntime,
    pub arch: Architecture,
}

/// The record's form of a target (`layer.family`, findings, proofs and
/// installs name targets with it).
impl From<Target> for layer_core::platform::Target {
    fn from(target: Target) -> Self {
        layer_core::platform::Target::new(target.runtime, target.arch)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.runtime, self.arch)
    }
}
