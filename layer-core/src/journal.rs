//! Journals: append-only JSON Lines files that outlive the process that
//! writes them, even `kill -9`. A tool appends what it is about to change
//! before it sends the change and the result after it; each line is synced to
//! disk before the call returns, so whatever stopped the run, the journal
//! names every change that may have been made.
//!
//! Journals live in the user's state folder (`$XDG_STATE_HOME/layer-tools/`,
//! or `~/.local/state/layer-tools/`), one file per run, named by the run's id;
//! old ones are pruned by age.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::Value;

use crate::{Error, Result};

/// How long journals are kept: long enough to undo last month's deploy.
pub const KEEP_FOR: Duration = Duration::from_secs(30 * 86_400);

/// The folder for the tools' journals: `$XDG_STATE_HOME/layer-tools`, or
/// `$HOME/.local/state/layer-tools` (the XDG default).
pub fn state_dir() -> Result<PathBuf> {
    let from_env = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    if let Some(state) = from_env("XDG_STATE_HOME") {
        return Ok(state.join("layer-tools"));
    }
    if let Some(home) = from_env("HOME") {
        return Ok(home.join(".local/state/layer-tools"));
    }
    Err(
        Error::usage("no folder for the journal: neither XDG_STATE_HOME nor HOME is set")
            .with_fix("set XDG_STATE_HOME, or choose the file with --journal PATH"),
    )
}

/// A run's id: its start time (UTC, to the second) and the process id, which
/// sorts by time and is unique on one machine.
pub fn run_id() -> String {
    let stamp = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let compact: String = stamp.chars().filter(|c| !matches!(c, '-' | ':')).collect();
    format!("{compact}-{}", std::process::id())
}

/// A journal file written one synced line at a time. The file is created on
/// the first line (a run that changes nothing leaves no file), and never
/// over an existing one: two runs never share a journal.
#[derive(Debug)]
pub struct AppendLog {
    path: PathBuf,
    file: Mutex<Option<File>>,
}

impl AppendLog {
    /// A journal at `path`, refused up front when the file exists.
    pub fn new(path: PathBuf) -> Result<AppendLog> {
        if path.exists() {
            return Err(Error::usage(format!(
                "the journal {} exists already; a journal belongs to one run",
                path.display()
            ))
            .with_fix("choose another --journal PATH (or remove the old file)"));
        }
        Ok(AppendLog {
            path,
            file: Mutex::new(None),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether anything was written.
    pub fn written(&self) -> bool {
        self.file.lock().map(|file| file.is_some()).unwrap_or(true)
    }

    /// Append one line and wait until it is on disk (`O_APPEND`, one `write`
    /// per line, `fdatasync`): when this returns, a `kill -9` cannot lose it.
    pub fn append(&self, line: &impl Serialize) -> Result<()> {
        let mut text = serde_json::to_string(line)
            .map_err(|err| Error::failed("cannot encode a journal line").with_source(err))?;
        text.push('\n');
        let mut file = self
            .file
            .lock()
            .map_err(|_| Error::failed("the journal's lock was poisoned by a panic"))?;
        if file.is_none() {
            *file = Some(self.create()?);
        }
        let open = file.as_mut().expect("opened above");
        open.write_all(text.as_bytes())
            .and_then(|()| open.sync_data())
            .map_err(|err| Error::io("write the journal", &self.path, err))
    }

    fn create(&self) -> Result<File> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|err| Error::io("create the journal's folder", dir, err))?;
        }
        let mut options = OpenOptions::new();
        options.append(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // It names functions and accounts: the user's eyes only.
            options.mode(0o600);
        }
        let file = options
            .open(&self.path)
            .map_err(|err| Error::io("create the journal", &self.path, err))?;
        // The new name too must survive a crash of the machine.
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(dir) = File::open(dir)
        {
            let _ = dir.sync_all();
        }
        Ok(file)
    }
}

/// The lines of a journal. A last line cut short (the writer was killed in
/// the middle of a `write`) is left out: its change was never sent, since a
/// change is sent only after its line is complete on disk.
pub fn read_lines(path: &Path) -> Result<Vec<Value>> {
    let text = std::fs::read_to_string(path).map_err(|err| Error::io("read", path, err))?;
    let mut lines = Vec::new();
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => "",
    };
    for (index, line) in complete.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value = serde_json::from_str(line).map_err(|err| {
            Error::input(format!(
                "{} line {}: not a journal line",
                path.display(),
                index + 1
            ))
            .with_source(err)
            .with_fix("give the journal a layer tool wrote (its path is on stderr at the start of the run)")
        })?;
        lines.push(value);
    }
    Ok(lines)
}

/// Remove the journals in `dir` whose name starts with `prefix` and that were
/// last written more than `age` ago. Returns how many were removed; a journal
/// that cannot be removed is left (pruning never fails a run).
pub fn prune(dir: &Path, prefix: &str, age: Duration) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !name.starts_with(prefix) || !name.ends_with(".jsonl") {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .ok()
            .and_then(|modified| now.duration_since(modified).ok())
            .is_some_and(|since| since > age);
        if old && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_are_appended_and_read_back_and_the_file_is_made_on_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/run.jsonl");
        let log = AppendLog::new(path.clone()).unwrap();
        assert!(!path.exists());
        assert!(!log.written());
        log.append(&json!({"n": 1})).unwrap();
        log.append(&json!({"n": 2})).unwrap();
        assert!(log.written());
        assert_eq!(
            read_lines(&path).unwrap(),
            [json!({"n": 1}), json!({"n": 2})]
        );
        // Another run may not write into it.
        let err = AppendLog::new(path).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().contains("exists already"), "{err}");
    }

    #[test]
    fn a_torn_last_line_is_left_out_and_a_broken_middle_line_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("torn.jsonl");
        std::fs::write(&path, "{\"n\": 1}\n{\"n\": 2, \"cut").unwrap();
        assert_eq!(read_lines(&path).unwrap(), [json!({"n": 1})]);
        std::fs::write(&path, "{\"n\": 1}\nnot json\n{\"n\": 3}\n").unwrap();
        let err = read_lines(&path).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn only_old_journals_of_the_tool_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("layer-attach-old.jsonl");
        let new = dir.path().join("layer-attach-new.jsonl");
        let other = dir.path().join("notes-old.jsonl");
        for path in [&old, &new, &other] {
            std::fs::write(path, "{}\n").unwrap();
        }
        let long_ago = SystemTime::now() - Duration::from_secs(40 * 86_400);
        for path in [&old, &other] {
            File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        assert_eq!(prune(dir.path(), "layer-attach-", KEEP_FOR), 1);
        assert!(!old.exists());
        assert!(new.exists() && other.exists());
    }

    #[test]
    fn run_ids_sort_by_time_and_name_the_process() {
        let id = run_id();
        assert!(id.ends_with(&format!("-{}", std::process::id())), "{id}");
        assert!(id.starts_with("20") && id.contains('T'), "{id}");
        assert!(!id.contains(':'), "{id}");
    }
}
