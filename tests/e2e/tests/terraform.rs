//! Terraform interoperability (docs/terraform.md): the `code_sha256` of a
//! layer-pack record is Terraform's `filebase64sha256` of the zip, and packing
//! the same tree again (other mtimes, another folder) gives the same value, so
//! `source_code_hash` stays stable and Terraform sees no change.
//!
//! Terraform is run as `terraform console` in an empty folder, with an empty CLI
//! configuration apart from `disable_checkpoint`, `CHECKPOINT_DISABLE=1`, and no
//! providers: it evaluates the function offline and sends nothing anywhere.
//!
//! Without a `terraform` binary (PATH, or `TERRAFORM=/path`) the comparison with
//! Terraform cannot run. Then the test compares with the definition Terraform
//! documents (base64 of the SHA-256 of the file's bytes), and prints a warning
//! that bypasses the test harness's output capture, so it shows in a passing run.
//! With `LAYER_TOOLS_REQUIRE_TERRAFORM=1` (CI on a machine that has terraform) a
//! missing terraform fails the test instead.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use layer_tools_e2e::{copy_tree, examples_dir, find_program, tool_path, warn_loudly};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The tenant example's library, packed from flags alone (no dependencies to
/// install, so nothing is downloaded; without them the library does not
/// import, so no import proof).
fn pack(source: &Path, out: &Path) -> Value {
    let output = Command::new(tool_path("layer-pack"))
        .args([
            "--no-input",
            "--name",
            "makoto-tenant",
            "--runtime",
            "python3.11",
            "--no-import-check",
        ])
        .arg("--source")
        .arg(source)
        .arg("--output")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "layer-pack: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let records = layer_test_harness::schema::parse_valid_lines(&output.stdout);
    assert_eq!(records.len(), 1);
    records.into_iter().next().unwrap()
}

fn terraform_binary() -> Option<PathBuf> {
    find_program("terraform", "TERRAFORM")
}

/// Terraform's own answer for `FUNCTION("PATH")`, evaluated offline.
fn terraform_eval(terraform: &Path, function: &str, zip: &Path) -> String {
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("cli.tfrc");
    std::fs::write(&config, "disable_checkpoint = true\n").unwrap();
    let mut child = Command::new(terraform)
        .arg("console")
        .current_dir(work.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", work.path())
        .env("TF_CLI_CONFIG_FILE", &config)
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {}: {err}", terraform.display()));
    let expression = format!("{function}({:?})\n", zip.display().to_string());
    child
        .stdin
        .take()
        .unwrap()
        .write_all(expression.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "terraform console: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The console prints the value as an HCL string literal.
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim().trim_matches('"').to_string()
}

#[test]
fn code_sha256_is_terraforms_filebase64sha256_and_stays_stable() {
    let work = tempfile::tempdir().unwrap();
    let examples = examples_dir().join("layers/tenant/python");
    let first_tree = work.path().join("first");
    let second_tree = work.path().join("second");
    copy_tree(&examples, &first_tree);
    // A copy made later: other mtimes, another folder, another inode order.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    copy_tree(&examples, &second_tree);

    let first_zip = work.path().join("first.zip");
    let second_zip = work.path().join("second.zip");
    let first = pack(&first_tree, &first_zip);
    let second = pack(&second_tree, &second_zip);
    let code_sha256 = first["artifact"]["code_sha256"].as_str().unwrap();
    assert_eq!(
        second["artifact"]["code_sha256"], code_sha256,
        "the same tree packed again must give the same zip, so source_code_hash does not change"
    );
    assert_eq!(
        std::fs::read(&first_zip).unwrap(),
        std::fs::read(&second_zip).unwrap()
    );

    let bytes = std::fs::read(&first_zip).unwrap();
    let digest = Sha256::digest(&bytes);
    let by_definition = base64::engine::general_purpose::STANDARD.encode(digest);
    assert_eq!(code_sha256, by_definition, "base64 of the zip's SHA-256");

    match terraform_binary() {
        Some(terraform) => {
            assert_eq!(
                terraform_eval(&terraform, "filebase64sha256", &first_zip),
                code_sha256,
                "Terraform's filebase64sha256 of the zip"
            );
            assert_eq!(
                terraform_eval(&terraform, "filesha256", &first_zip),
                first["artifact"]["sha256"].as_str().unwrap(),
                "Terraform's filesha256 is the record's hex sha256"
            );
        }
        None if std::env::var_os("LAYER_TOOLS_REQUIRE_TERRAFORM").is_some_and(|v| v == "1") => {
            panic!(
                "terraform is not installed (not on PATH, TERRAFORM unset) and \
                 LAYER_TOOLS_REQUIRE_TERRAFORM=1 asks for it: install terraform or point TERRAFORM at it"
            );
        }
        None => warn_loudly(
            "WARNING: terraform not found (not on PATH, TERRAFORM unset).\n\
             The Terraform interoperability test compared code_sha256 with base64(sha256(zip)),\n\
             the definition Terraform documents, but NOT with Terraform itself.\n\
             Install terraform (or set TERRAFORM=/path/to/terraform) to run the real comparison;\n\
             LAYER_TOOLS_REQUIRE_TERRAFORM=1 turns this warning into a failure (docs/terraform.md).",
        ),
    }
}
