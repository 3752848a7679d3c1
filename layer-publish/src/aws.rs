//! The AWS clients of a run, one set per account and region (an estate's
//! accounts each with their own assumed-role credentials), all counting their
//! requests and pacing Lambda's with the run's one [`Traffic`] (reported on
//! stderr at -v; the benchmark reads it).

use std::sync::Arc;

use layer_aws::{AwsArgs, Scope, Traffic, aws_error};
use layer_core::{Error, Result};
use tokio::sync::OnceCell;

/// The clients for one account and region.
#[derive(Debug, Clone)]
pub struct RegionClients {
    pub region: String,
    /// The account and region (`account: None`: the credentials' own).
    pub scope: Scope,
    pub lambda: aws_sdk_lambda::Client,
    pub s3: aws_sdk_s3::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub sts: aws_sdk_sts::Client,
    /// The credentials' own account, once STS has told it (shared by clones).
    caller_account: Arc<OnceCell<String>>,
}

/// One [`RegionClients`] per account and region, accounts in the order given,
/// then regions in the order given.
#[derive(Debug, Clone)]
pub struct Clients {
    pub regions: Vec<RegionClients>,
}

impl Clients {
    /// Build the clients of every account (`--account`, or the credentials'
    /// own) and region. This checks credentials and assumes every role up
    /// front, before anything is sent.
    pub async fn for_regions(
        aws: &AwsArgs,
        regions: &[String],
        traffic: &Traffic,
    ) -> Result<Clients> {
        let estate = aws.estate("layer-publish", regions).await?;
        let mut built = Vec::new();
        for account in aws.estate.accounts() {
            for region in regions {
                let scope = Scope::new(account.clone(), region.clone());
                let config = estate
                    .config(&scope)
                    .expect("the estate has every account and region");
                built.push(RegionClients::new(scope, config, traffic));
            }
        }
        Ok(Clients { regions: built })
    }
}

impl RegionClients {
    fn new(scope: Scope, config: &aws_config::SdkConfig, traffic: &Traffic) -> Self {
        // Against an emulator at an IP address, virtual-host bucket names
        // (bucket.127.0.0.1) do not resolve: address buckets by path there.
        let s3 = aws_sdk_s3::config::Builder::from(config)
            .interceptor(traffic.counter.clone())
            .force_path_style(config.endpoint_url().is_some())
            .build();
        let ssm = aws_sdk_ssm::config::Builder::from(config)
            .interceptor(traffic.counter.clone())
            .build();
        RegionClients {
            region: scope.region.clone(),
            lambda: traffic.lambda_in(&scope, config),
            s3: aws_sdk_s3::Client::from_conf(s3),
            ssm: aws_sdk_ssm::Client::from_conf(ssm),
            sts: aws_sdk_sts::Client::new(config),
            caller_account: Arc::default(),
            scope,
        }
    }

    /// The account these clients act in: `--account`'s, or the credentials'
    /// own (asked of STS once, for `{account}` in a template when nothing
    /// else names it).
    pub async fn account(&self) -> Result<String> {
        if let Some(account) = &self.scope.account {
            return Ok(account.clone());
        }
        self.caller_account
            .get_or_try_init(|| async {
                let identity = self.sts.get_caller_identity().send().await.map_err(|err| {
                    aws_error("asking STS for the account (GetCallerIdentity)", err)
                })?;
                identity.account().map(str::to_string).ok_or_else(|| {
                    Error::failed("STS GetCallerIdentity answered without an account")
                })
            })
            .await
            .cloned()
    }
}
