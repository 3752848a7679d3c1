//! What a layer runs on: Lambda's Python runtimes and architectures, and the
//! facts about them the checks need (Python version, the OS's glibc).

use std::fmt;

use layer_core::{Error, Result};

/// A Lambda Python runtime, e.g. `python3.11`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Runtime {
    /// The minor version of Python 3 (`11` for `python3.11`).
    pub minor: u32,
}

/// The Python runtimes Lambda offers (or offered) on Amazon Linux 2 or 2023.
/// Older ones (python3.8 and before) run on an OS that can no longer be
/// targeted with today's wheels and are refused.
const KNOWN_MINORS: std::ops::RangeInclusive<u32> = 9..=14;

impl Runtime {
    pub fn parse(text: &str) -> Result<Self> {
        let minor = text
            .strip_prefix("python3.")
            .and_then(|minor| minor.parse::<u32>().ok())
            .filter(|minor| KNOWN_MINORS.contains(minor));
        minor.map(|minor| Runtime { minor }).ok_or_else(|| {
            Error::input(format!("unknown runtime {text:?}")).with_fix(format!(
                "use one of Lambda's Python runtimes: {}",
                KNOWN_MINORS
                    .map(|minor| format!("python3.{minor}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }

    /// `3.11`
    pub fn python_version(&self) -> String {
        format!("3.{}", self.minor)
    }

    /// `311`, as in CPython's ABI tags (`cpython-311-x86_64-linux-gnu`, `cp311`).
    pub fn abi_digits(&self) -> String {
        format!("3{}", self.minor)
    }

    /// The OS Lambda runs this runtime on.
    pub fn os(&self) -> &'static str {
        if self.minor <= 11 {
            "Amazon Linux 2"
        } else {
            "Amazon Linux 2023"
        }
    }

    /// The glibc of that OS: 2.26 on Amazon Linux 2, 2.34 on Amazon Linux 2023.
    pub fn glibc(&self) -> Glibc {
        if self.minor <= 11 {
            Glibc(2, 26)
        } else {
            Glibc(2, 34)
        }
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "python3.{}", self.minor)
    }
}

/// A glibc version, `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Glibc(pub u32, pub u32);

impl Glibc {
    /// Parse `2.28` (also from `GLIBC_2.28` or `GLIBC_2.2.5`: only major.minor count).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some(Glibc(major, minor))
    }
}

impl fmt::Display for Glibc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

/// A Lambda architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "x86_64" => Ok(Arch::X86_64),
            "arm64" => Ok(Arch::Arm64),
            other => {
                let fix = if matches!(other, "aarch64" | "arm") {
                    "Lambda calls 64-bit ARM \"arm64\"; use x86_64 or arm64"
                } else {
                    "use x86_64 or arm64 (Lambda's two architectures)"
                };
                Err(Error::input(format!("unknown architecture {other:?}")).with_fix(fix))
            }
        }
    }

    /// Lambda's name: `x86_64` or `arm64`.
    pub fn lambda_name(&self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The machine name in wheel tags and CPython's extension suffixes: `x86_64` or `aarch64`.
    pub fn machine(&self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "aarch64",
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.lambda_name())
    }
}

/// One runtime on one architecture: what the checks verify against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    pub runtime: Runtime,
    pub arch: Arch,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.runtime, self.arch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtimes_know_their_os_and_glibc() {
        let py311 = Runtime::parse("python3.11").unwrap();
        assert_eq!(py311.glibc(), Glibc(2, 26));
        assert_eq!(py311.abi_digits(), "311");
        let py312 = Runtime::parse("python3.12").unwrap();
        assert_eq!(py312.glibc(), Glibc(2, 34));
        assert_eq!(py312.os(), "Amazon Linux 2023");
    }

    #[test]
    fn unknown_runtimes_and_archs_are_refused_with_a_fix() {
        for bad in [
            "python3.8",
            "python2.7",
            "nodejs20.x",
            "python3.x",
            "python3.11 ",
        ] {
            let err = Runtime::parse(bad).unwrap_err();
            assert!(err.to_string().contains("unknown runtime"), "{bad}: {err}");
            assert!(err.fix().unwrap().contains("python3.11"));
        }
        let err = Arch::parse("aarch64").unwrap_err();
        assert!(err.fix().unwrap().contains("arm64"));
    }

    #[test]
    fn glibc_versions_parse_and_order() {
        assert_eq!(Glibc::parse("2.2.5"), Some(Glibc(2, 2)));
        assert!(Glibc::parse("2.28").unwrap() > Glibc(2, 26));
        assert!(Glibc(2, 3) < Glibc(2, 17));
        assert_eq!(Glibc::parse("x"), None);
    }
}
