//! One region's work, and running every region at once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use layer_aws::{Stop, aws_error, is_error_code};
use layer_core::sections::{Published, S3Upload};
use layer_core::{Error, Result};
use serde_json::Map;

use crate::aws::{Clients, RegionClients};
use crate::description::version_in;
use crate::jobs::Job;
use crate::lookup::{Found, Listed, find_identical, list_versions};
use crate::publish::{Content, inline_content, publish};
use crate::retention::{Inventory, Mode, apply};
use crate::s3::{bucket_in, ensure_uploaded, key_for};
use crate::{Args, GrantFlags, grants};

/// What every region task needs from the command line.
#[derive(Debug, Clone)]
struct Settings {
    force: bool,
    retention: Mode,
    grants: GrantFlags,
    s3_bucket: Option<String>,
    s3_prefix: String,
    attempts: u32,
    publish_timeout: Duration,
    /// SIGINT/SIGTERM: start no new layer in any region.
    stop: Arc<Stop>,
}

impl Settings {
    fn from_args(args: &Args, stop: Arc<Stop>) -> Self {
        Settings {
            force: args.layer.no_reuse,
            retention: Mode::from_args(args).stopping_on(&stop),
            grants: args.grants.clone(),
            s3_bucket: args.upload.s3_bucket.clone(),
            s3_prefix: args.upload.s3_prefix.clone(),
            attempts: args.aws.max_attempts,
            publish_timeout: args.layer.publish_timeout,
            stop,
        }
    }
}

/// Read-only checks that need AWS, in every region, before anything is written
/// anywhere: the S3 bucket must exist when a zip goes through S3.
pub async fn preflight(args: &Args, jobs: &[Job], clients: &Clients) -> Result<()> {
    let Some(template) = &args.upload.s3_bucket else {
        return Ok(());
    };
    if !jobs.iter().any(|job| job.via_s3) {
        return Ok(());
    }
    for region in &clients.regions {
        let bucket = bucket_in(template, region).await?;
        region
            .s3
            .head_bucket()
            .bucket(&bucket)
            .send()
            .await
            .map_err(|err| bucket_error(&bucket, &region.region, err))?;
    }
    Ok(())
}

/// HeadBucket answers without a body, so say what its status means.
fn bucket_error<E, R>(bucket: &str, region: &str, err: aws_sdk_s3::error::SdkError<E, R>) -> Error
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let fix = "create the bucket in the layer's region, or pass another --s3-bucket (`{region}` and `{account}` in the name are replaced)";
    if is_error_code(&err, "NotFound") || is_error_code(&err, "NoSuchBucket") {
        return Error::input(format!(
            "the S3 bucket {bucket} does not exist (checked for {region})"
        ))
        .with_fix(fix);
    }
    if is_error_code(&err, "Forbidden") || is_error_code(&err, "AccessDenied") {
        return Error::input(format!("no access to the S3 bucket {bucket} (checked for {region})"))
            .with_fix("use a bucket these credentials may write to, or grant s3:PutObject and s3:GetObject on it");
    }
    aws_error(
        &format!("checking the S3 bucket {bucket} (HeadBucket)"),
        err,
    )
}

/// Publish every job in every region; regions run concurrently, jobs in a
/// region one after another. Result: `[job][region]`.
pub async fn publish_everywhere(
    args: &Args,
    jobs: &[Job],
    clients: &Clients,
    stop: &Arc<Stop>,
) -> Vec<Vec<Result<Published>>> {
    let settings = Arc::new(Settings::from_args(args, stop.clone()));
    let shared_jobs = Arc::new(jobs.to_vec());
    let mut tasks = tokio::task::JoinSet::new();
    for (index, region) in clients.regions.iter().cloned().enumerate() {
        let settings = Arc::clone(&settings);
        let jobs = Arc::clone(&shared_jobs);
        tasks.spawn(async move { (index, publish_region(&region, &jobs, &settings).await) });
    }
    let mut by_region: Vec<Option<Vec<Result<Published>>>> =
        (0..clients.regions.len()).map(|_| None).collect();
    // After a signal, a region's layer in flight gets the grace period (or
    // until a second signal), then the region is abandoned.
    let abandoning = stop.abandoning();
    tokio::pin!(abandoning);
    loop {
        tokio::select! {
            joined = tasks.join_next() => match joined {
                None => break,
                Some(Ok((index, results))) => by_region[index] = Some(results),
                Some(Err(err)) => tracing::error!("a region's task failed: {err}"),
            },
            () = &mut abandoning => {
                tasks.abort_all();
                break;
            }
        }
    }
    // Transpose to [job][region]; a task that panicked (or was abandoned
    // after a signal) fails all its jobs.
    let mut by_region: Vec<std::vec::IntoIter<Result<Published>>> = by_region
        .into_iter()
        .map(|results| {
            results
                .unwrap_or_else(|| {
                    let why = if stop.requested().is_some() {
                        "abandoned after the signal while publishing: a version may have been \
                         published; running again finds and reuses it"
                    } else {
                        "the region's task stopped"
                    };
                    jobs.iter().map(|_| Err(Error::failed(why))).collect()
                })
                .into_iter()
        })
        .collect();
    jobs.iter()
        .map(|_| {
            by_region
                .iter_mut()
                .map(|results| {
                    results
                        .next()
                        .unwrap_or_else(|| Err(Error::failed("no result")))
                })
                .collect()
        })
        .collect()
}

async fn publish_region(
    region: &RegionClients,
    jobs: &[Job],
    settings: &Settings,
) -> Vec<Result<Published>> {
    let inventory = Inventory::default();
    // Versions this run published or reused, per layer: retention never deletes
    // them (two records of one layer, e.g. one per architecture, keep both).
    let mut produced: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    let mut results = Vec::new();
    for job in jobs {
        // A layer started is finished (its grants and retention too); after a
        // signal no new one starts.
        if let Some(signal) = settings.stop.requested() {
            results.push(Err(Error::interrupted(
                signal,
                format!("not started: the run was stopped by {signal}"),
            )));
            continue;
        }
        let protected = produced.entry(job.name.clone()).or_default();
        results.push(publish_job(region, job, settings, &inventory, protected).await);
    }
    results
}

async fn publish_job(
    region: &RegionClients,
    job: &Job,
    settings: &Settings,
    inventory: &Inventory,
    protected: &mut BTreeSet<i64>,
) -> Result<Published> {
    let lambda = &region.lambda;
    let listing = list_versions(lambda, &job.name).await?;
    let existing = if settings.force {
        None
    } else {
        find_identical(lambda, job, &listing).await?
    };
    let (found, reused, s3) = match existing {
        Some(found) => {
            tracing::info!(
                "{} in {}: version {} already holds this zip; reusing it",
                job.name,
                region.scope,
                found.version
            );
            (found, true, None)
        }
        None => {
            let (content, s3) = content_for(region, job, settings).await?;
            let newest_before = listing.first().map_or(0, |v| v.version);
            let found = publish(
                lambda,
                job,
                &content,
                newest_before,
                settings.attempts,
                settings.publish_timeout,
            )
            .await?;
            tracing::info!(
                "{} in {}: published version {}",
                job.name,
                region.region,
                found.version
            );
            (found, false, s3)
        }
    };
    // Protected from here on, even if a later step of this job fails.
    protected.insert(found.version);
    let permissions = if grants::any(&settings.grants) {
        grants::apply(lambda, &job.name, found.version, &settings.grants).await?
    } else {
        Vec::new()
    };
    let retention = match &job.retention {
        Some(policy) => {
            let listing = with_version(listing, &found);
            Some(
                apply(
                    lambda,
                    inventory,
                    &job.name,
                    &listing,
                    policy,
                    protected,
                    settings.retention.clone(),
                )
                .await?,
            )
        }
        None => None,
    };
    // What AWS holds, as it answered (never what this run asked for), and
    // where the zip went.
    Ok(Published {
        region: region.region.clone(),
        account: region.scope.account.clone(),
        ssm_parameter: None,
        layer_name: job.name.clone(),
        layer_arn: found.layer_arn.clone(),
        version_arn: found.version_arn.clone(),
        version: found.version,
        code_sha256: found.code_sha256.clone(),
        created_date: found.created_date.clone(),
        reused,
        semantic_version: found
            .description
            .as_deref()
            .and_then(version_in)
            .map(str::to_string),
        description: found.description.clone(),
        compatible_runtimes: found.runtimes.clone(),
        compatible_architectures: found.architectures.clone(),
        permissions,
        retention,
        sha256: hex_of_code_sha256(&found.code_sha256),
        license: found.license.clone(),
        s3,
        extra: Map::new(),
    })
}

async fn content_for(
    region: &RegionClients,
    job: &Job,
    settings: &Settings,
) -> Result<(Content, Option<S3Upload>)> {
    if !job.via_s3 {
        return Ok((inline_content(job)?, None));
    }
    let template = settings.s3_bucket.as_deref().unwrap_or_default();
    let bucket = bucket_in(template, region).await?;
    let key = key_for(&settings.s3_prefix, job);
    let location = ensure_uploaded(&region.s3, &bucket, &key, job).await?;
    Ok((Content::S3 { bucket, key }, Some(location)))
}

/// The hex SHA-256 of AWS's CodeSha256 (base64); `None` when it is not one.
fn hex_of_code_sha256(code_sha256: &str) -> Option<String> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(code_sha256)
        .ok()
        .filter(|digest| digest.len() == 32)
        .map(|digest| layer_core::hex::encode(&digest))
}

/// The listing plus the version just published (the listing predates it).
fn with_version(mut listing: Vec<Listed>, found: &Found) -> Vec<Listed> {
    if !listing.iter().any(|v| v.version == found.version) {
        listing.push(Listed {
            version: found.version,
            version_arn: found.version_arn.clone(),
            description: found.description.clone().unwrap_or_default(),
            created_date: found.created_date.clone(),
            runtimes: found.runtimes.clone(),
            architectures: found.architectures.clone(),
            license: found.license.clone(),
        });
    }
    listing
}

/// Exit 2 naming every job and region that failed (after the output of those
/// that succeeded was written).
pub fn fail_on(failures: Vec<(String, String, Error)>) -> Result<()> {
    if failures.is_empty() {
        return Ok(());
    }
    let mut fix = None;
    let lines: Vec<String> = failures
        .iter()
        .map(|(job, region, err)| {
            if fix.is_none() {
                fix = err.fix().map(str::to_string);
            }
            format!("{job} in {region}: {err:#}")
        })
        .collect();
    let problem = if lines.len() == 1 {
        lines[0].clone()
    } else {
        format!(
            "{} publications failed:\n  {}",
            lines.len(),
            lines.join("\n  ")
        )
    };
    let error = Error::failed(problem);
    Err(match fix {
        Some(fix) => error.with_fix(fix),
        None => error,
    })
}
