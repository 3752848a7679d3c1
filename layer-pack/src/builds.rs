//! One layer of `layer.yaml`, several targets: the dependencies resolved for
//! every target, and from what the installer resolved, the builds the layer
//! gives and where each puts its dependencies.
//!
//! - Per architecture: when a runtime's resolution differs between the
//!   declared architectures (native code, or markers on the machine), one
//!   build per architecture, each its own Lambda layer (one zip cannot hold
//!   code for both CPUs in general: abi3 extensions and vendored `.libs` have
//!   the same names on both); else one build for all of them.
//! - Per Python, within a build: when the resolution is the same for every
//!   declared Python, one copy under `python/`; else one install per Python
//!   under `python/lib/pythonX.Y/site-packages/`, which Lambda puts on
//!   `sys.path` for that Python alone.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use layer_core::platform;
use layer_core::sections::{Family, FamilyBuild};
use layer_core::{Error, Result};
use rayon::prelude::*;

use crate::config::LayerSpec;
use crate::install::{self, Installed, Installer, Resolution};
use crate::target::{Architecture, PythonRuntime, Target};

/// The installs of one layer, by target.
#[derive(Debug, Default)]
pub struct Installs {
    pub by_target: BTreeMap<Target, (Installed, Resolution)>,
    /// Targets resolved only to decide the builds (another architecture than
    /// `--arch` chose) whose install failed: their architecture counts as
    /// different, and is not built in this run.
    pub unresolved: BTreeSet<Target>,
}

impl Installs {
    fn resolution(&self, target: Target) -> Option<&Resolution> {
        self.by_target
            .get(&target)
            .map(|(_, resolution)| resolution)
    }

    pub fn installed(&self, target: Target) -> &Installed {
        &self.by_target[&target].0
    }

    /// Every install, to store in the cache once the layer's builds are kept.
    pub fn into_installed(self) -> impl Iterator<Item = Installed> {
        self.by_target.into_values().map(|(installed, _)| installed)
    }
}

/// Install the dependencies for every target `spec.resolve_targets()` names,
/// a few at a time (each from the cache when it has them). A failure for a
/// target this run builds stops it, naming the package and the target; every
/// fresh install is then dropped, so nothing reaches the cache.
pub fn install_all(
    installer: &Installer,
    spec: &LayerSpec,
    allowed: &crate::sdist::Allowed,
    cache: Option<&Path>,
    refresh: bool,
) -> Result<Installs> {
    let chosen = spec.targets();
    let results: Vec<(Target, Result<(Installed, Resolution)>)> = spec
        .resolve_targets()
        .into_par_iter()
        .map(|target| {
            let request = install::Request {
                requirements: spec.requirements.as_deref(),
                constraints: spec.constraints.as_deref(),
                lock: spec.lock.as_ref(),
                target,
                allowed,
            };
            let installed = install::install(installer, &request, cache, refresh)
                .and_then(|installed| Ok((installed.resolution()?, installed)))
                .map(|(resolution, installed)| (installed, resolution));
            (target, installed)
        })
        .collect();
    let mut installs = Installs::default();
    let mut failures: Vec<(Target, Error)> = Vec::new();
    for (target, result) in results {
        match result {
            Ok(installed) => {
                installs.by_target.insert(target, installed);
            }
            Err(err) if chosen.contains(&target) => failures.push((target, err)),
            Err(err) => {
                tracing::info!(
                    "{}: the dependencies do not install for {target}, which this run does not build: {err}",
                    spec.family_name()
                );
                installs.unresolved.insert(target);
            }
        }
    }
    let mut failures = failures.into_iter();
    match failures.next() {
        None => Ok(installs),
        Some((_, first)) => {
            let others: Vec<String> = failures.map(|(target, _)| target.to_string()).collect();
            if others.is_empty() {
                Err(first)
            } else {
                Err(first.context(format!(
                    "{} (the install failed for {} too)",
                    spec.family_name(),
                    others.join(", ")
                )))
            }
        }
    }
}

/// Where a build's dependencies come from and go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// The layer has no dependencies to install.
    NoDependencies,
    /// One copy under `python/`: the install of this target (the same for every Python).
    Shared(Target),
    /// One install per Python under `python/lib/pythonX.Y/site-packages/`.
    PerPython(Vec<Target>),
}

/// One zip and one record: a Lambda layer of its own.
#[derive(Debug, Clone)]
pub struct Build {
    pub name: String,
    /// What it covers in this run (the chosen targets of its architectures).
    pub targets: Vec<Target>,
    pub layout: Layout,
}

impl Build {
    pub fn runtimes(&self) -> Vec<PythonRuntime> {
        unique(self.targets.iter().map(|t| t.runtime))
    }

    pub fn architectures(&self) -> Vec<Architecture> {
        unique(self.targets.iter().map(|t| t.arch))
    }
}

/// The builds of a layer, and its family as the records carry it.
#[derive(Debug, Clone)]
pub struct Plan {
    pub builds: Vec<Build>,
    /// Every build the declaration gives (also those `--arch` left out of this run).
    pub family: Vec<FamilyBuild>,
}

impl Plan {
    /// `layer.family` of one build's record.
    pub fn family_of(&self, spec: &LayerSpec, build: &Build) -> Family {
        Family {
            name: spec.family_name().to_string(),
            targets: build.targets.iter().map(|&t| t.into()).collect(),
            builds: self.family.clone(),
            extra: Default::default(),
        }
    }
}

/// Decide the builds from what the installer resolved (`installs`: None when
/// the layer has no dependencies to install).
pub fn plan(spec: &LayerSpec, installs: Option<&Installs>) -> Plan {
    let per_architecture = installs.is_some_and(|installs| differs_by_architecture(spec, installs));
    let groups: Vec<(String, Vec<Target>)> = if per_architecture {
        spec.architectures
            .iter()
            .map(|&arch| {
                let targets = spec.targets().into_iter().filter(|t| t.arch == arch);
                (spec.build_name(arch), targets.collect())
            })
            .collect()
    } else {
        vec![(spec.family_name().to_string(), spec.targets())]
    };
    let builds = groups
        .into_iter()
        .map(|(name, targets)| {
            let layout = match installs {
                None => Layout::NoDependencies,
                Some(installs) => layout(&targets, installs),
            };
            Build {
                name,
                targets,
                layout,
            }
        })
        .collect();
    let declared = |archs: &[Architecture]| -> Vec<platform::Target> {
        spec.declared_runtimes
            .iter()
            .flat_map(|&runtime| archs.iter().map(move |&arch| Target { runtime, arch }))
            .map(platform::Target::from)
            .collect()
    };
    let family = if per_architecture {
        spec.declared_architectures
            .iter()
            .map(|&arch| FamilyBuild {
                name: spec.build_name(arch),
                targets: declared(&[arch]),
                extra: Default::default(),
            })
            .collect()
    } else {
        vec![FamilyBuild {
            name: spec.family_name().to_string(),
            targets: declared(&spec.declared_architectures),
            extra: Default::default(),
        }]
    };
    Plan { builds, family }
}

/// Does any chosen runtime resolve differently on the declared architectures?
fn differs_by_architecture(spec: &LayerSpec, installs: &Installs) -> bool {
    if spec.declared_architectures.len() < 2 {
        return false;
    }
    if !installs.unresolved.is_empty() {
        return true;
    }
    spec.runtimes.iter().any(|&runtime| {
        let mut resolutions = spec
            .declared_architectures
            .iter()
            .map(|&arch| installs.resolution(Target { runtime, arch }));
        let first = resolutions.next().flatten();
        resolutions.any(|other| other != first)
    })
}

/// One copy when every Python of the build resolved the same, else one per Python.
fn layout(targets: &[Target], installs: &Installs) -> Layout {
    let arch = targets[0].arch;
    let mut runtimes: Vec<PythonRuntime> = unique(targets.iter().map(|t| t.runtime));
    runtimes.sort();
    let on_arch = |runtime| Target { runtime, arch };
    let first = installs.resolution(on_arch(runtimes[0]));
    if runtimes
        .iter()
        .all(|&runtime| installs.resolution(on_arch(runtime)) == first)
    {
        Layout::Shared(on_arch(runtimes[0]))
    } else {
        Layout::PerPython(runtimes.into_iter().map(on_arch).collect())
    }
}

/// The items in their first order, each once.
fn unique<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}
