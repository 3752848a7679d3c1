//! Counting the AWS requests a tool sends: an SDK interceptor sees every attempt
//! just before it goes on the wire (retries included) and counts it by
//! `Service.Operation`. Every AWS tool prints the same line at the end of a run
//! (at -v; layer-watch after each round), which the benchmark scripts parse:
//!
//! `AWS requests: 5 (Lambda 4, S3 1): Lambda.GetLayerVersion=1 Lambda.ListLayerVersions=3 S3.HeadObject=1`

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Requests sent so far, by `Service.Operation` (e.g. `Lambda.GetLayerVersion`).
/// Clones share the counts: give one to every client of a run.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl RequestCounter {
    /// Count one request (the interceptor calls this; public for tests).
    pub fn add(&self, service: &str, operation: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry(format!("{service}.{operation}")).or_default() += 1;
    }

    /// The counts by `Service.Operation`.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn total(&self) -> u64 {
        self.snapshot().values().sum()
    }

    /// Requests to one service (`CloudWatch`, `Lambda`, `S3`).
    pub fn service_total(&self, service: &str) -> u64 {
        let prefix = format!("{service}.");
        self.snapshot()
            .iter()
            .filter(|(name, _)| name.starts_with(&prefix))
            .map(|(_, count)| count)
            .sum()
    }

    /// `5 (Lambda 4, S3 1): Lambda.GetLayerVersion=1 ...`: the total, per
    /// service, then per operation. A stable format the benchmark scripts parse.
    pub fn summary(&self) -> String {
        let counts = self.snapshot();
        let mut services: BTreeMap<&str, u64> = BTreeMap::new();
        for (name, count) in &counts {
            let service = name.split_once('.').map_or(name.as_str(), |(s, _)| s);
            *services.entry(service).or_default() += count;
        }
        let per_service: Vec<String> = services
            .iter()
            .map(|(service, count)| format!("{service} {count}"))
            .collect();
        let per_operation: Vec<String> = counts
            .iter()
            .map(|(name, count)| format!("{name}={count}"))
            .collect();
        format!(
            "{} ({}): {}",
            counts.values().sum::<u64>(),
            per_service.join(", "),
            per_operation.join(" ")
        )
    }

    /// Log the summary on stderr: `AWS requests: ...`.
    pub fn log(&self) {
        tracing::info!("AWS requests: {}", self.summary());
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match cfg.load::<Metadata>() {
            Some(meta) => self.add(meta.service(), meta.name()),
            None => self.add("unknown", "unknown"),
        }
        Ok(())
    }
}

/// A Lambda client whose requests `pacer` (the pacer of the config's account
/// and region) paces and `counter` counts.
pub fn lambda_client(
    config: &aws_config::SdkConfig,
    counter: &RequestCounter,
    pacer: &crate::Pacer,
) -> aws_sdk_lambda::Client {
    let config = pacer
        .lambda_config(config)
        .interceptor(counter.clone())
        .build();
    aws_sdk_lambda::Client::from_conf(config)
}

/// A run's AWS traffic: every request counted, every Lambda request paced by
/// the pacer of its account and region. One per run, shared by every client.
#[derive(Debug, Clone)]
pub struct Traffic {
    pub counter: RequestCounter,
    pub pacers: crate::Pacers,
}

impl Traffic {
    /// Traffic paced at the flags' `--rate`.
    pub fn new(aws: &crate::AwsArgs) -> Traffic {
        Traffic {
            counter: RequestCounter::default(),
            pacers: aws.pacers(),
        }
    }

    /// A Lambda client for the config's region (in the run's own account),
    /// counted and paced.
    pub fn lambda(&self, config: &aws_config::SdkConfig) -> aws_sdk_lambda::Client {
        let region = config.region().map(|r| r.to_string()).unwrap_or_default();
        lambda_client(config, &self.counter, &self.pacers.region(&region))
    }

    /// A Lambda client for one account and region of an estate, counted and
    /// paced by that account and region's own pacer.
    pub fn lambda_in(
        &self,
        scope: &crate::Scope,
        config: &aws_config::SdkConfig,
    ) -> aws_sdk_lambda::Client {
        let pacer = self.pacers.get(scope.pacer_account(), &scope.region);
        lambda_client(config, &self.counter, &pacer)
    }

    /// Log what was sent, at -v: the request count per service and operation,
    /// then per Lambda quota bucket of each account and region.
    pub fn log(&self) {
        self.counter.log();
        self.pacers.log();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_per_service_and_operation() {
        let counter = RequestCounter::default();
        let shared = counter.clone();
        shared.add("Lambda", "ListLayerVersions");
        counter.add("S3", "HeadObject");
        counter.add("Lambda", "GetLayerVersion");
        counter.add("Lambda", "GetLayerVersion");
        assert_eq!(counter.total(), 4);
        assert_eq!(counter.service_total("Lambda"), 3);
        assert_eq!(
            counter.summary(),
            "4 (Lambda 3, S3 1): Lambda.GetLayerVersion=2 Lambda.ListLayerVersions=1 S3.HeadObject=1"
        );
        assert_eq!(RequestCounter::default().summary(), "0 (): ");
    }
}
