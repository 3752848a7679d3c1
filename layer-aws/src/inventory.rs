//! Which functions (and function versions) use which layer versions.
//!
//! `ListFunctions` with `FunctionVersion=ALL`, every page. Published function
//! versions keep the layers they were published with, so a layer version can be
//! in use by `my-fn:3` long after `$LATEST` moved on: retention, drift reports and
//! roll-forward all need the full picture.

use aws_sdk_lambda::Client;
use aws_sdk_lambda::types::{FunctionConfiguration, FunctionVersion, PackageType};
use layer_core::Result;
use layer_core::arn::{LayerArn, LayerVersionArn};
use layer_core::platform::{Architecture, Runtime};

use crate::{aws_error, lambda_types};

/// How a function's code is deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Package {
    /// A .zip archive on a managed runtime: it can use layers.
    Zip,
    /// A container image: it has no managed runtime and cannot use layers.
    Image,
}

/// One function, or one published version of it.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionInfo {
    pub name: String,
    /// The unqualified function ARN (passed through to reports, never taken apart).
    pub arn: String,
    /// `$LATEST` or a published version number.
    pub version: String,
    pub runtime: Option<Runtime>,
    pub package: Package,
    pub architectures: Vec<Architecture>,
    /// The function's layers, in order.
    pub layers: Vec<LayerVersionArn>,
    pub revision_id: Option<String>,
    pub last_update_status: Option<String>,
}

impl FunctionInfo {
    pub fn is_latest(&self) -> bool {
        self.version == "$LATEST"
    }

    /// The version of `layer` this function uses.
    pub fn version_of(&self, layer: &LayerArn) -> Option<i64> {
        self.layers
            .iter()
            .find(|used| used.is_version_of(layer))
            .map(|used| used.version)
    }

    /// Read Lambda's answer; fails only on what Lambda itself never sends (a
    /// layer that is not a layer version ARN, an unknown architecture).
    pub fn from_configuration(config: &FunctionConfiguration) -> Result<FunctionInfo> {
        let name = config.function_name().unwrap_or_default().to_string();
        let version = config.version().unwrap_or("$LATEST").to_string();
        let arn = config.function_arn().unwrap_or_default();
        // Qualified ARNs (versions) end in ":N"; keep the unqualified one.
        let arn = match arn.rsplit_once(':') {
            Some((base, qualifier)) if qualifier == version || qualifier == "$LATEST" => base,
            _ => arn,
        };
        Ok(FunctionInfo {
            arn: arn.to_string(),
            runtime: config.runtime().map(lambda_types::runtime),
            package: match config.package_type() {
                Some(PackageType::Image) => Package::Image,
                _ => Package::Zip,
            },
            architectures: lambda_types::architectures(config.architectures())?,
            layers: lambda_types::function_layers(config.layers(), &name)?,
            revision_id: config.revision_id().map(str::to_string),
            last_update_status: config.last_update_status().map(|s| s.as_str().to_string()),
            name,
            version,
        })
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
        for config in page.functions() {
            functions.push(FunctionInfo::from_configuration(config)?);
        }
    }
    Ok(functions)
}
