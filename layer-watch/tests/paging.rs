//! Paged answers, which moto never gives: the harness's proxy answers the first
//! request with a canned page that carries a continuation token, and forwards
//! the next one to moto (which ignores the token and answers in full). If the
//! tool did not follow the token, what only the other page holds would be missing.

mod common;

use std::time::Duration;

use common::{calls, function, lambda_datum, report, run_via, seed};
use layer_test_harness::proxy::{AwsModel, Fault, Proxy, Rule};
use layer_test_harness::{Account, FunctionSpec, REGION};
use serde_json::json;

fn canned(content_type: &str, body: String) -> Fault {
    Fault::Respond {
        status: 200,
        headers: vec![("content-type".into(), content_type.into())],
        body: body.into_bytes(),
    }
}

/// ListFunctions: page 1 (canned) holds only `ghost` on v1, page 2 (moto) holds
/// the real functions. The inventory must have both.
#[tokio::test]
async fn the_inventory_follows_every_list_functions_page() {
    let account = Account::new().await;
    let (v1, v2) = common::two_versions(&account).await;
    account
        .create_function(REGION, &FunctionSpec::new("real").layer(&v2))
        .await;
    let page_one = json!({
        "Functions": [{
            "FunctionName": "ghost",
            "FunctionArn": format!("arn:aws:lambda:{REGION}:{}:function:ghost", account.id),
            "Version": "$LATEST",
            "Runtime": "python3.11",
            "Layers": [{"Arn": v1, "CodeSize": 1}],
        }],
        "NextMarker": "page-2",
    });
    // The model's own pages are turned off: the canned first page carries a
    // marker ("page-2") the model did not hand out, which it would refuse as
    // AWS refuses a foreign marker. (The model's paging: tests/harness/tests/aws_model.rs.)
    let proxy = Proxy::start_with(account.endpoint(), AwsModel::aws().page_size(None));
    proxy.add_rule(
        Rule::new(
            "ListFunctions",
            canned("application/json", page_one.to_string()),
        )
        .times(1),
    );

    let out = run_via(
        &account,
        Some(proxy.endpoint()),
        &["common", "--no-metrics"],
        None,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(proxy.stats("ListFunctions").received, 2, "two pages read");
    let report = report(&out, "common");
    assert_eq!(report["drift"]["functions_using"], 2, "{report:#}");
    assert_eq!(function(report, "ghost")["latest_uses"], 1);
    assert_eq!(function(report, "real")["latest_uses"], 2);
    assert_eq!(report["drift"]["behind"][0]["function"], "ghost");
}

/// GetMetricData: page 1 (canned) has no values and a NextToken; the tool must
/// ask again with the token, and count what the second page (moto) returns.
#[tokio::test]
async fn metrics_follow_get_metric_data_tokens() {
    let account = Account::new().await;
    let v1 = account
        .publish_layer(REGION, "common", &[("python/c.py", b"1")])
        .await;
    account
        .create_function(REGION, &FunctionSpec::new("api").layer(&v1))
        .await;
    seed(
        &account,
        vec![
            lambda_datum("api", "Invocations", 40.0, Duration::from_secs(600)),
            lambda_datum("api", "Duration", 2_000.0, Duration::from_secs(600)),
        ],
    )
    .await;
    let page_one = r#"<GetMetricDataResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
  <GetMetricDataResult>
    <MetricDataResults/>
    <NextToken>page-2</NextToken>
    <Messages/>
  </GetMetricDataResult>
  <ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000001</RequestId></ResponseMetadata>
</GetMetricDataResponse>"#;
    let proxy = Proxy::start(account.endpoint());
    proxy.add_rule(Rule::new("GetMetricData", canned("text/xml", page_one.into())).times(1));

    let out = run_via(
        &account,
        Some(proxy.endpoint()),
        &["common", "--since", "1h", "--no-aliases", "-v"],
        None,
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        calls(&out.stderr, "CloudWatch.GetMetricData"),
        2,
        "{}",
        out.stderr
    );
    let requests = proxy.requests("GetMetricData");
    assert_eq!(requests.len(), 2);
    let second = String::from_utf8_lossy(&requests[1].body);
    assert!(second.contains("NextToken=page-2"), "{second}");
    let metrics = &report(&out, "common")["metrics"];
    assert_eq!(metrics["invocations"], 40);
    assert_eq!(metrics["average_duration_ms"], 50.0);
}
