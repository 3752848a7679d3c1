//! The default command: find the current version, read the commits since it,
//! decide the next version, do what was asked (write, commit, tag) and print
//! the record.

use std::path::{Path, PathBuf};

use layer_core::cli::{Outcome, Summary, Verbosity};
use layer_core::io::{Input, RecordWriter, read_records};
use layer_core::record::LAYER_RECORD;
use layer_core::sections::{Bump, DecidingCommit, VersionSection, VersionSource, names};
use layer_core::{Error, Record, Result};
use semver::{BuildMetadata, Version};
use serde_json::Map;

use crate::NextArgs;
use crate::commits::{Decision, Level, Rules, decide};
use crate::git::{Git, RawCommit};
use crate::plan::{Policy, check_pre_id, plan};
use crate::release;

/// The current version and where the commits since it start.
#[derive(Debug, Clone)]
pub struct Current {
    pub version: Version,
    pub source: VersionSource,
    /// The tag or commit to count commits from (exclusive); `None`: all history.
    pub since: Option<String>,
}

pub fn run(args: &NextArgs, verbosity: &Verbosity) -> Result<()> {
    let summary = Summary::start("layer-bump", "release steps");
    if let Some(id) = &args.pre {
        check_pre_id(id)?;
    }
    let build = parse_build(args.build.as_deref())?;
    // Read the input first: a bad record stops us before anything is written.
    let mut records = match Input::optional(args.input.as_deref(), args.no_input) {
        Some(input) => read_records(&input, &[LAYER_RECORD])?,
        None => Vec::new(),
    };
    if records.is_empty() {
        records.push(Record::new(LAYER_RECORD));
    }

    let git = Git::open(&args.repo)?;
    check_paths_exist(&args.repo, &args.paths)?;
    let has_commits = git.head()?.is_some();
    let (mut section, next) = decide_next(&git, args, build, has_commits)?;

    if section.bump == Bump::None {
        if args.write || args.tag {
            tracing::info!("nothing to release: --write/--commit/--tag did nothing");
        }
    } else {
        let tag = section.tag.clone().unwrap_or_default();
        release::perform(&git, args, &next, &tag, &mut section, has_commits)?;
    }

    let mut out = RecordWriter::stdout();
    for record in &mut records {
        record.set_section(names::VERSION, &section)?;
        out.write(record)?;
    }
    if args.write || args.commit || args.tag {
        count_steps(&summary, args, &section);
        summary.print(verbosity, None);
    }
    Ok(())
}

/// The side effects asked for, in the summary line: each done (updated), or
/// not needed because there is nothing to release (unchanged).
fn count_steps(summary: &Summary, args: &NextArgs, section: &VersionSection) {
    let steps = [
        (args.write, section.written.is_some()),
        (args.commit, section.committed.is_some()),
        (args.tag, section.tagged),
    ];
    for (_, done) in steps.into_iter().filter(|(asked, _)| *asked) {
        summary.add(if done {
            Outcome::Updated
        } else {
            Outcome::Unchanged
        });
    }
}

/// Read the repository and decide: the version section (without side
/// effects yet) and the next version.
fn decide_next(
    git: &Git,
    args: &NextArgs,
    build: Option<BuildMetadata>,
    has_commits: bool,
) -> Result<(VersionSection, Version)> {
    let (current, commits) = if has_commits {
        current_and_commits(git, args)?
    } else {
        (find_current(git, args, &[], false)?, Vec::new())
    };
    let rules = Rules {
        ignore_types: args
            .ignore_type
            .iter()
            .map(|t| t.trim().to_ascii_lowercase())
            .collect(),
        tag_prefix: args.tag_prefix.clone(),
    };
    let decision = decide(&commits, &rules);
    let level = args.bump.unwrap_or_else(|| decision.level());
    let mut planned = plan(
        &current.version,
        &Policy {
            level,
            pre: args.pre.as_deref(),
            major_from_zero: args.major_from_zero,
        },
    )?;
    if planned.bump != Bump::None {
        planned.next.build = match (build, args.keep_build) {
            (Some(meta), _) => meta,
            (None, true) => current.version.build.clone(),
            (None, false) => BuildMetadata::EMPTY,
        };
    }
    let mut section = section(
        args,
        &current,
        &decision,
        level,
        &planned.next,
        planned.bump,
    );
    section.tag = Some(format!("{}{}", args.tag_prefix, planned.next));
    say_what_was_decided(&current, &decision, &section, args);
    Ok((section, planned.next))
}

fn parse_build(meta: Option<&str>) -> Result<Option<BuildMetadata>> {
    meta.map(|meta| {
        BuildMetadata::new(meta).map_err(|err| {
            Error::usage(format!(
                "--build {meta:?} is not valid build metadata: {err}"
            ))
            .with_fix("use dot-separated letters, digits and hyphens, e.g. --build git.1a2b3c4")
        })
    })
    .transpose()
}

/// A misspelt --path would silently find no commits: refuse it instead.
fn check_paths_exist(repo: &Path, paths: &[PathBuf]) -> Result<()> {
    for path in paths {
        if !repo.join(path).exists() {
            return Err(Error::input(format!(
                "--path {} does not exist in {}",
                path.display(),
                repo.display()
            ))
            .with_fix("paths are relative to --repo (the current directory by default)"));
        }
    }
    Ok(())
}

/// Find the current version and read the commits since it.
///
/// Checking that the highest tag is in HEAD's history (`merge-base
/// --is-ancestor`) walks the same commits as the `git log` after it, so the log
/// for that tag starts at once in a second thread while the check runs: on two
/// cores the check costs no wall time. In the rare case that the highest tag is
/// on another branch, that log is thrown away and the right one read.
fn current_and_commits(git: &Git, args: &NextArgs) -> Result<(Current, Vec<RawCommit>)> {
    let tags = release_tags(git, &args.tag_prefix)?;
    let guess = match &args.version_file {
        None => tags.first().map(|(name, _)| name.clone()),
        Some(_) => None,
    };
    std::thread::scope(|scope| {
        let early_log = guess
            .as_deref()
            .map(|tag| scope.spawn(move || git.log(Some(tag), &args.paths)));
        let current = find_current(git, args, &tags, true)?;
        guard_shallow(git, current.since.as_deref())?;
        let early = early_log.map(|thread| {
            thread
                .join()
                .unwrap_or_else(|_| Err(Error::failed("the git log thread panicked")))
        });
        match early {
            Some(commits) if current.since == guess => Ok((current, commits?)),
            _ => {
                let commits = git.log(current.since.as_deref(), &args.paths)?;
                Ok((current, commits))
            }
        }
    })
}

/// The tags that are `PREFIX` + a semantic version, highest version first.
fn release_tags(git: &Git, prefix: &str) -> Result<Vec<(String, Version)>> {
    let mut tags = versions_from_tags(&git.tags()?, prefix);
    tags.sort_by(|a, b| b.1.cmp(&a.1));
    Ok(tags)
}

/// The current version: the version file when asked for and present, else the
/// highest release tag in HEAD's history (`tags`, highest first), else the
/// initial version.
pub fn find_current(
    git: &Git,
    args: &NextArgs,
    tags: &[(String, Version)],
    has_commits: bool,
) -> Result<Current> {
    if let Some(file) = &args.version_file {
        let path = git.dir().join(file);
        if let Some(version) = read_version_file(&path)? {
            let tag = format!("{}{version}", args.tag_prefix);
            let tagged = tags.iter().any(|(name, _)| *name == tag);
            let since = if tagged && git.is_ancestor_of_head(&tag)? {
                Some(tag)
            } else if has_commits {
                git.last_commit_touching(file)?
            } else {
                None
            };
            return Ok(Current {
                version,
                source: VersionSource::File,
                since,
            });
        }
        tracing::debug!("{} does not exist: reading the tags", path.display());
    }
    for (name, version) in tags {
        if git.is_ancestor_of_head(name)? {
            return Ok(Current {
                version: version.clone(),
                source: VersionSource::Tag,
                since: Some(name.clone()),
            });
        }
        tracing::debug!("tag {name} is not in HEAD's history: skipped");
    }
    Ok(Current {
        version: args.initial.clone(),
        source: VersionSource::Initial,
        since: None,
    })
}

/// The tags that are `PREFIX` + a semantic version, with that version.
fn versions_from_tags(names: &[String], prefix: &str) -> Vec<(String, Version)> {
    names
        .iter()
        .filter_map(|name| {
            let version = Version::parse(name.strip_prefix(prefix)?).ok();
            if version.is_none() {
                tracing::debug!("ignoring tag {name}: not {prefix}<semantic version>");
            }
            Some((name.clone(), version?))
        })
        .collect()
}

/// The version in a version file; `None` when the file does not exist.
fn read_version_file(path: &Path) -> Result<Option<Version>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Error::io("read", path, err)),
    };
    let trimmed = text.trim();
    let bare = trimmed.strip_prefix('v').unwrap_or(trimmed);
    Version::parse(bare).map(Some).map_err(|err| {
        Error::input(format!(
            "{} does not hold a semantic version: {:?} ({err})",
            path.display(),
            first_chars(trimmed)
        ))
        .with_fix("the file must hold one version like 1.2.3 (optionally 1.2.3-rc.1 or 1.2.3+build), and nothing else")
    })
}

fn first_chars(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// In a shallow clone, refuse when the history is cut off inside the range we
/// must read: the commits since the last release would be incomplete and the
/// bump could be too small.
fn guard_shallow(git: &Git, since: Option<&str>) -> Result<()> {
    if !git.is_shallow()? {
        return Ok(());
    }
    let boundary = git.shallow_boundary()?;
    let range = git.rev_list(since)?;
    if boundary.iter().any(|commit| range.contains(commit)) {
        let from = match since {
            Some(since) => format!("since {since}"),
            None => "(no release tag is in the fetched history)".to_string(),
        };
        return Err(Error::input(format!(
            "this is a shallow clone, and its history is cut off before all the commits {from} \
             could be read: the bump could be wrong"
        ))
        .with_fix(
            "fetch the history and tags: `git fetch --unshallow --tags` \
             (GitHub Actions: actions/checkout with fetch-depth: 0)",
        ));
    }
    tracing::debug!("shallow clone, but the commits since the release are all there");
    Ok(())
}

fn section(
    args: &NextArgs,
    current: &Current,
    decision: &Decision,
    level: Level,
    next: &Version,
    bump: Bump,
) -> VersionSection {
    VersionSection {
        current: current.version.to_string(),
        next: next.to_string(),
        bump,
        tag: None,
        commits: decision
            .deciding(level)
            .map(|c| DecidingCommit {
                id: c.id.clone(),
                kind: c.kind.clone(),
                subject: c.subject.clone(),
                breaking: c.breaking,
                extra: Map::new(),
            })
            .collect(),
        source: Some(current.source),
        since: current.since.clone(),
        paths: args.paths.iter().map(|p| p.display().to_string()).collect(),
        counted: Some(decision.counted.len() as u64),
        forced: args.bump.is_some(),
        written: None,
        committed: None,
        tagged: false,
        extra: Map::new(),
    }
}

fn say_what_was_decided(
    current: &Current,
    decision: &Decision,
    section: &VersionSection,
    args: &NextArgs,
) {
    let since = current.since.as_deref().unwrap_or("the first commit");
    let paths = if args.paths.is_empty() {
        String::new()
    } else {
        format!(" touching {}", section.paths.join(", "))
    };
    if section.bump == Bump::None {
        tracing::info!(
            "{}: no commits that count since {since}{paths}; nothing to release (bump: none)",
            section.current
        );
        return;
    }
    let why = if section.forced {
        "forced with --bump".to_string()
    } else {
        format!(
            "{} commit(s) since {since}{paths}, {} at the deciding level",
            decision.counted.len(),
            section.commits.len()
        )
    };
    let bump = serde_json::to_value(section.bump).unwrap_or_default();
    let bump = bump.as_str().unwrap_or_default();
    tracing::info!("{} → {} ({bump}: {why})", section.current, section.next);
}
