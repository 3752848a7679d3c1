//! Estates: the tools across two accounts and two regions at once, on moto,
//! with `--account` and `--role-arn` (moto answers AssumeRole with
//! credentials of the role's account). The run's own credentials are a third
//! account's, which only assumes the roles.

use std::process::Command;

use layer_test_harness::{Account, AwsModel, Fault, FunctionSpec, Proxy, REGION, Rule, zip_bytes};
use layer_tools_e2e::tool_path;
use serde_json::Value;

const OTHER_REGION: &str = "eu-west-1";
const ROLE: &str = "arn:aws:iam::{account}:role/LayerDeployer";

struct Run {
    code: i32,
    records: Vec<Value>,
    stderr: String,
}

fn run(caller: &Account, endpoint: Option<&str>, tool: &str, args: &[&str], stdin: &str) -> Run {
    let mut command = caller.command(tool_path(tool));
    if let Some(endpoint) = endpoint {
        command.env("AWS_ENDPOINT_URL", endpoint);
    }
    let out = command.args(args).write_stdin(stdin).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    Run {
        code: out.status.code().unwrap_or(-1),
        records: stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn lines(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

/// `--account A --account B --role-arn ROLE`.
fn estate_args<'a>(a: &'a Account, b: &'a Account) -> Vec<&'a str> {
    vec![
        "--account",
        a.id.as_str(),
        "--account",
        b.id.as_str(),
        "--role-arn",
        ROLE,
    ]
}

/// In each account and region: layer `common` at version 1 and a function on it.
async fn estate_with_users(accounts: &[&Account]) -> Vec<(String, String, String)> {
    let mut functions = Vec::new();
    for account in accounts {
        for region in [REGION, OTHER_REGION] {
            let v1 = account
                .publish_layer(region, "common", &[("python/common.py", b"V = 1\n")])
                .await;
            let name = format!("api-{}-{region}", account.id);
            account
                .create_function(
                    region,
                    &FunctionSpec::new(&name).runtime("python3.12").layer(&v1),
                )
                .await;
            functions.push((account.id.clone(), region.to_string(), name));
        }
    }
    functions
}

/// Every function of the estate uses `common` at the version `version_of` its account.
async fn functions_at(
    functions: &[(String, String, String)],
    accounts: [&Account; 2],
    version_of: impl Fn(&str) -> i64,
) {
    for (account_id, region, name) in functions {
        let account = accounts.iter().find(|a| a.id == *account_id).unwrap();
        let version = version_of(account_id);
        assert_eq!(
            account.function_layers(region, name).await,
            vec![format!(
                "arn:aws:lambda:{region}:{account_id}:layer:common:{version}"
            )],
            "{name}"
        );
    }
}

/// A record as layer-publish writes it, for a version published with the harness.
fn published_record(version_arn: &str) -> Value {
    let arn: layer_core::arn::LayerVersionArn = version_arn.parse().unwrap();
    serde_json::json!({
        "schema": "layer-record/v1",
        "published": {
            "region": arn.region, "layer_name": arn.name,
            "layer_arn": arn.layer_arn(), "version_arn": version_arn, "version": arn.version,
            "code_sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            "created_date": "2026-11-28T00:00:00.000+0000", "reused": false,
        }
    })
}

fn write_zip(dir: &std::path::Path) -> String {
    let path = dir.join("common.zip");
    std::fs::write(&path, zip_bytes(&[("python/common.py", b"V = 2\n")])).unwrap();
    path.display().to_string()
}

/// `aws ssm get-parameter` in an account and region (the aws CLI, v1).
fn read_parameter(account: &Account, region: &str, name: &str) -> String {
    let out = Command::new("aws")
        .args(["ssm", "get-parameter", "--name", name, "--region", region])
        .args(["--endpoint-url", account.endpoint()])
        .args(["--query", "Parameter.Value", "--output", "text"])
        .env_remove("AWS_PROFILE")
        .envs(account.env())
        .output()
        .expect("the aws CLI runs");
    assert!(
        out.status.success(),
        "aws ssm get-parameter: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_attach_watch_and_undo_across_two_accounts_and_two_regions() {
    let caller = Account::new().await;
    let (a, b) = (Account::new().await, Account::new().await);
    let functions = estate_with_users(&[&a, &b]).await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path());
    let mut publish_args = estate_args(&a, &b);
    publish_args.extend([
        "--region",
        REGION,
        "--region",
        OTHER_REGION,
        "--name",
        "common",
        "--runtime",
        "python3.12",
        "--ssm-parameter",
        "/layers/{name}/latest",
    ]);

    // A dry run plans the pointer and writes nothing.
    let mut dry = publish_args.clone();
    dry.extend(["--dry-run", zip.as_str()]);
    let planned = run(&caller, None, "layer-publish", &dry, "");
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    assert_eq!(planned.records.len(), 4);
    for record in &planned.records {
        assert_eq!(record["planned"]["ssm_parameter"]["written"], true);
        assert!(record["planned"]["account"].is_string());
    }
    let ssm = a.sdk_config(REGION).await;
    let nothing = aws_sdk_ssm::Client::new(&ssm)
        .get_parameter()
        .name("/layers/common/latest")
        .send()
        .await;
    assert!(nothing.is_err(), "a dry run wrote the parameter");

    // Pattern 1: the layer published into every account and region.
    let mut real = publish_args.clone();
    real.push(zip.as_str());
    let published = run(&caller, None, "layer-publish", &real, "");
    assert_eq!(published.code, 0, "{}", published.stderr);
    assert_eq!(
        published.records.len(),
        4,
        "one record per account and region"
    );
    let mut pairs = Vec::new();
    for record in &published.records {
        let section = &record["published"];
        let account = section["account"].as_str().unwrap().to_string();
        let region = section["region"].as_str().unwrap().to_string();
        let arn = section["version_arn"].as_str().unwrap().to_string();
        assert_eq!(
            arn,
            format!("arn:aws:lambda:{region}:{account}:layer:common:2"),
            "each account and region has its own version"
        );
        assert_eq!(section["ssm_parameter"]["written"], true);
        let holder = if account == a.id { &a } else { &b };
        assert_eq!(
            read_parameter(holder, &region, "/layers/common/latest"),
            arn
        );
        pairs.push((account, region));
    }
    pairs.sort();
    pairs.dedup();
    assert_eq!(pairs.len(), 4);
    assert!(!published.stderr.contains("ASIA") && !published.stderr.contains("FQoG"));

    // Again: the same versions, and the pointers are not written again.
    let again = run(&caller, None, "layer-publish", &real, "");
    assert_eq!(again.code, 0, "{}", again.stderr);
    for record in &again.records {
        assert_eq!(record["published"]["reused"], true);
        assert_eq!(record["published"]["ssm_parameter"]["written"], false);
    }

    // Watch before the deploy: every function is behind, in both accounts.
    let mut watch_args = vec!["common"];
    watch_args.extend(estate_args(&a, &b));
    watch_args.extend([
        "--region",
        REGION,
        "--region",
        OTHER_REGION,
        "--no-metrics",
        "--format",
        "json",
        "--fail-on-drift",
    ]);
    let watched = run(&caller, None, "layer-watch", &watch_args, "");
    assert_eq!(watched.code, 1, "drift fails: {}", watched.stderr);
    assert_eq!(
        watched.records.len(),
        4,
        "one report per account and region"
    );
    for report in &watched.records {
        assert_eq!(report["drift"]["functions_behind"], 1, "{report}");
        assert!([&a.id, &b.id].contains(&&report["account"].as_str().unwrap().to_string()));
    }
    for account in [&a, &b] {
        assert!(
            watched.stderr.contains(&format!(
                "{}: 2 using, 2 behind, 0 deleted-in-use",
                account.id
            )),
            "{}",
            watched.stderr
        );
    }

    // Attach: each account's functions get that account's version.
    let mut attach_args = estate_args(&a, &b);
    attach_args.push("-");
    let deploy = run(
        &caller,
        None,
        "layer-attach",
        &attach_args,
        &lines(&published.records),
    );
    assert_eq!(deploy.code, 0, "{}", deploy.stderr);
    functions_at(&functions, [&a, &b], |_| 2).await;
    let entries: Vec<&Value> = deploy
        .records
        .iter()
        .flat_map(|r| r["attachments"].as_array().unwrap())
        .collect();
    assert_eq!(entries.len(), 4);
    for entry in &entries {
        assert_eq!(entry["status"], "updated");
        let account = entry["account"].as_str().unwrap();
        assert!(entry["after"][0].as_str().unwrap().contains(account));
    }

    // No drift after the deploy.
    let watched = run(&caller, None, "layer-watch", &watch_args, "");
    assert_eq!(watched.code, 0, "{}", watched.stderr);

    // Undo across both accounts, assuming the same roles.
    let undo = run(
        &caller,
        None,
        "layer-attach",
        &["--undo", "--role-arn", ROLE, "-"],
        &lines(&deploy.records),
    );
    assert_eq!(undo.code, 0, "{}", undo.stderr);
    functions_at(&functions, [&a, &b], |_| 1).await;
}

/// Bucket names are global: an estate that publishes through S3 names one
/// bucket per account with `{account}`, and each account's upload goes to
/// its own bucket with its own credentials.
#[tokio::test(flavor = "multi_thread")]
async fn each_account_uploads_to_its_own_bucket() {
    let caller = Account::new().await;
    let (a, b) = (Account::new().await, Account::new().await);
    for account in [&a, &b] {
        let config = account.sdk_config(REGION).await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config)
                .force_path_style(true)
                .build(),
        );
        let bucket = format!("layers-{}", account.id);
        s3.create_bucket().bucket(&bucket).send().await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path());
    let mut args = estate_args(&a, &b);
    args.extend(["--region", REGION, "--name", "common"]);
    args.extend(["--s3-bucket", "layers-{account}", "--s3-threshold", "10"]);
    args.push(zip.as_str());

    let published = run(&caller, None, "layer-publish", &args, "");
    assert_eq!(published.code, 0, "{}", published.stderr);
    assert_eq!(published.records.len(), 2);
    for record in &published.records {
        let section = &record["published"];
        let account = section["account"].as_str().unwrap();
        assert_eq!(
            section["s3"]["bucket"],
            format!("layers-{account}").as_str()
        );
        assert_eq!(section["s3"]["uploaded"], true);
    }
}

/// `--prune-only` across the estate: each account and region pruned with its
/// own role, each report naming its account, what a function uses kept.
#[tokio::test(flavor = "multi_thread")]
async fn prune_only_works_through_every_account_and_names_it() {
    let caller = Account::new().await;
    let (a, b) = (Account::new().await, Account::new().await);
    // Version 1 in use by a function in each account and region; 2 and 3 not.
    estate_with_users(&[&a, &b]).await;
    for account in [&a, &b] {
        for region in [REGION, OTHER_REGION] {
            for content in [b"V = 2\n", b"V = 3\n"] {
                account
                    .publish_layer(region, "common", &[("python/common.py", content)])
                    .await;
            }
        }
    }
    let mut args = estate_args(&a, &b);
    args.extend(["--region", REGION, "--region", OTHER_REGION]);
    args.extend(["--prune-only", "--name", "common", "--keep", "1"]);

    let pruned = run(&caller, None, "layer-publish", &args, "");
    assert_eq!(pruned.code, 0, "{}", pruned.stderr);
    assert_eq!(pruned.records.len(), 4, "one report per account and region");
    let mut seen = Vec::new();
    for record in &pruned.records {
        let section = &record["pruned"];
        let account = section["account"].as_str().unwrap();
        let region = section["region"].as_str().unwrap();
        assert_eq!(
            section["layer_arn"],
            format!("arn:aws:lambda:{region}:{account}:layer:common").as_str()
        );
        assert_eq!(section["retention"]["deleted"], serde_json::json!([2]));
        assert_eq!(section["retention"]["kept_in_use"], serde_json::json!([1]));
        seen.push((account.to_string(), region.to_string()));
    }
    seen.sort();
    let mut expected: Vec<(String, String)> = [&a, &b]
        .iter()
        .flat_map(|acc| [REGION, OTHER_REGION].map(|r| (acc.id.clone(), r.to_string())))
        .collect();
    expected.sort();
    assert_eq!(seen, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_estates_stop_before_anything_changes() {
    let caller = Account::new().await;
    let (a, b) = (Account::new().await, Account::new().await);
    let functions = estate_with_users(&[&a, &b]).await;
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path());
    // A proxy per run, where the second role cannot be assumed (roles are
    // assumed in the order of their account ids).
    let proxy = || {
        let proxy = Proxy::start_with(a.endpoint(), AwsModel::moto());
        proxy.add_rule(
            Rule::new(
                "AssumeRole",
                Fault::error(
                    403,
                    "AccessDenied",
                    "not authorized to perform sts:AssumeRole",
                ),
            )
            .after(1),
        );
        proxy
    };
    let mut changes = 0;
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["--account", "12345678901", "--role-arn", ROLE],
            "12345678901".into(),
        ),
        (
            vec![
                "--account",
                a.id.as_str(),
                "--role-arn",
                "arn:aws:iam::111111111111:role/X",
            ],
            "{account}".into(),
        ),
        (vec!["--account", a.id.as_str()], a.id.clone()),
        (estate_args(&a, &b), b.id.clone()),
    ];
    for (flags, named) in &cases {
        for tool in ["layer-publish", "layer-attach", "layer-watch"] {
            let mut args = flags.clone();
            args.extend(["--region", REGION]);
            let stdin = match tool {
                "layer-publish" => {
                    args.extend(["--name", "common", "--runtime", "python3.12", zip.as_str()]);
                    String::new()
                }
                "layer-attach" => {
                    args.push("-");
                    let record = serde_json::json!({
                        "schema": "layer-record/v1",
                        "published": {
                            "region": REGION, "layer_name": "common",
                            "layer_arn": format!("arn:aws:lambda:{REGION}:{}:layer:common", a.id),
                            "version_arn": format!("arn:aws:lambda:{REGION}:{}:layer:common:1", a.id),
                            "version": 1,
                            "code_sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
                            "created_date": "2026-11-28T00:00:00.000+0000", "reused": false,
                        }
                    });
                    args.extend(["--function", functions[0].2.as_str()]);
                    format!("{record}\n")
                }
                _ => {
                    args.extend(["common", "--no-metrics", "--format", "json"]);
                    String::new()
                }
            };
            let proxy = proxy();
            let out = run(&caller, Some(proxy.endpoint()), tool, &args, &stdin);
            changes += proxy.stats("PublishLayerVersion").received
                + proxy.stats("UpdateFunctionConfiguration").received;
            assert_eq!(out.code, 2, "{tool} {args:?}: {}", out.stderr);
            assert!(
                out.stderr.contains(named.as_str()),
                "{tool} names {named}: {}",
                out.stderr
            );
            assert!(out.records.is_empty(), "{tool} wrote records");
        }
    }
    // Nothing changed: version 1 only, functions untouched.
    functions_at(&functions, [&a, &b], |_| 1).await;
    assert_eq!(changes, 0, "no publish or update was even sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_account_failing_mid_run_leaves_the_others_done_and_undoable() {
    let caller = Account::new().await;
    let (a, b) = (Account::new().await, Account::new().await);
    let functions = estate_with_users(&[&a, &b]).await;
    let mut records = Vec::new();
    for account in [&a, &b] {
        for region in [REGION, OTHER_REGION] {
            let v2 = account
                .publish_layer(region, "common", &[("python/common.py", b"V = 2\n")])
                .await;
            records.push(published_record(&v2));
        }
    }
    let proxy = Proxy::start_with(a.endpoint(), AwsModel::moto());
    // Account B refuses updates (its role lacks lambda:UpdateFunctionConfiguration).
    for (account, _, name) in &functions {
        if *account == b.id {
            proxy.add_rule(
                Rule::new(
                    "UpdateFunctionConfiguration",
                    Fault::error(403, "AccessDeniedException", "not authorized"),
                )
                .function(name),
            );
        }
    }
    let mut args = estate_args(&a, &b);
    args.push("-");
    let deploy = run(
        &caller,
        Some(proxy.endpoint()),
        "layer-attach",
        &args,
        &lines(&records),
    );
    assert_eq!(deploy.code, 1, "{}", deploy.stderr);
    assert!(
        deploy.stderr.contains(&format!("in account {}: 2", b.id)),
        "{}",
        deploy.stderr
    );
    let entries: Vec<&Value> = deploy
        .records
        .iter()
        .flat_map(|r| r["attachments"].as_array().unwrap())
        .collect();
    assert_eq!(entries.len(), 4);
    for entry in &entries {
        let expected = if entry["account"] == a.id.as_str() {
            "updated"
        } else {
            "failed"
        };
        assert_eq!(entry["status"], expected, "{entry}");
    }
    functions_at(
        &functions,
        [&a, &b],
        |account| if account == a.id { 2 } else { 1 },
    )
    .await;
    // Undo restores what changed (B's failed entries are already as before).
    let undo = run(
        &caller,
        None,
        "layer-attach",
        &["--undo", "--role-arn", ROLE, "-"],
        &lines(&deploy.records),
    );
    assert_eq!(undo.code, 0, "{}", undo.stderr);
    functions_at(&functions, [&a, &b], |_| 1).await;
}

/// The benchmark of `scripts/bench-estate.sh`: BENCH_FUNCTIONS functions in
/// each of 2 accounts × 2 regions, moved to version 2 by layer-attach behind
/// the proxy's AWS model (quota buckets per account and region, updates
/// InProgress for 1 s): one pair alone, then the other 3 pairs in one run,
/// against the largest pair's minimum.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run scripts/bench-estate.sh"]
async fn bench_estate_behind_the_quota_model() {
    let count: usize = std::env::var("BENCH_FUNCTIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(30);
    let caller = Account::new().await;
    let (a, b) = (Account::new().await, Account::new().await);
    let mut records = Vec::new();
    for account in [&a, &b] {
        for region in [REGION, OTHER_REGION] {
            let v1 = account
                .publish_layer(region, "common", &[("python/c.py", b"V = 1\n")])
                .await;
            let v2 = account
                .publish_layer(region, "common", &[("python/c.py", b"V = 2\n")])
                .await;
            for i in 0..count {
                let name = format!("fn{i:03}");
                account
                    .create_function(region, &FunctionSpec::new(&name).layer(&v1))
                    .await;
            }
            records.push(published_record(&v2));
        }
    }
    let pairs = records.len();
    eprintln!("bench: {pairs} account × region pairs, {count} functions each");
    let timed = |records: &[Value]| {
        let proxy = Proxy::start(a.endpoint());
        let mut args = estate_args(&a, &b);
        args.push("-");
        let started = std::time::Instant::now();
        let out = run(
            &caller,
            Some(proxy.endpoint()),
            "layer-attach",
            &args,
            &lines(records),
        );
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(out.code, 0, "{}", out.stderr);
        let updated = out
            .records
            .iter()
            .flat_map(|r| r["attachments"].as_array().unwrap())
            .filter(|e| e["status"] == "updated")
            .count();
        let throttled: usize = proxy.all_stats().values().map(|s| s.throttled).sum();
        (seconds, updated, throttled)
    };
    // One pair alone first (account A, the first region), then the whole estate.
    let (alone, alone_updated, _) = timed(&records[..1]);
    assert_eq!(alone_updated, count);
    let (estate, updated, throttled) = timed(&records[1..]);
    assert_eq!(updated, count * (pairs - 1));
    // Each pair's updates draw on its own shared bucket at 15/s.
    let minimum = count as f64 / 15.0;
    println!("bench-estate: one pair, {count} functions: wall {alone:.1} s");
    println!(
        "bench-estate: {} pairs × {count} functions ({} updates): wall {estate:.1} s, {throttled} throttled",
        pairs - 1,
        updated
    );
    println!(
        "bench-estate: largest pair's minimum {minimum:.1} s ({count} updates at 15/s); estate / one pair = {:.2}",
        estate / alone
    );
}

/// Pattern (2), as far as the wire: the layer published once in a tooling
/// account and granted to accounts A and B; layer-attach (assuming each
/// account's role) reads the tooling account's version by ARN through the
/// proxy's account model (moto alone would look it up by name in the
/// function's account), plans each function onto it, and sends the update in
/// each account. moto cannot attach a function to another account's layer, so
/// the proxy answers the update as AWS would (see docs/scale.md).
#[tokio::test(flavor = "multi_thread")]
async fn a_layer_shared_from_a_tooling_account_is_sent_to_the_estates_functions() {
    let caller = Account::new().await;
    let tooling = Account::new().await;
    let (a, b) = (Account::new().await, Account::new().await);
    // In each estate account, a function `api` on a layer of its own.
    let mut own_layers = Vec::new();
    for account in [&a, &b] {
        let own = account
            .publish_layer(REGION, "other", &[("python/o.py", b"")])
            .await;
        account
            .create_function(
                REGION,
                &FunctionSpec::new("api").runtime("python3.12").layer(&own),
            )
            .await;
        own_layers.push((account.id.clone(), own));
    }
    let own = own_layers[0].1.clone();
    let proxy = Proxy::start(a.endpoint());
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path());
    // Published and granted through the proxy (its account model keeps the grant).
    let published = run(
        &tooling,
        Some(proxy.endpoint()),
        "layer-publish",
        &[
            "--region",
            REGION,
            "--name",
            "common",
            "--runtime",
            "python3.12",
        ]
        .into_iter()
        .chain([
            "--grant-account",
            a.id.as_str(),
            "--grant-account",
            b.id.as_str(),
        ])
        .chain([zip.as_str()])
        .collect::<Vec<_>>(),
        "",
    );
    assert_eq!(published.code, 0, "{}", published.stderr);
    let shared = published.records[0]["published"]["version_arn"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(shared.contains(&tooling.id));
    // layer-attach in the given estate accounts, on the tooling account's record.
    let attach = |accounts: &[&Account], more: &[&str]| {
        let mut args = Vec::new();
        for account in accounts {
            args.extend(["--account", account.id.as_str()]);
        }
        args.extend(["--role-arn", ROLE, "--function", "api"]);
        args.extend(more);
        args.push("-");
        let input = lines(&published.records);
        run(
            &caller,
            Some(proxy.endpoint()),
            "layer-attach",
            &args,
            &input,
        )
    };
    let planned = attach(&[&a], &["--dry-run"]);
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    let entry = &planned.records[0]["attachments"][0];
    assert_eq!(entry["account"], a.id.as_str());
    assert_eq!(entry["status"], "planned");
    assert_eq!(entry["after"], serde_json::json!([own, shared]));
    // Read by ARN, from account A: a version not granted would be refused (403).
    assert!(proxy.stats("GetLayerVersion").received >= 1);

    // The update itself, in both estate accounts at once: moto would look the
    // shared layer up in the function's account by name, so the proxy answers
    // it as AWS would (a canned 200); what the test checks is what the tool
    // sent, to which account, and what its record says.
    let answer = serde_json::json!({"FunctionName": "api", "LastUpdateStatus": "Successful"});
    proxy.add_rule(
        Rule::new(
            "UpdateFunctionConfiguration",
            Fault::Respond {
                status: 200,
                headers: Vec::new(),
                body: answer.to_string().into_bytes(),
            },
        )
        .function("api"),
    );
    let attached = attach(&[&a, &b], &[]);
    assert_eq!(attached.code, 0, "{}", attached.stderr);
    let entries: Vec<&serde_json::Value> = attached
        .records
        .iter()
        .flat_map(|r| r["attachments"].as_array().unwrap())
        .collect();
    assert_eq!(entries.len(), 2, "one function in each estate account");
    for (account, own) in &own_layers {
        let entry = entries
            .iter()
            .find(|e| e["account"] == account.as_str())
            .unwrap_or_else(|| panic!("no entry for {account}: {entries:?}"));
        assert_eq!(entry["status"], "updated", "{}", attached.stderr);
        assert_eq!(entry["before"], serde_json::json!([own]));
        assert_eq!(entry["after"], serde_json::json!([own, shared]));
    }
    // Each account's update names its own layer, then the tooling account's.
    let mut sent: Vec<serde_json::Value> = proxy
        .requests("UpdateFunctionConfiguration")
        .iter()
        .map(|request| request.json()["Layers"].clone())
        .collect();
    sent.sort_by_key(|layers| layers.to_string());
    let mut expected: Vec<serde_json::Value> = own_layers
        .iter()
        .map(|(_, own)| serde_json::json!([own, shared]))
        .collect();
    expected.sort_by_key(|layers| layers.to_string());
    assert_eq!(sent, expected);
}
