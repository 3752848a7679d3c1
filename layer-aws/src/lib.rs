//! What every AWS tool shares: the `--region/--profile/--endpoint-url/--rate`
//! flags and an estate's `--account/--role-arn` (a role assumed per account, a
//! config per account and region), building an SDK config from them (with standard retry and timeouts),
//! pacing Lambda's requests under its quotas (one pacer per account and region), turning
//! SDK errors into messages a person can act on, Lambda's answers parsed into
//! `layer_core` types, the request counter, the backoff of our own retry loops,
//! stopping gracefully on SIGINT and SIGTERM (`stop`),
//! and starting the async runtime.

mod config;
pub mod dates;
mod errors;
pub mod estate;
pub mod inventory;
pub mod lambda_types;
pub mod pace;
pub mod requests;
pub mod retry;
pub mod stop;

use std::future::Future;

pub use config::{AwsArgs, DEFAULT_RATE, validate_region};
pub use errors::{aws_error, is_error_code};
pub use estate::{Estate, EstateArgs, Scope, validate_account};
pub use pace::{Bucket, Pacer, Pacers, Rates};
pub use requests::{RequestCounter, Traffic, lambda_client};
pub use stop::Stop;

pub use aws_config::SdkConfig;

/// Run a tool's async body to the end on a multi-threaded runtime (the AWS SDK
/// needs one; every AWS tool starts it here, the same way).
pub fn block_on<T>(body: impl Future<Output = layer_core::Result<T>>) -> layer_core::Result<T> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|err| {
            layer_core::Error::failed("cannot start the async runtime").with_source(err)
        })?;
    runtime.block_on(body)
}
