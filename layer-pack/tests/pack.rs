//! layer-pack on real layer folders with real packages from PyPI: the record,
//! the zip (read back by three readers and imported by python3), determinism,
//! version stamping, pruning, the dependency cache.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use serde_json::{Value, json};

/// A layer with a pure-Python and a native dependency, for python3.11 on x86_64.
fn native_layer() -> Fixture {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    fixture.write("requirements.txt", "six==1.17.0\nmarkupsafe==3.0.3\n");
    fixture
}

fn art(record: &Value) -> &Value {
    &record["artifact"]
}

#[test]
fn packs_native_dependencies_into_a_zip_that_python_imports() {
    let fixture = native_layer();
    let record = single_record(&fixture.pack(&[]));

    let layer = &record["layer"];
    assert_eq!(layer["name"], "makoto-common");
    assert_eq!(layer["compatible_runtimes"], json!(["python3.11"]));
    assert_eq!(layer["compatible_architectures"], json!(["x86_64"]));
    assert_eq!(layer["license"], "MIT");
    assert!(layer.get("version").is_none());

    let artifact = art(&record);
    let zip = Path::new(artifact["path"].as_str().unwrap());
    assert_eq!(
        zip,
        fixture
            .out_dir()
            .canonicalize()
            .unwrap()
            .join("makoto-common.zip")
    );
    assert_eq!(artifact["zip_bytes"], std::fs::metadata(zip).unwrap().len());
    let sha = sha256_hex(zip);
    assert_eq!(artifact["sha256"], sha);
    let b64 = Command::new("python3")
        .args(["-c", "import base64,hashlib,sys; print(base64.b64encode(hashlib.sha256(open(sys.argv[1],'rb').read()).digest()).decode())"])
        .arg(zip)
        .output()
        .unwrap();
    assert_eq!(
        artifact["code_sha256"],
        String::from_utf8(b64.stdout).unwrap().trim()
    );
    let deps = &artifact["dependencies"];
    assert_eq!(deps["target"], "python3.11/x86_64");
    assert_eq!(deps["platform"], "manylinux2014_x86_64");
    assert_eq!(deps["cache_hit"], false);

    // The zip: sorted, every entry under python/, fixed times, normalised modes.
    let entries = zip_entries(zip);
    let names: Vec<&str> = entries.iter().map(|(n, _, _)| n.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(names.iter().all(|n| n.starts_with("python/")), "{names:?}");
    assert!(names.contains(&"python/makoto_common/__init__.py"));
    assert!(names.contains(&"python/six.py"));
    assert!(
        names.contains(&"python/six-1.17.0.dist-info/METADATA"),
        "dist-info is kept"
    );
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("python/markupsafe/_speedups.cpython-311-x86_64"))
    );
    assert!(
        !names
            .iter()
            .any(|n| n.ends_with(".lock") || n.contains("/bin/")),
        "{names:?}"
    );
    let files: Vec<_> = entries
        .iter()
        .filter(|(n, _, _)| !n.ends_with('/'))
        .collect();
    assert_eq!(artifact["files"], files.len());
    let unzipped: usize = files.iter().map(|(_, _, d)| d.len()).sum();
    assert_eq!(artifact["unzipped_bytes"], unzipped);
    for (name, mode, _) in &entries {
        // uv installs shared libraries executable; everything else is 0644.
        let expected = if name.ends_with('/') {
            0o040755
        } else if name.ends_with(".so") {
            0o100755
        } else {
            0o100644
        };
        assert_eq!(*mode, expected, "{name}: {mode:o}");
    }
    let file = std::fs::File::open(zip).unwrap();
    let mut archive = zip::ZipArchive::new(file).unwrap();
    for i in 0..archive.len() {
        let entry = archive.by_index(i).unwrap();
        let time = entry.last_modified().unwrap();
        assert_eq!((time.year(), time.month(), time.day()), (1980, 1, 1));
        assert!(
            entry.extra_data().is_none_or(|d| d.is_empty()),
            "{:?}",
            entry.name()
        );
    }
    assert_other_readers_accept(zip);

    // Extract with Python and import everything as Lambda would (/opt/python on sys.path).
    let script = r#"
import makoto_common, makoto_common.utils, six, markupsafe
from markupsafe import _speedups
assert makoto_common.greet("x") == "hello x"
assert makoto_common.utils.six_version() == "1.17.0"
assert str(markupsafe.escape("<a>")) == "&lt;a&gt;"
assert markupsafe.__file__.startswith(sys.argv[2]), markupsafe.__file__
print("imported")
"#;
    assert_eq!(run_in_layer(zip, "python3", script), "imported");

    // Unchanged requirements: the second run reuses the cache and gives the same bytes.
    let again = single_record(&fixture.pack(&[]));
    assert_eq!(art(&again)["dependencies"]["cache_hit"], true);
    assert_eq!(art(&again)["dependencies"]["cache_key"], deps["cache_key"]);
    assert_eq!(art(&again)["sha256"], sha);

    // The record says how long each step took.
    let timing = again["artifact"]["timing_ms"].as_object().unwrap();
    for step in ["install", "collect", "verify", "zip", "total"] {
        assert!(timing.contains_key(step), "{timing:?}");
    }

    // A lock (constraints.txt) is part of the key: the same requirements
    // resolved against other pins are installed afresh.
    fixture.write("constraints.txt", "six==1.16.0\n");
    fixture.write("requirements.txt", "six\nmarkupsafe==3.0.3\n");
    let locked = single_record(&fixture.pack(&[]));
    assert_eq!(art(&locked)["dependencies"]["cache_hit"], false);
    let names: Vec<String> = zip_entries(Path::new(art(&locked)["path"].as_str().unwrap()))
        .into_iter()
        .map(|(n, _, _)| n)
        .collect();
    assert!(names.contains(&"python/six-1.16.0.dist-info/METADATA".to_string()));
    fixture.write("constraints.txt", "six==1.17.0\n");
    let relocked = single_record(&fixture.pack(&[]));
    assert_eq!(art(&relocked)["dependencies"]["cache_hit"], false);
    assert_ne!(
        art(&relocked)["dependencies"]["cache_key"],
        art(&locked)["dependencies"]["cache_key"]
    );
    std::fs::remove_file(fixture.layer().join("constraints.txt")).unwrap();

    // A changed requirement is a new cache key.
    fixture.write("requirements.txt", "six==1.16.0\nmarkupsafe==3.0.3\n");
    let changed = single_record(&fixture.pack(&[]));
    assert_eq!(art(&changed)["dependencies"]["cache_hit"], false);
    assert_ne!(
        art(&changed)["dependencies"]["cache_key"],
        deps["cache_key"]
    );
}

#[test]
fn the_same_inputs_give_the_same_bytes_after_touch_copy_and_on_one_thread() {
    let fixture = native_layer();
    fixture.write(
        "python/makoto_common/data/table.csv",
        &"a,b,c\n".repeat(5000),
    );
    fixture.write("python/makoto_common/empty.txt", "");
    let first = single_record(&fixture.pack(&[]));
    let sha = art(&first)["sha256"].clone();

    let again = single_record(&fixture.pack(&[]));
    assert_eq!(art(&again)["sha256"], sha, "packed twice");

    // New mtimes on every file.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let touch = Command::new("find")
        .arg(fixture.layer())
        .args(["-exec", "touch", "{}", "+"])
        .status()
        .unwrap();
    assert!(touch.success());
    let touched = single_record(&fixture.pack(&[]));
    assert_eq!(art(&touched)["sha256"], sha, "after touch");

    // A copy elsewhere (other inode order, other mtimes, another cache), on one thread.
    let elsewhere = Fixture::new();
    copy_tree(&fixture.layer(), &elsewhere.layer());
    let copied = single_record(&elsewhere.pack(&["--jobs", "1"]));
    assert_eq!(art(&copied)["sha256"], sha, "copied tree, one thread");
    assert_eq!(art(&copied)["dependencies"]["cache_hit"], false);

    // --max: deterministic too, valid, and no larger than the default level.
    let max = single_record(&fixture.pack(&["--max", "-o", "max.zip"]));
    let max_again = single_record(&fixture.pack(&["--max", "-o", "max.zip", "--jobs", "1"]));
    assert_eq!(art(&max)["compression_level"], 12);
    assert_eq!(art(&max)["sha256"], art(&max_again)["sha256"]);
    assert!(art(&max)["zip_bytes"].as_u64() <= art(&first)["zip_bytes"].as_u64());
    assert_other_readers_accept(Path::new(art(&max)["path"].as_str().unwrap()));

    // A different level gives different bytes: the hash does depend on the content.
    let stored = single_record(&fixture.pack(&["--level", "0", "-o", "stored.zip"]));
    assert_ne!(art(&stored)["sha256"], sha);
    assert!(art(&stored)["zip_bytes"].as_u64() > art(&first)["zip_bytes"].as_u64());
    assert_other_readers_accept(Path::new(art(&stored)["path"].as_str().unwrap()));
}

#[test]
fn a_version_record_on_stdin_stamps_the_version_and_passes_through() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.12"], &["arm64"]);
    fixture.write(
        "layer.yaml",
        &(std::fs::read_to_string(fixture.layer().join("layer.yaml")).unwrap()
            + "metadata:\n  version: ${LAYER_VERSION}\n  environment: ${LAYER_PACK_TEST_ENV}\n"),
    );
    fixture.library();
    let input = json!({
        "schema": "layer-record/v1",
        "version": {"current": "1.2.3", "next": "1.3.0", "bump": "minor", "commits": [], "x-bump-note": "kept"},
        "x-ci": {"run": 42, "tags": ["a", "b"]},
    });
    let out = fixture
        .command()
        .arg(fixture.layer())
        .env("LAYER_PACK_TEST_ENV", "staging")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("{input}\n").as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    let record = single_record(&out);
    assert_eq!(record["layer"]["version"], "1.3.0");
    assert_eq!(
        record["layer"]["metadata"],
        json!({"environment": "staging", "version": "1.3.0"})
    );
    assert_eq!(
        record["version"], input["version"],
        "the version section passes through whole"
    );
    assert_eq!(record["x-ci"], input["x-ci"], "unknown fields pass through");
    assert!(
        record["artifact"]["path"]
            .as_str()
            .unwrap()
            .ends_with("/makoto-common-1.3.0.zip")
    );
    assert!(fixture.out_dir().join("makoto-common-1.3.0.zip").is_file());

    // The same from a file, and --no-input ignores a redirected stdin.
    let file = fixture.root.path().join("version.jsonl");
    std::fs::write(&file, format!("{input}\n")).unwrap();
    let from_file = single_record(
        &fixture
            .command()
            .arg(fixture.layer())
            .arg("--input")
            .arg(&file)
            .env("LAYER_PACK_TEST_ENV", "staging")
            .output()
            .unwrap(),
    );
    assert_eq!(from_file["layer"]["version"], "1.3.0");
    let ignored = single_record(
        &fixture
            .command()
            .arg(fixture.layer())
            .arg("--no-input")
            .env("LAYER_PACK_TEST_ENV", "staging")
            .env("LAYER_VERSION", "0.0.0-dev")
            .stdin(std::fs::File::open(&file).unwrap())
            .output()
            .unwrap(),
    );
    assert!(ignored["layer"].get("version").is_none());
    assert!(ignored.get("x-ci").is_none());
    assert_eq!(ignored["layer"]["metadata"]["version"], "0.0.0-dev");
}

#[test]
fn several_layer_folders_give_one_record_each() {
    let first = native_layer();
    let second = first.root.path().join("other");
    std::fs::create_dir_all(second.join("python/tools")).unwrap();
    std::fs::write(second.join("python/tools/__init__.py"), "X = 1\n").unwrap();
    std::fs::write(
        second.join("layer.yaml"),
        "name: tools\ncompatible_runtimes: [python3.12, python3.13]\n",
    )
    .unwrap();
    let out = first
        .command()
        .arg(first.layer())
        .arg(&second)
        .output()
        .unwrap();
    let records = records(&out);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["layer"]["name"], "makoto-common");
    assert_eq!(records[1]["layer"]["name"], "tools");
    assert_eq!(
        records[1]["layer"]["compatible_architectures"],
        json!(["x86_64"])
    );
    assert_eq!(first.outputs(), ["makoto-common.zip", "tools.zip"]);
}

#[test]
fn pruning_applies_defaults_layerignore_and_keeps_metadata() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    fixture.write(
        "python/makoto_common/__pycache__/utils.cpython-311.pyc",
        "compiled",
    );
    fixture.write("python/makoto_common/old.pyc", "compiled");
    fixture.write(
        "python/makoto_common/tests/test_utils.py",
        "def test(): pass\n",
    );
    fixture.write("python/makoto_common/docs/guide.md", "# guide\n");
    fixture.write(
        "python/makoto_common/api/docs/__init__.py",
        "# a package named docs is code\n",
    );
    // numpy.testing imports a module under tests/ (as numpy 2 does): it stays.
    fixture.write("python/numpy/_core/tests/_natype.py", "pd_NA = None\n");
    fixture.write("python/numpy/_core/tests/test_x.py", "\n");
    fixture.write(
        "python/numpy/testing/__init__.py",
        "from numpy._core.tests._natype import pd_NA\n",
    );
    // As astropy does: the package's __init__ imports its tests package,
    // whose runner imports a sibling; a string passed to __import__ is no import
    // statement (and the proof does not call load_tests).
    fixture.write(
        "python/importer/__init__.py",
        "from .tests.runner import TestRunner\n\ndef load_tests():\n    return __import__('importer.tests.test_x')\n",
    );
    fixture.write("python/importer/tests/__init__.py", "");
    fixture.write(
        "python/importer/tests/runner.py",
        "from . import helper\n\nclass TestRunner:\n    pass\n",
    );
    fixture.write("python/importer/tests/helper.py", "X = 1\n");
    fixture.write("python/importer/tests/test_x.py", "def test(): pass\n");
    fixture.write("python/importer/tests/data.txt", "data\n");
    fixture.write("python/makoto_common/fixtures/tests/keep.py", "\n");
    fixture.write("python/makoto_common/NOTES.md", "notes\n");
    fixture.write(
        "python/demo-1.0.dist-info/METADATA",
        "Name: demo\nVersion: 1.0\n",
    );
    fixture.write(
        "python/demo-1.0.dist-info/RECORD",
        &"demo/x.py,sha256=abc,1\n".repeat(50),
    );
    fixture.write(
        ".layerignore",
        "# ours\n*.md\n!makoto_common/fixtures/tests/\n",
    );

    // A kept source the scanner cannot read to the end: said (with -v), never fatal.
    fixture.write(
        "python/makoto_common/legacy.py",
        "import os\nTEMPLATE = '''never closed\nimport hidden\n",
    );
    let out = fixture.pack(&["-v"]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stderr.contains("imports: python/makoto_common/legacy.py:2: a string that is never closed"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    std::fs::remove_file(fixture.layer().join("python/makoto_common/legacy.py")).unwrap();
    std::fs::remove_dir_all(fixture.out_dir()).unwrap();
    let record = single_record(&fixture.pack(&[]));
    let zip = record["artifact"]["path"].as_str().unwrap().to_string();
    let names: Vec<String> = zip_entries(Path::new(&zip))
        .into_iter()
        .map(|(n, _, _)| n)
        .filter(|n| !n.ends_with('/'))
        .collect();
    let expected = [
        "python/demo-1.0.dist-info/METADATA",
        "python/demo-1.0.dist-info/RECORD",
        "python/importer/__init__.py",
        "python/importer/tests/__init__.py",
        "python/importer/tests/helper.py",
        "python/importer/tests/runner.py",
        "python/makoto_common/__init__.py",
        "python/makoto_common/api/docs/__init__.py",
        "python/makoto_common/fixtures/tests/keep.py",
        "python/makoto_common/utils.py",
        "python/numpy/_core/tests/_natype.py",
        "python/numpy/testing/__init__.py",
    ];
    assert_eq!(names, expected);
    // Both .pyc, tests/test_utils.py, docs/guide.md, numpy's test_x.py, NOTES.md,
    // importer's test_x.py and data.txt.
    assert_eq!(record["artifact"]["pruned_files"], 8);
    assert_eq!(
        record["artifact"]["pruned_bytes"],
        8 + 8 + 17 + 8 + 1 + 6 + 17 + 5
    );
    // What was kept back, and why.
    let kept: Vec<(String, String, String, String)> = record["artifact"]["pruning"]["kept_back"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let text = |field: &str| k[field].as_str().unwrap().to_string();
            (
                text("path"),
                text("module"),
                text("imported_by"),
                text("rule"),
            )
        })
        .collect();
    let kept_back = |path: &str, module: &str, by: &str| {
        (
            format!("python/{path}"),
            module.to_string(),
            format!("python/{by}"),
            "tests/".to_string(),
        )
    };
    assert_eq!(
        kept,
        [
            kept_back(
                "importer/tests/__init__.py",
                "importer.tests",
                "importer/__init__.py"
            ),
            kept_back(
                "importer/tests/helper.py",
                "importer.tests.helper",
                "importer/tests/runner.py"
            ),
            kept_back(
                "importer/tests/runner.py",
                "importer.tests.runner",
                "importer/__init__.py"
            ),
            kept_back(
                "numpy/_core/tests/_natype.py",
                "numpy._core.tests._natype",
                "numpy/testing/__init__.py"
            ),
        ]
    );
    // The import proof imported the library's packages with the local python3.11
    // (numpy here has no __init__.py: a namespace package stands for what it holds).
    let proof = &record["artifact"]["import_proof"][0];
    assert_eq!(proof["target"], "python3.11/x86_64");
    assert_eq!(proof["proven"], true, "{proof}");
    assert_eq!(
        proof["modules"],
        json!([
            "importer",
            "makoto_common",
            "numpy._core.tests._natype",
            "numpy.testing"
        ])
    );

    let slim = single_record(&fixture.pack(&["--slim-dist-info", "-o", "slim.zip"]));
    let names: Vec<String> = zip_entries(Path::new(slim["artifact"]["path"].as_str().unwrap()))
        .into_iter()
        .map(|(n, _, _)| n)
        .collect();
    assert!(names.contains(&"python/demo-1.0.dist-info/METADATA".to_string()));
    assert!(!names.contains(&"python/demo-1.0.dist-info/RECORD".to_string()));

    let everything = single_record(&fixture.pack(&["--no-default-prune", "-o", "all.zip"]));
    // Only .layerignore's *.md rule applies: guide.md and NOTES.md; nothing to keep back.
    assert_eq!(everything["artifact"]["pruned_files"], 2);
    assert!(everything["artifact"].get("pruning").is_none());

    // A rule the user wrote wins over the scan: the import then fails, and the
    // proof says which module and why; no zip.
    std::fs::remove_dir_all(fixture.out_dir()).unwrap();
    fixture.write(".layerignore", "importer/tests/runner.py\n");
    assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &[
            "import: python/importer/__init__.py: `importer` does not import",
            "ModuleNotFoundError: No module named 'importer.tests.runner'",
            "[python3.11/x86_64]",
            "no zip written",
        ],
    );
}

#[test]
fn pip_installs_when_asked_and_keys_its_own_cache_entry() {
    let fixture = native_layer();
    let with_uv = single_record(&fixture.pack(&["--installer", "uv"]));
    let with_pip = single_record(&fixture.pack(&["--installer", "pip", "-o", "pip.zip"]));
    let deps = &with_pip["artifact"]["dependencies"];
    assert_eq!(deps["installer"], "pip");
    assert_eq!(deps["cache_hit"], false);
    assert_ne!(
        deps["cache_key"],
        with_uv["artifact"]["dependencies"]["cache_key"]
    );
    let names: Vec<String> = zip_entries(Path::new(with_pip["artifact"]["path"].as_str().unwrap()))
        .into_iter()
        .map(|(n, _, _)| n)
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("python/markupsafe/_speedups.cpython-311-x86_64")),
        "{names:?}"
    );
    assert!(names.contains(&"python/six.py".to_string()));
    assert!(
        !names.iter().any(|n| n.ends_with(".pyc")),
        "pip --no-compile"
    );
}

#[test]
fn more_than_65535_entries_use_zip64_records_every_reader_accepts() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    let many = fixture.layer().join("python/many");
    for dir in 0..70 {
        let sub = many.join(format!("d{dir:02}"));
        std::fs::create_dir_all(&sub).unwrap();
        for file in 0..950 {
            std::fs::write(
                sub.join(format!("f{file:03}.txt")),
                format!("{dir}-{file}\n"),
            )
            .unwrap();
        }
    }
    let record = single_record(&fixture.pack(&["--level", "1"]));
    assert_eq!(record["artifact"]["files"], 70 * 950);
    let zip = Path::new(record["artifact"]["path"].as_str().unwrap());
    // Read back only the directory and one entry: a debug-built reader is slow on 66,000 entries.
    let mut archive = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    assert_eq!(
        archive.len(),
        70 * 950 + 70 + 2,
        "files, their folders, python/ and many/"
    );
    let mut last = String::new();
    std::io::Read::read_to_string(
        &mut archive.by_name("python/many/d69/f949.txt").unwrap(),
        &mut last,
    )
    .unwrap();
    assert_eq!(last, "69-949\n");
    assert_other_readers_accept(zip);
}

#[test]
fn strip_shrinks_shared_libraries_that_still_import() {
    let fixture = native_layer();
    let plain = single_record(&fixture.pack(&[]));
    let stripped = single_record(&fixture.pack(&["--strip", "-o", "stripped.zip"]));
    let so = |record: &Value| {
        zip_entries(Path::new(record["artifact"]["path"].as_str().unwrap()))
            .into_iter()
            .find(|(n, _, _)| n.ends_with(".so"))
            .unwrap()
            .2
    };
    let (before, after) = (so(&plain), so(&stripped));
    assert!(
        after.len() < before.len(),
        "{} -> {}",
        before.len(),
        after.len()
    );
    assert!(art(&stripped)["pruned_bytes"].as_u64() > art(&plain)["pruned_bytes"].as_u64());
    let out = run_in_layer(
        zip_of(&stripped),
        "python3",
        "from markupsafe import _speedups\nimport markupsafe\nprint(markupsafe.escape('<'))",
    );
    assert_eq!(out, "&lt;");
}

#[test]
fn a_layer_can_be_described_by_flags_alone() {
    let fixture = Fixture::new();
    let src = fixture.root.path().join("src");
    std::fs::create_dir_all(src.join("tools")).unwrap();
    std::fs::write(src.join("tools/__init__.py"), "X = 1\n").unwrap();
    let record = single_record(
        &fixture
            .command()
            .args([
                "--name",
                "tools",
                "--runtime",
                "python3.12,python3.13",
                "--arch",
                "arm64",
            ])
            .args(["--description", "from flags", "--license", "Apache-2.0"])
            .arg("--source")
            .arg(&src)
            .output()
            .unwrap(),
    );
    assert_eq!(record["layer"]["name"], "tools");
    assert_eq!(
        record["layer"]["compatible_runtimes"],
        json!(["python3.12", "python3.13"])
    );
    assert_eq!(
        record["layer"]["compatible_architectures"],
        json!(["arm64"])
    );
    assert_eq!(record["layer"]["description"], "from flags");
    let names: Vec<String> = zip_entries(Path::new(record["artifact"]["path"].as_str().unwrap()))
        .into_iter()
        .map(|(n, _, _)| n)
        .collect();
    assert_eq!(
        names,
        ["python/", "python/tools/", "python/tools/__init__.py"]
    );
}
