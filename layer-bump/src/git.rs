//! Reading (and, on request, writing) a repository through the `git` command line.
//!
//! Why the command line rather than a git library:
//! - it is the git the user already has, with their configuration, credentials,
//!   hooks and signing set up, and it understands every repository layout git does
//!   (worktrees, `GIT_DIR`, partial and shallow clones, commit-graph files);
//! - `git log` over tens of thousands of commits is as fast as it gets (it uses
//!   the commit-graph and its own pack access), and we only parse its output;
//! - shallow clones are a first-class case (CI checkouts), which `git` reports
//!   exactly (`--is-shallow-repository`, `$GIT_DIR/shallow`);
//! - no libgit2 or gitoxide to build: the tool compiles in seconds and stays small.
//!
//! Output is read in NUL-separated form (`-z`, `%x00`), which no commit message,
//! tag name or path can contain, so no message can break the parsing.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use layer_core::{Error, Result};

/// One commit as `git log` gives it: its full id and its raw message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCommit {
    pub id: String,
    pub message: String,
}

/// A repository, addressed by a directory inside its work tree.
#[derive(Debug)]
pub struct Git {
    dir: PathBuf,
}

impl Git {
    /// Open the repository that `dir` is in; an input error when there is none.
    pub fn open(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(
                Error::input(format!("{} is not a directory", dir.display()))
                    .with_fix("pass the repository's directory with --repo (or run in it)"),
            );
        }
        let git = Git {
            dir: dir.to_path_buf(),
        };
        let out = git.output(&["rev-parse", "--is-inside-work-tree"])?;
        if !out.status.success() || String::from_utf8_lossy(&out.stdout).trim() != "true" {
            return Err(Error::input(format!(
                "{} is not inside a git work tree: {}",
                dir.display(),
                first_line(&out.stderr)
            ))
            .with_fix("run layer-bump in a git checkout, or point --repo at one"));
        }
        Ok(git)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new("git");
        cmd.arg("-C")
            .arg(&self.dir)
            // Messages as UTF-8 whatever the commit's declared encoding; no pager,
            // no colour, no signature check noise in `git log`.
            .args(["-c", "i18n.logOutputEncoding=UTF-8"])
            .args(["-c", "log.showSignature=false"])
            .args(["-c", "color.ui=false"])
            .env("GIT_PAGER", "cat")
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::null());
        cmd
    }

    fn output<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Result<Output> {
        tracing::debug!("git {}", describe(args));
        self.command().args(args).output().map_err(|err| {
            let fix = if err.kind() == std::io::ErrorKind::NotFound {
                "install git and make sure it is on PATH"
            } else {
                "check that git can run here"
            };
            Error::failed(format!("cannot run git: {err}")).with_fix(fix)
        })
    }

    /// Run git; its stdout, or a failure carrying git's own message.
    fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Result<Vec<u8>> {
        let out = self.output(args)?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(Error::failed(format!(
                "`git {}` failed: {}",
                describe(args),
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }

    /// The commit HEAD points at; `None` in a repository without commits.
    pub fn head(&self) -> Result<Option<String>> {
        let out = self.output(&["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])?;
        Ok(out
            .status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()))
    }

    /// The names of all tags. (Cheap: no history walk. Which of them are in
    /// HEAD's history is asked per tag with [`Git::is_ancestor_of_head`], highest
    /// version first, because `for-each-ref --merged` walks the whole history
    /// even when the release tag is a few commits back.)
    pub fn tags(&self) -> Result<Vec<String>> {
        let out = self.run(&[
            "for-each-ref",
            "--format=%(refname:strip=2)%00",
            "refs/tags/",
        ])?;
        Ok(split_nul(&out)
            .map(|name| name.trim_start_matches('\n').to_string())
            .filter(|name| !name.is_empty())
            .collect())
    }

    /// Is the commit a tag points at in HEAD's history? A tag whose commit is
    /// missing (a shallow clone) or that points at no commit is not.
    pub fn is_ancestor_of_head(&self, tag: &str) -> Result<bool> {
        let rev = format!("refs/tags/{tag}^{{commit}}");
        let out = self.output(&["merge-base", "--is-ancestor", &rev, "HEAD"])?;
        match out.status.code() {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => {
                tracing::debug!("tag {tag} skipped: {}", first_line(&out.stderr));
                Ok(false)
            }
        }
    }

    /// Does a tag of this name exist (anywhere, not only in HEAD's history)?
    pub fn tag_exists(&self, name: &str) -> Result<bool> {
        let out = self.output(&[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/tags/{name}"),
        ])?;
        Ok(out.status.success())
    }

    /// Commits reachable from HEAD and not from `since` (all of HEAD's history
    /// when `None`), newest first, leaving out merge commits (the commits they
    /// bring in are listed themselves), and only those touching `paths` when
    /// any are given.
    pub fn log(&self, since: Option<&str>, paths: &[PathBuf]) -> Result<Vec<RawCommit>> {
        let mut args: Vec<OsString> = ["log", "-z", "--no-merges", "--format=%H%x00%B"]
            .map(OsString::from)
            .to_vec();
        args.push(range(since).into());
        args.push("--".into());
        args.extend(paths.iter().map(|p| p.as_os_str().to_os_string()));
        let out = self.run(&args)?;
        parse_log(&out)
    }

    /// The commit ids in `since..HEAD` (or all of HEAD's history).
    pub fn rev_list(&self, since: Option<&str>) -> Result<HashSet<String>> {
        let out = self.run(&["rev-list", &range(since)])?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .map(str::to_string)
            .collect())
    }

    pub fn is_shallow(&self) -> Result<bool> {
        let out = self.run(&["rev-parse", "--is-shallow-repository"])?;
        Ok(String::from_utf8_lossy(&out).trim() == "true")
    }

    /// The commits where a shallow clone's history is cut off.
    pub fn shallow_boundary(&self) -> Result<Vec<String>> {
        let out = self.run(&["rev-parse", "--git-path", "shallow"])?;
        let path = PathBuf::from(String::from_utf8_lossy(&out).trim());
        let path = if path.is_absolute() {
            path
        } else {
            self.dir.join(path)
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(text.lines().map(str::to_string).collect()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(err) => Err(Error::io("read", &path, err)),
        }
    }

    /// The newest commit in HEAD's history that changed `path`.
    pub fn last_commit_touching(&self, path: &Path) -> Result<Option<String>> {
        let out = self.run(&[
            OsString::from("log"),
            "-1".into(),
            "--format=%H".into(),
            "HEAD".into(),
            "--".into(),
            path.as_os_str().into(),
        ])?;
        let id = String::from_utf8_lossy(&out).trim().to_string();
        Ok((!id.is_empty()).then_some(id))
    }

    /// Does `path` differ from HEAD (staged or not)? An untracked file counts
    /// as not changed: it has no committed content to lose.
    pub fn has_uncommitted_changes(&self, path: &Path) -> Result<bool> {
        let out = self.run(&[
            OsString::from("status"),
            "--porcelain=v1".into(),
            "-z".into(),
            "--untracked-files=no".into(),
            "--".into(),
            path.as_os_str().into(),
        ])?;
        Ok(!out.is_empty())
    }

    /// Is anything in the work tree changed from HEAD (untracked files aside)?
    pub fn is_dirty(&self) -> Result<bool> {
        let out = self.run(&["status", "--porcelain=v1", "-z", "--untracked-files=no"])?;
        Ok(!out.is_empty())
    }

    /// Fail early, before anything is written, when git has no identity to
    /// sign a commit or an annotated tag with.
    pub fn check_identity(&self) -> Result<()> {
        let out = self.output(&["var", "GIT_COMMITTER_IDENT"])?;
        if out.status.success() {
            Ok(())
        } else {
            Err(Error::input(format!(
                "git has no identity to make a commit or tag with: {}",
                first_line(&out.stderr)
            ))
            .with_fix("set user.name and user.email (git config), or GIT_COMMITTER_NAME/EMAIL"))
        }
    }

    /// Commit exactly one file (and nothing else that may be staged); the new
    /// commit's id.
    pub fn commit_only(&self, path: &Path, message: &str) -> Result<String> {
        self.run(&[OsString::from("add"), "--".into(), path.as_os_str().into()])?;
        self.run(&[
            OsString::from("commit"),
            "--quiet".into(),
            "-m".into(),
            message.into(),
            "--only".into(),
            "--".into(),
            path.as_os_str().into(),
        ])?;
        Ok(self.head()?.unwrap_or_default())
    }

    /// Create an annotated tag on HEAD.
    pub fn create_annotated_tag(&self, name: &str, message: &str) -> Result<()> {
        self.run(&["tag", "--annotate", "-m", message, name, "HEAD"])?;
        Ok(())
    }

    /// Take `path` out of the index again (undo our own `git add`).
    pub fn unstage(&self, path: &Path) -> Result<()> {
        self.run(&[
            OsString::from("reset"),
            "--quiet".into(),
            "--".into(),
            path.as_os_str().into(),
        ])?;
        Ok(())
    }
}

fn describe<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    args.iter()
        .map(|a| a.as_ref().to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

fn range(since: Option<&str>) -> String {
    match since {
        Some(since) => format!("{since}..HEAD"),
        None => "HEAD".to_string(),
    }
}

fn split_nul(bytes: &[u8]) -> impl Iterator<Item = String> + '_ {
    bytes
        .split(|&b| b == 0)
        .map(|part| String::from_utf8_lossy(part).into_owned())
}

/// `git log -z --format=%H%x00%B` gives `id NUL message NUL id NUL message ...`:
/// `%x00` separates the fields and `-z` the commits. Messages cannot contain NUL.
pub fn parse_log(bytes: &[u8]) -> Result<Vec<RawCommit>> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let bytes = bytes.strip_suffix(b"\0").unwrap_or(bytes);
    let fields: Vec<String> = split_nul(bytes).collect();
    if !fields.len().is_multiple_of(2) {
        return Err(Error::failed(
            "unexpected `git log` output: an odd number of NUL-separated fields",
        ));
    }
    fields
        .chunks_exact(2)
        .map(|pair| {
            // After the first commit, each id follows the previous record's NUL;
            // git puts a newline between the records in some versions.
            let id = pair[0].trim().to_string();
            if id.len() < 40 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Error::failed(format!(
                    "unexpected `git log` output: {id:?} is not a commit id"
                )));
            }
            Ok(RawCommit {
                id,
                message: pair[1].trim_end().to_string(),
            })
        })
        .collect()
}

fn first_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .next()
        .unwrap_or("(no message)")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_output_is_split_on_nul_whatever_the_messages_hold() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let raw =
            format!("{a}\0feat: x\n\nbody with\n\nblank lines and %x00 text\n\0{b}\0fix: y\n\0");
        let commits = parse_log(raw.as_bytes()).unwrap();
        assert_eq!(commits.len(), 2);
        assert_eq!(commits[0].id, a);
        assert_eq!(
            commits[0].message,
            "feat: x\n\nbody with\n\nblank lines and %x00 text"
        );
        assert_eq!(commits[1].id, b);
        assert_eq!(commits[1].message, "fix: y");
    }

    #[test]
    fn empty_log_is_no_commits_and_garbage_is_an_error() {
        assert!(parse_log(b"").unwrap().is_empty());
        assert!(parse_log(b"nothex\0msg\0").is_err());
        assert!(parse_log(b"only-one-field").is_err());
    }
}
