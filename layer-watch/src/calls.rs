//! Counting the AWS requests the tool sends, per operation, retries included:
//! an SDK interceptor sees every attempt just before it goes on the wire. The
//! counts are logged at -v (the benchmark reads them) and put in round summaries.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Requests sent so far, by `Service.Operation` (e.g. `CloudWatch.GetMetricData`).
#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl CallCounter {
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Requests to one service (`CloudWatch`, `Lambda`).
    pub fn service_total(&self, service: &str) -> u64 {
        let prefix = format!("{service}.");
        self.snapshot()
            .iter()
            .filter(|(name, _)| name.starts_with(&prefix))
            .map(|(_, count)| count)
            .sum()
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "layer-watch call counter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = cfg
            .load::<Metadata>()
            .map(|meta| format!("{}.{}", meta.service(), meta.name()))
            .unwrap_or_else(|| "unknown.unknown".to_string());
        if let Ok(mut counts) = self.counts.lock() {
            *counts.entry(name).or_default() += 1;
        }
        Ok(())
    }
}
