//! Stopping a run gracefully on SIGINT and SIGTERM.
//!
//! The first signal asks the run to start nothing new and let what is in
//! flight finish, for at most a grace period; the second signal (or the end of
//! the grace period) asks it to give up on what is still in flight. Either
//! way the run writes the record of what it did before it exits with
//! 128 + the signal's number. What is in flight is never cut off by the
//! signal itself: only the run decides what to abandon and records it.

use std::sync::Arc;
use std::time::Duration;

use layer_core::{Error, Result, Signal};
use tokio::sync::watch;

/// How long the updates in flight may take to finish after the first signal.
pub const GRACE: Duration = Duration::from_secs(10);

/// What the signals asked for so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Asked {
    /// The first signal received.
    first: Option<Signal>,
    /// How many signals were received.
    count: u32,
}

/// The run's stop request, shared by every task.
#[derive(Debug)]
pub struct Stop {
    asked: watch::Sender<Asked>,
    grace: Duration,
}

impl Stop {
    /// A stop request nothing but [`Stop::request`] sets (tests, and tools
    /// that do not listen for signals).
    pub fn manual(grace: Duration) -> Arc<Stop> {
        Arc::new(Stop {
            asked: watch::Sender::new(Asked::default()),
            grace,
        })
    }

    /// Listen for SIGINT and SIGTERM from now on (inside the runtime); `tool`
    /// names the tool in the messages people see.
    pub fn listen(tool: &'static str) -> Result<Arc<Stop>> {
        use tokio::signal::unix::{SignalKind, signal};
        let stop = Stop::manual(GRACE);
        for (kind, which) in [
            (SignalKind::interrupt(), Signal::Interrupt),
            (SignalKind::terminate(), Signal::Terminate),
        ] {
            let mut stream = signal(kind).map_err(|err| {
                Error::failed(format!("cannot listen for {which}")).with_source(err)
            })?;
            let stop = stop.clone();
            tokio::spawn(async move {
                while stream.recv().await.is_some() {
                    stop.request(tool, which);
                }
            });
        }
        Ok(stop)
    }

    /// Record a signal, as the listener does.
    pub fn request(&self, tool: &str, signal: Signal) {
        let mut now = Asked::default();
        self.asked.send_modify(|asked| {
            asked.first.get_or_insert(signal);
            asked.count += 1;
            now = *asked;
        });
        if now.count == 1 {
            eprintln!(
                "{tool}: {signal}: starting nothing new, waiting up to {} s for what is in \
                 flight, then writing the record; send it again to stop at once",
                self.grace.as_secs()
            );
        } else if now.count == 2 {
            eprintln!("{tool}: {signal} again: writing the record of what is done, and stopping");
        }
    }

    /// The first signal received, if any: start nothing new.
    pub fn requested(&self) -> Option<Signal> {
        self.asked.borrow().first
    }

    /// Resolves when the first signal arrives.
    pub async fn stopping(&self) -> Signal {
        let mut watching = self.asked.subscribe();
        let asked = watching
            .wait_for(|asked| asked.first.is_some())
            .await
            .map(|asked| *asked)
            .unwrap_or_default();
        asked.first.unwrap_or(Signal::Interrupt)
    }

    /// Resolves when what is in flight is to be abandoned: a second signal,
    /// or the grace period after the first one has passed.
    pub async fn abandoning(&self) {
        self.stopping().await;
        let mut watching = self.asked.subscribe();
        let second = watching.wait_for(|asked| asked.count >= 2);
        let _ = tokio::time::timeout(self.grace, second).await;
    }

    /// The error a stopped run ends with (exit 128 + the signal's number).
    pub fn error(&self, problem: impl std::fmt::Display) -> Error {
        Error::interrupted(self.requested().unwrap_or(Signal::Interrupt), problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_grace_period_or_a_second_signal_abandons_what_is_in_flight() {
        let stop = Stop::manual(Duration::from_secs(10));
        assert_eq!(stop.requested(), None);
        stop.request("t", Signal::Terminate);
        assert_eq!(stop.requested(), Some(Signal::Terminate));
        assert_eq!(stop.stopping().await, Signal::Terminate);
        let started = tokio::time::Instant::now();
        stop.abandoning().await;
        assert_eq!(started.elapsed(), Duration::from_secs(10));

        let stop = Stop::manual(Duration::from_secs(10));
        stop.request("t", Signal::Interrupt);
        stop.request("t", Signal::Terminate);
        let started = tokio::time::Instant::now();
        stop.abandoning().await;
        assert!(started.elapsed() < Duration::from_secs(1));
        // The first signal decides the exit code.
        assert_eq!(stop.error("x").exit_code(), 130);
    }
}
