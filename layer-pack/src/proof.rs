//! The import proof: after pruning and before zipping, import every top-level
//! module of the layer the way Lambda will, with a local Python of each
//! declared version and this machine's architecture.
//!
//! The layer's files are linked into a scratch `python/` folder; one Python
//! process per target, started isolated (`-I -S -B`) in a minimal environment
//! (no AWS credentials, a scratch HOME), puts only the layer's folders on
//! `sys.path` in Lambda's order and forks one child per module, a few at a
//! time, each killed when it overruns the timeout. A fork from a process that
//! imported nothing of the layer keeps each import as isolated as a fresh
//! interpreter, for one interpreter start per target.
//!
//! This runs the packages' own code on the build machine: that is the point,
//! and the reason for the minimal environment and `--no-import-check`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use layer_core::sections::{Finding, ImportProof, Severity};
use layer_core::{Error, Result};
use serde::Deserialize;

use crate::imports::module_of_relative;
use crate::install::{find_on_path, uv_program};
use crate::target::{Runtime, Target};
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
out, timeout, jobs = args["out"], args["timeout"], args["jobs"]

def child(index, name):
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    log = os.open(os.path.join(out, "%d.log" % index), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    message, code = "", 0
    try:
        import importlib
        importlib.import_module(name)
    except BaseException as error:
        import traceback
        lines = traceback.format_exception_only(type(error), error)
        message = (lines[-1] if lines else repr(error)).strip()
        code = 1
        traceback.print_exc()
    with open(os.path.join(out, "%d.result" % index), "w") as result:
        result.write(message)
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
    result = {"module": name, "ok": False, "error": "", "seconds": round(seconds, 3)}
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        result["ok"] = True
    elif os.WIFEXITED(status) and os.WEXITSTATUS(status) == 1:
        with open(os.path.join(out, "%d.result" % index), errors="replace") as found:
            result["error"] = found.read()
    elif os.WIFSIGNALED(status):
        tail = log_tail(index)
        result["error"] = "the interpreter died with signal %d while importing it%s" % (
            os.WTERMSIG(status), (": " + tail) if tail else "")
    else:
        tail = log_tail(index)
        result["error"] = "the import ended with exit code %d%s" % (
            os.WEXITSTATUS(status), (": " + tail) if tail else "")
    return result

pending = list(enumerate(args["modules"]))
pending.reverse()
running, results = {}, {}
while pending or running:
    while pending and len(running) < jobs:
        index, name = pending.pop()
        pid = os.fork()
        if pid == 0:
            try:
                child(index, name)
            finally:
                os._exit(3)
        running[pid] = (index, name, time.monotonic())
    pid, status = os.waitpid(-1, os.WNOHANG)
    if pid:
        index, name, started = running.pop(pid)
        results[index] = outcome(index, name, status, time.monotonic() - started)
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
    pub accepted_incompatible: BTreeSet<String>,
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
}

#[derive(Debug, Deserialize)]
struct Report {
    results: Vec<Outcome>,
}

/// Prove every target; the record's `import_proof` and the findings.
/// `library_root`: the index of the library among the tree's roots.
/// `scratch_parent`: where to link the layer's files (the same file system as
/// the dependencies lets them be hard links).
pub fn prove(
    tree: &Tree,
    targets: &[Target],
    library_root: Option<usize>,
    scratch_parent: Option<&Path>,
    options: &Options,
) -> Result<(Vec<ImportProof>, Vec<Finding>)> {
    if !options.enabled {
        let proofs = targets
            .iter()
            .map(|t| not_proven(*t, "turned off with --no-import-check"))
            .collect();
        let mut found = finding(
            Severity::Info,
            "import",
            None,
            "the import proof was turned off (--no-import-check): nothing was imported".into(),
        );
        found.targets = targets.iter().map(Target::to_string).collect();
        return Ok((proofs, vec![found]));
    }
    let mut proofs = Vec::new();
    let mut findings = Vec::new();
    let mut runnable = Vec::new();
    let mut interpreters: BTreeMap<Runtime, std::result::Result<Interpreter, String>> =
        BTreeMap::new();
    for &target in targets {
        let why_not = if target.arch.machine() != std::env::consts::ARCH {
            Some(format!(
                "this machine is {}, and code for {} is never run here",
                std::env::consts::ARCH,
                target.arch
            ))
        } else {
            let found = interpreters
                .entry(target.runtime)
                .or_insert_with(|| find_interpreter(target.runtime));
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
                "import",
                None,
                format!("{target} was not proven by importing: {why}"),
            );
            found.targets = vec![target.to_string()];
            findings.push(found);
            proofs.push(not_proven(target, &why));
        }
    }
    if !runnable.is_empty() {
        let scratch = Scratch::link(tree, scratch_parent)?;
        let mut failures: BTreeMap<(String, String, Severity), Vec<Target>> = BTreeMap::new();
        for (target, interpreter) in runnable {
            let modules = top_level_modules(tree, target.runtime, library_root);
            let outcomes = run_prover(&scratch, target, &interpreter, &modules, options)?;
            let mut proof = ImportProof {
                target: target.to_string(),
                proven: true,
                interpreter: Some(interpreter.executable.to_string_lossy().into_owned()),
                python_version: Some(interpreter.version.clone()),
                ..Default::default()
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
            proofs.push(proof);
        }
        for ((path, message, severity), targets) in failures {
            let mut found = finding(severity, "import", Some(&path), message);
            found.targets = targets.iter().map(Target::to_string).collect();
            findings.push(found);
        }
    }
    let order: Vec<String> = targets.iter().map(Target::to_string).collect();
    proofs.sort_by_key(|p| order.iter().position(|t| *t == p.target));
    Ok((proofs, findings))
}

fn not_proven(target: Target, why: &str) -> ImportProof {
    ImportProof {
        target: target.to_string(),
        proven: false,
        reason: Some(why.to_string()),
        ..Default::default()
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
    let severity = if options.accepted_incompatible.contains(&target.to_string()) {
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
fn sys_path_roots(runtime: Runtime) -> [String; 2] {
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
fn top_level_modules(tree: &Tree, runtime: Runtime, library_root: Option<usize>) -> Vec<TopLevel> {
    let mut found: BTreeSet<TopLevel> = BTreeSet::new();
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
        let mut wanted: BTreeSet<String> = distribution_names(tree, &root);
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
    found
        .into_iter()
        .filter(|m| seen.insert(m.name.clone()))
        .collect()
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

/// Top-level names of the distributions installed under a root, read from
/// their metadata (pruned or not: `--slim-dist-info` removes `RECORD`).
fn distribution_names(tree: &Tree, root: &str) -> BTreeSet<String> {
    let entries: Vec<&Entry> = tree
        .files
        .iter()
        .chain(tree.pruned.iter().map(|p| &p.entry))
        .collect();
    let mut names = BTreeSet::new();
    let mut dist_infos: BTreeMap<&str, (Option<&Entry>, Option<&Entry>)> = BTreeMap::new();
    for entry in &entries {
        let Some(relative) = entry.zip_path.strip_prefix(root) else {
            continue;
        };
        let Some((dir, file)) = relative.split_once('/') else {
            continue;
        };
        if !dir.ends_with(".dist-info") {
            continue;
        }
        let slot = dist_infos.entry(dir).or_default();
        match file {
            "top_level.txt" => slot.0 = Some(entry),
            "RECORD" => slot.1 = Some(entry),
            _ => {}
        }
    }
    for (top_level, record) in dist_infos.into_values() {
        if let Some(entry) = top_level
            && let Ok(text) = std::fs::read_to_string(&entry.source)
        {
            names.extend(
                text.lines()
                    .map(|line| line.trim().replace('/', "."))
                    .filter(|line| !line.is_empty()),
            );
        } else if let Some(entry) = record
            && let Ok(text) = std::fs::read_to_string(&entry.source)
        {
            names.extend(text.lines().filter_map(|line| {
                let path = line.split(',').next()?;
                let (module, _) = module_of_relative(path)?;
                Some(module.split('.').next()?.to_string())
            }));
        }
    }
    names
}

/// The layer's files linked under `<scratch>/python/`: hard links where the
/// file system allows, else symbolic links. Removed when dropped.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn link(tree: &Tree, parent: Option<&Path>) -> Result<Self> {
        let builder = {
            let mut builder = tempfile::Builder::new();
            builder.prefix(".layer-pack-proof-");
            builder
        };
        let dir = match parent {
            Some(parent) => builder.tempdir_in(parent),
            None => builder.tempdir(),
        }
        .map_err(|err| {
            Error::failed(format!(
                "cannot create a folder for the import proof: {err}"
            ))
        })?;
        let mut made: HashSet<PathBuf> = HashSet::new();
        for entry in &tree.files {
            let dest = dir.path().join(&entry.zip_path);
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
        std::fs::create_dir_all(dir.path().join("home"))
            .and_then(|_| std::fs::create_dir_all(dir.path().join("out")))
            .map_err(|err| Error::io("create", dir.path(), err))?;
        Ok(Scratch { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Find a Python of this version for this machine: `python3.X` on PATH, else
/// what `uv python find 3.X` reports. Never downloads one. Err: why none fits.
fn find_interpreter(runtime: Runtime) -> std::result::Result<Interpreter, String> {
    let version = runtime.python_version();
    let command = format!("python{version}");
    let mut tried = Vec::new();
    match find_on_path(&command) {
        Some(path) => match probe(&path, runtime) {
            Ok(found) => return Ok(found),
            Err(why) => tried.push(format!("{command} on PATH {why}")),
        },
        None => tried.push(format!("no {command} on PATH")),
    }
    match uv_program() {
        Some(uv) => {
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
                        Ok(found) => return Ok(found),
                        Err(why) => tried.push(format!(
                            "`uv python find {version}` gave {} which {why}",
                            path.display()
                        )),
                    }
                }
                _ => tried.push(format!("`uv python find {version}` found none")),
            }
        }
        None => tried.push("uv is not installed".to_string()),
    }
    Err(format!(
        "no Python {version} for {} on this machine ({}); install one (e.g. `uv python install {version}`) to prove this target",
        std::env::consts::ARCH,
        tried.join("; ")
    ))
}

/// Does this interpreter stand in for the runtime? Its version, and the
/// extension modules it loads (`.cpython-311-x86_64-linux-gnu.so`: CPython,
/// glibc, this machine, not a free-threaded or debug build).
fn probe(path: &Path, runtime: Runtime) -> std::result::Result<Interpreter, String> {
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
    let out = scratch.path().join("out").join(target.runtime.abi_digits());
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
    let home = scratch.path().join("home");
    tracing::info!(
        "import proof: {} module(s) on {target} with {} ({})",
        modules.len(),
        interpreter.executable.display(),
        interpreter.version
    );
    // A minimal environment: no AWS credentials or profile, no user site, a
    // scratch HOME, and the instance metadata service out of reach of the SDK.
    let mut child = Command::new(&interpreter.executable)
        .args(["-I", "-S", "-B", "-c", PROVER])
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
