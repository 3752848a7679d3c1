//! Checks before zipping: the layout Lambda expects, native extensions built
//! for every declared runtime and architecture, and the size limits.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use layer_core::platform::{Date, Stage};
use layer_core::sections::{Check, Finding, Severity};
use layer_core::{Error, Result};
use rayon::prelude::*;
use serde_json::Map;

use crate::buffers;
use crate::target::{Architecture, Glibc, PythonRuntime, Target};
use crate::tree::{Entry, Tree};

/// Function plus all its layers, unzipped (AWS Lambda quotas).
pub const MAX_UNZIPPED_BYTES: u64 = 262_144_000;
/// The largest zip a direct upload takes (the request carries it base64-encoded).
pub const MAX_DIRECT_UPLOAD_ZIP_BYTES: u64 = 52_428_800;

/// What the checks are told.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Report native-compatibility mismatches as warnings instead of errors.
    pub allow_incompatible: bool,
}

pub fn finding(severity: Severity, check: Check, path: Option<&str>, message: String) -> Finding {
    Finding {
        severity,
        check,
        path: path.map(str::to_string),
        message,
        targets: Vec::new(),
        extra: Map::new(),
    }
}

fn mismatch(
    policy: Policy,
    check: Check,
    path: &str,
    targets: &[Target],
    message: String,
) -> Finding {
    let severity = if policy.allow_incompatible {
        Severity::Warning
    } else {
        Severity::Error
    };
    let mut found = finding(severity, check, Some(path), message);
    found.targets = targets.iter().map(|&t| t.into()).collect();
    found
}

/// The targets that see a file: a file under `python/lib/pythonX.Y/site-packages/`
/// is on `sys.path` for pythonX.Y alone; anything else under `python/` for every target.
fn seen_by(zip_path: &str, targets: &[Target]) -> Vec<Target> {
    match site_packages_version(zip_path) {
        Some(version) => targets
            .iter()
            .copied()
            .filter(|t| t.runtime.python_version() == version)
            .collect(),
        None => targets.to_vec(),
    }
}

/// `3.12` for `python/lib/python3.12/site-packages/...`.
fn site_packages_version(zip_path: &str) -> Option<&str> {
    zip_path
        .strip_prefix("python/lib/python")
        .and_then(|rest| rest.split_once("/site-packages/"))
        .map(|(version, _)| version)
}

/// Everything about the tree, before the zip is written.
pub fn check_tree(
    tree: &Tree,
    targets: &[Target],
    layer_dir: Option<&Path>,
    policy: Policy,
) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    if let Some(dir) = layer_dir {
        findings.extend(stray_code(dir)?);
    }
    findings.extend(layout(tree, targets));
    findings.extend(hidden_by_site_packages(tree, targets));
    findings.extend(wheel_tags(tree, targets, policy)?);
    findings.extend(native_extensions(tree, targets, policy)?);
    for path in &tree.overridden {
        findings.push(finding(
            Severity::Warning,
            Check::Override,
            Some(path),
            "the library's file replaces the one an installed dependency put at the same path"
                .into(),
        ));
    }
    findings.push(unzipped_size(tree.unzipped_bytes()));
    findings.extend(deprecated_runtimes(targets, Date::today()?));
    Ok(findings)
}

/// A warning per declared runtime AWS has deprecated on `today`: functions on
/// it get no patches, and from its block date cannot be updated to take a layer.
fn deprecated_runtimes(targets: &[Target], today: Date) -> Vec<Finding> {
    let mut runtimes: Vec<PythonRuntime> = targets.iter().map(|t| t.runtime).collect();
    runtimes.sort();
    runtimes.dedup();
    runtimes
        .into_iter()
        .filter(|runtime| runtime.lifecycle().stage(today) != Stage::Supported)
        .map(|runtime| {
            finding(
                Severity::Warning,
                Check::Runtime,
                None,
                format!(
                    "{}: build the layer for a supported runtime",
                    runtime.lifecycle().describe(today)
                ),
            )
        })
        .collect()
}

/// Python code next to `python/` instead of inside it is never imported.
fn stray_code(dir: &Path) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|err| Error::io("read", dir, err))?;
    let mut names: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    names.sort();
    for path in names {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let is_code = if path.is_dir() {
            name != "python" && path.join("__init__.py").is_file()
        } else {
            name.ends_with(".py") || name.ends_with(".so")
        };
        if is_code {
            findings.push(finding(
                Severity::Error,
                Check::Layout,
                Some(&name),
                format!(
                    "{} is outside python/: Lambda extracts layers to /opt and puts only /opt/python \
                     on sys.path, so it would never be imported; move it to python/{name}",
                    path.display()
                ),
            ));
        }
    }
    Ok(findings)
}

/// Paths Lambda's Python never looks at.
fn layout(tree: &Tree, targets: &[Target]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let runtimes: BTreeSet<PythonRuntime> = targets.iter().map(|t| t.runtime).collect();
    let mut site_versions: BTreeMap<String, u64> = BTreeMap::new();
    let mut nested = 0u64;
    let mut bare_site = 0u64;
    for entry in &tree.files {
        let rest = entry.zip_path.strip_prefix("python/").unwrap_or_default();
        if rest.starts_with("python/") {
            nested += 1;
        } else if rest.starts_with("site-packages/") {
            bare_site += 1;
        } else if let Some(version) = rest
            .strip_prefix("lib/python")
            .and_then(|r| r.split_once("/site-packages/"))
            .map(|(version, _)| version)
        {
            *site_versions.entry(version.to_string()).or_default() += 1;
        }
    }
    if nested > 0 {
        findings.push(finding(
            Severity::Error,
            Check::Layout,
            Some("python/python/"),
            format!("{nested} files are under python/python/, which is not on sys.path; the layer's folder already maps to python/: move the content one level up"),
        ));
    }
    if bare_site > 0 {
        findings.push(finding(
            Severity::Error,
            Check::Layout,
            Some("python/site-packages/"),
            format!("{bare_site} files are under python/site-packages/, which Lambda does not put on sys.path; use python/ or python/lib/python3.X/site-packages/"),
        ));
    }
    for (version, count) in &site_versions {
        let declared = runtimes.iter().any(|r| r.python_version() == *version);
        if !declared {
            findings.push(finding(
                Severity::Error,
                Check::Layout,
                Some(&format!("python/lib/python{version}/site-packages/")),
                format!("{count} files are in the site-packages of python{version}, which the layer does not declare; only python{version} reads that folder"),
            ));
        }
    }
    if !site_versions.is_empty() {
        for runtime in &runtimes {
            if !site_versions.contains_key(&runtime.python_version()) {
                findings.push(finding(
                    Severity::Warning,
                    Check::Layout,
                    None,
                    format!("{runtime} sees nothing under python/lib/*/site-packages/ (only python/ itself): packages placed there are for other versions"),
                ));
            }
        }
    }
    findings
}

/// A top-level module in `python/` that a Python's site-packages folder also
/// has: Lambda puts `python/lib/pythonX.Y/site-packages` before `python/` on
/// `sys.path`, so pythonX.Y imports the other one (a library module named like
/// a dependency, when the dependencies are installed per Python).
fn hidden_by_site_packages(tree: &Tree, targets: &[Target]) -> Vec<Finding> {
    let top_level = |path: &str| -> Option<String> {
        crate::imports::module_of(path)
            .and_then(|(module, _)| module.split('.').next().map(str::to_string))
    };
    let mut in_python: BTreeMap<String, &str> = BTreeMap::new();
    let mut in_site: BTreeMap<(String, &str), &str> = BTreeMap::new();
    for entry in &tree.files {
        let Some(name) = top_level(&entry.zip_path) else {
            continue;
        };
        match site_packages_version(&entry.zip_path) {
            Some(version) => {
                in_site.entry((name, version)).or_insert(&entry.zip_path);
            }
            None if !entry.zip_path.starts_with("python/lib/") => {
                in_python.entry(name).or_insert(&entry.zip_path);
            }
            None => {}
        }
    }
    let mut findings = Vec::new();
    for ((name, version), site_path) in in_site {
        let Some(python_path) = in_python.get(&name) else {
            continue;
        };
        let hidden: Vec<Target> = targets
            .iter()
            .copied()
            .filter(|t| t.runtime.python_version() == version)
            .collect();
        if hidden.is_empty() {
            continue;
        }
        let mut found = finding(
            Severity::Warning,
            Check::Override,
            Some(python_path),
            format!(
                "`{name}` in python/ is hidden for python{version} by {site_path}: Lambda puts \
                 python/lib/python{version}/site-packages before python/ on sys.path"
            ),
        );
        found.targets = hidden.iter().map(|&t| t.into()).collect();
        findings.push(found);
    }
    findings
}

/// A wheel's tags (from `*.dist-info/WHEEL`) against every target that sees it.
fn wheel_tags(tree: &Tree, targets: &[Target], policy: Policy) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    for entry in tree
        .files
        .iter()
        .filter(|e| e.zip_path.ends_with(".dist-info/WHEEL"))
    {
        let text = std::fs::read_to_string(&entry.source)
            .map_err(|err| Error::io("read", &entry.source, err))?;
        let tags: Vec<WheelTag> = text
            .lines()
            .filter_map(|line| line.strip_prefix("Tag:"))
            .flat_map(|tag| WheelTag::expand(tag.trim()))
            .collect();
        if tags.is_empty() {
            continue;
        }
        let package = package_of(&entry.zip_path);
        let dist_info = entry.zip_path.trim_end_matches("WHEEL");
        let mut by_problem: BTreeMap<(Check, String), Vec<Target>> = BTreeMap::new();
        for target in &seen_by(&entry.zip_path, targets) {
            if let Some(problem) = wheel_problem(&tags, *target, &package) {
                by_problem.entry(problem).or_default().push(*target);
            }
        }
        for ((check, problem), failing) in by_problem {
            findings.push(mismatch(policy, check, dist_info, &failing, problem));
        }
    }
    Ok(findings)
}

/// `numpy` from `python/numpy-2.3.5.dist-info/WHEEL`.
fn package_of(zip_path: &str) -> String {
    let dir = zip_path.rsplit('/').nth(1).unwrap_or_default();
    let stem = dir.trim_end_matches(".dist-info");
    match stem.rsplit_once('-') {
        Some((name, version)) => format!("{name} {version}"),
        None => stem.to_string(),
    }
}

/// One `python-abi-platform` tag of a wheel.
#[derive(Debug)]
struct WheelTag {
    python: String,
    abi: String,
    platform: String,
}

impl WheelTag {
    /// Every tag a (possibly compressed) tag stands for: `py2.py3-none-any` is
    /// `py2-none-any` and `py3-none-any`; `cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64`
    /// is two tags.
    fn expand(tag: &str) -> Vec<Self> {
        let mut parts = tag.splitn(3, '-');
        let (Some(pythons), Some(abis), Some(platforms)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Vec::new();
        };
        let mut tags = Vec::new();
        for python in pythons.split('.') {
            for abi in abis.split('.') {
                for platform in platforms.split('.') {
                    tags.push(WheelTag {
                        python: python.to_string(),
                        abi: abi.to_string(),
                        platform: platform.to_string(),
                    });
                }
            }
        }
        tags
    }

    /// The glibc a platform tag needs on an architecture; None when it is not
    /// for Linux/glibc on that architecture. `any` needs nothing.
    fn platform_glibc(&self, arch: Architecture) -> Option<Glibc> {
        let platform = self.platform.as_str();
        if platform == "any" {
            return Some(Glibc(0, 0));
        }
        let machine = arch.machine();
        let level = platform.strip_suffix(machine)?.strip_suffix('_')?;
        match level {
            "manylinux1" => Some(Glibc(2, 5)),
            "manylinux2010" => Some(Glibc(2, 12)),
            "manylinux2014" => Some(Glibc(2, 17)),
            _ => Glibc::parse(&level.strip_prefix("manylinux_")?.replace('_', ".")),
        }
    }

    /// Can this Python runtime load it? With abi `none`: `py3`, `py3N` for
    /// 3.N and older (`py313` is not for python3.12), or exactly `cp3N`; `abi3`
    /// from its minimum version on; else exactly `cp3N-cp3N`.
    fn fits_python(&self, runtime: PythonRuntime) -> bool {
        let minor_after = |prefix: &str| {
            self.python
                .strip_prefix(prefix)
                .and_then(|minor| minor.parse::<u32>().ok())
        };
        match self.abi.as_str() {
            "none" => {
                self.python == "py3"
                    || minor_after("py3").is_some_and(|minor| minor <= runtime.minor)
                    || minor_after("cp3") == Some(runtime.minor)
            }
            "abi3" => minor_after("cp3").is_some_and(|minor| minor <= runtime.minor),
            abi => abi == format!("cp{}", runtime.abi_digits()) && self.python == abi,
        }
    }
}

/// Why the wheel cannot run on the target (the check and the message), or None
/// when one of its tags fits.
fn wheel_problem(tags: &[WheelTag], target: Target, package: &str) -> Option<(Check, String)> {
    let python_fits: Vec<&WheelTag> = tags
        .iter()
        .filter(|t| t.fits_python(target.runtime))
        .collect();
    if python_fits.is_empty() {
        let tag_list: Vec<String> = tags
            .iter()
            .map(|t| format!("{}-{}", t.python, t.abi))
            .collect();
        return Some((
            Check::WheelTag,
            format!(
                "`{package}` was built for {} and cannot be loaded by {}",
                tag_list.join(", "),
                target.runtime
            ),
        ));
    }
    let glibc_needed = python_fits
        .iter()
        .filter_map(|t| t.platform_glibc(target.arch))
        .min();
    let Some(needed) = glibc_needed else {
        let platforms: BTreeSet<&str> = tags.iter().map(|t| t.platform.as_str()).collect();
        return Some((
            Check::WheelTag,
            format!(
                "`{package}` is a wheel for {} and has no build for Linux {} with glibc",
                platforms.into_iter().collect::<Vec<_>>().join(", "),
                target.arch.machine()
            ),
        ));
    };
    let available = target.runtime.glibc();
    (needed > available).then(|| {
        (Check::Glibc, format!(
            "`{package}` is a manylinux_{}_{} wheel: it needs glibc {needed}, but {} runs on {} with glibc {available}",
            needed.0,
            needed.1,
            target.runtime,
            target.runtime.os()
        ))
    })
}

/// What an ELF file says about itself.
#[derive(Debug)]
struct ElfFacts {
    machine: Option<Architecture>,
    machine_name: String,
    glibc: Option<Glibc>,
}

fn native_extensions(tree: &Tree, targets: &[Target], policy: Policy) -> Result<Vec<Finding>> {
    let candidates: Vec<&Entry> = tree
        .files
        .iter()
        .filter(|e| e.executable || e.zip_path.ends_with(".so") || e.zip_path.contains(".so."))
        .collect();
    let facts: Vec<(&Entry, Option<ElfFacts>)> = candidates
        .par_iter()
        .map(|entry| Ok((*entry, elf_facts(&entry.source)?)))
        .collect::<Result<_>>()?;
    let mut findings = Vec::new();
    for (entry, facts) in facts {
        let targets = seen_by(&entry.zip_path, targets);
        // Targets whose CPU the file's content already rules out.
        let wrong_machine: Vec<Target> = match &facts {
            Some(facts) => {
                findings.extend(check_elf(entry, facts, &targets, policy));
                targets
                    .iter()
                    .copied()
                    .filter(|t| facts.machine != Some(t.arch))
                    .collect()
            }
            None => Vec::new(),
        };
        findings.extend(check_extension_name(
            entry,
            &targets,
            &wrong_machine,
            policy,
        ));
    }
    Ok(findings)
}

/// An extension module whose name is for another platform
/// (`.cpython-311-x86_64-linux-musl.so`, `-aarch64-linux-gnu` in an x86_64
/// layer, `-darwin`): CPython on Lambda never looks at it, so the import fails
/// with `No module named ...` even when the file's content would load. Read
/// from the name alone, so it holds when the wheel's metadata was pruned.
fn check_extension_name(
    entry: &Entry,
    targets: &[Target],
    already_reported: &[Target],
    policy: Policy,
) -> Option<Finding> {
    let tag = extension_abi(&entry.zip_path)?;
    let platform = tag.strip_prefix("cpython-")?.split_once('-')?.1.to_string();
    let failing: Vec<Target> = targets
        .iter()
        .copied()
        .filter(|t| !already_reported.contains(t))
        .filter(|t| platform != format!("{}-linux-gnu", t.arch.machine()))
        .collect();
    let first = failing.first()?;
    Some(mismatch(
        policy,
        Check::Abi,
        &entry.zip_path,
        &failing,
        format!(
            "an extension named for {platform}{}: CPython on Lambda ({} with glibc) loads only \
             .cpython-{}-{}-linux-gnu.so, .abi3.so and .so names, so importing it fails with No module named ...",
            if platform.ends_with("-musl") {
                " (musl libc)"
            } else {
                ""
            },
            first.arch.machine(),
            first.runtime.abi_digits(),
            first.arch.machine(),
        ),
    ))
}

fn elf_facts(path: &Path) -> Result<Option<ElfFacts>> {
    let mut magic = [0u8; 4];
    let mut file = std::fs::File::open(path).map_err(|err| Error::io("read", path, err))?;
    if file.read_exact(&mut magic).is_err() || magic != *b"\x7fELF" {
        return Ok(None);
    }
    let size = file
        .metadata()
        .map_err(|err| Error::io("read", path, err))?
        .len();
    buffers::with_file(path, size, |bytes, _| parse_elf_facts(path, bytes))
        .map_err(|err| Error::io("read", path, err))?
        .map(Some)
}

fn parse_elf_facts(path: &Path, bytes: &[u8]) -> Result<ElfFacts> {
    let elf = goblin::elf::Elf::parse(bytes).map_err(|err| {
        Error::input(format!(
            "{}: not a readable ELF file: {err}",
            path.display()
        ))
        .with_fix("a truncated or corrupt shared library: reinstall the package")
    })?;
    let machine = match elf.header.e_machine {
        goblin::elf::header::EM_X86_64 => Some(Architecture::X86_64),
        goblin::elf::header::EM_AARCH64 => Some(Architecture::Arm64),
        _ => None,
    };
    let machine_name = goblin::elf::header::machine_to_str(elf.header.e_machine).to_lowercase();
    let mut glibc = None;
    if let Some(verneed) = &elf.verneed {
        for need in verneed.iter() {
            for aux in need.iter() {
                let version = elf.dynstrtab.get_at(aux.vna_name).and_then(glibc_needed_by);
                glibc = glibc.max(version);
            }
        }
    }
    Ok(ElfFacts {
        machine,
        machine_name,
        glibc,
    })
}

/// The glibc a symbol version needs: `GLIBC_2.28` is 2.28; `GLIBC_ABI_DT_RELR`
/// (packed relative relocations, which the loader understands from glibc 2.36
/// on) is 2.36; `GLIBC_PRIVATE` and other names need no particular version.
fn glibc_needed_by(version: &str) -> Option<Glibc> {
    match version.strip_prefix("GLIBC_")? {
        "ABI_DT_RELR" => Some(Glibc(2, 36)),
        numeric => Glibc::parse(numeric),
    }
}

fn check_elf(entry: &Entry, facts: &ElfFacts, targets: &[Target], policy: Policy) -> Vec<Finding> {
    let path = entry.zip_path.as_str();
    let mut findings = Vec::new();
    let wrong_arch: Vec<Target> = targets
        .iter()
        .copied()
        .filter(|t| facts.machine != Some(t.arch))
        .collect();
    if !wrong_arch.is_empty() {
        let archs: BTreeSet<&str> = wrong_arch.iter().map(|t| t.arch.lambda_name()).collect();
        findings.push(mismatch(
            policy,
            Check::ElfMachine,
            path,
            &wrong_arch,
            format!(
                "built for {}, but the layer declares {}",
                facts.machine_name,
                archs.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    if let Some(tag) = extension_abi(path) {
        let wrong_abi: Vec<Target> = targets
            .iter()
            .copied()
            .filter(|t| !abi_fits(&tag, t.runtime))
            .collect();
        if !wrong_abi.is_empty() {
            let runtimes: BTreeSet<String> =
                wrong_abi.iter().map(|t| t.runtime.to_string()).collect();
            findings.push(mismatch(
                policy,
                Check::Abi,
                path,
                &wrong_abi,
                format!(
                    "an extension for {tag}, which {} cannot import",
                    runtimes.into_iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    if let Some(needed) = facts.glibc {
        let too_old: Vec<Target> = targets
            .iter()
            .copied()
            .filter(|t| t.runtime.glibc() < needed)
            .collect();
        if !too_old.is_empty() {
            let first = too_old[0].runtime;
            findings.push(mismatch(
                policy,
                Check::Glibc,
                path,
                &too_old,
                format!(
                    "its symbols need glibc {needed}, but {first} runs on {} with glibc {}",
                    first.os(),
                    first.glibc()
                ),
            ));
        }
    }
    findings
}

/// The CPython ABI tag in an extension's file name: `cpython-311-x86_64-linux-gnu`
/// in `_speedups.cpython-311-x86_64-linux-gnu.so`, or `abi3`.
fn extension_abi(zip_path: &str) -> Option<String> {
    let name = zip_path.rsplit('/').next()?;
    let stem = name.strip_suffix(".so")?;
    let tag = stem.rsplit('.').next()?;
    (tag.starts_with("cpython-") || tag == "abi3" || tag.starts_with("pypy"))
        .then(|| tag.to_string())
}

fn abi_fits(tag: &str, runtime: PythonRuntime) -> bool {
    if tag == "abi3" {
        return true;
    }
    // cpython-311-x86_64-linux-gnu; a `t` (free-threaded) or `d` (debug) build does not fit.
    tag.strip_prefix("cpython-")
        .and_then(|rest| rest.split('-').next())
        .is_some_and(|version| version == runtime.abi_digits())
}

fn unzipped_size(bytes: u64) -> Finding {
    if bytes > MAX_UNZIPPED_BYTES {
        return finding(
            Severity::Error,
            Check::Size,
            None,
            format!(
                "the layer is {bytes} bytes unzipped, {} over Lambda's limit of {MAX_UNZIPPED_BYTES} for a function and all its layers",
                bytes - MAX_UNZIPPED_BYTES
            ),
        );
    }
    finding(
        Severity::Info,
        Check::Size,
        None,
        format!(
            "{bytes} bytes unzipped: {} ({}%) left under Lambda's {MAX_UNZIPPED_BYTES} for the function and all its layers",
            MAX_UNZIPPED_BYTES - bytes,
            (MAX_UNZIPPED_BYTES - bytes) * 100 / MAX_UNZIPPED_BYTES
        ),
    )
}

/// The zip's size against a direct upload.
pub fn zipped_size(bytes: u64) -> Finding {
    if bytes > MAX_DIRECT_UPLOAD_ZIP_BYTES {
        return finding(
            Severity::Warning,
            Check::Size,
            None,
            format!(
                "the zip is {bytes} bytes, {} over the {MAX_DIRECT_UPLOAD_ZIP_BYTES}-byte limit of a direct upload: publish it through S3",
                bytes - MAX_DIRECT_UPLOAD_ZIP_BYTES
            ),
        );
    }
    finding(
        Severity::Info,
        Check::Size,
        None,
        format!(
            "the zip is {bytes} bytes: {} left under the {MAX_DIRECT_UPLOAD_ZIP_BYTES}-byte limit of a direct upload",
            MAX_DIRECT_UPLOAD_ZIP_BYTES - bytes
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(runtime: &str, arch: &str) -> Target {
        Target {
            runtime: PythonRuntime::parse(runtime).unwrap(),
            arch: Architecture::parse(arch).unwrap(),
        }
    }

    fn tags(lines: &[&str]) -> Vec<WheelTag> {
        lines.iter().flat_map(|l| WheelTag::expand(l)).collect()
    }

    #[test]
    fn compressed_tags_expand_and_python_versions_are_not_prefixes() {
        let both = tags(&["py2.py3-none-any"]);
        assert_eq!(both.len(), 2);
        assert_eq!(
            wheel_problem(&both, target("python3.12", "arm64"), "p"),
            None
        );
        let multi = tags(&["cp311.cp312-abi3.none-manylinux_2_17_x86_64.manylinux2014_x86_64"]);
        assert_eq!(multi.len(), 8);
        assert_eq!(
            wheel_problem(&multi, target("python3.12", "x86_64"), "m"),
            None
        );
        // py313 is Python 3.13 and newer: not python3.12; py38 is fine for it.
        let py313 = tags(&["py313-none-any"]);
        assert!(
            wheel_problem(&py313, target("python3.12", "x86_64"), "new")
                .unwrap()
                .1
                .contains("cannot be loaded by python3.12")
        );
        assert_eq!(
            wheel_problem(&py313, target("python3.13", "x86_64"), "new"),
            None
        );
        assert_eq!(
            wheel_problem(
                &tags(&["py38-none-any"]),
                target("python3.12", "x86_64"),
                "o"
            ),
            None
        );
        // cp311-none-any is for 3.11 only.
        let cp311 = tags(&["cp311-none-any"]);
        assert!(wheel_problem(&cp311, target("python3.12", "x86_64"), "c").is_some());
        assert_eq!(
            wheel_problem(&cp311, target("python3.11", "x86_64"), "c"),
            None
        );
    }

    #[test]
    fn glibc_version_needs_include_dt_relr() {
        assert_eq!(glibc_needed_by("GLIBC_2.28"), Some(Glibc(2, 28)));
        assert_eq!(glibc_needed_by("GLIBC_2.2.5"), Some(Glibc(2, 2)));
        assert_eq!(glibc_needed_by("GLIBC_ABI_DT_RELR"), Some(Glibc(2, 36)));
        assert_eq!(glibc_needed_by("GLIBC_PRIVATE"), None);
        assert_eq!(glibc_needed_by("GCC_3.0"), None);
    }

    #[test]
    fn extension_names_for_another_platform_are_refused() {
        let entry = |name: &str| Entry {
            zip_path: format!("python/m/{name}"),
            source: "x".into(),
            size: 1,
            executable: false,
            root: 0,
        };
        let x86 = [target("python3.11", "x86_64")];
        let policy = Policy {
            allow_incompatible: false,
        };
        for foreign in [
            "_s.cpython-311-x86_64-linux-musl.so",
            "_s.cpython-311-aarch64-linux-gnu.so",
            "_s.cpython-311-darwin.so",
        ] {
            let found = check_extension_name(&entry(foreign), &x86, &[], policy)
                .unwrap_or_else(|| panic!("{foreign} passed"));
            assert_eq!(found.check, Check::Abi);
            assert_eq!(found.severity, Severity::Error);
            assert!(
                found.message.contains(".cpython-311-x86_64-linux-gnu.so"),
                "{}",
                found.message
            );
        }
        let musl = check_extension_name(
            &entry("_s.cpython-311-x86_64-linux-musl.so"),
            &x86,
            &[],
            policy,
        )
        .unwrap();
        assert!(musl.message.contains("musl"), "{}", musl.message);
        for fine in [
            "_s.cpython-311-x86_64-linux-gnu.so",
            "_s.abi3.so",
            "_s.so",
            "libx.so.1",
        ] {
            assert!(
                check_extension_name(&entry(fine), &x86, &[], policy).is_none(),
                "{fine}"
            );
        }
        // Already reported by the ELF machine check for that target: not twice.
        assert!(
            check_extension_name(
                &entry("_s.cpython-311-aarch64-linux-gnu.so"),
                &x86,
                &x86,
                policy
            )
            .is_none()
        );
    }

    #[test]
    fn a_deprecated_runtime_is_a_warning_from_its_deprecation_day() {
        let targets = [
            target("python3.9", "x86_64"),
            target("python3.9", "arm64"),
            target("python3.12", "x86_64"),
        ];
        assert!(deprecated_runtimes(&targets, Date::ymd(2025, 12, 14)).is_empty());
        let found = deprecated_runtimes(&targets, Date::ymd(2025, 12, 15));
        assert_eq!(found.len(), 1, "one finding per runtime: {found:?}");
        assert_eq!(found[0].severity, Severity::Warning);
        assert_eq!(found[0].check, Check::Runtime);
        assert!(
            found[0]
                .message
                .starts_with("python3.9 is deprecated since 2025-12-15; AWS blocks updates"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn wheel_tags_decide_glibc_python_and_arch() {
        let bcrypt = tags(&["cp39-abi3-manylinux_2_28_x86_64"]);
        let (check, problem) =
            wheel_problem(&bcrypt, target("python3.11", "x86_64"), "bcrypt 5.0.0").unwrap();
        assert_eq!(check, Check::Glibc);
        assert!(
            problem.contains("glibc 2.28") && problem.contains("2.26"),
            "{problem}"
        );
        assert_eq!(
            wheel_problem(&bcrypt, target("python3.12", "x86_64"), "b"),
            None
        );
        assert!(
            wheel_problem(&bcrypt, target("python3.12", "arm64"), "b")
                .unwrap()
                .1
                .contains("no build for Linux aarch64")
        );

        let markupsafe = tags(&[
            "cp311-cp311-manylinux_2_17_x86_64",
            "cp311-cp311-manylinux2014_x86_64",
        ]);
        assert_eq!(
            wheel_problem(&markupsafe, target("python3.11", "x86_64"), "m"),
            None
        );
        assert!(
            wheel_problem(&markupsafe, target("python3.12", "x86_64"), "m")
                .unwrap()
                .1
                .contains("cp311-cp311")
        );

        let six = tags(&["py2-none-any", "py3-none-any"]);
        assert_eq!(
            wheel_problem(&six, target("python3.13", "arm64"), "six"),
            None
        );
    }

    #[test]
    fn extension_abi_tags_match_runtimes() {
        let tag = extension_abi("python/m/_s.cpython-311-x86_64-linux-gnu.so").unwrap();
        assert!(abi_fits(&tag, PythonRuntime::parse("python3.11").unwrap()));
        assert!(!abi_fits(&tag, PythonRuntime::parse("python3.12").unwrap()));
        let tag = extension_abi("python/m/_s.cpython-313t-x86_64-linux-gnu.so").unwrap();
        assert!(!abi_fits(&tag, PythonRuntime::parse("python3.13").unwrap()));
        assert_eq!(
            extension_abi("python/numpy.libs/libgfortran-1234.so.5.0.0"),
            None
        );
        assert_eq!(
            extension_abi("python/b/_bcrypt.abi3.so").as_deref(),
            Some("abi3")
        );
    }

    #[test]
    fn a_site_packages_file_is_seen_by_its_python_alone_and_hides_the_same_module_in_python() {
        let entry = |zip_path: &str| Entry {
            zip_path: zip_path.to_string(),
            source: "x".into(),
            size: 1,
            executable: false,
            root: 0,
        };
        let targets = [
            target("python3.11", "x86_64"),
            target("python3.12", "x86_64"),
        ];
        assert_eq!(
            seen_by(
                "python/lib/python3.12/site-packages/yaml/_yaml.so",
                &targets
            ),
            [targets[1]]
        );
        assert_eq!(seen_by("python/yaml/_yaml.so", &targets), targets);
        assert!(seen_by("python/lib/python3.13/site-packages/x.py", &targets).is_empty());

        let tree = Tree {
            files: vec![
                entry("python/lib/python3.11/site-packages/six.py"),
                entry("python/lib/python3.11/site-packages/yaml/__init__.py"),
                entry("python/lib/python3.12/site-packages/six.py"),
                entry("python/mylib/__init__.py"),
                entry("python/yaml/__init__.py"),
            ],
            ..Default::default()
        };
        let found = hidden_by_site_packages(&tree, &targets);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].check, Check::Override);
        assert_eq!(found[0].path.as_deref(), Some("python/yaml/__init__.py"));
        assert_eq!(found[0].targets, [targets[0].into()]);
        assert!(found[0].message.contains("hidden for python3.11"));
    }
}
