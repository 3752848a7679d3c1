//! Where dependencies come from, with real packages from PyPI: source
//! distributions only by opt-in (docopt builds pure Python and imports; crcmod
//! builds native and is refused), a cache key that covers every file the
//! requirements reference, installs that cannot be cached, and lockfiles
//! (uv.lock, pylock.toml).

mod common;

use std::process::Command;

use common::*;
use serde_json::{Value, json};

fn deps(record: &Value) -> &Value {
    &record["artifact"]["dependencies"]
}

const DOCOPT_CHECK: &str =
    "import docopt\nprint(docopt.docopt('Usage: tool [--fast]', argv=['--fast']))";

#[test]
fn docopt_is_refused_with_the_opt_in_named_then_built_and_imported_when_allowed() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    fixture.write("requirements.txt", "docopt==0.6.2\n");
    assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &[
            "no wheel of `docopt` for python3.11/x86_64",
            "published only as source",
            "`build_from_source: [docopt]` in layer.yaml",
            "--build-from-source docopt",
        ],
    );
    assert!(cache_entries(&fixture).is_empty());

    // Allowed in layer.yaml: built from its sdist (pure Python), packed, imported.
    let yaml = std::fs::read_to_string(fixture.layer().join("layer.yaml")).unwrap();
    fixture.write(
        "layer.yaml",
        &format!("{yaml}build_from_source: [docopt]\n"),
    );
    let record = single_record(&fixture.pack(&[]));
    assert_eq!(deps(&record)["built_from_source"], json!(["docopt 0.6.2"]));
    assert_eq!(deps(&record)["cache_hit"], false);
    let proof = &record["artifact"]["import_proof"][0];
    assert_eq!(proof["proven"], true);
    assert_eq!(proof["modules"], json!(["docopt", "makoto_common"]));
    assert_eq!(
        run_in_layer(zip_of(&record), "python3.11", DOCOPT_CHECK),
        "{'--fast': True}"
    );
    // Reused from the cache, and still said.
    let again = single_record(&fixture.pack(&[]));
    assert_eq!(deps(&again)["cache_hit"], true);
    assert_eq!(deps(&again)["built_from_source"], json!(["docopt 0.6.2"]));
    assert_eq!(again["artifact"]["sha256"], record["artifact"]["sha256"]);

    // The flag does the same; with pip, the wheel is built first with `pip wheel`.
    fixture.write("layer.yaml", &yaml);
    let with_pip = single_record(&fixture.pack(&[
        "--installer",
        "pip",
        "--build-from-source",
        "docopt",
        "-o",
        "pip.zip",
    ]));
    assert_eq!(deps(&with_pip)["installer"], "pip");
    assert_eq!(
        deps(&with_pip)["built_from_source"],
        json!(["docopt 0.6.2"])
    );
    assert_eq!(
        run_in_layer(zip_of(&with_pip), "python3.11", DOCOPT_CHECK),
        "{'--fast': True}"
    );
    // :all: allows every package.
    let all = single_record(&fixture.pack(&["--build-from-source", ":all:", "-o", "all.zip"]));
    assert_eq!(deps(&all)["built_from_source"], json!(["docopt 0.6.2"]));
}

#[test]
fn a_native_build_from_source_is_refused() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    // crcmod 1.7 is published as an sdist only, with a C extension.
    fixture.write("requirements.txt", "crcmod==1.7\n");
    assert_refused(
        &fixture,
        &fixture.pack(&["--build-from-source", "crcmod"]),
        &[
            "`crcmod 1.7` was built from source into a native wheel (cp311-cp311-linux_x86_64)",
            "python3.11/x86_64 (Amazon Linux 2 with glibc 2.26)",
            "public.ecr.aws/sam/build-python3.11",
        ],
    );
    assert!(cache_entries(&fixture).is_empty(), "no cache entry");
    // pip builds the wheel first (`pip wheel`) and refuses it before installing.
    assert_refused(
        &fixture,
        &fixture.pack(&["--build-from-source", "crcmod", "--installer", "pip"]),
        &["`crcmod 1.7` was built from source into a native wheel (cp311-cp311-linux_x86_64)"],
    );
    assert!(cache_entries(&fixture).is_empty(), "no cache entry");

    // A name that is not a package name is bad input.
    let yaml = std::fs::read_to_string(fixture.layer().join("layer.yaml")).unwrap();
    fixture.write(
        "layer.yaml",
        &format!("{yaml}build_from_source: [\"crcmod==1.7\"]\n"),
    );
    assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &[
            "build_from_source: \"crcmod==1.7\" is not a package name",
            ":all:",
        ],
    );
}

#[test]
fn a_change_in_an_included_requirements_file_reinstalls() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    fixture.write("requirements.txt", "-r base.txt\n");
    fixture.write("base.txt", "six==1.16.0\n");
    let first = single_record(&fixture.pack(&[]));
    assert_eq!(deps(&first)["cache_hit"], false);
    assert!(
        zip_names(zip_of(&first)).contains(&"python/six-1.16.0.dist-info/METADATA".to_string())
    );
    let again = single_record(&fixture.pack(&[]));
    assert_eq!(deps(&again)["cache_hit"], true);

    // requirements.txt is unchanged; the file it includes is not.
    fixture.write("base.txt", "six==1.17.0\n");
    let changed = single_record(&fixture.pack(&[]));
    assert_eq!(deps(&changed)["cache_hit"], false);
    assert_ne!(deps(&changed)["cache_key"], deps(&first)["cache_key"]);
    let names = zip_names(zip_of(&changed));
    assert!(
        names.contains(&"python/six-1.17.0.dist-info/METADATA".to_string()),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.contains("six-1.16.0")));
    assert_eq!(
        run_in_layer(
            zip_of(&changed),
            "python3.11",
            "import six\nprint(six.__version__)"
        ),
        "1.17.0"
    );
}

#[test]
fn a_url_without_a_hash_is_installed_but_never_cached() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    let url = "https://files.pythonhosted.org/packages/d9/5a/e7c31adbe875f2abbb91bd84cf2dc52d792b5a01506781dbcf25c91daf11/six-1.16.0-py2.py3-none-any.whl";
    fixture.write("requirements.txt", &format!("six @ {url}\n"));
    for _ in 0..2 {
        let out = fixture.pack(&["-v"]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let record = single_record(&out);
        assert_eq!(deps(&record)["cache_hit"], false);
        let why = deps(&record)["not_cached"].as_str().unwrap();
        assert!(why.contains("is a URL without a hash"), "{why}");
        assert!(
            stderr.contains("dependencies: not cached, because") && stderr.contains(url),
            "{stderr}"
        );
    }
    assert!(cache_entries(&fixture).is_empty());
    // With the hash, it is cached.
    fixture.write(
        "requirements.txt",
        &format!(
            "six @ {url}#sha256=8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254\n"
        ),
    );
    let hashed = single_record(&fixture.pack(&[]));
    assert!(deps(&hashed).get("not_cached").is_none());
    assert_eq!(cache_entries(&fixture).len(), 1);
}

/// A uv project in the layer folder, locked with `uv lock`.
fn uv_project(fixture: &Fixture, dependencies: &str) {
    fixture.write(
        "pyproject.toml",
        &format!(
            "[project]\nname = \"makoto-common\"\nversion = \"1.0.0\"\nrequires-python = \">=3.11\"\ndependencies = [{dependencies}]\n\n[dependency-groups]\ndev = [\"iniconfig==2.0.0\"]\n"
        ),
    );
    let out = Command::new("uv")
        .args(["lock", "--quiet"])
        .current_dir(fixture.layer())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "uv lock: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_uv_lock_is_installed_for_the_target_and_keyed_by_its_content() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    uv_project(&fixture, "\"six==1.16.0\", \"markupsafe==3.0.3\"");
    let record = single_record(&fixture.pack(&[]));
    assert_eq!(deps(&record)["lock"], "uv.lock");
    let names = zip_names(zip_of(&record));
    assert!(names.contains(&"python/six-1.16.0.dist-info/METADATA".to_string()));
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("python/markupsafe/_speedups.cpython-311-x86_64-linux-gnu")),
        "the wheel for the target: {names:?}"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.ends_with("uv.lock") || n.ends_with("pyproject.toml"))
    );
    assert!(
        !names.iter().any(|n| n.contains("iniconfig")),
        "no development dependencies"
    );
    assert_eq!(record["artifact"]["import_proof"][0]["proven"], true);
    assert_eq!(deps(&single_record(&fixture.pack(&[])))["cache_hit"], true);

    // Relocked with another pin: a new key, the new version.
    uv_project(&fixture, "\"six==1.17.0\", \"markupsafe==3.0.3\"");
    let relocked = single_record(&fixture.pack(&[]));
    assert_eq!(deps(&relocked)["cache_hit"], false);
    assert!(
        zip_names(zip_of(&relocked)).contains(&"python/six-1.17.0.dist-info/METADATA".to_string())
    );

    // requirements.txt next to the lock: which one? Refused until chosen.
    fixture.write("requirements.txt", "six==1.16.0\n");
    std::fs::remove_dir_all(fixture.out_dir()).unwrap();
    assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &[
            "has both requirements.txt and uv.lock",
            "--requirements FILE or --lock FILE",
        ],
    );
    let requirements = fixture.layer().join("requirements.txt");
    let chosen = single_record(&fixture.pack(&["--requirements", requirements.to_str().unwrap()]));
    assert!(deps(&chosen).get("lock").is_none());
    let lock = fixture.layer().join("uv.lock");
    let chosen = single_record(&fixture.pack(&["--lock", lock.to_str().unwrap()]));
    assert_eq!(deps(&chosen)["lock"], "uv.lock");
}

#[test]
fn a_pylock_toml_is_installed_with_uv_and_refused_with_pip() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    uv_project(&fixture, "\"six==1.16.0\"");
    let out = Command::new("uv")
        .args([
            "export",
            "--frozen",
            "--format",
            "pylock.toml",
            "--no-emit-project",
            "--quiet",
            "-o",
            "pylock.toml",
        ])
        .current_dir(fixture.layer())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in ["uv.lock", "pyproject.toml"] {
        std::fs::remove_file(fixture.layer().join(file)).unwrap();
    }
    let record = single_record(&fixture.pack(&[]));
    assert_eq!(deps(&record)["lock"], "pylock.toml");
    assert!(
        zip_names(zip_of(&record)).contains(&"python/six-1.16.0.dist-info/METADATA".to_string())
    );
    std::fs::remove_dir_all(fixture.out_dir()).unwrap();
    assert_refused(
        &fixture,
        &fixture.pack(&["--installer", "pip"]),
        &[
            "pylock.toml: pip cannot install a PEP 751 lock",
            "--installer uv",
        ],
    );
}
