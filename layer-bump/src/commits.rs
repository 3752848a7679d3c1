//! From commit messages to a bump level, by the Conventional Commits rules.
//!
//! - a breaking change (`type!:` or a `BREAKING CHANGE:` / `BREAKING-CHANGE:`
//!   footer) → major; `feat` → minor; any other type, and messages that are not
//!   Conventional Commits at all → patch;
//! - a revert and the commit it reverts, both since the last release, cancel out
//!   (newest first, so reverting a revert brings the original back); a revert of
//!   something already released is a change of its own (patch);
//! - release commits made by `layer-bump --commit` (`chore(release): <tag>`) and
//!   types given with `--ignore-type` do not count (breaking changes always do).
//!
//! Merge commits never reach this module: `git log --no-merges` leaves them out
//! and lists the commits they bring in instead.

use std::collections::HashSet;

use crate::git::RawCommit;

/// How far a version moves, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, clap::ValueEnum)]
pub enum Level {
    #[value(skip)]
    None,
    Patch,
    Minor,
    Major,
}

/// One commit read as a Conventional Commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub id: String,
    /// The type in lower case (`feat`, `fix`, ...), `revert`, or `other` for a
    /// message that is not a Conventional Commit.
    pub kind: String,
    pub subject: String,
    pub breaking: bool,
    pub level: Level,
}

/// What the commits since the last release add up to.
#[derive(Debug, Clone, Default)]
pub struct Decision {
    /// The commits that count, newest first.
    pub counted: Vec<Classified>,
}

impl Decision {
    pub fn level(&self) -> Level {
        self.counted
            .iter()
            .map(|c| c.level)
            .max()
            .unwrap_or(Level::None)
    }

    /// The commits at the deciding level (the ones that made the bump what it is).
    pub fn deciding(&self, level: Level) -> impl Iterator<Item = &Classified> {
        self.counted.iter().filter(move |c| c.level == level)
    }
}

/// The rules that are not fixed by the Conventional Commits spec.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// Types that do not count (lower case), unless breaking.
    pub ignore_types: Vec<String>,
    /// The tag prefix, to recognise our own release commits.
    pub tag_prefix: String,
}

/// Classify `commits` (newest first, as `git log` lists them) and keep those
/// that count.
pub fn decide(commits: &[RawCommit], rules: &Rules) -> Decision {
    let classified: Vec<Classified> = commits.iter().map(classify).collect();
    let reverted = cancelled_by_reverts(commits);
    let counted = classified
        .into_iter()
        .filter(|c| !reverted.contains(&c.id))
        .filter(|c| !is_release_commit(&c.subject, &rules.tag_prefix))
        .filter(|c| c.breaking || !rules.ignore_types.contains(&c.kind))
        .collect();
    Decision { counted }
}

/// Read one message. A message whose body does not follow the spec still gets
/// its type from the header, and a `BREAKING CHANGE` footer is honoured even in
/// a message that is not a Conventional Commit: missing a breaking change is
/// worse than bumping a level too far.
pub fn classify(commit: &RawCommit) -> Classified {
    let message = commit.message.trim();
    let subject = message
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    let footer_says_breaking = message.lines().skip(1).any(is_breaking_footer);
    let (kind, header_breaking) = match git_conventional::Commit::parse(message) {
        Ok(parsed) => (parsed.type_().to_lowercase(), parsed.breaking()),
        Err(_) => match git_conventional::Commit::parse(&subject) {
            Ok(parsed) => (parsed.type_().to_lowercase(), parsed.breaking()),
            Err(_) if git_revert_target(message).is_some() => ("revert".to_string(), false),
            Err(_) => ("other".to_string(), false),
        },
    };
    let breaking = header_breaking || footer_says_breaking;
    let level = if breaking {
        Level::Major
    } else if kind == "feat" {
        Level::Minor
    } else {
        Level::Patch
    };
    Classified {
        id: commit.id.clone(),
        kind,
        subject,
        breaking,
        level,
    }
}

fn is_breaking_footer(line: &str) -> bool {
    ["BREAKING CHANGE:", "BREAKING-CHANGE:", "BREAKING CHANGE #"]
        .iter()
        .any(|token| line.starts_with(token))
}

/// `chore(release): v1.3.0`, as written by `--commit` (with this tag prefix).
fn is_release_commit(subject: &str, tag_prefix: &str) -> bool {
    subject
        .strip_prefix("chore(release): ")
        .and_then(|tag| tag.strip_prefix(tag_prefix))
        .is_some_and(|version| semver::Version::parse(version).is_ok())
}

/// The ids of commits that a later commit in the same list reverts, and of
/// those reverts. Walks newest first: a revert of a revert cancels the first
/// revert, which then no longer cancels the original.
fn cancelled_by_reverts(commits: &[RawCommit]) -> HashSet<String> {
    let mut cancelled = HashSet::new();
    for (index, commit) in commits.iter().enumerate() {
        if cancelled.contains(&commit.id) {
            continue;
        }
        let Some(target) = revert_target(&commit.message) else {
            continue;
        };
        let original = commits[index + 1..]
            .iter()
            .find(|older| older.id.starts_with(&target) && !cancelled.contains(&older.id));
        if let Some(original) = original {
            cancelled.insert(original.id.clone());
            cancelled.insert(commit.id.clone());
        }
    }
    cancelled
}

/// The commit a revert undoes: git's own `This reverts commit <id>.` line, or a
/// `revert:` commit's `Refs: <id>` footer (the Conventional Commits suggestion).
fn revert_target(message: &str) -> Option<String> {
    if let Some(target) = git_revert_target(message) {
        return Some(target);
    }
    let subject = message
        .lines()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !(subject.starts_with("revert:") || subject.starts_with("revert(")) {
        return None;
    }
    message
        .lines()
        .filter_map(|line| line.strip_prefix("Refs:"))
        .flat_map(|refs| refs.split([',', ' ']))
        .find_map(commit_id_prefix)
}

fn git_revert_target(message: &str) -> Option<String> {
    message
        .lines()
        .filter_map(|line| line.trim().strip_prefix("This reverts commit "))
        .find_map(commit_id_prefix)
}

/// A hexadecimal commit id (at least 7 characters) at the start of `text`.
fn commit_id_prefix(text: &str) -> Option<String> {
    let hex: String = text
        .trim()
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    (hex.len() >= 7).then(|| hex.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(id: char, message: &str) -> RawCommit {
        RawCommit {
            id: id.to_string().repeat(40),
            message: message.to_string(),
        }
    }

    fn level_of(message: &str) -> (String, bool, Level) {
        let c = classify(&raw('a', message));
        (c.kind, c.breaking, c.level)
    }

    #[test]
    fn conventional_types_map_to_levels() {
        assert_eq!(level_of("feat: x"), ("feat".into(), false, Level::Minor));
        assert_eq!(
            level_of("feat(api): x"),
            ("feat".into(), false, Level::Minor)
        );
        assert_eq!(level_of("fix: x"), ("fix".into(), false, Level::Patch));
        assert_eq!(level_of("perf: x"), ("perf".into(), false, Level::Patch));
        assert_eq!(level_of("docs: x"), ("docs".into(), false, Level::Patch));
        assert_eq!(level_of("Feat: x"), ("feat".into(), false, Level::Minor));
        assert_eq!(
            level_of("Update the readme"),
            ("other".into(), false, Level::Patch)
        );
    }

    #[test]
    fn breaking_changes_are_major_however_spelled() {
        assert_eq!(level_of("feat!: x").2, Level::Major);
        assert_eq!(level_of("fix(core)!: x").2, Level::Major);
        assert_eq!(
            level_of("fix: x\n\nBREAKING CHANGE: the api moved").2,
            Level::Major
        );
        assert_eq!(
            level_of("chore: x\n\nsome text\n\nBREAKING-CHANGE: gone").2,
            Level::Major
        );
        // Not a Conventional Commit, but the footer is clear.
        assert_eq!(
            level_of("Rework things\n\nBREAKING CHANGE: callers must migrate"),
            ("other".into(), true, Level::Major)
        );
        // The words in running text are not a footer.
        assert_eq!(
            level_of("fix: x\n\nthis is not a BREAKING CHANGE: really").2,
            Level::Patch
        );
    }

    #[test]
    fn reverts_cancel_what_they_revert_newest_first() {
        let feat = raw('1', "feat: add x");
        let revert = raw(
            '2',
            &format!("Revert \"feat: add x\"\n\nThis reverts commit {}.", feat.id),
        );
        let revert_of_revert = raw(
            '3',
            &format!(
                "Revert \"Revert \"feat: add x\"\"\n\nThis reverts commit {}.",
                revert.id
            ),
        );
        let fix = raw('4', "fix: y");

        let decision = decide(
            &[revert.clone(), feat.clone(), fix.clone()],
            &Rules::default(),
        );
        assert_eq!(decision.level(), Level::Patch);
        assert_eq!(decision.counted.len(), 1);

        let decision = decide(&[revert_of_revert, revert.clone(), feat], &Rules::default());
        assert_eq!(decision.level(), Level::Minor);
        assert_eq!(decision.counted[0].id, "1".repeat(40));

        // The reverted commit was released already: the revert is a change.
        let decision = decide(&[revert], &Rules::default());
        assert_eq!(decision.counted[0].kind, "revert");
        assert_eq!(decision.level(), Level::Patch);
    }

    #[test]
    fn conventional_reverts_refer_by_footer() {
        let feat = raw('5', "feat: add y");
        let revert = raw('6', "revert: add y\n\nRefs: 5555555");
        let decision = decide(&[revert, feat], &Rules::default());
        assert!(decision.counted.is_empty());
        assert_eq!(decision.level(), Level::None);
    }

    #[test]
    fn release_commits_and_ignored_types_do_not_count() {
        let rules = Rules {
            ignore_types: vec!["docs".into(), "ci".into()],
            tag_prefix: "v".into(),
        };
        let commits = [
            raw('1', "chore(release): v1.2.0"),
            raw('2', "docs: typo"),
            raw('3', "ci!: drop the old runner"),
        ];
        let decision = decide(&commits, &rules);
        assert_eq!(decision.counted.len(), 1);
        assert_eq!(decision.level(), Level::Major);
        // Another prefix's release commit is an ordinary chore.
        let decision = decide(&[raw('4', "chore(release): common-v1.0.0")], &rules);
        assert_eq!(decision.level(), Level::Patch);
    }
}
