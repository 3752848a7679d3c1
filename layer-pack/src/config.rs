//! A layer folder: `layer.yaml`, the library under `python/`, `requirements.txt`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use layer_core::arn::validate_layer_name;
use layer_core::sections::{LayerSection, RetentionPolicy};
use layer_core::{Context, Error, Result};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::target::{Architecture, PythonRuntime, Target};

/// Lambda's limit on a layer's description.
const MAX_DESCRIPTION_CHARS: usize = 256;

/// `layer.yaml`, as written by people. Unknown keys are refused, so that a
/// typo (`compatible_runtime:`) is not silently ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LayerYaml {
    name: Option<String>,
    description: Option<String>,
    #[serde(default)]
    compatible_runtimes: Vec<String>,
    #[serde(default)]
    compatible_architectures: Vec<String>,
    license: Option<String>,
    retention_policy: Option<RetentionYaml>,
    #[serde(default)]
    metadata: BTreeMap<String, Value>,
    /// Packages that may be built from their source distribution (`:all:` for every one).
    #[serde(default)]
    build_from_source: Vec<String>,
    /// The layer name of each architecture's build, when the layer gives one
    /// build per architecture (`arm64: makoto-common-graviton`).
    #[serde(default)]
    build_names: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetentionYaml {
    versions_to_keep: Option<u32>,
    delete_older_than_days: Option<u32>,
}

/// Values given on the command line, which win over `layer.yaml`.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub name: Option<String>,
    pub description: Option<String>,
    pub runtimes: Vec<String>,
    pub architectures: Vec<String>,
    pub license: Option<String>,
    pub source: Option<PathBuf>,
    pub requirements: Option<PathBuf>,
    pub constraints: Option<PathBuf>,
    pub lock: Option<PathBuf>,
    /// Added to layer.yaml's `build_from_source`.
    pub build_from_source: Vec<String>,
}

/// A lock the dependencies come from, instead of requirements.txt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lock {
    /// `uv.lock` and the `pyproject.toml` next to it, exported with `uv export --frozen`.
    Uv { lock: PathBuf, project: PathBuf },
    /// A PEP 751 lock (`pylock.toml`, `pylock.NAME.toml`), installed by uv.
    Pylock(PathBuf),
}

impl Lock {
    /// `uv.lock` or `pylock.toml`, as the record names it.
    pub fn file_name(&self) -> String {
        let path = match self {
            Lock::Uv { lock, .. } => lock,
            Lock::Pylock(path) => path,
        };
        path.file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// What a lock file is, by its name; with `uv.lock`, its project must be next to it.
    fn from_path(path: &Path, flag: &str) -> Result<Self> {
        if !path.is_file() {
            return Err(
                Error::input(format!("{flag} {}: no such file", path.display()))
                    .with_fix("check the path"),
            );
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name == "uv.lock" {
            let project = path.with_file_name("pyproject.toml");
            if !project.is_file() {
                return Err(Error::input(format!(
                    "{} has no pyproject.toml next to it",
                    path.display()
                ))
                .with_fix("a uv.lock belongs to the pyproject.toml it was made from: keep them in one folder"));
            }
            return Ok(Lock::Uv {
                lock: path.to_path_buf(),
                project,
            });
        }
        if name == "pylock.toml" || (name.starts_with("pylock.") && name.ends_with(".toml")) {
            return Ok(Lock::Pylock(path.to_path_buf()));
        }
        Err(Error::input(format!(
            "{flag} {}: not a lock layer-pack reads",
            path.display()
        ))
        .with_fix("pass a uv.lock (with its pyproject.toml next to it) or a PEP 751 pylock.toml; requirements files go to --requirements"))
    }
}

/// Everything `layer-pack` needs to know about one layer.
#[derive(Debug, Clone)]
pub struct LayerSpec {
    /// The layer folder (absent when everything came from flags).
    pub dir: Option<PathBuf>,
    /// The layer as `layer.yaml` and the flags describe it; each build's record
    /// gets a copy with its own name, architectures and family.
    pub section: LayerSection,
    /// What this run builds: the declaration, or the part of it `--runtime` /
    /// `--arch` chose.
    pub runtimes: Vec<PythonRuntime>,
    pub architectures: Vec<Architecture>,
    /// What `layer.yaml` declares (the flags, when they ask for more than it
    /// declares or there is no layer.yaml): the builds and their names come
    /// from this, so that a narrowed run builds the same layer as a full one.
    pub declared_runtimes: Vec<PythonRuntime>,
    pub declared_architectures: Vec<Architecture>,
    /// `build_names` of layer.yaml: the layer name of an architecture's build.
    pub build_names: BTreeMap<Architecture, String>,
    /// The folder whose content goes under `python/` in the zip.
    pub library: Option<PathBuf>,
    pub requirements: Option<PathBuf>,
    pub constraints: Option<PathBuf>,
    pub lock: Option<Lock>,
    /// Packages that may be built from source: layer.yaml's list and the flags'.
    pub build_from_source: Vec<String>,
    /// Files that are part of the layer folder but never of the zip.
    pub exclude: Vec<PathBuf>,
}

impl LayerSpec {
    /// Every runtime on every architecture the layer declares.
    pub fn targets(&self) -> Vec<Target> {
        self.runtimes
            .iter()
            .flat_map(|&runtime| {
                self.architectures
                    .iter()
                    .map(move |&arch| Target { runtime, arch })
            })
            .collect()
    }

    /// The targets whose dependencies are resolved: every chosen runtime on
    /// every declared architecture. The other architecture's resolution decides
    /// whether the layer needs one build per architecture (and so its name),
    /// also when `--arch` builds only one of them.
    pub fn resolve_targets(&self) -> Vec<Target> {
        self.runtimes
            .iter()
            .flat_map(|&runtime| {
                self.declared_architectures
                    .iter()
                    .map(move |&arch| Target { runtime, arch })
            })
            .collect()
    }

    /// The family: the layer's name, shared by its builds.
    pub fn family_name(&self) -> &str {
        &self.section.name
    }

    /// The layer name of an architecture's build, when the layer gives one build
    /// per architecture: `build_names` of layer.yaml, else the family's name for
    /// x86_64 (Lambda's default architecture, which every layer from before
    /// arm64 was built for: its users keep their layer) and `NAME-arm64` for arm64.
    pub fn build_name(&self, arch: Architecture) -> String {
        if let Some(name) = self.build_names.get(&arch) {
            return name.clone();
        }
        match arch {
            Architecture::X86_64 => self.family_name().to_string(),
            Architecture::Arm64 => format!("{}-arm64", self.family_name()),
        }
    }

    /// Every layer name this layer may be published under: the family's, and
    /// each declared architecture's build name when it declares several.
    pub fn possible_names(&self) -> Vec<String> {
        let mut names = vec![self.family_name().to_string()];
        if self.declared_architectures.len() > 1 {
            for &arch in &self.declared_architectures {
                let name = self.build_name(arch);
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }
}

/// Read a layer folder (or, with `dir` = None, only the flags).
/// `version` is the stamped version, offered to `${LAYER_VERSION}` in metadata.
pub fn load(dir: Option<&Path>, overrides: &Overrides, version: Option<&str>) -> Result<LayerSpec> {
    let yaml = match dir {
        Some(dir) => read_layer_yaml(dir, overrides)?,
        None => None,
    };
    let yaml = yaml.unwrap_or(LayerYaml {
        name: None,
        description: None,
        compatible_runtimes: Vec::new(),
        compatible_architectures: Vec::new(),
        license: None,
        retention_policy: None,
        metadata: BTreeMap::new(),
        build_from_source: Vec::new(),
        build_names: BTreeMap::new(),
    });
    let where_ = dir.map_or("the command line".to_string(), |dir| {
        dir.join("layer.yaml").display().to_string()
    });

    let name = overrides.name.clone().or(yaml.name).ok_or_else(|| {
        Error::input(format!("{where_}: the layer has no name"))
            .with_fix("add `name: my-layer` to layer.yaml, or pass --name")
    })?;
    validate_layer_name(&name).context(&where_)?;

    let parse_runtimes = |names: &[String]| -> Result<Vec<PythonRuntime>> {
        Ok(dedup(
            names
                .iter()
                .map(|text| PythonRuntime::parse(text).context(&where_))
                .collect::<Result<Vec<_>>>()?,
        ))
    };
    let parse_architectures = |names: &[String]| -> Result<Vec<Architecture>> {
        Ok(dedup(
            names
                .iter()
                .map(|text| Architecture::parse(text).context(&where_))
                .collect::<Result<Vec<_>>>()?,
        ))
    };
    let (runtimes, declared_runtimes) = chosen_and_declared(
        parse_runtimes(&overrides.runtimes)?,
        parse_runtimes(&yaml.compatible_runtimes)?,
    );
    if runtimes.is_empty() {
        return Err(
            Error::input(format!("{where_}: no compatible runtimes")).with_fix(
                "list them in layer.yaml (`compatible_runtimes: [python3.11]`) or pass --runtime",
            ),
        );
    }
    let yaml_architectures = match parse_architectures(&yaml.compatible_architectures)? {
        none if none.is_empty() => vec![Architecture::X86_64],
        declared => declared,
    };
    let (architectures, declared_architectures) = chosen_and_declared(
        parse_architectures(&overrides.architectures)?,
        yaml_architectures,
    );

    let description = overrides.description.clone().or(yaml.description);
    if let Some(text) = &description
        && text.chars().count() > MAX_DESCRIPTION_CHARS
    {
        return Err(Error::input(format!(
            "{where_}: the description has {} characters; Lambda allows {MAX_DESCRIPTION_CHARS}",
            text.chars().count()
        ))
        .with_fix("shorten it; put longer notes in metadata or the README"));
    }

    let metadata = yaml
        .metadata
        .into_iter()
        .map(|(key, value)| {
            let text = metadata_text(&key, value, &where_)?;
            let text =
                substitute_env(&text, version).context(format!("{where_}: metadata.{key}"))?;
            Ok((key, text))
        })
        .collect::<Result<BTreeMap<_, _>>>()?;

    let section = LayerSection {
        name,
        version: version.map(str::to_string),
        description,
        compatible_runtimes: runtimes.iter().map(|&r| r.into()).collect(),
        compatible_architectures: architectures.clone(),
        license: overrides.license.clone().or(yaml.license),
        retention_policy: yaml.retention_policy.map(|policy| RetentionPolicy {
            versions_to_keep: policy.versions_to_keep,
            delete_older_than_days: policy.delete_older_than_days,
        }),
        metadata,
        family: None,
        extra: Map::new(),
    };
    check_retention(section.retention_policy.as_ref(), &where_)?;

    let build_names = build_names(yaml.build_names, &declared_architectures, &where_)?;
    let located = locate_files(dir, overrides)?;
    let mut build_from_source = yaml.build_from_source;
    build_from_source.extend(overrides.build_from_source.iter().cloned());
    let spec = LayerSpec {
        dir: dir.map(Path::to_path_buf),
        section,
        runtimes,
        architectures,
        declared_runtimes,
        declared_architectures,
        build_names,
        library: located.library,
        requirements: located.requirements,
        constraints: located.constraints,
        lock: located.lock,
        build_from_source,
        exclude: located.exclude,
    };
    check_build_names(&spec, &where_)?;
    Ok(spec)
}

/// What to build and what the layer declares: the flags choose part of the
/// declaration (`--arch arm64` of `[x86_64, arm64]`); flags that ask for more
/// than it declares replace it, as every flag overrides layer.yaml.
fn chosen_and_declared<T: PartialEq + Clone>(flags: Vec<T>, yaml: Vec<T>) -> (Vec<T>, Vec<T>) {
    if flags.is_empty() {
        return (yaml.clone(), yaml);
    }
    if flags.iter().all(|item| yaml.contains(item)) {
        return (flags, yaml);
    }
    (flags.clone(), flags)
}

/// `build_names:` of layer.yaml: an architecture the layer declares, and a valid layer name.
fn build_names(
    yaml: BTreeMap<String, String>,
    declared: &[Architecture],
    where_: &str,
) -> Result<BTreeMap<Architecture, String>> {
    let mut names = BTreeMap::new();
    for (arch, name) in yaml {
        let arch = Architecture::parse(&arch).context(format!("{where_}: build_names"))?;
        if !declared.contains(&arch) {
            return Err(Error::input(format!(
                "{where_}: build_names names a build for {arch}, which the layer does not declare"
            ))
            .with_fix(format!(
                "add {arch} to compatible_architectures, or remove build_names.{arch}"
            )));
        }
        validate_layer_name(&name).context(format!("{where_}: build_names.{arch}"))?;
        names.insert(arch, name);
    }
    Ok(names)
}

/// Every name the layer may be published under is a valid layer name, and two
/// builds never share one.
fn check_build_names(spec: &LayerSpec, where_: &str) -> Result<()> {
    if spec.declared_architectures.len() < 2 {
        return Ok(());
    }
    let mut seen: BTreeMap<String, Architecture> = BTreeMap::new();
    for &arch in &spec.declared_architectures {
        let name = spec.build_name(arch);
        validate_layer_name(&name).context(format!(
            "{where_}: the {arch} build's name (build_names.{arch}, or the layer's name and -{arch})"
        ))?;
        if let Some(other) = seen.insert(name.clone(), arch) {
            return Err(Error::input(format!(
                "{where_}: the {other} and {arch} builds would both be named {name}"
            ))
            .with_fix("give each architecture its own name in build_names"));
        }
    }
    Ok(())
}

fn read_layer_yaml(dir: &Path, overrides: &Overrides) -> Result<Option<LayerYaml>> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(Error::input(format!("{} is not a folder", dir.display()))
                .with_fix("pass a layer folder (the one holding layer.yaml and python/)"));
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Err(
                Error::input(format!("layer folder {} does not exist", dir.display()))
                    .with_fix("check the path; a layer folder holds layer.yaml and python/"),
            );
        }
        Err(err) => return Err(Error::io("open", dir, err)),
    }
    let path = dir.join("layer.yaml");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            if overrides.name.is_some() && !overrides.runtimes.is_empty() {
                return Ok(None);
            }
            return Err(
                Error::input(format!("{} is missing", path.display())).with_fix(
                    "write a layer.yaml with at least `name:` and `compatible_runtimes:`, \
                 or pass --name and --runtime",
                ),
            );
        }
        Err(err) => return Err(Error::io("read", &path, err)),
    };
    serde_saphyr::from_str::<LayerYaml>(&text)
        .map(Some)
        .map_err(|err| {
            Error::input(format!("{} is not valid: {err}", path.display())).with_fix(
                "layer.yaml takes name, description, compatible_runtimes, \
                 compatible_architectures, build_names, license, retention_policy, metadata \
                 and build_from_source",
            )
        })
}

/// The files of a layer folder that decide its content.
struct Located {
    library: Option<PathBuf>,
    requirements: Option<PathBuf>,
    constraints: Option<PathBuf>,
    lock: Option<Lock>,
    exclude: Vec<PathBuf>,
}

/// The library folder, the dependencies (requirements and constraints, or a
/// lock) : flags first, then the guide's layout (`requirements.txt` next to
/// layer.yaml or inside `python/`; `uv.lock` with `pyproject.toml`; `pylock.toml`).
fn locate_files(dir: Option<&Path>, overrides: &Overrides) -> Result<Located> {
    let existing = |path: PathBuf| path.exists().then_some(path);
    let library = match (&overrides.source, dir) {
        (Some(source), _) => Some(must_be_dir(source, "--source")?),
        (None, Some(dir)) => existing(dir.join("python")),
        (None, None) => None,
    };
    let mut requirements = match (&overrides.requirements, dir) {
        (Some(path), _) => Some(must_be_file(path, "--requirements")?),
        (None, Some(dir)) if overrides.lock.is_none() => existing(dir.join("requirements.txt"))
            .or_else(|| existing(dir.join("python/requirements.txt"))),
        (None, _) => None,
    };
    let lock = match (&overrides.lock, dir) {
        (Some(path), _) => Some(Lock::from_path(path, "--lock")?),
        (None, Some(dir)) if overrides.requirements.is_none() => found_lock(dir)?,
        (None, _) => None,
    };
    if let (Some(found), Some(dir)) = (&lock, dir)
        && overrides.lock.is_none()
        && let Some(listed) = requirements.take()
    {
        return Err(Error::input(format!(
            "{} has both {} and {}: which are the layer's dependencies?",
            dir.display(),
            listed.strip_prefix(dir).unwrap_or(&listed).display(),
            found.file_name()
        ))
        .with_fix("remove one, or choose with --requirements FILE or --lock FILE"));
    }
    let constraints = match (&overrides.constraints, dir) {
        (Some(path), _) => Some(must_be_file(path, "--constraints")?),
        (None, Some(dir)) => existing(dir.join("constraints.txt")),
        (None, None) => None,
    };
    // Build inputs that sit inside the library folder are not part of the layer.
    let mut exclude: Vec<PathBuf> = [&requirements, &constraints]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    match &lock {
        Some(Lock::Uv { lock, project }) => exclude.extend([lock.clone(), project.clone()]),
        Some(Lock::Pylock(path)) => exclude.push(path.clone()),
        None => {}
    }
    Ok(Located {
        library,
        requirements,
        constraints,
        lock,
        exclude,
    })
}

/// A lock in the layer folder: `uv.lock` (with `pyproject.toml`) or `pylock.toml`.
fn found_lock(dir: &Path) -> Result<Option<Lock>> {
    let uv = dir.join("uv.lock");
    let pylock = dir.join("pylock.toml");
    match (uv.is_file(), pylock.is_file()) {
        (true, true) => Err(Error::input(format!(
            "{} has both uv.lock and pylock.toml: which is the layer's lock?",
            dir.display()
        ))
        .with_fix("remove one, or choose with --lock FILE")),
        (true, false) => Lock::from_path(&uv, "uv.lock").map(Some),
        (false, true) => Lock::from_path(&pylock, "pylock.toml").map(Some),
        (false, false) => Ok(None),
    }
}

fn must_be_dir(path: &Path, flag: &str) -> Result<PathBuf> {
    if path.is_dir() {
        Ok(path.to_path_buf())
    } else {
        Err(
            Error::input(format!("{flag} {}: no such folder", path.display()))
                .with_fix("pass the folder whose content goes under python/ in the zip"),
        )
    }
}

fn must_be_file(path: &Path, flag: &str) -> Result<PathBuf> {
    if path.is_file() {
        Ok(path.to_path_buf())
    } else {
        Err(
            Error::input(format!("{flag} {}: no such file", path.display()))
                .with_fix("check the path"),
        )
    }
}

fn check_retention(policy: Option<&RetentionPolicy>, where_: &str) -> Result<()> {
    let Some(policy) = policy else { return Ok(()) };
    if policy.versions_to_keep == Some(0) || policy.delete_older_than_days == Some(0) {
        return Err(Error::input(format!(
            "{where_}: retention_policy values must be at least 1"
        ))
        .with_fix("remove the key to keep every version"));
    }
    Ok(())
}

fn metadata_text(key: &str, value: Value, where_: &str) -> Result<String> {
    match value {
        Value::String(text) => Ok(text),
        Value::Number(number) => Ok(number.to_string()),
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::Null => Ok(String::new()),
        Value::Array(_) | Value::Object(_) => Err(Error::input(format!(
            "{where_}: metadata.{key} must be a single value, not a list or a map"
        ))
        .with_fix("metadata holds flat key: value pairs")),
    }
}

/// Replace `${VAR}` and `${VAR:-default}` with the environment's values;
/// `$$` is a literal `$`. `${LAYER_VERSION}` falls back to the stamped version.
/// An unset variable without a default is an error, not an empty string.
pub fn substitute_env(text: &str, version: Option<&str>) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("$$") {
            out.push('$');
            rest = after;
        } else if let Some(after) = rest.strip_prefix("${") {
            let end = after.find('}').ok_or_else(|| {
                Error::input(format!("unclosed ${{ in {text:?}"))
                    .with_fix("write ${NAME}, or $$ for a literal $")
            })?;
            let (name, default) = match after[..end].split_once(":-") {
                Some((name, default)) => (name, Some(default)),
                None => (&after[..end], None),
            };
            let value = std::env::var(name)
                .ok()
                .or_else(|| {
                    (name == "LAYER_VERSION")
                        .then(|| version.map(str::to_string))
                        .flatten()
                })
                .or_else(|| default.map(str::to_string))
                .ok_or_else(|| {
                    Error::input(format!("${{{name}}} is not set in the environment"))
                        .with_fix(format!("export {name}=..., or write ${{{name}:-default}}"))
                })?;
            out.push_str(&value);
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitutes_defaults_escapes_and_the_stamped_version() {
        assert_eq!(substitute_env("a $$ b", None).unwrap(), "a $ b");
        assert_eq!(
            substitute_env("${LAYER_PACK_SURELY_UNSET:-dev}-x", None).unwrap(),
            "dev-x"
        );
        assert_eq!(
            substitute_env("v${LAYER_VERSION}", Some("1.2.3")).unwrap(),
            "v1.2.3"
        );
        let err = substitute_env("${LAYER_PACK_SURELY_UNSET}", None).unwrap_err();
        assert!(err.to_string().contains("LAYER_PACK_SURELY_UNSET"), "{err}");
        assert!(substitute_env("${OOPS", None).is_err());
    }
}
