//! Validate tool output against the JSON Schema files shipped in `layer-core/schemas/`.

use layer_core::schemas::{LAYER_RECORD_V1, LAYER_REPORT_V1, SECTIONS_V1};
use serde_json::Value;

fn validator(schema: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(schema).expect("schema file is JSON");
    jsonschema::validator_for(&schema).expect("schema file is a valid JSON Schema")
}

fn check(schema: &str, what: &str, instance: &Value) {
    let errors: Vec<String> = validator(schema)
        .iter_errors(instance)
        .map(|err| format!("  at {}: {err}", err.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its schema:\n{}\nin:\n{instance:#}",
        errors.join("\n")
    );
}

/// Panic (failing the test) unless a record matches its schema: the envelope
/// by its `schema` field, and every known section by that section's schema.
pub fn assert_valid(record: &Value) {
    let tag = record
        .get("schema")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if tag.starts_with("layer-report/") {
        check(LAYER_REPORT_V1, "the report", record);
        return;
    }
    check(LAYER_RECORD_V1, "the record", record);
    for (section, schema) in SECTIONS_V1 {
        if let Some(value) = record.get(*section) {
            check(schema, &format!("the \"{section}\" section"), value);
        }
    }
}

/// Parse a tool's stdout as JSON Lines and validate each record.
pub fn parse_valid_lines(stdout: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(stdout).expect("stdout is UTF-8");
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("stdout line is not JSON ({err}): {line}"));
            assert_valid(&value);
            value
        })
        .collect()
}

/// Records as JSON Lines, for a tool's stdin.
pub fn to_lines(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}
