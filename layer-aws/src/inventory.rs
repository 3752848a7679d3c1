//! Which functions (and function versions) use which layer versions.
//!
//! `ListFunctions` with `FunctionVersion=ALL`, every page. Published function
//! versions keep the layers they were published with, so a layer version can be
//! in use by `my-fn:3` long after `$LATEST` moved on: retention, drift reports and
//! roll-forward all need the full picture.

use aws_sdk_lambda::Client;
use aws_sdk_lambda::types::{FunctionConfiguration, FunctionVersion};
use layer_core::Result;
use layer_core::arn::LayerVersionArn;

use crate::aws_error;

/// One function, or one published version of it.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionInfo {
    pub name: String,
    /// The unqualified function ARN.
    pub arn: String,
    /// `$LATEST` or a published version number.
    pub version: String,
    pub runtime: Option<String>,
    pub architectures: Vec<String>,
    /// The function's layers, in order, as ARNs (some may not parse: kept raw).
    pub layers: Vec<String>,
    pub revision_id: Option<String>,
    pub last_update_status: Option<String>,
}

impl FunctionInfo {
    pub fn is_latest(&self) -> bool {
        self.version == "$LATEST"
    }

    /// The function's layers that parse as layer version ARNs.
    pub fn layer_arns(&self) -> Vec<LayerVersionArn> {
        self.layers
            .iter()
            .filter_map(|arn| arn.parse().ok())
            .collect()
    }

    /// The version of `layer` (matched by region, account and name) this function uses.
    pub fn version_of(&self, layer: &LayerVersionArn) -> Option<i64> {
        self.layer_arns()
            .into_iter()
            .find(|used| used.same_layer(layer))
            .map(|used| used.version)
    }

    fn from_configuration(config: &FunctionConfiguration) -> FunctionInfo {
        let version = config.version().unwrap_or("$LATEST").to_string();
        let arn = config.function_arn().unwrap_or_default();
        // Qualified ARNs (versions) end in ":N"; keep the unqualified one.
        let arn = match arn.rsplit_once(':') {
            Some((base, qualifier)) if qualifier == version || qualifier == "$LATEST" => base,
            _ => arn,
        };
        FunctionInfo {
            name: config.function_name().unwrap_or_default().to_string(),
            arn: arn.to_string(),
            version,
            runtime: config.runtime().map(|r| r.as_str().to_string()),
            architectures: config
                .architectures()
                .iter()
                .map(|a| a.as_str().to_string())
                .collect(),
            layers: config
                .layers()
                .iter()
                .filter_map(|l| l.arn().map(str::to_string))
                .collect(),
            revision_id: config.revision_id().map(str::to_string),
            last_update_status: config.last_update_status().map(|s| s.as_str().to_string()),
        }
    }
}

/// Which functions to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versions {
    /// `$LATEST` of every function.
    LatestOnly,
    /// `$LATEST` and every published version of every function.
    All,
}

/// Every function in the client's region, following every page.
pub async fn list_functions(client: &Client, versions: Versions) -> Result<Vec<FunctionInfo>> {
    let mut request = client.list_functions();
    if versions == Versions::All {
        request = request.function_version(FunctionVersion::All);
    }
    let mut pages = request.into_paginator().send();
    let mut functions = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| aws_error("listing functions (ListFunctions)", err))?;
        functions.extend(
            page.functions()
                .iter()
                .map(FunctionInfo::from_configuration),
        );
    }
    Ok(functions)
}
