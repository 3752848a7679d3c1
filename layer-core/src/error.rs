//! One error type for every tool, which knows the exit code it maps to.
//!
//! Exit codes are part of the contract (see `docs/contract.md`):
//! - 0: done (also a broken pipe: the reader went away, which is not our failure);
//! - 1: done, but a check found something (drift, a function that failed to update);
//! - 2: bad usage, bad input, or a failure that stopped the tool: nothing half-done.

use std::fmt;
use std::path::Path;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in words a person can act on: the problem, and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line is wrong (a flag combination, a missing argument).
    #[error("{problem}")]
    Usage {
        problem: String,
        fix: Option<String>,
    },

    /// The input is wrong: a record, a file, a layer folder, a version.
    #[error("{problem}")]
    Input {
        problem: String,
        fix: Option<String>,
    },

    /// Something outside us failed (AWS, git, pip, the file system) and the tool stopped.
    #[error("{problem}")]
    Failed {
        problem: String,
        fix: Option<String>,
    },

    /// The tool did its job and a check found something (exit 1). The message
    /// summarises the findings; the details are in the output records.
    #[error("{0}")]
    Findings(String),

    /// This step is not built yet; says which issue will build it.
    #[error("{tool} is not implemented yet (tracked in issue #{issue}); it produces no output")]
    NotImplemented { tool: &'static str, issue: u32 },

    /// Whoever read our stdout went away (`layer-watch | head -1`): exit quietly.
    #[error("broken pipe")]
    BrokenPipe,
}

impl Error {
    pub fn usage(problem: impl fmt::Display) -> Self {
        Error::Usage {
            problem: problem.to_string(),
            fix: None,
        }
    }

    pub fn input(problem: impl fmt::Display) -> Self {
        Error::Input {
            problem: problem.to_string(),
            fix: None,
        }
    }

    pub fn failed(problem: impl fmt::Display) -> Self {
        Error::Failed {
            problem: problem.to_string(),
            fix: None,
        }
    }

    /// Attach the sentence that tells the user how to fix the problem.
    pub fn with_fix(mut self, how: impl fmt::Display) -> Self {
        match &mut self {
            Error::Usage { fix, .. } | Error::Input { fix, .. } | Error::Failed { fix, .. } => {
                *fix = Some(how.to_string());
            }
            Error::Findings(_) | Error::NotImplemented { .. } | Error::BrokenPipe => {}
        }
        self
    }

    /// An I/O error on a named file, with the path in the message.
    pub fn io(action: &str, path: &Path, err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            return Error::BrokenPipe;
        }
        let fix = match err.kind() {
            std::io::ErrorKind::NotFound => Some("check the path".to_string()),
            std::io::ErrorKind::PermissionDenied => {
                Some("check the file's permissions (the tool runs as the current user)".to_string())
            }
            _ => None,
        };
        Error::Input {
            problem: format!("cannot {action} {}: {err}", path.display()),
            fix,
        }
    }

    pub fn fix(&self) -> Option<&str> {
        match self {
            Error::Usage { fix, .. } | Error::Input { fix, .. } | Error::Failed { fix, .. } => {
                fix.as_deref()
            }
            Error::NotImplemented { .. } => {
                Some("use another tool for this step until then; see the README's status table")
            }
            Error::Findings(_) | Error::BrokenPipe => None,
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::BrokenPipe => 0,
            Error::Findings(_) => 1,
            Error::Usage { .. } | Error::Input { .. } | Error::Failed { .. } => 2,
            Error::NotImplemented { .. } => 2,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::failed(format!("I/O error: {err}"))
        }
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
        assert_eq!(
            Error::NotImplemented {
                tool: "t",
                issue: 1
            }
            .exit_code(),
            2
        );
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
}
