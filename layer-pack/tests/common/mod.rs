//! Fixtures for layer-pack's tests: layer folders built in temporary
//! directories, real packages installed from PyPI with uv, and checks on the
//! records and zips the binary writes.

#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use layer_core::schemas::{LAYER_RECORD_V1, SECTIONS_V1};
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_layer-pack");

/// A layer folder in a temporary directory, with its own output and cache folders.
pub struct Fixture {
    pub root: tempfile::TempDir,
}

impl Fixture {
    pub fn new() -> Self {
        Fixture {
            root: tempfile::tempdir().unwrap(),
        }
    }

    pub fn layer(&self) -> PathBuf {
        self.root.path().join("layer")
    }

    pub fn out_dir(&self) -> PathBuf {
        self.root.path().join("dist")
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.root.path().join("cache")
    }

    /// Write a file under the layer folder, creating its parents.
    pub fn write(&self, relative: &str, content: &str) -> PathBuf {
        let path = self.layer().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }

    pub fn layer_yaml(&self, runtimes: &[&str], archs: &[&str]) {
        self.write(
            "layer.yaml",
            &format!(
                "name: makoto-common\ndescription: shared code\ncompatible_runtimes: [{}]\ncompatible_architectures: [{}]\nlicense: MIT\n",
                runtimes.join(", "),
                archs.join(", ")
            ),
        );
    }

    /// A small library package that imports its dependencies when asked to.
    pub fn library(&self) {
        self.write(
            "python/makoto_common/__init__.py",
            "def greet(name):\n    return f\"hello {name}\"\n",
        );
        self.write(
            "python/makoto_common/utils.py",
            "import importlib.metadata\n\ndef six_version():\n    return importlib.metadata.version('six')\n",
        );
    }

    /// Install real wheels into the layer's `python/` (as a user vendoring them would).
    pub fn vendor(&self, platform: &str, python: &str, packages: &[&str]) {
        uv_install(&self.layer().join("python"), platform, python, packages);
    }

    /// The command, with the fixture's output and cache folders.
    pub fn command(&self) -> Command {
        let mut command = Command::new(BIN);
        command
            .current_dir(self.root.path())
            .arg("--out-dir")
            .arg(self.out_dir())
            .arg("--cache-dir")
            .arg(self.cache_dir());
        command
    }

    /// Pack the layer folder with extra arguments; stdin is /dev/null.
    pub fn pack(&self, args: &[&str]) -> Output {
        self.command()
            .arg(self.layer())
            .args(args)
            .output()
            .unwrap()
    }

    /// Files in the output folder (the zips, and anything left behind).
    pub fn outputs(&self) -> Vec<String> {
        match std::fs::read_dir(self.out_dir()) {
            Ok(entries) => {
                let mut names: Vec<String> = entries
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                names
            }
            Err(_) => Vec::new(),
        }
    }
}

/// `uv pip install --target` for a platform (`x86_64-manylinux2014`, ...).
pub fn uv_install(dest: &Path, platform: &str, python: &str, packages: &[&str]) {
    let mut command = uv();
    command
        .args(["pip", "install", "--quiet", "--target"])
        .arg(dest)
        .args(["--python-platform", platform, "--python-version", python])
        .args(["--only-binary", ":all:"])
        .args(packages);
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "uv failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // uv's lock file, not part of what a user would vendor.
    let _ = std::fs::remove_file(dest.join(".lock"));
}

fn uv() -> Command {
    let on_path = Command::new("uv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if on_path {
        Command::new("uv")
    } else {
        let mut command = Command::new("python3");
        command.args(["-m", "uv"]);
        command
    }
}

/// A successful run's records, each validated against the shipped schemas.
pub fn records(out: &Output) -> Vec<Value> {
    assert_eq!(
        out.status.code(),
        Some(0),
        "layer-pack failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::str::from_utf8(&out.stdout).unwrap();
    text.lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line).unwrap();
            assert_valid(&value);
            value
        })
        .collect()
}

pub fn single_record(out: &Output) -> Value {
    let mut all = records(out);
    assert_eq!(all.len(), 1, "expected one record");
    all.remove(0)
}

fn validator(schema: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(schema).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// The record's envelope and every section against `layer-core/schemas/`.
pub fn assert_valid(record: &Value) {
    let mut errors: Vec<String> = validator(LAYER_RECORD_V1)
        .iter_errors(record)
        .map(|e| format!("record at {}: {e}", e.instance_path()))
        .collect();
    for (section, schema) in SECTIONS_V1 {
        if let Some(value) = record.get(*section) {
            errors.extend(
                validator(schema)
                    .iter_errors(value)
                    .map(|e| format!("{section} at {}: {e}", e.instance_path())),
            );
        }
    }
    assert!(errors.is_empty(), "{}\n{record:#}", errors.join("\n"));
}

/// A failed run: exit 2, nothing on stdout, a message naming the problem,
/// and no zip (nor temporary file) in the output folder.
pub fn assert_refused(fixture: &Fixture, out: &Output, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "stderr:\n{stderr}");
    assert!(out.stdout.is_empty(), "wrote records on failure");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }
    assert!(stderr.contains("layer-pack: error:"), "{stderr}");
    assert!(
        fixture.outputs().is_empty(),
        "left files behind: {:?}",
        fixture.outputs()
    );
    stderr
}

pub fn sha256_hex(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).unwrap();
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Entry names and (name, unix mode, compressed?) read back with the zip crate.
pub fn zip_entries(path: &Path) -> Vec<(String, u32, Vec<u8>)> {
    let file = std::fs::File::open(path).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            (
                entry.name().unwrap().to_string(),
                entry.unix_mode().unwrap(),
                data,
            )
        })
        .collect()
}

/// `unzip -t` and Python's zipfile both accept the zip.
pub fn assert_other_readers_accept(path: &Path) {
    let out = Command::new("unzip").arg("-tq").arg(path).output().unwrap();
    assert!(
        out.status.success(),
        "unzip -t: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nbad = z.testzip()\nassert bad is None, bad\nprint(len(z.infolist()))",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python zipfile: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Copy a tree (files only, new mtimes, default permissions).
pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::write(&dest, std::fs::read(entry.path()).unwrap()).unwrap();
        }
    }
}

/// The names of the files (not folders) in a zip.
pub fn zip_names(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).unwrap();
    let archive = zip::ZipArchive::new(file).unwrap();
    archive
        .file_names()
        .map(|name| name.unwrap().to_string())
        .filter(|name| !name.ends_with('/'))
        .collect()
}

/// Extract the zip as Lambda does (into a fresh /opt) and run `code` with
/// `python -I -S`, only the layer's folders on sys.path; returns stdout.
pub fn run_in_layer(zip: &Path, python: &str, code: &str) -> String {
    let opt = tempfile::tempdir().unwrap();
    let script = format!(
        "import sys, zipfile\nzipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])\nsys.path[:0] = [sys.argv[2] + '/python/lib/python%d.%d/site-packages' % sys.version_info[:2], sys.argv[2] + '/python']\n{code}"
    );
    let out = Command::new(python)
        .args(["-I", "-S", "-c", &script])
        .arg(zip)
        .arg(opt.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{python} could not run the layer:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Entries of the dependency cache (installed sets; metadata files not counted).
pub fn cache_entries(fixture: &Fixture) -> Vec<String> {
    match std::fs::read_dir(fixture.cache_dir().join("deps")) {
        Ok(entries) => entries
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().unwrap().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// A record's findings of one check.
pub fn findings<'a>(record: &'a Value, check: &str) -> Vec<&'a Value> {
    record["artifact"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == check)
        .collect()
}

/// The zip a record describes.
pub fn zip_of(record: &Value) -> &Path {
    Path::new(record["artifact"]["path"].as_str().unwrap())
}

/// A local CPython of this version (`3.12`) for this machine: `python3.12` on
/// PATH when it runs and is that version, else pyenv's (`$PYENV_ROOT` or
/// `~/.pyenv`; its shim on PATH fails for a version that is not selected),
/// else `uv python find`. None when the machine has none.
pub fn local_python(version: &str) -> Option<PathBuf> {
    let is_version = |path: &Path| {
        Command::new(path)
            .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
            .output()
            .is_ok_and(|o| {
                o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == version
            })
    };
    let on_path = PathBuf::from(format!("python{version}"));
    if is_version(&on_path) {
        return Some(on_path);
    }
    let pyenv = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".pyenv")));
    let from_pyenv = pyenv
        .and_then(|root| std::fs::read_dir(root.join("versions")).ok())
        .and_then(|entries| {
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok())
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .strip_prefix(&format!("{version}."))
                        .is_some_and(|patch| patch.bytes().all(|b| b.is_ascii_digit()))
                })
                .map(|e| e.path().join(format!("bin/python{version}")))
                .filter(|p| is_version(p))
                .collect();
            found.sort();
            found.pop()
        });
    from_pyenv.or_else(|| {
        uv().args(["python", "find", version])
            .env("UV_PYTHON_DOWNLOADS", "never")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
            .filter(|p| is_version(p))
    })
}

/// The CPU an ELF file is for, from its header: `x86_64`, `aarch64`, or another
/// `e_machine` number; None when it is not ELF.
pub fn elf_machine(bytes: &[u8]) -> Option<String> {
    if bytes.len() < 20 || &bytes[..4] != b"\x7fELF" {
        return None;
    }
    let machine = u16::from_le_bytes([bytes[18], bytes[19]]);
    Some(match machine {
        62 => "x86_64".to_string(),
        183 => "aarch64".to_string(),
        other => format!("e_machine {other}"),
    })
}
