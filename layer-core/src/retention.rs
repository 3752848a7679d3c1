//! Which old layer versions a retention policy deletes. Pure logic, shared by
//! `layer-publish` (which deletes) and `layer-watch` (which reports what would
//! be freed), so that both always agree.
//!
//! The rule, conservative on purpose because deleting is the risky side:
//! a version is deleted only when it breaks *every* limit the policy sets —
//! outside the newest `versions_to_keep` **and** older than
//! `delete_older_than_days` (a policy with one limit uses that one). Never
//! deleted: a protected version (the one just published), and any version a
//! function or function version still uses (reported as kept in use).

use std::collections::BTreeSet;
use std::time::Duration;

use crate::cli::{parse_duration, warn_deprecated};
use crate::sections::RetentionPolicy;

/// The retention flags of every tool that applies or evaluates a policy
/// (`layer-publish` deletes, `layer-watch` reports what would be freed);
/// flatten into the tool's `Args`. Given, they replace the record's
/// `layer.retention_policy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
#[command(next_help_heading = "Retention")]
pub struct RetentionArgs {
    /// Retention policy: keep the newest N versions [default: the record's
    /// layer.retention_policy].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub keep: Option<u32>,

    /// Retention policy: versions older than AGE may go, in whole days (e.g. 90d)
    /// [default: the record's layer.retention_policy]. With --keep, a version goes
    /// only when it is beyond both limits.
    #[arg(long, value_name = "AGE", value_parser = parse_age_days)]
    pub max_age: Option<u32>,

    /// Deprecated: --max-age DAYSd (layer-publish's old spelling, in days).
    #[arg(long = "max-age-days", value_name = "DAYS", hide = true)]
    pub old_max_age_days: Option<u32>,

    /// Deprecated: --keep (layer-watch's old spelling).
    #[arg(long = "keep-versions", value_name = "N", hide = true)]
    pub old_keep_versions: Option<u32>,

    /// Deprecated: --max-age DAYSd (layer-watch's old spelling, in days).
    #[arg(long = "delete-older-than-days", value_name = "DAYS", hide = true)]
    pub old_delete_older_than_days: Option<u32>,
}

impl RetentionArgs {
    /// Fold the deprecated spellings into the new flags, with a warning for
    /// each (call once, after logging starts).
    pub fn fold_deprecated(&mut self) {
        if let Some(days) = self.old_max_age_days.take() {
            warn_deprecated("--max-age-days", &format!("--max-age {days}d"));
            self.max_age = self.max_age.or(Some(days));
        }
        if let Some(days) = self.old_delete_older_than_days.take() {
            warn_deprecated("--delete-older-than-days", &format!("--max-age {days}d"));
            self.max_age = self.max_age.or(Some(days));
        }
        if let Some(keep) = self.old_keep_versions.take() {
            warn_deprecated("--keep-versions", "--keep");
            self.keep = self.keep.or(Some(keep));
        }
    }

    /// The policy the flags give, if any was given.
    pub fn policy(&self) -> Option<RetentionPolicy> {
        let keep = self.keep.or(self.old_keep_versions);
        let days = self
            .max_age
            .or(self.old_max_age_days)
            .or(self.old_delete_older_than_days);
        (keep.is_some() || days.is_some()).then_some(RetentionPolicy {
            versions_to_keep: keep,
            delete_older_than_days: days,
        })
    }
}

/// `--max-age`: a duration of whole days (`90d`, `2160h`), at least one day.
/// Plain seconds are read as seconds, like every duration flag, so `90` is
/// refused rather than taken for 90 days.
pub fn parse_age_days(text: &str) -> Result<u32, String> {
    const DAY: u64 = 86_400;
    let age = parse_duration(text)?;
    let seconds = age.as_secs();
    if age < Duration::from_secs(DAY) || seconds % DAY != 0 || age.subsec_nanos() != 0 {
        return Err(format!(
            "retention ages are whole days (e.g. 90d), and \"{}\" is {}",
            text.trim(),
            humantime::format_duration(age)
        ));
    }
    u32::try_from(seconds / DAY).map_err(|_| format!("\"{}\" is too long", text.trim()))
}

/// One existing layer version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub version: i64,
    /// Whole days since it was created; `None` when unknown (never deleted by age).
    pub age_days: Option<u64>,
}

/// What the policy does to a layer's versions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Beyond the policy and unused: to delete, newest first.
    pub delete: Vec<i64>,
    /// Beyond the policy but still used by a function: kept, newest first.
    pub kept_in_use: Vec<i64>,
}

/// Apply a policy. `protected` versions are never deleted nor reported.
pub fn plan(
    versions: &[Candidate],
    policy: &RetentionPolicy,
    protected: &BTreeSet<i64>,
    in_use: &BTreeSet<i64>,
) -> Plan {
    let mut newest_first = versions.to_vec();
    newest_first.sort_by_key(|candidate| std::cmp::Reverse(candidate.version));
    let mut result = Plan::default();
    if policy.versions_to_keep.is_none() && policy.delete_older_than_days.is_none() {
        return result;
    }
    for (rank, candidate) in newest_first.iter().enumerate() {
        let beyond_count = policy
            .versions_to_keep
            .is_none_or(|keep| rank >= keep as usize);
        let beyond_age = match policy.delete_older_than_days {
            None => true,
            Some(days) => candidate.age_days.is_some_and(|age| age > u64::from(days)),
        };
        if !(beyond_count && beyond_age) || protected.contains(&candidate.version) {
            continue;
        }
        if in_use.contains(&candidate.version) {
            result.kept_in_use.push(candidate.version);
        } else {
            result.delete.push(candidate.version);
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Flags {
        #[command(flatten)]
        retention: RetentionArgs,
    }

    fn flags(args: &[&str]) -> Result<RetentionArgs, clap::Error> {
        Flags::try_parse_from(std::iter::once("tool").chain(args.iter().copied()))
            .map(|flags| flags.retention)
    }

    #[test]
    fn ages_are_whole_days() {
        assert_eq!(parse_age_days("90d"), Ok(90));
        assert_eq!(parse_age_days("48h"), Ok(2));
        assert_eq!(parse_age_days("86400"), Ok(1));
        let err = parse_age_days("90").unwrap_err();
        assert_eq!(
            err,
            "retention ages are whole days (e.g. 90d), and \"90\" is 1m 30s"
        );
        assert!(parse_age_days("36h").is_err());
        assert!(parse_age_days("12h").is_err());
    }

    #[test]
    fn the_flags_and_their_old_spellings_give_one_policy() {
        let policy = |args: &[&str]| {
            let mut flags = flags(args).unwrap();
            flags.fold_deprecated();
            flags.policy()
        };
        let both = Some(RetentionPolicy {
            versions_to_keep: Some(5),
            delete_older_than_days: Some(90),
        });
        assert_eq!(policy(&["--keep", "5", "--max-age", "90d"]), both);
        assert_eq!(policy(&["--keep", "5", "--max-age-days", "90"]), both);
        assert_eq!(
            policy(&["--keep-versions", "5", "--delete-older-than-days", "90"]),
            both
        );
        assert_eq!(policy(&[]), None);
        assert!(flags(&["--keep", "0"]).is_err());
        assert!(flags(&["--max-age", "90"]).is_err());
    }

    fn versions(ages: &[(i64, u64)]) -> Vec<Candidate> {
        ages.iter()
            .map(|&(version, age)| Candidate {
                version,
                age_days: Some(age),
            })
            .collect()
    }

    fn policy(keep: Option<u32>, days: Option<u32>) -> RetentionPolicy {
        RetentionPolicy {
            versions_to_keep: keep,
            delete_older_than_days: days,
        }
    }

    fn set(items: &[i64]) -> BTreeSet<i64> {
        items.iter().copied().collect()
    }

    #[test]
    fn keeps_the_newest_n() {
        let all = versions(&[(1, 50), (2, 40), (3, 30), (4, 20), (5, 10)]);
        let result = plan(&all, &policy(Some(2), None), &set(&[]), &set(&[]));
        assert_eq!(result.delete, vec![3, 2, 1]);
        assert!(result.kept_in_use.is_empty());
    }

    #[test]
    fn with_both_limits_a_version_must_break_both() {
        let all = versions(&[(1, 100), (2, 95), (3, 30), (4, 20), (5, 10)]);
        // Outside the newest 2: 3, 2, 1. Older than 90 days: 2, 1.
        let result = plan(&all, &policy(Some(2), Some(90)), &set(&[]), &set(&[]));
        assert_eq!(result.delete, vec![2, 1]);
    }

    #[test]
    fn age_alone_and_unknown_ages() {
        let mut all = versions(&[(1, 100), (2, 10)]);
        all.push(Candidate {
            version: 3,
            age_days: None,
        });
        let result = plan(&all, &policy(None, Some(90)), &set(&[]), &set(&[]));
        assert_eq!(result.delete, vec![1]);
    }

    #[test]
    fn never_deletes_protected_or_used_versions() {
        let all = versions(&[(1, 50), (2, 40), (3, 30), (4, 20)]);
        let result = plan(&all, &policy(Some(1), None), &set(&[3]), &set(&[1]));
        assert_eq!(result.delete, vec![2]);
        assert_eq!(result.kept_in_use, vec![1]);
    }

    #[test]
    fn an_empty_policy_deletes_nothing() {
        let all = versions(&[(1, 500), (2, 400)]);
        assert_eq!(
            plan(&all, &policy(None, None), &set(&[]), &set(&[])),
            Plan::default()
        );
    }
}
