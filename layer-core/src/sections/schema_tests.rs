//! The JSON Schema files against the structs, so that the two cannot drift:
//! a value of every section with every field filled in must validate against
//! its schema, and the fields it serialises must be exactly the properties the
//! schema lists, at every level (a field added to a struct but not to its
//! schema fails here, and so does a property no struct has).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::*;
use crate::arn::{LayerArn, LayerVersionArn};
use crate::platform::{Architecture, PythonRuntime, Runtime, Target};
use crate::schemas::{LAYER_RECORD_V1, SECTIONS_V1};

const ARN: &str = "arn:aws:lambda:eu-west-1:123456789012:layer:common";
const SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const CODE_SHA256: &str = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=";

fn layer_arn() -> LayerArn {
    ARN.parse().unwrap()
}

fn version_arn(version: i64) -> LayerVersionArn {
    layer_arn().version(version)
}

fn full_version() -> VersionSection {
    VersionSection {
        current: "1.3.0".into(),
        next: "1.4.0-rc.1".into(),
        bump: Bump::Minor,
        tag: Some("v1.4.0-rc.1".into()),
        commits: vec![DecidingCommit {
            id: "0123abc".into(),
            kind: "feat".into(),
            subject: "add a parser".into(),
            breaking: true,
            extra: Map::new(),
        }],
        source: Some(VersionSource::Tag),
        since: Some("v1.3.0".into()),
        paths: vec!["layers/common".into()],
        counted: Some(3),
        forced: true,
        written: Some("VERSION".into()),
        committed: Some("89abcdef0123".into()),
        tagged: true,
        extra: Map::new(),
    }
}

fn full_layer() -> LayerSection {
    LayerSection {
        name: "common".into(),
        version: Some("1.4.0".into()),
        description: Some("Shared code".into()),
        compatible_runtimes: vec![Runtime::Python(PythonRuntime { minor: 12 })],
        compatible_architectures: vec![Architecture::X86_64, Architecture::Arm64],
        license: Some("MIT".into()),
        retention_policy: Some(RetentionPolicy {
            versions_to_keep: Some(5),
            delete_older_than_days: Some(90),
        }),
        metadata: BTreeMap::from([("team".to_string(), "platform".to_string())]),
        family: Some(Family {
            name: "common".into(),
            targets: vec![Target::new(
                PythonRuntime { minor: 12 },
                Architecture::X86_64,
            )],
            builds: vec![
                FamilyBuild {
                    name: "common".into(),
                    targets: vec![Target::new(
                        PythonRuntime { minor: 12 },
                        Architecture::X86_64,
                    )],
                    extra: Map::new(),
                },
                FamilyBuild {
                    name: "common-arm64".into(),
                    targets: vec![Target::new(
                        PythonRuntime { minor: 12 },
                        Architecture::Arm64,
                    )],
                    extra: Map::new(),
                },
            ],
            extra: Map::new(),
        }),
        extra: Map::new(),
    }
}

fn full_artifact() -> Artifact {
    Artifact {
        path: "/build/common.zip".into(),
        zip_bytes: 1_000,
        unzipped_bytes: 4_000,
        files: 3,
        sha256: SHA256.into(),
        code_sha256: CODE_SHA256.into(),
        findings: vec![Finding {
            severity: Severity::Error,
            check: Check::Glibc,
            path: Some("python/numpy/core.so".into()),
            message: "needs glibc 2.28".into(),
            targets: vec![Target::new(
                PythonRuntime { minor: 11 },
                Architecture::X86_64,
            )],
            extra: Map::new(),
        }],
        pruned_bytes: 10,
        pruned_files: 1,
        compression_level: Some(9),
        dependencies: Some(Dependencies {
            installer: "uv".into(),
            installer_version: "0.9.0".into(),
            target: Target::new(PythonRuntime { minor: 11 }, Architecture::X86_64),
            platform: "manylinux2014_x86_64".into(),
            cache_key: SHA256.into(),
            cache_hit: true,
            not_cached: Some("a requirement is a URL without a hash".into()),
            lock: Some("uv.lock".into()),
            built_from_source: vec!["docopt".into()],
            path: Some("python/".into()),
            extra: Map::new(),
        }),
        site_packages: vec![Dependencies {
            installer: "pip".into(),
            installer_version: "23.2.1".into(),
            target: Target::new(PythonRuntime { minor: 12 }, Architecture::X86_64),
            platform: "manylinux_2_34_x86_64".into(),
            cache_key: SHA256.into(),
            cache_hit: false,
            not_cached: Some("a requirement is a URL without a hash".into()),
            lock: Some("pylock.toml".into()),
            built_from_source: vec!["docopt 0.6.2".into()],
            path: Some("python/lib/python3.12/site-packages/".into()),
            extra: Map::new(),
        }],
        pruning: Some(Pruning {
            scanned_files: 120,
            kept_back: vec![KeptBack {
                path: "python/astropy/tests/runner.py".into(),
                module: "astropy.tests.runner".into(),
                imported_by: "python/astropy/__init__.py".into(),
                rule: "tests/".into(),
                extra: Map::new(),
            }],
            extra: Map::new(),
        }),
        import_proof: vec![ImportProof {
            target: Target::new(PythonRuntime { minor: 11 }, Architecture::X86_64),
            proven: true,
            interpreter: Some("/usr/bin/python3.11".into()),
            python_version: Some("3.11.7".into()),
            modules: vec!["astropy".into()],
            failed: vec!["broken".into()],
            reason: Some("python3.12 is not on PATH".into()),
            extra: Map::new(),
        }],
        timing_ms: BTreeMap::from([("total".to_string(), 12)]),
        extra: Map::new(),
    }
}

fn full_retention() -> RetentionOutcome {
    RetentionOutcome {
        dry_run: true,
        deleted: vec![2, 1],
        kept_in_use: vec![3],
        kept_shared: vec![4],
    }
}

fn full_published() -> Published {
    Published {
        region: "eu-west-1".into(),
        account: Some("123456789012".into()),
        layer_name: "common".into(),
        layer_arn: layer_arn(),
        version_arn: version_arn(7),
        version: 7,
        code_sha256: CODE_SHA256.into(),
        created_date: "2024-05-01T12:00:00.000+0000".into(),
        reused: false,
        description: Some("Shared code (v1.4.0 sha256:9f86d081884c)".into()),
        compatible_runtimes: vec![Runtime::Other("nodejs20.x".into())],
        compatible_architectures: vec![Architecture::Arm64],
        permissions: vec![Grant {
            statement_id: "layer-publish-org-o-a1b2c3d4e5".into(),
            principal: "*".into(),
            organization_id: Some("o-a1b2c3d4e5".into()),
            added: true,
        }],
        retention: Some(full_retention()),
        semantic_version: Some("1.4.0".into()),
        sha256: Some(SHA256.into()),
        license: Some("MIT".into()),
        s3: Some(S3Upload {
            bucket: "layers-eu-west-1".into(),
            key: "layer-publish/common/x.zip".into(),
            uploaded: true,
        }),
        ssm_parameter: Some(SsmPointer {
            name: "/layers/common/latest".into(),
            written: true,
        }),
        extra: Map::new(),
    }
}

fn full_attachments() -> Vec<Attachment> {
    vec![Attachment {
        region: "eu-west-1".into(),
        account: Some("123456789012".into()),
        function: "makoto-api".into(),
        before: vec![version_arn(6)],
        after: vec![version_arn(7)],
        status: AttachmentStatus::Failed,
        reason: Some("AWS refused".into()),
        published_version: Some("12".into()),
        alias: Some(AliasMove {
            name: "live".into(),
            before: Some("11".into()),
            after: Some("12".into()),
        }),
        extra: Map::new(),
    }]
}

fn full_check() -> CheckSection {
    CheckSection {
        have: "1.4.0".into(),
        need: "^1.2.0".into(),
        compatible: true,
        reason: "1.4.0 satisfies ^1.2.0".into(),
    }
}

fn full_pruned() -> Pruned {
    Pruned {
        region: "eu-west-1".into(),
        account: Some("123456789012".into()),
        layer_name: "common".into(),
        layer_arn: layer_arn(),
        versions_before: vec![4, 3, 2, 1],
        retention: full_retention(),
    }
}

fn full_planned() -> Planned {
    Planned {
        region: "eu-west-1".into(),
        account: Some("123456789012".into()),
        layer_name: "common".into(),
        action: PlannedAction::Reuse,
        version: Some(7),
        version_arn: Some(version_arn(7)),
        s3: Some(PlannedUpload {
            bucket: "layers-eu-west-1".into(),
            key: "layer-publish/common/x.zip".into(),
            upload: false,
        }),
        code_sha256: CODE_SHA256.into(),
        description: "Shared code (v1.4.0 sha256:9f86d081884c)".into(),
        compatible_runtimes: vec![Runtime::Python(PythonRuntime { minor: 12 })],
        compatible_architectures: vec![Architecture::Arm64],
        permissions: vec![Grant {
            statement_id: "layer-publish-org-o-a1b2c3d4e5".into(),
            principal: "*".into(),
            organization_id: Some("o-a1b2c3d4e5".into()),
            added: false,
        }],
        retention: Some(full_retention()),
        semantic_version: Some("1.4.0".into()),
        sha256: SHA256.into(),
        license: Some("MIT".into()),
        ssm_parameter: Some(SsmPointer {
            name: "/layers/common/latest".into(),
            written: false,
        }),
    }
}

/// Every section with every field set, by name.
fn full_sections() -> Vec<(&'static str, Value)> {
    fn value(section: impl Serialize) -> Value {
        serde_json::to_value(section).unwrap()
    }
    vec![
        (names::VERSION, value(full_version())),
        (names::LAYER, value(full_layer())),
        (names::ARTIFACT, value(full_artifact())),
        (names::PUBLISHED, value(full_published())),
        (names::ATTACHMENTS, value(full_attachments())),
        (names::CHECK, value(full_check())),
        (names::PRUNED, value(full_pruned())),
        (names::PLANNED, value(full_planned())),
    ]
}

fn schema_of(section: &str) -> Value {
    let (_, text) = SECTIONS_V1
        .iter()
        .find(|(name, _)| *name == section)
        .unwrap_or_else(|| panic!("no schema for the \"{section}\" section"));
    serde_json::from_str(text).unwrap()
}

#[test]
fn every_section_has_a_schema_and_a_place_in_the_record() {
    let listed: BTreeSet<&str> = SECTIONS_V1.iter().map(|(name, _)| *name).collect();
    assert_eq!(listed, names::ALL.iter().copied().collect());
    let envelope: Value = serde_json::from_str(LAYER_RECORD_V1).unwrap();
    for name in names::ALL {
        assert!(
            envelope["properties"].get(*name).is_some(),
            "layer-record.v1.json does not list the \"{name}\" section"
        );
    }
}

#[test]
fn a_full_value_of_every_section_validates_against_its_schema() {
    for (name, value) in full_sections() {
        let schema = schema_of(name);
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|err| format!("  at {}: {err}", err.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "the \"{name}\" section does not match its schema:\n{}\n{value:#}",
            errors.join("\n")
        );
    }
}

#[test]
fn the_structs_fields_are_exactly_the_schemas_properties() {
    for (name, value) in full_sections() {
        let schema = schema_of(name);
        let mut drift = Vec::new();
        compare(&schema, &schema, &value, name, &mut drift);
        assert!(
            drift.is_empty(),
            "the \"{name}\" struct and sections/{name}.v1.json disagree:\n  {}",
            drift.join("\n  ")
        );
    }
}

#[test]
fn the_attachment_statuses_are_exactly_the_schemas() {
    let schema = schema_of(names::ATTACHMENTS);
    let listed: BTreeSet<String> = schema["items"]["properties"]["status"]["enum"]
        .as_array()
        .expect("a status enum")
        .iter()
        .map(|value| value.as_str().unwrap().to_string())
        .collect();
    let ours: BTreeSet<String> = AttachmentStatus::ALL
        .iter()
        .map(|status| {
            serde_json::to_value(status)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(listed, ours);
    assert!(ours.contains("not_started") && ours.contains("unknown"));
}

#[test]
fn the_comparison_finds_a_field_the_schema_lacks_and_a_property_no_struct_has() {
    let schema = json!({
        "type": "object",
        "properties": {"a": {"type": "array", "items": {"$ref": "#/$defs/item"}}, "gone": {}},
        "$defs": {"item": {"type": "object", "properties": {"b": {}}}},
    });
    let value = json!({"a": [{"b": 1, "new": 2}]});
    let mut drift = Vec::new();
    compare(&schema, &schema, &value, "x", &mut drift);
    assert_eq!(
        drift,
        [
            "x: the schema has \"gone\", the struct does not",
            "x.a[0]: the struct has \"new\", the schema does not",
        ]
    );
}

/// Walk a value and its schema together; at every object the schema describes
/// with `properties`, the value's keys must be exactly those properties.
fn compare(root: &Value, node: &Value, value: &Value, at: &str, drift: &mut Vec<String>) {
    let node = resolve(root, node);
    match value {
        Value::Object(fields) => {
            let properties = properties_of(root, node);
            if properties.is_empty() {
                return;
            }
            let keys: BTreeSet<&String> = fields.keys().collect();
            for missing in properties.keys().filter(|p| !keys.contains(p)) {
                drift.push(format!(
                    "{at}: the schema has \"{missing}\", the struct does not"
                ));
            }
            for (key, field) in fields {
                match properties.get(key) {
                    Some(property) => compare(root, property, field, &format!("{at}.{key}"), drift),
                    None => drift.push(format!(
                        "{at}: the struct has \"{key}\", the schema does not"
                    )),
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = items_of(root, node) {
                for (index, item) in items.iter().enumerate() {
                    compare(root, item_schema, item, &format!("{at}[{index}]"), drift);
                }
            }
        }
        _ => {}
    }
}

/// Follow a local `$ref` (`#/$defs/NAME`).
fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.trim_start_matches("#/$defs/");
            resolve(root, &root["$defs"][name])
        }
        None => node,
    }
}

/// The schemas a node is made of: itself and its plain `allOf` parts (not the
/// conditional ones, whose `properties` only constrain).
fn parts<'a>(root: &'a Value, node: &'a Value) -> Vec<&'a Value> {
    let mut found = vec![resolve(root, node)];
    if let Some(all) = node.get("allOf").and_then(Value::as_array) {
        for part in all.iter().filter(|part| part.get("if").is_none()) {
            found.extend(parts(root, part));
        }
    }
    found
}

fn properties_of<'a>(root: &'a Value, node: &'a Value) -> Map<String, Value> {
    parts(root, node)
        .into_iter()
        .filter_map(|part| part.get("properties").and_then(Value::as_object))
        .flat_map(|properties| properties.clone())
        .collect()
}

fn items_of<'a>(root: &'a Value, node: &'a Value) -> Option<&'a Value> {
    parts(root, node)
        .into_iter()
        .find_map(|part| part.get("items"))
}

#[test]
fn a_planned_publish_has_no_version_and_a_planned_reuse_names_one() {
    let validator = jsonschema::validator_for(&schema_of(names::PLANNED)).unwrap();
    let publish = Planned {
        action: PlannedAction::Publish,
        version: None,
        version_arn: None,
        ..full_planned()
    };
    assert!(validator.is_valid(&serde_json::to_value(&publish).unwrap()));
    let reuse_without_version = Planned {
        action: PlannedAction::Reuse,
        version: None,
        version_arn: None,
        ..full_planned()
    };
    assert!(!validator.is_valid(&serde_json::to_value(&reuse_without_version).unwrap()));
    let publish_with_version = Planned {
        action: PlannedAction::Publish,
        ..full_planned()
    };
    assert!(!validator.is_valid(&serde_json::to_value(&publish_with_version).unwrap()));
}
