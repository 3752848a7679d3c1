//! The import proof: after pruning and before zipping, import every top-level
//! module of the layer the way Lambda will, with a local Python of each
//! declared version and this machine's architecture.
//!
//! The layer's files are linked into a scratch `python/` folder; one Python
//! process per target, started isolated (`-I -S`) in a minimal environment
//! (no AWS credentials, a scratch HOME), puts only the layer's folders on
//! `sys.path` in Lambda's order and forks one child per module, a few at a
//! time, each killed when it overruns the timeout. A fork from a process that
//! imported nothing of the layer is as fresh as a new interpreter, for one
//! interpreter start per target. A module that another module's import loaded
//! whole (botocore, by boto3) is proven by that import and gets no child of its
//! own; the importers go first. Compiled bytecode is kept between runs.
//!
//! This runs the packages' own code on the build machine: that is the point,
//! and the reason for the minimal environment and `--no-import-check`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use layer_core::platform::Target as RecordTarget;
use layer_core::sections::{Check, Finding, ImportProof, Severity};
use layer_core::{Error, Result};
use serde::Deserialize;
use serde_json::Map;

use crate::imports::module_of_relative;
use crate::install::{find_on_path, uv_program};
use crate::target::{PythonRuntime, Target};
use crate::tree::{Entry, Tree};
use crate::verify::finding;

/// The packages Lambda's Python runtimes bring along (the AWS SDK and what it
/// needs): a layer that imports them without shipping them works in Lambda,
/// with whatever version the runtime has. Their absence is a warning.
const RUNTIME_PROVIDED: &[&str] = &[
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "dateutil",
    "urllib3",
    "six",
];

/// Runs in the target's Python: imports each module in a forked child and
/// prints one JSON document with the outcomes.
const PROVER: &str = r#"
import json, os, sys, time
args = json.loads(sys.argv[1])
sys.path[:0] = args["paths"]
out, timeout, jobs, modules = args["out"], args["timeout"], args["jobs"], args["modules"]

def child(index, name):
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    log = os.open(os.path.join(out, "%d.log" % index), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    result, code = {"error": "", "loaded": []}, 0
    try:
        import importlib
        importlib.import_module(name)
        # The other top-level modules this import loaded, whole: proven with it.
        result["loaded"] = [m for m in modules if m in sys.modules]
    except BaseException as error:
        import traceback
        lines = traceback.format_exception_only(type(error), error)
        result["error"] = (lines[-1] if lines else repr(error)).strip()
        code = 1
        traceback.print_exc()
    with open(os.path.join(out, "%d.result" % index), "w") as found:
        json.dump(result, found)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

def log_tail(index):
    try:
        with open(os.path.join(out, "%d.log" % index), errors="replace") as log:
            lines = [line.strip() for line in log.read().splitlines() if line.strip()]
        return lines[-1] if lines else ""
    except OSError:
        return ""

def outcome(index, name, status, seconds):
    result = {"module": name, "ok": False, "error": "", "seconds": round(seconds, 3), "loaded": []}
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) in (0, 1):
        with open(os.path.join(out, "%d.result" % index), errors="replace") as found:
            written = json.load(found)
        result["ok"] = os.WEXITSTATUS(status) == 0
        result["error"], result["loaded"] = written["error"], written["loaded"]
    elif os.WIFSIGNALED(status):
        tail = log_tail(index)
        result["error"] = "the interpreter died with signal %d while importing it%s" % (
            os.WTERMSIG(status), (": " + tail) if tail else "")
    else:
        tail = log_tail(index)
        result["error"] = "the import ended with exit code %d%s" % (
            os.WEXITSTATUS(status), (": " + tail) if tail else "")
    return result

position = {name: index for index, name in enumerate(modules)}
pending = list(enumerate(modules))
pending.reverse()
running, results = {}, {}
while pending or running:
    while pending and len(running) < jobs:
        index, name = pending.pop()
        if index in results:
            continue
        pid = os.fork()
        if pid == 0:
            try:
                child(index, name)
            finally:
                os._exit(3)
        running[pid] = (index, name, time.monotonic())
    if not running:
        continue
    pid, status = os.waitpid(-1, os.WNOHANG)
    if pid:
        index, name, started = running.pop(pid)
        result = outcome(index, name, status, time.monotonic() - started)
        results[index] = result
        if result["ok"]:
            for other in result["loaded"]:
                if position[other] not in results:
                    results[position[other]] = {"module": other, "ok": True, "error": "",
                                                "seconds": 0, "via": name, "loaded": []}
        continue
    now = time.monotonic()
    for pid, (index, name, started) in list(running.items()):
        if now - started > timeout:
            for kill in (lambda: os.killpg(pid, 9), lambda: os.kill(pid, 9)):
                try:
                    kill()
                    break
                except OSError:
                    pass
            os.waitpid(pid, 0)
            del running[pid]
            results[index] = {"module": name, "ok": False, "seconds": round(now - started, 3),
                              "error": "the import did not finish within %g s (--import-timeout)" % timeout}
    time.sleep(0.002)
print(json.dumps({"results": [results[i] for i in sorted(results)]}))
"#;

/// How to prove.
#[derive(Debug, Clone)]
pub struct Options {
    pub enabled: bool,
    /// Per module.
    pub timeout: Duration,
    /// Imports at the same time.
    pub jobs: usize,
    /// Targets already reported incompatible and accepted with
    /// `--allow-incompatible`: their import failures are warnings.
    pub accepted_incompatible: BTreeSet<RecordTarget>,
}

/// A local Python that can stand in for a target's runtime.
#[derive(Debug, Clone)]
struct Interpreter {
    executable: PathBuf,
    version: String,
}

/// What the prover reports per module.
#[derive(Debug, Deserialize)]
struct Outcome {
    module: String,
    ok: bool,
    #[serde(default)]
    error: String,
    #[serde(default)]
    seconds: f64,
    /// The module whose import loaded this one (then it has no child of its own).
    #[serde(default)]
    via: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Report {
    results: Vec<Outcome>,
}

/// Prove every target; the record's `import_proof` and the findings.
/// `library_root`: the index of the library among the tree's roots.
/// `cache`: the cache folder (a stable place for the proof, and what it can
/// reuse from one run to the next), or None.
pub fn prove(
    tree: &Tree,
    targets: &[Target],
    library_root: Option<usize>,
    cache: Option<&Path>,
    options: &Options,
) -> Result<(Vec<ImportProof>, Vec<Finding>)> {
    if !options.enabled {
        let proofs = targets
            .iter()
            .map(|t| not_proven(*t, "turned off with --no-import-check"))
            .collect();
        let mut found = finding(
            Severity::Info,
            Check::Import,
            None,
            "the import proof was turned off (--no-import-check): nothing was imported".into(),
        );
        found.targets = targets.iter().map(|&t| t.into()).collect();
        return Ok((proofs, vec![found]));
    }
    let mut proofs = Vec::new();
    let mut findings = Vec::new();
    let mut runnable = Vec::new();
    let mut interpreters: BTreeMap<PythonRuntime, std::result::Result<Interpreter, String>> =
        BTreeMap::new();
    for &target in targets {
        let why_not = if target.arch.machine() != std::env::consts::ARCH {
            Some(format!(
                "this machine is {}, and code for {} is never run here",
                std::env::consts::ARCH,
                target.arch
            ))
        } else {
            let found = interpreters.entry(target.runtime).or_insert_with(|| {
                let finding = Instant::now();
                let found = find_interpreter(target.runtime, cache);
                tracing::debug!(
                    "import proof: looked for Python {} in {} ms",
                    target.runtime.python_version(),
                    finding.elapsed().as_millis()
                );
                found
            });
            match found {
                Ok(interpreter) => {
                    runnable.push((target, interpreter.clone()));
                    None
                }
                Err(why) => Some(why.clone()),
            }
        };
        if let Some(why) = why_not {
            let mut found = finding(
                Severity::Info,
                Check::Import,
                None,
                format!("{target} was not proven by importing: {why}"),
            );
            found.targets = vec![target.into()];
            findings.push(found);
            proofs.push(not_proven(target, &why));
        }
    }
    let runnable: Vec<(Target, Interpreter, Vec<TopLevel>)> = runnable
        .into_iter()
        .map(|(target, interpreter)| {
            let modules = top_level_modules(tree, target.runtime, library_root);
            (target, interpreter, modules)
        })
        .collect();
    if !runnable.is_empty() {
        // Nothing to import (a layer of data files): nothing to link either.
        let scratch = if runnable.iter().any(|(_, _, modules)| !modules.is_empty()) {
            let linking = Instant::now();
            let scratch = Scratch::prepare(tree, cache)?;
            tracing::debug!(
                "import proof: linked {} files in {} ms",
                tree.files.len(),
                linking.elapsed().as_millis()
            );
            Some(scratch)
        } else {
            None
        };
        let mut failures: BTreeMap<(String, String, Severity), Vec<Target>> = BTreeMap::new();
        for (target, interpreter, modules) in runnable {
            let proving = Instant::now();
            let outcomes = match &scratch {
                Some(scratch) => run_prover(scratch, target, &interpreter, &modules, options)?,
                None => Vec::new(),
            };
            tracing::debug!(
                "import proof: {target} in {} ms ({})",
                proving.elapsed().as_millis(),
                outcomes
                    .iter()
                    .map(|o| match &o.via {
                        Some(via) => format!("{} with {via}", o.module),
                        None => format!("{} {:.0} ms", o.module, o.seconds * 1000.0),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let mut proof = ImportProof {
                target: target.into(),
                proven: true,
                interpreter: Some(interpreter.executable.to_string_lossy().into_owned()),
                python_version: Some(interpreter.version.clone()),
                modules: Vec::new(),
                failed: Vec::new(),
                reason: None,
                extra: Map::new(),
            };
            if modules.is_empty() {
                proof.reason = Some("the layer has no top-level Python module to import".into());
            }
            for outcome in outcomes {
                if outcome.ok {
                    proof.modules.push(outcome.module);
                    continue;
                }
                proof.proven = false;
                let path = modules
                    .iter()
                    .find(|m| m.name == outcome.module)
                    .map(|m| m.zip_path.clone())
                    .unwrap_or_default();
                let (severity, message) = judge(&outcome, tree, target, options);
                failures
                    .entry((path, message, severity))
                    .or_default()
                    .push(target);
                proof.failed.push(outcome.module);
            }
            proof.modules.sort();
            proof.failed.sort();
            proofs.push(proof);
        }
        for ((path, message, severity), targets) in failures {
            let mut found = finding(severity, Check::Import, Some(&path), message);
            found.targets = targets.iter().map(|&t| t.into()).collect();
            findings.push(found);
        }
    }
    proofs.sort_by_key(|p| {
        targets
            .iter()
            .position(|&t| p.target == RecordTarget::from(t))
    });
    Ok((proofs, findings))
}

fn not_proven(target: Target, why: &str) -> ImportProof {
    ImportProof {
        target: target.into(),
        proven: false,
        interpreter: None,
        python_version: None,
        modules: Vec::new(),
        failed: Vec::new(),
        reason: Some(why.to_string()),
        extra: Map::new(),
    }
}

/// The severity and message of a failed import.
fn judge(outcome: &Outcome, tree: &Tree, target: Target, options: &Options) -> (Severity, String) {
    let module = &outcome.module;
    if let Some(missing) = missing_module(&outcome.error)
        && RUNTIME_PROVIDED.contains(&missing.as_str())
        && !ships_module(tree, &missing)
    {
        return (
            Severity::Warning,
            format!(
                "`{module}` imports {missing}, which the layer does not ship: Lambda's {} runtime \
                 brings its own (whatever version it has), so this import was not proven ({})",
                target.runtime, outcome.error
            ),
        );
    }
    let severity = if options
        .accepted_incompatible
        .contains(&RecordTarget::from(target))
    {
        Severity::Warning
    } else {
        Severity::Error
    };
    (
        severity,
        format!("`{module}` does not import: {}", outcome.error),
    )
}

/// `boto3` from `ModuleNotFoundError: No module named 'boto3.session'`.
fn missing_module(error: &str) -> Option<String> {
    let rest = error.split("No module named '").nth(1)?;
    let name = rest.split('\'').next()?;
    Some(name.split('.').next()?.to_string())
}

/// Does the layer itself have this top-level module (in any of its folders)?
fn ships_module(tree: &Tree, name: &str) -> bool {
    tree.files.iter().any(|entry| {
        crate::imports::module_of(&entry.zip_path)
            .is_some_and(|(module, _)| module == name || module.starts_with(&format!("{name}.")))
    })
}

/// A top-level module to import, and the file or folder it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct TopLevel {
    name: String,
    zip_path: String,
}

/// The folders Lambda puts on `sys.path` for a runtime, in its order.
fn sys_path_roots(runtime: PythonRuntime) -> [String; 2] {
    [
        format!(
            "python/lib/python{}/site-packages/",
            runtime.python_version()
        ),
        "python/".to_string(),
    ]
}

/// The modules to import for a runtime: the library's own top-level packages
/// and modules, and the top-level names of every installed distribution
/// (`top_level.txt`, else the first parts of the paths in `RECORD`), where the
/// layer has them. A namespace package (no `__init__.py`) stands for its
/// subpackages, which are imported instead.
fn top_level_modules(
    tree: &Tree,
    runtime: PythonRuntime,
    library_root: Option<usize>,
) -> Vec<TopLevel> {
    let mut found: BTreeSet<TopLevel> = BTreeSet::new();
    let mut ranks: HashMap<String, u32> = HashMap::new();
    for root in sys_path_roots(runtime) {
        // Every module the layer holds under this root, and its file.
        let mut modules: BTreeMap<String, String> = BTreeMap::new();
        for entry in &tree.files {
            if let Some(relative) = entry.zip_path.strip_prefix(root.as_str())
                && let Some((module, _)) = module_of_relative(relative)
            {
                modules
                    .entry(module)
                    .or_insert_with(|| entry.zip_path.clone());
            }
        }
        let installed = distributions(tree, &root);
        for (name, rank) in import_order(&installed) {
            let slot = ranks.entry(name).or_insert(rank);
            *slot = (*slot).min(rank);
        }
        let mut wanted: BTreeSet<String> = installed.into_iter().flat_map(|d| d.modules).collect();
        wanted.extend(
            tree.files
                .iter()
                .filter(|entry| Some(entry.root) == library_root)
                .filter_map(|entry| entry.zip_path.strip_prefix(root.as_str()))
                .filter_map(module_of_relative)
                .filter_map(|(module, _)| module.split('.').next().map(str::to_string)),
        );
        for name in wanted {
            expand(&name, &modules, 0, &mut found);
        }
    }
    // One import per name: the first root in Lambda's order wins, as it would there.
    let mut seen = HashSet::new();
    let mut modules: Vec<TopLevel> = found
        .into_iter()
        .filter(|m| seen.insert(m.name.clone()))
        .collect();
    // Those that import others first (see `import_order`; the library's own
    // modules, rank 0, before all), and among equals the largest (by its Python
    // source), so that two imports at a time end together.
    modules.sort_by_cached_key(|m| {
        let top = m.name.split('.').next().unwrap_or(&m.name);
        (
            ranks.get(top).copied().unwrap_or(0),
            std::cmp::Reverse(source_bytes(tree, &m.zip_path)),
        )
    });
    modules
}

/// Bytes of Python source in a module: its file, or its package's folder.
fn source_bytes(tree: &Tree, zip_path: &str) -> u64 {
    match zip_path.strip_suffix("__init__.py") {
        Some(folder) => tree
            .files
            .iter()
            .filter(|e| e.zip_path.starts_with(folder) && e.zip_path.ends_with(".py"))
            .map(|e| e.size)
            .sum(),
        None => tree
            .files
            .iter()
            .find(|e| e.zip_path == zip_path)
            .map_or(0, |e| e.size),
    }
}

/// A module the layer has, or the subpackages of a namespace package.
fn expand(
    name: &str,
    modules: &BTreeMap<String, String>,
    depth: u32,
    out: &mut BTreeSet<TopLevel>,
) {
    if let Some(path) = modules.get(name) {
        out.insert(TopLevel {
            name: name.to_string(),
            zip_path: path.clone(),
        });
        return;
    }
    if depth >= 3 {
        return;
    }
    let prefix = format!("{name}.");
    let children: BTreeSet<&str> = modules
        .range(prefix.clone()..)
        .take_while(|(module, _)| module.starts_with(&prefix))
        .filter_map(|(module, _)| module[prefix.len()..].split('.').next())
        .collect();
    for child in children {
        expand(&format!("{prefix}{child}"), modules, depth + 1, out);
    }
}

/// An installed distribution, from its `*.dist-info`.
#[derive(Debug, Default)]
struct Distribution {
    /// Normalized (PEP 503).
    name: String,
    /// Its top-level modules: `top_level.txt`, else the first parts of the paths in `RECORD`.
    modules: BTreeSet<String>,
    /// What it requires (normalized names; optional extras left out).
    requires: BTreeSet<String>,
}

/// The distributions installed under a root, read from their metadata
/// (pruned or not: `--slim-dist-info` removes `RECORD`).
fn distributions(tree: &Tree, root: &str) -> Vec<Distribution> {
    let mut files: BTreeMap<&str, BTreeMap<&str, &Entry>> = BTreeMap::new();
    for entry in tree
        .files
        .iter()
        .chain(tree.pruned.iter().map(|p| &p.entry))
    {
        if let Some((dir, file)) = entry
            .zip_path
            .strip_prefix(root)
            .and_then(|relative| relative.split_once('/'))
            && dir.ends_with(".dist-info")
        {
            files.entry(dir).or_default().insert(file, entry);
        }
    }
    let read = |entry: Option<&&Entry>| entry.and_then(|e| std::fs::read_to_string(&e.source).ok());
    files
        .into_iter()
        .map(|(dir, files)| {
            let stem = dir.trim_end_matches(".dist-info");
            let mut dist = Distribution {
                name: crate::sdist::normalize(stem.split('-').next().unwrap_or(stem)),
                ..Default::default()
            };
            if let Some(text) = read(files.get("top_level.txt")) {
                dist.modules.extend(
                    text.lines()
                        .map(|line| line.trim().replace('/', "."))
                        .filter(|line| !line.is_empty()),
                );
            } else if let Some(text) = read(files.get("RECORD")) {
                dist.modules.extend(text.lines().filter_map(|line| {
                    let (module, _) = module_of_relative(line.split(',').next()?)?;
                    Some(module.split('.').next()?.to_string())
                }));
            }
            if let Some(text) = read(files.get("METADATA")) {
                dist.requires.extend(
                    text.lines()
                        .filter_map(|line| line.strip_prefix("Requires-Dist:"))
                        .filter(|requirement| !requirement.contains("extra =="))
                        .map(|requirement| {
                            let name = requirement
                                .trim()
                                .split(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
                                .next()
                                .unwrap_or_default();
                            crate::sdist::normalize(name)
                        }),
                );
            }
            dist
        })
        .collect()
}

/// How early to import each top-level module: a distribution nothing else in
/// the layer requires is imported before those it requires, which its import
/// then usually covers (the library's own modules come first of all).
fn import_order(distributions: &[Distribution]) -> HashMap<String, u32> {
    let names: HashSet<&str> = distributions.iter().map(|d| d.name.as_str()).collect();
    let mut depth: HashMap<&str, u32> = HashMap::new();
    let required: HashSet<&str> = distributions
        .iter()
        .flat_map(|d| d.requires.iter().map(String::as_str))
        .filter(|name| names.contains(name))
        .collect();
    let mut level: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !required.contains(n))
        .collect();
    let mut current = 0;
    while !level.is_empty() {
        let mut next = Vec::new();
        for name in level {
            if depth.contains_key(name) {
                continue;
            }
            depth.insert(name, current);
            if let Some(dist) = distributions.iter().find(|d| d.name == name) {
                next.extend(
                    dist.requires
                        .iter()
                        .map(String::as_str)
                        .filter(|n| names.contains(n)),
                );
            }
        }
        level = next;
        current += 1;
    }
    let mut order = HashMap::new();
    for dist in distributions {
        let rank = 1 + depth.get(dist.name.as_str()).copied().unwrap_or(current);
        for module in &dist.modules {
            let slot = order.entry(module.clone()).or_insert(rank);
            *slot = (*slot).min(rank);
        }
    }
    order
}

/// Where the proof runs: the layer's files linked under `python/` (hard links
/// where the file system allows, else symbolic links), a HOME and the prover's
/// output under `run/`, compiled bytecode under `pycache/`.
///
/// With a cache folder it is `<cache>/proof/`, one run at a time (a lock), and
/// its paths stay the same from run to run: bytecode compiled for a file that
/// did not change is reused, as Python reuses it anywhere (it checks each `.pyc`
/// against its source's size and modification time, which hard links keep).
/// Without one, a temporary folder.
struct Scratch {
    root: PathBuf,
    _temp: Option<tempfile::TempDir>,
    /// Held until the proof is done: another layer-pack run waits.
    _lock: Option<std::fs::File>,
}

impl Scratch {
    fn prepare(tree: &Tree, cache: Option<&Path>) -> Result<Self> {
        let scratch = match cache {
            Some(cache) => {
                // Absolute: the prover runs in another folder.
                let root = std::path::absolute(cache.join("proof"))
                    .map_err(|err| Error::io("open", cache, err))?;
                std::fs::create_dir_all(&root).map_err(|err| Error::io("create", &root, err))?;
                let lock_path = root.join(".lock");
                let lock = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&lock_path)
                    .map_err(|err| Error::io("open", &lock_path, err))?;
                lock.lock()
                    .map_err(|err| Error::io("lock", &lock_path, err))?;
                for stale in ["python", "run"] {
                    let path = root.join(stale);
                    if path.exists() {
                        std::fs::remove_dir_all(&path)
                            .map_err(|err| Error::io("clear", &path, err))?;
                    }
                }
                Scratch {
                    root,
                    _temp: None,
                    _lock: Some(lock),
                }
            }
            None => {
                let temp = tempfile::Builder::new()
                    .prefix("layer-pack-proof-")
                    .tempdir()
                    .map_err(|err| {
                        Error::failed(format!(
                            "cannot create a folder for the import proof: {err}"
                        ))
                    })?;
                Scratch {
                    root: temp.path().to_path_buf(),
                    _temp: Some(temp),
                    _lock: None,
                }
            }
        };
        let mut made: HashSet<PathBuf> = HashSet::new();
        for entry in &tree.files {
            let dest = scratch.root.join(&entry.zip_path);
            let folder = dest.parent().expect("under python/").to_path_buf();
            if !made.contains(&folder) {
                std::fs::create_dir_all(&folder)
                    .map_err(|err| Error::io("create", &folder, err))?;
                made.insert(folder);
            }
            if std::fs::hard_link(&entry.source, &dest).is_err() {
                std::os::unix::fs::symlink(&entry.source, &dest)
                    .map_err(|err| Error::io("link", &dest, err))?;
            }
        }
        for folder in [scratch.home(), scratch.pycache()] {
            std::fs::create_dir_all(&folder).map_err(|err| Error::io("create", &folder, err))?;
        }
        Ok(scratch)
    }

    fn path(&self) -> &Path {
        &self.root
    }

    fn home(&self) -> PathBuf {
        self.root.join("run/home")
    }

    fn output(&self) -> PathBuf {
        self.root.join("run/out")
    }

    fn pycache(&self) -> PathBuf {
        self.root.join("pycache")
    }
}

/// Find a Python of this version for this machine: `python3.X` on PATH, else
/// one of pyenv's versions (`$PYENV_ROOT/versions/3.X.*/bin/python3.X`), else
/// what `uv python find 3.X` reports. Never downloads one. Err: why none fits.
///
/// pyenv is looked at directly because its shim for a version that is not
/// selected (`pyenv global`) is on PATH and fails, and makes `uv python find`
/// fail too; CI machines with several Pythons from pyenv are common.
fn find_interpreter(
    runtime: PythonRuntime,
    cache: Option<&Path>,
) -> std::result::Result<Interpreter, String> {
    let version = runtime.python_version();
    let command = format!("python{version}");
    let on_path = find_on_path(&command);
    let known = KnownInterpreters::new(cache);
    if let Some(found) = known.get(&command, on_path.as_deref()) {
        return Ok(found);
    }
    let mut tried = Vec::new();
    let found = search_interpreter(runtime, on_path.as_deref(), &mut tried);
    match found {
        Some(found) => {
            known.remember(&command, on_path.as_deref(), &found);
            Ok(found)
        }
        None => Err(format!(
            "no Python {version} for {} on this machine ({}); install one (e.g. `uv python install {version}`) to prove this target",
            std::env::consts::ARCH,
            tried.join("; ")
        )),
    }
}

/// The places a Python of this version may be, in order; `tried` collects why
/// each did not fit.
fn search_interpreter(
    runtime: PythonRuntime,
    on_path: Option<&Path>,
    tried: &mut Vec<String>,
) -> Option<Interpreter> {
    let version = runtime.python_version();
    let command = format!("python{version}");
    match on_path {
        Some(path) => match probe(path, runtime) {
            Ok(found) => return Some(found),
            Err(why) => tried.push(format!("{command} on PATH {why}")),
        },
        None => tried.push(format!("no {command} on PATH")),
    }
    let pyenv = pyenv_candidates(runtime);
    if pyenv.is_empty() {
        tried.push(format!("no pyenv version {version}"));
    }
    for path in pyenv {
        match probe(&path, runtime) {
            Ok(found) => return Some(found),
            Err(why) => tried.push(format!("{} {why}", path.display())),
        }
    }
    let Some(uv) = uv_program() else {
        tried.push("uv is not installed".to_string());
        return None;
    };
    let output = Command::new(&uv[0])
        .args(&uv[1..])
        .args(["python", "find", &version])
        .env("UV_PYTHON_DOWNLOADS", "never")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .output();
    match output {
        Ok(out) if out.status.success() => {
            let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            match probe(&path, runtime) {
                Ok(found) => return Some(found),
                Err(why) => tried.push(format!(
                    "`uv python find {version}` gave {} which {why}",
                    path.display()
                )),
            }
        }
        _ => tried.push(format!("`uv python find {version}` found none")),
    }
    None
}

/// pyenv's interpreters of this version (`$PYENV_ROOT`, else `~/.pyenv`), the
/// newest patch release first.
fn pyenv_candidates(runtime: PythonRuntime) -> Vec<PathBuf> {
    let root = std::env::var_os("PYENV_ROOT")
        .filter(|root| !root.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".pyenv")));
    let Some(entries) = root.and_then(|root| std::fs::read_dir(root.join("versions")).ok()) else {
        return Vec::new();
    };
    let version = runtime.python_version();
    let mut found: Vec<(u32, PathBuf)> = entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let patch = name.strip_prefix(&format!("{version}."))?;
            // 3.12.1 only: not 3.12.1t (free-threaded) or 3.12-dev.
            let patch: u32 = patch.parse().ok()?;
            let path = entry.path().join(format!("bin/python{version}"));
            path.is_file().then_some((patch, path))
        })
        .collect();
    found.sort();
    found.into_iter().rev().map(|(_, path)| path).collect()
}

/// Interpreters found before (in the cache folder's `interpreters.json`), by
/// the command looked for (`python3.12`): the one found, while the
/// `python3.12` on PATH (or its absence) and the interpreter are unchanged
/// (path, size, modification time). Looking costs an interpreter start, or
/// several where PATH holds pyenv's shims. Only finds are remembered, never a miss.
struct KnownInterpreters {
    file: Option<PathBuf>,
}

#[derive(Debug, Clone, serde::Serialize, Deserialize)]
struct Known {
    executable: PathBuf,
    version: String,
    /// The `pythonX.Y` on PATH when it was found (none: None), with its size
    /// and modification time (ns), and those of the executable.
    on_path: Option<(PathBuf, (u64, u128))>,
    stamp: (u64, u128),
}

impl KnownInterpreters {
    fn new(cache: Option<&Path>) -> Self {
        KnownInterpreters {
            file: cache.map(|cache| cache.join("interpreters.json")),
        }
    }

    fn read(&self) -> BTreeMap<String, Known> {
        self.file
            .as_ref()
            .and_then(|file| std::fs::read_to_string(file).ok())
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    fn get(&self, command: &str, on_path: Option<&Path>) -> Option<Interpreter> {
        let known = self.read().remove(command)?;
        (known.on_path == on_path_stamp(on_path)
            && Some(known.stamp) == stamp_of(&known.executable))
        .then_some(Interpreter {
            executable: known.executable,
            version: known.version,
        })
    }

    fn remember(&self, command: &str, on_path: Option<&Path>, found: &Interpreter) {
        let (Some(file), Some(stamp)) = (self.file.as_ref(), stamp_of(&found.executable)) else {
            return;
        };
        let on_path_now = on_path_stamp(on_path);
        if on_path.is_some() && on_path_now.is_none() {
            return;
        }
        let mut all = self.read();
        all.insert(
            command.to_string(),
            Known {
                executable: found.executable.clone(),
                version: found.version.clone(),
                on_path: on_path_now,
                stamp,
            },
        );
        // Written aside and renamed: a reader never sees half a file.
        let temp = file.with_extension(format!("json.{}", std::process::id()));
        let written = serde_json::to_string(&all)
            .ok()
            .is_some_and(|text| std::fs::write(&temp, text).is_ok());
        if !written || std::fs::rename(&temp, file).is_err() {
            let _ = std::fs::remove_file(&temp);
        }
    }
}

fn on_path_stamp(on_path: Option<&Path>) -> Option<(PathBuf, (u64, u128))> {
    on_path.and_then(|path| Some((path.to_path_buf(), stamp_of(path)?)))
}

/// Size and modification time of a file (through symlinks).
fn stamp_of(path: &Path) -> Option<(u64, u128)> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((meta.len(), modified))
}

/// Does this interpreter stand in for the runtime? Its version, and the
/// extension modules it loads (`.cpython-311-x86_64-linux-gnu.so`: CPython,
/// glibc, this machine, not a free-threaded or debug build).
fn probe(path: &Path, runtime: PythonRuntime) -> std::result::Result<Interpreter, String> {
    let output = Command::new(path)
        .args([
            "-I",
            "-S",
            "-c",
            "import sys, importlib.machinery as m\nprint(sys.executable)\nprint('%d.%d.%d' % sys.version_info[:3])\nprint(m.EXTENSION_SUFFIXES[0])",
        ])
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("does not start: {err}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = text.lines().collect();
    if !output.status.success() || lines.len() < 3 {
        let why = String::from_utf8_lossy(&output.stderr);
        let why = why
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no output");
        return Err(format!("does not run ({})", why.trim()));
    }
    let (executable, version, suffix) = (lines[0], lines[1], lines[2]);
    let wanted_version = runtime.python_version();
    if version != wanted_version && !version.starts_with(&format!("{wanted_version}.")) {
        return Err(format!("is Python {version}"));
    }
    let wanted_suffix = format!(
        ".cpython-{}-{}-linux-gnu.so",
        runtime.abi_digits(),
        std::env::consts::ARCH
    );
    if suffix != wanted_suffix {
        return Err(format!(
            "loads {suffix} extensions, not {wanted_suffix} as Lambda's {runtime} does"
        ));
    }
    let executable = if executable.is_empty() {
        path.to_path_buf()
    } else {
        PathBuf::from(executable)
    };
    Ok(Interpreter {
        executable,
        version: version.to_string(),
    })
}

/// Run the prover for one target; the outcome of every module, in order.
fn run_prover(
    scratch: &Scratch,
    target: Target,
    interpreter: &Interpreter,
    modules: &[TopLevel],
    options: &Options,
) -> Result<Vec<Outcome>> {
    if modules.is_empty() {
        return Ok(Vec::new());
    }
    let out = scratch.output().join(target.runtime.abi_digits());
    std::fs::create_dir_all(&out).map_err(|err| Error::io("create", &out, err))?;
    let python = scratch.path().join("python");
    let paths: Vec<String> = sys_path_roots(target.runtime)
        .iter()
        .map(|root| path_text(&scratch.path().join(root.trim_end_matches('/'))))
        .collect();
    let arguments = serde_json::json!({
        "paths": paths,
        "modules": modules.iter().map(|m| &m.name).collect::<Vec<_>>(),
        "timeout": options.timeout.as_secs_f64(),
        "jobs": options.jobs.max(1),
        "out": path_text(&out),
    });
    let stdout_path = out.join("prover.out");
    let stderr_path = out.join("prover.err");
    let file =
        |path: &Path| std::fs::File::create(path).map_err(|err| Error::io("create", path, err));
    let home = scratch.home();
    tracing::info!(
        "import proof: {} module(s) on {target} with {} ({})",
        modules.len(),
        interpreter.executable.display(),
        interpreter.version
    );
    // A minimal environment: no AWS credentials or profile, no user site, a
    // scratch HOME, and the instance metadata service out of reach of the SDK.
    let mut child = Command::new(&interpreter.executable)
        .args(["-I", "-S", "-X"])
        .arg(format!("pycache_prefix={}", path_text(&scratch.pycache())))
        .args(["-c", PROVER])
        .arg(arguments.to_string())
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", &home)
        .env("TMPDIR", &home)
        .env("LANG", "C.UTF-8")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .current_dir(&python)
        .stdin(Stdio::null())
        .stdout(file(&stdout_path)?)
        .stderr(file(&stderr_path)?)
        .spawn()
        .map_err(|err| {
            Error::failed(format!(
                "cannot start {} for the import proof: {err}",
                interpreter.executable.display()
            ))
        })?;
    // The prover bounds each import; this bounds the prover itself.
    let rounds = modules.len().div_ceil(options.jobs.max(1)) as u32;
    let deadline = Instant::now() + options.timeout * rounds + Duration::from_secs(30);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() > deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::failed(format!(
                    "the import proof on {target} did not finish in time"
                ))
                .with_fix("raise --import-timeout, or skip the proof with --no-import-check"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(err) => {
                return Err(Error::failed(format!(
                    "cannot wait for the import proof: {err}"
                )));
            }
        }
    };
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let report = stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str::<Report>(line).ok());
    match report {
        Some(report) if status.success() => Ok(report.results),
        _ => {
            let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
            Err(Error::failed(format!(
                "the import proof on {target} failed to run ({status}): {}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n  ")
            ))
            .with_fix("run with -vv to see more, or skip the proof with --no-import-check"))
        }
    }
}

fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_modules_are_read_from_the_exception() {
        assert_eq!(
            missing_module("ModuleNotFoundError: No module named 'boto3.session'").as_deref(),
            Some("boto3")
        );
        assert_eq!(
            missing_module("ModuleNotFoundError: No module named 'astropy'").as_deref(),
            Some("astropy")
        );
        assert_eq!(missing_module("ImportError: cannot import name 'x'"), None);
    }

    #[test]
    fn namespace_packages_stand_for_their_subpackages() {
        let modules: BTreeMap<String, String> = [
            ("google.protobuf", "python/google/protobuf/__init__.py"),
            (
                "google.protobuf.message",
                "python/google/protobuf/message.py",
            ),
            ("google.api.core", "python/google/api/core.py"),
            ("six", "python/six.py"),
        ]
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
        let mut out = BTreeSet::new();
        expand("google", &modules, 0, &mut out);
        expand("six", &modules, 0, &mut out);
        expand("absent", &modules, 0, &mut out);
        let names: Vec<&str> = out.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["google.api.core", "google.protobuf", "six"]);
    }
}
