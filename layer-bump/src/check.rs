//! `layer-bump check`: is a version compatible with a requirement?
//!
//! A bare version as the requirement (`--need 1.2.0`) is the guide's rule: the
//! same major version, and at least the required one. That is Cargo's caret
//! requirement (`^1.2.0`), which also says how 0.x works: below 1.0.0 the minor
//! is the breaking level (`0.2.5` satisfies `0.2.1`, `0.3.0` does not), and below
//! 0.1.0 only the exact patch (`0.0.3` needs `0.0.3`). Any requirement syntax of
//! the `semver` crate works too: `^1.2`, `~1.2.3`, `>=1.2, <2`, `=1.4.0`, `1.*`.

use layer_core::io::RecordWriter;
use layer_core::record::LAYER_RECORD;
use layer_core::sections::{CheckSection, names};
use layer_core::{Error, Record, Result};
use semver::{Comparator, Op, Version, VersionReq};

/// The options of `layer-bump check`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Examples:
  layer-bump check --have 1.4.0 --need 1.2.0        # ok: same major, newer
  layer-bump check --have 2.0.0 --need 1.2.0        # exit 1: another major
  layer-bump check --have 0.3.1 --need 0.2.0        # exit 1: on 0.x the minor is breaking
  layer-bump check --have v1.4.0 --need '>=1.2, <2'  # a leading v is fine
  if layer-bump check -q --have \"$LAYER\" --need ^1.2; then deploy; fi")]
pub struct CheckArgs {
    /// The version you have (e.g. the layer version a function runs).
    #[arg(long, value_name = "VERSION")]
    pub have: String,

    /// What is required: a version (same major, at least this) or a
    /// requirement like `^1.2`, `~1.2.3`, `>=1.2, <2`.
    #[arg(long, value_name = "REQUIREMENT")]
    pub need: String,
}

/// The answer and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub compatible: bool,
    pub reason: String,
}

pub fn run(args: &CheckArgs) -> Result<()> {
    let have = parse_have(&args.have)?;
    let need = parse_need(&args.need)?;
    let verdict = judge(&have, &need);
    let mut record = Record::new(LAYER_RECORD);
    record.set_section(
        names::CHECK,
        &CheckSection {
            have: have.to_string(),
            need: need.to_string(),
            compatible: verdict.compatible,
            reason: verdict.reason.clone(),
        },
    )?;
    RecordWriter::stdout().write(&record)?;
    if verdict.compatible {
        tracing::info!("{}", verdict.reason);
        Ok(())
    } else {
        Err(Error::Findings(verdict.reason))
    }
}

fn strip_v(text: &str) -> &str {
    let text = text.trim();
    match text.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => text,
    }
}

pub fn parse_have(text: &str) -> Result<Version> {
    Version::parse(strip_v(text)).map_err(|err| {
        Error::input(format!("--have {text:?} is not a semantic version: {err}"))
            .with_fix("give a full version like 1.4.0 (or v1.4.0, 1.4.0-rc.1)")
    })
}

pub fn parse_need(text: &str) -> Result<VersionReq> {
    // `v1.2.0` and `>=v1.2` read as people mean them.
    let cleaned: String = text
        .split(',')
        .map(|part| {
            let part = part.trim();
            let op_len = part.len() - part.trim_start_matches(['^', '~', '=', '<', '>']).len();
            let (op, rest) = part.split_at(op_len);
            format!("{op}{}", strip_v(rest))
        })
        .collect::<Vec<_>>()
        .join(", ");
    VersionReq::parse(&cleaned).map_err(|err| {
        Error::input(format!(
            "--need {text:?} is not a version requirement: {err}"
        ))
        .with_fix("give a version (1.2.0) or a requirement like ^1.2, ~1.2.3, \">=1.2, <2\"")
    })
}

/// Decide, and say why in words.
pub fn judge(have: &Version, need: &VersionReq) -> Verdict {
    if need.matches(have) {
        return Verdict {
            compatible: true,
            reason: format!("{have} satisfies {need}"),
        };
    }
    let as_release = Version::new(have.major, have.minor, have.patch);
    let pre_release_only = !have.pre.is_empty() && need.matches(&as_release);
    let failing = need.comparators.iter().find(|c| !c.matches(have));
    let reason = match failing {
        Some(comparator) if !pre_release_only => explain(have, comparator),
        _ => format!(
            "{have} is a pre-release, and {need} names no pre-release of {as_release}; \
             pre-releases match only a requirement like >={have}"
        ),
    };
    Verdict {
        compatible: false,
        reason,
    }
}

fn explain(have: &Version, comparator: &Comparator) -> String {
    let mut lowest = Version::new(
        comparator.major,
        comparator.minor.unwrap_or(0),
        comparator.patch.unwrap_or(0),
    );
    lowest.pre = comparator.pre.clone();
    let older = *have < lowest;
    match comparator.op {
        Op::Caret | Op::Tilde if older => {
            format!("{have} is older than the required {lowest}")
        }
        Op::Caret if comparator.major > 0 => format!(
            "{have} is another major version than the required {lowest} \
             (a new major version may break its users; the rule is: same major, at least {lowest})"
        ),
        Op::Caret if comparator.minor.unwrap_or(0) > 0 || comparator.patch.is_none() => format!(
            "{have} is not compatible with {lowest}: below 1.0.0 the minor version is the \
             breaking level, so ^{lowest} accepts {}.{}.x from {lowest} on",
            lowest.major, lowest.minor
        ),
        Op::Caret => format!(
            "{have} is not compatible with {lowest}: below 0.1.0 every patch may break, \
             so ^{lowest} accepts only {lowest}"
        ),
        Op::Tilde => format!(
            "{have} is outside ~{lowest}, which accepts only {}.{}.x from {lowest} on",
            lowest.major, lowest.minor
        ),
        _ => format!("{have} does not satisfy {comparator}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(have: &str, need: &str) -> Verdict {
        judge(&parse_have(have).unwrap(), &parse_need(need).unwrap())
    }

    #[test]
    fn the_guides_rule_same_major_and_at_least() {
        assert!(verdict("1.4.0", "1.2.0").compatible);
        assert!(verdict("1.2.0", "1.2.0").compatible);
        let older = verdict("1.1.9", "1.2.0");
        assert!(!older.compatible);
        assert!(
            older.reason.contains("older than the required 1.2.0"),
            "{older:?}"
        );
        let major = verdict("2.0.0", "1.2.0");
        assert!(!major.compatible);
        assert!(major.reason.contains("another major version"), "{major:?}");
    }

    #[test]
    fn zero_x_treats_the_minor_as_breaking() {
        assert!(verdict("0.2.5", "0.2.1").compatible);
        let minor = verdict("0.3.0", "0.2.1");
        assert!(!minor.compatible);
        assert!(minor.reason.contains("below 1.0.0 the minor"), "{minor:?}");
        assert!(verdict("0.0.3", "0.0.3").compatible);
        let patch = verdict("0.0.4", "0.0.3");
        assert!(!patch.compatible);
        assert!(patch.reason.contains("below 0.1.0"), "{patch:?}");
    }

    #[test]
    fn full_requirement_syntax_and_leading_v() {
        assert!(verdict("v1.9.0", ">=1.2, <2").compatible);
        assert!(!verdict("2.0.0", ">=v1.2, <2").compatible);
        assert!(verdict("1.2.7", "~1.2.3").compatible);
        assert!(!verdict("1.3.0", "~1.2.3").compatible);
        assert!(verdict("1.4.0", "=1.4.0").compatible);
        assert!(!verdict("1.4.1", "=1.4.0").reason.is_empty());
    }

    #[test]
    fn pre_releases_need_a_requirement_that_names_one() {
        let rc = verdict("1.5.0-rc.1", "1.2.0");
        assert!(!rc.compatible);
        assert!(rc.reason.contains("pre-release"), "{rc:?}");
        assert!(verdict("1.5.0-rc.2", ">=1.5.0-rc.1").compatible);
    }

    #[test]
    fn unreadable_input_is_a_usage_error() {
        assert_eq!(parse_have("1.2").unwrap_err().exit_code(), 2);
        assert_eq!(parse_need("one.two").unwrap_err().exit_code(), 2);
    }
}
