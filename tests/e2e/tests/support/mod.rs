//! Shared by the reliability tests (faults, hostile, security): the state of an
//! account (to prove nothing changed) and the reliability table in
//! docs/reliability.md, which these tests write or compare like a snapshot.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

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

const BEGIN: &str = "<!-- BEGIN GENERATED";
const END: &str = "<!-- END GENERATED";

/// Put a generated section into docs/reliability.md (with
/// `UPDATE_RELIABILITY=1`), or check that the file holds exactly it, so that the
/// table cannot go stale: a test that tries something new fails until the
/// table says so.
pub fn reliability_section(name: &str, markdown: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/reliability.md");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let begin = format!("{BEGIN} {name} -->");
    let end = format!("{END} {name} -->");
    let section = format!("{begin}\n{}\n{end}", markdown.trim_end());
    let current = match (text.find(&begin), text.find(&end)) {
        (Some(start), Some(stop)) if start < stop => Some((start, stop + end.len())),
        _ => None,
    };
    let found = current.map(|(start, stop)| &text[start..stop]);
    if found == Some(section.as_str()) {
        return;
    }
    if std::env::var_os("UPDATE_RELIABILITY").is_some() {
        let updated = match current {
            Some((start, stop)) => format!("{}{section}{}", &text[..start], &text[stop..]),
            None => format!("{}\n{section}\n", text.trim_end()),
        };
        std::fs::write(&path, updated).expect("write docs/reliability.md");
        return;
    }
    panic!(
        "docs/reliability.md does not hold the current `{name}` table; regenerate it with\n  \
         UPDATE_RELIABILITY=1 cargo test -p layer-tools-e2e --test faults --test hostile --test security\n\
         expected:\n{section}\nfound:\n{}",
        found.unwrap_or("(nothing)")
    );
}

/// `|`-separated markdown row.
pub fn row(cells: &[&str]) -> String {
    format!("| {} |", cells.join(" | "))
}
