//! Every bad input: a message that names the problem (and a hint), exit 2,
//! nothing on stdout, and no zip or temporary file left in the output folder.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::*;

fn valid_layer() -> Fixture {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    fixture
}

#[test]
fn a_missing_folder() {
    let fixture = Fixture::new();
    let out = fixture.pack(&[]);
    assert_refused(&fixture, &out, &["layer folder", "does not exist", "hint:"]);
}

#[test]
fn no_layer_folder_and_no_flags() {
    let fixture = Fixture::new();
    let out = fixture.command().output().unwrap();
    assert_refused(&fixture, &out, &["no layer folder given", "--name"]);
}

#[test]
fn a_missing_layer_yaml() {
    let fixture = Fixture::new();
    fixture.library();
    let out = fixture.pack(&[]);
    assert_refused(
        &fixture,
        &out,
        &["layer.yaml is missing", "compatible_runtimes"],
    );
}

#[test]
fn an_invalid_layer_yaml() {
    let fixture = valid_layer();
    let cases: &[(&str, &[&str])] = &[
        ("name: [unclosed\n", &["layer.yaml is not valid"]),
        (
            "name: x\ncompatible_runtime: [python3.11]\n",
            &["compatible_runtime", "layer.yaml is not valid"],
        ),
        (
            "name: bad name!\ncompatible_runtimes: [python3.11]\n",
            &["invalid layer name \"bad name!\""],
        ),
        (
            "name: x\ncompatible_runtimes: [python3.11]\nmetadata:\n  env: ${LAYER_PACK_SURELY_UNSET}\n",
            &["metadata.env", "${LAYER_PACK_SURELY_UNSET} is not set"],
        ),
        (
            "name: x\ncompatible_runtimes: [python3.11]\nretention_policy:\n  versions_to_keep: 0\n",
            &["retention_policy"],
        ),
    ];
    let mut messages = Vec::new();
    for (yaml, needles) in cases {
        fixture.write("layer.yaml", yaml);
        let stderr = assert_refused(&fixture, &fixture.pack(&[]), needles);
        let stderr = stderr.replace(&fixture.layer().display().to_string(), "[layer]");
        messages.push(format!("## layer.yaml:\n{yaml}--\n{stderr}"));
    }
    // The messages whole, as people read them.
    insta::assert_snapshot!("invalid_layer_yaml", messages.join("\n"));
}

#[test]
fn an_unknown_runtime_or_architecture() {
    let fixture = valid_layer();
    fixture.layer_yaml(&["python3.7"], &["x86_64"]);
    assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &["unknown runtime \"python3.7\"", "python3.12"],
    );

    fixture.layer_yaml(&["python3.11"], &["aarch64"]);
    assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &["unknown architecture \"aarch64\"", "arm64"],
    );

    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    assert_refused(
        &fixture,
        &fixture.pack(&["--runtime", "nodejs20.x"]),
        &["unknown runtime \"nodejs20.x\""],
    );
}

/// Pack as the unprivileged user `nobody` when the tests run as root: root
/// reads every file, so a permission problem only shows for another user.
fn pack_unprivileged(fixture: &Fixture) -> std::process::Output {
    let probe = fixture.root.path().join("probe");
    std::fs::write(&probe, "").unwrap();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o000)).unwrap();
    let privileged = std::fs::File::open(&probe).is_ok();
    std::fs::remove_file(&probe).unwrap();
    if !privileged {
        return fixture.pack(&[]);
    }
    // nobody must reach the layer and create dist/ and cache/ in the fixture's root.
    std::fs::set_permissions(fixture.root.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN])
        .current_dir(fixture.root.path())
        .arg("--out-dir")
        .arg(fixture.out_dir())
        .arg("--cache-dir")
        .arg(fixture.cache_dir())
        .arg(fixture.layer())
        .output()
        .unwrap()
}

#[test]
fn an_unreadable_file_folder_or_layer_yaml() {
    let fixture = valid_layer();
    // The unprivileged run itself works on a readable layer.
    let record = single_record(&pack_unprivileged(&fixture));
    assert_eq!(record["artifact"]["files"], 2);
    std::fs::remove_dir_all(fixture.out_dir()).unwrap();

    let secret = fixture.write("python/makoto_common/secret.py", "X = 1\n");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    assert_refused(
        &fixture,
        &pack_unprivileged(&fixture),
        &[
            "cannot read",
            "secret.py",
            "Permission denied",
            "permissions",
        ],
    );
    std::fs::remove_file(&secret).unwrap();

    let private = fixture.layer().join("python/makoto_common/private");
    fixture.write("python/makoto_common/private/key.py", "K = 1\n");
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o000)).unwrap();
    assert_refused(
        &fixture,
        &pack_unprivileged(&fixture),
        &["cannot read", "private", "Permission denied"],
    );
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::remove_dir_all(&private).unwrap();

    let yaml = fixture.layer().join("layer.yaml");
    std::fs::set_permissions(&yaml, std::fs::Permissions::from_mode(0o000)).unwrap();
    assert_refused(
        &fixture,
        &pack_unprivileged(&fixture),
        &["cannot read", "layer.yaml", "Permission denied"],
    );
}

#[test]
fn a_special_file() {
    let fixture = valid_layer();
    let fifo = fixture.layer().join("python/makoto_common/pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &["pipe is not a regular file"],
    );
}

#[test]
fn symlinks_that_leave_the_tree() {
    let fixture = valid_layer();
    let outside = fixture.root.path().join("outside.py");
    std::fs::write(&outside, "X = 1\n").unwrap();
    std::os::unix::fs::symlink(
        &outside,
        fixture.layer().join("python/makoto_common/linked.py"),
    )
    .unwrap();
    assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &["linked.py is a symlink to", "outside the layer's tree"],
    );

    // A linked folder that leaves the tree.
    std::fs::remove_file(fixture.layer().join("python/makoto_common/linked.py")).unwrap();
    let vendor = fixture.root.path().join("vendor");
    std::fs::create_dir_all(&vendor).unwrap();
    std::fs::write(vendor.join("__init__.py"), "").unwrap();
    std::os::unix::fs::symlink(&vendor, fixture.layer().join("python/vendor")).unwrap();
    assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &["python/vendor is a symlink to", "outside the layer's tree"],
    );
    std::fs::remove_file(fixture.layer().join("python/vendor")).unwrap();
    std::fs::write(fixture.layer().join("python/makoto_common/linked.py"), "").unwrap();

    // A link that stays inside is followed and packed as a file.
    std::fs::remove_file(fixture.layer().join("python/makoto_common/linked.py")).unwrap();
    std::os::unix::fs::symlink(
        "utils.py",
        fixture.layer().join("python/makoto_common/alias.py"),
    )
    .unwrap();
    let record = single_record(&fixture.pack(&[]));
    let entries = zip_entries(std::path::Path::new(
        record["artifact"]["path"].as_str().unwrap(),
    ));
    let alias = entries
        .iter()
        .find(|(n, _, _)| n == "python/makoto_common/alias.py")
        .unwrap();
    let utils = entries
        .iter()
        .find(|(n, _, _)| n == "python/makoto_common/utils.py")
        .unwrap();
    assert_eq!(alias.2, utils.2);
}

#[test]
fn an_empty_layer() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    std::fs::create_dir_all(fixture.layer().join("python")).unwrap();
    assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &["layer makoto-common is empty"],
    );

    // Only prunable files: still empty, and it says so.
    fixture.write("python/__pycache__/x.cpython-311.pyc", "x");
    assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &["is empty", "(1 were pruned)"],
    );
}

#[test]
fn a_package_without_a_wheel_for_the_target() {
    let fixture = valid_layer();
    // docopt 0.6.2 is published as a source distribution only.
    fixture.write("requirements.txt", "six==1.17.0\ndocopt==0.6.2\n");
    assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &["no wheel of `docopt`", "python3.11/x86_64"],
    );
    // Nothing half-installed is left in the cache for a later run to trust.
    let deps = fixture.cache_dir().join("deps");
    let leftovers: Vec<_> = std::fs::read_dir(&deps)
        .map(|d| d.collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // pip says it differently ("No matching distribution found for docopt==0.6.2"):
    // the message still names the package alone.
    let stderr = assert_refused(
        &fixture,
        &fixture.pack(&["--installer", "pip"]),
        &["no wheel of `docopt`", "pip says"],
    );
    assert!(!stderr.contains("`docopt=="), "{stderr}");
}

#[test]
fn a_layer_over_the_unzipped_limit() {
    let fixture = valid_layer();
    // A sparse file: 263 MB by its size, no disk used.
    let big = std::fs::File::create(fixture.layer().join("python/makoto_common/huge.bin")).unwrap();
    big.set_len(263_000_000).unwrap();
    assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &["size", "263", "over Lambda's limit of 262144000"],
    );
}

#[test]
fn a_broken_layout() {
    // The package next to python/ instead of inside it.
    let fixture = valid_layer();
    fixture.write("makoto_extra/__init__.py", "");
    assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &[
            "layout",
            "makoto_extra",
            "outside python/",
            "move it to python/makoto_extra",
        ],
    );

    // The layer's python/ folder holding another python/.
    let nested = Fixture::new();
    nested.layer_yaml(&["python3.11"], &["x86_64"]);
    nested.write("python/python/makoto_common/__init__.py", "");
    assert_refused(
        &nested,
        &nested.pack(&[]),
        &["python/python/", "not on sys.path"],
    );

    // site-packages for a Python the layer does not declare.
    let versioned = Fixture::new();
    versioned.layer_yaml(&["python3.11"], &["x86_64"]);
    versioned.write("python/lib/python3.12/site-packages/mod.py", "");
    assert_refused(
        &versioned,
        &versioned.pack(&[]),
        &["python/lib/python3.12/site-packages/", "does not declare"],
    );
    versioned.layer_yaml(&["python3.12"], &["x86_64"]);
    single_record(&versioned.pack(&[]));
}

#[test]
fn a_bad_version_record_or_too_many_records() {
    let fixture = valid_layer();
    let bad = fixture.root.path().join("v.jsonl");
    std::fs::write(&bad, r#"{"schema":"layer-record/v1","version":{"current":"1.0.0","next":"banana","bump":"minor","commits":[]}}"#).unwrap();
    let out = fixture
        .command()
        .arg(fixture.layer())
        .arg("--input")
        .arg(&bad)
        .output()
        .unwrap();
    assert_refused(&fixture, &out, &["\"banana\" is not a semantic version"]);

    std::fs::write(
        &bad,
        "{\"schema\":\"layer-record/v1\"}\n{\"schema\":\"layer-record/v1\"}\n",
    )
    .unwrap();
    let out = fixture
        .command()
        .arg(fixture.layer())
        .arg("--input")
        .arg(&bad)
        .output()
        .unwrap();
    assert_refused(&fixture, &out, &["2 records came in for 1 layer folder"]);

    std::fs::write(&bad, "{\"schema\":\"layer-record/v2\"}\n").unwrap();
    let out = fixture
        .command()
        .arg(fixture.layer())
        .arg("--input")
        .arg(&bad)
        .output()
        .unwrap();
    assert_refused(&fixture, &out, &["major version 2"]);
}

#[test]
fn a_second_bad_layer_leaves_nothing_from_the_first() {
    let good = valid_layer();
    let bad = good.root.path().join("bad");
    std::fs::create_dir_all(bad.join("python")).unwrap();
    std::fs::write(
        bad.join("layer.yaml"),
        "name: bad\ncompatible_runtimes: [python3.11]\n",
    )
    .unwrap();
    let out = good.command().arg(good.layer()).arg(&bad).output().unwrap();
    assert_refused(&good, &out, &["layer bad is empty"]);
}
