//! Finding a version that already holds our zip, with few calls.
//!
//! `ListLayerVersions` gives every version's description, runtimes and
//! architectures, but not its CodeSha256; `GetLayerVersion` gives the
//! CodeSha256 of one version. Our descriptions carry a short content hash, so:
//! versions whose marker names another hash are ruled out with no call, a
//! version whose marker matches is confirmed with one GetLayerVersion, and only
//! versions without a marker (descriptions chosen by a person) cost one
//! GetLayerVersion each. Idempotent re-runs cost one listing page per 50
//! versions plus one GetLayerVersion, whatever the history.

use aws_sdk_lambda::Client;
use aws_sdk_lambda::types::LayerVersionsListItem;
use layer_aws::{aws_error, is_error_code, lambda_types};
use layer_core::Result;
use layer_core::arn::{LayerArn, LayerVersionArn};
use layer_core::platform::{Architecture, Runtime};

use crate::description::marker_matches;
use crate::jobs::Job;

/// One existing version, as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub version: i64,
    pub version_arn: LayerVersionArn,
    pub description: String,
    pub created_date: String,
    pub runtimes: Vec<Runtime>,
    pub architectures: Vec<Architecture>,
    pub license: Option<String>,
}

/// One version with its content hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub version: i64,
    pub version_arn: LayerVersionArn,
    pub layer_arn: LayerArn,
    pub code_sha256: String,
    pub created_date: String,
    pub description: Option<String>,
    pub runtimes: Vec<Runtime>,
    pub architectures: Vec<Architecture>,
    pub license: Option<String>,
}

impl Found {
    /// Does this version hold everything `job` would publish: the same zip,
    /// compatible runtimes, architectures and license? (The description is
    /// not compared: it carries the semantic version, and an identical zip
    /// under a new version number is the same layer.)
    pub fn matches(&self, job: &Job) -> bool {
        self.code_sha256 == job.code_sha256
            && self.runtimes == job.runtimes
            && self.architectures == job.architectures
            && self.license == job.license
    }
}

/// A [`Found`] from Lambda's answer to PublishLayerVersion or GetLayerVersion
/// (two SDK types with the same accessors).
macro_rules! found_from {
    ($output:expr, $call:expr) => {{
        let output = $output;
        let version_arn =
            layer_aws::lambda_types::layer_version_arn(output.layer_version_arn(), $call)?;
        crate::lookup::Found {
            version: output.version(),
            layer_arn: version_arn.layer_arn(),
            version_arn,
            code_sha256: output
                .content()
                .and_then(|c| c.code_sha256())
                .unwrap_or_default()
                .to_string(),
            created_date: output.created_date().unwrap_or_default().to_string(),
            description: output.description().map(str::to_string),
            runtimes: layer_aws::lambda_types::runtimes(output.compatible_runtimes()),
            architectures: layer_aws::lambda_types::architectures(
                output.compatible_architectures(),
            )?,
            // An emulator writes "" for no license; AWS leaves it out.
            license: output
                .license_info()
                .filter(|license| !license.is_empty())
                .map(str::to_string),
        }
    }};
}
pub(crate) use found_from;

/// Every version of a layer, newest first (empty when the layer does not exist).
pub async fn list_versions(client: &Client, layer: &str) -> Result<Vec<Listed>> {
    let mut pages = client
        .list_layer_versions()
        .layer_name(layer)
        .max_items(50)
        .into_paginator()
        .send();
    let mut versions = Vec::new();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(err) if is_error_code(&err, "ResourceNotFoundException") => break,
            Err(err) => {
                return Err(aws_error(
                    &format!("listing the versions of {layer} (ListLayerVersions)"),
                    err,
                ));
            }
        };
        for item in page.layer_versions() {
            versions.push(listed(item)?);
        }
    }
    versions.sort_by_key(|v| std::cmp::Reverse(v.version));
    Ok(versions)
}

fn listed(item: &LayerVersionsListItem) -> Result<Listed> {
    Ok(Listed {
        version: item.version(),
        version_arn: lambda_types::layer_version_arn(
            item.layer_version_arn(),
            "ListLayerVersions",
        )?,
        description: item.description().unwrap_or_default().to_string(),
        created_date: item.created_date().unwrap_or_default().to_string(),
        runtimes: lambda_types::runtimes(item.compatible_runtimes()),
        architectures: lambda_types::architectures(item.compatible_architectures())?,
        license: item
            .license_info()
            .filter(|license| !license.is_empty())
            .map(str::to_string),
    })
}

/// One version's details, or `None` when it does not exist (deleted meanwhile).
pub async fn get_version(client: &Client, layer: &str, version: i64) -> Result<Option<Found>> {
    let result = client
        .get_layer_version()
        .layer_name(layer)
        .version_number(version)
        .send()
        .await;
    match result {
        Ok(output) => Ok(Some(found_from!(output, "GetLayerVersion"))),
        Err(err) if is_error_code(&err, "ResourceNotFoundException") => Ok(None),
        Err(err) => Err(aws_error(
            &format!("reading {layer}:{version} (GetLayerVersion)"),
            err,
        )),
    }
}

/// The versions worth a GetLayerVersion, in the order to try them: those whose
/// marker names our content first, then those without a marker; newest first.
pub fn candidates<'a>(job: &Job, listing: &'a [Listed]) -> Vec<&'a Listed> {
    let same_target = |v: &&Listed| {
        v.runtimes == job.runtimes
            && v.architectures == job.architectures
            && v.license == job.license
    };
    let marked = listing
        .iter()
        .filter(same_target)
        .filter(|v| marker_matches(&v.description, &job.sha256_hex) == Some(true));
    let unmarked = listing
        .iter()
        .filter(same_target)
        .filter(|v| marker_matches(&v.description, &job.sha256_hex).is_none());
    marked.chain(unmarked).collect()
}

/// The newest version that holds everything this job would publish.
pub async fn find_identical(
    client: &Client,
    job: &Job,
    listing: &[Listed],
) -> Result<Option<Found>> {
    for candidate in candidates(job, listing) {
        if let Some(found) = get_version(client, &job.name, candidate.version).await?
            && found.matches(job)
        {
            return Ok(Some(found));
        }
    }
    Ok(None)
}
