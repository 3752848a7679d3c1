//! Security properties, each tried through the real binaries:
//! - credentials never appear in stdout or stderr, at any verbosity, on
//!   success or failure, for every AWS tool;
//! - `--public` is never implied: publishing without it grants nothing, and a
//!   grant to one account grants that account only;
//! - files in a packed zip are readable by Lambda's runtime user (an
//!   unprivileged user: permissions are normalised whatever they were on disk);
//! - a layer zip can never write outside `python/` when extracted: what
//!   layer-pack writes stays under python/ when unzipped, and layer-publish
//!   refuses a zip whose entries would leave it.
//!
//! One test runs them all and writes (or checks) the security table in
//! docs/reliability.md.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use layer_test_harness::{Account, FunctionSpec, REGION};
use layer_tools_e2e::tool_path;
use serde_json::{Value, json};

/// Distinctive values no tool has any reason to print. moto does not check
/// signatures, so any secret works with the account's access key.
const SECRET: &str = "i9SECRETcanary/ZX81+k3y+w1th+sl4sh3s";
const TOKEN: &str = "i9TOKENcanaryFwoGZXIvYXdzEJr//////////wEaDGx0b2tlbg==";

fn with_canary_credentials(account: &Account, tool: &str) -> assert_cmd::Command {
    let mut command = account.command(tool_path(tool));
    command
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_SESSION_TOKEN", TOKEN);
    command
}

/// Does any form of a secret show in the text (whole, or its distinctive
/// part, or URL- or base64-shaped)?
fn leaks(text: &str) -> Option<&'static str> {
    [
        SECRET,
        TOKEN,
        "i9SECRETcanary",
        "i9TOKENcanary",
        "ZX81%2Bk3y",
        "wEaDGx0b2tlbg",
    ]
    .into_iter()
    .find(|needle| text.contains(needle))
}

fn output_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn packed_record(dir: &Path, name: &str, files: &[(&str, &[u8])]) -> Value {
    use base64::Engine;
    use sha2::Digest;
    let bytes = layer_test_harness::zip_bytes(files);
    let path = dir.join(format!("{name}.zip"));
    std::fs::write(&path, &bytes).unwrap();
    let digest = sha2::Sha256::digest(&bytes);
    json!({
        "schema": "layer-record/v1",
        "layer": {"name": name, "version": "1.0.0",
                  "compatible_runtimes": ["python3.11"], "compatible_architectures": ["x86_64"]},
        "artifact": {
            "path": path.display().to_string(), "zip_bytes": bytes.len(),
            "unzipped_bytes": 10, "files": files.len(),
            "sha256": digest.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "code_sha256": base64::engine::general_purpose::STANDARD.encode(digest),
            "findings": [],
        }
    })
}

/// Every AWS tool, at -vv and at -vvv (trace, SDK internals included), on a
/// successful run and on failing ones: no secret in stdout or stderr.
async fn credentials_never_printed() -> Vec<String> {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let record = packed_record(dir.path(), "canary", &[("python/c.py", b"C = 1\n")]);
    let mut runs: Vec<(String, Output)> = Vec::new();
    for verbosity in ["-vv", "-vvv"] {
        let out = with_canary_credentials(&account, "layer-publish")
            .arg(verbosity)
            .write_stdin(format!("{record}\n"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
        let published: Value =
            serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
        runs.push((format!("publish {verbosity}"), out));
        let arn = published["published"]["version_arn"]
            .as_str()
            .unwrap()
            .to_string();
        if verbosity == "-vv" {
            account
                .create_function(REGION, &FunctionSpec::new("canary-fn"))
                .await;
        }
        let out = with_canary_credentials(&account, "layer-attach")
            .args([verbosity, "--function", "canary-fn"])
            .write_stdin(serde_json::to_string(&published).unwrap() + "\n")
            .output()
            .unwrap();
        assert!(out.status.code() == Some(0), "{}", output_text(&out));
        runs.push((format!("attach {verbosity}"), out));
        let out = with_canary_credentials(&account, "layer-watch")
            .args([verbosity, "canary"])
            .output()
            .unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            output_text(&out)
        );
        runs.push((format!("watch {verbosity}"), out));
        let _ = arn;
    }
    // Failures: an endpoint that refuses connections, and AWS errors.
    for tool in ["layer-publish", "layer-attach", "layer-watch"] {
        let mut command = with_canary_credentials(&account, tool);
        command
            .args([
                "-vvv",
                "--endpoint-url",
                "http://127.0.0.1:9",
                "--max-attempts",
                "1",
            ])
            .timeout(std::time::Duration::from_secs(60));
        let out = match tool {
            "layer-publish" => command.write_stdin(format!("{record}\n")).output(),
            "layer-attach" => command.arg("--function").arg("x").write_stdin(format!(
                "{{\"schema\":\"layer-record/v1\",\"published\":{{\"region\":\"{REGION}\",\"version_arn\":\"arn:aws:lambda:{REGION}:{}:layer:canary:1\",\"layer_arn\":\"arn:aws:lambda:{REGION}:{}:layer:canary\",\"version\":1}}}}\n",
                account.id, account.id
            )).output(),
            _ => command.arg("canary").output(),
        }
        .unwrap();
        assert_ne!(out.status.code(), Some(0), "{}", output_text(&out));
        runs.push((format!("{tool} unreachable endpoint"), out));
    }
    let out = with_canary_credentials(&account, "layer-watch")
        .args(["-vvv", "no-such-layer"])
        .output()
        .unwrap();
    runs.push(("watch missing layer".into(), out));

    let mut checked = Vec::new();
    for (what, out) in &runs {
        let text = output_text(out);
        assert!(
            text.len() > 100,
            "{what}: too little output to mean anything:\n{text}"
        );
        if what.contains("-vvv") {
            // The SDK's own trace was on: its signing logs were searched too.
            assert!(
                text.contains("canonical_request"),
                "{what}: no SDK trace:\n{text}"
            );
        }
        if let Some(needle) = leaks(&text) {
            panic!("{what} printed a credential ({needle}):\n{text}");
        }
        checked.push(what.clone());
    }
    checked
}

/// Publishing without --public grants nothing; --grant-account grants that
/// account only.
async fn public_never_implied() {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let plain = packed_record(dir.path(), "private", &[("python/p.py", b"P = 1\n")]);
    let granted = packed_record(dir.path(), "shared", &[("python/s.py", b"S = 1\n")]);
    let out = account
        .command(tool_path("layer-publish"))
        .write_stdin(format!("{plain}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let out = account
        .command(tool_path("layer-publish"))
        .args(["--grant-account", "111122223333", "--keep", "5"])
        .write_stdin(format!("{granted}\n"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let lambda = account.lambda(REGION).await;
    let policy = lambda
        .get_layer_version_policy()
        .layer_name("private")
        .version_number(1)
        .send()
        .await;
    match policy {
        Err(_) => {} // ResourceNotFoundException: no policy at all.
        Ok(policy) => {
            let text = policy.policy().unwrap_or_default();
            let statements = serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
            assert!(
                statements["Statement"]
                    .as_array()
                    .is_none_or(|s| s.is_empty()),
                "a policy on a layer published without grants: {text}"
            );
        }
    }
    let policy = lambda
        .get_layer_version_policy()
        .layer_name("shared")
        .version_number(1)
        .send()
        .await
        .expect("the granted layer has a policy");
    let text = policy.policy().unwrap_or_default();
    assert!(text.contains("111122223333"), "{text}");
    assert!(
        !text.contains("\"*\""),
        "public grant without --public: {text}"
    );
    assert!(!text.contains("OrganizationId"), "{text}");
}

/// Run python3 on a script with arguments; stdout.
fn python(script: &str, args: &[&Path]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Pack a layer whose files have hostile permissions, then extract the zip as
/// Lambda does (to an /opt-like folder) and check where and how files land.
fn packed_zip_is_readable_and_stays_in_python() -> usize {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let layer = root.path().join("layer");
    let write = |relative: &str, mode: u32| {
        let path = layer.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "X = 1\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    std::fs::create_dir_all(&layer).unwrap();
    std::fs::write(
        layer.join("layer.yaml"),
        "name: perms\ncompatible_runtimes: [python3.11]\ncompatible_architectures: [x86_64]\n",
    )
    .unwrap();
    write("python/perms/__init__.py", 0o600);
    write("python/perms/private.py", 0o400);
    write("python/perms/tool.sh", 0o700);
    write("python/perms/sub dir/ünï cödé.py", 0o640);
    write("python/perms/-dash.py", 0o604);
    let private_dir = layer.join("python/perms/closed");
    write("python/perms/closed/inner.py", 0o600);
    std::fs::set_permissions(&private_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    // A link inside the tree is packed as the file it points to, never as a link.
    std::os::unix::fs::symlink("__init__.py", layer.join("python/perms/alias.py")).unwrap();

    let out = Command::new(tool_path("layer-pack"))
        .current_dir(root.path())
        .arg(&layer)
        .args(["--out-dir", "dist", "--cache-dir", "cache"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let record: Value = serde_json::from_slice(&out.stdout).unwrap();
    let zip = Path::new(record["artifact"]["path"].as_str().unwrap()).to_path_buf();
    let zip = if zip.is_absolute() {
        zip
    } else {
        root.path().join(zip)
    };

    // Every entry: its name and Unix mode, as Lambda's unzip would see them.
    let listing = python(
        "import sys, zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist():\n    print(oct(i.external_attr >> 16), i.create_system, i.filename)",
        &[&zip],
    );
    let mut entries = 0;
    for line in listing.lines() {
        let mut parts = line.splitn(3, ' ');
        let (mode, system, name) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let mode = u32::from_str_radix(mode.trim_start_matches("0o"), 8).unwrap();
        assert_eq!(system, "3", "{name}: made by Unix, so the mode applies");
        assert!(name.starts_with("python/"), "{name}");
        assert!(!name.split('/').any(|p| p == ".."), "{name}");
        let kind = mode & 0o170000;
        assert_ne!(kind, 0o120000, "{name} is a symlink entry");
        // Readable (and for folders, enterable) by any user: Lambda's runtime
        // user owns none of the files.
        let needed = if name.ends_with('/') { 0o555 } else { 0o444 };
        assert_eq!(
            mode & needed,
            needed,
            "{name}: mode {mode:o} is not readable by others"
        );
        assert_eq!(
            mode & 0o022,
            0,
            "{name}: mode {mode:o} is writable by others"
        );
        if name.ends_with("tool.sh") {
            assert_eq!(mode & 0o111, 0o111, "{name}: executables stay executable");
        }
        entries += 1;
    }
    assert!(
        listing.contains("python/perms/closed/inner.py"),
        "{listing}"
    );
    assert!(listing.contains("python/perms/alias.py"), "{listing}");

    // Extract as Lambda does, into an /opt of our own: nothing lands outside
    // python/, and an unprivileged reader can read everything.
    let opt = root.path().join("opt");
    std::fs::create_dir_all(&opt).unwrap();
    python(
        "import sys, zipfile\nzipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])",
        &[&zip, &opt],
    );
    let top: Vec<String> = std::fs::read_dir(&opt)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(top, vec!["python".to_string()]);
    let mut outside: Vec<String> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "cache")
        .collect();
    outside.sort();
    assert_eq!(
        outside,
        ["dist", "layer", "opt"],
        "extraction wrote elsewhere"
    );
    entries
}

/// layer-publish refuses a zip whose entries would leave python/, whatever the
/// record says, and publishes nothing.
async fn publish_refuses_escaping_zips() -> usize {
    let account = Account::new().await;
    let dir = tempfile::tempdir().unwrap();
    let hostile: &[&str] = &[
        "../evil.py",
        "python/../../evil.py",
        "/opt/evil.py",
        "python\\..\\..\\evil.py",
        "extensions/evil",
    ];
    for (index, name) in hostile.iter().enumerate() {
        let record = packed_record(
            dir.path(),
            &format!("escape{index}"),
            &[("python/ok.py", b"OK = 1\n"), (name, b"EVIL = 1\n")],
        );
        let out = account
            .command(tool_path("layer-publish"))
            .write_stdin(format!("{record}\n"))
            .output()
            .unwrap();
        let text = output_text(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {text}");
        assert!(out.stdout.is_empty(), "{name}: {text}");
        assert!(text.contains(&format!("{name:?}")), "{name}: {text}");
    }
    assert!(support::aws_state(&account).await.layers.is_empty());
    hostile.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_properties_hold() {
    let checked = credentials_never_printed().await;
    public_never_implied().await;
    let entries = tokio::task::spawn_blocking(packed_zip_is_readable_and_stays_in_python)
        .await
        .unwrap();
    let refused = publish_refuses_escaping_zips().await;
    let table = [
        support::row(&["property", "how it is tried", "runs", "result"]),
        support::row(&["---", "---", "---:", "---"]),
        support::row(&[
            "credentials never printed",
            "publish, attach, watch at -vv and -vvv (SDK trace included), on success and on failures (unreachable endpoint, missing layer), with distinctive AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; stdout + stderr searched",
            &checked.len().to_string(),
            "no secret or token, whole or in part",
        ]),
        support::row(&[
            "`--public` never implied",
            "publish without grant flags; publish with --grant-account and --keep",
            "2",
            "no policy without grants; the granted account only, never `*`",
        ]),
        support::row(&[
            "packed files readable by Lambda's runtime user",
            "layer-pack on files of mode 0600, 0400, 0700, 0640, a 0700 folder, a link, unicode and leading-dash names",
            &entries.to_string(),
            "every entry made by Unix, readable by others (folders enterable), never writable by others, executables kept executable, no link entries",
        ]),
        support::row(&[
            "a layer zip never writes outside python/",
            "the packed zip extracted as Lambda does; layer-publish given zips with `../`, `python/../../`, an absolute path, `..\\`, a top-level folder",
            &(1 + refused).to_string(),
            "extraction lands in python/ only; every hostile zip refused (exit 2), nothing published",
        ]),
    ];
    support::reliability_section("security", &table.join("\n"));
}
