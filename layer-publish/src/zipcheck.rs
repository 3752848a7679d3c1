//! What a layer zip holds, read from its central directory, and the check that
//! it cannot write outside `python/` when Lambda extracts it to `/opt`.
//!
//! The record's hashes prove the zip is the one that was packed, not that it is
//! safe: a record can come from any stage of a pipe. So every entry name is
//! checked here before anything is uploaded. Public so that the fuzz targets
//! (fuzz/) drive exactly this code.

use std::io::{Read, Seek};

/// Unzipped size and file count of a zip whose entries all sit under `python/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipContents {
    pub unzipped_bytes: u64,
    pub files: u64,
}

/// Why a zip is refused; the caller adds the path and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZipProblem {
    /// Not a zip, or a broken central directory.
    Unreadable(String),
    /// An entry that would land outside `python/`, or a symlink.
    Entry { name: String, why: &'static str },
}

impl std::fmt::Display for ZipProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ZipProblem::Unreadable(err) => write!(f, "is not a readable zip: {err}"),
            ZipProblem::Entry { name, why } => write!(f, "has an entry {name:?} that {why}"),
        }
    }
}

/// Read the central directory and check every entry (no entry data is inflated).
pub fn inspect<R: Read + Seek>(reader: R) -> Result<ZipContents, ZipProblem> {
    let unreadable = |err: zip::result::ZipError| ZipProblem::Unreadable(err.to_string());
    let mut archive = zip::ZipArchive::new(reader).map_err(unreadable)?;
    let mut contents = ZipContents {
        unzipped_bytes: 0,
        files: 0,
    };
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(unreadable)?;
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        if let Some(why) = unsafe_name(&name) {
            return Err(ZipProblem::Entry { name, why });
        }
        if entry.is_symlink() {
            return Err(ZipProblem::Entry {
                name,
                why: "is a symlink (it could point anywhere once extracted)",
            });
        }
        if entry.is_file() {
            contents.files += 1;
            contents.unzipped_bytes = contents.unzipped_bytes.saturating_add(entry.size());
        }
    }
    Ok(contents)
}

/// Why an entry name could write outside `python/`, if it could. Checked on
/// the raw name: both `/` and `\` count as separators, as some unzippers
/// treat them alike.
fn unsafe_name(name: &str) -> Option<&'static str> {
    if name.contains('\0') {
        return Some("holds a NUL byte");
    }
    if name.starts_with('/') || name.starts_with('\\') || name.get(1..2) == Some(":") {
        return Some("is an absolute path");
    }
    if name.split(['/', '\\']).any(|part| part == "..") {
        return Some("climbs out with `..`");
    }
    if !name.starts_with("python/") {
        return Some(
            "is outside python/ (Lambda puts python/ on sys.path; nothing else belongs in a Python layer)",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_leave_python_are_refused() {
        for bad in [
            "../evil.py",
            "python/../../etc/cron.d/x",
            "/etc/passwd",
            "\\windows\\x",
            "C:/x",
            "python\\..\\..\\x",
            "evil.py",
            "bin/run",
            "python",
            "a\0b",
        ] {
            assert!(unsafe_name(bad).is_some(), "{bad}");
        }
        for good in [
            "python/",
            "python/a.py",
            "python/lib/python3.12/site-packages/x/..y.py",
        ] {
            assert_eq!(unsafe_name(good), None, "{good}");
        }
    }

    #[test]
    fn garbage_is_unreadable_not_a_panic() {
        let err = inspect(std::io::Cursor::new(b"PK\x05\x06 not really".to_vec())).unwrap_err();
        assert!(matches!(err, ZipProblem::Unreadable(_)), "{err}");
    }
}
