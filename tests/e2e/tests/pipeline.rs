//! The whole pipe, as the README shows it, against moto_server:
//! `layer-bump | layer-pack | layer-publish | layer-attach` on a copy of
//! `examples/layers` (both layers) in a scratch git repository, then a change to
//! the library, a second deploy, and `layer-attach --undo` of each deploy.
//!
//! Checked: the record at the end of the pipe carries every stage's section and
//! the stages agree with each other; the packed zips, extracted like Lambda does,
//! import the libraries and their dependencies under the local python3 with no
//! site-packages at all (a real import of the real layer, native extension
//! included); `--undo` restores every function's layer list exactly, order and
//! foreign layers included.

use std::path::{Path, PathBuf};
use std::process::Command;

use layer_test_harness::schema::parse_valid_lines;
use layer_test_harness::{Account, FunctionSpec, REGION};
use layer_tools_e2e::{copy_tree, examples_dir, tool_path};
use serde_json::Value;

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

/// Extract the zips into one folder, as Lambda extracts layers into /opt, and
/// import everything with the local python3 without any site-packages (-S), so
/// every module can only come from the layers. Returns what the library reports.
fn import_layers(zips: &[PathBuf]) -> Value {
    let opt = tempfile::tempdir().unwrap();
    let code = r#"
import json, sys, zipfile
opt = sys.argv[1]
for z in sys.argv[2:]:
    zipfile.ZipFile(z).extractall(opt)
sys.path.insert(0, opt + "/python")
import makoto_common, makoto_common.http, makoto_common.config, makoto_common.utils
import makoto_tenant, requests, yaml, attrs, urllib3, idna, certifi, charset_normalizer
modules = [makoto_common, makoto_tenant, requests, yaml, attrs, urllib3, idna, certifi, charset_normalizer]
outside = [m.__name__ for m in modules if not m.__file__.startswith(opt)]
session = makoto_common.http.session()
print(json.dumps({
    "outside": outside,
    "libyaml": yaml.__with_libyaml__,
    "config": makoto_common.config.load("tenant: acme\nlimits: [1, 2]\n"),
    "tenant": makoto_tenant.from_event({"headers": {"X-Tenant-Id": "acme"}}).id,
    "versions": makoto_common.dependency_versions(),
    "first": getattr(makoto_common.utils, "first", lambda items: None)([7, 8]),
}))
"#;
    let out = Command::new("python3")
        .args(["-I", "-S", "-c", code])
        .arg(opt.path())
        .args(zips)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "importing the packed layers failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
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
    account
        .create_function(REGION, &FunctionSpec::new("makoto-api-prod").layer(&vendor))
        .await;
    let functions = ["makoto-api-dev", "makoto-worker-dev", "makoto-api-prod"];
    let initial = layer_lists(&account, &functions).await;

    // Deploy 1: both layers onto the dev functions.
    let scratch = Scratch::new();
    let deploy1 = sh(&account, &scratch.pipe("--match 'makoto-*-dev'"), "");
    assert_eq!(deploy1.len(), 2, "{deploy1:#?}");
    let common1 = record(&deploy1, "makoto-common");
    let tenant1 = record(&deploy1, "makoto-tenant");
    assert_full_story(common1, "makoto-common", "0.1.0");
    assert_full_story(tenant1, "makoto-tenant", "0.1.0");
    let common_v1 = common1["published"]["version_arn"].as_str().unwrap();
    let tenant_v1 = tenant1["published"]["version_arn"].as_str().unwrap();
    let api = attachment(common1, "makoto-api-dev");
    assert_eq!(api["status"], "updated");
    assert_eq!(
        strings(&api["after"]),
        [vendor.as_str(), common_v1, tenant_v1],
        "the foreign layer stays first, both layers are appended in order"
    );
    let after1 = layer_lists(&account, &functions).await;
    assert_eq!(after1[0].1, [vendor.as_str(), common_v1, tenant_v1]);
    assert_eq!(after1[1].1, [common_v1, tenant_v1]);
    assert_eq!(after1[2], initial[2], "the prod function was not chosen");

    // The packed layers import for real, dependencies and native code included.
    let imported = import_layers(&[zip_path(common1), zip_path(tenant1)]);
    assert_eq!(imported["outside"], serde_json::json!([]), "{imported:#}");
    assert_eq!(imported["libyaml"], true, "PyYAML's C extension loads");
    assert_eq!(imported["tenant"], "acme");
    assert_eq!(imported["config"]["limits"], serde_json::json!([1, 2]));
    assert_eq!(imported["versions"]["requests"], "2.32.3", "{imported:#}");
    assert_eq!(imported["versions"]["PyYAML"], "6.0.2");

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
    let tenant2 = record(&deploy2, "makoto-tenant");
    assert_full_story(common2, "makoto-common", "0.2.0");
    assert_full_story(tenant2, "makoto-tenant", "0.1.0");
    assert_eq!(common2["published"]["version"], 2);
    assert_eq!(
        tenant2["published"]["reused"], true,
        "the unchanged layer packs to the same bytes and is not published again"
    );
    assert_eq!(
        import_layers(&[zip_path(common2), zip_path(tenant2)])["first"],
        7
    );
    let common_v2 = common2["published"]["version_arn"].as_str().unwrap();
    let after2 = layer_lists(&account, &functions).await;
    assert_eq!(after2[0].1, [vendor.as_str(), common_v2, tenant_v1]);
    assert_eq!(after2[1].1, [common_v2, tenant_v1]);
    assert_eq!(after2[2], initial[2]);

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
