use serde::{Deserialize, Serialize};

use crate::arn::LayerArn;
use crate::sections::RetentionOutcome;

/// `pruned`: what `layer-publish --prune-only` did to one layer in one region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pruned {
    pub region: String,
    /// The account pruned in, when the run worked across accounts
    /// (`--account`): the report of one account and region of the estate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub layer_name: String,
    pub layer_arn: LayerArn,
    /// The layer's versions before pruning, newest first.
    pub versions_before: Vec<i64>,
    pub retention: RetentionOutcome,
}
