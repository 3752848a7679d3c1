//! The side effects, only when asked: write the version file, commit it, tag.
//!
//! Everything that can be checked is checked before the first write (the tag
//! does not exist, git has an identity, the version file has no uncommitted
//! edits), so a refusal leaves the repository as it was. Nothing is pushed.

use std::io::Write;
use std::path::Path;

use layer_core::sections::VersionSection;
use layer_core::{Error, Result};
use semver::Version;

use crate::NextArgs;
use crate::git::Git;

pub fn perform(
    git: &Git,
    args: &NextArgs,
    next: &Version,
    tag: &str,
    section: &mut VersionSection,
    has_commits: bool,
) -> Result<()> {
    if !args.tag {
        warn_if_tag_taken(git, tag)?;
    }
    preflight(git, args, tag, has_commits)?;

    if let Some(file) = args.version_file.as_deref().filter(|_| args.write) {
        let path = git.dir().join(file);
        let previous = read_if_exists(&path)?;
        write_atomically(&path, &format!("{next}\n"))?;
        section.written = Some(file.display().to_string());
        if args.commit {
            match git.commit_only(file, &format!("chore(release): {tag}")) {
                Ok(id) => section.committed = Some(id),
                Err(err) => {
                    put_back(git, file, &path, previous.as_deref());
                    return Err(err);
                }
            }
        }
    }
    if args.tag {
        if git.is_dirty()? {
            tracing::warn!(
                "the work tree has uncommitted changes; the tag {tag} does not include them"
            );
        }
        git.create_annotated_tag(tag, &format!("release {tag}"))
            .map_err(|err| match &section.committed {
                Some(id) => Error::failed(format!(
                    "{err} (the release commit {id} was made; create the tag by hand: git tag -a {tag})"
                )),
                None => err,
            })?;
        section.tagged = true;
    }
    Ok(())
}

fn warn_if_tag_taken(git: &Git, tag: &str) -> Result<()> {
    if git.tag_exists(tag)? {
        tracing::warn!(
            "the tag {tag} already exists outside HEAD's history; releasing {tag} again would clash"
        );
    }
    Ok(())
}

fn preflight(git: &Git, args: &NextArgs, tag: &str, has_commits: bool) -> Result<()> {
    if args.tag && git.tag_exists(tag)? {
        return Err(Error::input(format!("the tag {tag} already exists"))
            .with_fix("a released version is never tagged twice: check `git tag -l`, or bump further (--bump, --pre)"));
    }
    if args.tag && !has_commits && !args.commit {
        return Err(Error::input("the repository has no commits to tag")
            .with_fix("commit first, or drop --tag"));
    }
    if args.tag || args.commit {
        git.check_identity()?;
    }
    if let Some(file) = args.version_file.as_deref().filter(|_| args.write) {
        if has_commits && git.has_uncommitted_changes(file)? {
            return Err(Error::input(format!(
                "{} has uncommitted changes; --write would overwrite them",
                file.display()
            ))
            .with_fix(format!(
                "commit or discard the change first (git diff -- {})",
                file.display()
            )));
        }
        if let Some(parent) = git.dir().join(file).parent()
            && !parent.is_dir()
        {
            return Err(Error::input(format!(
                "the folder of --version-file {} does not exist",
                file.display()
            ))
            .with_fix("check the path (it is relative to --repo)"));
        }
    }
    Ok(())
}

fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::io("read", path, err)),
    }
}

/// Write through a temporary file in the same folder and rename it over the
/// target, so the file is never seen half-written; keep the file's permissions.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp =
        tempfile::NamedTempFile::new_in(dir).map_err(|err| Error::io("write in", dir, err))?;
    temp.write_all(text.as_bytes())
        .map_err(|err| Error::io("write", temp.path(), err))?;
    let permissions = match std::fs::metadata(path) {
        Ok(meta) => meta.permissions(),
        Err(_) => {
            use std::os::unix::fs::PermissionsExt;
            std::fs::Permissions::from_mode(0o644)
        }
    };
    std::fs::set_permissions(temp.path(), permissions)
        .map_err(|err| Error::io("set permissions of", temp.path(), err))?;
    temp.persist(path)
        .map_err(|err| Error::io("replace", path, err.error))?;
    Ok(())
}

/// Undo our own write after a failed commit (best effort; says so if it fails).
fn put_back(git: &Git, file: &Path, path: &Path, previous: Option<&[u8]>) {
    let restored = match previous {
        Some(bytes) => std::fs::write(path, bytes).is_ok(),
        None => std::fs::remove_file(path).is_ok(),
    };
    // `git add` staged our version; unstage it so the index is as it was.
    let _ = git.unstage(file);
    if !restored {
        tracing::error!("could not restore {}; check it by hand", path.display());
    }
}
