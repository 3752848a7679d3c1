//! Turning the input into publish jobs, and every check that needs no AWS call:
//! a record or a zip that fails here stops the run before anything is written.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;
use layer_core::arn::validate_layer_name;
use layer_core::io::{Input, read_records};
use layer_core::platform::{Architecture, Runtime};
use layer_core::record::LAYER_RECORD;
use layer_core::sections::{Artifact, LayerSection, RetentionPolicy, Severity, names};
use layer_core::{Context, Error, Record, Result};
use sha2::{Digest, Sha256};

use crate::description::{DESCRIPTION_LIMIT, describe};
use crate::{Args, REQUEST_LIMIT, REQUEST_MARGIN, UNZIPPED_LIMIT, grants};

/// One layer to publish (in every region).
#[derive(Debug, Clone)]
pub struct Job {
    /// The input record; the output is this plus `published`.
    pub record: Record,
    pub name: String,
    /// The semantic version from the record, if any.
    pub version: Option<String>,
    pub description: String,
    pub license: Option<String>,
    pub runtimes: Vec<Runtime>,
    pub architectures: Vec<Architecture>,
    pub zip_path: PathBuf,
    pub zip_bytes: u64,
    pub sha256_hex: String,
    /// Base64 SHA-256: what AWS reports as CodeSha256.
    pub code_sha256: String,
    pub via_s3: bool,
    pub retention: Option<RetentionPolicy>,
}

impl Job {
    /// How messages name this job.
    pub fn label(&self) -> String {
        match &self.version {
            Some(version) => format!("{} {version}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Read the input and check every job; no AWS call is made.
pub fn prepare(args: &Args) -> Result<Vec<Job>> {
    grants::validate(&args.grants)?;
    check_flags(args)?;
    let records = match &args.input {
        Some(path) if path != Path::new("-") && is_zip(path)? => {
            vec![standalone_record(args, path)?]
        }
        other => read_records(&Input::required(other.as_deref())?, &[LAYER_RECORD])?,
    };
    if args.layer.name.is_some() {
        one_layer_for_name(&records)?;
    }
    records
        .into_iter()
        .enumerate()
        .map(|(index, record)| job_for(args, record).context(format!("record {}", index + 1)))
        .collect()
}

/// `--name` renames one layer. Records of several layers (the builds of one
/// family are layers of their own, `makoto-common` and `makoto-common-arm64`)
/// would all be published under the one name, mixing their content.
fn one_layer_for_name(records: &[Record]) -> Result<()> {
    let mut names = std::collections::BTreeSet::new();
    for record in records {
        if let Some(layer) = record.section::<LayerSection>(names::LAYER)? {
            names.insert(layer.name);
        }
    }
    if names.len() > 1 {
        return Err(Error::usage(format!(
            "--name names one layer, and the input holds {}: {}",
            names.len(),
            names.into_iter().collect::<Vec<_>>().join(", ")
        ))
        .with_fix(
            "drop --name (each record is published under its own layer name), or publish the records one at a time",
        ));
    }
    Ok(())
}

fn check_flags(args: &Args) -> Result<()> {
    args.aws.estate.check()?;
    if let Some(template) = &args.ssm_parameter {
        crate::ssm::validate_template(template)?;
    }
    if let Some(name) = &args.layer.name {
        validate_layer_name(name).context("--name")?;
    }
    if let Some(text) = &args.layer.description
        && text.chars().count() > DESCRIPTION_LIMIT
    {
        return Err(Error::usage(format!(
            "--description is {} characters; Lambda allows at most {DESCRIPTION_LIMIT}",
            text.chars().count()
        ))
        .with_fix(
            "shorten it, or leave it out to get the layer's description with version and hash",
        ));
    }
    validate_runtimes(&args.layer.runtimes)?;
    if let Some(bucket) = &args.upload.s3_bucket {
        validate_bucket(bucket)?;
    }
    Ok(())
}

/// Does the file start like a zip (local file header, or an empty archive)?
fn is_zip(path: &Path) -> Result<bool> {
    let mut head = [0u8; 4];
    let mut file = File::open(path).map_err(|err| Error::io("open", path, err))?;
    let read = file
        .read(&mut head)
        .map_err(|err| Error::io("read", path, err))?;
    Ok(read == 4 && (head == *b"PK\x03\x04" || head == *b"PK\x05\x06"))
}

/// `layer-publish --name NAME layer.zip`: the record layer-pack would have written.
fn standalone_record(args: &Args, path: &Path) -> Result<Record> {
    let Some(name) = &args.layer.name else {
        return Err(Error::usage(format!(
            "{} is a zip, and publishing a zip needs a layer name",
            path.display()
        ))
        .with_fix("pass --name NAME"));
    };
    let (zip_bytes, sha256_hex, code_sha256) = hash_file(path)?;
    let (unzipped_bytes, files) = zip_contents(path)?;
    let mut record = Record::new(LAYER_RECORD);
    let layer = LayerSection {
        name: name.clone(),
        compatible_runtimes: args.layer.runtimes.clone(),
        compatible_architectures: args.layer.architectures.clone(),
        license: args.layer.license.clone(),
        ..LayerSection::default()
    };
    let artifact = Artifact {
        path: path.display().to_string(),
        zip_bytes,
        unzipped_bytes,
        files,
        sha256: sha256_hex,
        code_sha256,
        ..Artifact::default()
    };
    record.set_section(names::LAYER, &layer)?;
    record.set_section(names::ARTIFACT, &artifact)?;
    Ok(record)
}

fn job_for(args: &Args, record: Record) -> Result<Job> {
    let layer: LayerSection = record.require_section(names::LAYER, "layer-pack")?;
    let artifact: Artifact = record.require_section(names::ARTIFACT, "layer-pack")?;
    let name = args
        .layer
        .name
        .clone()
        .unwrap_or_else(|| layer.name.clone());
    validate_layer_name(&name)?;
    if let Some(version) = &layer.version {
        validate_version(version)?;
    }
    let runtimes = pick(&args.layer.runtimes, &layer.compatible_runtimes);
    let architectures = pick(&args.layer.architectures, &layer.compatible_architectures);
    validate_runtimes(&runtimes)?;
    check_limits(&artifact)?;
    if !args.layer.ignore_findings {
        refuse_error_findings(&artifact)?;
    }
    let zip_path = PathBuf::from(&artifact.path);
    check_zip(&zip_path, &artifact)?;
    // The record's sizes are whatever the producing stage wrote: check the zip's own.
    let (unzipped_bytes, _) = zip_contents(&zip_path)?;
    check_limits(&Artifact {
        unzipped_bytes: unzipped_bytes.max(artifact.unzipped_bytes),
        ..artifact.clone()
    })?;
    let description = match &args.layer.description {
        Some(text) => text.clone(),
        None => describe(
            layer.description.as_deref(),
            layer.version.as_deref(),
            &artifact.sha256,
        ),
    };
    let license = args
        .layer
        .license
        .clone()
        .or(layer.license.clone())
        .filter(|license| !license.is_empty());
    let request_bytes = inline_request_bytes(
        artifact.zip_bytes,
        &description,
        license.as_deref(),
        &runtimes,
        &architectures,
    );
    let too_large = request_bytes > REQUEST_LIMIT - REQUEST_MARGIN;
    let chosen = args
        .upload
        .s3_threshold
        .is_some_and(|threshold| artifact.zip_bytes >= threshold);
    let via_s3 = too_large || chosen;
    if via_s3 && args.upload.s3_bucket.is_none() {
        let why = if too_large {
            format!(
                "sent inline, its request would be {request_bytes} bytes (the zip in base64, in JSON), \
                 over Lambda's limit of {REQUEST_LIMIT} bytes less a safety margin of {REQUEST_MARGIN}: \
                 it can only go through S3"
            )
        } else {
            format!(
                "--s3-threshold sends zips of {} bytes or more through S3",
                args.upload.s3_threshold.unwrap_or_default()
            )
        };
        return Err(Error::input(format!(
            "{} is {} bytes; {why}",
            artifact.path, artifact.zip_bytes
        ))
        .with_fix(
            "pass --s3-bucket BUCKET (a bucket in the layer's region); nothing was uploaded",
        ));
    }
    let retention = retention_policy(args, layer.retention_policy);
    Ok(Job {
        name,
        version: layer.version.clone(),
        description,
        license,
        runtimes,
        architectures,
        zip_path,
        zip_bytes: artifact.zip_bytes,
        sha256_hex: artifact.sha256.clone(),
        code_sha256: artifact.code_sha256.clone(),
        via_s3,
        retention,
        record,
    })
}

/// The size of a PublishLayerVersion request with the zip inline: its base64
/// (4 bytes for every 3, padded) inside the JSON body with the other fields
/// (the layer name travels in the path).
pub fn inline_request_bytes(
    zip_bytes: u64,
    description: &str,
    license: Option<&str>,
    runtimes: &[Runtime],
    architectures: &[Architecture],
) -> u64 {
    let base64 = zip_bytes.div_ceil(3) * 4;
    let body = serde_json::json!({
        "CompatibleArchitectures": architectures,
        "CompatibleRuntimes": runtimes,
        "Content": { "ZipFile": "" },
        "Description": description,
        "LicenseInfo": license,
    });
    base64 + serde_json::to_vec(&body).map_or(0, |bytes| bytes.len() as u64)
}

/// The flags' policy when either flag is given, else the record's.
pub fn retention_policy(
    args: &Args,
    from_record: Option<RetentionPolicy>,
) -> Option<RetentionPolicy> {
    args.retention.policy().or_else(|| {
        from_record.filter(|p| p.versions_to_keep.is_some() || p.delete_older_than_days.is_some())
    })
}

fn pick<T: Ord + Clone>(flag: &[T], record: &[T]) -> Vec<T> {
    let mut values = if flag.is_empty() {
        record.to_vec()
    } else {
        flag.to_vec()
    };
    values.sort();
    values.dedup();
    values
}

/// layer-pack reports what its checks found; a finding of severity `error`
/// means the layer would fail at runtime, so it is not published by default.
fn refuse_error_findings(artifact: &Artifact) -> Result<()> {
    let errors: Vec<String> = artifact
        .findings
        .iter()
        .filter(|finding| finding.severity == Severity::Error)
        .map(|finding| format!("{}: {}", finding.check, finding.message))
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    Err(Error::input(format!(
        "layer-pack found {} error(s) in {}: {}",
        errors.len(),
        artifact.path,
        errors.join("; ")
    ))
    .with_fix("fix the layer and pack it again, or pass --ignore-findings to publish it anyway"))
}

fn check_limits(artifact: &Artifact) -> Result<()> {
    if artifact.unzipped_bytes > UNZIPPED_LIMIT {
        return Err(Error::input(format!(
            "{} unzips to {} bytes, {} bytes over Lambda's limit of {UNZIPPED_LIMIT} (function and all its layers together)",
            artifact.path,
            artifact.unzipped_bytes,
            artifact.unzipped_bytes - UNZIPPED_LIMIT
        ))
        .with_fix("make the layer smaller (fewer dependencies, prune tests and docs), or split it into several layers"));
    }
    Ok(())
}

/// The zip must be the one that was packed: same size, same sha256.
fn check_zip(path: &Path, artifact: &Artifact) -> Result<()> {
    if !path.is_file() {
        return Err(
            Error::input(format!("the zip {} does not exist", path.display())).with_fix(
                "run layer-pack again, or run layer-publish from the directory layer-pack ran in",
            ),
        );
    }
    let (bytes, sha256_hex, code_sha256) = hash_file(path)?;
    if sha256_hex != artifact.sha256.to_ascii_lowercase() || bytes != artifact.zip_bytes {
        return Err(Error::input(format!(
            "{} changed after it was packed: its sha256 is {sha256_hex} ({bytes} bytes), the record says {} ({} bytes)",
            path.display(),
            artifact.sha256,
            artifact.zip_bytes
        ))
        .with_fix("run layer-pack again so that the record describes the zip"));
    }
    if code_sha256 != artifact.code_sha256 {
        return Err(Error::input(format!(
            "the record's code_sha256 {} does not match its sha256 {} (expected {code_sha256})",
            artifact.code_sha256, artifact.sha256
        ))
        .with_fix("the record was edited by hand or by a faulty stage; run layer-pack again"));
    }
    Ok(())
}

/// Size, hex sha256 and base64 sha256 of a file, read in chunks.
pub fn hash_file(path: &Path) -> Result<(u64, String, String)> {
    let mut file = File::open(path).map_err(|err| Error::io("open", path, err))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let read = file
            .read(&mut buffer)
            .map_err(|err| Error::io("read", path, err))?;
        if read == 0 {
            break;
        }
        total += read as u64;
        hasher.update(&buffer[..read]);
    }
    let digest = hasher.finalize();
    let hex = layer_core::hex::encode(&digest);
    let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
    Ok((total, hex, b64))
}

/// Unzipped bytes and file count, from the zip's central directory; refuses a
/// zip with an entry that would land outside `python/` when extracted.
fn zip_contents(path: &Path) -> Result<(u64, u64)> {
    let file = File::open(path).map_err(|err| Error::io("open", path, err))?;
    let contents = crate::zipcheck::inspect(std::io::BufReader::new(file)).map_err(|problem| {
        Error::input(format!("{} {problem}", path.display())).with_fix(
            "a layer zip holds files under python/ only, without links or `..`; build it with layer-pack",
        )
    })?;
    Ok((contents.unzipped_bytes, contents.files))
}

/// The version goes into the description next to the content marker, so it
/// must be what layer-bump writes, not free text.
fn validate_version(version: &str) -> Result<()> {
    let plain = version.strip_prefix('v').unwrap_or(version);
    semver::Version::parse(plain).map(|_| ()).map_err(|err| {
        Error::input(format!(
            "the layer version \"{version}\" is not a semantic version: {err}"
        ))
        .with_fix("versions look like 1.4.0 (as layer-bump writes them); fix the stage that wrote layer.version")
    })
}

fn validate_runtimes(runtimes: &[Runtime]) -> Result<()> {
    for runtime in runtimes {
        if !aws_sdk_lambda::types::Runtime::values().contains(&runtime.as_str().as_ref()) {
            return Err(
                Error::input(format!("\"{runtime}\" is not a Lambda runtime"))
                    .with_fix("use a runtime id such as python3.12"),
            );
        }
    }
    if runtimes.len() > 15 {
        return Err(Error::input(format!(
            "{} compatible runtimes given; Lambda allows at most 15",
            runtimes.len()
        )));
    }
    Ok(())
}

fn validate_bucket(bucket: &str) -> Result<()> {
    let name = bucket
        .replace("{region}", "us-east-1")
        .replace("{account}", "123456789012");
    let valid = (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if valid {
        Ok(())
    } else {
        Err(Error::usage(format!("\"{bucket}\" is not an S3 bucket name"))
            .with_fix("use 3-63 lowercase letters, digits, dots or hyphens (`{region}` and `{account}` are replaced)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FITS: u64 = REQUEST_LIMIT - REQUEST_MARGIN;

    fn request(zip_bytes: u64, license: Option<&str>) -> u64 {
        inline_request_bytes(
            zip_bytes,
            "Shared code (v1.4.0 sha256:9f86d081884c)",
            license,
            &["python3.12".into()],
            &[Architecture::X86_64],
        )
    }

    #[test]
    fn the_request_is_the_base64_of_the_zip_in_json() {
        // Base64 is 4 bytes for every 3, padded; the JSON around it is small.
        let json = request(0, None);
        assert!((100..300).contains(&json), "{json}");
        assert_eq!(request(3, None), json + 4);
        assert_eq!(request(4, None), json + 8);
        // The license and other fields count ("MIT" in quotes instead of null).
        assert_eq!(request(0, Some("MIT")), json + 1);
        assert_eq!(request(0, Some("Apache-2.0")), json + 8);
    }

    #[test]
    fn a_zip_just_under_50_mib_cannot_go_inline() {
        // 50 MiB - 1 byte of zip: 69,905,068 bytes of base64 alone, over the limit.
        let just_under = 50 * 1024 * 1024 - 1;
        assert!(request(just_under, None) > REQUEST_LIMIT);
        // The largest zip that fits, with the margin, is about 64 KiB of base64 smaller.
        let fits = (FITS - request(0, None)) / 4 * 3;
        assert!(request(fits, None) <= FITS);
        assert!(request(fits + 3, None) > FITS);
        assert!(just_under - fits < 50_000, "{}", just_under - fits);
    }
}
