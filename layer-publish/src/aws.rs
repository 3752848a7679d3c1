//! The AWS clients of a run, one set per region, all counting their requests
//! and pacing Lambda's with the run's one [`Traffic`] (reported on stderr at
//! -v; the benchmark reads it).

use layer_aws::{AwsArgs, Traffic};
use layer_core::Result;

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
        traffic: &Traffic,
    ) -> Result<Clients> {
        let mut built = Vec::new();
        for region in regions {
            built.push(RegionClients::new(aws, region, traffic).await?);
        }
        Ok(Clients { regions: built })
    }
}

impl RegionClients {
    pub async fn new(aws: &AwsArgs, region: &str, traffic: &Traffic) -> Result<Self> {
        let config = aws.sdk_config(region).await?;
        // Against an emulator at an IP address, virtual-host bucket names
        // (bucket.127.0.0.1) do not resolve: address buckets by path there.
        let s3 = aws_sdk_s3::config::Builder::from(&config)
            .interceptor(traffic.counter.clone())
            .force_path_style(config.endpoint_url().is_some())
            .build();
        Ok(RegionClients {
            region: region.to_string(),
            lambda: traffic.lambda(&config),
            s3: aws_sdk_s3::Client::from_conf(s3),
        })
    }
}
