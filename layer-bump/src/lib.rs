//! `layer-bump`: decide the next semantic version of a layer from Conventional
//! Commits, and check version compatibility.
//!
//! `layer-bump [OPTIONS] [INPUT]` reads the commits since the last release and
//! writes one `layer-record/v1` record with a `version` section (or adds that
//! section to each record of INPUT). `layer-bump check` answers whether a
//! version satisfies a requirement. See `docs/layer-bump.md`.

mod check;
mod commits;
mod git;
mod next;
mod plan;
mod release;

use std::path::PathBuf;

use layer_core::Result;
use layer_core::cli::Verbosity;

pub use check::CheckArgs;
pub use commits::Level;

/// Decide the next semantic version of a layer from Conventional Commits, and
/// check version compatibility.
///
/// Without a subcommand, reads the commits since the last release (the highest
/// tag with --tag-prefix in HEAD's history, or --version-file) and prints a
/// version record: a breaking change (`feat!:`, a `BREAKING CHANGE:` footer)
/// bumps the major, `feat` the minor, anything else the patch. While the major
/// is 0, a breaking change bumps the minor (--major-from-zero turns that off).
/// It changes nothing unless asked (--write, --commit, --tag) and never pushes.
#[derive(Debug, clap::Parser)]
#[command(
    name = "layer-bump",
    version,
    about,
    long_about,
    override_usage = "layer-bump [OPTIONS] [INPUT]\n       layer-bump check --have <VERSION> --need <REQUIREMENT>",
    after_help = "Examples:
  layer-bump                                   # next version from tags v1.2.3
  layer-bump --path layers/common --tag-prefix common-v | layer-pack layers/common
  layer-bump --pre rc                          # 1.3.0-rc.1, then rc.2; later without --pre: 1.3.0
  layer-bump --version-file layers/common/VERSION --write --commit --tag
  layer-bump check --have 1.4.0 --need 1.2.0   # exit 0 compatible, 1 not, 2 bad input"
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub next: NextArgs,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Is a version compatible with a requirement? Exit 0 yes, 1 no, 2 bad input.
    ///
    /// A bare version as the requirement means "the same major, at least this
    /// version" (the caret rule, `^`). Below 1.0.0 the minor is the breaking level:
    /// `--need 0.2.1` accepts 0.2.1 to 0.2.x, not 0.3.0; below 0.1.0 only that
    /// exact patch. A pre-release matches only a requirement that names a
    /// pre-release of the same MAJOR.MINOR.PATCH (`>=1.3.0-rc.1`). Prints a
    /// record with a `check` section on stdout, and the reason on stderr.
    Check(CheckArgs),
}

/// The options of the default command: computing the next version.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct NextArgs {
    /// Records to add the `version` section to (JSON Lines; `-` reads stdin).
    /// Without it, records piped or redirected into stdin are read; with
    /// nothing piped in, one new record is written.
    #[arg(value_name = "INPUT")]
    pub input: Option<PathBuf>,

    /// Never read stdin, even when something is piped or redirected into it
    /// (e.g. a CI runner that feeds the job's script through stdin).
    #[arg(long, conflicts_with = "input")]
    pub no_input: bool,

    /// The repository to read (any directory in its work tree). --path and
    /// --version-file are relative to it, as with `git -C`.
    #[arg(
        short = 'C',
        long,
        value_name = "DIR",
        default_value = ".",
        help_heading = "Where the version comes from"
    )]
    pub repo: PathBuf,

    /// Tags that are releases start with this; the rest is the version
    /// (`v1.2.3`; `common-v1.2.3` for one of several layers in a repository).
    /// Tags that are not semantic versions are ignored.
    #[arg(
        long,
        value_name = "PREFIX",
        default_value = "v",
        help_heading = "Where the version comes from"
    )]
    pub tag_prefix: String,

    /// Read the current version from this file (e.g. layers/common/VERSION)
    /// instead of the tags; commits are counted from the tag of that version,
    /// or else from the last commit that changed the file. A missing file
    /// falls back to the tags.
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Where the version comes from"
    )]
    pub version_file: Option<PathBuf>,

    /// The version assumed when there is no tag and no version file.
    #[arg(
        long,
        value_name = "VERSION",
        default_value = "0.0.0",
        value_parser = parse_version,
        help_heading = "Where the version comes from"
    )]
    pub initial: semver::Version,

    /// Count only commits that touch this path (repeatable).
    #[arg(
        long = "path",
        value_name = "PATH",
        help_heading = "Where the version comes from"
    )]
    pub paths: Vec<PathBuf>,

    /// Force this level instead of the one the commits decide.
    #[arg(long, value_enum, value_name = "LEVEL", help_heading = "How it moves")]
    pub bump: Option<Level>,

    /// Make a pre-release with this identifier: 1.3.0-rc.1, then rc.2, ...
    /// A later run without --pre finalises it (1.3.0).
    #[arg(long, value_name = "ID", help_heading = "How it moves")]
    pub pre: Option<String>,

    /// On 0.x, let a breaking change bump the major (0.4.2 → 1.0.0) rather
    /// than the minor (→ 0.5.0, the default).
    #[arg(long, help_heading = "How it moves")]
    pub major_from_zero: bool,

    /// Commit types that do not count (e.g. docs,ci,test); breaking ones
    /// always count. Repeatable or comma-separated.
    #[arg(
        long,
        value_name = "TYPE",
        value_delimiter = ',',
        help_heading = "How it moves"
    )]
    pub ignore_type: Vec<String>,

    /// Add build metadata to the next version (1.3.0+META).
    #[arg(long, value_name = "META", help_heading = "How it moves")]
    pub build: Option<String>,

    /// Keep the current version's build metadata on the next version.
    #[arg(long, conflicts_with = "build", help_heading = "How it moves")]
    pub keep_build: bool,

    /// Write the next version into --version-file (atomically; refused if the
    /// file has uncommitted changes).
    #[arg(
        long,
        requires = "version_file",
        help_heading = "Side effects (only when asked)"
    )]
    pub write: bool,

    /// Commit the written version file, and only it (`chore(release): TAG`).
    #[arg(
        long,
        requires = "write",
        help_heading = "Side effects (only when asked)"
    )]
    pub commit: bool,

    /// Create an annotated tag PREFIX+VERSION on HEAD (after --commit: on the
    /// release commit); refused if it exists. Nothing is ever pushed.
    #[arg(long, help_heading = "Side effects (only when asked)")]
    pub tag: bool,
}

/// `layer-bump --path x check ...` would silently ignore `--path`: refuse it.
fn refuse_next_options(given: &NextArgs) -> Result<()> {
    use clap::Parser;
    let defaults = Args::try_parse_from(["layer-bump"]).map(|args| args.next);
    if defaults.is_ok_and(|defaults| defaults != *given) {
        return Err(layer_core::Error::usage(
            "the options before `check` belong to computing the next version, not to `check`",
        )
        .with_fix("run `layer-bump check --have VERSION --need REQUIREMENT` on its own"));
    }
    Ok(())
}

fn parse_version(text: &str) -> Result<semver::Version> {
    semver::Version::parse(text.trim()).map_err(|err| {
        layer_core::Error::usage(format!("{err} (expected a semantic version like 1.0.0)"))
    })
}

/// Run the tool.
pub fn run(args: Args) -> Result<()> {
    args.verbosity.init_logging();
    match &args.command {
        Some(Command::Check(check)) => {
            refuse_next_options(&args.next)?;
            check::run(check)
        }
        None => next::run(&args.next, &args.verbosity),
    }
}
