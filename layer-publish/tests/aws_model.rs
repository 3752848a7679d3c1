//! layer-publish behind the harness proxy's AWS model (docs/aws.md): reuse only
//! of a version that matches everything the run would publish, the `published`
//! section read from what AWS holds, retention that keeps versions granted to
//! others, and the size of an inline request.

mod common;

use common::*;
use layer_test_harness::proxy::{Bucket, Proxy};
use layer_test_harness::{Account, REGION};
use serde_json::{Value, json};

/// Run layer-publish through `proxy` and require success: its records and stderr.
fn ok_via(
    proxy: &Proxy,
    account: &Account,
    input: &[Value],
    args: &[&str],
) -> (Vec<Value>, String) {
    let (code, records, stderr) = run_via(account, proxy.endpoint(), input, args);
    assert_eq!(code, 0, "{stderr}");
    (records, stderr)
}

/// Publish a zip (`--name` given in `args`) through `proxy`: its `published` section.
fn publish_zip(account: &Account, proxy: &Proxy, zip: &Zip, args: &[&str]) -> Value {
    let path = zip.path.display().to_string();
    let (records, _) = ok_via(proxy, account, &[], &[args, &[path.as_str()]].concat());
    records[0]["published"].clone()
}

#[tokio::test]
async fn a_version_is_reused_only_when_it_matches_everything_this_run_would_publish() {
    let account = Account::new().await;
    let proxy = Proxy::start(account.endpoint());
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "lic.zip", &[("python/lic.py", b"L = 1\n")]);
    let base = ["--name", "lic", "--runtime", "python3.12"];
    let x86 = ["--arch", "x86_64"];
    let with = |extra: &[&'static str]| [&base[..], extra].concat();
    let x86_with = |extra: &[&'static str]| [&base[..], &x86[..], extra].concat();

    let mit = publish_zip(&account, &proxy, &zip, &x86_with(&["--license", "MIT"]));
    assert_eq!(
        (mit["version"].as_i64(), mit["reused"].as_bool()),
        (Some(1), Some(false))
    );
    assert_eq!(mit["license"], "MIT");

    // The same zip under another license is another version, and the record
    // says the license AWS holds for it.
    let apache = publish_zip(
        &account,
        &proxy,
        &zip,
        &x86_with(&["--license", "Apache-2.0"]),
    );
    assert_eq!(apache["version"], 2, "{apache:#}");
    assert_eq!(apache["reused"], false);
    assert_eq!(apache["license"], "Apache-2.0");

    // Each is reused by a run that would publish exactly it.
    let again = publish_zip(
        &account,
        &proxy,
        &zip,
        &x86_with(&["--license", "Apache-2.0"]),
    );
    assert_eq!(
        (again["version"].as_i64(), again["reused"].as_bool()),
        (Some(2), Some(true))
    );
    let again = publish_zip(&account, &proxy, &zip, &x86_with(&["--license", "MIT"]));
    assert_eq!(
        (again["version"].as_i64(), again["reused"].as_bool()),
        (Some(1), Some(true))
    );

    // Other runtimes, or another architecture: another version.
    let runtimes = publish_zip(
        &account,
        &proxy,
        &zip,
        &x86_with(&["--license", "MIT", "--runtime", "python3.13"]),
    );
    assert_eq!(runtimes["version"], 3);
    assert_eq!(
        runtimes["compatible_runtimes"],
        json!(["python3.12", "python3.13"])
    );
    let arch = publish_zip(
        &account,
        &proxy,
        &zip,
        &with(&["--license", "MIT", "--arch", "arm64"]),
    );
    assert_eq!(arch["version"], 4);
    assert_eq!(arch["compatible_architectures"], json!(["arm64"]));
    assert_eq!(versions(&account, REGION, "lic").await, vec![1, 2, 3, 4]);
    assert_eq!(proxy.bucket(Bucket::Shared).throttled, 0);
}

#[tokio::test]
async fn published_states_what_aws_holds_not_what_was_asked() {
    let account = Account::new().await;
    let proxy = Proxy::start(account.endpoint());
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), "c.zip", &[("python/c.py", b"C = 1\n")]);
    ok_via(&proxy, &account, &[record("held", "1.4.0", &zip)], &[]);

    // The same zip as 1.4.1: the version holding it (published as 1.4.0) is
    // reused, and the record says what that version holds.
    let (records, _) = ok_via(&proxy, &account, &[record("held", "1.4.1", &zip)], &[]);
    let published = &records[0]["published"];
    assert_eq!(published["reused"], true);
    assert_eq!(published["version"], 1);
    assert_eq!(published["semantic_version"], "1.4.0");
    assert!(
        published["description"]
            .as_str()
            .unwrap()
            .contains("(v1.4.0 sha256:"),
        "{published:#}"
    );
    assert_eq!(published["sha256"], zip.sha256_hex.as_str());
    assert_eq!(published["license"], "MIT");
    // The record's own layer section still says what was asked.
    assert_eq!(records[0]["layer"]["version"], "1.4.1");
}

#[tokio::test]
async fn retention_keeps_versions_granted_to_others_unless_told_otherwise() {
    let account = Account::new().await;
    let proxy = Proxy::start(account.endpoint());
    let dir = tempfile::tempdir().unwrap();
    let zip = |n: usize| {
        write_zip(
            dir.path(),
            &format!("s{n}.zip"),
            &[("python/s.py", format!("S = {n}").as_bytes())],
        )
    };
    let publish = |n: usize, args: &[&str]| -> Value {
        let input = record("shared", &format!("1.0.{n}"), &zip(n));
        ok_via(&proxy, &account, &[input], args).0[0]["published"].clone()
    };
    // v1 granted to another account, v2 to an organization, v3 to nobody.
    publish(1, &["--grant-account", "111122223333"]);
    publish(2, &["--grant-org", "o-a1b2c3d4e5"]);
    publish(3, &[]);

    // Keep 1: v1 to v3 are beyond the policy; only v3 may go. The dry run
    // plans it against the version it would publish (4) and changes nothing.
    let input = record("shared", "1.0.4", &zip(4));
    let dry = ok_via(
        &proxy,
        &account,
        &[input],
        &["--keep", "1", "--dry-run", "-v"],
    )
    .0;
    assert_eq!(
        dry[0]["planned"]["retention"],
        json!({"dry_run": true, "deleted": [3], "kept_in_use": [], "kept_shared": [2, 1]})
    );
    assert_eq!(versions(&account, REGION, "shared").await, vec![1, 2, 3]);
    let kept = publish(4, &["--keep", "1"]);
    assert_eq!(kept["retention"]["deleted"], json!([3]));
    assert_eq!(kept["retention"]["kept_shared"], json!([2, 1]));
    assert_eq!(versions(&account, REGION, "shared").await, vec![1, 2, 4]);

    // --prune-shared deletes them too.
    let pruned = publish(5, &["--keep", "1", "--prune-shared"]);
    assert_eq!(pruned["retention"]["deleted"], json!([4, 2, 1]));
    assert_eq!(pruned["retention"]["kept_shared"], json!([]));
    assert_eq!(versions(&account, REGION, "shared").await, vec![5]);
}

#[tokio::test]
async fn prune_only_says_which_versions_were_kept_for_their_grants() {
    let account = Account::new().await;
    let proxy = Proxy::start(account.endpoint());
    let dir = tempfile::tempdir().unwrap();
    for n in 0..3 {
        let zip = write_zip(
            dir.path(),
            &format!("p{n}.zip"),
            &[("python/p.py", format!("P = {n}").as_bytes())],
        );
        let grant: &[&str] = if n == 0 { &["--public"] } else { &[] };
        ok_via(
            &proxy,
            &account,
            &[record("open", &format!("2.0.{n}"), &zip)],
            grant,
        );
    }
    let (records, stderr) = ok_via(
        &proxy,
        &account,
        &[],
        &["--prune-only", "--name", "open", "--keep", "1", "-v"],
    );
    assert_eq!(records[0]["pruned"]["retention"]["kept_shared"], json!([1]));
    assert_eq!(records[0]["pruned"]["retention"]["deleted"], json!([2]));
    assert!(
        stderr.contains("kept version 1: it is granted to everyone (public)"),
        "{stderr}"
    );
}
