//! `--dry-run`: what a real run would do, found with read-only calls only
//! (ListLayerVersions, GetLayerVersion, GetLayerVersionPolicy, HeadObject,
//! ListFunctions), written as one `planned` section per record and region.
//! It follows the real run step for step: the same identical-version search,
//! the same grants, the same retention rule, with each version the run would
//! publish counted as the newest (and protected) one.

use std::collections::{BTreeMap, BTreeSet};

use layer_core::Result;
use layer_core::sections::{Planned, PlannedAction, PlannedUpload, RetentionOutcome};

use crate::aws::{Clients, RegionClients};
use crate::jobs::Job;
use crate::lookup::{Listed, find_identical, list_versions};
use crate::retention::{Inventory, Mode, apply};
use crate::s3::{already_there, bucket_in, key_for};
use crate::{Args, grants};

/// The plan of every job in every region: `[job][region]`.
pub async fn plan_everywhere(
    args: &Args,
    jobs: &[Job],
    clients: &Clients,
) -> Result<Vec<Vec<Planned>>> {
    let mut by_region = Vec::new();
    for region in &clients.regions {
        by_region.push(plan_region(args, region, jobs).await?);
    }
    Ok((0..jobs.len())
        .map(|job| by_region.iter().map(|plans| plans[job].clone()).collect())
        .collect())
}

async fn plan_region(args: &Args, region: &RegionClients, jobs: &[Job]) -> Result<Vec<Planned>> {
    let inventory = Inventory::default();
    // Per layer: the versions this run would publish or reuse, which retention
    // never deletes, and those it would publish, which later jobs of the same
    // layer see as the newest.
    let mut protected: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
    let mut to_publish: BTreeMap<String, Vec<Listed>> = BTreeMap::new();
    let mut plans = Vec::new();
    for job in jobs {
        let existing = list_versions(&region.lambda, &job.name).await?;
        let identical = if args.layer.no_reuse {
            None
        } else {
            find_identical(&region.lambda, job, &existing).await?
        };
        let new_versions = to_publish.entry(job.name.clone()).or_default();
        let mut listing: Vec<Listed> = new_versions.iter().rev().cloned().collect();
        listing.extend(existing);
        let mut plan = Planned {
            region: region.region.clone(),
            account: region.scope.account.clone(),
            ssm_parameter: None,
            layer_name: job.name.clone(),
            action: PlannedAction::Reuse,
            version: None,
            version_arn: None,
            s3: None,
            code_sha256: job.code_sha256.clone(),
            description: job.description.clone(),
            compatible_runtimes: job.runtimes.clone(),
            compatible_architectures: job.architectures.clone(),
            permissions: Vec::new(),
            retention: None,
            semantic_version: job.version.clone(),
            sha256: job.sha256_hex.clone(),
            license: job.license.clone(),
        };
        // The version the run would end with: the identical one, or the next.
        let produced = match identical {
            Some(found) => {
                plan.version = Some(found.version);
                plan.version_arn = Some(found.version_arn);
                Some(found.version)
            }
            None => {
                plan.action = PlannedAction::Publish;
                plan.s3 = upload(args, region, job).await?;
                let next = next_version(job, &listing);
                let number = next.as_ref().map(|next| next.version);
                if let Some(next) = next {
                    new_versions.push(next.clone());
                    listing.insert(0, next);
                }
                number
            }
        };
        let kept = protected.entry(job.name.clone()).or_default();
        kept.extend(produced);
        plan.permissions =
            grants::plan(&region.lambda, &job.name, plan.version, &args.grants).await?;
        plan.retention = match &job.retention {
            Some(policy) if !listing.is_empty() => Some(
                apply(
                    &region.lambda,
                    &inventory,
                    &job.name,
                    &listing,
                    policy,
                    kept,
                    Mode {
                        dry_run: true,
                        ..Mode::from_args(args)
                    },
                )
                .await?,
            ),
            Some(_) => Some(RetentionOutcome {
                dry_run: true,
                deleted: Vec::new(),
                kept_in_use: Vec::new(),
                kept_shared: Vec::new(),
            }),
            None => None,
        };
        plans.push(plan);
    }
    Ok(plans)
}

/// The version a real run would publish: the newest listed plus one. `None`
/// for a new layer (nothing to number it after, nor anything to delete).
fn next_version(job: &Job, listing: &[Listed]) -> Option<Listed> {
    let newest = listing.first()?;
    let version = newest.version + 1;
    Some(Listed {
        version,
        version_arn: newest.version_arn.layer_arn().version(version),
        description: job.description.clone(),
        // Unknown age: never deleted by age (and protected anyway).
        created_date: String::new(),
        runtimes: job.runtimes.clone(),
        architectures: job.architectures.clone(),
        license: job.license.clone(),
    })
}

/// Where a zip published through S3 would go, and whether it would be uploaded.
async fn upload(args: &Args, region: &RegionClients, job: &Job) -> Result<Option<PlannedUpload>> {
    let Some(template) = args.upload.s3_bucket.as_deref().filter(|_| job.via_s3) else {
        return Ok(None);
    };
    let bucket = bucket_in(template, region).await?;
    let key = key_for(&args.upload.s3_prefix, job);
    let there = already_there(&region.s3, &bucket, &key, job).await?;
    Ok(Some(PlannedUpload {
        bucket,
        key,
        upload: !there,
    }))
}
