//! The builds of one layer family in one run (layer-pack gives `makoto-common`
//! for x86_64 and `makoto-common-arm64` when the layer has native code), through
//! the proxy that models AWS: each function gets the build of its architecture
//! and runtime, in place; a function that changed architecture moves to the
//! other build in the same position; a function no build fits is skipped with
//! the reason; `--undo` restores every list.

use aws_sdk_lambda::types::Architecture;
use layer_core::arn::LayerVersionArn;
use layer_core::sections::Published;
use layer_test_harness::proxy::Proxy;
use layer_test_harness::schema::{parse_valid_lines, to_lines};
use layer_test_harness::{Account, FunctionSpec, REGION};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_layer-attach");
const FAMILY: &str = "makoto-common";
const ARM: &str = "makoto-common-arm64";

/// Publish a version of one build (python3.11 and python3.12 on `arch`).
async fn publish(account: &Account, name: &str, arch: Architecture, content: &str) -> String {
    account
        .publish_layer_for(REGION, name, arch, &[("python/lib.py", content.as_bytes())])
        .await
}

fn targets(arch: &str) -> Value {
    json!([format!("python3.11/{arch}"), format!("python3.12/{arch}")])
}

/// The record of one build, as layer-pack and layer-publish write it.
fn record(version_arn: &str, arch: &str) -> Value {
    let arn: LayerVersionArn = version_arn.parse().unwrap();
    let runtimes: Vec<layer_core::platform::Runtime> =
        vec!["python3.11".into(), "python3.12".into()];
    let published = Published {
        account: None,
        ssm_parameter: None,
        region: arn.region.clone(),
        layer_name: arn.name.clone(),
        layer_arn: arn.layer_arn(),
        version: arn.version,
        code_sha256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into(),
        created_date: "2026-11-28T00:00:00.000+0000".into(),
        reused: false,
        description: None,
        compatible_runtimes: runtimes,
        compatible_architectures: vec![arch.parse().unwrap()],
        permissions: vec![],
        retention: None,
        semantic_version: None,
        sha256: None,
        license: None,
        s3: None,
        extra: Default::default(),
        version_arn: arn.clone(),
    };
    json!({
        "schema": "layer-record/v1",
        "layer": {
            "name": arn.name,
            "compatible_runtimes": published.compatible_runtimes,
            "compatible_architectures": [arch],
            "family": {
                "name": FAMILY,
                "targets": targets(arch),
                "builds": [
                    {"name": FAMILY, "targets": targets("x86_64")},
                    {"name": ARM, "targets": targets("arm64")},
                ],
            },
        },
        "published": published,
    })
}

/// Run layer-attach through the proxy: exit code, records, stderr.
fn attach(account: &Account, proxy: &Proxy, args: &[&str], input: &[Value]) -> Run {
    let out = account
        .command(BIN)
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .args(args)
        .write_stdin(to_lines(input))
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        records: parse_valid_lines(&out.stdout),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// What a run gave: its exit code, the records on stdout, stderr.
struct Run {
    code: i32,
    records: Vec<Value>,
    stderr: String,
}

/// The functions a record's attachments name, and each one's status, by name.
fn statuses(record: &Value) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = record["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["function"].as_str().unwrap().to_string(),
                e["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

fn entry<'a>(record: &'a Value, function: &str) -> &'a Value {
    record["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["function"] == function)
        .unwrap_or_else(|| panic!("no entry for {function} in {record:#}"))
}

/// Both builds at versions 1 and 2, and another team's layer.
struct Layers {
    x86: Vec<String>,
    arm: Vec<String>,
    vendor: String,
}

async fn layers(account: &Account) -> Layers {
    Layers {
        x86: vec![
            publish(account, FAMILY, Architecture::X8664, "X = 1\n").await,
            publish(account, FAMILY, Architecture::X8664, "X = 2\n").await,
        ],
        arm: vec![
            publish(account, ARM, Architecture::Arm64, "A = 1\n").await,
            publish(account, ARM, Architecture::Arm64, "A = 2\n").await,
        ],
        vendor: account
            .publish_layer(REGION, "acme-vendor", &[("python/acme.py", b"V = 1\n")])
            .await,
    }
}

#[tokio::test]
async fn each_user_of_the_family_gets_the_build_of_its_architecture_then_undo() {
    let account = Account::new().await;
    let l = layers(&account).await;
    let specs = [
        FunctionSpec::new("api").layer(&l.vendor).layer(&l.x86[0]),
        FunctionSpec::new("worker")
            .architecture("arm64")
            .runtime("python3.12")
            .layer(&l.arm[0])
            .layer(&l.vendor),
        // Moved to arm64 while still on the x86_64 build.
        FunctionSpec::new("moved")
            .architecture("arm64")
            .layer(&l.vendor)
            .layer(&l.x86[0]),
        // An arm64 user on a runtime no build covers.
        FunctionSpec::new("old")
            .architecture("arm64")
            .runtime("python3.9")
            .layer(&l.arm[0]),
        // Uses neither build: not chosen by default.
        FunctionSpec::new("bystander").layer(&l.vendor),
    ];
    for spec in &specs {
        account.create_function(REGION, spec).await;
    }
    let names = ["api", "worker", "moved", "old", "bystander"];
    let mut before = Vec::new();
    for name in names {
        before.push(account.function_layers(REGION, name).await);
    }

    let proxy = Proxy::start(account.endpoint());
    let input = vec![record(&l.x86[1], "x86_64"), record(&l.arm[1], "arm64")];
    let run = attach(&account, &proxy, &[], &input);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.records.len(), 2);

    assert_eq!(
        account.function_layers(REGION, "api").await,
        [l.vendor.clone(), l.x86[1].clone()]
    );
    assert_eq!(
        account.function_layers(REGION, "worker").await,
        [l.arm[1].clone(), l.vendor.clone()]
    );
    assert_eq!(
        account.function_layers(REGION, "moved").await,
        [l.vendor.clone(), l.arm[1].clone()],
        "the arm64 build takes the x86_64 build's place"
    );
    assert_eq!(
        account.function_layers(REGION, "old").await,
        std::slice::from_ref(&l.arm[0])
    );
    assert_eq!(
        account.function_layers(REGION, "bystander").await,
        std::slice::from_ref(&l.vendor)
    );

    // Each record lists the functions its build went to; the skip is told by both.
    let (x86_out, arm_out) = (&run.records[0], &run.records[1]);
    assert_eq!(
        statuses(x86_out),
        [
            ("api".into(), "updated".into()),
            ("old".into(), "skipped".into())
        ]
    );
    assert_eq!(
        statuses(arm_out),
        [
            ("moved".into(), "updated".into()),
            ("old".into(), "skipped".into()),
            ("worker".into(), "updated".into()),
        ]
    );
    let reason = entry(arm_out, "old")["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("no build of makoto-common fits its python3.9 on arm64"),
        "{reason}"
    );
    assert!(
        reason.contains("makoto-common-arm64 covers python3.11/arm64, python3.12/arm64"),
        "{reason}"
    );
    assert_eq!(
        entry(arm_out, "moved")["before"],
        json!([l.vendor, l.x86[0]])
    );

    // The deploy record undoes every build's changes.
    let undo = attach(&account, &proxy, &["--undo"], &run.records);
    assert_eq!(undo.code, 0, "{}", undo.stderr);
    for (name, was) in names.iter().zip(&before) {
        assert_eq!(&account.function_layers(REGION, name).await, was, "{name}");
    }
}

#[tokio::test]
async fn chosen_functions_get_the_build_that_fits_and_a_missing_build_is_a_skip() {
    let account = Account::new().await;
    let l = layers(&account).await;
    for spec in [
        FunctionSpec::new("new-x86"),
        FunctionSpec::new("new-arm").architecture("arm64"),
        FunctionSpec::new("arm-user")
            .architecture("arm64")
            .layer(&l.arm[0]),
        FunctionSpec::new("x86-user").layer(&l.x86[0]),
    ] {
        account.create_function(REGION, &spec).await;
    }
    let proxy = Proxy::start(account.endpoint());
    let both = vec![record(&l.x86[1], "x86_64"), record(&l.arm[1], "arm64")];
    let run = attach(
        &account,
        &proxy,
        &["--function", "new-x86", "--function", "new-arm"],
        &both,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        account.function_layers(REGION, "new-x86").await,
        std::slice::from_ref(&l.x86[1])
    );
    assert_eq!(
        account.function_layers(REGION, "new-arm").await,
        std::slice::from_ref(&l.arm[1])
    );

    // Only the x86_64 build comes in: its users move, an arm64 user is not
    // given it, and is told which build is missing.
    let x86_only = vec![record(&l.x86[1], "x86_64")];
    let run = attach(&account, &proxy, &[], &x86_only);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        account.function_layers(REGION, "x86-user").await,
        std::slice::from_ref(&l.x86[1])
    );
    assert_eq!(
        account.function_layers(REGION, "arm-user").await,
        std::slice::from_ref(&l.arm[0])
    );
    let skipped = entry(&run.records[0], "arm-user");
    assert_eq!(skipped["status"], "skipped");
    assert_eq!(
        skipped["reason"],
        "makoto-common's build for python3.11 on arm64 is makoto-common-arm64, which is not among this run's records"
    );
    assert_eq!(
        entry(&run.records[0], "new-arm")["status"],
        "skipped",
        "new-arm uses the arm64 build now"
    );
}

#[tokio::test]
async fn ambiguous_builds_and_one_version_for_two_builds_are_refused_untouched() {
    let account = Account::new().await;
    let l = layers(&account).await;
    account
        .create_function(REGION, &FunctionSpec::new("api").layer(&l.x86[0]))
        .await;
    let proxy = Proxy::start(account.endpoint());
    let both = vec![record(&l.x86[1], "x86_64"), record(&l.arm[1], "arm64")];
    // An arm64 record that claims x86_64 targets too.
    let mut greedy = record(&l.arm[1], "arm64");
    greedy["layer"]["family"]["targets"] = json!(["python3.11/x86_64", "python3.11/arm64"]);
    for (args, input, expected) in [
        (
            vec!["--to-version", "1"],
            both.clone(),
            "--to-version names one version number, and records 1 and 2 are two builds of makoto-common",
        ),
        (
            vec![],
            vec![record(&l.x86[1], "x86_64"), greedy],
            "records 1 and 2 are builds of makoto-common that both cover python3.11/x86_64",
        ),
    ] {
        let run = attach(&account, &proxy, &args, &input);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.records.is_empty());
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
    assert_eq!(
        account.function_layers(REGION, "api").await,
        std::slice::from_ref(&l.x86[0])
    );
    assert_eq!(proxy.stats("UpdateFunctionConfiguration").received, 0);
}
