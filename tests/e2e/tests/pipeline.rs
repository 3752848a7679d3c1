//! The whole pipe, as the README shows it, against moto_server:
//! `layer-bump | layer-pack | layer-publish | layer-attach` on a copy of
//! `examples/layers` (both layers) in a scratch git repository, then a change to
//! the library, a second deploy, and `layer-attach --undo` of each deploy.
//!
//! `examples/layers/common` is declared as the guide declares it (python3.11
//! and python3.12, x86_64 and arm64) and has native dependencies, so it packs
//! into two builds, `makoto-common` and `makoto-common-arm64`; the dev
//! functions run on both architectures.
//!
//! Checked: the record at the end of the pipe carries every stage's section and
//! the stages agree with each other; each function gets the build of its
//! architecture, in place; the x86_64 zip, extracted and laid out as Lambda
//! does (`python/lib/python3.11/site-packages`, then `python/`), imports under
//! the local python3.11 with no site-packages at all, and the C extensions that
//! load are the cp311 ones from that folder; under python3.12 too where this
//! machine has one (the one layer-pack's import proof found: pyenv's, here);
//! the arm64 zip's extensions are aarch64 by their ELF header and named for
//! each Python; `--undo` restores every function's layer list exactly, order
//! and foreign layers included.

use std::path::{Path, PathBuf};
use std::process::Command;

use layer_test_harness::schema::parse_valid_lines;
use layer_test_harness::{Account, FunctionSpec, REGION};
use layer_tools_e2e::{copy_tree, examples_dir, tool_path};
use serde_json::{Value, json};

/// A scratch git repository holding a copy of `examples/layers`.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&examples_dir().join("layers"), &dir.path().join("layers"));
        let scratch = Scratch { dir };
        scratch.git(&["init", "--quiet"]);
        scratch.commit("feat: makoto-common and makoto-tenant layers");
        scratch
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.path())
            .args([
                "-c",
                "user.name=Test",
                "-c",
                "user.email=test@example.invalid",
            ])
            .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "--all", "layers"]);
        self.git(&["commit", "--quiet", "-m", message]);
    }

    /// The shell pipe of a deploy (one version record per layer, each with its
    /// own tag prefix, as several layers in one repository are meant to be run).
    fn pipe(&self, attach_args: &str) -> String {
        let [bump, pack, publish, attach] =
            ["layer-bump", "layer-pack", "layer-publish", "layer-attach"]
                .map(|tool| shell_quote(&tool_path(tool)));
        let repo = shell_quote(self.path());
        let cache = shell_quote(&self.path().join("pack-cache"));
        let dist = shell_quote(&self.path().join("dist"));
        format!(
            "{{ {bump} -C {repo} --path layers/common --tag-prefix makoto-common-v --tag; \
               {bump} -C {repo} --path layers/tenant --tag-prefix makoto-tenant-v --tag; }} \
             | {pack} --cache-dir {cache} --out-dir {dist} {repo}/layers/common {repo}/layers/tenant \
             | {publish} \
             | {attach} {attach_args}"
        )
    }
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// Run a shell snippet with the account's AWS environment; its stdout records.
fn sh(account: &Account, script: &str, stdin: &str) -> Vec<Value> {
    let out = account
        .command("bash")
        .args(["-o", "pipefail", "-c", script])
        .write_stdin(stdin)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{script}\nstderr:\n{stderr}");
    parse_valid_lines(&out.stdout)
}

/// The record of one layer.
fn record<'a>(records: &'a [Value], layer: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["layer"]["name"] == layer)
        .unwrap_or_else(|| panic!("no record of {layer} in {records:#?}"))
}

/// Every function's layer list, by name.
async fn layer_lists(account: &Account, names: &[&str]) -> Vec<(String, Vec<String>)> {
    let mut lists = Vec::new();
    for name in names {
        lists.push((
            name.to_string(),
            account.function_layers(REGION, name).await,
        ));
    }
    lists
}

fn attachment<'a>(record: &'a Value, function: &str) -> &'a Value {
    record["attachments"]
        .as_array()
        .expect("attachments")
        .iter()
        .find(|e| e["function"] == function)
        .unwrap_or_else(|| panic!("no attachment of {function} in {record:#}"))
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

/// Every stage's section is there, and the stages agree about the layer.
fn assert_full_story(record: &Value, layer: &str, version: &str) {
    for section in ["version", "layer", "artifact", "published", "attachments"] {
        assert!(
            record.get(section).is_some(),
            "no `{section}` in {record:#}"
        );
    }
    assert_eq!(record["version"]["next"], version, "{record:#}");
    assert_eq!(record["layer"]["name"], layer);
    assert_eq!(record["layer"]["version"], version);
    assert_eq!(record["published"]["layer_name"], layer);
    assert_eq!(record["published"]["semantic_version"], version);
    assert_eq!(
        record["published"]["code_sha256"], record["artifact"]["code_sha256"],
        "AWS's CodeSha256 is the hash of the zip layer-pack wrote"
    );
}

/// Extract the zips into one folder, as Lambda extracts layers into /opt, put
/// the layers' folders on `sys.path` as Lambda does for the interpreter's
/// version (`python/lib/pythonX.Y/site-packages`, then `python/`), and import
/// everything with `python` without any site-packages (-S), so every module
/// can only come from the layers. Returns what the library reports, and where
/// each compiled extension was loaded from.
fn import_layers(python: &Path, zips: &[PathBuf]) -> Value {
    let opt = tempfile::tempdir().unwrap();
    let code = r#"
import json, sys, zipfile
opt = sys.argv[1]
for z in sys.argv[2:]:
    zipfile.ZipFile(z).extractall(opt)
sys.path[:0] = [opt + "/python/lib/python%d.%d/site-packages" % sys.version_info[:2], opt + "/python"]
import makoto_common, makoto_common.http, makoto_common.config, makoto_common.utils
import makoto_tenant, requests, yaml, attrs, urllib3, idna, certifi, charset_normalizer
import yaml._yaml, charset_normalizer.md
modules = [makoto_common, makoto_tenant, requests, yaml, attrs, urllib3, idna, certifi, charset_normalizer]
outside = [m.__name__ for m in modules if not m.__file__.startswith(opt)]
session = makoto_common.http.session()
print(json.dumps({
    "outside": outside,
    "libyaml": yaml.__with_libyaml__,
    "extensions": sorted(m.__file__[len(opt):] for m in list(sys.modules.values())
                         if (getattr(m, "__file__", None) or "").startswith(opt)
                         and m.__file__.endswith(".so")),
    "config": makoto_common.config.load("tenant: acme\nlimits: [1, 2]\n"),
    "tenant": makoto_tenant.from_event({"headers": {"X-Tenant-Id": "acme"}}).id,
    "versions": makoto_common.dependency_versions(),
    "first": getattr(makoto_common.utils, "first", lambda items: None)([7, 8]),
}))
"#;
    let out = Command::new(python)
        .args(["-I", "-S", "-c", code])
        .arg(opt.path())
        .args(zips)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "importing the packed layers with {} failed:\n{}",
        python.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The x86_64 build's C extensions, as one Python loaded them: each from its
/// version's site-packages, for its version and this CPU.
fn assert_extensions_of(imported: &Value, python: &str) {
    let digits = python.replace('.', "");
    let extensions = strings(&imported["extensions"]);
    assert!(
        extensions.contains(&format!(
            "/python/lib/python{python}/site-packages/yaml/_yaml.cpython-{digits}-x86_64-linux-gnu.so"
        )),
        "{extensions:#?}"
    );
    assert!(
        extensions.iter().any(|e| e.starts_with(&format!(
            "/python/lib/python{python}/site-packages/charset_normalizer/md.cpython-{digits}-x86_64-linux-gnu.so"
        ))),
        "{extensions:#?}"
    );
    for extension in &extensions {
        assert!(
            extension.starts_with(&format!("/python/lib/python{python}/site-packages/"))
                && extension.contains(&format!("cpython-{digits}-x86_64-linux-gnu")),
            "{extension} is not python{python}'s: {extensions:#?}"
        );
    }
}

/// Every shared library of a zip: its path, its CPU by the ELF header
/// (`e_machine`), and its CPython tag (read with Python's zipfile).
fn shared_libraries(zip: &Path) -> Vec<(String, String)> {
    let code = r#"
import json, struct, sys, zipfile
machines = {62: "x86_64", 183: "aarch64"}
found = []
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in z.namelist():
        if name.endswith(".so") or ".so." in name:
            head = z.read(name)[:20]
            assert head[:4] == b"ELF", name
            machine = struct.unpack("<H", head[18:20])[0]
            found.append([name, machines.get(machine, str(machine))])
print(json.dumps(found))
"#;
    let out = Command::new("python3")
        .args(["-I", "-c", code])
        .arg(zip)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The arm64 build holds aarch64 code only, each extension named for its Python.
fn assert_arm64_build(zip: &Path) {
    let libraries = shared_libraries(zip);
    for python in ["3.11", "3.12"] {
        let digits = python.replace('.', "");
        let extension = format!(
            "python/lib/python{python}/site-packages/yaml/_yaml.cpython-{digits}-aarch64-linux-gnu.so"
        );
        assert!(
            libraries.iter().any(|(name, _)| *name == extension),
            "{extension} not in {libraries:#?}"
        );
    }
    assert!(libraries.len() >= 4, "{libraries:#?}");
    for (name, machine) in &libraries {
        assert_eq!(machine, "aarch64", "{name}");
        let tag_fits = ["311", "312"].iter().any(|digits| {
            name.contains(&format!("/python3.{}/site-packages/", &digits[1..]))
                && name.contains(&format!("cpython-{digits}-aarch64-linux-gnu"))
        });
        assert!(tag_fits, "{name} is not named for its Python on aarch64");
    }
}

/// The python3.12 that layer-pack's import proof used for the x86_64 build,
/// when this machine has one (pyenv's here; see docs/layer-pack.md).
fn proof_python(record: &Value, target: &str) -> Option<PathBuf> {
    record["artifact"]["import_proof"]
        .as_array()?
        .iter()
        .find(|p| p["target"] == target && p["proven"] == true)
        .and_then(|p| p["interpreter"].as_str())
        .map(PathBuf::from)
}

fn zip_path(record: &Value) -> PathBuf {
    PathBuf::from(record["artifact"]["path"].as_str().expect("artifact.path"))
}

#[tokio::test(flavor = "multi_thread")]
async fn bump_pack_publish_attach_then_undo() {
    let account = Account::new().await;
    let vendor = account
        .publish_layer(REGION, "acme-vendor", &[("python/acme.py", b"X = 1\n")])
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("makoto-api-dev").layer(&vendor))
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("makoto-worker-dev"))
        .await;
    // A Graviton function: it must get the arm64 build.
    account
        .create_function(
            REGION,
            &FunctionSpec::new("makoto-arm-dev")
                .architecture("arm64")
                .runtime("python3.12")
                .layer(&vendor),
        )
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("makoto-api-prod").layer(&vendor))
        .await;
    let functions = [
        "makoto-api-dev",
        "makoto-worker-dev",
        "makoto-arm-dev",
        "makoto-api-prod",
    ];
    let initial = layer_lists(&account, &functions).await;

    // Deploy 1: both layers onto the dev functions; makoto-common in two builds.
    let scratch = Scratch::new();
    let deploy1 = sh(&account, &scratch.pipe("--match 'makoto-*-dev'"), "");
    assert_eq!(deploy1.len(), 3, "{deploy1:#?}");
    let common1 = record(&deploy1, "makoto-common");
    let arm1 = record(&deploy1, "makoto-common-arm64");
    let tenant1 = record(&deploy1, "makoto-tenant");
    assert_full_story(common1, "makoto-common", "0.1.0");
    assert_full_story(arm1, "makoto-common-arm64", "0.1.0");
    assert_full_story(tenant1, "makoto-tenant", "0.1.0");
    assert_eq!(
        common1["layer"]["compatible_architectures"],
        json!(["x86_64"])
    );
    assert_eq!(arm1["layer"]["compatible_architectures"], json!(["arm64"]));
    assert_eq!(
        arm1["published"]["compatible_architectures"],
        json!(["arm64"])
    );
    assert_eq!(arm1["layer"]["family"]["name"], "makoto-common");
    assert_eq!(
        tenant1["layer"]["compatible_architectures"],
        json!(["x86_64", "arm64"]),
        "the pure-Python layer is one build for both"
    );
    let common_v1 = common1["published"]["version_arn"].as_str().unwrap();
    let arm_v1 = arm1["published"]["version_arn"].as_str().unwrap();
    let tenant_v1 = tenant1["published"]["version_arn"].as_str().unwrap();
    let api = attachment(common1, "makoto-api-dev");
    assert_eq!(api["status"], "updated");
    assert_eq!(
        strings(&api["after"]),
        [vendor.as_str(), common_v1, tenant_v1],
        "the foreign layer stays first, both layers are appended in order"
    );
    let arm = attachment(arm1, "makoto-arm-dev");
    assert_eq!(arm["status"], "updated");
    assert_eq!(strings(&arm["after"]), [vendor.as_str(), arm_v1, tenant_v1]);
    assert!(
        common1["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["function"] != "makoto-arm-dev"),
        "the arm64 function is not given the x86_64 build"
    );
    let after1 = layer_lists(&account, &functions).await;
    assert_eq!(after1[0].1, [vendor.as_str(), common_v1, tenant_v1]);
    assert_eq!(after1[1].1, [common_v1, tenant_v1]);
    assert_eq!(after1[2].1, [vendor.as_str(), arm_v1, tenant_v1]);
    assert_eq!(after1[3], initial[3], "the prod function was not chosen");

    // The packed layers import for real, dependencies and native code included,
    // laid out as Lambda lays them out for python3.11.
    let zips = [zip_path(common1), zip_path(tenant1)];
    let imported = import_layers(Path::new("python3.11"), &zips);
    assert_eq!(imported["outside"], json!([]), "{imported:#}");
    assert_eq!(imported["libyaml"], true, "PyYAML's C extension loads");
    assert_extensions_of(&imported, "3.11");
    assert_eq!(imported["tenant"], "acme");
    assert_eq!(imported["config"]["limits"], json!([1, 2]));
    assert_eq!(imported["versions"]["requests"], "2.32.3", "{imported:#}");
    assert_eq!(imported["versions"]["PyYAML"], "6.0.2");
    // And for python3.12, with the interpreter layer-pack's proof found.
    match proof_python(common1, "python3.12/x86_64") {
        Some(python312) => {
            let imported = import_layers(&python312, &zips);
            assert_eq!(imported["libyaml"], true);
            assert_extensions_of(&imported, "3.12");
        }
        None => eprintln!(
            "no local Python 3.12 (layer-pack's proof says why: {}); the x86_64 build was imported under python3.11 only",
            common1["artifact"]["import_proof"]
        ),
    }
    // The arm64 build cannot run here: its extensions are checked by their ELF header and names.
    assert_arm64_build(&zip_path(arm1));

    // A change to the library, and the roll-forward of the layers' users.
    let utils = scratch
        .path()
        .join("layers/common/python/makoto_common/utils.py");
    let mut text = std::fs::read_to_string(&utils).unwrap();
    text.push_str("\n\ndef first(items, default=None):\n    return next(iter(items), default)\n");
    std::fs::write(&utils, text).unwrap();
    scratch.commit("feat(utils): first()");
    let deploy2 = sh(&account, &scratch.pipe(""), "");
    let common2 = record(&deploy2, "makoto-common");
    let arm2 = record(&deploy2, "makoto-common-arm64");
    let tenant2 = record(&deploy2, "makoto-tenant");
    assert_full_story(common2, "makoto-common", "0.2.0");
    assert_full_story(arm2, "makoto-common-arm64", "0.2.0");
    assert_full_story(tenant2, "makoto-tenant", "0.1.0");
    assert_eq!(common2["published"]["version"], 2);
    assert_eq!(arm2["published"]["version"], 2);
    assert_eq!(
        tenant2["published"]["reused"], true,
        "the unchanged layer packs to the same bytes and is not published again"
    );
    assert_eq!(
        import_layers(
            Path::new("python3.11"),
            &[zip_path(common2), zip_path(tenant2)]
        )["first"],
        7
    );
    let common_v2 = common2["published"]["version_arn"].as_str().unwrap();
    let arm_v2 = arm2["published"]["version_arn"].as_str().unwrap();
    let after2 = layer_lists(&account, &functions).await;
    assert_eq!(after2[0].1, [vendor.as_str(), common_v2, tenant_v1]);
    assert_eq!(after2[1].1, [common_v2, tenant_v1]);
    assert_eq!(
        after2[2].1,
        [vendor.as_str(), arm_v2, tenant_v1],
        "the arm64 user rolls forward on its own build, in place"
    );
    assert_eq!(after2[3], initial[3]);

    // Undo the second deploy, then the first: each restores every list exactly.
    let attach = shell_quote(&tool_path("layer-attach"));
    let deploy2_lines: String = deploy2.iter().map(|r| format!("{r}\n")).collect();
    let undo2 = sh(&account, &format!("{attach} --undo"), &deploy2_lines);
    assert!(!undo2.is_empty());
    assert_eq!(layer_lists(&account, &functions).await, after1);
    let deploy1_lines: String = deploy1.iter().map(|r| format!("{r}\n")).collect();
    sh(&account, &format!("{attach} --undo -"), &deploy1_lines);
    assert_eq!(layer_lists(&account, &functions).await, initial);
}
