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

use crate::sections::RetentionPolicy;

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
