//! The guide's whole matrix (python3.11 and python3.12, x86_64 and arm64) with
//! real packages from PyPI: a native dependency gives one build per
//! architecture, each with the extension of every declared Python under that
//! Python's site-packages, proven by importing it the way Lambda lays it out; a
//! pure-Python layer stays one build; markers that resolve differently put each
//! Python's dependencies apart; `--arch` / `--runtime` build part of the same
//! layer; `build_names` renames the builds; and bad input stops before anything
//! is written.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;
use serde_json::{Value, json};

const BOTH_PYTHONS: &[&str] = &["python3.11", "python3.12"];
const BOTH_ARCHS: &[&str] = &["x86_64", "arm64"];

/// A library that needs PyYAML's C extension and a pure-Python dependency.
fn native_layer(fixture: &Fixture) {
    fixture.layer_yaml(BOTH_PYTHONS, BOTH_ARCHS);
    fixture.write(
        "python/makoto_common/__init__.py",
        "import six\nimport yaml\n\ndef load(text):\n    return yaml.load(text, Loader=yaml.CSafeLoader)\n",
    );
    fixture.write("requirements.txt", "PyYAML==6.0.2\nsix==1.17.0\n");
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// The shared libraries of a zip and the CPU each is for.
fn shared_libraries(zip: &Path) -> Vec<(String, String)> {
    zip_entries(zip)
        .into_iter()
        .filter(|(name, _, _)| name.ends_with(".so") || name.contains(".so."))
        .map(|(name, _, data)| {
            let machine = elf_machine(&data).unwrap_or_else(|| panic!("{name} is not ELF"));
            (name, machine)
        })
        .collect()
}

/// Pack the fixture's layer into another output folder (same cache).
fn pack_into(fixture: &Fixture, out_dir: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(BIN)
        .current_dir(fixture.root.path())
        .arg("--cache-dir")
        .arg(fixture.cache_dir())
        .arg("--out-dir")
        .arg(fixture.root.path().join(out_dir))
        .arg(fixture.layer())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn a_native_dependency_gives_one_zip_per_architecture_with_every_pythons_extension() {
    let fixture = Fixture::new();
    native_layer(&fixture);
    let out = fixture.pack(&[]);
    let built = records(&out);
    assert_eq!(built.len(), 2, "{built:#?}");
    let (x86, arm) = (&built[0], &built[1]);
    assert_eq!(
        fixture.outputs(),
        ["makoto-common-arm64.zip", "makoto-common.zip"]
    );

    // Each build is a layer of its own, for its architecture only.
    assert_eq!(x86["layer"]["name"], "makoto-common");
    assert_eq!(arm["layer"]["name"], "makoto-common-arm64");
    assert_eq!(x86["layer"]["compatible_architectures"], json!(["x86_64"]));
    assert_eq!(arm["layer"]["compatible_architectures"], json!(["arm64"]));
    for record in &built {
        assert_eq!(
            record["layer"]["compatible_runtimes"],
            json!(["python3.11", "python3.12"])
        );
        assert_eq!(record["layer"]["description"], "shared code");
    }
    // The family ties them together.
    let builds = json!([
        {"name": "makoto-common", "targets": ["python3.11/x86_64", "python3.12/x86_64"]},
        {"name": "makoto-common-arm64", "targets": ["python3.11/arm64", "python3.12/arm64"]},
    ]);
    assert_eq!(
        x86["layer"]["family"],
        json!({"name": "makoto-common", "targets": ["python3.11/x86_64", "python3.12/x86_64"], "builds": builds})
    );
    assert_eq!(
        arm["layer"]["family"],
        json!({"name": "makoto-common", "targets": ["python3.11/arm64", "python3.12/arm64"], "builds": builds})
    );

    // One install per Python, each in its own site-packages; the library in python/.
    for (record, arch, machine) in [(x86, "x86_64", "x86_64"), (arm, "arm64", "aarch64")] {
        let artifact = &record["artifact"];
        assert!(artifact.get("dependencies").is_none(), "{artifact:#}");
        let installs = artifact["site_packages"].as_array().unwrap();
        let placed: Vec<(String, String, String)> = installs
            .iter()
            .map(|i| {
                (
                    i["target"].as_str().unwrap().to_string(),
                    i["path"].as_str().unwrap().to_string(),
                    i["platform"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            placed,
            [
                (
                    format!("python3.11/{arch}"),
                    "python/lib/python3.11/site-packages/".to_string(),
                    format!("manylinux2014_{machine}")
                ),
                (
                    format!("python3.12/{arch}"),
                    "python/lib/python3.12/site-packages/".to_string(),
                    format!("manylinux_2_34_{machine}")
                ),
            ]
        );
        // Every finding is about this build's own targets, and none is a problem.
        for finding in record["artifact"]["findings"].as_array().unwrap() {
            assert_eq!(finding["severity"], "info", "{finding:#}");
            for target in finding.get("targets").map(strings).unwrap_or_default() {
                assert!(target.ends_with(arch), "{finding:#}");
            }
        }
        let names = zip_names(zip_of(record));
        assert!(names.contains(&"python/makoto_common/__init__.py".to_string()));
        assert!(!names.iter().any(|n| n.starts_with("python/yaml/")));
        for python in ["311", "312"] {
            let version = format!("3.{}", &python[1..]);
            let extension = format!(
                "python/lib/python{version}/site-packages/yaml/_yaml.cpython-{python}-{machine}-linux-gnu.so"
            );
            assert!(names.contains(&extension), "{extension} not in {names:#?}");
            assert!(names.contains(&format!("python/lib/python{version}/site-packages/six.py")));
        }
        // Every shared library is for the build's CPU.
        let libraries = shared_libraries(zip_of(record));
        assert_eq!(libraries.len(), 2, "{libraries:?}");
        for (name, found) in libraries {
            assert_eq!(found, machine, "{name}");
        }
    }

    // The x86_64 build imports with python3.11, laid out as Lambda lays it out,
    // and the C extension that loads is python3.11's.
    let check = "import yaml, yaml._yaml, makoto_common\nprint(yaml.__with_libyaml__, yaml._yaml.__file__, makoto_common.load('a: [1, 2]'))";
    let loaded = run_in_layer(zip_of(x86), "python3.11", check);
    assert!(
        loaded.starts_with("True ")
            && loaded.contains(
                "/python/lib/python3.11/site-packages/yaml/_yaml.cpython-311-x86_64-linux-gnu.so"
            )
            && loaded.ends_with("{'a': [1, 2]}"),
        "{loaded}"
    );
    let proofs = x86["artifact"]["import_proof"].as_array().unwrap();
    assert_eq!(proofs[0]["target"], "python3.11/x86_64");
    assert_eq!(proofs[0]["proven"], true, "{proofs:#?}");
    match local_python("3.12") {
        Some(python312) => {
            let loaded = run_in_layer(zip_of(x86), python312.to_str().unwrap(), check);
            assert!(
                loaded.contains("/python/lib/python3.12/site-packages/yaml/_yaml.cpython-312-x86_64-linux-gnu.so"),
                "{loaded}"
            );
            assert_eq!(proofs[1]["target"], "python3.12/x86_64");
            assert_eq!(
                proofs[1]["proven"], true,
                "the proof found {python312:?} too"
            );
        }
        None => eprintln!("no local Python 3.12: the python3.12 build was not imported"),
    }
    for proof in arm["artifact"]["import_proof"].as_array().unwrap() {
        assert_eq!(proof["proven"], false);
        assert!(
            proof["reason"]
                .as_str()
                .unwrap()
                .contains("this machine is x86_64")
        );
    }

    // One cache entry per target; a second run reuses all four and writes the same bytes.
    assert_eq!(cache_entries(&fixture).len(), 4);
    let again = records(&fixture.pack(&[]));
    for (first, second) in built.iter().zip(&again) {
        assert_eq!(first["artifact"]["sha256"], second["artifact"]["sha256"]);
        for install in second["artifact"]["site_packages"].as_array().unwrap() {
            assert_eq!(install["cache_hit"], true, "{install:#}");
        }
    }

    // --arch and --runtime build part of the same layer: the same names, the same bytes.
    let narrowed = pack_into(&fixture, "arm-only", &["--arch", "arm64"]);
    let arm_only = single_record(&narrowed);
    assert_eq!(arm_only["layer"]["name"], "makoto-common-arm64");
    assert_eq!(arm_only["artifact"]["sha256"], arm["artifact"]["sha256"]);
    assert_eq!(arm_only["layer"]["family"], arm["layer"]["family"]);
    let py312 = pack_into(&fixture, "py312-only", &["--runtime", "python3.12"]);
    let py312 = records(&py312);
    let names: Vec<&Value> = py312.iter().map(|r| &r["layer"]["name"]).collect();
    assert_eq!(
        names,
        [&json!("makoto-common"), &json!("makoto-common-arm64")]
    );
    for record in &py312 {
        // One Python: its dependencies are one copy under python/.
        assert_eq!(
            record["layer"]["compatible_runtimes"],
            json!(["python3.12"])
        );
        assert_eq!(record["artifact"]["dependencies"]["path"], "python/");
        assert_eq!(record["artifact"]["dependencies"]["cache_hit"], true);
        assert!(
            zip_names(zip_of(record))
                .iter()
                .any(|n| n.starts_with("python/yaml/_yaml.cpython-312-"))
        );
    }
}

#[test]
fn a_pure_python_layer_stays_one_build_for_both_architectures() {
    let fixture = Fixture::new();
    fixture.layer_yaml(BOTH_PYTHONS, BOTH_ARCHS);
    fixture.library();
    fixture.write("requirements.txt", "six==1.17.0\nattrs==24.2.0\n");
    let record = single_record(&fixture.pack(&[]));
    assert_eq!(fixture.outputs(), ["makoto-common.zip"]);
    assert_eq!(record["layer"]["name"], "makoto-common");
    assert_eq!(
        record["layer"]["compatible_architectures"],
        json!(["x86_64", "arm64"])
    );
    let targets = json!([
        "python3.11/x86_64",
        "python3.11/arm64",
        "python3.12/x86_64",
        "python3.12/arm64"
    ]);
    assert_eq!(record["layer"]["family"]["targets"], targets);
    assert_eq!(
        record["layer"]["family"]["builds"],
        json!([{"name": "makoto-common", "targets": targets}])
    );
    // The same resolution everywhere: one copy under python/.
    let dependencies = &record["artifact"]["dependencies"];
    assert_eq!(dependencies["path"], "python/");
    assert_eq!(dependencies["target"], "python3.11/x86_64");
    assert!(record["artifact"].get("site_packages").is_none());
    let names = zip_names(zip_of(&record));
    assert!(names.contains(&"python/six.py".to_string()));
    assert!(
        !names.iter().any(|n| n.starts_with("python/lib/")),
        "{names:#?}"
    );
    // All four were resolved to decide that.
    assert_eq!(cache_entries(&fixture).len(), 4);
    assert_eq!(
        run_in_layer(
            zip_of(&record),
            "python3.11",
            "import six, attrs, makoto_common; print(six.__file__.endswith('/python/six.py'))"
        ),
        "True"
    );
}

#[test]
fn markers_that_resolve_differently_put_each_pythons_dependencies_apart() {
    let fixture = Fixture::new();
    fixture.layer_yaml(BOTH_PYTHONS, BOTH_ARCHS);
    fixture.library();
    // tomli is in the standard library (tomllib) from 3.11 on; a backport for older ones.
    fixture.write(
        "requirements.txt",
        "six==1.17.0\nexceptiongroup==1.2.2 ; python_version < \"3.12\"\n",
    );
    let record = single_record(&fixture.pack(&[]));
    // Pure Python: one build for both architectures, one install per Python.
    assert_eq!(
        record["layer"]["compatible_architectures"],
        json!(["x86_64", "arm64"])
    );
    assert!(record["artifact"].get("dependencies").is_none());
    let paths: Vec<&Value> = record["artifact"]["site_packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["path"])
        .collect();
    assert_eq!(
        paths,
        [
            &json!("python/lib/python3.11/site-packages/"),
            &json!("python/lib/python3.12/site-packages/")
        ]
    );
    let names: BTreeSet<String> = zip_names(zip_of(&record)).into_iter().collect();
    assert!(names.contains("python/lib/python3.11/site-packages/exceptiongroup/__init__.py"));
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("python/lib/python3.12/site-packages/exceptiongroup"))
    );
    assert!(names.contains("python/lib/python3.12/site-packages/six.py"));
    assert!(names.contains("python/makoto_common/__init__.py"));
    assert_eq!(
        run_in_layer(
            zip_of(&record),
            "python3.11",
            "import exceptiongroup, makoto_common; print(exceptiongroup.__file__.split('/python/')[1])"
        ),
        "lib/python3.11/site-packages/exceptiongroup/__init__.py"
    );
}

#[test]
fn build_names_in_layer_yaml_name_each_architectures_build() {
    let fixture = Fixture::new();
    native_layer(&fixture);
    let yaml = std::fs::read_to_string(fixture.layer().join("layer.yaml")).unwrap();
    fixture.write(
        "layer.yaml",
        &format!(
            "{yaml}build_names:\n  x86_64: makoto-common-amd64\n  arm64: makoto-common-graviton\n"
        ),
    );
    let records = records(&fixture.pack(&["--no-import-check"]));
    let names: Vec<&Value> = records.iter().map(|r| &r["layer"]["name"]).collect();
    assert_eq!(
        names,
        [
            &json!("makoto-common-amd64"),
            &json!("makoto-common-graviton")
        ]
    );
    assert_eq!(
        fixture.outputs(),
        ["makoto-common-amd64.zip", "makoto-common-graviton.zip"]
    );
    assert_eq!(records[1]["layer"]["family"]["name"], "makoto-common");
    assert_eq!(
        records[1]["layer"]["family"]["builds"][1]["name"],
        "makoto-common-graviton"
    );
}

#[test]
fn a_dependency_without_a_wheel_for_one_target_names_it_and_writes_nothing() {
    // lxml 4.9.3 publishes its aarch64 wheels for glibc 2.28 only: python3.12
    // (Amazon Linux 2023, glibc 2.34) can have them, python3.11 (glibc 2.26) cannot.
    let fixture = Fixture::new();
    fixture.layer_yaml(BOTH_PYTHONS, BOTH_ARCHS);
    fixture.library();
    fixture.write("requirements.txt", "lxml==4.9.3\n");
    for installer in ["uv", "pip"] {
        let out = fixture.pack(&["--installer", installer]);
        let stderr = assert_refused(&fixture, &out, &["no wheel of `lxml` for python3.11/arm64"]);
        let error = stderr
            .lines()
            .find(|line| line.starts_with("layer-pack: error:"))
            .unwrap();
        assert!(!error.contains("python3.12"), "{error}");
        assert!(!error.contains("x86_64"), "{error}");
        assert!(
            cache_entries(&fixture).is_empty(),
            "{:?}",
            cache_entries(&fixture)
        );
    }
    // Without arm64, the same requirements pack.
    let out = fixture.pack(&["--arch", "x86_64", "--no-import-check"]);
    let record = single_record(&out);
    assert_eq!(record["layer"]["name"], "makoto-common");
}

#[test]
fn output_names_one_zip_and_a_layer_with_two_builds_is_refused() {
    let fixture = Fixture::new();
    native_layer(&fixture);
    let out = fixture.pack(&["--output", "dist/common.zip"]);
    assert_refused(
        &fixture,
        &out,
        &["--output names one zip", "makoto-common-arm64", "--arch"],
    );
    assert!(cache_entries(&fixture).is_empty());
}

/// Two layer folders; `yaml_a`/`yaml_b` are their layer.yaml. Returns stderr
/// of a run that must be refused before any install.
fn refused_pair(yaml_a: &str, yaml_b: &str, needles: &[&str]) {
    let fixture = Fixture::new();
    for (dir, yaml) in [("a", yaml_a), ("b", yaml_b)] {
        let layer = fixture.root.path().join(dir);
        std::fs::create_dir_all(layer.join("python/pkg")).unwrap();
        std::fs::write(layer.join("python/pkg/__init__.py"), "").unwrap();
        std::fs::write(layer.join("requirements.txt"), "PyYAML==6.0.2\n").unwrap();
        std::fs::write(layer.join("layer.yaml"), yaml).unwrap();
    }
    let out = fixture
        .command()
        .arg(fixture.root.path().join("a"))
        .arg(fixture.root.path().join("b"))
        .arg("-v")
        .output()
        .unwrap();
    let stderr = assert_refused(&fixture, &out, needles);
    assert!(
        !stderr.contains("installing"),
        "installed before refusing:\n{stderr}"
    );
    assert!(
        !fixture.cache_dir().join("deps").exists(),
        "the cache was touched"
    );
}

#[test]
fn names_that_collide_or_are_invalid_are_refused_before_any_install() {
    let both = "compatible_runtimes: [python3.11, python3.12]\ncompatible_architectures: [x86_64, arm64]\n";
    // An override that takes another layer's name.
    refused_pair(
        &format!("name: makoto-common\n{both}build_names:\n  arm64: makoto-tenant\n"),
        &format!("name: makoto-tenant\n{both}"),
        &[
            "would both be published as the layer makoto-tenant",
            "build_names",
        ],
    );
    // The default name of the arm64 build, taken by another layer.
    refused_pair(
        &format!("name: makoto-common\n{both}"),
        "name: makoto-common-arm64\ncompatible_runtimes: [python3.12]\n",
        &["would both be published as the layer makoto-common-arm64"],
    );
    // Not a valid layer name, an undeclared architecture, two builds with one name.
    for (build_names, needle) in [
        (
            "  arm64: common graviton\n",
            "invalid layer name \"common graviton\"",
        ),
        (
            "  arm64: makoto-common\n",
            "the x86_64 and arm64 builds would both be named makoto-common",
        ),
        ("  aarch64: x\n", "unknown architecture \"aarch64\""),
    ] {
        refused_pair(
            &format!("name: makoto-common\n{both}build_names:\n{build_names}"),
            "name: makoto-tenant\ncompatible_runtimes: [python3.12]\n",
            &[needle],
        );
    }
    refused_pair(
        "name: makoto-common\ncompatible_runtimes: [python3.12]\nbuild_names:\n  arm64: makoto-common-graviton\n",
        "name: makoto-tenant\ncompatible_runtimes: [python3.12]\n",
        &["build_names names a build for arm64, which the layer does not declare"],
    );
}
