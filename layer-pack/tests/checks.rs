//! The checks before zipping, on real wheels from PyPI: wrong architecture,
//! a CPython ABI that does not match, a manylinux_2_28 wheel for python3.11,
//! and a broken layout. Errors stop the build with exit 2 and no zip;
//! `--allow-incompatible` turns the native ones into warnings.

mod common;

use common::*;

#[test]
fn an_aarch64_wheel_in_an_x86_64_layer_is_refused() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    fixture.vendor("aarch64-manylinux2014", "3.11", &["markupsafe==3.0.3"]);

    let out = fixture.pack(&[]);
    let stderr = assert_refused(
        &fixture,
        &out,
        &[
            "elf-machine",
            "_speedups.cpython-311-aarch64-linux-gnu.so",
            "built for aarch64",
            "x86_64",
            "no zip written",
        ],
    );
    // The wheel's own tag says so too.
    assert!(
        stderr.contains("wheel-tag") && stderr.contains("markupsafe 3.0.3"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-incompatible"), "{stderr}");

    // Downgraded: the zip is written and the record says what is wrong.
    let record = single_record(&fixture.pack(&["--allow-incompatible"]));
    let machine = findings(&record, "elf-machine");
    assert_eq!(machine.len(), 1);
    assert_eq!(machine[0]["severity"], "warning");
    assert_eq!(
        machine[0]["path"],
        "python/markupsafe/_speedups.cpython-311-aarch64-linux-gnu.so"
    );
    assert_eq!(
        machine[0]["targets"],
        serde_json::json!(["python3.11/x86_64"])
    );
    assert_eq!(fixture.outputs(), ["makoto-common.zip"]);

    // Declared for arm64, the same tree is fine.
    let arm = Fixture::new();
    copy_tree(&fixture.layer(), &arm.layer());
    arm.layer_yaml(&["python3.11"], &["arm64"]);
    let record = single_record(&arm.pack(&[]));
    assert!(findings(&record, "elf-machine").is_empty());
    assert!(
        record["artifact"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "info")
    );
}

#[test]
fn vendored_native_code_is_checked_against_every_declared_target() {
    let fixture = Fixture::new();
    // cp311 x86_64 wheels vendored into the library: layer-pack cannot build
    // them for the other targets (requirements.txt it can), so it checks them.
    fixture.layer_yaml(&["python3.11", "python3.12"], &["x86_64", "arm64"]);
    fixture.library();
    fixture.vendor("x86_64-manylinux2014", "3.11", &["markupsafe==3.0.3"]);
    let out = fixture.pack(&[]);
    let stderr = assert_refused(
        &fixture,
        &out,
        &["elf-machine", "abi", "python3.12", "arm64"],
    );
    assert!(stderr.contains("requirements.txt"), "{stderr}");

    let record = single_record(&fixture.pack(&["--allow-incompatible"]));
    let machine = findings(&record, "elf-machine");
    assert_eq!(
        machine[0]["targets"],
        serde_json::json!(["python3.11/arm64", "python3.12/arm64"])
    );
    let abi = findings(&record, "abi");
    assert_eq!(abi.len(), 1);
    assert_eq!(
        abi[0]["targets"],
        serde_json::json!(["python3.12/x86_64", "python3.12/arm64"])
    );
    assert!(abi[0]["message"].as_str().unwrap().contains("cpython-311"));
}

#[test]
fn a_manylinux_2_28_wheel_is_refused_for_python311_and_accepted_for_python312() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    // bcrypt 5 publishes its x86_64 abi3 wheel for manylinux_2_28 (and 2_34) only.
    fixture.vendor("x86_64-manylinux_2_28", "3.11", &["bcrypt==5.0.0"]);

    let out = fixture.pack(&[]);
    assert_refused(
        &fixture,
        &out,
        &[
            "glibc",
            "bcrypt 5.0.0",
            "manylinux_2_28",
            "glibc 2.28",
            "Amazon Linux 2 with glibc 2.26",
        ],
    );

    // python3.12 runs on Amazon Linux 2023 (glibc 2.34): the same tree packs cleanly.
    fixture.layer_yaml(&["python3.12"], &["x86_64"]);
    let record = single_record(&fixture.pack(&[]));
    assert!(findings(&record, "glibc").is_empty());
    assert_eq!(fixture.outputs(), ["makoto-common.zip"]);

    // Without the wheel's metadata (pruned as the guide's build.sh does), the
    // shared library's own symbol versions still tell: GLIBC_2.28.
    std::fs::remove_dir_all(fixture.out_dir()).unwrap();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.write(".layerignore", "*.dist-info/\n");
    let stderr = assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &[
            "glibc: python/bcrypt/_bcrypt.abi3.so",
            "its symbols need glibc 2.28",
            "python3.11 runs on Amazon Linux 2 with glibc 2.26",
        ],
    );
    assert!(!stderr.contains("manylinux_2_28 wheel"), "{stderr}");
}

#[test]
fn the_unzipped_and_direct_upload_limits_are_reported_with_their_margin() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    let record = single_record(&fixture.pack(&[]));
    let sizes = findings(&record, "size");
    assert_eq!(sizes.len(), 2);
    let unzipped = record["artifact"]["unzipped_bytes"].as_u64().unwrap();
    let zipped = record["artifact"]["zip_bytes"].as_u64().unwrap();
    assert!(
        sizes[0]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{} ", 262_144_000 - unzipped))
    );
    assert!(
        sizes[1]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{} left", 52_428_800 - zipped))
    );

    // Incompressible content above 50 MiB of zip: a warning (publish through S3), not an error.
    let big = fixture.layer().join("python/makoto_common/model.bin");
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..53 * 1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    std::fs::write(&big, noise).unwrap();
    let record = single_record(&fixture.pack(&["--level", "1"]));
    let warning = findings(&record, "size")
        .into_iter()
        .find(|f| f["severity"] == "warning")
        .expect("a size warning");
    assert!(
        warning["message"].as_str().unwrap().contains("through S3"),
        "{warning}"
    );
}

#[test]
fn an_extension_named_for_musl_is_refused_even_without_its_wheel_metadata() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.11"], &["x86_64"]);
    fixture.library();
    // The right CPU, the wrong C library: CPython on Lambda never loads a -linux-musl name.
    fixture.vendor("x86_64-unknown-linux-musl", "3.11", &["markupsafe==3.0.3"]);
    fixture.write(".layerignore", "*.dist-info/\n");
    let stderr = assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &[
            "abi: python/markupsafe/_speedups.cpython-311-x86_64-linux-musl.so",
            "x86_64-linux-musl (musl libc)",
            ".cpython-311-x86_64-linux-gnu.so",
            "[python3.11/x86_64]",
        ],
    );
    assert!(
        !stderr.contains("wheel-tag"),
        "the metadata was pruned: {stderr}"
    );
}

#[test]
fn packed_relative_relocations_need_glibc_2_36() {
    let fixture = Fixture::new();
    fixture.layer_yaml(&["python3.12"], &["x86_64"]);
    fixture.library();
    // A shared library linked with packed relative relocations (DT_RELR) needs
    // the symbol version GLIBC_ABI_DT_RELR: glibc 2.36, newer than Amazon Linux 2023's 2.34.
    let source = fixture.write(
        "build/relr.c",
        "#include <string.h>\nstatic int x;\nint *p = &x;\nint *q[] = {&x, &x, &x};\nint f(const char *s) { return (int)strlen(s) + *p; }\n",
    );
    let library = fixture.layer().join("python/makoto_common/librelr.so");
    let out = std::process::Command::new("gcc")
        .args(["-shared", "-fPIC", "-Wl,-z,pack-relative-relocs", "-o"])
        .arg(&library)
        .arg(&source)
        .output()
        .expect("gcc (with binutils 2.38 or newer) builds the test library");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_refused(
        &fixture,
        &fixture.pack(&[]),
        &[
            "glibc: python/makoto_common/librelr.so",
            "its symbols need glibc 2.36",
            "python3.12 runs on Amazon Linux 2023 with glibc 2.34",
        ],
    );
}
