//! What every task of a run shares: one client and one request pacer per region
//! (Lambda's limits are per account and region), the retry limits, the progress
//! bar, and a bounded pool to run tasks in.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use aws_sdk_lambda::Client;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use layer_aws::RequestCounter;
use layer_core::Result;
use layer_core::cli::format_rate;

use crate::Args;
use crate::update::{Limits, Pacer, Pacers};

/// GetFunction / GetFunctionConfiguration have a limit of 100 a second; stay well below.
const READS_PER_SECOND: f64 = 50.0;

#[derive(Debug)]
pub struct Region {
    pub client: Client,
    pub pacers: Pacers,
}

#[derive(Debug)]
pub struct Session {
    pub regions: BTreeMap<String, Region>,
    pub limits: Limits,
    pub concurrency: usize,
    pub show_progress: bool,
}

impl Session {
    /// Clients for the regions (credentials are checked up front, before any
    /// change), whose requests `counter` counts.
    pub async fn connect(
        args: &Args,
        regions: impl IntoIterator<Item = String>,
        counter: &RequestCounter,
    ) -> Result<Session> {
        let mut clients = BTreeMap::new();
        for region in regions {
            if clients.contains_key(&region) {
                continue;
            }
            layer_aws::validate_region(&region)?;
            let config = args.aws.sdk_config(&region).await?;
            clients.insert(
                region,
                Region {
                    client: layer_aws::lambda_client(&config, counter),
                    pacers: Pacers {
                        control: Pacer::per_second(args.rate),
                        reads: Pacer::per_second(READS_PER_SECOND.max(args.rate)),
                    },
                },
            );
        }
        Ok(Session {
            regions: clients,
            limits: Limits {
                max_attempts: 10,
                retry_for: args.retry_for,
                wait_for: args.wait_timeout,
            },
            concurrency: args.concurrency as usize,
            show_progress: args.verbosity.show_progress(),
        })
    }

    pub fn region(&self, region: &str) -> &Region {
        &self.regions[region]
    }

    /// A progress bar on stderr when a person watches it; hidden otherwise.
    pub fn progress(&self, len: usize, what: &str) -> ProgressBar {
        if !self.show_progress || len == 0 {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(len as u64).with_style(progress_style());
        bar.set_message(what.to_string());
        bar
    }
}

/// `updating [=====>    ] 12/30 (2.2/s, eta 8s)`: indicatif's own `{per_sec}`
/// shows four decimals (2.2418/s).
fn progress_style() -> ProgressStyle {
    let rate = |state: &ProgressState, out: &mut dyn std::fmt::Write| {
        let _ = out.write_str(&format_rate(state.per_sec()));
    };
    ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({rate}, eta {eta})")
        .expect("a valid template")
        .with_key("rate", rate)
        .progress_chars("=> ")
}

/// Run `task` on every item, at most `concurrency` at a time; results in input order.
pub async fn run_bounded<T, R, F, Fut>(session: &Arc<Session>, items: Vec<T>, task: F) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(Arc<Session>, T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
{
    let len = items.len();
    let queue = Arc::new(std::sync::Mutex::new(
        items
            .into_iter()
            .enumerate()
            .collect::<std::collections::VecDeque<_>>(),
    ));
    let task = Arc::new(task);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..session.concurrency.min(len) {
        let queue = queue.clone();
        let task = task.clone();
        let session = session.clone();
        workers.spawn(async move {
            let mut done = Vec::new();
            loop {
                let next = queue.lock().unwrap().pop_front();
                let Some((index, item)) = next else {
                    return done;
                };
                done.push((index, task(session.clone(), item).await));
            }
        });
    }
    let mut results: Vec<Option<R>> = (0..len).map(|_| None).collect();
    while let Some(finished) = workers.join_next().await {
        let finished = finished.unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()));
        for (index, result) in finished {
            results[index] = Some(result);
        }
    }
    results
        .into_iter()
        .map(|result| result.expect("every item ran"))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_progress_template_is_valid() {
        // It panics on a template indicatif cannot read.
        let _ = super::progress_style();
    }
}
