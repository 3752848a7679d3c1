//! layer-watch behind the harness proxy's AWS model (docs/aws.md): what it
//! fetches per function and when, another account's layer read version by
//! version, and functions on deprecated runtimes.

mod common;

use common::{function as function_of, report, run_via};
use layer_test_harness::proxy::{Bucket, Fault, Proxy, Rule};
use layer_test_harness::{Account, FunctionSpec, REGION};
use serde_json::{Value, json};

/// Functions using the layer without published versions need no ListAliases
/// (an alias points at `$LATEST` or at a published version); aliases are
/// listed only for the function with a published version on the layer.
#[tokio::test]
async fn aliases_are_listed_only_where_a_published_version_uses_the_layer() {
    let account = Account::new().await;
    let (v1, v2) = common::two_versions(&account).await;
    // 60 functions on v2, no published versions: two pages of ListFunctions.
    for i in 0..60 {
        account
            .create_function(
                REGION,
                &FunctionSpec::new(format!("plain-{i:02}")).layer(&v2),
            )
            .await;
    }
    // One with an alias on $LATEST (runs what $LATEST runs; nothing to fetch).
    account
        .create_function(REGION, &FunctionSpec::new("latest-alias").layer(&v1))
        .await;
    let lambda = account.lambda(REGION).await;
    lambda
        .create_alias()
        .function_name("latest-alias")
        .name("live")
        .function_version("$LATEST")
        .send()
        .await
        .unwrap();
    // One with a published version on v1 and an alias on it, then $LATEST on v2.
    account
        .create_function(REGION, &FunctionSpec::new("versioned").layer(&v1))
        .await;
    let published = lambda
        .publish_version()
        .function_name("versioned")
        .send()
        .await
        .unwrap();
    lambda
        .create_alias()
        .function_name("versioned")
        .name("prod")
        .function_version(published.version().unwrap())
        .send()
        .await
        .unwrap();
    lambda
        .update_function_configuration()
        .function_name("versioned")
        .layers(&v2)
        .send()
        .await
        .unwrap();

    let proxy = Proxy::start(account.endpoint());
    let out = run_via(
        &account,
        Some(proxy.endpoint()),
        &["common", "--no-metrics", "-v"],
        None,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let layer = report(&out, "common");

    let aliases = proxy.requests("ListAliases");
    assert_eq!(aliases.len(), 1, "{}", proxy.bucket_report());
    assert_eq!(aliases[0].function.as_deref(), Some("versioned"));
    // The rest is one call per page or per layer version, not per function:
    // 2 ListFunctions pages (62 functions and a version, 50 a page),
    // 1 ListLayerVersions, 2 GetLayerVersion (sizes), 1 ListAliases.
    assert_eq!(
        proxy.bucket(Bucket::Shared).requests,
        6,
        "{}",
        proxy.bucket_report()
    );
    assert_eq!(proxy.bucket(Bucket::Shared).throttled, 0);

    let versioned = function_of(layer, "versioned");
    assert_eq!(
        versioned["uses"],
        json!([
            {"qualifier": "$LATEST", "kind": "version", "layer_version": 2},
            {"qualifier": "1", "kind": "version", "layer_version": 1},
            {"qualifier": "prod", "kind": "alias", "function_version": "1", "layer_version": 1}
        ])
    );
    // An alias on $LATEST is not listed: $LATEST itself is.
    assert_eq!(
        function_of(layer, "latest-alias")["uses"],
        json!([{"qualifier": "$LATEST", "kind": "version", "layer_version": 1}])
    );
    assert_eq!(layer["drift"]["functions_using"], 62);
    assert_eq!(
        layer["drift"]["functions_behind"], 2,
        "{:#}",
        layer["drift"]
    );
    // -v names the calls per quota bucket as the pacer counted them.
    assert!(
        out.stderr.contains(
            "Lambda requests per quota bucket, us-east-1: GetFunction 0, GetPolicy 0, shared 6"
        ),
        "{}",
        out.stderr
    );
}

/// Another account's layer: never listed (AWS refuses it), the versions the
/// functions use are read one by one by ARN; a version not granted is
/// reported as unreadable, not a failure.
#[tokio::test]
async fn another_accounts_layer_is_read_version_by_version() {
    let owner = Account::new().await;
    let reader = Account::new().await;
    let shared: Vec<String> = {
        let mut arns = Vec::new();
        for i in 1..=3 {
            let body = format!("V = {i}");
            arns.push(
                owner
                    .publish_layer(REGION, "shared", &[("python/s.py", body.as_bytes())])
                    .await,
            );
        }
        arns
    };
    let proxy = Proxy::start(owner.endpoint());
    // The owner grants version 2 to the reader, through the proxy (the model
    // sees only grants made through it).
    owner
        .lambda_through(proxy.endpoint())
        .await
        .add_layer_version_permission()
        .layer_name("shared")
        .version_number(2)
        .statement_id("reader")
        .action("lambda:GetLayerVersion")
        .principal(&reader.id)
        .send()
        .await
        .unwrap();
    // moto files another account's layer ARN under the caller's own account,
    // so the reader's functions are listed as AWS would list them.
    let function = |name: &str, layer: &str| {
        json!({
            "FunctionName": name,
            "FunctionArn": format!("arn:aws:lambda:{REGION}:{}:function:{name}", reader.id),
            "Version": "$LATEST",
            "Runtime": "python3.12",
            "PackageType": "Zip",
            "Layers": [{"Arn": layer, "CodeSize": 1}],
        })
    };
    let listing = json!({"Functions": [
        function("on-granted", &shared[1]),
        function("on-ungranted", &shared[0]),
    ]});
    proxy.add_rule(Rule::new(
        "ListFunctions",
        Fault::Respond {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: listing.to_string().into_bytes(),
        },
    ));
    let layer_arn = shared[0].rsplit_once(':').unwrap().0.to_string();

    // Named with its latest version: drift is judged against it.
    let latest = format!("{layer_arn}:3");
    let out = run_via(
        &reader,
        Some(proxy.endpoint()),
        &[&latest, "--no-metrics"],
        None,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let layer = &out.records[0];
    assert_eq!(proxy.stats("ListLayerVersions").received, 0, "never listed");
    assert_eq!(layer["latest_version"], 3);
    let versions: Vec<i64> = layer["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    // 2 was granted; 1 and 3 were not (3 is named, 1 is in use): unreadable.
    assert_eq!(versions, [2], "{layer:#}");
    assert_eq!(layer["versions"][0]["exists"], true);
    assert!(layer["versions"][0]["code_size"].as_i64().unwrap() > 0);
    let other = &layer["other_account"];
    assert_eq!(other["owner_account"], owner.id.as_str());
    assert_eq!(other["unreadable_versions"], json!([3, 1]));
    assert!(
        other["note"]
            .as_str()
            .unwrap()
            .contains("drift is judged against version 3"),
        "{other}"
    );
    // An unreadable version in use is not called deleted.
    assert_eq!(layer["deleted_in_use"], json!([]));
    assert_eq!(layer["drift"]["functions_behind"], 2);
    assert_eq!(layer["storage"]["retention"]["policy"], Value::Null);

    // Named without a version: the latest is unknown, drift is not judged.
    let out = run_via(
        &reader,
        Some(proxy.endpoint()),
        &[&layer_arn, "--no-metrics"],
        None,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let layer = &out.records[0];
    assert_eq!(layer["latest_version"], Value::Null);
    assert_eq!(layer["drift"]["functions_behind"], 0);
    assert_eq!(layer["other_account"]["unreadable_versions"], json!([1]));
    assert!(
        layer["other_account"]["note"]
            .as_str()
            .unwrap()
            .contains("the latest version is unknown"),
    );
    assert_eq!(proxy.stats("ListLayerVersions").received, 0);
}

/// Seen from an account without functions (its own account cannot be told
/// from them), the listing is tried, refused, and the report says so.
#[tokio::test]
async fn another_accounts_layer_from_an_empty_account_reports_what_it_cannot_see() {
    let owner = Account::new().await;
    let reader = Account::new().await;
    let arn = owner
        .publish_layer(REGION, "vendor", &[("python/v.py", b"v")])
        .await;
    let proxy = Proxy::start(owner.endpoint());
    let out = run_via(
        &reader,
        Some(proxy.endpoint()),
        &[&arn, "--no-metrics"],
        None,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let layer = &out.records[0];
    assert_eq!(
        proxy.stats("ListLayerVersions").refused,
        1,
        "the model refused the listing"
    );
    assert_eq!(layer["latest_version"], 1);
    assert_eq!(layer["versions"], json!([]));
    assert_eq!(layer["other_account"]["unreadable_versions"], json!([1]));
}

/// Functions on a runtime AWS deprecated are reported, with the dates.
#[tokio::test]
async fn functions_on_deprecated_runtimes_are_reported() {
    let account = Account::new().await;
    let v1 = account
        .publish_layer(REGION, "common", &[("python/c.py", b"1")])
        .await;
    for (name, runtime) in [
        ("old", "python3.9"),
        ("older", "python3.8"),
        ("new", "python3.12"),
    ] {
        account
            .create_function(REGION, &FunctionSpec::new(name).runtime(runtime).layer(&v1))
            .await;
    }
    let proxy = Proxy::start(account.endpoint());
    let mut command = account.command(common::BIN);
    let out = command
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .env("LAYER_TOOLS_TODAY", "2026-01-10")
        .args(["common", "--no-metrics"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let records = layer_test_harness::schema::parse_valid_lines(&out.stdout);
    let layer = &records[0];
    assert_eq!(
        layer["deprecated_runtimes"],
        json!([
            {"runtime": "python3.8", "stage": "update_blocked", "deprecated": "2024-10-14",
             "update_blocked": "2025-03-31", "functions": ["older"]},
            {"runtime": "python3.9", "stage": "deprecated", "deprecated": "2025-12-15",
             "update_blocked": "2026-03-09", "functions": ["old"]},
        ])
    );
    assert_eq!(function_of(layer, "new")["runtime_stage"], "supported");
    assert_eq!(function_of(layer, "old")["runtime"], "python3.9");

    // The table says it too.
    let out = account
        .command(common::BIN)
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .env("LAYER_TOOLS_TODAY", "2026-03-09")
        .args(["common", "--no-metrics", "--format", "table"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "deprecated runtime python3.9 (since 2025-12-15, AWS blocks updates from 2026-03-09): old"
        ),
        "{text}"
    );
}
