//! What every task of a run shares: one client per account and region (an
//! estate's accounts each with their own assumed-role credentials), paced by
//! that account and region's pacer (Lambda's quotas are per account and
//! region; the pacer is `layer_aws`'s, shared by every request of the run),
//! the retry limits, the progress bar, the permits that bound how many
//! updates are sent at once, the stop request of SIGINT/SIGTERM, and the
//! run's journal.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use aws_sdk_lambda::Client;
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use layer_aws::{Scope, Stop, Traffic};
use layer_core::Result;
use layer_core::cli::format_rate;
use layer_core::platform::Date;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::Args;
use crate::journal::Journal;
use crate::update::Limits;

#[derive(Debug)]
pub struct Region {
    pub client: Client,
}

#[derive(Debug)]
pub struct Session {
    /// Per account and region (`account: None`: the credentials' own).
    pub scopes: BTreeMap<Scope, Region>,
    pub limits: Limits,
    pub concurrency: usize,
    pub show_progress: bool,
    /// Today, for the runtime lifecycle (`LAYER_TOOLS_TODAY` overrides the clock).
    pub today: Date,
    /// Set by SIGINT/SIGTERM: start no new item.
    pub stop: Arc<Stop>,
    /// Where each change is written before it is sent (none for --dry-run).
    pub journal: Option<Arc<Journal>>,
}

impl Session {
    /// Clients for the accounts and regions, whose requests `traffic` counts
    /// and paces. Credentials are checked and every account's role assumed up
    /// front, before any change.
    pub async fn connect(
        args: &Args,
        scopes: impl IntoIterator<Item = Scope>,
        traffic: &Traffic,
        stop: Arc<Stop>,
        journal: Option<Arc<Journal>>,
    ) -> Result<Session> {
        let estate = args
            .aws
            .connect_scopes("layer-attach", scopes.into_iter().collect())
            .await?;
        let clients: BTreeMap<Scope, Region> = estate
            .configs()
            .map(|(scope, config)| {
                let client = traffic.lambda_in(scope, config);
                (scope.clone(), Region { client })
            })
            .collect();
        // Each account and region is paced on its own: with the same number
        // of updates in flight per pair, K pairs go K times as fast.
        let concurrency = args.concurrency as usize * clients.len().max(1);
        Ok(Session {
            scopes: clients,
            limits: Limits {
                max_attempts: 10,
                retry_for: args.retry_for,
                wait_for: args.wait_timeout,
            },
            concurrency,
            show_progress: args.verbosity.show_progress(),
            today: Date::today()?,
            stop,
            journal,
        })
    }

    pub fn scope(&self, scope: &Scope) -> &Region {
        &self.scopes[scope]
    }

    pub fn journal(&self) -> Option<&Journal> {
        self.journal.as_deref()
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

/// What became of one item of [`run_paced`].
#[derive(Debug)]
pub enum Paced<R> {
    Done(R),
    /// A signal stopped the run before the item started.
    NotStarted,
    /// A signal stopped the run while the item was running, and it did not
    /// finish within the grace period (or a second signal came): abandoned.
    Unfinished,
}

/// Run `task` on every item, in input order, each with a sending permit:
/// at most `concurrency` items hold one at a time, and an item lets its
/// permit go as soon as it has sent what must be bounded (an update lets it go
/// once AWS accepted it, before waiting for it to finish), so the next item
/// starts then. Once a signal asks the run to stop, no item starts; the running
/// ones get the grace period (or until a second signal) and are then abandoned.
/// Results in input order.
pub async fn run_paced<T, R, F, Fut>(
    session: &Arc<Session>,
    items: Vec<T>,
    task: F,
) -> Vec<Paced<R>>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(Arc<Session>, T, OwnedSemaphorePermit) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
{
    let len = items.len();
    let stop = session.stop.clone();
    let permits = Arc::new(Semaphore::new(session.concurrency.max(1)));
    let task = Arc::new(task);
    let mut running = tokio::task::JoinSet::new();
    let mut started = 0;
    for (index, item) in items.into_iter().enumerate() {
        let permit = tokio::select! {
            biased;
            _ = stop.stopping() => break,
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let (task, session) = (task.clone(), session.clone());
        running.spawn(async move { (index, task(session, item, permit).await) });
        started += 1;
    }
    let mut results: Vec<Option<R>> = (0..len).map(|_| None).collect();
    // One grace period for the whole run, not one per finished item.
    let abandoning = stop.abandoning();
    tokio::pin!(abandoning);
    loop {
        tokio::select! {
            finished = running.join_next() => {
                let Some(finished) = finished else { break };
                let (index, result) =
                    finished.unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()));
                results[index] = Some(result);
            }
            () = &mut abandoning => {
                running.abort_all();
                break;
            }
        }
    }
    results
        .into_iter()
        .enumerate()
        .map(|(index, result)| match result {
            Some(done) => Paced::Done(done),
            None if index < started => Paced::Unfinished,
            None => Paced::NotStarted,
        })
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
