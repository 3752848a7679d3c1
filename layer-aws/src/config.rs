use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use layer_core::{Error, Result};

use crate::estate::EstateArgs;
use crate::pace::{Pacers, Rates};

/// The AWS flags every AWS tool takes (flatten into the tool's `Args`).
/// The standard `AWS_*` environment variables work too; flags win over them.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "AWS")]
pub struct AwsArgs {
    /// AWS region, e.g. eu-west-1 [default: AWS_REGION, AWS_DEFAULT_REGION, or the profile's region].
    /// Tools that work across regions take it several times.
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,

    /// Named profile from ~/.aws/config and ~/.aws/credentials [default: AWS_PROFILE].
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// Send every AWS request to this URL instead of AWS, e.g. a local emulator at
    /// http://127.0.0.1:5000 [default: AWS_ENDPOINT_URL].
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Attempts per AWS request, the first included; throttling and transient
    /// errors are retried with exponential backoff and jitter up to this count.
    #[arg(long, value_name = "N", default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub max_attempts: u32,

    /// Lambda requests per second, at most, per account and region, in Lambda's
    /// shared control-plane quota (15/s, shared with everything else in the
    /// account); GetFunction (100/s) and GetPolicy (15/s) are paced at the same
    /// fraction of theirs. Every Lambda request of the run is paced, retries included.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_RATE, value_parser = crate::pace::parse_rate)]
    pub rate: f64,

    /// `--account` and `--role-arn`: the accounts of an estate.
    #[command(flatten)]
    pub estate: EstateArgs,
}

/// `--rate`'s default: Lambda's shared quota less one request a second for
/// whatever else runs in the account.
pub const DEFAULT_RATE: f64 = 14.0;

impl Default for AwsArgs {
    fn default() -> Self {
        AwsArgs {
            regions: Vec::new(),
            profile: None,
            endpoint_url: None,
            max_attempts: 6,
            rate: DEFAULT_RATE,
            estate: EstateArgs::default(),
        }
    }
}

impl AwsArgs {
    /// The run's pacers (one per account and region) at `--rate`.
    pub fn pacers(&self) -> Pacers {
        Pacers::new(Rates::share(self.rate))
    }

    /// The regions to work in: every `--region`, or the one default region.
    /// Missing region is an error up front: the SDK's own error for it comes
    /// late and is hard to read.
    pub async fn regions(&self) -> Result<Vec<String>> {
        if !self.regions.is_empty() {
            for region in &self.regions {
                validate_region(region)?;
            }
            let mut regions = self.regions.clone();
            regions.dedup();
            return Ok(regions);
        }
        match self.default_region().await {
            Some(region) => {
                validate_region(&region)?;
                Ok(vec![region])
            }
            None => Err(Error::usage("no AWS region given").with_fix(
                "pass --region REGION, or set AWS_REGION (or a region in your AWS profile)",
            )),
        }
    }

    /// The one region of a tool that works in a single region.
    pub async fn single_region(&self) -> Result<String> {
        let mut regions = self.regions().await?;
        if regions.len() > 1 {
            return Err(Error::usage(
                "this tool works in one region at a time; --region was given several times",
            )
            .with_fix("run it once per region"));
        }
        Ok(regions.remove(0))
    }

    /// Region from the environment or the profile file. Deliberately not from the
    /// EC2 instance metadata service: a laptop or CI runner would wait on it.
    async fn default_region(&self) -> Option<String> {
        let profile = aws_config::profile::ProfileFileRegionProvider::builder();
        let profile = match &self.profile {
            Some(name) => profile.profile_name(name),
            None => profile,
        };
        let chain = RegionProviderChain::first_try(
            aws_config::environment::EnvironmentVariableRegionProvider::new(),
        )
        .or_else(profile.build());
        chain.region().await.map(|region| region.to_string())
    }

    /// An SDK config for one region, with standard retry and bounded timeouts.
    /// Standard, not adaptive: Lambda's requests are paced under its quotas
    /// ([`crate::pace`]), and adaptive retry would slow every later request of
    /// a client after a few throttles from another caller in the account.
    pub async fn sdk_config(&self, region: &str) -> Result<SdkConfig> {
        let config = self.loader(region)?.load().await;
        check_credentials(&config).await?;
        Ok(config)
    }

    /// The config loader of [`Self::sdk_config`], before credentials are looked up.
    pub(crate) fn loader(&self, region: &str) -> Result<aws_config::ConfigLoader> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .retry_config(RetryConfig::standard().with_max_attempts(self.max_attempts))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(60))
                    .operation_timeout(Duration::from_secs(300))
                    .build(),
            );
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = &self.endpoint_url {
            validate_endpoint(url)?;
            loader = loader.endpoint_url(url);
        }
        Ok(loader)
    }
}

/// Fail early and clearly when there are no credentials, instead of on the first call.
async fn check_credentials(config: &SdkConfig) -> Result<()> {
    let no_credentials = || {
        Error::usage("no AWS credentials found").with_fix(
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile NAME (run `aws configure` to create one)",
        )
    };
    let Some(provider) = config.credentials_provider() else {
        return Err(no_credentials());
    };
    let lookup = aws_credential_types::provider::ProvideCredentials::provide_credentials(&provider);
    match tokio::time::timeout(Duration::from_secs(15), lookup).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(err)) => {
            tracing::debug!("credential lookup failed: {err:?}");
            Err(no_credentials())
        }
        Err(_) => Err(no_credentials()),
    }
}

/// A region name must look like one (`eu-west-1`, `us-gov-west-1`); a typo
/// would otherwise become a DNS error far from its cause.
pub fn validate_region(region: &str) -> Result<()> {
    let parts: Vec<&str> = region.split('-').collect();
    let well_formed = parts.len() >= 3
        && parts[0].len() == 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    if well_formed {
        Ok(())
    } else {
        Err(
            Error::usage(format!("\"{region}\" is not an AWS region name"))
                .with_fix("use a region code like us-east-1 or ap-northeast-1"),
        )
    }
}

fn validate_endpoint(url: &str) -> Result<()> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(
            Error::usage(format!("--endpoint-url \"{url}\" is not an http(s) URL"))
                .with_fix("give a full URL, e.g. http://127.0.0.1:5000"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_are_checked() {
        for good in [
            "us-east-1",
            "ap-northeast-1",
            "us-gov-west-1",
            "eu-central-2",
        ] {
            assert!(validate_region(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "useast1",
            "us-east",
            "US-EAST-1",
            "us-east-1a",
            "us_east_1",
            "http://x",
        ] {
            let err = validate_region(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn endpoints_must_be_urls() {
        assert!(validate_endpoint("http://127.0.0.1:5000").is_ok());
        assert!(validate_endpoint("127.0.0.1:5000").is_err());
    }
}
