//! From the current version and a bump level to the next version.
//!
//! - From a release `X.Y.Z`, the level moves the version as usual. While the
//!   major is 0 a breaking change moves the minor (0.4.2 → 0.5.0), because on
//!   0.x the minor is the breaking level (Cargo's and npm's caret rules read it
//!   the same way); `major_from_zero` lets it move to 1.0.0 instead.
//! - From a pre-release `X.Y.Z-id.N`, the base `X.Y.Z` already holds some level
//!   of change (`1.3.0` a minor, `2.0.0` a major, `1.2.1` a patch). Commits that
//!   ask for no more than that keep the base; a bigger change moves it
//!   (`1.3.0-rc.2` + a breaking change → `2.0.0-rc.1`).
//! - With `--pre id` the result is a pre-release: `id.1` on a new base, or the
//!   next number on the same base and id. Without it, a pre-release is finalised
//!   (`1.3.0-rc.2` → `1.3.0`), even with no new commits.

use layer_core::sections::Bump;
use layer_core::{Error, Result};
use semver::{Prerelease, Version};

use crate::commits::Level;

/// What decides the next version besides the current one.
#[derive(Debug, Clone)]
pub struct Policy<'a> {
    /// The level from the commits, or the one forced with `--bump`.
    pub level: Level,
    /// A pre-release identifier (`rc`, `beta`), already checked by [`check_pre_id`].
    pub pre: Option<&'a str>,
    /// On 0.x, let a breaking change move the major (→ 1.0.0).
    pub major_from_zero: bool,
}

/// The next version and how it moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub next: Version,
    pub bump: Bump,
}

pub fn plan(current: &Version, policy: &Policy) -> Result<Planned> {
    let level = effective_level(current, policy.level, policy.major_from_zero);
    let planned = if current.pre.is_empty() {
        from_release(current, level, policy.pre)
    } else {
        from_pre_release(current, level, policy.pre)
    };
    if planned.bump != Bump::None && planned.next <= *current {
        return Err(Error::input(format!(
            "the next version {} would not be above the current {current}",
            planned.next
        ))
        .with_fix(
            "pre-release identifiers compare as text (alpha < beta < rc); \
             pick one that sorts after the current one, or drop --pre to finalise",
        ));
    }
    Ok(planned)
}

fn from_release(current: &Version, level: Level, pre: Option<&str>) -> Planned {
    if level == Level::None {
        return unchanged(current);
    }
    let mut next = apply(current, level);
    if let Some(id) = pre {
        next.pre = numbered(id, 1);
    }
    Planned {
        next,
        bump: bump_of(level),
    }
}

fn from_pre_release(current: &Version, level: Level, pre: Option<&str>) -> Planned {
    let base = release_of(current);
    let target = if level > implied_level(&base) {
        apply(&base, level)
    } else {
        base.clone()
    };
    match pre {
        None => Planned {
            bump: bump_of(implied_level(&target)),
            next: target,
        },
        Some(id) if target == base => {
            if level == Level::None {
                return unchanged(current);
            }
            let mut next = base;
            next.pre = next_pre_release(&current.pre, id);
            Planned {
                next,
                bump: Bump::Prerelease,
            }
        }
        Some(id) => {
            let mut next = target;
            next.pre = numbered(id, 1);
            Planned {
                bump: bump_of(level),
                next,
            }
        }
    }
}

fn unchanged(current: &Version) -> Planned {
    Planned {
        next: current.clone(),
        bump: Bump::None,
    }
}

fn effective_level(current: &Version, level: Level, major_from_zero: bool) -> Level {
    if current.major == 0 && level == Level::Major && !major_from_zero {
        Level::Minor
    } else {
        level
    }
}

/// Move a version by a level; pre-release and build metadata are dropped.
pub fn apply(version: &Version, level: Level) -> Version {
    let (major, minor, patch) = (version.major, version.minor, version.patch);
    match level {
        Level::None => release_of(version),
        Level::Patch => Version::new(major, minor, patch + 1),
        Level::Minor => Version::new(major, minor + 1, 0),
        Level::Major => Version::new(major + 1, 0, 0),
    }
}

fn release_of(version: &Version) -> Version {
    Version::new(version.major, version.minor, version.patch)
}

/// The level of change a release number stands for relative to the release
/// before it: `1.3.0` is a minor, `2.0.0` a major, `1.2.1` a patch.
fn implied_level(version: &Version) -> Level {
    if version.patch != 0 {
        Level::Patch
    } else if version.minor != 0 || version.major == 0 {
        Level::Minor
    } else {
        Level::Major
    }
}

fn bump_of(level: Level) -> Bump {
    match level {
        Level::None => Bump::None,
        Level::Patch => Bump::Patch,
        Level::Minor => Bump::Minor,
        Level::Major => Bump::Major,
    }
}

/// `rc.2` → `rc.3`; `rc` → `rc.1`; another id → `id.1`.
fn next_pre_release(current: &Prerelease, id: &str) -> Prerelease {
    let text = current.as_str();
    if text == id {
        return numbered(id, 1);
    }
    let counter = text
        .strip_prefix(id)
        .and_then(|rest| rest.strip_prefix('.'))
        .and_then(|n| n.parse::<u64>().ok());
    match counter {
        Some(n) => numbered(id, n + 1),
        None => numbered(id, 1),
    }
}

fn numbered(id: &str, n: u64) -> Prerelease {
    Prerelease::new(&format!("{id}.{n}")).expect("identifier checked by check_pre_id")
}

/// A pre-release identifier must be one SemVer identifier: letters, digits and
/// hyphens, not only digits (the counter is added after a dot).
pub fn check_pre_id(id: &str) -> Result<()> {
    let valid = !id.is_empty()
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !id.chars().all(|c| c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(
            Error::usage(format!("--pre {id:?} is not a pre-release identifier")).with_fix(
                "use letters, digits and hyphens, e.g. --pre rc, --pre beta, --pre alpha",
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(current: &str, level: Level, pre: Option<&str>) -> (String, Bump) {
        let planned = plan(
            &Version::parse(current).unwrap(),
            &Policy {
                level,
                pre,
                major_from_zero: false,
            },
        )
        .unwrap();
        (planned.next.to_string(), planned.bump)
    }

    #[test]
    fn releases_move_by_level() {
        assert_eq!(
            next("1.2.3", Level::Patch, None),
            ("1.2.4".into(), Bump::Patch)
        );
        assert_eq!(
            next("1.2.3", Level::Minor, None),
            ("1.3.0".into(), Bump::Minor)
        );
        assert_eq!(
            next("1.2.3", Level::Major, None),
            ("2.0.0".into(), Bump::Major)
        );
        assert_eq!(
            next("1.2.3", Level::None, None),
            ("1.2.3".into(), Bump::None)
        );
    }

    #[test]
    fn on_zero_a_breaking_change_moves_the_minor_unless_told_otherwise() {
        assert_eq!(
            next("0.4.2", Level::Major, None),
            ("0.5.0".into(), Bump::Minor)
        );
        assert_eq!(
            next("0.0.0", Level::Minor, None),
            ("0.1.0".into(), Bump::Minor)
        );
        let planned = plan(
            &Version::parse("0.4.2").unwrap(),
            &Policy {
                level: Level::Major,
                pre: None,
                major_from_zero: true,
            },
        )
        .unwrap();
        assert_eq!(planned.next.to_string(), "1.0.0");
    }

    #[test]
    fn pre_release_sequences() {
        assert_eq!(
            next("1.2.0", Level::Minor, Some("rc")),
            ("1.3.0-rc.1".into(), Bump::Minor)
        );
        assert_eq!(
            next("1.3.0-rc.1", Level::Patch, Some("rc")),
            ("1.3.0-rc.2".into(), Bump::Prerelease)
        );
        assert_eq!(
            next("1.3.0-rc.2", Level::Minor, Some("rc")),
            ("1.3.0-rc.3".into(), Bump::Prerelease)
        );
        // A bigger change than the base holds moves the base.
        assert_eq!(
            next("1.3.0-rc.2", Level::Major, Some("rc")),
            ("2.0.0-rc.1".into(), Bump::Major)
        );
        assert_eq!(
            next("1.2.1-rc.1", Level::Minor, Some("rc")),
            ("1.3.0-rc.1".into(), Bump::Minor)
        );
        // Nothing new: nothing to pre-release.
        assert_eq!(
            next("1.3.0-rc.2", Level::None, Some("rc")),
            ("1.3.0-rc.2".into(), Bump::None)
        );
        // beta → rc starts at rc.1; a bare id gets a counter.
        assert_eq!(
            next("1.3.0-beta.4", Level::Patch, Some("rc")),
            ("1.3.0-rc.1".into(), Bump::Prerelease)
        );
        assert_eq!(
            next("1.3.0-rc", Level::Patch, Some("rc")),
            ("1.3.0-rc.1".into(), Bump::Prerelease)
        );
    }

    #[test]
    fn finalising_a_pre_release() {
        assert_eq!(
            next("1.3.0-rc.2", Level::None, None),
            ("1.3.0".into(), Bump::Minor)
        );
        assert_eq!(
            next("2.0.0-rc.1", Level::Patch, None),
            ("2.0.0".into(), Bump::Major)
        );
        assert_eq!(
            next("1.3.0-rc.2", Level::Major, None),
            ("2.0.0".into(), Bump::Major)
        );
        assert_eq!(
            next("0.3.0-rc.1", Level::Major, None),
            ("0.3.0".into(), Bump::Minor)
        );
    }

    #[test]
    fn going_backwards_is_refused() {
        let err = plan(
            &Version::parse("1.3.0-rc.1").unwrap(),
            &Policy {
                level: Level::Patch,
                pre: Some("beta"),
                major_from_zero: false,
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("would not be above"), "{err}");
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn pre_ids_are_checked() {
        assert!(check_pre_id("rc").is_ok());
        assert!(check_pre_id("pre-release2").is_ok());
        for bad in ["", "1", "rc.1", "r c", "ü"] {
            assert!(check_pre_id(bad).is_err(), "{bad:?}");
        }
    }
}
