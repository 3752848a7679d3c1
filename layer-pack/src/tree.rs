//! The files that go into the zip: the installed dependencies and the library,
//! mapped under `python/` (or a Python's `python/lib/pythonX.Y/site-packages/`),
//! minus what pruning removes. Nothing is copied:
//! each entry points at its source file.

use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use layer_core::{Error, Result};

/// The prune rules applied unless `--no-default-prune`: gitignore syntax,
/// matched against paths relative to the folder on `sys.path` a file sits in
/// (`python/`, or `python/lib/pythonX.Y/site-packages/`). A `.layerignore` is applied
/// after these, so its `!pattern` lines keep what a default would remove.
pub const DEFAULT_PRUNE: &[&str] = &[
    "__pycache__/",
    "*.py[co]",
    "tests/",
    ".pytest_cache/",
    ".mypy_cache/",
    ".ruff_cache/",
    ".tox/",
    ".nox/",
    ".git/",
    ".hg/",
    ".svn/",
    ".DS_Store",
    ".ipynb_checkpoints/",
    // Console scripts from `pip install --target` point at the build machine's python.
    "/bin/",
    // uv's lock file in the root of a `--target` folder.
    "/.lock",
];

/// The bulky parts of `*.dist-info` that `--slim-dist-info` removes. METADATA,
/// entry points, top_level.txt, WHEEL and licenses stay: packages and
/// importlib.metadata read them at run time.
pub const SLIM_DIST_INFO: &[&str] = &[
    "*.dist-info/RECORD",
    "*.dist-info/INSTALLER",
    "*.dist-info/REQUESTED",
    "*.dist-info/direct_url.json",
];

/// One file of the layer.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The path inside the zip, always under `python/`, with `/` separators.
    pub zip_path: String,
    pub source: PathBuf,
    pub size: u64,
    pub executable: bool,
    /// Which root it came from (an index into the roots given to `collect`).
    pub root: usize,
}

/// Which rule pruned a file: a built-in default (which the import scan may
/// override) or one the user wrote (which wins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PruneRule {
    Default(String),
    User(String),
}

/// A file left out of the layer, and the rule that did it.
#[derive(Debug, Clone)]
pub struct Pruned {
    pub entry: Entry,
    pub rule: PruneRule,
}

/// The layer's files, sorted by zip path, and what pruning left out.
#[derive(Debug, Default)]
pub struct Tree {
    pub files: Vec<Entry>,
    pub pruned: Vec<Pruned>,
    /// Bytes `--strip` saved.
    pub stripped_bytes: u64,
    /// Library files that replaced an installed dependency's file at the same path.
    pub overridden: Vec<String>,
}

impl Tree {
    pub fn unzipped_bytes(&self) -> u64 {
        self.files.iter().map(|entry| entry.size).sum()
    }

    pub fn pruned_files(&self) -> u64 {
        self.pruned.len() as u64
    }

    /// Bytes left out: pruned files and what `--strip` saved.
    pub fn pruned_bytes(&self) -> u64 {
        self.pruned.iter().map(|p| p.entry.size).sum::<u64>() + self.stripped_bytes
    }

    /// Put pruned files (by index into `pruned`) back into the layer.
    pub fn restore(&mut self, mut indices: Vec<usize>) {
        indices.sort_unstable();
        indices.dedup();
        for index in indices.into_iter().rev() {
            let pruned = self.pruned.remove(index);
            self.files.push(pruned.entry);
        }
        self.files.sort_by(|a, b| a.zip_path.cmp(&b.zip_path));
    }
}

/// How to prune.
#[derive(Debug)]
pub struct Pruner {
    rules: Gitignore,
    /// Also drop `docs/` and `doc/` folders that are not Python packages.
    docs: bool,
    package_dirs: std::sync::Mutex<HashMap<PathBuf, bool>>,
}

impl Pruner {
    /// `layerignore`: the user's rules, applied after the defaults.
    pub fn new(defaults: bool, slim_dist_info: bool, layerignore: Option<&Path>) -> Result<Self> {
        let mut builder = GitignoreBuilder::new("");
        let mut add = |line: &str, from: Option<&Path>| -> Result<()> {
            builder
                .add_line(from.map(Path::to_path_buf), line)
                .map(|_| ())
                .map_err(|err| {
                    let source = from.map_or("a built-in rule".into(), |p| p.display().to_string());
                    Error::input(format!("{source}: invalid pattern {line:?}: {err}"))
                        .with_fix(".layerignore uses gitignore syntax")
                })
        };
        if defaults {
            DEFAULT_PRUNE.iter().try_for_each(|line| add(line, None))?;
        }
        if slim_dist_info {
            SLIM_DIST_INFO.iter().try_for_each(|line| add(line, None))?;
        }
        if let Some(path) = layerignore {
            let text = std::fs::read_to_string(path).map_err(|err| Error::io("read", path, err))?;
            text.lines().try_for_each(|line| add(line, Some(path)))?;
        }
        let rules = builder
            .build()
            .map_err(|err| Error::input(format!("invalid prune rules: {err}")))?;
        Ok(Pruner {
            rules,
            docs: defaults,
            package_dirs: Default::default(),
        })
    }

    /// The rule that leaves this file (path relative to its folder on `sys.path`) out, if any.
    fn rule_for(&self, relative: &str, source_root: &Path) -> Option<PruneRule> {
        match self.rules.matched_path_or_any_parents(relative, false) {
            Match::Whitelist(_) => None,
            Match::Ignore(glob) => Some(match glob.from() {
                Some(_) => PruneRule::User(glob.original().to_string()),
                None => PruneRule::Default(glob.original().to_string()),
            }),
            Match::None => (self.docs && self.in_docs_folder(relative, source_root))
                .then(|| PruneRule::Default("docs/ (not a package)".to_string())),
        }
    }

    /// A file under a `docs/` or `doc/` folder without `__init__.py`: botocore.docs
    /// and numpy.doc are code and stay.
    fn in_docs_folder(&self, relative: &str, source_root: &Path) -> bool {
        let mut dir = PathBuf::new();
        let parts: Vec<&str> = relative.split('/').collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            dir.push(part);
            if matches!(*part, "docs" | "doc") {
                let full = source_root.join(&dir);
                let mut cache = self.package_dirs.lock().expect("not poisoned");
                let is_package = *cache
                    .entry(full.clone())
                    .or_insert_with(|| full.join("__init__.py").exists());
                if !is_package {
                    return true;
                }
            }
        }
        false
    }
}

/// A folder whose files go into the layer, and where: `python/` (the library,
/// dependencies that are the same for every declared Python) or
/// `python/lib/pythonX.Y/site-packages/` (dependencies for one Python).
#[derive(Debug, Clone)]
pub struct Root<'a> {
    pub dir: &'a Path,
    pub prefix: String,
}

impl<'a> Root<'a> {
    /// Files that go under `python/`.
    pub fn python(dir: &'a Path) -> Self {
        Root {
            dir,
            prefix: "python/".to_string(),
        }
    }
}

/// `python/lib/python3.12/site-packages/`: the folder Lambda puts on `sys.path`
/// for python3.12 alone, before `python/`.
pub fn site_packages(python_version: &str) -> String {
    format!("python/lib/python{python_version}/site-packages/")
}

/// Collect the files of each root (later roots win on the same path), pruned.
/// Prune rules match paths relative to the root's folder on `sys.path`, so a
/// rule means the same for a dependency under `python/` and under a
/// site-packages folder. `exclude`: source files that are build inputs, never
/// layer content.
pub fn collect(roots: &[Root<'_>], pruner: &Pruner, exclude: &[PathBuf]) -> Result<Tree> {
    let exclude: Vec<PathBuf> = exclude
        .iter()
        .filter_map(|path| path.canonicalize().ok())
        .collect();
    let mut files: BTreeMap<String, Entry> = BTreeMap::new();
    let mut pruned: BTreeMap<String, Pruned> = BTreeMap::new();
    let mut tree = Tree::default();
    for (index, root) in roots.iter().enumerate() {
        for entry in walk(root.dir, index, &root.prefix)? {
            let relative = entry
                .zip_path
                .strip_prefix(root.prefix.as_str())
                .unwrap_or_default()
                .to_string();
            if exclude.contains(&entry.source) {
                continue;
            }
            if let Some(rule) = pruner.rule_for(&relative, root.dir) {
                pruned.insert(entry.zip_path.clone(), Pruned { entry, rule });
                continue;
            }
            if let Some(previous) = files.insert(entry.zip_path.clone(), entry)
                && index > 0
            {
                tree.overridden.push(previous.zip_path);
            }
        }
    }
    // A pruned path that a later root provides again (kept) is not pruned.
    pruned.retain(|path, _| !files.contains_key(path));
    tree.files = files.into_values().collect();
    tree.pruned = pruned.into_values().collect();
    Ok(tree)
}

/// Every regular file under `root`, following symlinks that stay inside it,
/// with its path in the zip under `prefix`.
fn walk(root: &Path, root_index: usize, prefix: &str) -> Result<Vec<Entry>> {
    let canonical_root = root
        .canonicalize()
        .map_err(|err| Error::io("open", root, err))?;
    let mut entries = Vec::new();
    for item in walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
    {
        let item = item.map_err(|err| walk_error(root, err))?;
        let path = item.path();
        if item.path_is_symlink() {
            let target = path
                .canonicalize()
                .map_err(|err| Error::io("follow the symlink", path, err))?;
            if !target.starts_with(&canonical_root) {
                return Err(Error::input(format!(
                    "{} is a symlink to {}, outside the layer's tree",
                    path.display(),
                    target.display()
                ))
                .with_fix("copy the target into the tree, or remove the link; a zip cannot carry a link out of the layer"));
            }
        }
        let file_type = item.file_type();
        if file_type.is_dir() {
            continue;
        }
        if !file_type.is_file() {
            return Err(Error::input(format!(
                "{} is not a regular file (a fifo, socket or device)",
                path.display()
            ))
            .with_fix("remove it from the layer's tree, or list it in .layerignore"));
        }
        let meta = item.metadata().map_err(|err| walk_error(root, err))?;
        // Open now, so that an unreadable file stops the build before any work is done.
        std::fs::File::open(path).map_err(|err| Error::io("read", path, err))?;
        let relative = path
            .strip_prefix(root)
            .expect("walkdir stays under its root");
        let zip_path = zip_path_of(relative, prefix)?;
        entries.push(Entry {
            zip_path,
            source: path
                .canonicalize()
                .map_err(|err| Error::io("open", path, err))?,
            size: meta.len(),
            executable: meta.permissions().mode() & 0o111 != 0,
            root: root_index,
        });
    }
    Ok(entries)
}

fn zip_path_of(relative: &Path, prefix: &str) -> Result<String> {
    let parts = relative
        .components()
        .map(|part| {
            part.as_os_str()
                .to_str()
                .map(str::to_string)
                .ok_or_else(|| {
                    Error::input(format!(
                        "{}: the file name is not UTF-8",
                        relative.display()
                    ))
                    .with_fix("rename the file; zip entry names must be UTF-8")
                })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(format!("{prefix}{}", parts.join("/")))
}

fn walk_error(root: &Path, err: walkdir::Error) -> Error {
    let path = err.path().unwrap_or(root).to_path_buf();
    if err.loop_ancestor().is_some() {
        return Error::input(format!("{}: a symlink loop", path.display()))
            .with_fix("remove the link that points back at its own folder");
    }
    match err.into_io_error() {
        Some(io) if io.kind() == std::io::ErrorKind::NotFound => Error::input(format!(
            "{}: a broken symlink or a vanished file",
            path.display()
        ))
        .with_fix("remove the dangling link"),
        Some(io) => Error::io("read", &path, io),
        None => Error::input(format!("cannot walk {}", path.display())),
    }
}

/// `--strip`: replace every shared library with a copy passed through
/// `strip --strip-unneeded`. The copies live in the returned folder, which must
/// outlive the zip. Risky by nature (some libraries ship symbols they look up
/// at run time), hence off by default.
pub fn strip_shared_libraries(tree: &mut Tree) -> Result<tempfile::TempDir> {
    let dir = tempfile::Builder::new()
        .prefix("layer-pack-strip-")
        .tempdir()
        .map_err(|err| Error::failed(format!("cannot create a temporary folder: {err}")))?;
    for (index, entry) in tree.files.iter_mut().enumerate() {
        let name = entry.zip_path.rsplit('/').next().unwrap_or_default();
        if !(name.ends_with(".so") || name.contains(".so.")) || !is_elf(&entry.source)? {
            continue;
        }
        let copy = dir.path().join(format!("{index}-{name}"));
        std::fs::copy(&entry.source, &copy).map_err(|err| Error::io("copy", &entry.source, err))?;
        let output = std::process::Command::new("strip")
            .arg("--strip-unneeded")
            .arg(&copy)
            .output()
            .map_err(|err| {
                Error::failed(format!("cannot run strip: {err}"))
                    .with_fix("install binutils, or drop --strip")
            })?;
        if !output.status.success() {
            return Err(Error::failed(format!(
                "strip failed on {}: {}",
                entry.zip_path,
                String::from_utf8_lossy(&output.stderr).trim()
            ))
            .with_fix("a foreign architecture needs its binutils (e.g. binutils-aarch64-linux-gnu); or drop --strip"));
        }
        let size = std::fs::metadata(&copy)
            .map_err(|err| Error::io("read", &copy, err))?
            .len();
        tree.stripped_bytes += entry.size.saturating_sub(size);
        entry.source = copy;
        entry.size = size;
    }
    Ok(dir)
}

fn is_elf(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut magic = [0u8; 4];
    let mut file = std::fs::File::open(path).map_err(|err| Error::io("read", path, err))?;
    Ok(file.read_exact(&mut magic).is_ok() && magic == *b"\x7fELF")
}
