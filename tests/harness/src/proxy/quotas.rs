//! Lambda's API request quotas, per account and region: GetFunction 100/s,
//! GetPolicy 15/s, and one shared bucket of 15/s for every other control-plane
//! call (GetFunctionConfiguration included). Invoke is limited by concurrency,
//! not by these, and is not modelled.

use std::time::Instant;

/// A token bucket: `per_second` requests on average, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl RateLimit {
    /// `per_second` a second, with a burst of as many.
    pub fn per_second(per_second: f64) -> Self {
        RateLimit {
            per_second,
            burst: per_second,
        }
    }
}

/// One of Lambda's request-rate quotas (a token bucket per account and region).
///
/// The same classification as the tools' pacer (`layer_aws::pace::Bucket`),
/// written again on purpose: the model stands for AWS, so a tool that files
/// an operation under the wrong bucket must be throttled here, not agreed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bucket {
    /// GetFunction: 100 requests/second.
    GetFunction,
    /// GetPolicy: 15 requests/second, a bucket of its own.
    GetPolicy,
    /// Every other control-plane call shares 15 requests/second:
    /// GetFunctionConfiguration, UpdateFunctionConfiguration, ListFunctions,
    /// ListAliases, ListLayerVersions, GetLayerVersion, PublishLayerVersion, ...
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
}

impl std::fmt::Display for Bucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The limit of each bucket; `None` leaves that bucket unlimited (moto's way).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    pub get_function: Option<RateLimit>,
    pub get_policy: Option<RateLimit>,
    pub shared: Option<RateLimit>,
}

impl RateLimits {
    /// Lambda's: GetFunction 100/s, GetPolicy 15/s, every other control-plane call 15/s.
    pub fn lambda() -> Self {
        RateLimits {
            get_function: Some(RateLimit::per_second(100.0)),
            get_policy: Some(RateLimit::per_second(15.0)),
            shared: Some(RateLimit::per_second(15.0)),
        }
    }

    /// No limits (moto's behaviour).
    pub fn none() -> Self {
        RateLimits {
            get_function: None,
            get_policy: None,
            shared: None,
        }
    }

    pub fn limit(&self, bucket: Bucket) -> Option<RateLimit> {
        match bucket {
            Bucket::GetFunction => self.get_function,
            Bucket::GetPolicy => self.get_policy,
            Bucket::Shared => self.shared,
        }
    }
}

/// What one bucket saw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BucketStats {
    /// Requests that drew from the bucket (throttled ones included).
    pub requests: usize,
    /// Of those, answered with 429 `TooManyRequestsException`.
    pub throttled: usize,
}

impl BucketStats {
    /// Requests the bucket let through.
    pub fn admitted(&self) -> usize {
        self.requests - self.throttled
    }
}

/// The tokens of one bucket for one account and region.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn full(limit: RateLimit) -> TokenBucket {
        TokenBucket {
            tokens: limit.burst,
            last: Instant::now(),
        }
    }

    /// Take a token if there is one.
    pub fn take(&mut self, limit: RateLimit, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.last).as_secs_f64() * limit.per_second;
        self.tokens = (self.tokens + refill).min(limit.burst);
        self.last = self.last.max(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_admits_its_burst_then_its_rate() {
        let limit = RateLimit::per_second(15.0);
        let start = Instant::now();
        let mut bucket = TokenBucket {
            tokens: limit.burst,
            last: start,
        };
        let admitted = (0..20).filter(|_| bucket.take(limit, start)).count();
        assert_eq!(admitted, 15);
        // A second later, 15 more tokens (and no more than the burst).
        let later = start + Duration::from_secs(1);
        let admitted = (0..20).filter(|_| bucket.take(limit, later)).count();
        assert_eq!(admitted, 15);
    }

    #[test]
    fn operations_draw_from_lambdas_buckets() {
        assert_eq!(Bucket::of("GetFunction"), Some(Bucket::GetFunction));
        assert_eq!(Bucket::of("GetPolicy"), Some(Bucket::GetPolicy));
        for shared in [
            "GetFunctionConfiguration",
            "UpdateFunctionConfiguration",
            "ListFunctions",
            "ListAliases",
            "GetLayerVersion",
            "PublishLayerVersion",
            "ListTags",
        ] {
            assert_eq!(Bucket::of(shared), Some(Bucket::Shared), "{shared}");
        }
        assert_eq!(Bucket::of("Invoke"), None);
    }
}
