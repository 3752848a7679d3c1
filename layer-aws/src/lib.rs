//! What every AWS tool shares: the `--region/--profile/--endpoint-url` flags,
//! building an SDK config from them (with adaptive retry and timeouts), and
//! turning SDK errors into messages a person can act on.

mod config;
mod errors;
pub mod inventory;

pub use config::{AwsArgs, validate_region};
pub use errors::{aws_error, is_error_code};

pub use aws_config::SdkConfig;
