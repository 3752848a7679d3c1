use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::platform::{Architecture, Runtime, Target};

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
    /// The layer this is a build of, and what each build covers (written by
    /// `layer-pack`; absent in records of other producers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl LayerSection {
    /// The family this layer belongs to: `family.name`, else the layer's own
    /// name (a record without a family is a family of one build).
    pub fn family_name(&self) -> &str {
        self.family.as_ref().map_or(&self.name, |f| &f.name)
    }

    /// The runtimes and architectures this build covers: `family.targets`,
    /// else every compatible runtime on every compatible architecture.
    pub fn targets(&self) -> Vec<Target> {
        match &self.family {
            Some(family) => family.targets.clone(),
            None => self
                .compatible_runtimes
                .iter()
                .flat_map(|runtime| {
                    self.compatible_architectures
                        .iter()
                        .map(|&arch| Target::new(runtime.clone(), arch))
                })
                .collect(),
        }
    }
}

/// `layer.family`: one layer of `layer.yaml` can give several builds, each a
/// Lambda layer of its own (one per architecture when the layer has native
/// code: `makoto-common` for x86_64, `makoto-common-arm64`). The family ties
/// them together, so that the next stages reason about "the layer".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Family {
    /// The layer's name in `layer.yaml`, shared by every build.
    pub name: String,
    /// What this build covers: runtime/architecture pairs.
    pub targets: Vec<Target>,
    /// Every build of the family, this one included, in the declared order.
    pub builds: Vec<FamilyBuild>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One build of a family: its layer name and what it covers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FamilyBuild {
    pub name: String,
    pub targets: Vec<Target>,
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
