//! Pacing Lambda's control-plane requests so that AWS never has to throttle them.
//!
//! Lambda's API quotas are per account and region: GetFunction 100 requests a
//! second, GetPolicy 15, and **every other control-plane call shares one bucket
//! of 15** (GetFunctionConfiguration, ListFunctions, ListAliases,
//! UpdateFunctionConfiguration, PublishLayerVersion, ...). Invoke is limited by
//! concurrency, not by these. Over a quota AWS answers 429, and the SDK's
//! adaptive retry then slows every later call of the client; pacing on the
//! client keeps a run under the quotas from its first request.
//!
//! A [`Pacer`] serves one account and region: per quota bucket it spaces
//! requests evenly at its rate (no bursts, so another caller's burst is what
//! the bucket's slack is for). It works at the HTTP layer: a Lambda client made
//! with [`Pacer::lambda_config`] marks each request with its bucket just before
//! it is sent, and its HTTP client waits for that bucket's turn, so every
//! attempt takes a turn: retries, paginator pages, and every tool's calls alike.
//! Requests of other services (S3, CloudWatch, STS) and Invoke pass unpaced.
//!
//! [`Pacers`] hands out the one pacer of each account and region of a run;
//! every client of that account and region must be built from it.
//!
//! The test harness's AWS model (`tests/harness/src/proxy/quotas.rs`) keeps
//! its own copy of the buckets on purpose: it is what checks this one.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder as HttpClientBuilder, ConnectorBuilder};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, Metadata};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use layer_core::{Error, Result};

/// One of Lambda's request quotas (a bucket per account and region).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bucket {
    /// GetFunction: 100 requests a second.
    GetFunction,
    /// GetPolicy (a function's resource policy): 15 a second, its own bucket.
    GetPolicy,
    /// Every other control-plane call: 15 a second, shared.
    Shared,
}

impl Bucket {
    pub const ALL: [Bucket; 3] = [Bucket::GetFunction, Bucket::GetPolicy, Bucket::Shared];

    /// The bucket a Lambda operation draws from; `None` for Invoke (data plane).
    pub fn of(operation: &str) -> Option<Bucket> {
        match operation {
            "GetFunction" => Some(Bucket::GetFunction),
            "GetPolicy" => Some(Bucket::GetPolicy),
            "Invoke" | "InvokeAsync" | "InvokeWithResponseStream" => None,
            _ => Some(Bucket::Shared),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Bucket::GetFunction => "GetFunction",
            Bucket::GetPolicy => "GetPolicy",
            Bucket::Shared => "shared",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Requests per second for each bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    pub get_function: f64,
    pub get_policy: f64,
    pub shared: f64,
}

impl Rates {
    /// Lambda's quotas: GetFunction 100/s, GetPolicy 15/s, everything else 15/s.
    pub const LAMBDA: Rates = Rates {
        get_function: 100.0,
        get_policy: 15.0,
        shared: 15.0,
    };

    /// `shared` requests a second in the shared bucket, and the other buckets at
    /// the same fraction of their quotas (`--rate 14`: 14/s shared, 14/s
    /// GetPolicy, 93.3/s GetFunction).
    pub fn share(shared: f64) -> Rates {
        let fraction = shared / Rates::LAMBDA.shared;
        Rates {
            get_function: Rates::LAMBDA.get_function * fraction,
            get_policy: Rates::LAMBDA.get_policy * fraction,
            shared,
        }
    }

    pub fn of(&self, bucket: Bucket) -> f64 {
        match bucket {
            Bucket::GetFunction => self.get_function,
            Bucket::GetPolicy => self.get_policy,
            Bucket::Shared => self.shared,
        }
    }
}

/// `--rate`: a positive number of requests a second.
pub fn parse_rate(text: &str) -> Result<f64> {
    match text.parse::<f64>() {
        Ok(rate) if rate > 0.0 && rate.is_finite() => Ok(rate),
        _ => Err(Error::usage(format!(
            "expected a positive number of requests per second, got \"{text}\""
        ))),
    }
}

/// One bucket's schedule: the next free turn, and what it has let through.
#[derive(Debug)]
struct Schedule {
    period: Duration,
    next: Instant,
    sent: u64,
}

#[derive(Debug)]
struct Inner {
    /// `us-east-1`, or `123456789012 in us-east-1`: how messages name it.
    label: String,
    rates: Rates,
    schedules: [Mutex<Schedule>; 3],
}

/// The pacer of one account and region. Clones share the schedule.
#[derive(Debug, Clone)]
pub struct Pacer {
    inner: Arc<Inner>,
}

impl Pacer {
    /// A pacer at `rates`, named `label` in messages.
    pub fn new(label: impl Into<String>, rates: Rates) -> Pacer {
        let schedule = |bucket: Bucket| {
            Mutex::new(Schedule {
                period: Duration::from_secs_f64(1.0 / rates.of(bucket)),
                next: Instant::now(),
                sent: 0,
            })
        };
        Pacer {
            inner: Arc::new(Inner {
                label: label.into(),
                rates,
                schedules: Bucket::ALL.map(schedule),
            }),
        }
    }

    pub fn rates(&self) -> Rates {
        self.inner.rates
    }

    /// Wait for this request's turn in `bucket`: turns are `1 / rate` apart,
    /// handed out in the order they are asked for.
    pub async fn take(&self, bucket: Bucket) {
        let turn = {
            let mut schedule = self.inner.schedules[bucket.index()]
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let turn = schedule.next.max(Instant::now());
            schedule.next = turn + schedule.period;
            schedule.sent += 1;
            turn
        };
        tokio::time::sleep_until(turn).await;
    }

    /// Requests let through so far, per bucket (attempts, retries included).
    pub fn counts(&self) -> BTreeMap<Bucket, u64> {
        Bucket::ALL
            .into_iter()
            .map(|bucket| {
                let schedule = self.inner.schedules[bucket.index()]
                    .lock()
                    .unwrap_or_else(|p| p.into_inner());
                (bucket, schedule.sent)
            })
            .collect()
    }

    /// `GetFunction 300, GetPolicy 0, shared 308 (paced at 93.3/s, 14/s, 14/s)`:
    /// a stable form the benchmark scripts parse.
    pub fn summary(&self) -> String {
        let counts: Vec<String> = self
            .counts()
            .iter()
            .map(|(bucket, sent)| format!("{} {sent}", bucket.name()))
            .collect();
        let rates: Vec<String> = Bucket::ALL
            .iter()
            .map(|&bucket| format!("{}/s", rounded(self.inner.rates.of(bucket))))
            .collect();
        format!("{} (paced at {})", counts.join(", "), rates.join(", "))
    }

    /// Log the summary on stderr: `Lambda requests per quota bucket, us-east-1: ...`.
    pub fn log(&self) {
        tracing::info!(
            "Lambda requests per quota bucket, {}: {}",
            self.inner.label,
            self.summary()
        );
    }

    /// A Lambda client config from `config` whose requests this pacer paces.
    pub fn lambda_config(&self, config: &aws_config::SdkConfig) -> aws_sdk_lambda::config::Builder {
        aws_sdk_lambda::config::Builder::from(config)
            .http_client(self.http_client())
            .interceptor(MarkBucket)
    }

    /// The default HTTP client, waiting for the bucket's turn of every request
    /// [`MarkBucket`] marked.
    pub fn http_client(&self) -> SharedHttpClient {
        SharedHttpClient::new(PacedClient {
            inner: default_https_client(),
            pacer: self.clone(),
        })
    }
}

/// `93.3`, `14`, `0.5`.
fn rounded(rate: f64) -> String {
    let text = format!("{rate:.1}");
    text.strip_suffix(".0").map(str::to_string).unwrap_or(text)
}

/// The account key of a run that uses one set of credentials.
pub const THIS_ACCOUNT: &str = "";

/// The pacers of one run: one per account and region, made on first use, all
/// at the same rates. Clones share them.
#[derive(Debug, Clone)]
pub struct Pacers {
    rates: Rates,
    by_account_region: Arc<Mutex<BTreeMap<(String, String), Pacer>>>,
}

impl Pacers {
    pub fn new(rates: Rates) -> Pacers {
        Pacers {
            rates,
            by_account_region: Arc::default(),
        }
    }

    /// The pacer of an account (its id, or [`THIS_ACCOUNT`] for the run's own
    /// credentials) and region.
    pub fn get(&self, account: &str, region: &str) -> Pacer {
        let mut pacers = self
            .by_account_region
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        pacers
            .entry((account.to_string(), region.to_string()))
            .or_insert_with(|| {
                let label = if account == THIS_ACCOUNT {
                    region.to_string()
                } else {
                    format!("{account} in {region}")
                };
                Pacer::new(label, self.rates)
            })
            .clone()
    }

    /// The pacer of the run's own account in `region`.
    pub fn region(&self, region: &str) -> Pacer {
        self.get(THIS_ACCOUNT, region)
    }

    /// Log every pacer's counts (at -v, next to the request counter's line).
    pub fn log(&self) {
        let pacers = self
            .by_account_region
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for pacer in pacers.values() {
            pacer.log();
        }
    }
}

/// Marks each Lambda request with its quota bucket, just before it is sent
/// (every attempt), for the paced HTTP client to read.
#[derive(Debug, Clone, Copy)]
struct MarkBucket;

impl Intercept for MarkBucket {
    fn name(&self) -> &'static str {
        "MarkBucket"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        if let Some(bucket) = cfg
            .load::<Metadata>()
            .and_then(|meta| Bucket::of(meta.name()))
        {
            context.request_mut().add_extension(bucket);
        }
        Ok(())
    }
}

#[derive(Debug)]
struct PacedClient {
    inner: SharedHttpClient,
    pacer: Pacer,
}

impl HttpClient for PacedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            pacer: self.pacer.clone(),
        })
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pacer: Pacer,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let bucket = request.extension::<Bucket>().copied();
        let (inner, pacer) = (self.inner.clone(), self.pacer.clone());
        HttpConnectorFuture::new(async move {
            if let Some(bucket) = bucket {
                pacer.take(bucket).await;
            }
            inner.call(request).await
        })
    }
}

/// The HTTP client the SDK would pick by default (hyper 1, rustls with
/// aws-lc, proxies from the environment), one per process so that every
/// client shares its connection pool.
fn default_https_client() -> SharedHttpClient {
    static CLIENT: OnceLock<SharedHttpClient> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            HttpClientBuilder::new().build_with_connector_fn(|settings, components| {
                let mut connector = ConnectorBuilder::default()
                    .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
                connector.set_connector_settings(settings.cloned());
                if let Some(components) = components {
                    connector.set_sleep_impl(components.sleep_impl());
                }
                connector.set_proxy_config(Some(ProxyConfig::from_env()));
                connector.build()
            })
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_draw_from_lambdas_buckets() {
        assert_eq!(Bucket::of("GetFunction"), Some(Bucket::GetFunction));
        assert_eq!(Bucket::of("GetPolicy"), Some(Bucket::GetPolicy));
        for shared in [
            "GetFunctionConfiguration",
            "ListVersionsByFunction",
            "ListAliases",
            "GetLayerVersion",
            "GetLayerVersionPolicy",
            "UpdateFunctionConfiguration",
        ] {
            assert_eq!(Bucket::of(shared), Some(Bucket::Shared), "{shared}");
        }
        assert_eq!(Bucket::of("Invoke"), None);
    }

    #[test]
    fn rates_keep_every_quota_at_one_fraction() {
        let rates = Rates::share(7.5);
        assert_eq!(rates.shared, 7.5);
        assert_eq!(rates.get_policy, 7.5);
        assert_eq!(rates.get_function, 50.0);
        assert_eq!(Rates::share(15.0), Rates::LAMBDA);
        assert!(parse_rate("0").is_err());
        assert!(parse_rate("-1").is_err());
        assert!(parse_rate("inf").is_err());
        assert_eq!(parse_rate("2.5").unwrap(), 2.5);
    }

    #[tokio::test(start_paused = true)]
    async fn turns_are_evenly_spaced_per_bucket_and_counted() {
        let pacer = Pacer::new("us-east-1", Rates::share(10.0));
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            pacer.take(Bucket::Shared).await;
        }
        // The first at once, then one every 100 ms.
        assert_eq!(start.elapsed(), Duration::from_millis(400));
        // Another bucket has its own schedule.
        let before = tokio::time::Instant::now();
        pacer.take(Bucket::GetFunction).await;
        assert_eq!(before.elapsed(), Duration::ZERO);
        let counts = pacer.counts();
        assert_eq!(counts[&Bucket::Shared], 5);
        assert_eq!(counts[&Bucket::GetFunction], 1);
        assert_eq!(
            pacer.summary(),
            "GetFunction 1, GetPolicy 0, shared 5 (paced at 66.7/s, 10/s, 10/s)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_the_schedule() {
        let pacer = Pacer::new("us-east-1", Rates::share(15.0));
        let start = tokio::time::Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..30 {
            let pacer = pacer.clone();
            tasks.spawn(async move {
                pacer.take(Bucket::Shared).await;
                tokio::time::Instant::now()
            });
        }
        let mut done = Vec::new();
        while let Some(at) = tasks.join_next().await {
            done.push(at.unwrap() - start);
        }
        done.sort();
        // 30 requests at 15 a second: the last one 29/15 s after the first.
        assert_eq!(done[0], Duration::ZERO);
        let last = done[29].as_secs_f64();
        assert!((last - 29.0 / 15.0).abs() < 0.01, "{last}");
    }

    #[test]
    fn one_pacer_per_account_and_region() {
        let pacers = Pacers::new(Rates::LAMBDA);
        let a = pacers.region("us-east-1");
        let b = pacers.region("us-east-1");
        assert!(Arc::ptr_eq(&a.inner, &b.inner));
        let other_region = pacers.region("eu-west-1");
        assert!(!Arc::ptr_eq(&a.inner, &other_region.inner));
        let other_account = pacers.get("123456789012", "us-east-1");
        assert!(!Arc::ptr_eq(&a.inner, &other_account.inner));
        assert_eq!(other_account.inner.label, "123456789012 in us-east-1");
    }
}
