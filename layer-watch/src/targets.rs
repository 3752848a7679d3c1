//! What to watch: a layer in a region, from the command line or from records.

use layer_core::arn::{LayerArn, LayerVersionArn, validate_layer_name};
use layer_core::io::{Input, read_records};
use layer_core::record::LAYER_RECORD;
use layer_core::sections::{Family, LayerSection, Published, RetentionPolicy, names};
use layer_core::{Error, Record, Result};
use serde_json::{Map, Value};

use crate::Args;

/// Is this top-level field of a record the pipeline's (the schema or a
/// section)? Every other field is the user's and passes through into the report.
fn is_pipeline_field(key: &str) -> bool {
    key == "schema" || names::ALL.contains(&key)
}

/// One layer in one account and region.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The account it is watched from (`--account`); `None`: the credentials' own.
    pub account: Option<String>,
    pub region: String,
    pub layer_name: String,
    /// The layer's ARN when the input names it (a record, or an ARN argument):
    /// it pins the account. Otherwise it comes from the layer's versions.
    pub layer_arn: Option<LayerArn>,
    /// The version the input names (an ARN with a version, a record's
    /// `published.version`): for another account's layer, whose versions
    /// cannot be listed, the latest version drift is judged against.
    pub version_hint: Option<i64>,
    pub policy: Option<RetentionPolicy>,
    /// The family the layer is a build of, from a record's `layer.family`
    /// (`targets`: this build's).
    pub family: Option<Family>,
    /// A build of the family the input did not name itself, watched because a
    /// record lists it: not published in this region is no error.
    pub sibling: bool,
    /// Fields of the input record that no layer tool owns, passed through.
    pub extra: Map<String, Value>,
}

/// The targets of a run, in input order, one per (region, layer).
pub async fn resolve(args: &Args) -> Result<Vec<Target>> {
    args.aws.estate.check()?;
    let mut targets = Vec::new();
    // The records' input: `-` among the names, or stdin by the shared rule
    // when no layer is named.
    let explicit = args.layers.iter().any(|layer| layer == "-");
    let input = match (explicit, args.layers.is_empty()) {
        (true, _) => Some(Input::Stdin),
        (false, true) => Input::optional(None, false),
        (false, false) => None,
    };
    if args.layers.is_empty() && input.is_none() {
        return Err(Error::usage("no layer given and nothing piped in")
            .with_fix("name a layer (`layer-watch common`), or pipe in layer-publish's records"));
    }
    let policy_flags = args.retention.policy();
    for name in args.layers.iter().filter(|name| *name != "-") {
        targets.extend(from_argument(args, name).await?);
    }
    if let Some(input) = input {
        for record in read_records(&input, &[LAYER_RECORD])? {
            targets.extend(from_record(args, &record).await?);
        }
        if targets.is_empty() {
            return Err(Error::input("no records on stdin").with_fix(
                "pipe in records with a \"published\" or \"layer\" section, or name a layer",
            ));
        }
    }
    if policy_flags.is_some() {
        for target in &mut targets {
            target.policy = policy_flags;
        }
    }
    Ok(merge_duplicates(targets))
}

/// The accounts a layer of `owner` is watched from: without `--account`, the
/// credentials' own; in an estate, the owner when it is one of the estate's
/// accounts, else (a layer shared from a tooling account) every account.
fn watched_from(args: &Args, owner: Option<&str>) -> Vec<Option<String>> {
    let accounts = args.aws.estate.accounts();
    match owner {
        Some(owner) if accounts.contains(&Some(owner.to_string())) => {
            vec![Some(owner.to_string())]
        }
        _ => accounts,
    }
}

/// The target in each account it is watched from.
fn in_accounts(target: Target, accounts: Vec<Option<String>>) -> Vec<Target> {
    accounts
        .into_iter()
        .map(|account| Target {
            account,
            ..target.clone()
        })
        .collect()
}

async fn from_argument(args: &Args, text: &str) -> Result<Vec<Target>> {
    if text.starts_with("arn:") {
        let (arn, version_hint) = parse_layer_arn(text)?;
        let accounts = watched_from(args, Some(&arn.account));
        let target = Target {
            account: None,
            region: arn.region.clone(),
            layer_name: arn.name.clone(),
            layer_arn: Some(arn),
            version_hint,
            policy: None,
            family: None,
            sibling: false,
            extra: Map::new(),
        };
        return Ok(in_accounts(target, accounts));
    }
    in_every_region(args, text, None, Map::new()).await
}

/// The record's layer and every other build of its family (a record of
/// `makoto-common` also watches `makoto-common-arm64`), each reported on its own.
fn with_siblings(target: Target, family: Option<&Family>) -> Vec<Target> {
    let Some(family) = family else {
        return vec![target];
    };
    let mut targets = Vec::new();
    for build in &family.builds {
        let own = build.name == target.layer_name;
        targets.push(Target {
            layer_name: build.name.clone(),
            layer_arn: target.layer_arn.as_ref().map(|arn| LayerArn {
                name: build.name.clone(),
                ..arn.clone()
            }),
            family: Some(Family {
                targets: build.targets.clone(),
                ..family.clone()
            }),
            sibling: !own,
            ..target.clone()
        });
    }
    if !family.builds.iter().any(|b| b.name == target.layer_name) {
        targets.insert(0, target);
    }
    targets
}

async fn from_record(args: &Args, record: &Record) -> Result<Vec<Target>> {
    let layer: Option<LayerSection> = record.section(names::LAYER)?;
    let policy = layer.as_ref().and_then(|layer| layer.retention_policy);
    let extra: Map<String, Value> = record
        .as_map()
        .iter()
        .filter(|(key, _)| !is_pipeline_field(key))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let family = layer.as_ref().and_then(|layer| layer.family.as_ref());
    if let Some(published) = record.section::<Published>(names::PUBLISHED)? {
        layer_aws::validate_region(&published.region)?;
        let accounts = watched_from(args, Some(&published.layer_arn.account));
        let target = Target {
            account: None,
            region: published.region,
            layer_name: published.layer_name,
            layer_arn: Some(published.layer_arn),
            version_hint: Some(published.version),
            policy,
            family: family.cloned(),
            sibling: false,
            extra,
        };
        return Ok(in_accounts(target, accounts)
            .into_iter()
            .flat_map(|target| with_siblings(target, family))
            .collect());
    }
    let Some(layer) = &layer else {
        return Err(Error::input(
            "a record has neither a \"published\" nor a \"layer\" section: no layer to watch",
        )
        .with_fix("pipe in layer-publish's (or layer-pack's) records"));
    };
    Ok(in_every_region(args, &layer.name, policy, extra)
        .await?
        .into_iter()
        .flat_map(|target| {
            with_siblings(
                Target {
                    family: family.cloned(),
                    ..target
                },
                family,
            )
        })
        .collect())
}

/// A layer named without its ARN: the layer of that name in every account
/// and region of the run.
async fn in_every_region(
    args: &Args,
    name: &str,
    policy: Option<RetentionPolicy>,
    extra: Map<String, Value>,
) -> Result<Vec<Target>> {
    validate_layer_name(name)?;
    let regions = args.aws.regions().await?;
    Ok(args
        .aws
        .estate
        .accounts()
        .into_iter()
        .flat_map(|account| {
            regions
                .iter()
                .map(move |region| (account.clone(), region.clone()))
        })
        .map(|(account, region)| Target {
            account,
            region,
            layer_name: name.to_string(),
            layer_arn: None,
            version_hint: None,
            policy,
            family: None,
            sibling: false,
            extra: extra.clone(),
        })
        .collect())
}

/// A layer ARN, with or without a version (a report is about the whole layer;
/// the version is kept as a hint of the latest, for another account's layer).
fn parse_layer_arn(text: &str) -> Result<(LayerArn, Option<i64>)> {
    text.parse::<LayerArn>()
        .map(|arn| (arn, None))
        .or_else(|_| {
            text.parse::<LayerVersionArn>()
                .map(|arn| (arn.layer_arn(), Some(arn.version)))
        })
        .map_err(|_| {
            Error::usage(format!("\"{text}\" is not a layer ARN")).with_fix(
                "give a layer name, or an ARN like arn:aws:lambda:REGION:ACCOUNT:layer:NAME",
            )
        })
}

/// The same layer named twice (two records of one deploy, a name and a record,
/// a record and its sibling's) is watched once; its pass-through fields are
/// merged, first wins; named by the input itself wins over a sibling.
fn merge_duplicates(targets: Vec<Target>) -> Vec<Target> {
    let mut merged: Vec<Target> = Vec::new();
    for target in targets {
        let same = merged.iter_mut().find(|seen| {
            seen.region == target.region
                && seen.account == target.account
                && seen.layer_name == target.layer_name
                && (seen.layer_arn.is_none()
                    || target.layer_arn.is_none()
                    || seen.layer_arn == target.layer_arn)
        });
        match same {
            None => merged.push(target),
            Some(seen) => {
                seen.layer_arn = seen.layer_arn.take().or(target.layer_arn);
                seen.version_hint = seen.version_hint.max(target.version_hint);
                seen.policy = seen.policy.or(target.policy);
                seen.family = seen.family.take().or(target.family);
                seen.sibling &= target.sibling;
                for (key, value) in target.extra {
                    seen.extra.entry(key).or_insert(value);
                }
            }
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_arns_with_and_without_versions() {
        let (arn, hint) =
            parse_layer_arn("arn:aws:lambda:eu-west-1:123456789012:layer:common").unwrap();
        assert_eq!(hint, None);
        assert_eq!(
            (arn.region.as_str(), arn.name.as_str()),
            ("eu-west-1", "common")
        );
        let (arn, hint) =
            parse_layer_arn("arn:aws:lambda:eu-west-1:123456789012:layer:common:7").unwrap();
        assert_eq!(hint, Some(7));
        assert_eq!(
            arn.to_string(),
            "arn:aws:lambda:eu-west-1:123456789012:layer:common"
        );
        assert_eq!(
            parse_layer_arn("arn:aws:s3:::bucket")
                .unwrap_err()
                .exit_code(),
            2
        );
    }

    #[test]
    fn duplicates_merge_and_keep_the_first_fields() {
        let target = |value: i64| Target {
            account: None,
            region: "us-east-1".into(),
            layer_name: "common".into(),
            layer_arn: None,
            version_hint: None,
            policy: None,
            family: None,
            sibling: false,
            extra: [
                ("x-run".to_string(), Value::from(value)),
                (format!("x-{value}"), Value::from(true)),
            ]
            .into_iter()
            .collect(),
        };
        let merged = merge_duplicates(vec![target(1), target(2)]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].extra["x-run"], 1);
        assert!(merged[0].extra.contains_key("x-2"));
    }
}
