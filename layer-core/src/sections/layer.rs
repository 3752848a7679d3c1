use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::platform::{Architecture, Runtime};

/// `layer`: what the layer is, from `layer.yaml` (and the version record).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LayerSection {
    pub name: String,
    /// The semantic version stamped from `layer-bump`'s record, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub compatible_runtimes: Vec<Runtime>,
    #[serde(default)]
    pub compatible_architectures: Vec<Architecture>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_policy: Option<RetentionPolicy>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// How many old layer versions to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions_to_keep: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_older_than_days: Option<u32>,
}
