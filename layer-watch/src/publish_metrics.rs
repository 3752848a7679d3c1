//! `--put-metrics`: the layer's health as custom CloudWatch metrics, so alarms
//! can watch them (template: scripts/alarms/layer-watch-alarms.yaml).
//!
//! Per layer, with the dimension `LayerName`, in the layer's region:
//! `FunctionsUsing` and `FunctionsBehind` (Count) and `LayerSize` (Bytes, the
//! zipped size of the latest version).

use layer_aws::Scope;
use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use aws_smithy_types::DateTime;
use layer_core::{Error, Result};

use crate::collect::Session;
use crate::report::LayerReport;

/// PutMetricData takes up to 1,000 datums a call; stay well below its 1 MB body.
const DATUMS_PER_CALL: usize = 300;

pub async fn put(session: &Session, reports: &[LayerReport], namespace: &str) -> Result<()> {
    if namespace.starts_with("AWS/") {
        return Err(Error::usage(format!(
            "--metrics-namespace \"{namespace}\" is reserved for AWS's own metrics"
        ))
        .with_fix("use a namespace of your own, e.g. LayerTools"));
    }
    let now = DateTime::from(std::time::SystemTime::now());
    let mut by_region: BTreeMap<Scope, Vec<MetricDatum>> = BTreeMap::new();
    for report in reports {
        by_region
            .entry(Scope::new(report.account.clone(), report.region.clone()))
            .or_default()
            .extend(datums(report, now));
    }
    for (region, datums) in by_region {
        let Some(client) = session.cloudwatch(&region) else {
            continue;
        };
        for batch in datums.chunks(DATUMS_PER_CALL) {
            client
                .put_metric_data()
                .namespace(namespace)
                .set_metric_data(Some(batch.to_vec()))
                .send()
                .await
                .map_err(|err| {
                    layer_aws::aws_error("publishing layer metrics (PutMetricData)", err)
                })?;
        }
        tracing::info!("{region}: published layer metrics to {namespace}");
    }
    Ok(())
}

fn datums(report: &LayerReport, now: DateTime) -> Vec<MetricDatum> {
    let datum = |name: &str, value: f64, unit: StandardUnit| {
        MetricDatum::builder()
            .metric_name(name)
            .dimensions(
                Dimension::builder()
                    .name("LayerName")
                    .value(&report.layer_name)
                    .build(),
            )
            .timestamp(now)
            .value(value)
            .unit(unit)
            .build()
    };
    let mut datums = vec![
        datum(
            "FunctionsUsing",
            report.drift.functions_using as f64,
            StandardUnit::Count,
        ),
        datum(
            "FunctionsBehind",
            report.drift.functions_behind as f64,
            StandardUnit::Count,
        ),
    ];
    if let Some(size) = report.storage.latest_code_size {
        datums.push(datum("LayerSize", size as f64, StandardUnit::Bytes));
    }
    datums
}
