//! Changing one function safely: `UpdateFunctionConfiguration` with the
//! function's `RevisionId`, retries of conflicts and throttling with backoff and
//! jitter (bounded in count and time), then waiting for `LastUpdateStatus`.

use std::time::{Duration, Instant};

use aws_sdk_lambda::Client;
use aws_sdk_lambda::types::LastUpdateStatus;
use layer_aws::retry::backoff;
use layer_aws::{aws_error, is_error_code};
use layer_core::arn::LayerVersionArn;

/// Spaces requests evenly: at most `rate` a second, shared by every task.
/// Evenly rather than in bursts, so that a run stays under a token-bucket limit
/// whatever else it is doing.
#[derive(Debug)]
pub struct Pacer {
    period: Duration,
    next: std::sync::Mutex<Instant>,
}

impl Pacer {
    pub fn per_second(rate: f64) -> Pacer {
        Pacer {
            period: Duration::from_secs_f64(1.0 / rate),
            next: std::sync::Mutex::new(Instant::now()),
        }
    }

    /// Wait for this caller's turn.
    pub async fn wait(&self) {
        let at = {
            let mut next = self.next.lock().unwrap();
            let at = (*next).max(Instant::now());
            *next = at + self.period;
            at
        };
        tokio::time::sleep_until(at.into()).await;
    }
}

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Attempts of one update when AWS answers with a conflict or throttling.
    pub max_attempts: u32,
    /// How long to keep retrying one update.
    pub retry_for: Duration,
    /// How long to wait for `LastUpdateStatus` to leave `InProgress`.
    pub wait_for: Duration,
}

/// The request pacing shared by every task of a run.
#[derive(Debug)]
pub struct Pacers {
    /// Control-plane calls (updates, publishes, aliases, listing).
    pub control: Pacer,
    /// GetFunction / GetFunctionConfiguration, which have a limit of their own.
    pub reads: Pacer,
}

/// What became of an update.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// Done; the function's new `RevisionId`.
    Done {
        revision_id: Option<String>,
    },
    Failed(String),
}

/// Set a function's layers, guarded by the revision it was read at.
pub async fn set_layers(
    client: &Client,
    pacers: &Pacers,
    limits: Limits,
    function: &str,
    layers: &[LayerVersionArn],
    revision_id: Option<&str>,
) -> Applied {
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        pacers.control.wait().await;
        let sent = client
            .update_function_configuration()
            .function_name(function)
            .set_layers(Some(
                layers.iter().map(LayerVersionArn::to_string).collect(),
            ))
            .set_revision_id(revision_id.map(str::to_string))
            .send()
            .await;
        let err = match sent {
            Ok(out) => {
                return match out.last_update_status() {
                    Some(LastUpdateStatus::InProgress) => {
                        wait_until_done(client, pacers, limits, function).await
                    }
                    Some(LastUpdateStatus::Failed) => {
                        Applied::Failed(update_failed(out.last_update_status_reason()))
                    }
                    _ => Applied::Done {
                        revision_id: out.revision_id().map(str::to_string),
                    },
                };
            }
            Err(err) => err,
        };
        if is_error_code(&err, "PreconditionFailedException") {
            return Applied::Failed(
                "the function was changed by someone else after it was read (its RevisionId no \
                 longer matches); nothing was overwritten; run again to plan from its current state"
                    .into(),
            );
        }
        let retryable = [
            "ResourceConflictException",
            "TooManyRequestsException",
            "ThrottlingException",
        ]
        .iter()
        .any(|code| is_error_code(&err, code));
        let message = format!("{:#}", aws_error(&format!("updating {function}"), err));
        if !retryable {
            return Applied::Failed(message);
        }
        let delay = backoff(attempt);
        if attempt >= limits.max_attempts || started.elapsed() + delay > limits.retry_for {
            return Applied::Failed(format!(
                "{message} (gave up after {attempt} attempts in {:.0} s)",
                started.elapsed().as_secs_f64()
            ));
        }
        tracing::debug!("{message}; retrying in {delay:?}");
        tokio::time::sleep(delay).await;
    }
}

/// Poll `GetFunctionConfiguration` until the update is no longer `InProgress`,
/// within a bounded wait.
pub async fn wait_until_done(
    client: &Client,
    pacers: &Pacers,
    limits: Limits,
    function: &str,
) -> Applied {
    let started = Instant::now();
    let mut poll = 0;
    loop {
        poll += 1;
        // 0.5 s, 1 s, 2 s, then every 2 s: most updates finish within seconds.
        let pause = Duration::from_millis(500 * (1 << poll.min(3)) / 2);
        if started.elapsed() + pause > limits.wait_for {
            return Applied::Failed(format!(
                "the update was still InProgress after {} s; check the function and run again",
                limits.wait_for.as_secs()
            ));
        }
        tokio::time::sleep(pause).await;
        pacers.reads.wait().await;
        let read = client
            .get_function_configuration()
            .function_name(function)
            .send()
            .await;
        match read {
            Ok(config) => match config.last_update_status() {
                Some(LastUpdateStatus::InProgress) => continue,
                Some(LastUpdateStatus::Failed) => {
                    return Applied::Failed(update_failed(config.last_update_status_reason()));
                }
                _ => {
                    return Applied::Done {
                        revision_id: config.revision_id().map(str::to_string),
                    };
                }
            },
            Err(err) if is_error_code(&err, "TooManyRequestsException") => continue,
            Err(err) => {
                return Applied::Failed(format!(
                    "{:#}",
                    aws_error(&format!("waiting for {function}'s update"), err)
                ));
            }
        }
    }
}

fn update_failed(reason: Option<&str>) -> String {
    format!(
        "AWS reports the update as Failed: {}",
        reason.unwrap_or("no reason given")
    )
}
