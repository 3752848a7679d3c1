//! Installing `requirements.txt` for the target runtime and architecture,
//! without Docker: uv (preferred) or pip, with binary wheels only, into a
//! cache entry keyed by everything that decides the result.

use std::path::{Path, PathBuf};
use std::process::Command;

use layer_core::{Error, Result};
use sha2::{Digest, Sha256};

use crate::target::{Glibc, Target};

/// Which program installs the dependencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InstallerKind {
    Uv,
    Pip,
}

/// A found installer: how to run it.
#[derive(Debug, Clone)]
pub struct Installer {
    pub kind: InstallerKind,
    program: Vec<String>,
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
        }
    }

    pub fn name(&self) -> &'static str {
        match self.kind {
            InstallerKind::Uv => "uv",
            InstallerKind::Pip => "pip",
        }
    }

    /// The installer's version, e.g. `0.13.9`, as it reports it.
    fn version(&self) -> Result<String> {
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
            Some(version) if output.status.success() => Ok(version.to_string()),
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
    pub requirements: &'a Path,
    pub constraints: Option<&'a Path>,
    pub target: Target,
}

impl Request<'_> {
    /// The manylinux level wheels may need: manylinux2014 (glibc 2.17) for
    /// Amazon Linux 2 runtimes (uv offers no 2.26 platform, and 2.17 is the
    /// common denominator wheels are built for), manylinux_2_34 on Amazon Linux 2023.
    pub fn platform_glibc(&self) -> Glibc {
        let glibc = self.target.runtime.glibc();
        if glibc >= Glibc(2, 34) {
            Glibc(2, 34)
        } else {
            Glibc(2, 17)
        }
    }

    fn arguments(&self, installer: &Installer, dest: &Path) -> Vec<String> {
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
        args.extend(["-r".into(), path_text(self.requirements)]);
        if let Some(constraints) = self.constraints {
            args.extend(["-c".into(), path_text(constraints)]);
        }
        args
    }

    /// The cache key: a hash of everything that decides what gets installed
    /// (the installer by name: its version is recorded, not hashed, so that
    /// a cache hit needs no process start).
    pub fn cache_key(&self, installer: &Installer) -> Result<String> {
        let mut hash = Sha256::new();
        hash.update(b"layer-pack deps v1\n");
        for file in [Some(self.requirements), self.constraints] {
            let bytes = match file {
                Some(path) => std::fs::read(path).map_err(|err| Error::io("read", path, err))?,
                None => Vec::new(),
            };
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(&bytes);
        }
        hash.update(
            format!(
                "{}\n{}\n{}\n{}\n",
                self.target.runtime,
                self.target.arch.machine(),
                self.platform_glibc(),
                installer.name(),
            )
            .as_bytes(),
        );
        Ok(crate::hex(&hash.finalize()))
    }
}

/// Where installed dependencies live: a cache entry, or a temporary folder.
#[derive(Debug)]
pub struct Installed {
    pub dir: PathBuf,
    pub cache_hit: bool,
    pub key: String,
    /// The version of the installer that made it.
    pub installer_version: String,
    /// Keeps a `--no-cache` install alive until the zip is written.
    _temp: Option<tempfile::TempDir>,
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
    let key = request.cache_key(installer)?;
    let Some(cache) = cache else {
        let temp = tempfile::Builder::new()
            .prefix("layer-pack-deps-")
            .tempdir()
            .map_err(|err| Error::failed(format!("cannot create a temporary folder: {err}")))?;
        run_installer(installer, request, temp.path())?;
        return Ok(Installed {
            dir: temp.path().to_path_buf(),
            cache_hit: false,
            key,
            installer_version: installer.version()?,
            _temp: Some(temp),
        });
    };
    let deps = cache.join("deps");
    let entry = deps.join(&key);
    let version_file = deps.join(format!("{key}.installer-version"));
    if entry.is_dir() && !refresh {
        tracing::info!("dependencies: reusing {}", entry.display());
        let installer_version = std::fs::read_to_string(&version_file)
            .map(|text| text.trim().to_string())
            .unwrap_or_else(|_| "unknown".to_string());
        return Ok(Installed {
            dir: entry,
            cache_hit: true,
            key,
            installer_version,
            _temp: None,
        });
    }
    std::fs::create_dir_all(&deps).map_err(|err| {
        Error::io("create the cache folder", &deps, err)
            .with_fix("pass --cache-dir with a writable folder, or --no-cache")
    })?;
    // Install next to the entry and rename: a crash or a failed install never
    // leaves a half-filled entry that a later run would trust.
    let staging = tempfile::Builder::new()
        .prefix(".installing-")
        .tempdir_in(&deps)
        .map_err(|err| Error::io("create a folder in", &deps, err))?;
    let installer_version = installer.version()?;
    run_installer(installer, request, staging.path())?;
    std::fs::write(&version_file, &installer_version)
        .map_err(|err| Error::io("write", &version_file, err))?;
    if entry.exists() {
        std::fs::remove_dir_all(&entry).map_err(|err| Error::io("replace", &entry, err))?;
    }
    let staged = staging.keep();
    if let Err(err) = std::fs::rename(&staged, &entry) {
        let _ = std::fs::remove_dir_all(&staged);
        if !entry.is_dir() {
            return Err(Error::io("store the dependencies in", &entry, err));
        }
        // Another run stored the same key at the same moment: same inputs, same content.
    }
    Ok(Installed {
        dir: entry,
        cache_hit: false,
        key,
        installer_version,
        _temp: None,
    })
}

fn run_installer(installer: &Installer, request: &Request<'_>, dest: &Path) -> Result<()> {
    let args = request.arguments(installer, dest);
    tracing::info!(
        "installing {} for {} with {}",
        request.requirements.display(),
        request.target,
        installer.program.join(" ")
    );
    tracing::debug!("running {} {}", installer.program.join(" "), args.join(" "));
    let output = Command::new(&installer.program[0])
        .args(&installer.program[1..])
        .args(&args)
        .output()
        .map_err(|err| Error::failed(format!("cannot run {}: {err}", installer.name())))?;
    if output.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Err(explain_failure(installer, request, &text))
}

/// Turn an installer's failure into a message that names the package.
fn explain_failure(installer: &Installer, request: &Request<'_>, text: &str) -> Error {
    let target = format!(
        "{} on {} (manylinux, glibc {} or older)",
        request.target.runtime,
        request.target.arch,
        request.platform_glibc()
    );
    let tail: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = tail[tail.len().saturating_sub(6)..].join("\n  ");
    if let Some(package) = no_wheel_package(text) {
        return Error::input(format!(
            "no wheel of `{package}` for {target} ({} says:\n  {tail})",
            installer.name()
        ))
        .with_fix(format!(
            "pin a version of `{package}` that publishes a manylinux wheel for this Python and \
             architecture, replace the package, or vendor a build made for Lambda into python/"
        ));
    }
    if let Some(package) = between(text, "Because ", " was not found in the package registry") {
        return Error::input(format!("`{package}` does not exist in the package index")).with_fix(
            format!("check the spelling in {}", request.requirements.display()),
        );
    }
    Error::failed(format!(
        "{} failed to install {} for {target}:\n  {tail}",
        installer.name(),
        request.requirements.display()
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
        return Some(name);
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
