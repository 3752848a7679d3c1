//! Layer ARNs: `arn:aws:lambda:REGION:ACCOUNT:layer:NAME` and the version form
//! `...:layer:NAME:VERSION`. Tools compare layers by (region, account, name),
//! never by ARN prefixes with wildcards (a defect of the guide's scripts).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A layer name must be what Lambda accepts: 1 to 140 letters, digits, `-` or `_`.
/// The one check of a layer name, wherever it comes from (a flag, a record,
/// `layer.yaml`, an ARN); callers add where it came from with `context`.
pub fn validate_layer_name(name: &str) -> Result<()> {
    let valid = (1..=140).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(Error::input(format!("invalid layer name {name:?}"))
            .with_fix("Lambda layer names are 1 to 140 letters, digits, '-' or '_'"))
    }
}

/// A layer ARN without a version: `arn:aws:lambda:REGION:ACCOUNT:layer:NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LayerArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
}

impl LayerArn {
    /// This layer at a version.
    pub fn version(&self, version: i64) -> LayerVersionArn {
        LayerVersionArn {
            partition: self.partition.clone(),
            region: self.region.clone(),
            account: self.account.clone(),
            name: self.name.clone(),
            version,
        }
    }
}

impl fmt::Display for LayerArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:lambda:{}:{}:layer:{}",
            self.partition, self.region, self.account, self.name
        )
    }
}

impl FromStr for LayerArn {
    type Err = Error;

    fn from_str(arn: &str) -> Result<Self> {
        let parts: Vec<&str> = arn.split(':').collect();
        match parts[..] {
            [_, _, _, _, _, _, _] => parse_layer(&parts),
            _ => None,
        }
        .ok_or_else(|| {
            Error::input(format!("\"{arn}\" is not a layer ARN"))
                .with_fix("expected arn:aws:lambda:REGION:ACCOUNT:layer:NAME")
        })
    }
}

/// The first seven parts of a layer ARN, checked.
fn parse_layer(parts: &[&str]) -> Option<LayerArn> {
    let [
        arn_tag,
        partition,
        service,
        region,
        account,
        layer_tag,
        name,
        ..,
    ] = parts[..]
    else {
        return None;
    };
    let valid_account = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    let well_formed = arn_tag == "arn"
        && partition.starts_with("aws")
        && service == "lambda"
        && !region.is_empty()
        && valid_account
        && layer_tag == "layer"
        && validate_layer_name(name).is_ok();
    well_formed.then(|| LayerArn {
        partition: partition.to_string(),
        region: region.to_string(),
        account: account.to_string(),
        name: name.to_string(),
    })
}

impl TryFrom<String> for LayerArn {
    type Error = Error;

    fn try_from(arn: String) -> Result<Self> {
        arn.parse()
    }
}

impl From<LayerArn> for String {
    fn from(arn: LayerArn) -> Self {
        arn.to_string()
    }
}

/// A layer version ARN, taken apart: `arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION`.
/// In records it is the ARN's text; it is parsed once, where a record is read
/// or an AWS answer comes in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LayerVersionArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
    pub version: i64,
}

impl LayerVersionArn {
    /// The ARN of the layer itself (no version).
    pub fn layer_arn(&self) -> LayerArn {
        LayerArn {
            partition: self.partition.clone(),
            region: self.region.clone(),
            account: self.account.clone(),
            name: self.name.clone(),
        }
    }

    /// Is this a version of the same layer (same partition, region, account, name)?
    pub fn same_layer(&self, other: &LayerVersionArn) -> bool {
        self.is_version_of(&other.layer_arn())
    }

    /// Is this a version of `layer`?
    pub fn is_version_of(&self, layer: &LayerArn) -> bool {
        self.partition == layer.partition
            && self.region == layer.region
            && self.account == layer.account
            && self.name == layer.name
    }

    /// The same layer at another version.
    pub fn with_version(&self, version: i64) -> LayerVersionArn {
        LayerVersionArn {
            version,
            ..self.clone()
        }
    }
}

impl fmt::Display for LayerVersionArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.layer_arn(), self.version)
    }
}

impl FromStr for LayerVersionArn {
    type Err = Error;

    fn from_str(arn: &str) -> Result<Self> {
        let parts: Vec<&str> = arn.split(':').collect();
        let parsed = match parts[..] {
            [_, _, _, _, _, _, _, version] => parse_layer(&parts).zip(
                version
                    .parse::<i64>()
                    .ok()
                    .filter(|v| *v >= 1 && version.bytes().all(|b| b.is_ascii_digit())),
            ),
            _ => None,
        };
        parsed
            .map(|(layer, version)| layer.version(version))
            .ok_or_else(|| {
                Error::input(format!("\"{arn}\" is not a layer version ARN"))
                    .with_fix("expected arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION")
            })
    }
}

impl TryFrom<String> for LayerVersionArn {
    type Error = Error;

    fn try_from(arn: String) -> Result<Self> {
        arn.parse()
    }
}

impl From<LayerVersionArn> for String {
    fn from(arn: LayerVersionArn) -> Self {
        arn.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_a_version_arn() {
        let text = "arn:aws:lambda:ap-northeast-1:123456789012:layer:makoto-common:7";
        let arn: LayerVersionArn = text.parse().unwrap();
        assert_eq!(arn.name, "makoto-common");
        assert_eq!(arn.version, 7);
        assert_eq!(arn.region, "ap-northeast-1");
        assert_eq!(arn.to_string(), text);
        assert_eq!(
            arn.layer_arn().to_string(),
            "arn:aws:lambda:ap-northeast-1:123456789012:layer:makoto-common"
        );
        assert_eq!(arn.with_version(9).to_string(), text.replace(":7", ":9"));
    }

    #[test]
    fn compares_layers_not_prefixes() {
        let a: LayerVersionArn = "arn:aws:lambda:us-east-1:123456789012:layer:common:1"
            .parse()
            .unwrap();
        let b: LayerVersionArn = "arn:aws:lambda:us-east-1:123456789012:layer:common:4"
            .parse()
            .unwrap();
        let longer: LayerVersionArn = "arn:aws:lambda:us-east-1:123456789012:layer:common-extra:1"
            .parse()
            .unwrap();
        let other_region: LayerVersionArn = "arn:aws:lambda:eu-west-1:123456789012:layer:common:1"
            .parse()
            .unwrap();
        assert!(a.same_layer(&b));
        assert!(!a.same_layer(&longer));
        assert!(!a.same_layer(&other_region));
    }

    #[test]
    fn refuses_what_is_not_a_layer_version_arn() {
        for bad in [
            "",
            "arn:aws:lambda:us-east-1:123456789012:layer:common",
            "arn:aws:lambda:us-east-1:123456789012:function:f:1",
            "arn:aws:lambda:us-east-1:12345:layer:common:1",
            "arn:aws:lambda:us-east-1:123456789012:layer:com*mon:1",
            "arn:aws:lambda:us-east-1:123456789012:layer:common:0",
            "arn:aws:lambda:us-east-1:123456789012:layer:common:x",
            "arn:aws:lambda:us-east-1:123456789012:layer:common:+3",
            &format!(
                "arn:aws:lambda:us-east-1:123456789012:layer:{}:1",
                "x".repeat(141)
            ),
        ] {
            let err = bad.parse::<LayerVersionArn>().unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
        }
        assert!(
            "arn:aws:lambda:us-east-1:123456789012:layer:common:1"
                .parse::<LayerArn>()
                .is_err()
        );
    }

    #[test]
    fn layer_arns_without_a_version() {
        let layer: LayerArn = "arn:aws:lambda:eu-west-1:123456789012:layer:common"
            .parse()
            .unwrap();
        let version = layer.version(3);
        assert_eq!(
            version.to_string(),
            "arn:aws:lambda:eu-west-1:123456789012:layer:common:3"
        );
        assert!(version.is_version_of(&layer));
        assert_eq!(version.layer_arn(), layer);
    }

    #[test]
    fn arns_read_and_write_as_their_text() {
        let text = "\"arn:aws:lambda:us-east-1:123456789012:layer:common:4\"";
        let arn: LayerVersionArn = serde_json::from_str(text).unwrap();
        assert_eq!(arn.version, 4);
        assert_eq!(serde_json::to_string(&arn).unwrap(), text);
        let layer: LayerArn =
            serde_json::from_str("\"arn:aws:lambda:us-east-1:123456789012:layer:common\"").unwrap();
        assert_eq!(layer, arn.layer_arn());
        let err = serde_json::from_str::<LayerVersionArn>("\"arn:aws:s3:::bucket\"").unwrap_err();
        assert!(
            err.to_string().contains("is not a layer version ARN"),
            "{err}"
        );
    }

    #[test]
    fn layer_names_are_checked_once_with_one_message() {
        assert!(validate_layer_name("makoto-common_2").is_ok());
        assert!(validate_layer_name(&"x".repeat(140)).is_ok());
        for bad in ["", "a b", "common*", &"x".repeat(141)] {
            let err = validate_layer_name(bad).unwrap_err();
            assert!(err.to_string().starts_with("invalid layer name"), "{err}");
            assert_eq!(err.exit_code(), 2, "{bad}");
        }
    }
}
