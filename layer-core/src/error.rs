//! One error type for every tool, which knows the exit code it maps to.
//!
//! Exit codes are part of the contract (see `docs/contract.md`):
//! - 0: done (also a broken pipe: the reader went away, which is not our failure);
//! - 1: done, but a check found something (drift, a function that failed to update);
//! - 2: bad usage, bad input, or a failure that stopped the tool: nothing half-done.
//! - 130 / 143: stopped by SIGINT / SIGTERM (128 + the signal's number, as
//!   shells report it), after writing the record of what was done.
//!
//! An error says the problem in the tool's words and keeps what caused it (an
//! I/O error, an SDK error) as its `source`, so that the message on stderr can
//! show the whole chain: `error: PROBLEM`, then `caused by: CAUSE` lines, then
//! `hint: FIX`. `{err}` shows the problem alone; `{err:#}` the problem and its
//! causes on one line (`problem: cause: cause`), for messages inside records.

use std::fmt;
use std::path::Path;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What caused an error: any error of a library or the OS.
pub type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong, in words a person can act on: the problem, and how to fix it.
#[derive(Debug)]
pub enum Error {
    /// The command line is wrong (a flag combination, a missing argument).
    Usage {
        problem: String,
        fix: Option<String>,
        source: Option<Source>,
    },

    /// The input is wrong: a record, a file, a layer folder, a version.
    Input {
        problem: String,
        fix: Option<String>,
        source: Option<Source>,
    },

    /// Something outside us failed (AWS, git, pip, the file system) and the tool stopped.
    Failed {
        problem: String,
        fix: Option<String>,
        source: Option<Source>,
    },

    /// The tool did its job and a check found something (exit 1). The message
    /// summarises the findings; the details are in the output records.
    Findings(String),

    /// Whoever read our stdout went away (`layer-watch | head -1`): exit quietly.
    BrokenPipe,

    /// A signal stopped the tool (exit 128 + its number). The message says
    /// what was done and where its record is.
    Interrupted {
        signal: Signal,
        problem: String,
        fix: Option<String>,
        source: Option<Source>,
    },
}

/// The signals a tool stops gracefully on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Ctrl-C.
    Interrupt,
    /// What CI runners and `kill` send to cancel a job.
    Terminate,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// 128 + the signal's number, the code a shell reports for a process the
    /// signal killed: callers see the same code whether or not we cleaned up.
    pub fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Error {
    pub fn usage(problem: impl fmt::Display) -> Self {
        Error::Usage {
            problem: problem.to_string(),
            fix: None,
            source: None,
        }
    }

    pub fn input(problem: impl fmt::Display) -> Self {
        Error::Input {
            problem: problem.to_string(),
            fix: None,
            source: None,
        }
    }

    pub fn failed(problem: impl fmt::Display) -> Self {
        Error::Failed {
            problem: problem.to_string(),
            fix: None,
            source: None,
        }
    }

    /// Stopped by `signal`; `problem` says what was done before it stopped.
    pub fn interrupted(signal: Signal, problem: impl fmt::Display) -> Self {
        Error::Interrupted {
            signal,
            problem: problem.to_string(),
            fix: None,
            source: None,
        }
    }

    /// Attach the sentence that tells the user how to fix the problem.
    pub fn with_fix(mut self, how: impl fmt::Display) -> Self {
        if let Some((_, fix, _)) = self.parts_mut() {
            *fix = Some(how.to_string());
        }
        self
    }

    /// Keep the error that caused this one (shown as `caused by:` on stderr).
    pub fn with_source(mut self, cause: impl Into<Source>) -> Self {
        if let Some((_, _, source)) = self.parts_mut() {
            *source = Some(cause.into());
        }
        self
    }

    /// Say where the problem is: `record 3` turns "no \"published\" section"
    /// into "record 3: no \"published\" section". The fix and the cause stay.
    pub fn context(mut self, place: impl fmt::Display) -> Self {
        if let Some((problem, _, _)) = self.parts_mut() {
            *problem = format!("{place}: {problem}");
        }
        self
    }

    /// An I/O error on a named file, with the path in the message.
    pub fn io(action: &str, path: &Path, err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            return Error::BrokenPipe;
        }
        let fix = match err.kind() {
            std::io::ErrorKind::NotFound => Some("check the path"),
            std::io::ErrorKind::PermissionDenied => {
                Some("check the file's permissions (the tool runs as the current user)")
            }
            _ => None,
        };
        let error = Error::input(format!("cannot {action} {}", path.display())).with_source(err);
        match fix {
            Some(fix) => error.with_fix(fix),
            None => error,
        }
    }

    pub fn fix(&self) -> Option<&str> {
        match self {
            Error::Usage { fix, .. }
            | Error::Input { fix, .. }
            | Error::Failed { fix, .. }
            | Error::Interrupted { fix, .. } => fix.as_deref(),
            Error::Findings(_) | Error::BrokenPipe => None,
        }
    }

    /// What caused the problem, outermost first.
    pub fn causes(&self) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
        std::iter::successors(std::error::Error::source(self), |cause| cause.source())
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::BrokenPipe => 0,
            Error::Findings(_) => 1,
            Error::Usage { .. } | Error::Input { .. } | Error::Failed { .. } => 2,
            Error::Interrupted { signal, .. } => signal.exit_code(),
        }
    }

    fn parts_mut(&mut self) -> Option<(&mut String, &mut Option<String>, &mut Option<Source>)> {
        match self {
            Error::Usage {
                problem,
                fix,
                source,
            }
            | Error::Input {
                problem,
                fix,
                source,
            }
            | Error::Failed {
                problem,
                fix,
                source,
            }
            | Error::Interrupted {
                problem,
                fix,
                source,
                ..
            } => Some((problem, fix, source)),
            Error::Findings(_) | Error::BrokenPipe => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage { problem, .. }
            | Error::Input { problem, .. }
            | Error::Failed { problem, .. }
            | Error::Interrupted { problem, .. } => f.write_str(problem)?,
            Error::Findings(summary) => f.write_str(summary)?,
            Error::BrokenPipe => f.write_str("broken pipe")?,
        }
        if f.alternate() {
            for cause in self.causes() {
                write!(f, ": {cause}")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Usage { source, .. }
            | Error::Input { source, .. }
            | Error::Failed { source, .. }
            | Error::Interrupted { source, .. } => source
                .as_deref()
                .map(|cause| cause as &(dyn std::error::Error + 'static)),
            Error::Findings(_) | Error::BrokenPipe => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::failed("I/O error").with_source(err)
        }
    }
}

/// [`Error::context`] on a result: `read(path).context(format!("record {n}"))?`.
pub trait Context<T> {
    fn context(self, place: impl fmt::Display) -> Result<T>;
}

impl<T> Context<T> for Result<T> {
    fn context(self, place: impl fmt::Display) -> Result<T> {
        self.map_err(|err| err.context(place))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_contract() {
        assert_eq!(Error::usage("x").exit_code(), 2);
        assert_eq!(Error::input("x").exit_code(), 2);
        assert_eq!(Error::failed("x").exit_code(), 2);
        assert_eq!(Error::Findings("drift".into()).exit_code(), 1);
        assert_eq!(Error::BrokenPipe.exit_code(), 0);
        assert_eq!(Error::interrupted(Signal::Interrupt, "x").exit_code(), 130);
        assert_eq!(Error::interrupted(Signal::Terminate, "x").exit_code(), 143);
    }

    #[test]
    fn broken_pipe_io_errors_become_quiet_exits() {
        let err: Error = std::io::Error::from(std::io::ErrorKind::BrokenPipe).into();
        assert!(matches!(err, Error::BrokenPipe));
        let err = Error::io(
            "write",
            Path::new("x"),
            std::io::ErrorKind::BrokenPipe.into(),
        );
        assert!(matches!(err, Error::BrokenPipe));
    }

    #[test]
    fn fixes_are_kept_and_shown() {
        let err = Error::input("bad thing").with_fix("do the other thing");
        assert_eq!(err.to_string(), "bad thing");
        assert_eq!(err.fix(), Some("do the other thing"));
    }

    #[test]
    fn the_cause_is_kept_and_shown_in_the_alternate_form() {
        let err = Error::io(
            "open",
            Path::new("/nowhere/in.jsonl"),
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        );
        assert_eq!(err.to_string(), "cannot open /nowhere/in.jsonl");
        assert_eq!(
            format!("{err:#}"),
            "cannot open /nowhere/in.jsonl: no such file"
        );
        let causes: Vec<String> = err.causes().map(|c| c.to_string()).collect();
        assert_eq!(causes, ["no such file"]);
        assert_eq!(err.fix(), Some("check the path"));
    }

    #[test]
    fn context_names_the_place_and_keeps_fix_and_cause() {
        let failing: Result<()> = Err(Error::input("no \"published\" section")
            .with_fix("pipe in layer-publish's output")
            .with_source(std::io::Error::other("underneath")));
        let err = failing.context("record 3").unwrap_err();
        assert_eq!(err.to_string(), "record 3: no \"published\" section");
        assert_eq!(err.fix(), Some("pipe in layer-publish's output"));
        assert_eq!(err.causes().count(), 1);
        assert_eq!(err.exit_code(), 2);
        // A summary of findings or a broken pipe has no place to name.
        let quiet = Error::BrokenPipe.context("record 1");
        assert!(matches!(quiet, Error::BrokenPipe));
    }
}
