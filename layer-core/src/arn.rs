//! Layer ARNs: `arn:aws:lambda:REGION:ACCOUNT:layer:NAME` and the version form
//! `...:layer:NAME:VERSION`. Tools compare layers by (region, account, name),
//! never by ARN prefixes with wildcards (a defect of the guide's scripts).

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// A layer version ARN, taken apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LayerVersionArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
    pub version: i64,
}

impl LayerVersionArn {
    /// The ARN of the layer itself (no version).
    pub fn layer_arn(&self) -> String {
        format!(
            "arn:{}:lambda:{}:{}:layer:{}",
            self.partition, self.region, self.account, self.name
        )
    }

    /// Is this a version of the same layer (same partition, region, account, name)?
    pub fn same_layer(&self, other: &LayerVersionArn) -> bool {
        self.partition == other.partition
            && self.region == other.region
            && self.account == other.account
            && self.name == other.name
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

    fn from_str(arn: &str) -> Result<Self, Error> {
        let invalid = || {
            Error::input(format!("\"{arn}\" is not a layer version ARN"))
                .with_fix("expected arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION")
        };
        let parts: Vec<&str> = arn.split(':').collect();
        let [
            arn_tag,
            partition,
            service,
            region,
            account,
            layer_tag,
            name,
            version,
        ] = parts[..]
        else {
            return Err(invalid());
        };
        let valid_name = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let valid_account = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
        let version: i64 = version.parse().map_err(|_| invalid())?;
        if arn_tag != "arn"
            || !partition.starts_with("aws")
            || service != "lambda"
            || region.is_empty()
            || !valid_account
            || layer_tag != "layer"
            || !valid_name
            || version < 1
        {
            return Err(invalid());
        }
        Ok(LayerVersionArn {
            partition: partition.to_string(),
            region: region.to_string(),
            account: account.to_string(),
            name: name.to_string(),
            version,
        })
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
            arn.layer_arn(),
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
        ] {
            let err = bad.parse::<LayerVersionArn>().unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}");
        }
    }
}
