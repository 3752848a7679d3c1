//! The test harness every AWS test uses.
//!
//! - [`moto`] starts one `moto_server -H 127.0.0.1 -p 0` per test binary (a real
//!   AWS API on an ephemeral loopback port), and stops it by PID when the test
//!   binary exits, even if it crashes.
//! - [`Account`] isolates each test in an account of its own (STS assume-role
//!   into a fresh 12-digit account id), so tests run in parallel without seeing
//!   each other's layers and functions.
//! - The account runs the tools' binaries with the right environment
//!   ([`Account::command`]) and creates IAM roles, functions and layers through
//!   the real SDK.
//! - [`proxy`] puts a real HTTP proxy between a tool and moto that enforces
//!   Lambda's rate limits, injects faults by operation and count, and counts requests.
//! - [`schema`] validates tool output against the JSON Schema files of the record.
//! - [`snapshot`] redacts what changes from run to run in insta snapshots.
//! - [`reliability`] writes or checks the generated tables of docs/reliability.md.

mod account;
mod lambda;
mod moto;
pub mod proxy;
pub mod reliability;
pub mod runtimes;
pub mod schema;
pub mod signals;
pub mod snapshot;
mod zipfile;

pub use account::Account;
pub use lambda::FunctionSpec;
pub use moto::{MotoServer, moto};
pub use proxy::{AwsModel, Bucket, Fault, Proxy, RateLimits, Rule};
pub use zipfile::{stored_zip_bytes, zip_bytes};

/// Print the load average (1, 5, 15 min) before a benchmark's measurement:
/// the machine may be shared, and the figures mean little without it.
pub fn print_load(what: &str) {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let fields: Vec<&str> = load.split_whitespace().take(3).collect();
    println!(
        "load average (1, 5, 15 min) before {what}: {}",
        fields.join(" ")
    );
}

/// The region tests use unless they say otherwise.
pub const REGION: &str = "us-east-1";

/// Wait for every task of a set of independent scenarios, each returning its
/// index with its result; the results in index order. Panics with every failed
/// scenario's message (not only the first), so one run shows all that broke.
pub async fn join_in_order<T: 'static>(mut tasks: tokio::task::JoinSet<(usize, T)>) -> Vec<T> {
    let mut done = Vec::new();
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(result) => done.push(result),
            Err(err) => failures.push(panic_message(err)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    done.sort_by_key(|(index, _)| *index);
    done.into_iter().map(|(_, result)| result).collect()
}

fn panic_message(err: tokio::task::JoinError) -> String {
    match err.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panic".into()),
        Err(err) => err.to_string(),
    }
}
