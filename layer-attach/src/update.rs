//! Changing one function safely: `UpdateFunctionConfiguration` with the
//! function's `RevisionId`, retries of conflicts and throttling with backoff and
//! jitter (bounded in count and time), then waiting for `LastUpdateStatus`.
//!
//! Every request goes through the region's pacer (in the client). The update
//! is sent holding a sending permit, which is let go as soon as AWS accepted
//! it: the wait that follows polls `GetFunction` (its own 100/s quota) and
//! never holds up the next function's update. With a journal, the change is
//! written to it (and synced) before it is sent, and its result after.

use std::time::{Duration, Instant};

use tokio::sync::OwnedSemaphorePermit;

use aws_sdk_lambda::Client;
use aws_sdk_lambda::types::LastUpdateStatus;
use layer_aws::retry::backoff;
use layer_aws::{aws_error, is_error_code};
use layer_core::arn::LayerVersionArn;

use crate::journal::{Change, Journal};

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

/// What became of an update.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// Done; the function's new `RevisionId`.
    Done {
        revision_id: Option<String>,
    },
    Failed(String),
}

/// Set a function's layers to `change.after`, guarded by the revision it was
/// read at; `sending` is held until AWS has accepted (or refused) the update.
/// Nothing is sent unless the journal (when there is one) has the change.
pub async fn set_layers(
    client: &Client,
    limits: Limits,
    journal: Option<&Journal>,
    change: &Change,
    revision_id: Option<&str>,
    sending: OwnedSemaphorePermit,
) -> Applied {
    if let Some(journal) = journal
        && let Err(err) = journal.begin(change)
    {
        return Applied::Failed(format!(
            "not sent: the journal could not say it first: {err:#}"
        ));
    }
    let function = &change.function;
    let sent = send_update(client, limits, function, &change.after, revision_id).await;
    drop(sending);
    let applied = match sent {
        Sent::InProgress => wait_until_done(client, limits, function).await,
        Sent::Finished(applied) => applied,
    };
    if let Some(journal) = journal {
        journal.end(change, &applied);
    }
    applied
}

/// What AWS said to an update.
enum Sent {
    /// Accepted, still `InProgress`: wait for it.
    InProgress,
    /// Done, failed or refused.
    Finished(Applied),
}

async fn send_update(
    client: &Client,
    limits: Limits,
    function: &str,
    layers: &[LayerVersionArn],
    revision_id: Option<&str>,
) -> Sent {
    let started = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
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
                    Some(LastUpdateStatus::InProgress) => Sent::InProgress,
                    Some(LastUpdateStatus::Failed) => Sent::Finished(Applied::Failed(
                        update_failed(out.last_update_status_reason()),
                    )),
                    _ => Sent::Finished(Applied::Done {
                        revision_id: out.revision_id().map(str::to_string),
                    }),
                };
            }
            Err(err) => err,
        };
        if is_error_code(&err, "PreconditionFailedException") {
            return Sent::Finished(Applied::Failed(
                "the function was changed by someone else after it was read (its RevisionId no \
                 longer matches); nothing was overwritten; run again to plan from its current state"
                    .into(),
            ));
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
            return Sent::Finished(Applied::Failed(message));
        }
        let delay = backoff(attempt);
        if attempt >= limits.max_attempts || started.elapsed() + delay > limits.retry_for {
            return Sent::Finished(Applied::Failed(format!(
                "{message} (gave up after {attempt} attempts in {:.0} s)",
                started.elapsed().as_secs_f64()
            )));
        }
        tracing::debug!("{message}; retrying in {delay:?}");
        tokio::time::sleep(delay).await;
    }
}

/// Poll `GetFunction` (its own quota, and it reports `LastUpdateStatus`)
/// until the update is no longer `InProgress`, within a bounded wait: every
/// second for ten polls (most updates take one to a few seconds), then every
/// three seconds.
pub async fn wait_until_done(client: &Client, limits: Limits, function: &str) -> Applied {
    let started = Instant::now();
    let mut poll = 0;
    loop {
        poll += 1;
        let pause = Duration::from_secs(if poll <= 10 { 1 } else { 3 });
        if started.elapsed() + pause > limits.wait_for {
            return Applied::Failed(format!(
                "the update was still InProgress after {} s; check the function and run again",
                limits.wait_for.as_secs()
            ));
        }
        tokio::time::sleep(pause).await;
        let read = client.get_function().function_name(function).send().await;
        let config = match read {
            Ok(out) => match out.configuration {
                Some(config) => config,
                None => continue,
            },
            Err(err) if is_error_code(&err, "TooManyRequestsException") => continue,
            Err(err) => {
                return Applied::Failed(format!(
                    "{:#}",
                    aws_error(&format!("waiting for {function}'s update"), err)
                ));
            }
        };
        match config.last_update_status() {
            Some(LastUpdateStatus::InProgress) => continue,
            Some(LastUpdateStatus::Failed) => {
                return Applied::Failed(update_failed(config.last_update_status_reason()));
            }
            _ => {
                return Applied::Done {
                    revision_id: config.revision_id().map(str::to_string),
                };
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
