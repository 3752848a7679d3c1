//! The AWS clients of a run, one set per region, and a count of every request
//! they send (reported on stderr at -v; the benchmark reads it).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use layer_aws::AwsArgs;
use layer_core::Result;

/// Counts HTTP requests per operation (every attempt, retries included).
#[derive(Debug, Clone, Default)]
pub struct RequestCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl RequestCounter {
    fn add(&self, operation: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        *counts.entry(operation.to_string()).or_default() += 1;
    }

    /// `5 (GetLayerVersion=1 ListLayerVersions=1 ...)`, a stable format the
    /// benchmark script parses.
    pub fn summary(&self) -> String {
        let counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let detail: Vec<String> = counts.iter().map(|(op, n)| format!("{op}={n}")).collect();
        format!("{} ({})", counts.values().sum::<u64>(), detail.join(" "))
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
        let operation = cfg
            .load::<Metadata>()
            .map(|meta| meta.name().to_string())
            .unwrap_or_else(|| "unknown".to_string());
        self.add(&operation);
        Ok(())
    }
}

/// The clients for one region.
#[derive(Debug, Clone)]
pub struct RegionClients {
    pub region: String,
    pub lambda: aws_sdk_lambda::Client,
    pub s3: aws_sdk_s3::Client,
}

/// One [`RegionClients`] per region, in the order the regions were given.
#[derive(Debug, Clone)]
pub struct Clients {
    pub regions: Vec<RegionClients>,
}

impl Clients {
    /// Build every region's clients. This checks credentials up front, before
    /// anything is sent.
    pub async fn for_regions(
        aws: &AwsArgs,
        regions: &[String],
        counter: &RequestCounter,
    ) -> Result<Clients> {
        let mut built = Vec::new();
        for region in regions {
            built.push(RegionClients::new(aws, region, counter).await?);
        }
        Ok(Clients { regions: built })
    }
}

impl RegionClients {
    pub async fn new(aws: &AwsArgs, region: &str, counter: &RequestCounter) -> Result<Self> {
        let config = aws.sdk_config(region).await?;
        let lambda = aws_sdk_lambda::config::Builder::from(&config)
            .interceptor(counter.clone())
            .build();
        // Against an emulator at an IP address, virtual-host bucket names
        // (bucket.127.0.0.1) do not resolve: address buckets by path there.
        let s3 = aws_sdk_s3::config::Builder::from(&config)
            .interceptor(counter.clone())
            .force_path_style(config.endpoint_url().is_some())
            .build();
        Ok(RegionClients {
            region: region.to_string(),
            lambda: aws_sdk_lambda::Client::from_conf(lambda),
            s3: aws_sdk_s3::Client::from_conf(s3),
        })
    }
}
