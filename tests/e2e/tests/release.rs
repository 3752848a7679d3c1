//! The release: cargo-dist's config (dist-workspace.toml) and the workflow it
//! generates (.github/workflows/release.yml) build the five tools for Linux x86_64
//! and aarch64 with checksums; each tool's binstall metadata names the archive dist
//! builds; the CI examples install the tools from a release (cached by version)
//! instead of a release build per job, and the install action's download script
//! checks checksums and falls back to a build only where the release has no binaries.
//!
//! `dist plan` (cargo-dist, `uv tool install astral-dev-toolchain-cargo-dist`) is
//! the authority on what a release holds; without `dist` on PATH (or DIST unset)
//! the checks that need its plan print a loud warning and are skipped, and
//! `LAYER_TOOLS_REQUIRE_DIST=1` turns that into a failure.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use layer_tools_e2e::{TOOLS, ci_example_files, find_program, warn_loudly};
use serde_json::Value;

const TARGETS: [&str; 2] = ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"];
const INSTALL_ACTION: &str = "./.github/actions/install-layer-tools";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn yaml(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// `dist plan --output-format=json` in the workspace, or None (with a loud
/// warning) where dist is not installed. dist fails when release.yml is not
/// what the config generates, so a successful plan also proves it up to date.
fn dist_plan() -> Option<Value> {
    let Some(dist) = find_program("dist", "DIST") else {
        if std::env::var_os("LAYER_TOOLS_REQUIRE_DIST").is_some_and(|v| v == "1") {
            panic!(
                "dist is not installed (not on PATH, DIST unset) and LAYER_TOOLS_REQUIRE_DIST=1 asks for it"
            );
        }
        warn_loudly(
            "WARNING: dist (cargo-dist) not found (not on PATH, DIST unset).\n\
             The release plan was NOT checked: the five tools x two targets, their checksums,\n\
             the binstall URLs against dist's archive names, release.yml up to date.\n\
             Install it: `uv tool install astral-dev-toolchain-cargo-dist` (docs/release.md);\n\
             LAYER_TOOLS_REQUIRE_DIST=1 turns this warning into a failure.",
        );
        return None;
    };
    let out = Command::new(dist)
        .args(["plan", "--output-format=json"])
        .current_dir(root())
        .output()
        .expect("dist runs");
    assert!(
        out.status.success(),
        "dist plan failed (is .github/workflows/release.yml out of date? `dist generate`):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("dist plan prints JSON"))
}

/// `cargo metadata` of the workspace's own packages (repository, version and
/// `[package.metadata]` as cargo resolves them, workspace inheritance included).
fn workspace_packages() -> Vec<Value> {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version=1", "--no-deps", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: Value = serde_json::from_slice(&out.stdout).unwrap();
    metadata["packages"].as_array().unwrap().clone()
}

fn tool_package(packages: &[Value], tool: &str) -> Value {
    packages
        .iter()
        .find(|p| p["name"] == tool)
        .unwrap_or_else(|| panic!("no package {tool}"))
        .clone()
}

fn workspace_version() -> String {
    let packages = workspace_packages();
    tool_package(&packages, "layer-pack")["version"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_dist_config_builds_static_linux_binaries_with_github_ci() {
    let text = std::fs::read_to_string(root().join("dist-workspace.toml")).unwrap();
    let config: toml::Table = toml::from_str(&text).expect("dist-workspace.toml parses");
    let dist = config["dist"].as_table().expect("[dist]");
    let targets: BTreeSet<&str> = dist["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        BTreeSet::from(TARGETS),
        "Linux x86_64 and aarch64, static musl"
    );
    assert_eq!(dist["ci"].as_str(), Some("github"));
    assert_eq!(dist["hosting"].as_str(), Some("github"));

    // dist generated the release workflow; it runs on a version tag and its build
    // matrix is dist's plan (checked against the config in the next test).
    let workflow = yaml(&root().join(".github/workflows/release.yml"));
    let tags = &workflow["on"]["push"]["tags"];
    assert!(
        tags.as_array()
            .unwrap()
            .iter()
            .any(|t| t.as_str().unwrap().contains("[0-9]+.[0-9]+.[0-9]+")),
        "release.yml runs on a version tag: {tags}"
    );
    let jobs = workflow["jobs"].as_object().unwrap();
    for job in [
        "plan",
        "build-local-artifacts",
        "build-global-artifacts",
        "host",
    ] {
        assert!(jobs.contains_key(job), "release.yml has no job {job}");
    }
    let build = &jobs["build-local-artifacts"];
    assert!(
        build["strategy"]["matrix"]
            .as_str()
            .unwrap()
            .contains("artifacts_matrix"),
        "the build matrix comes from dist's plan"
    );
    let version = workspace_version();
    let cargo_dist_version = dist["cargo-dist-version"].as_str().unwrap();
    let text = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    assert!(
        text.contains(&format!(
            "cargo-dist/releases/download/v{cargo_dist_version}/"
        )),
        "release.yml installs the pinned dist {cargo_dist_version} (workspace {version})"
    );
}

#[test]
fn the_release_plan_holds_every_tool_for_both_targets_with_checksums() {
    let Some(plan) = dist_plan() else { return };
    let version = workspace_version();
    assert_eq!(plan["announcement_tag"], format!("v{version}"));

    let apps: BTreeSet<&str> = plan["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["app_version"], version.as_str());
            r["app_name"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        apps,
        TOOLS.iter().copied().collect(),
        "dist releases exactly the five tools"
    );

    let matrix = plan["ci"]["github"]["artifacts_matrix"]["include"]
        .as_array()
        .unwrap();
    let built: BTreeSet<&str> = matrix
        .iter()
        .flat_map(|m| m["targets"].as_array().unwrap())
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(
        built,
        BTreeSet::from(TARGETS),
        "the CI matrix builds both targets"
    );

    let artifacts = &plan["artifacts"];
    for tool in TOOLS {
        for target in TARGETS {
            let name = format!("{tool}-{target}.tar.xz");
            let archive = &artifacts[&name];
            assert_eq!(archive["kind"], "executable-zip", "{name} in the plan");
            assert_eq!(archive["target_triples"][0], target);
            let executables: Vec<&str> = archive["assets"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["kind"] == "executable")
                .map(|a| a["name"].as_str().unwrap())
                .collect();
            assert_eq!(executables, [*tool], "{name} holds the binary {tool}");
            let checksum = archive["checksum"].as_str().expect("a checksum");
            assert_eq!(artifacts[checksum]["kind"], "checksum", "{checksum}");
        }
    }
    assert_eq!(artifacts["sha256.sum"]["kind"], "unified-checksum");
}

/// Fill a binstall template (`{ key }`); every placeholder must be known.
fn render(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (key, value) in values {
        out = out
            .replace(&format!("{{ {key} }}"), value)
            .replace(&format!("{{{key}}}"), value);
    }
    assert!(
        !out.contains('{'),
        "unknown placeholder left in {out} (from {template})"
    );
    out
}

#[test]
fn binstall_finds_the_archives_dist_builds() {
    let packages = workspace_packages();
    let plan = dist_plan();
    for tool in TOOLS {
        let package = tool_package(&packages, tool);
        let repo = package["repository"].as_str().expect("a repository");
        let version = package["version"].as_str().unwrap();
        let binstall = &package["metadata"]["binstall"];
        let pkg_url = binstall["pkg-url"].as_str().expect("pkg-url");
        let bin_dir = binstall["bin-dir"].as_str().expect("bin-dir");
        // binstall's first suffix for each format it could be.
        let suffix = match binstall["pkg-fmt"].as_str().expect("pkg-fmt") {
            "txz" => ".tar.xz",
            "tgz" => ".tar.gz",
            "zip" => ".zip",
            other => panic!("{tool}: pkg-fmt {other} is not what dist builds"),
        };
        for target in TARGETS {
            let values = [
                ("repo", repo),
                ("version", version),
                ("name", *tool),
                ("bin", *tool),
                ("target", target),
                ("archive-suffix", suffix),
                ("binary-ext", ""),
            ];
            let url = render(pkg_url, &values);
            let (base, archive) = url.rsplit_once('/').unwrap();
            assert_eq!(
                base,
                format!("{repo}/releases/download/v{version}"),
                "{tool}"
            );
            let binary = render(bin_dir, &values);
            let Some(plan) = &plan else { continue };
            let release = plan["releases"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["app_name"] == *tool)
                .unwrap();
            let github = &release["hosting"]["github"];
            let hosted = format!(
                "{}{}",
                github["artifact_base_url"].as_str().unwrap(),
                github["artifact_download_path"].as_str().unwrap()
            );
            assert_eq!(base, hosted, "{tool}: binstall looks where dist uploads");
            let artifact = &plan["artifacts"][archive];
            assert_eq!(
                artifact["kind"], "executable-zip",
                "{tool}: {archive} is not in dist's plan"
            );
            // A dist tarball holds one folder named after the archive.
            let folder = archive.strip_suffix(".tar.xz").expect("a .tar.xz archive");
            let inside: Vec<String> = artifact["assets"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["kind"] == "executable")
                .map(|a| format!("{folder}/{}", a["path"].as_str().unwrap()))
                .collect();
            assert_eq!(
                inside,
                [binary],
                "{tool}: bin-dir names the binary in {archive}"
            );
        }
    }
}

/// Every workflow and action under examples/ci/, parsed.
fn ci_examples() -> Vec<(PathBuf, Value)> {
    ci_example_files()
        .into_iter()
        .map(|path| (path.clone(), yaml(&path)))
        .collect()
}

fn runs_a_tool(step: &Value) -> bool {
    step["run"]
        .as_str()
        .is_some_and(|run| run.split_whitespace().any(|word| TOOLS.contains(&word)))
}

#[test]
fn the_ci_examples_install_the_tools_from_a_pinned_release() {
    let version = workspace_version();
    let examples = ci_examples();
    let mut installs = 0;
    for (path, example) in &examples {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(
            !text.contains("cargo install"),
            "{}: the tools come from a release, not a build per job",
            path.display()
        );
        let Some(jobs) = example["jobs"].as_object() else {
            continue;
        };
        assert_eq!(
            example["env"]["LAYER_TOOLS_VERSION"],
            version.as_str(),
            "{}: the pinned release is the workspace's version",
            path.display()
        );
        for (name, job) in jobs {
            let steps = job["steps"].as_array().cloned().unwrap_or_default();
            let Some(first_tool) = steps.iter().position(runs_a_tool) else {
                continue;
            };
            let install = steps
                .iter()
                .position(|s| s["uses"] == INSTALL_ACTION)
                .unwrap_or_else(|| {
                    panic!(
                        "{}: job {name} runs the tools without installing them",
                        path.display()
                    )
                });
            assert!(
                install < first_tool,
                "{}: job {name} installs after it runs a tool",
                path.display()
            );
            assert_eq!(
                steps[install]["with"]["version"],
                "${{ env.LAYER_TOOLS_VERSION }}"
            );
            let checkout = steps
                .iter()
                .position(|s| {
                    s["uses"]
                        .as_str()
                        .is_some_and(|u| u.starts_with("actions/checkout@"))
                })
                .unwrap_or_else(|| {
                    panic!(
                        "{}: job {name} uses a local action without a checkout",
                        path.display()
                    )
                });
            assert!(
                checkout < install,
                "{}: job {name} checks out after the install",
                path.display()
            );
            installs += 1;
        }
    }
    assert!(
        installs >= 3,
        "the build, deploy and rollback jobs install the tools ({installs})"
    );
}

fn install_action() -> Value {
    yaml(&root().join("examples/ci/actions/install-layer-tools/action.yml"))
}

fn action_step<'a>(action: &'a Value, name_starts: &str) -> &'a Value {
    action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["name"]
                .as_str()
                .is_some_and(|n| n.starts_with(name_starts))
        })
        .unwrap_or_else(|| panic!("the install action has no step {name_starts}..."))
}

#[test]
fn the_install_action_caches_by_version_and_builds_only_without_release_binaries() {
    let action = install_action();
    assert_eq!(action["runs"]["using"], "composite");
    let cache = action_step(&action, "Restore");
    assert!(
        cache["uses"]
            .as_str()
            .unwrap()
            .starts_with("actions/cache@")
    );
    let key = cache["with"]["key"].as_str().unwrap();
    assert!(
        key.contains("inputs.version") && key.contains("runner.arch"),
        "cache key {key}"
    );
    let cached: BTreeSet<&str> = cache["with"]["path"].as_str().unwrap().lines().collect();
    let expected: BTreeSet<String> = TOOLS.iter().map(|t| format!("~/.cargo/bin/{t}")).collect();
    assert_eq!(cached, expected.iter().map(String::as_str).collect());

    let miss = "steps.cache.outputs.cache-hit != 'true'";
    assert_eq!(action_step(&action, "Download")["if"], miss);
    let no_binaries = format!("{miss} && steps.release.outputs.found != 'true'");
    let checkout = action_step(&action, "Check out the release tag");
    assert_eq!(checkout["if"], no_binaries.as_str());
    assert_eq!(checkout["with"]["ref"], "v${{ inputs.version }}");
    let build = action_step(&action, "Build");
    assert_eq!(build["if"], no_binaries.as_str());
    let script = build["run"].as_str().unwrap();
    assert!(
        script.contains("cargo build --locked --release"),
        "{script}"
    );
    for tool in TOOLS {
        assert!(
            script.contains(&format!("-p {tool}")),
            "the fallback builds {tool}"
        );
    }
}

/// A fake release: each tool's dist archive (NAME-TARGET/NAME, a script that
/// answers `--version`) and its .sha256 in dist's format.
fn fake_release(dir: &Path, target: &str, version: &str) {
    for tool in TOOLS {
        let folder = dir.join(format!("{tool}-{target}"));
        std::fs::create_dir_all(&folder).unwrap();
        let binary = folder.join(tool);
        std::fs::write(&binary, format!("#!/bin/sh\necho '{tool} {version}'\n")).unwrap();
        sh(
            dir,
            &format!(
                "chmod 755 {0}-{1}/{0} && tar -cJf {0}-{1}.tar.xz {0}-{1} && rm -r {0}-{1}",
                tool, target
            ),
        );
        sh(
            dir,
            &format!("sha256sum --binary {tool}-{target}.tar.xz > {tool}-{target}.tar.xz.sha256"),
        );
    }
}

fn sh(dir: &Path, script: &str) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "{script}");
}

/// A `curl` that serves `curl -O URL ...` from a folder and logs the URLs.
fn fake_curl(bin: &Path, release: &Path, log: &Path) {
    let script = format!(
        "#!/bin/bash\nfor arg in \"$@\"; do\n  case \"$arg\" in\n    https://*)\n      echo \"$arg\" >> '{log}'\n      \
         cp '{release}'/\"${{arg##*/}}\" . 2>/dev/null || exit 22 ;;\n  esac\ndone\n",
        log = log.display(),
        release = release.display()
    );
    let path = bin.join("curl");
    std::fs::write(&path, script).unwrap();
    sh(bin, "chmod 755 curl");
}

struct StepRun {
    success: bool,
    outputs: String,
    /// stdout and stderr.
    output: String,
    home: tempfile::TempDir,
}

/// Run a `run:` script of the install action as GitHub would (bash, the step's
/// env), with `curl` served from `release`.
fn run_step(script: &str, release: &Path, version: &str, log: &Path) -> StepRun {
    let home = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    fake_curl(bin.path(), release, log);
    let outputs = home.path().join("github-output");
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(home.path())
        .env("PATH", path)
        .env("HOME", home.path())
        .env("GITHUB_OUTPUT", &outputs)
        .env("GITHUB_PATH", home.path().join("github-path"))
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("REPOSITORY", "layer-tools/layer-tools")
        .env("VERSION", version)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    StepRun {
        success: out.status.success(),
        outputs: std::fs::read_to_string(outputs).unwrap_or_default(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        home,
    }
}

/// Run the action's last step (PATH and `--version` check) over the tools in HOME.
fn version_check(script: &str, home: &Path, version: &str) -> bool {
    Command::new("bash")
        .arg("-c")
        .arg(script)
        .env("HOME", home)
        .env("GITHUB_PATH", home.join("github-path"))
        .env("VERSION", version)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
        .status
        .success()
}

fn host_target() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => TARGETS[0],
        "aarch64" => TARGETS[1],
        other => panic!("no release target for {other}"),
    }
}

#[test]
fn the_install_action_installs_checked_release_binaries_or_falls_back() {
    let action = install_action();
    let download = action_step(&action, "Download")["run"]
        .as_str()
        .unwrap()
        .to_string();
    let check = action_step(&action, "Put the tools on PATH")["run"]
        .as_str()
        .unwrap()
        .to_string();
    let version = "9.8.7";
    let target = host_target();
    let work = tempfile::tempdir().unwrap();
    let release = work.path().join("release");
    std::fs::create_dir(&release).unwrap();
    fake_release(&release, target, version);
    let log = work.path().join("urls");

    // The release's binaries: every archive from the tag's download URL, all five
    // installed, and they pass the version check.
    let good = run_step(&download, &release, version, &log);
    assert!(good.success, "{}", good.output);
    assert_eq!(good.outputs.trim(), "found=true");
    let urls = std::fs::read_to_string(&log).unwrap();
    for tool in TOOLS {
        let url = format!(
            "https://github.com/layer-tools/layer-tools/releases/download/v{version}/{tool}-{target}.tar.xz"
        );
        assert!(urls.lines().any(|u| u == url), "{url} not fetched: {urls}");
        assert!(
            urls.lines().any(|u| u == format!("{url}.sha256")),
            "{url}.sha256 not fetched"
        );
        assert!(
            good.home.path().join(".cargo/bin").join(tool).is_file(),
            "{tool} installed"
        );
    }
    assert!(
        version_check(&check, good.home.path(), version),
        "the installed tools answer --version {version}"
    );
    assert!(
        !version_check(&check, good.home.path(), "9.8.8"),
        "a tool of another version fails the check"
    );

    // A tampered archive: the checksum check fails the step, nothing installed.
    let tampered = release.join(format!("layer-attach-{target}.tar.xz"));
    let mut bytes = std::fs::read(&tampered).unwrap();
    bytes.push(0);
    std::fs::write(&tampered, bytes).unwrap();
    let bad = run_step(&download, &release, version, &log);
    assert!(!bad.success, "a checksum mismatch must fail the job");
    assert!(
        bad.output
            .contains(&format!("layer-attach-{target}.tar.xz: FAILED")),
        "sha256sum says which: {}",
        bad.output
    );
    assert!(
        !bad.home.path().join(".cargo/bin/layer-bump").exists(),
        "nothing installed"
    );

    // No binaries in the release: the step succeeds with found=false, so the
    // build-from-tag steps run.
    std::fs::remove_file(release.join(format!("layer-watch-{target}.tar.xz"))).unwrap();
    std::fs::remove_file(&tampered).unwrap();
    let missing = run_step(&download, &release, version, &log);
    assert!(missing.success, "{}", missing.output);
    assert_eq!(missing.outputs.trim(), "found=false");
}

/// `cargo install --path` still builds a working tool (a release build: minutes,
/// so by hand: `cargo test -p layer-tools-e2e --test release -- --ignored`).
#[test]
#[ignore = "a release build of layer-pack, minutes"]
fn cargo_install_path_still_works() {
    let root_dir = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO"))
        .args(["install", "--locked", "--path", "layer-pack", "--root"])
        .arg(root_dir.path())
        .current_dir(root())
        .status()
        .unwrap();
    assert!(status.success(), "cargo install --path layer-pack");
    let out = Command::new(root_dir.path().join("bin/layer-pack"))
        .arg("--version")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("layer-pack {}", workspace_version())
    );
}
