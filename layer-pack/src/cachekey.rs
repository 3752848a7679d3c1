//! The key of an installed dependency set: a hash of every input that decides
//! what gets installed, so that a cache entry can never go stale.
//!
//! Covered: the requirements file and every file it references (`-r`, `-c`,
//! local wheels, archives and package folders, `--find-links` folders),
//! recursively; the constraints; a lock (`uv.lock` with its `pyproject.toml`,
//! or `pylock.toml`) and the local paths it references; the environment
//! variables a requirements file expands and the installers read (`UV_*`,
//! `PIP_*`); the target; the installer and its version; the packages allowed
//! to build from source. What cannot be hashed (a URL without a hash, a VCS
//! reference without a commit, a folder that is not a package) makes the
//! install uncacheable, with the reason.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use layer_core::{Error, Result};
use sha2::{Digest, Sha256};

/// How deep `-r` files may include each other before we call it a loop.
const MAX_INCLUDE_DEPTH: usize = 32;

/// Installer settings from the environment that cannot change what gets
/// installed (where caches live, how output looks): not part of the key.
const PRESENTATION_VARIABLES: &[&str] = &[
    "UV_CACHE_DIR",
    "UV_NO_PROGRESS",
    "UV_NO_CACHE",
    "UV_CONCURRENT_DOWNLOADS",
    "UV_CONCURRENT_BUILDS",
    "UV_CONCURRENT_INSTALLS",
    "UV_LINK_MODE",
    "UV_COLOR",
    "PIP_CACHE_DIR",
    "PIP_NO_CACHE_DIR",
    "PIP_PROGRESS_BAR",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "PIP_NO_COLOR",
    "PIP_ROOT_USER_ACTION",
];

/// The key, and why the install must not be cached (when it must not).
#[derive(Debug, Clone)]
pub struct Key {
    pub hex: String,
    pub uncacheable: Option<String>,
}

/// Builds a key from the inputs, in a fixed order.
pub struct KeyBuilder {
    hash: Sha256,
    uncacheable: Option<String>,
    /// Requirements files already read (a file included twice, or a loop).
    read: BTreeSet<PathBuf>,
    /// `${VAR}` names the requirements files expand.
    variables: BTreeSet<String>,
}

impl std::fmt::Debug for KeyBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyBuilder")
            .field("uncacheable", &self.uncacheable)
            .finish()
    }
}

impl Default for KeyBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyBuilder {
    pub fn new() -> Self {
        let mut hash = Sha256::new();
        hash.update(b"layer-pack deps v2\n");
        KeyBuilder {
            hash,
            uncacheable: None,
            read: BTreeSet::new(),
            variables: BTreeSet::new(),
        }
    }

    /// A labelled value (the target, the installer's version...).
    pub fn text(&mut self, label: &str, value: &str) {
        self.bytes(label, value.as_bytes());
    }

    fn bytes(&mut self, label: &str, bytes: &[u8]) {
        self.hash.update(label.as_bytes());
        self.hash.update((bytes.len() as u64).to_le_bytes());
        self.hash.update(bytes);
    }

    /// Note that the install cannot be cached (the first reason is kept).
    pub fn uncacheable(&mut self, why: String) {
        tracing::debug!("dependencies: not cacheable: {why}");
        self.uncacheable.get_or_insert(why);
    }

    /// A requirements (or constraints) file and everything it references.
    pub fn requirements_file(&mut self, path: &Path) -> Result<()> {
        self.requirements_file_at(path, 0)
    }

    fn requirements_file_at(&mut self, path: &Path, depth: usize) -> Result<()> {
        let canonical = path.canonicalize().map_err(|err| {
            Error::io("read", path, err).with_fix("check the path of the -r/-c reference")
        })?;
        if !self.read.insert(canonical.clone()) {
            return Ok(());
        }
        if depth > MAX_INCLUDE_DEPTH {
            return Err(Error::input(format!(
                "{}: requirements files include each other more than {MAX_INCLUDE_DEPTH} deep",
                path.display()
            ))
            .with_fix("remove the -r/-c loop"));
        }
        let text =
            std::fs::read_to_string(&canonical).map_err(|err| Error::io("read", path, err))?;
        self.bytes(
            &format!("requirements {}\n", canonical.display()),
            text.as_bytes(),
        );
        let base = canonical.parent().unwrap_or(Path::new("/")).to_path_buf();
        for line in logical_lines(&text) {
            self.note_variables(&line);
            self.requirement_line(&line, &base, depth)?;
        }
        Ok(())
    }

    fn requirement_line(&mut self, line: &str, base: &Path, depth: usize) -> Result<()> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(first) = words.first() else {
            return Ok(());
        };
        // `-r FILE`, `-rFILE`, `--requirement=FILE`, and the same for -c.
        for (short, long) in [("-r", "--requirement"), ("-c", "--constraint")] {
            if let Some(file) = option_value(&words, short, long) {
                return self.requirements_file_at(&base.join(file), depth + 1);
            }
        }
        if let Some(target) = option_value(&words, "-e", "--editable") {
            return self.reference(target, base);
        }
        if let Some(links) = option_value(&words, "-f", "--find-links") {
            if !links.contains("://") || links.starts_with("file:") {
                self.local_path(&base.join(links.trim_start_matches("file://")), true);
            }
            return Ok(());
        }
        if first.starts_with('-') {
            // --index-url, --extra-index-url, --hash, --pre, --only-binary...: the
            // text is hashed with the file.
            return Ok(());
        }
        // `name @ url`, or a bare path or URL.
        let requirement = line.split(" --").next().unwrap_or(line);
        let requirement = requirement.split(';').next().unwrap_or(requirement).trim();
        let has_hash = line.contains("--hash");
        if let Some((_, url)) = requirement.split_once(" @ ").or_else(|| {
            requirement
                .split_once('@')
                .filter(|(name, _)| is_name(name.trim()))
        }) {
            return self.url_or_path(url.trim(), base, has_hash);
        }
        if looks_like_path_or_url(requirement) {
            return self.url_or_path(requirement, base, has_hash);
        }
        Ok(())
    }

    /// `-e` takes a local folder or a VCS URL.
    fn reference(&mut self, target: &str, base: &Path) -> Result<()> {
        self.url_or_path(target, base, false)
    }

    fn url_or_path(&mut self, target: &str, base: &Path, has_hash: bool) -> Result<()> {
        if let Some(path) = target.strip_prefix("file://") {
            self.local_path(Path::new(path), false);
            return Ok(());
        }
        if target.starts_with("git+")
            || target.starts_with("hg+")
            || target.starts_with("svn+")
            || target.starts_with("bzr+")
        {
            // Immutable only when pinned to a full commit hash.
            let pinned = target
                .rsplit_once('@')
                .map(|(_, rev)| rev.split('#').next().unwrap_or(rev))
                .is_some_and(|rev| rev.len() >= 40 && rev.chars().all(|c| c.is_ascii_hexdigit()));
            if !pinned {
                self.uncacheable(format!(
                    "{target} is a VCS reference without a full commit hash: what it names can change"
                ));
            }
            return Ok(());
        }
        if target.contains("://") {
            let hashed = has_hash
                || target.split_once('#').is_some_and(|(_, fragment)| {
                    fragment.contains("sha256=")
                        || fragment.contains("sha384=")
                        || fragment.contains("sha512=")
                        || fragment.contains("md5=")
                });
            if !hashed {
                self.uncacheable(format!(
                    "{target} is a URL without a hash (#sha256=... or --hash): what it serves can change"
                ));
            }
            return Ok(());
        }
        self.local_path(&base.join(target), false);
        Ok(())
    }

    /// A local file (its bytes) or folder (every file in it, when it is a
    /// Python package or, for --find-links, a folder of distributions).
    fn local_path(&mut self, path: &Path, distributions_folder: bool) {
        let label = format!("path {}\n", path.display());
        if path.is_file() {
            match std::fs::read(path) {
                Ok(bytes) => self.bytes(&label, &bytes),
                Err(err) => self.uncacheable(format!("{} cannot be read: {err}", path.display())),
            }
            return;
        }
        if !path.is_dir() {
            self.uncacheable(format!("{} does not exist", path.display()));
            return;
        }
        let is_package = ["pyproject.toml", "setup.py", "setup.cfg"]
            .iter()
            .any(|name| path.join(name).is_file());
        if !is_package && !distributions_folder {
            self.uncacheable(format!(
                "{} is a folder that is not a Python package (no pyproject.toml, setup.py or setup.cfg)",
                path.display()
            ));
            return;
        }
        self.text("folder", &path.display().to_string());
        let walker = walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| !is_scratch(entry.file_name().to_string_lossy().as_ref()));
        for entry in walker {
            match entry {
                Ok(entry) if entry.file_type().is_file() => {
                    let relative = entry.path().strip_prefix(path).unwrap_or(entry.path());
                    match std::fs::read(entry.path()) {
                        Ok(bytes) => self.bytes(&format!("file {}\n", relative.display()), &bytes),
                        Err(err) => self.uncacheable(format!(
                            "{} cannot be read: {err}",
                            entry.path().display()
                        )),
                    }
                }
                Ok(_) => {}
                Err(err) => self.uncacheable(format!("{} cannot be read: {err}", path.display())),
            }
        }
    }

    fn note_variables(&mut self, line: &str) {
        let mut rest = line;
        while let Some(at) = rest.find("${") {
            rest = &rest[at + 2..];
            if let Some(end) = rest.find('}') {
                self.variables.insert(rest[..end].to_string());
                rest = &rest[end..];
            }
        }
    }

    /// A lock: its bytes, the project file next to a `uv.lock`, and the local
    /// paths it references (the project itself, `.`, is the layer folder and not
    /// a dependency).
    pub fn lock_file(&mut self, lock: &Path, project: Option<&Path>) -> Result<()> {
        let text = std::fs::read_to_string(lock).map_err(|err| Error::io("read", lock, err))?;
        self.bytes("lock\n", text.as_bytes());
        if let Some(project) = project {
            let bytes = std::fs::read(project).map_err(|err| Error::io("read", project, err))?;
            self.bytes("project\n", &bytes);
        }
        let value: toml::Table = toml::from_str(&text).map_err(|err| {
            Error::input(format!("{} is not valid TOML: {err}", lock.display()))
                .with_fix("regenerate the lock (`uv lock`, or `uv export --format pylock.toml`)")
        })?;
        let base = lock.parent().unwrap_or(Path::new(".")).to_path_buf();
        let mut paths = Vec::new();
        local_paths_in(&toml::Value::Table(value), &mut paths);
        for path in paths {
            if path != "." && !path.is_empty() {
                self.local_path(
                    &base.join(&path),
                    path.ends_with(".whl") || path.ends_with(".tar.gz"),
                );
            }
        }
        Ok(())
    }

    /// The key, with the environment's installer settings and the variables
    /// the requirements files expand.
    pub fn finish(mut self) -> Key {
        let mut environment: Vec<(String, String)> = std::env::vars()
            .filter(|(name, _)| {
                (name.starts_with("UV_") || name.starts_with("PIP_"))
                    && !PRESENTATION_VARIABLES.contains(&name.as_str())
            })
            .collect();
        for name in std::mem::take(&mut self.variables) {
            environment.push((name.clone(), std::env::var(&name).unwrap_or_default()));
        }
        environment.sort();
        for (name, value) in environment {
            self.text(&format!("env {name}\n"), &value);
        }
        Key {
            hex: crate::hex(&self.hash.finalize()),
            uncacheable: self.uncacheable,
        }
    }
}

/// Folders inside a package that are caches, not sources.
fn is_scratch(name: &str) -> bool {
    matches!(
        name,
        ".git"
            | ".hg"
            | "__pycache__"
            | ".venv"
            | ".tox"
            | ".nox"
            | ".mypy_cache"
            | ".pytest_cache"
            | ".ruff_cache"
    ) || name.ends_with(".pyc")
}

/// Every string under a key that names a local path in uv.lock or pylock.toml:
/// `path`, `directory`, `editable`, `virtual` (uv.lock's `source = {...}`;
/// pylock's `directory`, `archive`, `sdist` and `wheels` tables).
fn local_paths_in(value: &toml::Value, out: &mut Vec<String>) {
    match value {
        toml::Value::Table(table) => {
            for (key, item) in table {
                match (key.as_str(), item) {
                    ("path" | "directory" | "editable" | "virtual", toml::Value::String(path)) => {
                        out.push(path.clone())
                    }
                    _ => local_paths_in(item, out),
                }
            }
        }
        toml::Value::Array(items) => items.iter().for_each(|item| local_paths_in(item, out)),
        _ => {}
    }
}

/// The value of `-r FILE`, `-rFILE`, `--requirement FILE`, `--requirement=FILE`.
fn option_value<'a>(words: &[&'a str], short: &str, long: &str) -> Option<&'a str> {
    let first = *words.first()?;
    if first == short || first == long {
        return words.get(1).copied();
    }
    if let Some(value) = first.strip_prefix(&format!("{long}=")) {
        return Some(value);
    }
    first
        .strip_prefix(short)
        .filter(|value| !value.is_empty() && !first.starts_with("--"))
}

/// A requirement that is a path or a URL rather than a name.
fn looks_like_path_or_url(requirement: &str) -> bool {
    requirement.starts_with('.')
        || requirement.starts_with('/')
        || requirement.starts_with('~')
        || requirement.contains("://")
        || [".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz"]
            .iter()
            .any(|ext| requirement.ends_with(ext))
}

fn is_name(text: &str) -> bool {
    let name = text.split('[').next().unwrap_or(text);
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Lines with `\` continuations joined and comments removed (a `#` at the
/// start or after whitespace starts a comment; `#sha256=` in a URL does not).
fn logical_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for raw in text.lines() {
        let without_comment = match raw.find(" #").or_else(|| raw.find("\t#")) {
            Some(at) => &raw[..at],
            None if raw.trim_start().starts_with('#') => "",
            None => raw,
        };
        if let Some(joined) = without_comment.trim_end().strip_suffix('\\') {
            current.push_str(joined);
            current.push(' ');
            continue;
        }
        current.push_str(without_comment);
        let line = current.trim().to_string();
        if !line.is_empty() {
            lines.push(line);
        }
        current.clear();
    }
    if !current.trim().is_empty() {
        lines.push(current.trim().to_string());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_of(dir: &Path) -> Key {
        let mut key = KeyBuilder::new();
        key.requirements_file(&dir.join("requirements.txt"))
            .unwrap();
        key.finish()
    }

    #[test]
    fn every_referenced_file_is_part_of_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "requirements.txt",
            "-r base.txt\n--constraint=locks/pins.txt  # the lock\n./wheels/tool-1.0-py3-none-any.whl\nlocal @ file://LOCAL\n-e ./pkg\n",
        );
        let local = dir.path().join("local");
        std::fs::create_dir_all(&local).unwrap();
        std::fs::write(local.join("setup.cfg"), "[metadata]\nname = local\n").unwrap();
        let text = std::fs::read_to_string(dir.path().join("requirements.txt")).unwrap();
        write(
            "requirements.txt",
            &text.replace("LOCAL", &local.display().to_string()),
        );
        write("base.txt", "six==1.16.0\n-rnested/more.txt\n");
        write("nested/more.txt", "idna==3.10\n-r ../base.txt\n");
        write("locks/pins.txt", "six==1.16.0\n");
        write("wheels/tool-1.0-py3-none-any.whl", "wheel bytes");
        write("pkg/pyproject.toml", "[project]\nname = 'pkg'\n");
        write("pkg/pkg/__init__.py", "X = 1\n");
        write("pkg/pkg/__pycache__/x.pyc", "cache");

        let first = key_of(dir.path());
        assert_eq!(first.uncacheable, None);
        assert_eq!(key_of(dir.path()).hex, first.hex, "stable");
        let mut seen = BTreeSet::from([first.hex.clone()]);
        // A change in any referenced file is a new key; a cache file is not.
        write("pkg/pkg/__pycache__/x.pyc", "other cache");
        assert_eq!(key_of(dir.path()).hex, first.hex);
        for (name, text) in [
            ("base.txt", "six==1.17.0\n-rnested/more.txt\n"),
            ("nested/more.txt", "idna==3.11\n-r ../base.txt\n"),
            ("locks/pins.txt", "six==1.17.0\n"),
            ("wheels/tool-1.0-py3-none-any.whl", "other wheel bytes"),
            ("pkg/pkg/__init__.py", "X = 2\n"),
            ("local/setup.cfg", "[metadata]\nname = local2\n"),
        ] {
            write(name, text);
            let key = key_of(dir.path());
            assert!(seen.insert(key.hex), "{name} changed and the key did not");
        }
    }

    #[test]
    fn references_that_cannot_be_hashed_make_the_install_uncacheable() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "pkg @ https://example.invalid/pkg-1.0.tar.gz\n",
                Some("URL without a hash"),
            ),
            (
                "pkg @ https://example.invalid/pkg-1.0.tar.gz#sha256=abc\n",
                None,
            ),
            (
                "https://example.invalid/pkg-1.0-py3-none-any.whl --hash=sha256:abc\n",
                None,
            ),
            (
                "git+https://example.invalid/x.git@main#egg=x\n",
                Some("without a full commit hash"),
            ),
            (
                "git+https://example.invalid/x.git@0123456789abcdef0123456789abcdef01234567#egg=x\n",
                None,
            ),
            ("./not-a-package\n", Some("not a Python package")),
            ("./missing.whl\n", Some("does not exist")),
            (
                "six==1.17.0 ; python_version >= '3'\n--index-url https://example.invalid/simple\n",
                None,
            ),
        ];
        std::fs::create_dir_all(dir.path().join("not-a-package")).unwrap();
        for (text, expected) in cases {
            std::fs::write(dir.path().join("requirements.txt"), text).unwrap();
            let key = key_of(dir.path());
            match expected {
                Some(why) => assert!(
                    key.uncacheable.as_deref().is_some_and(|u| u.contains(why)),
                    "{text}: {:?}",
                    key.uncacheable
                ),
                None => assert_eq!(key.uncacheable, None, "{text}"),
            }
        }
    }

    #[test]
    fn lock_files_reference_local_paths() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("lib")).unwrap();
        std::fs::write(
            dir.path().join("lib/pyproject.toml"),
            "[project]\nname='lib'\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname='layer'\n",
        )
        .unwrap();
        let lock = dir.path().join("uv.lock");
        std::fs::write(
            &lock,
            "version = 1\n[[package]]\nname = \"layer\"\nsource = { editable = \".\" }\n[[package]]\nname = \"lib\"\nsource = { directory = \"lib\" }\n",
        )
        .unwrap();
        let key = |builder: &mut KeyBuilder| {
            builder
                .lock_file(&lock, Some(&dir.path().join("pyproject.toml")))
                .unwrap();
        };
        let mut first = KeyBuilder::new();
        key(&mut first);
        let first = first.finish();
        assert_eq!(first.uncacheable, None);
        std::fs::write(
            dir.path().join("lib/pyproject.toml"),
            "[project]\nname='lib2'\n",
        )
        .unwrap();
        let mut second = KeyBuilder::new();
        key(&mut second);
        assert_ne!(second.finish().hex, first.hex);
    }
}
