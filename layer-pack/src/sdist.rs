//! Source distributions, by explicit opt-in only.
//!
//! Building an sdist runs its build code on the build machine, so layer-pack
//! never does it unasked: a package without a wheel for the target is refused
//! with the opt-in named (`build_from_source: [docopt]` in layer.yaml, or
//! `--build-from-source docopt`; `:all:` for every package). For the packages
//! allowed, the installer builds a wheel locally, isolated, without AWS
//! credentials in its environment, and the result is accepted only when it is
//! pure Python: a native build made on this machine is not a build for Lambda.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use layer_core::{Error, Result};

use crate::target::Target;

/// Every package, in `build_from_source` and `--build-from-source`.
pub const ALL: &str = ":all:";

/// The packages that may be built from source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowed {
    all: bool,
    /// Normalized names (PEP 503).
    names: BTreeSet<String>,
}

impl Allowed {
    /// From layer.yaml's list and the flags; names are checked and normalized.
    pub fn new(names: &[String], source: &str) -> Result<Self> {
        let mut allowed = Allowed::default();
        for name in names {
            let name = name.trim();
            if name == ALL {
                allowed.all = true;
                continue;
            }
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !valid {
                return Err(Error::input(format!(
                    "{source}: build_from_source: {name:?} is not a package name"
                ))
                .with_fix("list package names as on PyPI (docopt, python-dateutil), or :all: for every package"));
            }
            allowed.names.insert(normalize(name));
        }
        Ok(allowed)
    }

    pub fn allows(&self, package: &str) -> bool {
        self.all || self.names.contains(&normalize(package))
    }

    /// For the cache key.
    pub fn key_text(&self) -> String {
        if self.all {
            return ALL.to_string();
        }
        self.names.iter().cloned().collect::<Vec<_>>().join(",")
    }
}

/// PEP 503: lower case, runs of `-`, `_` and `.` as one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
            continue;
        }
        if separator && !out.is_empty() {
            out.push('-');
        }
        separator = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// How to allow a package without a wheel: said in the refusal.
pub fn opt_in_fix(package: &str) -> String {
    format!(
        "`{package}` needs a source build: if it is pure Python and you trust its build code \
         (it runs on this machine), allow it with `build_from_source: [{package}]` in layer.yaml \
         or `--build-from-source {package}`; otherwise pin a version of `{package}` that publishes \
         a wheel for this Python and architecture, replace it, or vendor a build made for Lambda into python/"
    )
}

/// Keep AWS credentials and profiles out of a process that runs build code.
pub fn without_aws_credentials(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("AWS_") {
            command.env_remove(&name);
        }
    }
    command
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

/// A wheel's tags, expanded: pure Python when every one is `*-none-any`.
fn pure(tags: &[String]) -> bool {
    !tags.is_empty()
        && tags.iter().all(|tag| {
            let mut parts = tag.splitn(3, '-');
            let (_, abi, platform) = (parts.next(), parts.next(), parts.next());
            abi.is_some_and(|abi| abi.split('.').all(|a| a == "none"))
                && platform.is_some_and(|p| p.split('.').all(|p| p == "any"))
        })
}

/// The refusal of a native wheel built here.
fn native_build(package: &str, version: &str, tags: &[String], target: Target) -> Error {
    Error::input(format!(
        "`{package} {version}` was built from source into a native wheel ({}), not pure Python: it needs a \
         build made for {target} ({} with glibc {}), which a build on this machine is not",
        tags.join(", "),
        target.runtime.os(),
        target.runtime.glibc()
    ))
    .with_fix(format!(
        "use a wheel the project publishes for this target (pin a version of `{package}` with \
         manylinux wheels), or build it in the Lambda build image \
         (public.ecr.aws/sam/build-{}) and vendor it into python/",
        target.runtime
    ))
}

/// After an install: each package built from source (normalized names) is
/// pure Python, by its installed `*.dist-info/WHEEL`. Returns `NAME VERSION` of each.
pub fn check_built(dir: &Path, built: &BTreeSet<String>, target: Target) -> Result<Vec<String>> {
    let mut found = Vec::new();
    if built.is_empty() {
        return Ok(found);
    }
    let entries = std::fs::read_dir(dir).map_err(|err| Error::io("read", dir, err))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".dist-info"))
        .collect();
    names.sort();
    for dist_info in names {
        let stem = dist_info.trim_end_matches(".dist-info");
        let Some((name, version)) = stem.split_once('-') else {
            continue;
        };
        if !built.contains(&normalize(name)) {
            continue;
        }
        let wheel = dir.join(&dist_info).join("WHEEL");
        let text = std::fs::read_to_string(&wheel).map_err(|err| Error::io("read", &wheel, err))?;
        let tags: Vec<String> = text
            .lines()
            .filter_map(|line| line.strip_prefix("Tag:"))
            .map(|tag| tag.trim().to_string())
            .collect();
        let purelib = text
            .lines()
            .any(|line| line.trim().eq_ignore_ascii_case("Root-Is-Purelib: true"));
        if !purelib || !pure(&tags) {
            return Err(native_build(name, version, &tags, target));
        }
        found.push(format!("{name} {version}"));
    }
    Ok(found)
}

/// pip cannot build for another platform (`--platform` needs binary wheels
/// only), so with pip a package allowed to build is built here first, with
/// `pip wheel`, into a folder the install then finds it in (`--find-links`).
/// Refuses a native result before anything is installed.
pub fn pip_wheel(
    program: &[String],
    requirement: &str,
    constraints: Option<&Path>,
    wheelhouse: &Path,
    target: Target,
) -> Result<PathBuf> {
    std::fs::create_dir_all(wheelhouse).map_err(|err| Error::io("create", wheelhouse, err))?;
    let before: BTreeSet<PathBuf> = wheels_in(wheelhouse)?;
    let mut command = Command::new(&program[0]);
    command
        .args(&program[1..])
        .args([
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--no-deps",
            "--no-binary",
            ":all:",
            "--wheel-dir",
        ])
        .arg(wheelhouse);
    if let Some(constraints) = constraints {
        command.arg("-c").arg(constraints);
    }
    command.arg(requirement);
    without_aws_credentials(&mut command);
    tracing::info!("building {requirement} from source with pip (build_from_source)");
    let output = command
        .output()
        .map_err(|err| Error::failed(format!("cannot run pip: {err}")))?;
    if !output.status.success() {
        let text = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        return Err(Error::input(format!(
            "building {requirement} from source failed:\n  {}",
            tail[tail.len().saturating_sub(6)..].join("\n  ")
        ))
        .with_fix("pin a version with wheels, or build it in the Lambda build image and vendor it into python/"));
    }
    let made: Vec<PathBuf> = wheels_in(wheelhouse)?
        .difference(&before)
        .cloned()
        .collect();
    let Some(wheel) = made.first() else {
        return Err(Error::failed(format!(
            "pip built no wheel for {requirement}"
        )));
    };
    let file = wheel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // name-version(-build)?-python-abi-platform.whl
    let parts: Vec<&str> = file.trim_end_matches(".whl").split('-').collect();
    let tag = parts[parts.len().saturating_sub(3)..].join("-");
    if !pure(std::slice::from_ref(&tag)) {
        let (name, version) = (parts[0], parts.get(1).copied().unwrap_or_default());
        return Err(native_build(name, version, &[tag], target));
    }
    Ok(wheel.clone())
}

fn wheels_in(dir: &Path) -> Result<BTreeSet<PathBuf>> {
    Ok(std::fs::read_dir(dir)
        .map_err(|err| Error::io("read", dir, err))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "whl"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize_and_all_allows_everything() {
        assert_eq!(normalize("Python_Dateutil"), "python-dateutil");
        assert_eq!(normalize("zope.interface"), "zope-interface");
        let some = Allowed::new(&["DocOpt".into(), "python_dateutil".into()], "x").unwrap();
        assert!(some.allows("docopt") && some.allows("python-dateutil"));
        assert!(!some.allows("numpy"));
        assert_eq!(some.key_text(), "docopt,python-dateutil");
        let all = Allowed::new(&[":all:".into()], "x").unwrap();
        assert!(all.allows("anything"));
        assert!(!Allowed::new(&[], "x").unwrap().allows("docopt"));
        let err = Allowed::new(&["docopt==0.6.2".into()], "layer.yaml").unwrap_err();
        assert!(err.to_string().contains("not a package name"), "{err}");
    }

    #[test]
    fn only_none_any_wheels_are_pure() {
        let tags = |list: &[&str]| list.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        assert!(pure(&tags(&["py2-none-any", "py3-none-any"])));
        assert!(pure(&tags(&["py2.py3-none-any"])));
        assert!(!pure(&tags(&["cp311-cp311-linux_x86_64"])));
        assert!(!pure(&tags(&["py3-none-any", "cp311-abi3-linux_x86_64"])));
        assert!(!pure(&[]));
    }
}
