//! layer-watch --put-metrics (one run, no --interval) stopped by a signal: the
//! first lets the run finish, so every metric it put is accounted for by the
//! reports on stdout, and exits 128 + the signal; a second abandons it at once
//! and says that some metrics may have been put. Without --put-metrics nothing
//! changes, and signals keep their default action.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{BIN, account_with_one_user, cloudwatch};
use layer_test_harness::signals::{Stopped, Stopping, stop_when};
use layer_test_harness::{Account, Fault, Proxy, Rule, moto, schema};

/// A layer with one user, and layer-watch --put-metrics through a proxy that
/// delays PutMetricData by `delay`, stopped by `signal` (`times` times) once
/// that call is under way.
async fn put_metrics_and_signal(delay: Duration, signal: &str, times: usize) -> (Account, Stopped) {
    let account = account_with_one_user().await;
    let proxy = Proxy::start(moto().endpoint());
    proxy.add_rule(Rule::new("PutMetricData", Fault::Delay(delay)));
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .envs(account.env())
        .args(["--endpoint-url", proxy.endpoint()])
        .args([
            "common",
            "--no-metrics",
            "--put-metrics",
            "--format",
            "json",
        ]);
    let stopping = Stopping {
        operation: "PutMetricData",
        received: 1,
        signal,
        times,
    };
    let stopped = tokio::task::block_in_place(|| stop_when(command, "", &proxy, &stopping));
    (account, stopped)
}

async fn published_metrics(account: &Account) -> usize {
    cloudwatch(account)
        .await
        .list_metrics()
        .namespace("LayerTools")
        .send()
        .await
        .expect("list-metrics")
        .metrics()
        .len()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_the_metrics_in_flight_land_and_writes_their_report() {
    let (account, stopped) = put_metrics_and_signal(Duration::from_millis(1500), "TERM", 1).await;
    assert_eq!(stopped.code, Some(143), "{}", stopped.stderr);
    assert!(
        stopped.stderr.contains("stopped after the run finished"),
        "{}",
        stopped.stderr
    );
    let reports = schema::parse_valid_lines(&stopped.stdout);
    assert_eq!(reports.len(), 1, "{}", stopped.stderr);
    assert_eq!(reports[0]["layer_name"], "common");
    assert_eq!(reports[0]["drift"]["functions_using"], 1);
    assert!(
        published_metrics(&account).await > 0,
        "the metrics were put"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_sigint_abandons_put_metrics_at_once_and_says_so() {
    let (_account, stopped) = put_metrics_and_signal(Duration::from_secs(8), "INT", 2).await;
    assert_eq!(stopped.code, Some(130), "{}", stopped.stderr);
    assert!(stopped.took < Duration::from_secs(5), "{:?}", stopped.took);
    assert!(stopped.stdout.is_empty(), "no report of an abandoned run");
    assert!(
        stopped
            .stderr
            .contains("some of this run's metrics may be in CloudWatch"),
        "{}",
        stopped.stderr
    );
    assert!(
        stopped.stderr.contains("run the same command again"),
        "{}",
        stopped.stderr
    );
}
