//! Installing `requirements.txt` for the target runtime and architecture,
//! without Docker: uv (preferred) or pip, with binary wheels only, into a
//! cache entry keyed by everything that decides the result.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use layer_core::{Error, Result};

use crate::cachekey::{Key, KeyBuilder};
use crate::config::Lock;
use crate::sdist::{self, Allowed};
use crate::target::{Glibc, Target};

/// Which program installs the dependencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InstallerKind {
    Uv,
    Pip,
}

/// A found installer: how to run it.
#[derive(Debug)]
pub struct Installer {
    pub kind: InstallerKind,
    program: Vec<String>,
    /// `--version`, asked once per run (every install's cache key needs it).
    version: std::sync::OnceLock<std::result::Result<(String, String), String>>,
}

impl Installer {
    /// The installer to use: the one asked for, else uv when it is on PATH (or
    /// runs as `python3 -m uv`), else pip. Nothing is run when uv is on PATH, so
    /// that a cache hit costs no process start.
    pub fn find(choice: Option<InstallerKind>) -> Result<Self> {
        let uv = || {
            uv_program().map(|program| Installer {
                kind: InstallerKind::Uv,
                program,
                version: Default::default(),
            })
        };
        let pip = || {
            on_path("python3")
                .then(|| Installer::new(InstallerKind::Pip, &["python3", "-m", "pip"]))
        };
        let found = match choice {
            Some(InstallerKind::Uv) => uv(),
            Some(InstallerKind::Pip) => pip(),
            None => uv().or_else(pip),
        };
        found.ok_or_else(|| {
            let wanted = match choice {
                Some(InstallerKind::Uv) => "uv",
                Some(InstallerKind::Pip) => "pip (python3 -m pip)",
                None => "uv or pip",
            };
            Error::failed(format!(
                "{wanted} is needed to install requirements.txt, and was not found"
            ))
            .with_fix(
                "install uv (`python3 -m pip install uv`) or make python3 with pip available on PATH",
            )
        })
    }

    fn new(kind: InstallerKind, program: &[&str]) -> Self {
        Installer {
            kind,
            program: program.iter().map(|s| s.to_string()).collect(),
            version: Default::default(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self.kind {
            InstallerKind::Uv => "uv",
            InstallerKind::Pip => "pip",
        }
    }

    /// The installer's version, e.g. `0.13.9`, and its whole `--version` line
    /// (pip's names the Python it runs on).
    fn version(&self) -> Result<(String, String)> {
        self.version
            .get_or_init(|| self.ask_version().map_err(|err| err.to_string()))
            .clone()
            .map_err(|why| {
                Error::failed(why).with_fix(
                    "check the installer's installation, or choose the other with --installer",
                )
            })
    }

    fn ask_version(&self) -> Result<(String, String)> {
        let output = Command::new(&self.program[0])
            .args(&self.program[1..])
            .arg("--version")
            .output()
            .map_err(|err| {
                Error::failed(format!("cannot run {}: {err}", self.program.join(" ")))
            })?;
        let text = String::from_utf8_lossy(&output.stdout);
        // "uv 0.13.9 (...)" / "pip 23.2.1 from ... (python 3.11)"
        match text.split_whitespace().nth(1) {
            Some(version) if output.status.success() => {
                Ok((version.to_string(), text.trim().to_string()))
            }
            _ => Err(Error::failed(format!(
                "`{} --version` failed: {}",
                self.program.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            ))
            .with_fix("check the installer's installation, or choose the other with --installer")),
        }
    }
}

/// How to run uv: `uv` when it is on PATH (nothing is started to find out),
/// else `python3 -m uv` when that runs.
pub(crate) fn uv_program() -> Option<Vec<String>> {
    if on_path("uv") {
        return Some(vec!["uv".to_string()]);
    }
    runs(&["python3", "-m", "uv"]).then(|| ["python3", "-m", "uv"].map(String::from).to_vec())
}

/// Is an executable of this name on PATH?
fn on_path(name: &str) -> bool {
    find_on_path(name).is_some()
}

/// The first executable of this name on PATH.
pub(crate) fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|path| {
            std::fs::metadata(path)
                .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        })
}

fn runs(program: &[&str]) -> bool {
    Command::new(program[0])
        .args(&program[1..])
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// What to install, and for what.
#[derive(Debug)]
pub struct Request<'a> {
    pub requirements: Option<&'a Path>,
    pub constraints: Option<&'a Path>,
    pub lock: Option<&'a Lock>,
    pub target: Target,
    /// Packages that may be built from their source distribution.
    pub allowed: &'a Allowed,
}

/// The most packages one install builds from source before giving up (each
/// one found costs an installer run).
const MAX_SOURCE_BUILDS: usize = 32;

/// The manylinux level wheels may need: manylinux2014 (glibc 2.17) for
/// Amazon Linux 2 runtimes (uv offers no 2.26 platform, and 2.17 is the
/// common denominator wheels are built for), manylinux_2_34 on Amazon Linux 2023.
pub fn platform_glibc(target: Target) -> Glibc {
    if target.runtime.glibc() >= Glibc(2, 34) {
        Glibc(2, 34)
    } else {
        Glibc(2, 17)
    }
}

/// The platform the wheels are chosen for, as a wheel tag:
/// `manylinux2014_x86_64`, `manylinux_2_34_aarch64`.
pub fn platform_tag(target: Target) -> String {
    let machine = target.arch.machine();
    match platform_glibc(target) {
        Glibc(2, 17) => format!("manylinux2014_{machine}"),
        glibc => format!("manylinux_{}_{}_{machine}", glibc.0, glibc.1),
    }
}

impl Request<'_> {
    pub fn platform_glibc(&self) -> Glibc {
        platform_glibc(self.target)
    }

    /// What the dependencies are read from, for messages.
    fn source_name(&self) -> String {
        match (self.lock, self.requirements) {
            (Some(lock), _) => lock.file_name(),
            (None, Some(path)) => path.display().to_string(),
            (None, None) => "the requirements".to_string(),
        }
    }

    /// The installer's arguments. `requirements`: the file to install from
    /// (the requirements file, an exported lock, or a pylock.toml);
    /// `from_source`: packages to build from their sdist (uv);
    /// `wheelhouse`: wheels built here (pip).
    fn arguments(
        &self,
        installer: &Installer,
        dest: &Path,
        requirements: &Path,
        from_source: &BTreeSet<String>,
        wheelhouse: Option<&Path>,
    ) -> Vec<String> {
        let machine = self.target.arch.machine();
        let python = self.target.runtime.python_version();
        let glibc = self.platform_glibc();
        let mut args: Vec<String> = match installer.kind {
            InstallerKind::Uv => {
                let platform = if glibc == Glibc(2, 17) {
                    format!("{machine}-manylinux2014")
                } else {
                    format!("{machine}-manylinux_{}_{}", glibc.0, glibc.1)
                };
                [
                    "pip",
                    "install",
                    "--quiet",
                    "--target",
                    &path_text(dest),
                    "--python-platform",
                    &platform,
                    "--python-version",
                    &python,
                    "--only-binary",
                    ":all:",
                ]
                .map(String::from)
                .to_vec()
            }
            InstallerKind::Pip => {
                let mut args: Vec<String> = [
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--no-input",
                    "--no-compile",
                    "--target",
                    &path_text(dest),
                    "--implementation",
                    "cp",
                    "--python-version",
                    &python,
                    "--only-binary",
                    ":all:",
                    "--platform",
                    &format!("manylinux2014_{machine}"),
                ]
                .map(String::from)
                .to_vec();
                // pip matches the listed platforms exactly: list every level up to the target's.
                for minor in 17..=glibc.1 {
                    args.extend([
                        "--platform".into(),
                        format!("manylinux_2_{minor}_{machine}"),
                    ]);
                }
                args
            }
        };
        for package in from_source {
            // uv: wheels for every package but these, which are built from source.
            args.extend(["--no-binary".into(), package.clone()]);
        }
        if let Some(wheelhouse) = wheelhouse {
            args.extend(["--find-links".into(), path_text(wheelhouse)]);
        }
        args.extend(["-r".into(), path_text(requirements)]);
        if let Some(constraints) = self.constraints {
            args.extend(["-c".into(), path_text(constraints)]);
        }
        args
    }

    /// The cache key: every input of the install (see `cachekey`), the target,
    /// the installer and its version (`version_line`), and the opt-in builds.
    pub fn cache_key(&self, installer: &Installer, version_line: &str) -> Result<Key> {
        let mut key = KeyBuilder::new();
        key.text("installer", installer.name());
        key.text("installer version", version_line);
        key.text(
            "target",
            &format!(
                "{} {} {}",
                self.target.runtime,
                self.target.arch.machine(),
                self.platform_glibc()
            ),
        );
        key.text("build from source", &self.allowed.key_text());
        if let Some(requirements) = self.requirements {
            key.text("input", "requirements");
            key.requirements_file(requirements)?;
        }
        if let Some(constraints) = self.constraints {
            key.text("input", "constraints");
            key.requirements_file(constraints)?;
        }
        match self.lock {
            Some(Lock::Uv { lock, project }) => key.lock_file(lock, Some(project))?,
            Some(Lock::Pylock(path)) => key.lock_file(path, None)?,
            None => {}
        }
        Ok(key.finish())
    }
}

/// Where installed dependencies live: a cache entry, a fresh install waiting
/// to become one, or a temporary folder.
#[derive(Debug)]
pub struct Installed {
    pub dir: PathBuf,
    pub cache_hit: bool,
    pub key: String,
    /// The version of the installer that made it.
    pub installer_version: String,
    /// Why the install was not cached, when it could not be.
    pub not_cached: Option<String>,
    /// `NAME VERSION` of the packages built from source.
    pub built_from_source: Vec<String>,
    /// A fresh install to store in the cache once the layer is kept.
    pending: Option<Pending>,
    /// Keeps an uncached install alive until the zip is written.
    _temp: Option<tempfile::TempDir>,
}

/// A fresh install next to its cache entry, and what to record about it.
#[derive(Debug)]
struct Pending {
    staging: tempfile::TempDir,
    entry: PathBuf,
    metadata: PathBuf,
}

/// What a cache entry remembers about the install that made it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct EntryMetadata {
    installer_version: String,
    #[serde(default)]
    built_from_source: Vec<String>,
}

impl Installed {
    /// Store a fresh install in the cache: called only once the layer it went
    /// into passed every check, so that a refused layer leaves no cache entry.
    pub fn commit(mut self) -> Result<()> {
        let Some(pending) = self.pending.take() else {
            return Ok(());
        };
        let metadata = serde_json::to_string(&EntryMetadata {
            installer_version: self.installer_version.clone(),
            built_from_source: self.built_from_source.clone(),
        })
        .expect("plain data serializes");
        std::fs::write(&pending.metadata, metadata)
            .map_err(|err| Error::io("write", &pending.metadata, err))?;
        if pending.entry.exists() {
            std::fs::remove_dir_all(&pending.entry)
                .map_err(|err| Error::io("replace", &pending.entry, err))?;
        }
        let staged = pending.staging.keep();
        if let Err(err) = std::fs::rename(&staged, &pending.entry) {
            let _ = std::fs::remove_dir_all(&staged);
            if !pending.entry.is_dir() {
                return Err(Error::io("store the dependencies in", &pending.entry, err));
            }
            // Another run stored the same key at the same moment: same inputs, same content.
        }
        Ok(())
    }
}

/// What the installer resolved: every distribution it installed and the tags
/// of the wheel it chose (its `*.dist-info` folder and `WHEEL` file, which
/// installers copy from the wheel as it is). Two installs with the same
/// resolution hold the same files: a wheel's name and tags identify it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution(Vec<(String, String)>);

impl Installed {
    pub fn resolution(&self) -> Result<Resolution> {
        let entries =
            std::fs::read_dir(&self.dir).map_err(|err| Error::io("read", &self.dir, err))?;
        let mut wheels = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|err| Error::io("read", &self.dir, err))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".dist-info") {
                continue;
            }
            let wheel = entry.path().join("WHEEL");
            // Not every installer writes WHEEL for what it built; the name still counts.
            let tags = std::fs::read_to_string(&wheel).unwrap_or_default();
            wheels.push((name, tags));
        }
        wheels.sort();
        Ok(Resolution(wheels))
    }
}

/// Does the requirements file name any requirement at all?
pub fn has_requirements(path: &Path) -> Result<bool> {
    let text = std::fs::read_to_string(path).map_err(|err| Error::io("read", path, err))?;
    Ok(text
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .any(|line| !line.is_empty()))
}

/// Install, or reuse the cache entry for the same inputs.
/// `cache`: the cache folder, or None for a throw-away install.
pub fn install(
    installer: &Installer,
    request: &Request<'_>,
    cache: Option<&Path>,
    refresh: bool,
) -> Result<Installed> {
    let (installer_version, version_line) = installer.version()?;
    let key = request.cache_key(installer, &version_line)?;
    if let Some(why) = &key.uncacheable
        && cache.is_some()
    {
        tracing::info!("dependencies: not cached, because {why}");
    }
    let cache = cache.filter(|_| key.uncacheable.is_none());
    let Some(cache) = cache else {
        let temp = tempfile::Builder::new()
            .prefix("layer-pack-deps-")
            .tempdir()
            .map_err(|err| Error::failed(format!("cannot create a temporary folder: {err}")))?;
        let built = run_installer(installer, request, temp.path())?;
        return Ok(Installed {
            dir: temp.path().to_path_buf(),
            cache_hit: false,
            key: key.hex,
            installer_version,
            not_cached: key.uncacheable,
            built_from_source: built,
            pending: None,
            _temp: Some(temp),
        });
    };
    let deps = cache.join("deps");
    let entry = deps.join(&key.hex);
    let metadata = deps.join(format!("{}.json", key.hex));
    if entry.is_dir() && !refresh {
        tracing::info!("dependencies: reusing {}", entry.display());
        let remembered: Option<EntryMetadata> = std::fs::read_to_string(&metadata)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok());
        return Ok(Installed {
            dir: entry,
            cache_hit: true,
            key: key.hex,
            installer_version: remembered.as_ref().map_or_else(
                || installer_version.clone(),
                |m| m.installer_version.clone(),
            ),
            not_cached: None,
            built_from_source: remembered.map(|m| m.built_from_source).unwrap_or_default(),
            pending: None,
            _temp: None,
        });
    }
    std::fs::create_dir_all(&deps).map_err(|err| {
        Error::io("create the cache folder", &deps, err)
            .with_fix("pass --cache-dir with a writable folder, or --no-cache")
    })?;
    // Install next to the entry and rename later: a crash, a failed install or
    // a refused layer never leaves an entry that a later run would trust.
    let staging = tempfile::Builder::new()
        .prefix(".installing-")
        .tempdir_in(&deps)
        .map_err(|err| Error::io("create a folder in", &deps, err))?;
    let built = run_installer(installer, request, staging.path())?;
    Ok(Installed {
        dir: staging.path().to_path_buf(),
        cache_hit: false,
        key: key.hex,
        installer_version,
        not_cached: None,
        built_from_source: built,
        pending: Some(Pending {
            staging,
            entry,
            metadata,
        }),
        _temp: None,
    })
}

/// Run the installer into `dest`, building the packages the layer allows from
/// source when they have no wheel. Returns `NAME VERSION` of those built.
fn run_installer(installer: &Installer, request: &Request<'_>, dest: &Path) -> Result<Vec<String>> {
    let scratch = tempfile::Builder::new()
        .prefix("layer-pack-install-")
        .tempdir()
        .map_err(|err| Error::failed(format!("cannot create a temporary folder: {err}")))?;
    let (requirements, workdir) = requirements_file(installer, request, scratch.path())?;
    let dest = std::path::absolute(dest).map_err(|err| Error::io("open", dest, err))?;
    let wheelhouse = scratch.path().join("wheels");
    let mut from_source: BTreeSet<String> = BTreeSet::new();
    let mut built_wheels = false;
    tracing::info!(
        "installing {} for {} with {}",
        request.source_name(),
        request.target,
        installer.program.join(" ")
    );
    loop {
        let args = request.arguments(
            installer,
            &dest,
            &requirements,
            if installer.kind == InstallerKind::Uv {
                &from_source
            } else {
                const NONE: &BTreeSet<String> = &BTreeSet::new();
                NONE
            },
            built_wheels.then_some(wheelhouse.as_path()),
        );
        tracing::debug!("running {} {}", installer.program.join(" "), args.join(" "));
        let mut command = Command::new(&installer.program[0]);
        command.args(&installer.program[1..]).args(&args);
        if let Some(dir) = &workdir {
            command.current_dir(dir);
        }
        if !from_source.is_empty() {
            sdist::without_aws_credentials(&mut command);
        }
        let output = command
            .output()
            .map_err(|err| Error::failed(format!("cannot run {}: {err}", installer.name())))?;
        if output.status.success() {
            break;
        }
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let package = no_wheel_package(&text);
        let Some(package) = package.filter(|p| {
            request.allowed.allows(p)
                && !from_source.contains(&sdist::normalize(p))
                && from_source.len() < MAX_SOURCE_BUILDS
        }) else {
            return Err(explain_failure(installer, request, &text));
        };
        tracing::info!(
            "`{package}` has no wheel for {}: building it from source, as the layer allows",
            request.target
        );
        if installer.kind == InstallerKind::Pip {
            let spec = requirement_for(&requirements, &package).unwrap_or_else(|| package.clone());
            sdist::pip_wheel(
                &installer.program,
                &spec,
                request.constraints,
                &wheelhouse,
                request.target,
            )?;
            built_wheels = true;
        }
        from_source.insert(sdist::normalize(&package));
    }
    sdist::check_built(&dest, &from_source, request.target)
}

/// The file to install from, and the folder to run the installer in (relative
/// paths in a requirements file or an exported lock count from there).
fn requirements_file(
    installer: &Installer,
    request: &Request<'_>,
    scratch: &Path,
) -> Result<(PathBuf, Option<PathBuf>)> {
    let absolute =
        |path: &Path| std::path::absolute(path).map_err(|err| Error::io("open", path, err));
    match (request.lock, request.requirements) {
        (Some(Lock::Uv { lock, project }), _) => {
            let exported = scratch.join("requirements.txt");
            export_uv_lock(lock, project, &exported)?;
            let dir = absolute(project)?.parent().map(Path::to_path_buf);
            Ok((exported, dir))
        }
        (Some(Lock::Pylock(path)), _) => {
            if installer.kind == InstallerKind::Pip {
                return Err(Error::usage(format!(
                    "{}: pip cannot install a PEP 751 lock here",
                    path.display()
                ))
                .with_fix("install it with uv (--installer uv, or let layer-pack find uv), or use requirements.txt with pip"));
            }
            let path = absolute(path)?;
            let dir = path.parent().map(Path::to_path_buf);
            Ok((path, dir))
        }
        (None, Some(path)) => {
            let path = absolute(path)?;
            let dir = path.parent().map(Path::to_path_buf);
            Ok((path, dir))
        }
        (None, None) => Err(Error::failed("nothing to install")),
    }
}

/// `uv export --frozen`: the lock as a pinned requirements file with hashes,
/// without the project itself (the library is the layer's python/ folder) and
/// without development dependencies. Markers stay, for the installer to
/// evaluate for the target.
fn export_uv_lock(lock: &Path, project: &Path, out: &Path) -> Result<()> {
    let uv = uv_program().ok_or_else(|| {
        Error::failed(format!(
            "uv is needed to read {}, and was not found",
            lock.display()
        ))
        .with_fix("install uv (`python3 -m pip install uv`)")
    })?;
    let dir = project.parent().unwrap_or(Path::new("."));
    let output = Command::new(&uv[0])
        .args(&uv[1..])
        .args([
            "export",
            "--frozen",
            "--format",
            "requirements-txt",
            "--no-dev",
            "--no-emit-project",
            "--quiet",
            "--output-file",
        ])
        .arg(out)
        .current_dir(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
        .output()
        .map_err(|err| Error::failed(format!("cannot run uv: {err}")))?;
    if output.status.success() {
        return Ok(());
    }
    Err(Error::input(format!(
        "`uv export --frozen` could not read {}: {}",
        lock.display(),
        String::from_utf8_lossy(&output.stderr).trim()
    ))
    .with_fix("run `uv lock` next to pyproject.toml, and pack again"))
}

/// The line of a requirements file that names this package (for `pip wheel`).
fn requirement_for(requirements: &Path, package: &str) -> Option<String> {
    let text = std::fs::read_to_string(requirements).ok()?;
    let wanted = sdist::normalize(package);
    text.lines()
        .map(|line| line.split(" #").next().unwrap_or(line).trim())
        .map(|line| {
            line.split(" --hash")
                .next()
                .unwrap_or(line)
                .trim_end_matches('\\')
                .trim()
        })
        .find(|line| !line.starts_with('-') && sdist::normalize(&requirement_name(line)) == wanted)
        .map(str::to_string)
}

/// Turn an installer's failure into a message that names the package and the target.
fn explain_failure(installer: &Installer, request: &Request<'_>, text: &str) -> Error {
    let target = format!(
        "{} (manylinux, glibc {} or older)",
        request.target,
        request.platform_glibc()
    );
    let tail: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = tail[tail.len().saturating_sub(6)..].join("\n  ");
    if let Some(package) = no_wheel_package(text) {
        let allowed = request.allowed.allows(&package);
        let problem = if allowed {
            "it was allowed to build from source, and the build was not used"
        } else {
            "it is published only as source for this target (or not at all), and building from source is not allowed"
        };
        return Error::input(format!(
            "no wheel of `{package}` for {target}: {problem} ({} says:\n  {tail})",
            installer.name()
        ))
        .with_fix(sdist::opt_in_fix(&package));
    }
    if let Some(package) = between(text, "Because ", " was not found in the package registry") {
        return Error::input(format!("`{package}` does not exist in the package index"))
            .with_fix(format!("check the spelling in {}", request.source_name()));
    }
    Error::failed(format!(
        "{} failed to install {} for {target}:\n  {tail}",
        installer.name(),
        request.source_name()
    ))
    .with_fix("run with -vv to see the installer's command line")
}

fn no_wheel_package(text: &str) -> Option<String> {
    // uv: "hint: Wheels are required for `docopt` because building from source is disabled"
    if let Some(name) = between(text, "Wheels are required for `", "`") {
        return Some(name);
    }
    // uv: "Because all versions of docopt have no usable wheels"
    if let Some(name) = between(text, "versions of ", " have no usable wheels") {
        return Some(name);
    }
    if let Some(name) = between(text, "Because ", " has no usable wheels") {
        return Some(requirement_name(&name));
    }
    // pip: "ERROR: No matching distribution found for docopt==0.6.2"
    text.split("No matching distribution found for ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .map(requirement_name)
        .filter(|name| !name.is_empty())
}

/// `docopt` from `docopt==0.6.2`, `Foo[extra]>=1`, `bar;python_version>"3"`.
fn requirement_name(requirement: &str) -> String {
    requirement
        .split(|c: char| "=<>!~;[( @".contains(c))
        .next()
        .unwrap_or_default()
        .to_string()
}

fn between(text: &str, start: &str, end: &str) -> Option<String> {
    let from = text.find(start)? + start.len();
    let rest = &text[from..];
    let to = rest.find(end)?;
    let found = rest[..to].trim();
    (!found.is_empty() && !found.contains('\n')).then(|| found.to_string())
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_package_without_a_wheel() {
        let uv = "error: No solution found when resolving dependencies\n  cause: Because all versions of docopt have no usable wheels and you require docopt, we can conclude\n\nhint: Wheels are required for `docopt` because building from source is disabled";
        assert_eq!(no_wheel_package(uv).as_deref(), Some("docopt"));
        let pip = "ERROR: Could not find a version that satisfies the requirement docopt (from versions: none)\nERROR: No matching distribution found for docopt\n";
        assert_eq!(no_wheel_package(pip).as_deref(), Some("docopt"));
        let pinned = "ERROR: No matching distribution found for docopt==0.6.2\n";
        assert_eq!(no_wheel_package(pinned).as_deref(), Some("docopt"));
        assert_eq!(requirement_name("Foo[bar]>=1.0"), "Foo");
        assert_eq!(no_wheel_package("error: network unreachable"), None);
    }
}
