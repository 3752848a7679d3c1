//! What a layer or a function runs on: Lambda runtimes and architectures, and
//! the table of facts about Lambda's Python runtimes (Python version, the OS
//! and its glibc, deprecation and block dates: [`crate::lifecycle`]).
//!
//! Every tool reads and writes these types; sections carry them as the strings
//! Lambda uses (`python3.12`, `arm64`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
pub use crate::lifecycle::{Date, Os, RuntimeLifecycle, Stage, lifecycle};

/// A Lambda Python runtime of the table, e.g. `python3.11`: what `layer-pack`
/// can build for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PythonRuntime {
    /// The minor version of Python 3 (`11` for `python3.11`).
    pub minor: u32,
}

/// The Python runtimes Lambda offers (or offered) on Amazon Linux 2 or 2023.
/// Older ones (python3.8 and before) run on an OS that can no longer be
/// targeted with today's wheels and are refused.
const KNOWN_MINORS: std::ops::RangeInclusive<u32> = 9..=14;

impl PythonRuntime {
    /// A runtime of the table; anything else is an input error that lists the table.
    pub fn parse(text: &str) -> Result<Self> {
        Self::of_table(text).ok_or_else(|| {
            Error::input(format!("unknown runtime {text:?}")).with_fix(format!(
                "use one of Lambda's Python runtimes: {}",
                KNOWN_MINORS
                    .map(|minor| format!("python3.{minor}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }

    fn of_table(text: &str) -> Option<Self> {
        text.strip_prefix("python3.")
            .filter(|minor| !minor.starts_with('0') && minor.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|minor| minor.parse::<u32>().ok())
            .filter(|minor| KNOWN_MINORS.contains(minor))
            .map(|minor| PythonRuntime { minor })
    }

    /// `3.11`
    pub fn python_version(&self) -> String {
        format!("3.{}", self.minor)
    }

    /// `311`, as in CPython's ABI tags (`cpython-311-x86_64-linux-gnu`, `cp311`).
    pub fn abi_digits(&self) -> String {
        format!("3{}", self.minor)
    }

    /// Its row of the runtime lifecycle table (every runtime of the table has one).
    pub fn lifecycle(&self) -> &'static RuntimeLifecycle {
        lifecycle(&self.to_string()).expect("every Python runtime of the table has a lifecycle row")
    }

    /// The OS Lambda runs this runtime on.
    pub fn os(&self) -> &'static str {
        self.lifecycle().os.name()
    }

    /// The glibc of that OS: 2.26 on Amazon Linux 2, 2.34 on Amazon Linux 2023.
    pub fn glibc(&self) -> Glibc {
        self.lifecycle().glibc()
    }
}

impl fmt::Display for PythonRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "python3.{}", self.minor)
    }
}

/// Any Lambda runtime id, as records and AWS answers carry it.
///
/// Functions in an account run every kind of runtime (`nodejs20.x`, `java21`,
/// `python3.8`, ...) and a layer may declare any of them, so a runtime outside
/// the Python table is kept verbatim as [`Runtime::Other`] rather than refused:
/// reading what AWS reports never fails on a runtime this build does not know.
/// Tools that need a runtime of the table ask for [`Runtime::python`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Runtime {
    Python(PythonRuntime),
    /// Any other id, as written.
    Other(String),
}

impl Runtime {
    pub fn as_str(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Runtime::Python(python) => python.to_string().into(),
            Runtime::Other(id) => id.as_str().into(),
        }
    }

    /// Its row of the runtime lifecycle table, for any runtime the table knows
    /// (python3.8 and older included).
    pub fn lifecycle(&self) -> Option<&'static RuntimeLifecycle> {
        lifecycle(&self.as_str())
    }

    /// The Python runtime of the table, if this is one.
    pub fn python(&self) -> Option<PythonRuntime> {
        match self {
            Runtime::Python(python) => Some(*python),
            Runtime::Other(_) => None,
        }
    }
}

impl From<&str> for Runtime {
    fn from(id: &str) -> Self {
        match PythonRuntime::of_table(id) {
            Some(python) => Runtime::Python(python),
            None => Runtime::Other(id.to_string()),
        }
    }
}

impl From<String> for Runtime {
    fn from(id: String) -> Self {
        match PythonRuntime::of_table(&id) {
            Some(python) => Runtime::Python(python),
            None => Runtime::Other(id),
        }
    }
}

impl From<PythonRuntime> for Runtime {
    fn from(python: PythonRuntime) -> Self {
        Runtime::Python(python)
    }
}

impl From<Runtime> for String {
    fn from(runtime: Runtime) -> Self {
        match runtime {
            Runtime::Python(python) => python.to_string(),
            Runtime::Other(id) => id,
        }
    }
}

impl FromStr for Runtime {
    type Err = std::convert::Infallible;

    fn from_str(id: &str) -> std::result::Result<Self, Self::Err> {
        Ok(Runtime::from(id))
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Runtime::Python(python) => python.fmt(f),
            Runtime::Other(id) => f.write_str(id),
        }
    }
}

/// Ordered by id, as text, so that sorted lists read as Lambda sorts them.
impl Ord for Runtime {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(&other.as_str())
    }
}

impl PartialOrd for Runtime {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A Lambda architecture. Lambda has exactly these two; a record with another
/// is an input error (the variants are in name order, so sorted lists read as
/// Lambda sorts them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Architecture {
    Arm64,
    X86_64,
}

impl Architecture {
    pub fn parse(text: &str) -> Result<Self> {
        match text {
            "x86_64" => Ok(Architecture::X86_64),
            "arm64" => Ok(Architecture::Arm64),
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
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        }
    }

    /// The machine name in wheel tags and CPython's extension suffixes: `x86_64` or `aarch64`.
    pub fn machine(&self) -> &'static str {
        match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "aarch64",
        }
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.lambda_name())
    }
}

impl FromStr for Architecture {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Architecture::parse(text)
    }
}

impl TryFrom<String> for Architecture {
    type Error = Error;

    fn try_from(text: String) -> Result<Self> {
        Architecture::parse(&text)
    }
}

/// `--arch x86_64`: clap lists both names when a value is wrong.
impl clap::ValueEnum for Architecture {
    fn value_variants<'a>() -> &'a [Self] {
        &[Architecture::X86_64, Architecture::Arm64]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.lambda_name()))
    }
}

impl From<Architecture> for &'static str {
    fn from(arch: Architecture) -> Self {
        arch.lambda_name()
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

/// One runtime on one architecture, as records write it: `python3.12/arm64`.
/// A build of a layer covers a list of these (`layer.family.targets`), and a
/// function fits a build when its own runtime and architecture are one of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Target {
    /// Kept as written when outside the Python table (a newer runtime), like every runtime.
    pub runtime: Runtime,
    pub arch: Architecture,
}

impl Target {
    pub fn new(runtime: impl Into<Runtime>, arch: Architecture) -> Self {
        Target {
            runtime: runtime.into(),
            arch,
        }
    }

    /// `python3.12/arm64`; an unknown architecture or a missing `/` is an input error.
    pub fn parse(text: &str) -> Result<Self> {
        let (runtime, arch) = text.split_once('/').ok_or_else(|| {
            Error::input(format!("{text:?} is not a target"))
                .with_fix("write a target as RUNTIME/ARCHITECTURE, e.g. python3.12/arm64")
        })?;
        if runtime.is_empty() {
            return Err(Error::input(format!("{text:?} has no runtime"))
                .with_fix("write a target as RUNTIME/ARCHITECTURE, e.g. python3.12/arm64"));
        }
        Ok(Target {
            runtime: Runtime::from(runtime),
            arch: Architecture::parse(arch)?,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.runtime, self.arch)
    }
}

impl TryFrom<String> for Target {
    type Error = Error;

    fn try_from(text: String) -> Result<Self> {
        Target::parse(&text)
    }
}

impl From<Target> for String {
    fn from(target: Target) -> Self {
        target.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_runtimes_know_their_os_and_glibc() {
        let py311 = PythonRuntime::parse("python3.11").unwrap();
        assert_eq!(py311.glibc(), Glibc(2, 26));
        assert_eq!(py311.abi_digits(), "311");
        let py312 = PythonRuntime::parse("python3.12").unwrap();
        assert_eq!(py312.glibc(), Glibc(2, 34));
        assert_eq!(py312.os(), "Amazon Linux 2023");
        for minor in KNOWN_MINORS {
            let row = PythonRuntime { minor }.lifecycle();
            assert_eq!(row.runtime, format!("python3.{minor}"));
        }
        // Runtimes outside the build table still have their dates.
        assert!(Runtime::from("python3.8").lifecycle().is_some());
        assert!(Runtime::from("nodejs20.x").lifecycle().is_none());
    }

    #[test]
    fn runtimes_outside_the_table_and_unknown_architectures_are_refused_with_a_fix() {
        for bad in [
            "python3.8",
            "python2.7",
            "nodejs20.x",
            "python3.x",
            "python3.11 ",
            "python3.011",
        ] {
            let err = PythonRuntime::parse(bad).unwrap_err();
            assert!(err.to_string().contains("unknown runtime"), "{bad}: {err}");
            assert!(err.fix().unwrap().contains("python3.11"));
        }
        let err = Architecture::parse("aarch64").unwrap_err();
        assert!(err.fix().unwrap().contains("arm64"));
    }

    #[test]
    fn any_runtime_lambda_reports_reads_and_writes_back_unchanged() {
        let read: Vec<Runtime> = serde_json::from_str(
            r#"["python3.12", "nodejs20.x", "python3.8", "provided.al2023", "python3.99"]"#,
        )
        .unwrap();
        assert_eq!(
            read[0],
            Runtime::Python(PythonRuntime { minor: 12 }),
            "a runtime of the table is typed"
        );
        assert_eq!(read[1], Runtime::Other("nodejs20.x".into()));
        assert_eq!(read[2].python(), None, "python3.8 is not one of the table");
        assert_eq!(
            serde_json::to_string(&read).unwrap(),
            r#"["python3.12","nodejs20.x","python3.8","provided.al2023","python3.99"]"#
        );
        assert_eq!(
            "python3.13".parse::<Runtime>().unwrap().to_string(),
            "python3.13"
        );
    }

    #[test]
    fn runtimes_and_architectures_sort_by_name() {
        let mut runtimes: Vec<Runtime> = ["python3.9", "python3.10", "nodejs20.x"]
            .into_iter()
            .map(Runtime::from)
            .collect();
        runtimes.sort();
        let names: Vec<String> = runtimes.into_iter().map(String::from).collect();
        assert_eq!(names, ["nodejs20.x", "python3.10", "python3.9"]);
        let mut archs = vec![Architecture::X86_64, Architecture::Arm64];
        archs.sort();
        assert_eq!(archs, [Architecture::Arm64, Architecture::X86_64]);
    }

    #[test]
    fn architectures_read_and_write_as_lambda_names() {
        let read: Vec<Architecture> = serde_json::from_str(r#"["x86_64","arm64"]"#).unwrap();
        assert_eq!(read, [Architecture::X86_64, Architecture::Arm64]);
        assert_eq!(
            serde_json::to_string(&read).unwrap(),
            r#"["x86_64","arm64"]"#
        );
        let err = serde_json::from_str::<Architecture>(r#""sparc""#).unwrap_err();
        assert!(err.to_string().contains("unknown architecture"), "{err}");
    }

    #[test]
    fn glibc_versions_parse_and_order() {
        assert_eq!(Glibc::parse("2.2.5"), Some(Glibc(2, 2)));
        assert!(Glibc::parse("2.28").unwrap() > Glibc(2, 26));
        assert!(Glibc(2, 3) < Glibc(2, 17));
        assert_eq!(Glibc::parse("x"), None);
    }

    #[test]
    fn targets_read_and_write_as_runtime_slash_architecture() {
        let read: Vec<Target> =
            serde_json::from_str(r#"["python3.12/arm64","python3.99/x86_64"]"#).unwrap();
        assert_eq!(
            read[0],
            Target::new(PythonRuntime { minor: 12 }, Architecture::Arm64)
        );
        assert_eq!(read[1].runtime, Runtime::Other("python3.99".into()));
        assert_eq!(
            serde_json::to_string(&read).unwrap(),
            r#"["python3.12/arm64","python3.99/x86_64"]"#
        );
        for bad in ["python3.12", "python3.12/aarch64", "/arm64"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }
}
