//! `layer-pack`: build a verified, byte-for-byte reproducible Lambda layer zip
//! from a layer folder.
//!
//! The steps, per layer: read `layer.yaml`; install `requirements.txt` for
//! every declared runtime and architecture (uv or pip, binary wheels only,
//! cached per target by a hash of the inputs); from what was resolved, decide
//! the builds (one per architecture when they differ) and where each puts its
//! dependencies (`python/`, or each Python's `python/lib/pythonX.Y/site-packages/`);
//! then per build: collect the installed files and the library, pruned,
//! keeping back what kept code imports; verify the layout, every native
//! extension against the build's targets, and the sizes; prove that the layer
//! imports with a local Python of each declared version; write the zip
//! deterministically; print a `layer-record/v1` with `layer` and `artifact`.

mod buffers;
mod builds;
mod cachekey;
mod config;
mod imports;
mod install;
mod proof;
mod sdist;
mod target;
mod tree;
mod verify;
mod zipper;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use base64::Engine;
use layer_core::cli::Verbosity;
use layer_core::io::{Input, RecordWriter};
use layer_core::platform::Architecture;
use layer_core::record::LAYER_RECORD;
use layer_core::sections::{
    Artifact, Check, Dependencies, Finding, Pruning, Severity, VersionSection, names,
};
use layer_core::{Error, Record, Result};

pub use install::InstallerKind;
pub use tree::{DEFAULT_PRUNE, SLIM_DIST_INFO};

use crate::config::{LayerSpec, Overrides};

/// The default compression level: libdeflate 6. Measured on the numpy+pandas
/// and boto3+pydantic+requests trees it is smaller than `zip -9` and about a
/// third of the CPU time of libdeflate 9 (docs/layer-pack.md).
const DEFAULT_LEVEL: u8 = 6;

/// Build a verified, byte-for-byte reproducible Lambda layer zip from a layer folder.
///
/// A layer folder holds `layer.yaml`, the library under `python/`, and
/// optionally `requirements.txt` (also read from `python/requirements.txt`),
/// `constraints.txt` and `.layerignore`. The dependencies are installed for
/// every declared runtime on every declared architecture, without Docker. A
/// layer whose dependencies differ between the architectures (native code)
/// gives one build per architecture: NAME for x86_64, NAME-arm64 for arm64
/// (`build_names:` in layer.yaml renames them); dependencies that differ
/// between the Pythons go to each one's python/lib/pythonX.Y/site-packages/.
/// Each build is checked against its own targets and gives one record on
/// stdout; the zips go to `--out-dir` (default `dist/`).
///
/// A version record from `layer-bump` on stdin (or `--input FILE`) stamps
/// `layer.version`; its other fields pass through.
#[derive(Debug, clap::Parser)]
#[command(
    name = "layer-pack",
    version,
    about,
    verbatim_doc_comment,
    after_help = "Examples:
  layer-pack layers/common
  layer-bump --path layers/common | layer-pack layers/common | layer-publish
  layer-pack --max --out-dir build layers/common layers/ml
  layer-pack --no-import-check --arch arm64 layers/common
  layer-pack --build-from-source docopt --lock layers/cli/uv.lock layers/cli
  layer-pack --name tools --runtime python3.12 --arch arm64 --source src/ --requirements req.txt"
)]
pub struct Args {
    /// Layer folders (each with layer.yaml and python/). None: describe the layer with flags.
    #[arg(value_name = "LAYER_DIR")]
    pub layers: Vec<PathBuf>,

    /// Read version records from FILE (`-`: stdin). Without it, records piped
    /// or redirected into stdin are read.
    #[arg(long, value_name = "FILE", conflicts_with = "no_input")]
    pub input: Option<PathBuf>,

    /// Never read stdin, even when something is piped or redirected into it
    /// (e.g. a CI runner that feeds the job's script through stdin).
    #[arg(long)]
    pub no_input: bool,

    /// Folder for the zips, created if missing; each is named NAME[-VERSION].zip.
    #[arg(long, value_name = "DIR", default_value = "dist")]
    pub out_dir: PathBuf,

    /// Write the zip to this path instead (one layer only).
    #[arg(short, long, value_name = "ZIP")]
    pub output: Option<PathBuf>,

    /// Layer name (overrides layer.yaml).
    #[arg(long)]
    pub name: Option<String>,

    /// Layer description (overrides layer.yaml; at most 256 characters).
    #[arg(long)]
    pub description: Option<String>,

    /// Compatible runtime, e.g. python3.11 (repeatable or comma-separated). Runtimes
    /// layer.yaml declares: build only those; others replace its list.
    #[arg(long = "runtime", value_name = "RUNTIME", value_delimiter = ',')]
    pub runtimes: Vec<String>,

    /// Compatible architecture, x86_64 or arm64 (repeatable or comma-separated). One
    /// layer.yaml declares: build only that one, under the name a full build gives it.
    #[arg(long = "arch", value_name = "ARCH", value_enum, value_delimiter = ',')]
    pub architectures: Vec<Architecture>,

    /// License (overrides layer.yaml).
    #[arg(long)]
    pub license: Option<String>,

    /// The folder whose content goes under python/ (default: LAYER_DIR/python).
    #[arg(long, value_name = "DIR")]
    pub source: Option<PathBuf>,

    /// requirements.txt to install (default: LAYER_DIR/requirements.txt or LAYER_DIR/python/requirements.txt).
    #[arg(long, value_name = "FILE")]
    pub requirements: Option<PathBuf>,

    /// Constraints (a lock: pinned versions) for the install (default: LAYER_DIR/constraints.txt).
    #[arg(long, value_name = "FILE")]
    pub constraints: Option<PathBuf>,

    /// A lock to install instead of requirements.txt: uv.lock (with its
    /// pyproject.toml next to it) or a PEP 751 pylock.toml (default: either, in LAYER_DIR).
    #[arg(long, value_name = "FILE", conflicts_with = "requirements")]
    pub lock: Option<PathBuf>,

    /// Allow building this package from its source distribution when it has no
    /// wheel for the target (repeatable; `:all:` for every package; adds to
    /// layer.yaml's build_from_source). Its build code runs on this machine;
    /// only a pure-Python result is accepted.
    #[arg(long, value_name = "NAME")]
    pub build_from_source: Vec<String>,

    /// Which installer to use (default: uv when it runs, else pip).
    #[arg(long, value_enum)]
    pub installer: Option<InstallerKind>,

    /// Cache of installed dependency sets (default: $XDG_CACHE_HOME/layer-pack or ~/.cache/layer-pack).
    #[arg(long, value_name = "DIR", env = "LAYER_PACK_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Install into a temporary folder; neither read nor write the cache.
    #[arg(long, conflicts_with = "refresh")]
    pub no_cache: bool,

    /// Reinstall even when the cache has this dependency set (e.g. after a new release of an unpinned package).
    #[arg(long)]
    pub refresh: bool,

    /// Compression level, 0 (store) to 12 (libdeflate's best).
    #[arg(long, value_name = "0-12", default_value_t = DEFAULT_LEVEL,
          value_parser = clap::value_parser!(u8).range(0..=12), conflicts_with = "max")]
    pub level: u8,

    /// The smallest zip: libdeflate level 12 (several times slower).
    #[arg(long)]
    pub max: bool,

    /// Do not apply the default prune rules (see docs/layer-pack.md); .layerignore still applies.
    #[arg(long)]
    pub no_default_prune: bool,

    /// Prune rules in gitignore syntax, matched against paths relative to python/
    /// (default: LAYER_DIR/.layerignore). `!pattern` keeps what a default rule removes.
    #[arg(long, value_name = "FILE")]
    pub layerignore: Option<PathBuf>,

    /// Remove the bulky parts of *.dist-info (RECORD, INSTALLER, REQUESTED,
    /// direct_url.json), keeping METADATA, entry points and licenses.
    #[arg(long)]
    pub slim_dist_info: bool,

    /// Report native extensions that do not fit a declared runtime or architecture
    /// as warnings instead of errors (the zip is written).
    #[arg(long)]
    pub allow_incompatible: bool,

    /// Run `strip --strip-unneeded` on copies of the shared libraries before zipping.
    /// Risky: a library that looks up its own symbols at run time can break; test the layer.
    #[arg(long)]
    pub strip: bool,

    /// Do not prove the layer by importing it. The proof runs the packages' own
    /// code on this machine (with a minimal environment, no AWS credentials).
    #[arg(long)]
    pub no_import_check: bool,

    /// Seconds one module may take to import in the import proof before it counts as failed.
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub import_timeout: u64,

    /// Threads for verifying and compressing (default: all cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,

    #[command(flatten)]
    pub verbosity: Verbosity,
}

/// Run the tool.
pub fn run(args: Args) -> Result<()> {
    args.verbosity.init_logging();
    if let Some(jobs) = args.jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .build_global()
            .map_err(|err| Error::failed(format!("cannot start {jobs} threads: {err}")))?;
    }
    let layers = layer_dirs(&args)?;
    let inputs = input_records(&args, layers.len())?;
    let out_dir = prepare_out_dir(&args)?;

    // Every layer.yaml is read and every name checked before anything is installed.
    let overrides = overrides(&args);
    let mut specs = Vec::new();
    for (dir, record) in layers.iter().zip(inputs) {
        let version = stamped_version(&record)?;
        let spec = config::load(dir.as_deref(), &overrides, version.as_deref())?;
        specs.push((spec, record, version));
    }
    check_names(specs.iter().map(|(spec, _, _)| spec))?;

    // Build every layer up to its zips before keeping any: a bad second layer
    // leaves nothing behind from the first.
    let mut built = Vec::new();
    let mut seen_paths = BTreeSet::new();
    for (spec, record, version) in &specs {
        let packed = pack_layer(&args, spec, record, version.as_deref(), &out_dir)?;
        for build in &packed.builds {
            if !seen_paths.insert(build.destination.clone()) {
                return Err(Error::usage(format!(
                    "two layers would both be written to {}",
                    build.destination.display()
                ))
                .with_fix("give the layers different names"));
            }
        }
        built.push(packed);
    }
    let mut records = Vec::new();
    for packed in built {
        records.extend(packed.keep()?);
    }
    RecordWriter::stdout().write_all(&records)
}

fn overrides(args: &Args) -> Overrides {
    Overrides {
        name: args.name.clone(),
        description: args.description.clone(),
        runtimes: args.runtimes.clone(),
        architectures: args
            .architectures
            .iter()
            .map(|arch| arch.lambda_name().to_string())
            .collect(),
        license: args.license.clone(),
        source: args.source.clone(),
        requirements: args.requirements.clone(),
        constraints: args.constraints.clone(),
        lock: args.lock.clone(),
        build_from_source: args.build_from_source.clone(),
    }
}

/// No two layers of a run may be published under one name: every name a layer
/// may give (its own, and each architecture's build when it declares several)
/// belongs to one layer folder.
fn check_names<'a>(specs: impl Iterator<Item = &'a LayerSpec>) -> Result<()> {
    let mut owners: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for (index, spec) in specs.enumerate() {
        let folder = spec
            .dir
            .as_ref()
            .map_or("the command line".to_string(), |dir| {
                dir.display().to_string()
            });
        for name in spec.possible_names() {
            match owners.get(&name) {
                Some((owner, other)) if *owner != index => {
                    return Err(Error::input(format!(
                        "{other} and {folder} would both be published as the layer {name}"
                    ))
                    .with_fix(
                        "give the layers different names (`name:`, or `build_names:` for the \
                         builds of each architecture, in layer.yaml)",
                    ));
                }
                _ => {
                    owners.insert(name, (index, folder.clone()));
                }
            }
        }
    }
    Ok(())
}

/// The layer folders, or one flag-described layer (None).
fn layer_dirs(args: &Args) -> Result<Vec<Option<PathBuf>>> {
    if !args.layers.is_empty() {
        if args.layers.len() > 1 && (args.output.is_some() || args.name.is_some()) {
            return Err(Error::usage(
                "--output and --name apply to one layer, and several were given",
            )
            .with_fix("pack the layers one by one, or use --out-dir and the names in layer.yaml"));
        }
        return Ok(args.layers.iter().cloned().map(Some).collect());
    }
    if args.name.is_some()
        && !args.runtimes.is_empty()
        && (args.source.is_some() || args.requirements.is_some())
    {
        return Ok(vec![None]);
    }
    Err(Error::usage("no layer folder given").with_fix(
        "pass a layer folder (`layer-pack layers/common`), or describe the layer with \
         --name, --runtime and --source and/or --requirements",
    ))
}

/// The records to stamp, one per layer (a single record applies to all layers).
fn input_records(args: &Args, layers: usize) -> Result<Vec<Record>> {
    let input = Input::optional(args.input.as_deref(), args.no_input);
    let records = match input {
        Some(input) => layer_core::io::read_records(&input, &[LAYER_RECORD])?,
        None => Vec::new(),
    };
    match records.len() {
        0 => Ok(vec![Record::new(LAYER_RECORD); layers]),
        1 => Ok(vec![records[0].clone(); layers]),
        n if n == layers => Ok(records),
        n => Err(Error::input(format!(
            "{n} records came in for {layers} layer folder(s)"
        ))
        .with_fix("pipe one version record (stamped on every layer) or one per layer folder, in the same order")),
    }
}

fn prepare_out_dir(args: &Args) -> Result<PathBuf> {
    let dir = match &args.output {
        Some(path) => match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        },
        None => args.out_dir.clone(),
    };
    std::fs::create_dir_all(&dir)
        .map_err(|err| Error::io("create the output folder", &dir, err))?;
    dir.canonicalize()
        .map_err(|err| Error::io("open", &dir, err))
}

/// A zip written to a temporary file, and the record that describes it.
struct Packed {
    zip: zipper::WrittenZip,
    destination: PathBuf,
    record: Record,
}

impl Packed {
    /// Move the zip into place and return its record.
    fn keep(self) -> Result<Record> {
        // A temporary file is private (0600); the zip is a build output for others to read.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(self.zip.temp.path(), std::fs::Permissions::from_mode(0o644))
            .map_err(|err| Error::io("set permissions on", self.zip.temp.path(), err))?;
        self.zip
            .temp
            .persist(&self.destination)
            .map_err(|err| Error::io("write", &self.destination, err.error))?;
        tracing::info!("wrote {}", self.destination.display());
        Ok(self.record)
    }
}

/// Every build of one layer, and the installs behind them.
struct PackedLayer {
    builds: Vec<Packed>,
    /// Fresh dependency installs, stored in the cache only with the zips.
    installs: Option<builds::Installs>,
}

impl PackedLayer {
    /// Store the dependency installs in the cache, move the zips into place
    /// and return their records.
    fn keep(self) -> Result<Vec<Record>> {
        for installed in self
            .installs
            .into_iter()
            .flat_map(builds::Installs::into_installed)
        {
            if let Err(err) = installed.commit() {
                // The zips are good; only a later run's reuse is lost.
                tracing::warn!("the dependencies were not stored in the cache: {err}");
            }
        }
        self.builds.into_iter().map(Packed::keep).collect()
    }
}

/// Install a layer's dependencies for every target, decide its builds from
/// what was resolved, and pack each build.
fn pack_layer(
    args: &Args,
    spec: &LayerSpec,
    record: &Record,
    version: Option<&str>,
    out_dir: &Path,
) -> Result<PackedLayer> {
    let started = Instant::now();
    let installed = install_dependencies(args, spec)?;
    let install_ms = elapsed_ms(started);
    let plan = builds::plan(spec, installed.as_ref().map(|(_, installs)| installs));
    if plan.builds.len() > 1 && args.output.is_some() {
        return Err(Error::usage(format!(
            "--output names one zip, and {} gives {} builds ({})",
            spec.family_name(),
            plan.builds.len(),
            plan.builds
                .iter()
                .map(|b| b.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .with_fix("use --out-dir, or build one architecture with --arch"));
    }
    if plan.builds.len() > 1 {
        tracing::info!(
            "{}: the dependencies differ between the architectures: one build each ({})",
            spec.family_name(),
            plan.builds
                .iter()
                .map(|b| format!("{} for {}", b.name, joined(&b.architectures())))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut packed = Vec::new();
    for build in &plan.builds {
        let context = BuildContext {
            args,
            spec,
            plan: &plan,
            installed: installed.as_ref(),
            version,
            out_dir,
            started,
            install_ms,
        };
        packed.push(context.pack(build, record.clone())?);
    }
    Ok(PackedLayer {
        builds: packed,
        installs: installed.map(|(_, installs)| installs),
    })
}

/// What every build of a layer shares.
struct BuildContext<'a> {
    args: &'a Args,
    spec: &'a LayerSpec,
    plan: &'a builds::Plan,
    installed: Option<&'a (install::Installer, builds::Installs)>,
    version: Option<&'a str>,
    out_dir: &'a Path,
    started: Instant,
    install_ms: u64,
}

impl BuildContext<'_> {
    fn pack(&self, build: &builds::Build, mut record: Record) -> Result<Packed> {
        let args = self.args;
        let spec = self.spec;
        let name = &build.name;
        let mut timing = BTreeMap::new();
        timing.insert("install".to_string(), self.install_ms);

        let step = Instant::now();
        let layerignore = args.layerignore.clone().or_else(|| {
            spec.dir
                .as_ref()
                .map(|d| d.join(".layerignore"))
                .filter(|p| p.is_file())
        });
        let pruner = tree::Pruner::new(
            !args.no_default_prune,
            args.slim_dist_info,
            layerignore.as_deref(),
        )?;
        let (mut roots, installs) = self.dependency_roots(build);
        if let Some(library) = &spec.library {
            roots.push(tree::Root::python(library));
        }
        let mut tree = tree::collect(&roots, &pruner, &spec.exclude)?;
        timing.insert("collect".to_string(), elapsed_ms(step));

        let step = Instant::now();
        let pruning = imports::keep_imported(&mut tree)?.map(|kept| {
            if let Some(first) = kept.kept_back.first() {
                tracing::info!(
                    "{name}: kept {} file(s) a default prune rule matched, because kept code imports them (e.g. {}, imported by {})",
                    kept.kept_back.len(),
                    first.path,
                    first.imported_by
                );
            }
            Pruning {
                scanned_files: kept.scanned_files,
                kept_back: kept.kept_back,
                extra: Default::default(),
            }
        });
        timing.insert("scan".to_string(), elapsed_ms(step));
        let _stripped = if args.strip {
            Some(tree::strip_shared_libraries(&mut tree)?)
        } else {
            None
        };
        if tree.files.is_empty() {
            return Err(Error::input(format!(
                "layer {name} is empty: no files to pack{}",
                if tree.pruned_files() > 0 {
                    format!(" ({} were pruned)", tree.pruned_files())
                } else {
                    String::new()
                }
            ))
            .with_fix("put the library under python/ or list packages in requirements.txt"));
        }

        let step = Instant::now();
        let policy = verify::Policy {
            allow_incompatible: args.allow_incompatible,
        };
        let targets = &build.targets;
        let mut findings = verify::check_tree(&tree, targets, spec.dir.as_deref(), policy)?;
        timing.insert("verify".to_string(), elapsed_ms(step));
        refuse_errors(name, &findings)?;

        let step = Instant::now();
        let options = proof::Options {
            enabled: !args.no_import_check,
            timeout: std::time::Duration::from_secs(args.import_timeout),
            jobs: rayon::current_num_threads(),
            accepted_incompatible: accepted_incompatible(&findings),
        };
        let library_root = spec.library.as_ref().map(|_| roots.len() - 1);
        let cache = if args.no_cache {
            None
        } else {
            cache_dir(args).ok()
        };
        let (import_proof, proof_findings) =
            proof::prove(&tree, targets, library_root, cache.as_deref(), &options)?;
        findings.extend(proof_findings);
        timing.insert("import_proof".to_string(), elapsed_ms(step));
        refuse_errors(name, &findings)?;

        let step = Instant::now();
        let level = if args.max {
            zipper::MAX_LEVEL
        } else {
            args.level
        };
        let zip = zipper::write(&tree.files, self.out_dir, level)?;
        timing.insert("zip".to_string(), elapsed_ms(step));
        findings.push(verify::zipped_size(zip.zip_bytes));
        timing.insert("total".to_string(), elapsed_ms(self.started));

        let destination = match &args.output {
            Some(path) => self.out_dir.join(path.file_name().ok_or_else(|| {
                Error::usage(format!("--output {}: not a file name", path.display()))
            })?),
            None => self.out_dir.join(match self.version {
                Some(version) => format!("{name}-{version}.zip"),
                None => format!("{name}.zip"),
            }),
        };
        let (dependencies, site_packages) = match installs.len() {
            0 => (None, Vec::new()),
            1 if matches!(build.layout, builds::Layout::Shared(_)) => {
                (installs.into_iter().next(), Vec::new())
            }
            _ => (None, installs),
        };
        let artifact = Artifact {
            path: destination.to_string_lossy().into_owned(),
            zip_bytes: zip.zip_bytes,
            unzipped_bytes: tree.unzipped_bytes(),
            files: tree.files.len() as u64,
            sha256: hex(&zip.sha256),
            code_sha256: base64::engine::general_purpose::STANDARD.encode(zip.sha256),
            findings,
            pruned_bytes: tree.pruned_bytes(),
            pruned_files: tree.pruned_files(),
            compression_level: Some(level),
            dependencies,
            site_packages,
            pruning,
            import_proof,
            timing_ms: timing,
            extra: Default::default(),
        };
        tracing::info!(
            "{name}: {} files, {} bytes unzipped, {} bytes zipped, sha256 {}",
            artifact.files,
            artifact.unzipped_bytes,
            artifact.zip_bytes,
            artifact.sha256
        );
        for finding in artifact
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
        {
            tracing::warn!("{name}: {}", describe(finding));
        }
        let mut section = spec.section.clone();
        section.name = name.clone();
        section.compatible_runtimes = build.runtimes().into_iter().map(Into::into).collect();
        section.compatible_architectures = build.architectures();
        section.family = Some(self.plan.family_of(spec, build));
        record.set_section(names::LAYER, &section)?;
        record.set_section(names::ARTIFACT, &artifact)?;
        Ok(Packed {
            zip,
            destination,
            record,
        })
    }

    /// The folders of the build's dependencies and where each goes, and what
    /// the record says about each install.
    fn dependency_roots(&self, build: &builds::Build) -> (Vec<tree::Root<'_>>, Vec<Dependencies>) {
        let Some((installer, installs)) = self.installed else {
            return (Vec::new(), Vec::new());
        };
        let placed: Vec<(target::Target, String)> = match &build.layout {
            builds::Layout::NoDependencies => Vec::new(),
            builds::Layout::Shared(target) => vec![(*target, "python/".to_string())],
            builds::Layout::PerPython(targets) => targets
                .iter()
                .map(|&t| (t, tree::site_packages(&t.runtime.python_version())))
                .collect(),
        };
        placed
            .into_iter()
            .map(|(target, prefix)| {
                let installed = installs.installed(target);
                let described = Dependencies {
                    installer: installer.name().to_string(),
                    installer_version: installed.installer_version.clone(),
                    target: target.into(),
                    platform: install::platform_tag(target),
                    cache_key: installed.key.clone(),
                    cache_hit: installed.cache_hit,
                    not_cached: installed.not_cached.clone(),
                    lock: self.spec.lock.as_ref().map(config::Lock::file_name),
                    built_from_source: installed.built_from_source.clone(),
                    path: Some(prefix.clone()),
                    extra: Default::default(),
                };
                (
                    tree::Root {
                        dir: installed.dir.as_path(),
                        prefix,
                    },
                    described,
                )
            })
            .unzip()
    }
}

fn joined(items: &[impl std::fmt::Display]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `version.next` from a `layer-bump` record, checked to be a semantic version.
fn stamped_version(record: &Record) -> Result<Option<String>> {
    let Some(version) = record.section::<VersionSection>(names::VERSION)? else {
        return Ok(None);
    };
    semver::Version::parse(&version.next).map_err(|err| {
        Error::input(format!(
            "the version record's next version {:?} is not a semantic version: {err}",
            version.next
        ))
        .with_fix("pipe in the output of layer-bump, whose version.next is like 1.4.0")
    })?;
    Ok(Some(version.next))
}

/// The installs for every target, or None when the layer has nothing to install.
fn install_dependencies(
    args: &Args,
    spec: &LayerSpec,
) -> Result<Option<(install::Installer, builds::Installs)>> {
    if spec.lock.is_none() {
        let Some(requirements) = &spec.requirements else {
            return Ok(None);
        };
        if !install::has_requirements(requirements)? {
            return Ok(None);
        }
    }
    let where_ = spec
        .dir
        .as_ref()
        .map_or("the command line".to_string(), |dir| {
            dir.join("layer.yaml").display().to_string()
        });
    let allowed = sdist::Allowed::new(&spec.build_from_source, &where_)?;
    let installer = install::Installer::find(args.installer)?;
    let cache = if args.no_cache {
        None
    } else {
        Some(cache_dir(args)?)
    };
    let installs = builds::install_all(&installer, spec, &allowed, cache.as_deref(), args.refresh)?;
    Ok(Some((installer, installs)))
}

fn cache_dir(args: &Args) -> Result<PathBuf> {
    if let Some(dir) = &args.cache_dir {
        return Ok(dir.clone());
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")));
    base.map(|base| base.join("layer-pack")).ok_or_else(|| {
        Error::usage("no cache folder: neither XDG_CACHE_HOME nor HOME is set")
            .with_fix("pass --cache-dir DIR, or --no-cache")
    })
}

/// Targets that failed a native check the user accepted (`--allow-incompatible`):
/// their import failures are expected, and reported as warnings.
fn accepted_incompatible(findings: &[Finding]) -> BTreeSet<layer_core::platform::Target> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Warning && f.check.is_compatibility())
        .flat_map(|f| f.targets.iter().cloned())
        .collect()
}

/// Errors stop the build: print each, and exit 2 with nothing written.
fn refuse_errors(name: &str, findings: &[Finding]) -> Result<()> {
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    for finding in &errors {
        eprintln!("layer-pack: {name}: {}", describe(finding));
    }
    let incompatible = errors.iter().any(|f| f.check.is_compatibility());
    let import = errors.iter().any(|f| f.check == Check::Import);
    let fix = if incompatible {
        "list native dependencies in requirements.txt (layer-pack installs them for every declared \
         runtime and architecture) rather than vendoring them into python/, or declare only what \
         the layer supports; --allow-incompatible writes the zip anyway with these as warnings"
    } else if import {
        "add the missing package to the requirements, keep the module the layer needs (a \
         .layerignore rule may remove it), or fix the import; --no-import-check skips the proof"
    } else {
        "fix the layer folder as described above"
    };
    Err(Error::input(format!(
        "layer {name}: {} check(s) failed, no zip written (first: {})",
        errors.len(),
        describe(errors[0])
    ))
    .with_fix(fix))
}

fn describe(finding: &Finding) -> String {
    let targets = if finding.targets.is_empty() {
        String::new()
    } else {
        let targets: Vec<String> = finding.targets.iter().map(ToString::to_string).collect();
        format!(" [{}]", targets.join(", "))
    };
    match &finding.path {
        Some(path) => format!("{}: {path}: {}{targets}", finding.check, finding.message),
        None => format!("{}: {}{targets}", finding.check, finding.message),
    }
}

fn elapsed_ms(since: Instant) -> u64 {
    since.elapsed().as_millis() as u64
}

pub(crate) use layer_core::hex::encode as hex;
