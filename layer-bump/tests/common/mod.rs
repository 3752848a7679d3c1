//! Real temporary git repositories for the tests, built with the `git` command
//! line in an environment that does not depend on the machine's git
//! configuration, and checks of the tool's output against the JSON Schemas.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};

use layer_core::schemas::{LAYER_RECORD_V1, LAYER_REPORT_V1, SECTIONS_V1};
use serde_json::Value;

/// Commit dates move forward one minute per commit, so that `git log`'s
/// date order is the order the test made them in.
static CLOCK: AtomicU64 = AtomicU64::new(0);

/// The environment every git and layer-bump process of the tests runs in.
pub fn git_env(cmd: &mut Command) -> &mut Command {
    let minute = CLOCK.fetch_add(1, Ordering::SeqCst);
    let date = format!("{} +0000", 1_767_225_600 + 60 * minute);
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.invalid")
        .env("GIT_COMMITTER_NAME", "Test Committer")
        .env("GIT_COMMITTER_EMAIL", "committer@example.invalid")
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("LAYER_LOG")
}

/// A git repository in a temporary directory, removed when dropped.
pub struct Repo {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
    files: AtomicU64,
}

impl Repo {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("repo");
        std::fs::create_dir(&path).unwrap();
        let repo = Repo {
            _dir: dir,
            path,
            files: AtomicU64::new(0),
        };
        repo.git(&["init", "--quiet", "--initial-branch=main"]);
        repo
    }

    /// Open an existing checkout (e.g. a clone) in a directory we own.
    pub fn at(dir: tempfile::TempDir, path: PathBuf) -> Self {
        Repo {
            _dir: dir,
            path,
            files: AtomicU64::new(1000),
        }
    }

    /// Run git in the repository; panics (with git's message) when it fails.
    pub fn git(&self, args: &[&str]) -> String {
        let out = git_env(Command::new("git").arg("-C").arg(&self.path).args(args))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Commit a change to a new file in `dir` (relative to the repository) with
    /// this message; the commit id.
    pub fn commit_in(&self, dir: &str, message: &str) -> String {
        let n = self.files.fetch_add(1, Ordering::SeqCst);
        let folder = self.path.join(dir);
        std::fs::create_dir_all(&folder).unwrap();
        let file = folder.join(format!("file{n}.txt"));
        std::fs::write(&file, format!("change {n}\n")).unwrap();
        self.git(&["add", "--", file.to_str().unwrap()]);
        self.git(&["commit", "--quiet", "-m", message]);
        self.head()
    }

    pub fn commit(&self, message: &str) -> String {
        self.commit_in(".", message)
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    pub fn tag(&self, name: &str) {
        self.git(&["tag", name]);
    }

    pub fn write(&self, file: &str, text: &str) {
        let path = self.path.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.path.join(file)).unwrap()
    }

    pub fn tags(&self) -> Vec<String> {
        self.git(&["tag", "--list"])
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Run layer-bump in the repository.
    pub fn bump(&self, args: &[&str]) -> Output {
        bump_in(&self.path, args)
    }

    /// Run layer-bump; it must succeed with one valid record, which is returned.
    pub fn next(&self, args: &[&str]) -> Value {
        let out = self.bump(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "layer-bump {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let records = valid_lines(&out.stdout);
        assert_eq!(records.len(), 1, "one record expected");
        records.into_iter().next().unwrap()
    }
}

pub fn bump_in(dir: &Path, args: &[&str]) -> Output {
    bump_command(dir, args).output().unwrap()
}

/// The layer-bump binary (through assert_cmd), in `dir`, with the test environment.
pub fn bump_command(dir: &Path, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_layer-bump"));
    git_env(cmd.current_dir(dir).args(args));
    assert_cmd::Command::from_std(cmd)
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Panic unless a value matches a JSON Schema of `layer_core::schemas`.
fn check(schema: &str, what: &str, instance: &Value) {
    let schema: Value = serde_json::from_str(schema).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|err| format!("  at {}: {err}", err.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its schema:\n{}\nin:\n{instance:#}",
        errors.join("\n")
    );
}

/// Parse stdout as JSON Lines and validate every record (envelope and sections).
pub fn valid_lines(stdout: &[u8]) -> Vec<Value> {
    std::str::from_utf8(stdout)
        .unwrap()
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap();
            if value["schema"]
                .as_str()
                .unwrap_or("")
                .starts_with("layer-report/")
            {
                check(LAYER_REPORT_V1, "the report", &value);
            } else {
                check(LAYER_RECORD_V1, "the record", &value);
                for (section, schema) in SECTIONS_V1 {
                    if let Some(section_value) = value.get(*section) {
                        check(schema, section, section_value);
                    }
                }
            }
            value
        })
        .collect()
}
