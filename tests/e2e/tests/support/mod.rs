//! Shared by the reliability tests (faults, hostile, security): the state of an
//! account (to prove nothing changed) and the reliability table in
//! docs/reliability.md, which these tests write or compare like a snapshot.

#![allow(dead_code)]

use std::collections::BTreeMap;

use layer_test_harness::{Account, REGION};

/// Everything a tool could have changed in an account: every layer's versions,
/// every function's layers and revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsState {
    pub layers: BTreeMap<String, Vec<i64>>,
    pub functions: BTreeMap<String, (Vec<String>, String)>,
}

pub async fn aws_state(account: &Account) -> AwsState {
    let lambda = account.lambda(REGION).await;
    let mut layers = BTreeMap::new();
    let listed = lambda.list_layers().send().await.expect("list-layers");
    for layer in listed.layers() {
        let name = layer.layer_name().unwrap_or_default().to_string();
        let versions = lambda
            .list_layer_versions()
            .layer_name(&name)
            .send()
            .await
            .expect("list-layer-versions");
        let mut numbers: Vec<i64> = versions
            .layer_versions()
            .iter()
            .map(|v| v.version())
            .collect();
        numbers.sort();
        layers.insert(name, numbers);
    }
    let mut functions = BTreeMap::new();
    let listed = lambda
        .list_functions()
        .send()
        .await
        .expect("list-functions");
    for function in listed.functions() {
        let arns = function
            .layers()
            .iter()
            .filter_map(|layer| layer.arn().map(str::to_string))
            .collect();
        functions.insert(
            function.function_name().unwrap_or_default().to_string(),
            (arns, function.revision_id().unwrap_or_default().to_string()),
        );
    }
    AwsState { layers, functions }
}

/// Put a generated section into docs/reliability.md (with
/// `UPDATE_RELIABILITY=1`), or check that the file holds exactly it.
pub fn reliability_section(name: &str, markdown: &str) {
    layer_test_harness::reliability::section(name, markdown);
}

pub use layer_test_harness::reliability::row;
