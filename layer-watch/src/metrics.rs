//! Lambda's metrics per function from CloudWatch, and their sums.
//!
//! CloudWatch has no per-layer metrics: a layer's numbers are sums over the
//! functions that use it. Four queries per function (Invocations, Errors,
//! Throttles and Duration, all `Sum`), 500 queries per `GetMetricData` call, so
//! `ceil(4 × functions / 500)` calls (more only if CloudWatch pages an answer).
//! The average duration is total Duration / total Invocations, never an average
//! of per-function averages; a function without datapoints counts as zero.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_smithy_types::DateTime;
use layer_core::{Error, Result};
use serde::Serialize;

/// The most queries one GetMetricData call takes.
pub const QUERIES_PER_CALL: usize = 500;
/// GetMetricData calls in flight at once (CloudWatch allows 50 a second).
const CONCURRENT_CALLS: usize = 4;

/// What a function's (or a group of functions') metrics add up to.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Totals {
    pub invocations: f64,
    pub errors: f64,
    pub throttles: f64,
    /// Sum of Duration, in milliseconds.
    pub duration_ms: f64,
}

/// The four metrics of a function, in query order.
const METRICS: [(&str, char); 4] = [
    ("Invocations", 'i'),
    ("Errors", 'e'),
    ("Throttles", 't'),
    ("Duration", 'd'),
];

impl Totals {
    pub fn add(&mut self, other: &Totals) {
        self.invocations += other.invocations;
        self.errors += other.errors;
        self.throttles += other.throttles;
        self.duration_ms += other.duration_ms;
    }

    pub fn sum<'a>(items: impl IntoIterator<Item = &'a Totals>) -> Totals {
        let mut total = Totals::default();
        for item in items {
            total.add(item);
        }
        total
    }

    fn slot(&mut self, tag: char) -> &mut f64 {
        match tag {
            'i' => &mut self.invocations,
            'e' => &mut self.errors,
            't' => &mut self.throttles,
            _ => &mut self.duration_ms,
        }
    }

    /// The numbers people read: counts, error rate and average duration.
    pub fn summary(&self) -> MetricsSummary {
        let per_invocation =
            |value: f64| (self.invocations > 0.0).then(|| value / self.invocations);
        MetricsSummary {
            invocations: self.invocations.round() as u64,
            errors: self.errors.round() as u64,
            throttles: self.throttles.round() as u64,
            error_rate: per_invocation(self.errors),
            duration_ms_total: self.duration_ms,
            average_duration_ms: per_invocation(self.duration_ms),
        }
    }
}

/// Metrics as written in a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricsSummary {
    pub invocations: u64,
    pub errors: u64,
    pub throttles: u64,
    /// errors / invocations; null without invocations.
    pub error_rate: Option<f64>,
    pub duration_ms_total: f64,
    /// Total duration / total invocations; null without invocations.
    pub average_duration_ms: Option<f64>,
}

/// The metrics of each function (by name) over `[start, end)` (Unix seconds),
/// with one period covering the window.
pub async fn fetch(
    client: &Client,
    functions: &[String],
    (start, end): (i64, i64),
    period: i32,
) -> Result<HashMap<String, Totals>> {
    let queries: Vec<MetricDataQuery> = functions
        .iter()
        .enumerate()
        .flat_map(|(index, function)| {
            METRICS.map(|(metric, tag)| query(&format!("{tag}{index}"), function, metric, period))
        })
        .collect();
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_CALLS));
    let mut calls = tokio::task::JoinSet::new();
    for batch in queries.chunks(QUERIES_PER_CALL) {
        let (client, batch, limit) = (client.clone(), batch.to_vec(), limit.clone());
        calls.spawn(async move {
            let _permit = limit.acquire_owned().await;
            fetch_batch(&client, batch, start, end).await
        });
    }
    let mut by_id = BTreeMap::new();
    while let Some(done) = calls.join_next().await {
        let values =
            done.map_err(|err| Error::failed(format!("a metrics task failed: {err}")))??;
        by_id.extend(values);
    }
    let mut totals = HashMap::new();
    for (index, function) in functions.iter().enumerate() {
        let mut function_totals = Totals::default();
        for (_, tag) in METRICS {
            // A query without datapoints means nothing happened: zero.
            *function_totals.slot(tag) =
                by_id.get(&format!("{tag}{index}")).copied().unwrap_or(0.0);
        }
        totals.insert(function.clone(), function_totals);
    }
    Ok(totals)
}

fn query(id: &str, function: &str, metric: &str, period: i32) -> MetricDataQuery {
    let metric = Metric::builder()
        .namespace("AWS/Lambda")
        .metric_name(metric)
        .dimensions(
            Dimension::builder()
                .name("FunctionName")
                .value(function)
                .build(),
        )
        .build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(metric)
                .period(period)
                .stat("Sum")
                .build(),
        )
        .return_data(true)
        .build()
}

/// One GetMetricData request (≤ 500 queries), following NextToken; the values of
/// each query id summed over its datapoints and pages.
async fn fetch_batch(
    client: &Client,
    batch: Vec<MetricDataQuery>,
    start: i64,
    end: i64,
) -> Result<BTreeMap<String, f64>> {
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let answer = client
            .get_metric_data()
            .start_time(DateTime::from_secs(start))
            .end_time(DateTime::from_secs(end))
            .set_metric_data_queries(Some(batch.clone()))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|err| layer_aws::aws_error("reading Lambda metrics (GetMetricData)", err))?;
        for result in answer.metric_data_results() {
            let id = result.id().unwrap_or_default().to_string();
            if let Some(status) = result.status_code()
                && !matches!(status.as_str(), "Complete" | "PartialData")
            {
                tracing::warn!("CloudWatch answered {} for query {id}", status.as_str());
            }
            *sums.entry(id).or_default() += result.values().iter().sum::<f64>();
        }
        match answer.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => return Ok(sums),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_average_is_total_duration_over_total_invocations() {
        // One busy fast function and one idle slow one: averaging the two
        // averages (the guide's way) would say 505 ms.
        let busy = Totals {
            invocations: 1000.0,
            errors: 10.0,
            throttles: 0.0,
            duration_ms: 10_000.0,
        };
        let idle = Totals {
            invocations: 1.0,
            errors: 1.0,
            throttles: 2.0,
            duration_ms: 1000.0,
        };
        let summary = Totals::sum([&busy, &idle]).summary();
        assert_eq!(summary.invocations, 1001);
        assert_eq!(summary.throttles, 2);
        assert_eq!(summary.average_duration_ms, Some(11_000.0 / 1001.0));
        assert_eq!(summary.error_rate, Some(11.0 / 1001.0));
    }

    #[test]
    fn no_invocations_means_no_rate_and_no_average() {
        let summary = Totals::default().summary();
        assert_eq!(
            (summary.error_rate, summary.average_duration_ms),
            (None, None)
        );
        assert_eq!(summary.invocations, 0);
    }
}
