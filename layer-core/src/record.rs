//! A record: a JSON object with a `schema` field, whose unknown fields survive
//! every tool untouched.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The schema of the pipeline record: `layer-record/v1`.
pub const LAYER_RECORD: SchemaName = SchemaName {
    name: "layer-record",
    major: 1,
};

/// The schema of `layer-watch`'s reports: `layer-report/v1`.
pub const LAYER_REPORT: SchemaName = SchemaName {
    name: "layer-report",
    major: 1,
};

/// A schema family and the major version this build reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaName {
    pub name: &'static str,
    pub major: u64,
}

impl SchemaName {
    /// The value written into the `schema` field, e.g. `layer-record/v1`.
    pub fn tag(&self) -> String {
        format!("{}/v{}", self.name, self.major)
    }

    /// Does a `schema` value belong to this family, and which major version is it?
    /// `layer-record/v1` and `layer-record/v1.3` are both major 1; minor versions only
    /// add optional fields, so any minor of a known major is readable.
    fn major_of(&self, tag: &str) -> Option<Option<u64>> {
        let rest = tag.strip_prefix(self.name)?.strip_prefix("/v")?;
        let major = rest.split('.').next().unwrap_or_default();
        Some(major.parse().ok())
    }
}

/// One record. It is a JSON object kept as a map, so that fields this tool does
/// not know (added by a later stage, or by a user's own stage) pass through.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Record {
    fields: Map<String, Value>,
}

impl Record {
    /// A new, empty record of a schema.
    pub fn new(schema: SchemaName) -> Self {
        let mut fields = Map::new();
        fields.insert("schema".into(), Value::String(schema.tag()));
        Record { fields }
    }

    /// Check a parsed JSON value against the schemas a tool accepts.
    /// `line` is only used in messages.
    pub fn from_value(value: Value, accepted: &[SchemaName], line: usize) -> Result<Self> {
        let Value::Object(fields) = value else {
            return Err(Error::input(format!(
                "line {line}: expected a JSON object (a record), found {}",
                json_kind(&value)
            ))
            .with_fix("each line must be one record as written by a layer tool"));
        };
        let expected = accepted
            .iter()
            .map(SchemaName::tag)
            .collect::<Vec<_>>()
            .join(" or ");
        let tag = match fields.get("schema") {
            Some(Value::String(tag)) => tag.clone(),
            Some(other) => {
                return Err(Error::input(format!(
                    "line {line}: the \"schema\" field must be a string like \"{expected}\", found {}",
                    json_kind(other)
                )));
            }
            None => {
                return Err(Error::input(format!(
                    "line {line}: the record has no \"schema\" field"
                ))
                .with_fix(format!(
                    "records must carry \"schema\": \"{expected}\"; is this the output of a layer tool?"
                )));
            }
        };
        for schema in accepted {
            match schema.major_of(&tag) {
                Some(Some(major)) if major == schema.major => return Ok(Record { fields }),
                Some(Some(major)) => {
                    return Err(Error::input(format!(
                        "line {line}: the record's schema is {tag} (major version {major}), \
                         but this tool reads {}",
                        schema.tag()
                    ))
                    .with_fix(if major > schema.major {
                        "upgrade the layer tools so that every stage of the pipe speaks the same schema"
                    } else {
                        "re-run the earlier stage with the current layer tools"
                    }));
                }
                Some(None) => {
                    return Err(Error::input(format!(
                        "line {line}: the schema \"{tag}\" has no valid major version"
                    ))
                    .with_fix(format!("expected \"{}\"", schema.tag())));
                }
                None => {}
            }
        }
        Err(Error::input(format!(
            "line {line}: a \"{tag}\" record cannot be read by this tool, which reads {expected}"
        ))
        .with_fix("check which tool's output is piped in"))
    }

    pub fn schema(&self) -> &str {
        self.fields
            .get("schema")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.fields.contains_key(key)
    }

    /// Read a section as a typed value. `Ok(None)` when the section is absent;
    /// an input error naming the section when it does not have the expected shape.
    pub fn section<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        match self.fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => serde_json::from_value(value.clone()).map(Some).map_err(|err| {
                Error::input(format!("the record's \"{key}\" section is not valid: {err}"))
                    .with_fix(format!(
                        "check the stage that wrote \"{key}\" (or remove the section to let this tool write it anew)"
                    ))
            }),
        }
    }

    /// Like [`Record::section`], but the section must be there.
    pub fn require_section<T: DeserializeOwned>(&self, key: &str, producer: &str) -> Result<T> {
        self.section(key)?.ok_or_else(|| {
            Error::input(format!("the record has no \"{key}\" section"))
                .with_fix(format!("pipe in the output of {producer}"))
        })
    }

    /// Write (or replace) this stage's section.
    pub fn set_section<T: Serialize>(&mut self, key: &str, value: &T) -> Result<()> {
        let value = serde_json::to_value(value).map_err(|err| {
            Error::failed(format!("cannot serialise the \"{key}\" section: {err}"))
        })?;
        self.fields.insert(key.to_string(), value);
        Ok(())
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.fields.remove(key)
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.fields)
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.fields
    }
}

pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: Value) -> Result<Record> {
        Record::from_value(value, &[LAYER_RECORD], 7)
    }

    #[test]
    fn accepts_its_major_and_any_minor() {
        assert!(read(json!({"schema": "layer-record/v1"})).is_ok());
        assert!(read(json!({"schema": "layer-record/v1.4"})).is_ok());
    }

    #[test]
    fn refuses_other_majors_with_the_line_and_a_fix() {
        let err = read(json!({"schema": "layer-record/v2"})).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("line 7") && msg.contains("major version 2"),
            "{msg}"
        );
        assert!(err.fix().unwrap().contains("upgrade"));
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn refuses_foreign_and_missing_schemas() {
        let err = read(json!({"schema": "terraform-plan/v1"})).unwrap_err();
        assert!(
            err.to_string().contains("cannot be read by this tool"),
            "{err}"
        );
        let err = read(json!({"name": "x"})).unwrap_err();
        assert!(err.to_string().contains("no \"schema\" field"), "{err}");
        let err = read(json!({"schema": 1})).unwrap_err();
        assert!(err.to_string().contains("must be a string"), "{err}");
        let err = read(json!({"schema": "layer-record/vX"})).unwrap_err();
        assert!(err.to_string().contains("no valid major"), "{err}");
        let err = read(json!([1, 2])).unwrap_err();
        assert!(err.to_string().contains("found an array"), "{err}");
    }

    #[test]
    fn sections_round_trip_and_foreign_fields_survive() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Mine {
            n: u32,
        }
        let mut record =
            read(json!({"schema": "layer-record/v1", "x-ci": {"run": 42}, "zeta": [1]})).unwrap();
        record.set_section("mine", &Mine { n: 3 }).unwrap();
        assert_eq!(record.section::<Mine>("mine").unwrap(), Some(Mine { n: 3 }));
        let out = record.into_value();
        assert_eq!(out["x-ci"], json!({"run": 42}));
        assert_eq!(out["zeta"], json!([1]));
    }

    #[test]
    fn a_misshapen_section_is_an_input_error_naming_it() {
        let record = read(json!({"schema": "layer-record/v1", "artifact": "oops"})).unwrap();
        let err = record
            .section::<std::collections::BTreeMap<String, u32>>("artifact")
            .unwrap_err();
        assert!(err.to_string().contains("\"artifact\" section"), "{err}");
        let err = record
            .require_section::<Value>("published", "layer-publish")
            .unwrap_err();
        assert!(err.fix().unwrap().contains("layer-publish"));
    }
}
