//! PublishLayerVersion, safe to retry.
//!
//! The SDK's own retry would send the same PublishLayerVersion again after a
//! timeout or a 5xx, and when the first request did reach Lambda, that leaves two
//! identical versions. So this one call runs with the SDK's retry off and our
//! own loop around it:
//! - throttled (429): nothing was created; wait and send again;
//! - timed out, connection lost, or a 5xx: the version may exist. Look for a
//!   version newer than those listed before publishing that holds our
//!   CodeSha256; use it if found, else send again;
//! - after a success that followed such a failure, wait a moment (the attempt
//!   timeout, at most 10 s) and look once more: a first attempt that landed
//!   late shows up as a second identical version, and the newer duplicate
//!   (seconds old, known to nobody) is deleted.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_lambda::Client;
use aws_sdk_lambda::error::SdkError;
use aws_sdk_lambda::operation::publish_layer_version::{
    PublishLayerVersionError, PublishLayerVersionOutput,
};
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, LayerVersionContentInput, Runtime};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use layer_aws::aws_error;
use layer_aws::retry::backoff;
use layer_core::{Error, Result};
use sha2::{Digest, Sha256};

use crate::jobs::{Job, hash_file};
use crate::lookup::{self, Found, found_from};

/// Where the zip comes from.
#[derive(Debug, Clone)]
pub enum Content {
    Inline(Vec<u8>),
    S3 { bucket: String, key: String },
}

/// What one failed attempt means for the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// Nothing was created (throttled): send again after a pause.
    NotCreated,
    /// The version may exist (timeout, lost connection, 5xx): look before sending again.
    Unknown,
    /// A real error (bad request, access denied): stop.
    Fatal,
}

fn classify(err: &SdkError<PublishLayerVersionError>) -> Failure {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            Failure::Unknown
        }
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code().unwrap_or_default();
            if status == 429 || code == "TooManyRequestsException" {
                Failure::NotCreated
            } else if status >= 500 {
                Failure::Unknown
            } else {
                Failure::Fatal
            }
        }
        _ => Failure::Fatal,
    }
}

/// Read the zip for an inline upload, checking once more that it is the zip
/// that was checked (it could have been rewritten since).
pub fn inline_content(job: &Job) -> Result<Content> {
    let bytes =
        std::fs::read(&job.zip_path).map_err(|err| Error::io("read", &job.zip_path, err))?;
    ensure_unchanged(job, &layer_core::hex::encode(&Sha256::digest(&bytes)))?;
    Ok(Content::Inline(bytes))
}

/// Hash the zip once more before an S3 upload (which streams it from disk).
pub fn rehash(job: &Job) -> Result<()> {
    let (_, hex, _) = hash_file(&job.zip_path)?;
    ensure_unchanged(job, &hex)
}

fn ensure_unchanged(job: &Job, sha256_hex: &str) -> Result<()> {
    if sha256_hex == job.sha256_hex {
        return Ok(());
    }
    Err(Error::input(format!(
        "{} changed while layer-publish ran",
        job.zip_path.display()
    ))
    .with_fix("do not rewrite the zip during publishing; run layer-pack and layer-publish again"))
}

/// Publish one version and return it. `newest_before` is the highest version
/// number listed before publishing (0 for a new layer).
pub async fn publish(
    client: &Client,
    job: &Job,
    content: &Content,
    newest_before: i64,
    attempts: u32,
    timeout: Duration,
) -> Result<Found> {
    let mut uncertain = false;
    let mut attempt = 0;
    let created = loop {
        attempt += 1;
        let err = match send(client, job, content, timeout).await {
            Ok(output) => break found_from!(output, "PublishLayerVersion"),
            Err(err) => err,
        };
        let failure = classify(&err);
        let action = format!("publishing {} (PublishLayerVersion)", job.name);
        if failure == Failure::Fatal || attempt >= attempts {
            return Err(aws_error(&action, err));
        }
        tracing::warn!(
            "{}: attempt {attempt} failed ({:#}); {}",
            job.name,
            aws_error(&action, err),
            if failure == Failure::Unknown {
                "checking whether the version was created before trying again"
            } else {
                "trying again"
            }
        );
        tokio::time::sleep(backoff(attempt)).await;
        if failure == Failure::Unknown {
            uncertain = true;
            if let Some(found) = newest_identical(client, job, newest_before).await? {
                tracing::info!(
                    "{}: the failed attempt did create version {}; using it",
                    job.name,
                    found.version
                );
                break found;
            }
        }
    };
    verify_code_sha256(client, job, &created).await?;
    if uncertain {
        // An attempt we gave up on may still be on its way to Lambda: give it
        // time to land before looking for duplicates.
        tokio::time::sleep(timeout.min(Duration::from_secs(10))).await;
        return remove_duplicates(client, job, newest_before, created).await;
    }
    Ok(created)
}

async fn send(
    client: &Client,
    job: &Job,
    content: &Content,
    timeout: Duration,
) -> Result<PublishLayerVersionOutput, SdkError<PublishLayerVersionError>> {
    let content = match content {
        Content::Inline(bytes) => LayerVersionContentInput::builder()
            .zip_file(Blob::new(bytes.clone()))
            .build(),
        Content::S3 { bucket, key } => LayerVersionContentInput::builder()
            .s3_bucket(bucket)
            .s3_key(key)
            .build(),
    };
    // No SDK retry for this call: see the module comment.
    let once = aws_sdk_lambda::config::Builder::default()
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(timeout)
                .operation_timeout(timeout)
                .build(),
        );
    client
        .publish_layer_version()
        .layer_name(&job.name)
        .description(&job.description)
        .set_license_info(job.license.clone())
        .set_compatible_runtimes(Some(
            job.runtimes
                .iter()
                .map(|r| Runtime::from(r.as_str().as_ref()))
                .collect(),
        ))
        .set_compatible_architectures(Some(
            job.architectures
                .iter()
                .map(|a| Architecture::from(a.lambda_name()))
                .collect(),
        ))
        .content(content)
        .customize()
        .config_override(once)
        .send()
        .await
}

/// Versions created after `newest_before` that hold our content, oldest first.
async fn created_since(client: &Client, job: &Job, newest_before: i64) -> Result<Vec<Found>> {
    let listing = lookup::list_versions(client, &job.name).await?;
    let mut found = Vec::new();
    for listed in listing.iter().rev().filter(|v| v.version > newest_before) {
        if let Some(version) = lookup::get_version(client, &job.name, listed.version).await?
            && version.matches(job)
        {
            found.push(version);
        }
    }
    Ok(found)
}

async fn newest_identical(client: &Client, job: &Job, newest_before: i64) -> Result<Option<Found>> {
    Ok(created_since(client, job, newest_before)
        .await?
        .into_iter()
        .next())
}

/// Keep the oldest of the identical versions this run created; delete the rest.
async fn remove_duplicates(
    client: &Client,
    job: &Job,
    newest_before: i64,
    ours: Found,
) -> Result<Found> {
    let identical = created_since(client, job, newest_before).await?;
    let Some(keep) = identical.first().cloned() else {
        return Ok(ours);
    };
    for duplicate in identical.iter().skip(1) {
        tracing::warn!(
            "{}: an earlier attempt also created version {}; deleting the duplicate {}",
            job.name,
            keep.version,
            duplicate.version
        );
        client
            .delete_layer_version()
            .layer_name(&job.name)
            .version_number(duplicate.version)
            .send()
            .await
            .map_err(|err| {
                aws_error(
                    &format!("deleting duplicate {}:{}", job.name, duplicate.version),
                    err,
                )
            })?;
    }
    Ok(keep)
}

/// AWS's CodeSha256 must be ours. A mismatch means Lambda holds other bytes than
/// the zip we checked: that version is deleted (nobody can be using it yet) and
/// the run fails.
async fn verify_code_sha256(client: &Client, job: &Job, created: &Found) -> Result<()> {
    if created.code_sha256 == job.code_sha256 {
        return Ok(());
    }
    let cleanup = client
        .delete_layer_version()
        .layer_name(&job.name)
        .version_number(created.version)
        .send()
        .await;
    let cleaned = if cleanup.is_ok() {
        "it was deleted"
    } else {
        "deleting it failed too; delete it by hand"
    };
    Err(Error::failed(format!(
        "{}: AWS reports CodeSha256 {} for {}, but the zip's is {}; {cleaned}",
        job.name, created.code_sha256, created.version_arn, job.code_sha256
    ))
    .with_fix("the upload was altered on the way; check proxies and the S3 object, then run again"))
}
