//! What the layer imports, with real packages from PyPI: pruning keeps what
//! kept code imports (astropy imports its own tests package), and the import
//! proof refuses a layer that does not import (a library importing a module
//! that is not installed), in a minimal environment, with a timeout, per
//! target, and only with a local interpreter of the target's version.

mod common;

use std::path::Path;

use common::*;
use serde_json::{Value, json};

#[test]
fn astropy_keeps_the_tests_package_it_imports_and_imports_from_the_packed_layer() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    fixture.write("requirements.txt", "astropy==6.1.4\n");
    let record = single_record(&fixture.pack(&[]));

    // astropy/__init__.py does `from .tests.runner import TestRunner`: the
    // default tests/ rule would remove it; the scan kept it, and said why.
    let pruning = &record["artifact"]["pruning"];
    assert!(
        pruning["scanned_files"].as_u64().unwrap() > 500,
        "{pruning}"
    );
    let kept = pruning["kept_back"].as_array().unwrap();
    let runner = kept
        .iter()
        .find(|k| k["path"] == "python/astropy/tests/runner.py")
        .unwrap_or_else(|| panic!("runner.py not kept back: {pruning:#}"));
    assert_eq!(runner["module"], "astropy.tests.runner");
    assert_eq!(runner["imported_by"], "python/astropy/__init__.py");
    assert_eq!(runner["rule"], "tests/");
    assert!(
        kept.iter()
            .any(|k| k["path"] == "python/astropy/tests/__init__.py")
    );
    // Test modules nothing imports are still pruned.
    let names = zip_names(zip_of(&record));
    assert!(names.contains(&"python/astropy/tests/runner.py".to_string()));
    assert!(
        !names.contains(&"python/astropy/units/tests/test_units.py".to_string()),
        "unimported tests stay pruned"
    );

    // The proof imported every top-level module with the local python3.11.
    let proof = &record["artifact"]["import_proof"];
    assert_eq!(proof.as_array().unwrap().len(), 1);
    assert_eq!(proof[0]["target"], "python3.11/x86_64");
    assert_eq!(proof[0]["proven"], true, "{proof}");
    assert!(
        proof[0]["python_version"]
            .as_str()
            .unwrap()
            .starts_with("3.11.")
    );
    let modules: Vec<&str> = proof[0]["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    for module in ["astropy", "erfa", "numpy", "yaml", "makoto_common"] {
        assert!(
            modules.contains(&module),
            "{module} not imported: {modules:?}"
        );
    }
    assert!(record["artifact"]["timing_ms"]["scan"].is_u64());
    assert!(record["artifact"]["timing_ms"]["import_proof"].is_u64());

    // Independently of layer-pack: extract the zip and use astropy.
    let out = run_in_layer(
        zip_of(&record),
        "python3.11",
        "import astropy, astropy.units as u\nprint(astropy.__version__, (3 * u.km).to(u.m))",
    );
    assert_eq!(out, "6.1.4 3000.0 m");

    // The guide's rule, written by the user, wins over the scan: then the layer
    // does not import, and the proof refuses it, naming the module and why.
    std::fs::remove_dir_all(fixture.out_dir()).unwrap();
    fixture.write(".layerignore", "tests/\n");
    assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &[
            "import: python/astropy/__init__.py: `astropy` does not import",
            "No module named 'astropy.tests'",
            "[python3.11/x86_64]",
            "no zip written",
        ],
    );
}

/// A library whose `__init__.py` imports a module that is not installed.
fn broken_library(fixture: &Fixture) {
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    fixture.write("requirements.txt", "six==1.17.0\n");
    fixture.write(
        "python/brokenlib/__init__.py",
        "import six\nfrom missing_dependency_xyz import helper\n",
    );
}

#[test]
fn a_library_that_imports_a_missing_module_is_refused_with_its_name() {
    let fixture = Fixture::new();
    broken_library(&fixture);
    let stderr = assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &[
            "import: python/brokenlib/__init__.py: `brokenlib` does not import",
            "ModuleNotFoundError: No module named 'missing_dependency_xyz'",
            "[python3.11/x86_64]",
            "add the missing package to the requirements",
        ],
    );
    // The other modules were proven; only the broken one is reported.
    assert!(!stderr.contains("`six` does not import"), "{stderr}");
    assert!(
        cache_entries(&fixture).is_empty(),
        "a refused layer leaves no cache entry: {:?}",
        cache_entries(&fixture)
    );

    // --no-import-check: packed, and the record says nothing was proven.
    let record = single_record(&fixture.pack(&["--no-import-check"]));
    let proof = &record["artifact"]["import_proof"][0];
    assert_eq!(proof["proven"], false);
    assert_eq!(proof["reason"], "turned off with --no-import-check");
    let info = findings(&record, "import");
    assert_eq!(info.len(), 1);
    assert_eq!(info[0]["severity"], "info");
    assert_eq!(
        cache_entries(&fixture).len(),
        1,
        "a kept layer stores its install"
    );

    // Fixed: it packs, and the install is reused (here with relative paths).
    fixture.write("python/brokenlib/__init__.py", "import six\n");
    let out = std::process::Command::new(BIN)
        .current_dir(fixture.root.path())
        .args(["layer", "--cache-dir", "cache", "--out-dir", "dist"])
        .output()
        .unwrap();
    let record = single_record(&out);
    assert_eq!(record["artifact"]["dependencies"]["cache_hit"], true);
    assert_eq!(record["artifact"]["import_proof"][0]["proven"], true);
    assert_eq!(
        record["artifact"]["import_proof"][0]["modules"],
        json!(["brokenlib", "makoto_common", "six"])
    );
}

#[test]
fn the_proof_runs_isolated_without_credentials_and_with_a_timeout() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    // Imports only when the environment is the minimal one layer-pack promises.
    fixture.write(
        "python/envcheck/__init__.py",
        r#"import os, sys
leaked = sorted(k for k in os.environ if k.startswith("AWS_") and k not in (
    "AWS_EC2_METADATA_DISABLED", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"))
assert not leaked, leaked
assert os.environ["AWS_SHARED_CREDENTIALS_FILE"] == "/dev/null"
assert os.environ["HOME"].endswith("/proof/run/home"), os.environ["HOME"]
assert sys.flags.isolated and sys.flags.no_site, sys.flags
layer = [p for p in sys.path if p.endswith("/python") or p.endswith("/site-packages")]
assert len(layer) == 2, sys.path
assert layer[0] == layer[1] + "/lib/python3.11/site-packages", sys.path
assert __file__.endswith("/python/envcheck/__init__.py"), __file__
"#,
    );
    let out = fixture
        .command()
        .arg(fixture.layer())
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env(
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
        .env("AWS_PROFILE", "production")
        .output()
        .unwrap();
    let record = single_record(&out);
    assert_eq!(
        record["artifact"]["import_proof"][0]["modules"],
        json!(["envcheck", "makoto_common"])
    );

    // A module that hangs at import is stopped at the timeout and reported.
    std::fs::remove_dir_all(fixture.out_dir()).unwrap();
    fixture.write("python/slow/__init__.py", "import time\ntime.sleep(120)\n");
    let started = std::time::Instant::now();
    assert_refused(
        &fixture,
        &fixture.pack(&["--import-timeout", "2"]),
        &[
            "import: python/slow/__init__.py: `slow` does not import",
            "did not finish within 2 s",
        ],
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "the hung import was not stopped: {:?}",
        started.elapsed()
    );
}

#[test]
fn targets_without_a_local_interpreter_or_of_another_architecture_are_not_proven() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11", "python3.12"], &["x86_64", "arm64"]);
    fixture.library();
    // A python3.12 on PATH that is really Python 3.11: never taken for 3.12.
    let bin = fixture.root.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let impostor = bin.join("python3.12");
    let real = String::from_utf8(
        std::process::Command::new("python3.11")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    std::fs::write(
        &impostor,
        format!("#!/bin/sh\nexec {} \"$@\"\n", real.trim()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&impostor, std::fs::Permissions::from_mode(0o755)).unwrap();
    // PATH: the impostor first, no uv (so that nothing else answers for 3.12).
    let python311_dir = Path::new(real.trim()).parent().unwrap().to_path_buf();
    let path = std::env::join_paths([
        bin.as_path(),
        python311_dir.as_path(),
        Path::new("/usr/bin"),
        Path::new("/bin"),
    ])
    .unwrap();
    // No pyenv either.
    let out = fixture
        .command()
        .arg(fixture.layer())
        .env("PATH", &path)
        .env("PYENV_ROOT", &bin)
        .output()
        .unwrap();
    let record = single_record(&out);
    let proofs: Vec<(String, bool, String)> = record["artifact"]["import_proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["target"].as_str().unwrap().to_string(),
                p["proven"].as_bool().unwrap(),
                p["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(proofs.len(), 4, "{proofs:?}");
    assert_eq!(proofs[0].0, "python3.11/x86_64");
    assert!(proofs[0].1, "{proofs:?}");
    for (target, proven, reason) in &proofs[1..] {
        assert!(!proven, "{target}");
        if target.ends_with("arm64") {
            assert!(reason.contains("this machine is x86_64"), "{reason}");
        } else {
            assert_eq!(target, "python3.12/x86_64");
            assert!(
                reason.contains("python3.12 on PATH is Python 3.11"),
                "{reason}"
            );
        }
    }
    let info: Vec<&Value> = findings(&record, "import");
    assert_eq!(info.len(), 3, "{info:?}");
    assert!(info.iter().all(|f| f["severity"] == "info"));
}

#[test]
fn a_second_interpreter_proves_its_own_target() {
    // python3.12 from pyenv or uv, when this machine has one (the CI machine does).
    let Some(python312) = local_python("3.12") else {
        eprintln!("no local Python 3.12: this test needs one (pyenv or `uv python find 3.12`)");
        return;
    };
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11", "python3.12"], &["x86_64"]);
    fixture.library();
    fixture.write("requirements.txt", "six==1.17.0\n");
    let dir = python312.parent().unwrap();
    let path = std::env::join_paths(
        std::iter::once(dir.to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let out = fixture
        .command()
        .arg(fixture.layer())
        .env("PATH", path)
        .output()
        .unwrap();
    let record = single_record(&out);
    let proof = record["artifact"]["import_proof"].as_array().unwrap();
    assert_eq!(proof.len(), 2);
    assert_eq!(proof[1]["target"], "python3.12/x86_64");
    assert_eq!(proof[1]["proven"], true, "{proof:?}");
    assert!(
        proof[1]["python_version"]
            .as_str()
            .unwrap()
            .starts_with("3.12.")
    );
    assert_eq!(proof[1]["modules"], proof[0]["modules"]);
}

#[test]
fn a_layer_that_relies_on_the_runtimes_boto3_is_a_warning() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    fixture.write("python/awsbits/__init__.py", "import boto3\n");
    let record = single_record(&fixture.pack(&[]));
    let warning = findings(&record, "import");
    assert_eq!(warning.len(), 1, "{warning:?}");
    assert_eq!(warning[0]["severity"], "warning");
    let message = warning[0]["message"].as_str().unwrap();
    assert!(
        message.contains("`awsbits` imports boto3, which the layer does not ship"),
        "{message}"
    );
    let proof = &record["artifact"]["import_proof"][0];
    assert_eq!(proof["proven"], false);
    assert_eq!(proof["failed"], json!(["awsbits"]));
    assert_eq!(proof["modules"], json!(["makoto_common"]));
}
