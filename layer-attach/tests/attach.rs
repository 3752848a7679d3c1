//! layer-attach against moto_server, through the real binary and the real SDK;
//! with the harness's HTTP proxy in between where moto cannot show a behaviour
//! (conflicts, InProgress updates, throttling, a healthy Invoke).

use layer_test_harness::proxy::{AwsModel, Bucket, Fault, Proxy, Rule};
use layer_test_harness::runtimes::RuntimeLifecycle;
use layer_test_harness::schema::parse_valid_lines;
use layer_test_harness::{Account, FunctionSpec, REGION, moto, snapshot, zip_bytes};
use serde_json::{Value, json};

/// A list of layer ARNs, comparable with what the tool and AWS report.
macro_rules! list {
    ($($arn:expr),* $(,)?) => { vec![$(String::from($arn.as_str())),*] as Vec<String> };
}

const BIN: &str = env!("CARGO_BIN_EXE_layer-attach");

/// A `layer-record/v1` record as layer-pack + layer-publish write it, for a
/// version published with the harness (layer-publish is built elsewhere), with
/// a field of a user's own stage that must pass through.
fn record(version_arn: &str) -> Value {
    let arn: layer_core::arn::LayerVersionArn = version_arn.parse().unwrap();
    json!({
        "schema": "layer-record/v1",
        "layer": {
            "name": arn.name,
            "version": "1.4.0",
            "compatible_runtimes": ["python3.11", "python3.12"],
            "compatible_architectures": ["x86_64"],
        },
        "published": {
            "region": arn.region,
            "layer_name": arn.name,
            "layer_arn": arn.layer_arn(),
            "version_arn": version_arn,
            "version": arn.version,
            "code_sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            "created_date": "2026-11-28T00:00:00.000+0000",
            "reused": false,
            "compatible_runtimes": ["python3.11", "python3.12"],
            "compatible_architectures": ["x86_64"],
        },
        "x-ci": { "run": 42, "note": "kept" },
    })
}

fn lines(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

struct Run {
    code: i32,
    records: Vec<Value>,
    stderr: String,
}

impl Run {
    /// The line that ends the run on stderr, up to the request count (the
    /// count and the time after it vary).
    fn summary(&self) -> &str {
        let line = self
            .stderr
            .lines()
            .rfind(|line| line.starts_with("layer-attach: ") && line.contains(" failed"))
            .unwrap_or_else(|| panic!("no summary line in:\n{}", self.stderr));
        let (counts, rest) = line.split_once("; ").expect("; N AWS requests; TIME");
        assert!(rest.contains(" AWS requests; "), "{line}");
        counts
    }
}

/// Run layer-attach in the account (through `endpoint` when given).
fn attach(account: &Account, endpoint: Option<&str>, args: &[&str], input: &str) -> Run {
    let mut command = account.command(BIN);
    if let Some(endpoint) = endpoint {
        command.env("AWS_ENDPOINT_URL", endpoint);
    }
    let out = command.args(args).write_stdin(input).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    Run {
        code: out.status.code().unwrap_or(-1),
        records: parse_valid_lines(&out.stdout),
        stderr,
    }
}

/// The attachment entry of one function in a record.
fn entry<'a>(record: &'a Value, function: &str) -> &'a Value {
    record["attachments"]
        .as_array()
        .expect("attachments")
        .iter()
        .find(|e| e["function"] == function)
        .unwrap_or_else(|| panic!("no entry for {function} in {record:#}"))
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

async fn layer_versions(account: &Account, name: &str, n: usize) -> Vec<String> {
    layer_versions_in(account, REGION, name, n).await
}

async fn layer_versions_in(account: &Account, region: &str, name: &str, n: usize) -> Vec<String> {
    let mut versions = Vec::new();
    for i in 0..n {
        let content = format!("VERSION = {i}\n");
        versions.push(
            account
                .publish_layer(region, name, &[("python/lib.py", content.as_bytes())])
                .await,
        );
    }
    versions
}

/// `n` versions of layer `common`, and a function `api` on the first.
async fn api_on_the_first_of(account: &Account, n: usize) -> Vec<String> {
    let common = layer_versions(account, "common", n).await;
    account
        .create_function(REGION, &FunctionSpec::new("api").layer(&common[0]))
        .await;
    common
}

/// Functions of these names, each on the one layer version `arn`.
async fn functions_on(account: &Account, names: &[&str], arn: &str) {
    for name in names {
        account
            .create_function(REGION, &FunctionSpec::new(*name).layer(arn))
            .await;
    }
}

/// How many `UpdateFunctionConfiguration` requests for `function` the proxy saw.
fn updates_of(proxy: &Proxy, function: &str) -> usize {
    proxy
        .requests("UpdateFunctionConfiguration")
        .iter()
        .filter(|r| r.function.as_deref() == Some(function))
        .count()
}

#[tokio::test]
async fn rolls_users_forward_in_place_and_keeps_their_other_layers() {
    let account = Account::new().await;
    let common = layer_versions(&account, "common", 2).await;
    let other = layer_versions(&account, "common-extra", 1).await;
    let (v1, v2, extra) = (&common[0], &common[1], &other[0]);
    for spec in [
        FunctionSpec::new("first").layer(extra).layer(v1),
        FunctionSpec::new("middle").layer(v1).layer(extra),
        FunctionSpec::new("bystander").layer(extra),
        FunctionSpec::new("current").layer(v2),
    ] {
        account.create_function(REGION, &spec).await;
    }

    let run = attach(&account, None, &[], &lines(&[record(v2)]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.records[0];
    assert_eq!(
        out["x-ci"],
        json!({"run": 42, "note": "kept"}),
        "foreign fields pass through"
    );
    assert_eq!(out["layer"]["version"], "1.4.0");

    // The version is replaced where it was; the other layer and the order stay.
    assert_eq!(
        account.function_layers(REGION, "first").await,
        list![extra, v2]
    );
    assert_eq!(
        account.function_layers(REGION, "middle").await,
        list![v2, extra]
    );
    // A function that does not use the layer is not chosen by default.
    assert_eq!(
        account.function_layers(REGION, "bystander").await,
        list![extra]
    );
    assert!(
        out["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["function"] != "bystander")
    );

    // Per function: the lists before and after, in order, and the status.
    let mut attachments = out["attachments"].as_array().unwrap().clone();
    attachments.sort_by_key(|entry| entry["function"].to_string());
    snapshot::settings(&account).bind(|| {
        insta::assert_json_snapshot!("roll_forward_attachments", attachments);
    });
    assert_eq!(
        run.summary(),
        "layer-attach: 3 functions: 2 updated, 1 unchanged, 0 skipped, 0 failed"
    );
}

#[tokio::test]
async fn the_old_tag_spelling_still_selects_with_a_warning() {
    let account = Account::new().await;
    let common = layer_versions(&account, "common", 1).await;
    for spec in [
        FunctionSpec::new("svc-a").tag("team", "a"),
        FunctionSpec::new("svc-b").tag("team", "b"),
    ] {
        account.create_function(REGION, &spec).await;
    }
    let run = attach(
        &account,
        None,
        &["--prefix", "svc-", "--tag", "team=a", "--dry-run"],
        &lines(&[record(&common[0])]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--tag is deprecated and goes away in the next release; use --tagged"),
        "{}",
        run.stderr
    );
    let chosen: Vec<&Value> = run.records[0]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["function"])
        .collect();
    assert_eq!(chosen, [&json!("svc-a")]);
    assert_eq!(entry(&run.records[0], "svc-a")["status"], "planned");
    assert_eq!(
        run.summary(),
        "layer-attach: dry run, nothing changed: 1 function: 1 to update, 0 unchanged, 0 skipped, 0 failed"
    );
}

#[tokio::test]
async fn several_records_make_one_update_per_function() {
    let account = Account::new().await;
    let common = layer_versions(&account, "common", 2).await;
    let tools = layer_versions(&account, "tools", 2).await;
    account
        .create_function(
            REGION,
            &FunctionSpec::new("both").layer(&common[0]).layer(&tools[0]),
        )
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("only-tools").layer(&tools[0]))
        .await;
    let proxy = Proxy::start(account.endpoint());

    let input = lines(&[record(&common[1]), record(&tools[1])]);
    let run = attach(&account, Some(proxy.endpoint()), &[], &input);
    assert_eq!(run.code, 0, "{}", run.stderr);

    assert_eq!(
        account.function_layers(REGION, "both").await,
        list![&common[1], &tools[1]]
    );
    // Roll-forward moves only the layers a function already uses.
    assert_eq!(
        account.function_layers(REGION, "only-tools").await,
        list![&tools[1]]
    );
    let updates = proxy.requests("UpdateFunctionConfiguration");
    let for_both = updates
        .iter()
        .filter(|r| r.function.as_deref() == Some("both"))
        .count();
    assert_eq!(for_both, 1, "one update for two layers");
    assert_eq!(updates.len(), 2);
    // Each record lists the functions its layer went to.
    assert_eq!(entry(&run.records[0], "both")["status"], "updated");
    assert_eq!(entry(&run.records[1], "both")["status"], "updated");
    assert_eq!(entry(&run.records[1], "only-tools")["status"], "updated");
    assert!(
        run.records[0]["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["function"] != "only-tools")
    );
}

#[tokio::test]
async fn selectors_choose_functions_and_incompatible_ones_are_skipped() {
    let account = Account::new().await;
    let common = layer_versions(&account, "common", 1).await;
    let fillers = {
        let mut arns = Vec::new();
        for i in 0..5 {
            arns.extend(layer_versions(&account, &format!("filler{i}"), 1).await);
        }
        arns
    };
    let mut full = FunctionSpec::new("svc-full-dev");
    for arn in &fillers {
        full = full.layer(arn);
    }
    for spec in [
        FunctionSpec::new("svc-api-dev").tag("team", "a"),
        FunctionSpec::new("svc-old-dev")
            .runtime("python3.13")
            .tag("team", "a"),
        FunctionSpec::new("svc-arm-dev")
            .architecture("arm64")
            .tag("team", "a"),
        full.tag("team", "a"),
        FunctionSpec::new("svc-api-prod").tag("team", "a"),
        FunctionSpec::new("svc-other-dev").tag("team", "b"),
    ] {
        account.create_function(REGION, &spec).await;
    }

    let run = attach(
        &account,
        None,
        &["--match", "svc-*-dev", "--tagged", "team=a"],
        &lines(&[record(&common[0])]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.records[0];
    assert_eq!(out["attachments"].as_array().unwrap().len(), 4, "{out:#}");
    assert_eq!(entry(out, "svc-api-dev")["status"], "updated");
    assert_eq!(
        account.function_layers(REGION, "svc-api-dev").await,
        list![&common[0]]
    );

    let old = entry(out, "svc-old-dev");
    assert_eq!(old["status"], "skipped");
    assert!(
        old["reason"]
            .as_str()
            .unwrap()
            .contains("runtime python3.13"),
        "{old}"
    );
    let arm = entry(out, "svc-arm-dev");
    assert_eq!(arm["status"], "skipped");
    assert!(
        arm["reason"]
            .as_str()
            .unwrap()
            .contains("architecture arm64"),
        "{arm}"
    );
    let full = entry(out, "svc-full-dev");
    assert_eq!(full["status"], "skipped");
    assert!(
        full["reason"].as_str().unwrap().contains("at most 5"),
        "{full}"
    );
    // Skipped and unchosen functions are untouched.
    assert!(
        account
            .function_layers(REGION, "svc-old-dev")
            .await
            .is_empty()
    );
    assert!(
        account
            .function_layers(REGION, "svc-arm-dev")
            .await
            .is_empty()
    );
    assert_eq!(
        account.function_layers(REGION, "svc-full-dev").await,
        fillers
    );
    assert!(
        account
            .function_layers(REGION, "svc-api-prod")
            .await
            .is_empty()
    );
    assert!(
        account
            .function_layers(REGION, "svc-other-dev")
            .await
            .is_empty()
    );
}

/// A user of the layer on a runtime outside the Python table (nodejs) is read
/// like any other and skipped with the reason; the run reports its requests
/// at -v the way every AWS tool does.
#[tokio::test]
async fn other_runtimes_are_skipped_with_the_reason_and_requests_are_counted() {
    let account = Account::new().await;
    let common = layer_versions(&account, "common", 2).await;
    for spec in [
        FunctionSpec::new("web")
            .runtime("nodejs20.x")
            .layer(&common[0]),
        FunctionSpec::new("api").layer(&common[0]),
    ] {
        account.create_function(REGION, &spec).await;
    }
    let run = attach(&account, None, &["-v"], &lines(&[record(&common[1])]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let web = entry(&run.records[0], "web");
    assert_eq!(web["status"], "skipped");
    assert!(
        web["reason"]
            .as_str()
            .unwrap()
            .contains("runtime nodejs20.x"),
        "{web}"
    );
    assert_eq!(entry(&run.records[0], "api")["status"], "updated");
    assert_eq!(
        account.function_layers(REGION, "web").await,
        list![&common[0]]
    );
    let requests = run
        .stderr
        .lines()
        .find_map(|line| line.split("AWS requests: ").nth(1))
        .unwrap_or_else(|| panic!("no request count in:\n{}", run.stderr));
    assert!(
        requests.contains("Lambda.UpdateFunctionConfiguration=1")
            && requests.contains("Lambda.GetLayerVersion=1"),
        "{requests}"
    );
}

#[tokio::test]
async fn dry_run_plans_and_changes_nothing() {
    let account = Account::new().await;
    let common = api_on_the_first_of(&account, 2).await;
    let run = attach(
        &account,
        None,
        &["--dry-run"],
        &lines(&[record(&common[1])]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let api = entry(&run.records[0], "api");
    assert_eq!(api["status"], "planned");
    assert_eq!(strings(&api["before"]), list![&common[0]]);
    assert_eq!(strings(&api["after"]), list![&common[1]]);
    assert_eq!(
        account.function_layers(REGION, "api").await,
        list![&common[0]]
    );
}

#[tokio::test]
async fn bad_input_changes_nothing_and_exits_2() {
    let account = Account::new().await;
    let common = api_on_the_first_of(&account, 2).await;
    let good = record(&common[1]);
    let mut no_published = good.clone();
    no_published.as_object_mut().unwrap().remove("published");
    let (layer_arn, _) = common[1].rsplit_once(':').unwrap();
    let missing_version = record(&format!("{layer_arn}:9"));

    let mut messages = Vec::new();
    for (args, input, expected) in [
        (
            vec![],
            lines(&[good.clone(), no_published]),
            "no \"published\" section",
        ),
        (vec![], lines(&[missing_version]), "does not exist"),
        (
            vec!["--function", "api", "--function", "apj"],
            lines(std::slice::from_ref(&good)),
            "no function named apj",
        ),
        (
            vec!["--to-version", "7"],
            lines(std::slice::from_ref(&good)),
            "does not exist",
        ),
        (
            vec!["--tagged", "novalue"],
            lines(std::slice::from_ref(&good)),
            "KEY=VALUE",
        ),
        (
            vec!["--match", "api-[oops"],
            lines(std::slice::from_ref(&good)),
            "not a valid glob",
        ),
        (
            vec!["--rate", "0"],
            lines(std::slice::from_ref(&good)),
            "positive number",
        ),
        (
            vec!["--smoke", "api", "--smoke-payload", "{oops"],
            lines(std::slice::from_ref(&good)),
            "--smoke-payload is not JSON",
        ),
        (
            // A published record is not a deploy record: nothing to undo from.
            vec!["--undo"],
            lines(std::slice::from_ref(&good)),
            "no \"attachments\" section",
        ),
        (
            vec![],
            lines(&[record(&common[0]), good.clone()]),
            "two versions of",
        ),
    ] {
        let run = attach(&account, None, &args, &input);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.records.is_empty(), "{args:?} wrote output");
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
        // The SDK's own warnings about the test's config files are not the tool's.
        let stderr: String = run
            .stderr
            .replace(&account.id, "[account]")
            .lines()
            .filter(|line| !line.contains("config file overridden via environment variable"))
            .map(|line| format!("{line}\n"))
            .collect();
        let flags = if args.is_empty() {
            "(no flags)".to_string()
        } else {
            args.join(" ")
        };
        messages.push(format!("## {flags}\n{stderr}"));
    }
    // The messages whole, as people read them.
    insta::assert_snapshot!("bad_input_stderr", messages.join("\n"));
    assert_eq!(
        account.function_layers(REGION, "api").await,
        list![&common[0]]
    );
}

#[tokio::test]
async fn undo_restores_the_before_lists_and_reports_conflicts() {
    let account = Account::new().await;
    let common = layer_versions(&account, "common", 3).await;
    let extra = layer_versions(&account, "extra", 1).await;
    for name in ["a", "b", "c"] {
        account
            .create_function(
                REGION,
                &FunctionSpec::new(name).layer(&extra[0]).layer(&common[0]),
            )
            .await;
    }
    let deploy = attach(&account, None, &[], &lines(&[record(&common[1])]));
    assert_eq!(deploy.code, 0, "{}", deploy.stderr);
    let deploy_text = lines(&deploy.records);

    // Someone moves "b" on after the deploy: undo must not overwrite that.
    account
        .lambda(REGION)
        .await
        .update_function_configuration()
        .function_name("b")
        .layers(&common[2])
        .send()
        .await
        .unwrap();

    // A dry run of the undo shows it and changes nothing.
    let plan = attach(&account, None, &["--undo", "--dry-run"], &deploy_text);
    assert_eq!(plan.code, 1, "{}", plan.stderr);
    assert_eq!(entry(&plan.records[0], "a")["status"], "planned");
    assert_eq!(entry(&plan.records[0], "b")["status"], "conflict");
    assert_eq!(
        account.function_layers(REGION, "a").await,
        list![&extra[0], &common[1]]
    );
    // --undo takes its functions from the record, not from selectors.
    let refused = attach(&account, None, &["--undo", "--prefix", "a"], &deploy_text);
    assert_eq!(refused.code, 2, "{}", refused.stderr);

    let undo = attach(&account, None, &["--undo"], &deploy_text);
    assert_eq!(undo.code, 1, "a conflict is a finding: {}", undo.stderr);
    assert!(undo.stderr.contains("not restored"), "{}", undo.stderr);
    assert_eq!(
        undo.summary(),
        "layer-attach: 3 functions: 2 updated, 0 unchanged, 1 skipped, 0 failed"
    );
    let out = &undo.records[0];
    assert_eq!(out["x-ci"]["run"], 42);
    assert_eq!(entry(out, "a")["status"], "restored");
    assert_eq!(entry(out, "c")["status"], "restored");
    let b = entry(out, "b");
    assert_eq!(b["status"], "conflict");
    assert!(b["reason"].as_str().unwrap().contains("--force"), "{b}");
    assert_eq!(
        account.function_layers(REGION, "a").await,
        list![&extra[0], &common[0]]
    );
    assert_eq!(
        account.function_layers(REGION, "b").await,
        list![&common[2]]
    );

    // Undo again: a and c are already back, b still conflicts until --force.
    let again = attach(&account, None, &["--undo"], &deploy_text);
    assert_eq!(again.code, 1);
    assert_eq!(entry(&again.records[0], "a")["status"], "unchanged");
    let forced = attach(&account, None, &["--undo", "--force"], &deploy_text);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(entry(&forced.records[0], "b")["status"], "restored");
    assert_eq!(
        account.function_layers(REGION, "b").await,
        list![&extra[0], &common[0]]
    );
}

#[tokio::test]
async fn to_version_points_users_at_an_older_version() {
    let account = Account::new().await;
    let common = layer_versions(&account, "common", 3).await;
    account
        .create_function(REGION, &FunctionSpec::new("api").layer(&common[2]))
        .await;
    let run = attach(
        &account,
        None,
        &["--to-version", "1"],
        &lines(&[record(&common[2])]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        account.function_layers(REGION, "api").await,
        list![&common[0]]
    );
    assert_eq!(
        strings(&entry(&run.records[0], "api")["after"]),
        list![&common[0]]
    );
}

#[tokio::test]
async fn a_failed_smoke_test_rolls_every_changed_function_back() {
    let account = Account::new().await;
    let common = layer_versions(&account, "common", 2).await;
    functions_on(&account, &["api", "worker", "health"], &common[0]).await;
    // moto without a Docker engine answers Invoke with FunctionError: Handled.
    let run = attach(
        &account,
        None,
        &["--smoke", "health", "--undo-on-failure"],
        &lines(&[record(&common[1])]),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("smoke test of health failed"),
        "{}",
        run.stderr
    );
    for name in ["api", "worker", "health"] {
        assert_eq!(
            account.function_layers(REGION, name).await,
            list![&common[0]],
            "{name}"
        );
        let e = entry(&run.records[0], name);
        assert_eq!(e["status"], "restored", "{e}");
        assert!(
            e["reason"]
                .as_str()
                .unwrap()
                .contains("function reported an error"),
            "{e}"
        );
    }

    // Without --undo-on-failure the functions stay updated, and the exit says so.
    let run = attach(
        &account,
        None,
        &["--smoke", "health"],
        &lines(&[record(&common[1])]),
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--undo"), "{}", run.stderr);
    assert_eq!(
        account.function_layers(REGION, "api").await,
        list![&common[1]]
    );
}

#[tokio::test]
async fn a_healthy_smoke_test_with_publish_and_alias_then_undo() {
    let account = Account::new().await;
    let common = layer_versions(&account, "common", 2).await;
    for name in ["api", "health"] {
        account
            .create_function(REGION, &FunctionSpec::new(name).layer(&common[0]))
            .await;
    }
    let proxy = Proxy::start(account.endpoint());
    proxy.add_rule(Rule::new(
        "Invoke",
        Fault::invoke_returns(&json!({"statusCode": 200, "body": "ok"})),
    ));
    let run = attach(
        &account,
        Some(proxy.endpoint()),
        &["--smoke", "health", "--undo-on-failure", "--alias", "live"],
        &lines(&[record(&common[1])]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(proxy.stats("Invoke").received, 1);
    let api = entry(&run.records[0], "api");
    assert_eq!(api["status"], "updated");
    let version = api["published_version"].as_str().unwrap().to_string();
    assert_eq!(
        api["alias"],
        json!({"name": "live", "before": null, "after": version})
    );
    let lambda = account.lambda(REGION).await;
    let alias = lambda
        .get_alias()
        .function_name("api")
        .name("live")
        .send()
        .await
        .unwrap();
    assert_eq!(alias.function_version(), Some(version.as_str()));

    // Undo restores the layers and removes the alias the deploy created.
    let undo = attach(&account, None, &["--undo"], &lines(&run.records));
    assert_eq!(undo.code, 0, "{}", undo.stderr);
    assert_eq!(
        account.function_layers(REGION, "api").await,
        list![&common[0]]
    );
    assert!(
        lambda
            .get_alias()
            .function_name("api")
            .name("live")
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn conflicts_and_in_progress_updates_are_waited_out() {
    let account = Account::new().await;
    let common = layer_versions(&account, "common", 2).await;
    for name in ["busy", "slow", "calm"] {
        account
            .create_function(REGION, &FunctionSpec::new(name).layer(&common[0]))
            .await;
    }
    // Updates are instant here (moto's way): the rules below script the 409s and
    // the InProgress answers, and the poll counts asserted are theirs alone. The
    // model's own InProgress would make every function polled (that is covered
    // by the other tests through the model).
    let proxy = Proxy::start_with(account.endpoint(), AwsModel::aws().instant_updates());
    // "busy" has an update of someone else's running: two 409s, then it goes through.
    proxy.add_rule(
        Rule::new("UpdateFunctionConfiguration", Fault::conflict())
            .function("busy")
            .times(2),
    );
    // "slow" takes a while: the update answers InProgress, and so do two polls.
    proxy.add_rule(Rule::new("UpdateFunctionConfiguration", Fault::in_progress()).function("slow"));
    proxy.add_rule(
        Rule::new("GetFunction", Fault::in_progress())
            .function("slow")
            .times(2),
    );

    let run = attach(
        &account,
        Some(proxy.endpoint()),
        &[],
        &lines(&[record(&common[1])]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    for name in ["busy", "slow", "calm"] {
        assert_eq!(entry(&run.records[0], name)["status"], "updated", "{name}");
        assert_eq!(
            account.function_layers(REGION, name).await,
            list![&common[1]],
            "{name}"
        );
    }
    let updates_of = |name: &str| {
        proxy
            .requests("UpdateFunctionConfiguration")
            .iter()
            .filter(|r| r.function.as_deref() == Some(name))
            .count()
    };
    assert_eq!(updates_of("busy"), 3);
    assert_eq!(updates_of("slow"), 1);
    // Polled with GetFunction (its own quota), never GetFunctionConfiguration.
    assert_eq!(proxy.stats("GetFunctionConfiguration").received, 0);
    let polls = proxy.requests("GetFunction");
    assert_eq!(
        polls
            .iter()
            .filter(|r| r.function.as_deref() == Some("slow"))
            .count(),
        3
    );
    assert!(
        polls.iter().all(|r| r.function.as_deref() == Some("slow")),
        "only the slow one is polled"
    );
}

#[tokio::test]
async fn failures_are_reported_per_function_and_the_output_is_complete() {
    let account = Account::new().await;
    let common = layer_versions(&account, "common", 2).await;
    for name in ["broken", "raced", "fine", "stuck"] {
        account
            .create_function(REGION, &FunctionSpec::new(name).layer(&common[0]))
            .await;
    }
    let proxy = Proxy::start(account.endpoint());
    // Every function carries a RevisionId (moto does not): the update must send it.
    proxy.add_rule(Rule::new(
        "ListFunctions",
        Fault::Patch(json!({"RevisionId": "rev-7"})),
    ));
    proxy.add_rule(
        Rule::new(
            "UpdateFunctionConfiguration",
            Fault::update_failed("Layer extraction failed"),
        )
        .function("broken"),
    );
    proxy.add_rule(
        Rule::new("UpdateFunctionConfiguration", Fault::precondition_failed()).function("raced"),
    );
    proxy.add_rule(Rule::new("UpdateFunctionConfiguration", Fault::conflict()).function("stuck"));

    let run = attach(
        &account,
        Some(proxy.endpoint()),
        &["--wait-timeout", "5", "--retry-for", "3"],
        &lines(&[record(&common[1])]),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("3 of 4 functions failed"),
        "{}",
        run.stderr
    );
    let out = &run.records[0];
    assert_eq!(entry(out, "fine")["status"], "updated");
    let broken = entry(out, "broken");
    assert_eq!(broken["status"], "failed");
    assert!(
        broken["reason"]
            .as_str()
            .unwrap()
            .contains("Layer extraction failed"),
        "{broken}"
    );
    let raced = entry(out, "raced");
    assert_eq!(raced["status"], "failed");
    assert!(
        raced["reason"]
            .as_str()
            .unwrap()
            .contains("changed by someone else"),
        "{raced}"
    );
    let stuck = entry(out, "stuck");
    assert_eq!(stuck["status"], "failed");
    assert!(
        stuck["reason"].as_str().unwrap().contains("gave up after"),
        "{stuck}"
    );
    // The precondition failure was a single attempt: it is not retried.
    let updates = proxy.requests("UpdateFunctionConfiguration");
    assert_eq!(
        updates
            .iter()
            .filter(|r| r.function.as_deref() == Some("raced"))
            .count(),
        1
    );
    assert!(
        updates.iter().all(|r| r.json()["RevisionId"] == "rev-7"),
        "every update is guarded by the RevisionId it read"
    );
}

#[tokio::test]
async fn stays_under_the_rate_limit_by_default_and_recovers_above_it() {
    let account = Account::new().await;
    let common = layer_versions(&account, "common", 3).await;
    for i in 0..40 {
        account
            .create_function(
                REGION,
                &FunctionSpec::new(format!("fn-{i:02}")).layer(&common[0]),
            )
            .await;
    }
    let proxy = Proxy::start(account.endpoint());
    let run = attach(
        &account,
        Some(proxy.endpoint()),
        &["-v"],
        &lines(&[record(&common[1])]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(proxy.stats("UpdateFunctionConfiguration").received, 40);
    let throttled: usize = proxy.all_stats().values().map(|s| s.throttled).sum();
    assert_eq!(throttled, 0, "the default rate stays under Lambda's limit");
    // No redundant calls: the shared bucket took the listing, the layer
    // version and one update per function; every update (InProgress for 1 s
    // under the model) was polled with GetFunction, about once.
    let report = proxy.bucket_report();
    assert_eq!(proxy.bucket(Bucket::Shared).requests, 42, "{report}");
    let polls = proxy.bucket(Bucket::GetFunction).requests;
    assert!((40..=44).contains(&polls), "{report}");
    // -v reports the calls per bucket, as the pacer counted them.
    assert!(
        run.stderr
            .contains("Lambda requests per quota bucket, us-east-1: GetFunction"),
        "{}",
        run.stderr
    );

    // Told to go faster than the limit, it is throttled, and still updates everything.
    let fast = Proxy::start(moto().endpoint());
    let run = attach(
        &account,
        Some(fast.endpoint()),
        &["--rate", "60", "--concurrency", "16"],
        &lines(&[record(&common[2])]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Paced at 60/s against a quota of 15/s: AWS throttles, and the run
    // recovers (the SDK's retry, then the tool's own for updates).
    let shared = fast.bucket(Bucket::Shared);
    assert!(shared.throttled > 0, "{}", fast.bucket_report());
    let stats = fast.stats("UpdateFunctionConfiguration");
    assert_eq!(stats.forwarded, 40, "{stats:?}");
    assert!(
        run.records[0]["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["status"] == "updated")
    );
    for i in [0, 17, 39] {
        assert_eq!(
            account.function_layers(REGION, &format!("fn-{i:02}")).await,
            list![&common[2]]
        );
    }
}

#[tokio::test]
async fn records_of_two_regions_update_both_and_region_narrows_the_run() {
    let account = Account::new().await;
    let west = "eu-west-1";
    let east = layer_versions_in(&account, REGION, "common", 3).await;
    let western = layer_versions_in(&account, west, "common", 3).await;
    account
        .create_function(REGION, &FunctionSpec::new("api").layer(&east[0]))
        .await;
    account
        .create_function(west, &FunctionSpec::new("web").layer(&western[0]))
        .await;
    account
        .create_function(west, &FunctionSpec::new("current").layer(&western[1]))
        .await;
    let proxy = Proxy::start(account.endpoint());

    // --region eu-west-1: the us-east-1 record passes through untouched.
    let input = lines(&[record(&east[1]), record(&western[1])]);
    let run = attach(
        &account,
        Some(proxy.endpoint()),
        &["--region", west],
        &input,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.records.len(), 2);
    assert!(
        run.records[0].get("attachments").is_none(),
        "{:#}",
        run.records[0]
    );
    assert_eq!(run.records[0]["published"]["version_arn"], east[1]);
    let web = entry(&run.records[1], "web");
    assert_eq!(
        (web["status"].as_str(), web["region"].as_str()),
        (Some("updated"), Some(west))
    );
    assert_eq!(entry(&run.records[1], "current")["status"], "unchanged");
    assert_eq!(
        account.function_layers(west, "web").await,
        list![&western[1]]
    );
    assert_eq!(
        account.function_layers(REGION, "api").await,
        list![&east[0]]
    );
    // Unchanged and unchosen functions get no update request at all.
    assert_eq!(updates_of(&proxy, "current"), 0);
    assert_eq!(updates_of(&proxy, "api"), 0);
    assert_eq!(updates_of(&proxy, "web"), 1);

    // Without --region, each record's region gets its own layer version.
    let input = lines(&[record(&east[2]), record(&western[2])]);
    let run = attach(&account, Some(proxy.endpoint()), &[], &input);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(entry(&run.records[0], "api")["region"], REGION);
    assert!(
        run.records[0]["attachments"].as_array().unwrap().len() == 1,
        "a record lists the functions of its own region: {:#}",
        run.records[0]
    );
    assert_eq!(entry(&run.records[1], "web")["region"], west);
    assert_eq!(
        account.function_layers(REGION, "api").await,
        list![&east[2]]
    );
    assert_eq!(
        account.function_layers(west, "web").await,
        list![&western[2]]
    );
    assert_eq!(
        account.function_layers(west, "current").await,
        list![&western[2]]
    );
}

#[tokio::test]
async fn function_and_prefix_selectors_and_users_only() {
    let account = Account::new().await;
    let common = layer_versions(&account, "common", 3).await;
    for spec in [
        FunctionSpec::new("svc-a"),
        FunctionSpec::new("svc-b").layer(&common[0]),
        FunctionSpec::new("svc-c"),
        FunctionSpec::new("other"),
    ] {
        account.create_function(REGION, &spec).await;
    }

    // --function: exactly these, the layer appended where it is missing; the
    // user svc-b is not chosen, so it stays.
    let run = attach(
        &account,
        None,
        &["--function", "svc-a", "--function", "other"],
        &lines(&[record(&common[1])]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.records[0]["attachments"].as_array().unwrap().len(), 2);
    assert_eq!(
        account.function_layers(REGION, "svc-a").await,
        list![&common[1]]
    );
    assert_eq!(
        account.function_layers(REGION, "other").await,
        list![&common[1]]
    );
    assert_eq!(
        account.function_layers(REGION, "svc-b").await,
        list![&common[0]]
    );

    // --prefix with --users-only: of svc-a, svc-b, svc-c only the users (a and b)
    // move; svc-c does not get the layer.
    let run = attach(
        &account,
        None,
        &["--prefix", "svc-", "--users-only"],
        &lines(&[record(&common[2])]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        account.function_layers(REGION, "svc-a").await,
        list![&common[2]]
    );
    assert_eq!(
        account.function_layers(REGION, "svc-b").await,
        list![&common[2]]
    );
    assert!(account.function_layers(REGION, "svc-c").await.is_empty());
    assert_eq!(
        account.function_layers(REGION, "other").await,
        list![&common[1]]
    );

    // --prefix alone: every svc- function, users or not.
    let run = attach(
        &account,
        None,
        &["--prefix", "svc-"],
        &lines(&[record(&common[2])]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(entry(&run.records[0], "svc-c")["status"], "updated");
    assert_eq!(entry(&run.records[0], "svc-a")["status"], "unchanged");
    assert_eq!(
        account.function_layers(REGION, "svc-c").await,
        list![&common[2]]
    );
    assert_eq!(
        account.function_layers(REGION, "other").await,
        list![&common[1]]
    );
}

#[tokio::test]
async fn publish_version_alone_publishes_the_new_configuration() {
    let account = Account::new().await;
    let common = api_on_the_first_of(&account, 2).await;
    let run = attach(
        &account,
        None,
        &["--publish-version"],
        &lines(&[record(&common[1])]),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let api = entry(&run.records[0], "api");
    assert_eq!(api["status"], "updated");
    assert!(api.get("alias").is_none(), "{api}");
    let version = api["published_version"]
        .as_str()
        .expect("a version")
        .to_string();
    let published = account
        .lambda(REGION)
        .await
        .get_function_configuration()
        .function_name("api")
        .qualifier(&version)
        .send()
        .await
        .unwrap();
    let layers: Vec<String> = published
        .layers()
        .iter()
        .filter_map(|l| l.arn().map(str::to_string))
        .collect();
    assert_eq!(
        layers,
        list![&common[1]],
        "the published version has the new layer"
    );
}

/// A health check answering `statusCode` 500 (no function error) fails the smoke
/// test; the rollback restores the layers and moves an existing alias back.
#[tokio::test]
async fn an_unhealthy_answer_rolls_back_layers_and_an_existing_alias() {
    let account = Account::new().await;
    let common = api_on_the_first_of(&account, 2).await;
    let lambda = account.lambda(REGION).await;
    lambda
        .publish_version()
        .function_name("api")
        .send()
        .await
        .unwrap();
    lambda
        .create_alias()
        .function_name("api")
        .name("live")
        .function_version("1")
        .send()
        .await
        .unwrap();
    let proxy = Proxy::start(account.endpoint());
    proxy.add_rule(Rule::new(
        "Invoke",
        Fault::invoke_returns(&json!({"statusCode": 500, "body": "db down"})),
    ));

    let run = attach(
        &account,
        Some(proxy.endpoint()),
        &["--alias", "live", "--smoke", "health", "--undo-on-failure"],
        &lines(&[record(&common[1])]),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let api = entry(&run.records[0], "api");
    assert_eq!(api["status"], "restored", "{api}");
    assert!(
        api["reason"].as_str().unwrap().contains("statusCode 500"),
        "{api}"
    );
    // The deploy had moved the existing alias from 1 to the new version 2.
    assert_eq!(
        api["alias"],
        json!({"name": "live", "before": "1", "after": "2"})
    );
    assert_eq!(
        proxy.stats("UpdateAlias").received,
        2,
        "moved, then moved back"
    );
    assert_eq!(
        account.function_layers(REGION, "api").await,
        list![&common[0]]
    );
    let alias = lambda
        .get_alias()
        .function_name("api")
        .name("live")
        .send()
        .await
        .unwrap();
    assert_eq!(alias.function_version(), Some("1"));
}

#[tokio::test]
async fn blocked_runtimes_and_container_images_are_skipped_with_the_reason() {
    let account = Account::new().await;
    // Both versions declare python3.9 and python3.11: only the runtime
    // lifecycle and the package type stand in the way.
    let mut common = Vec::new();
    for i in 0..2 {
        let published = account
            .lambda(REGION)
            .await
            .publish_layer_version()
            .layer_name("common")
            .content(
                aws_sdk_lambda::types::LayerVersionContentInput::builder()
                    .zip_file(zip_bytes(&[("python/v.py", format!("V = {i}").as_bytes())]).into())
                    .build(),
            )
            .compatible_runtimes(aws_sdk_lambda::types::Runtime::Python39)
            .compatible_runtimes(aws_sdk_lambda::types::Runtime::Python311)
            .send()
            .await
            .unwrap();
        common.push(published.layer_version_arn().unwrap().to_string());
    }
    account
        .create_function(
            REGION,
            &FunctionSpec::new("legacy")
                .runtime("python3.9")
                .layer(&common[0]),
        )
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("current").layer(&common[0]))
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("boxed").image())
        .await;
    let input = lines(&[record(&common[1])]);
    let on = |day: &str| {
        Proxy::start_with(
            account.endpoint(),
            AwsModel::aws().runtimes(Some(RuntimeLifecycle::aws().on(day))),
        )
    };

    // The day before AWS blocks python3.9 updates: it is updated.
    let proxy = on("2026-03-08");
    let mut command = account.command(BIN);
    let out = command
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .env("LAYER_TOOLS_TODAY", "2026-03-08")
        .args(["--dry-run", "--function", "legacy", "--function", "boxed"])
        .write_stdin(input.clone())
        .output()
        .unwrap();
    let records = parse_valid_lines(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(entry(&records[0], "legacy")["status"], "planned");
    let boxed = entry(&records[0], "boxed");
    assert_eq!(boxed["status"], "skipped", "{boxed}");
    assert!(
        boxed["reason"]
            .as_str()
            .unwrap()
            .contains("container image function (PackageType Image)"),
        "{boxed}"
    );

    // From the block day on: skipped with the reason, never sent to AWS.
    let proxy = on("2026-03-09");
    let out = account
        .command(BIN)
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .env("LAYER_TOOLS_TODAY", "2026-03-09")
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = parse_valid_lines(&out.stdout);
    let legacy = entry(&records[0], "legacy");
    assert_eq!(legacy["status"], "skipped", "{legacy}");
    let reason = legacy["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("AWS no longer lets functions on python3.9 be updated")
            && reason.contains("since 2026-03-09"),
        "{reason}"
    );
    assert_eq!(entry(&records[0], "current")["status"], "updated");
    assert_eq!(updates_of(&proxy, "legacy"), 0);
    assert_eq!(proxy.stats("UpdateFunctionConfiguration").refused, 0);
    assert_eq!(
        account.function_layers(REGION, "legacy").await,
        list![&common[0]]
    );

    // A day that is not a date is a usage error, before any AWS call.
    let out = account
        .command(BIN)
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .env("LAYER_TOOLS_TODAY", "yesterday")
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("LAYER_TOOLS_TODAY=yesterday is not a date")
    );
}

#[tokio::test]
async fn a_failed_smoke_test_also_rolls_back_functions_whose_publish_step_failed() {
    let account = Account::new().await;
    let common = layer_versions(&account, "common", 2).await;
    functions_on(&account, &["api", "worker", "health"], &common[0]).await;
    let proxy = Proxy::start(account.endpoint());
    // The layers of "worker" change, then publishing its version is refused.
    proxy.add_rule(
        Rule::new(
            "PublishVersion",
            Fault::error(
                400,
                "InvalidParameterValueException",
                "refused for the test",
            ),
        )
        .function("worker"),
    );
    // moto without a Docker engine answers Invoke with FunctionError: Handled.
    let run = attach(
        &account,
        Some(proxy.endpoint()),
        &[
            "--publish-version",
            "--smoke",
            "health",
            "--undo-on-failure",
        ],
        &lines(&[record(&common[1])]),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    for name in ["api", "worker", "health"] {
        let e = entry(&run.records[0], name);
        assert_eq!(e["status"], "restored", "{name}: {e}");
        assert_eq!(
            account.function_layers(REGION, name).await,
            list![&common[0]],
            "{name}"
        );
    }
    assert!(
        run.stderr.contains("rolled back 3 of 3 changed functions"),
        "{}",
        run.stderr
    );
}
