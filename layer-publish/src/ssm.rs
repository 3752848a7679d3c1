//! `--ssm-parameter TEMPLATE`: after a version exists, point an SSM String
//! parameter at its ARN in each account and region where it was published,
//! so that consumers (Terraform's `data "aws_ssm_parameter"`, CDK's
//! `StringParameter.valueForStringParameter`) pick up the latest build without
//! hard-coding version numbers. Idempotent: a parameter that already holds the
//! ARN is not written again.

use aws_sdk_ssm::types::ParameterType;
use layer_aws::{aws_error, is_error_code};
use layer_core::sections::SsmPointer;
use layer_core::{Error, Result};

use crate::aws::RegionClients;

/// The placeholders a template may use.
const PLACEHOLDERS: [&str; 3] = ["{name}", "{region}", "{account}"];

/// Check the template before anything is published: known placeholders only,
/// and a name SSM accepts (letters, digits, `_.-/`; a path starts with `/`).
pub fn validate_template(template: &str) -> Result<()> {
    let sample = render(template, "common", "eu-west-1", "123456789012");
    let unknown = sample.contains('{') || sample.contains('}');
    let valid_chars = sample
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_.-/".contains(&b));
    let valid_path = !sample.contains('/') || sample.starts_with('/');
    let fix = "use a name like /layers/{name}/latest ({name}, {region} and {account} are replaced)";
    if unknown {
        return Err(Error::usage(format!(
            "--ssm-parameter \"{template}\" has a placeholder other than {}",
            PLACEHOLDERS.join(", ")
        ))
        .with_fix(fix));
    }
    if sample.is_empty() || sample.len() > 1011 || !valid_chars || !valid_path {
        return Err(Error::usage(format!(
            "--ssm-parameter \"{template}\" does not make an SSM parameter name"
        ))
        .with_fix(fix));
    }
    Ok(())
}

/// The parameter's name for one layer, region and account.
pub fn render(template: &str, name: &str, region: &str, account: &str) -> String {
    template
        .replace("{name}", name)
        .replace("{region}", region)
        .replace("{account}", account)
}

/// Point `parameter` at `arn` (or, with `dry_run`, say whether it would be
/// written). Read first: a parameter that holds the ARN is left alone.
pub async fn point(
    region: &RegionClients,
    parameter: &str,
    arn: &str,
    dry_run: bool,
) -> Result<SsmPointer> {
    let place = format!("SSM parameter {parameter} in {}", region.scope);
    let current = match region.ssm.get_parameter().name(parameter).send().await {
        Ok(found) => found
            .parameter()
            .and_then(|p| p.value())
            .map(str::to_string),
        Err(err) if is_error_code(&err, "ParameterNotFound") => None,
        Err(err) => return Err(aws_error(&format!("reading {place}"), err)),
    };
    let written = current.as_deref() != Some(arn);
    if written && !dry_run {
        region
            .ssm
            .put_parameter()
            .name(parameter)
            .value(arn)
            .r#type(ParameterType::String)
            .overwrite(true)
            .description("Latest layer version ARN, written by layer-publish")
            .send()
            .await
            .map_err(|err| aws_error(&format!("writing {place}"), err))?;
        tracing::info!("{place} now points at {arn}");
    }
    Ok(SsmPointer {
        name: parameter.to_string(),
        written,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_are_checked_and_rendered() {
        assert!(validate_template("/layers/{name}/latest").is_ok());
        assert!(validate_template("/layers/{account}/{region}/{name}").is_ok());
        assert!(validate_template("layer-{name}").is_ok());
        for bad in [
            "/layers/{layer}/latest",
            "layers/{name}",
            "/layers/{name} latest",
            "",
        ] {
            assert_eq!(validate_template(bad).unwrap_err().exit_code(), 2, "{bad}");
        }
        assert_eq!(
            render(
                "/layers/{name}/{region}/{account}",
                "common",
                "eu-west-1",
                "111111111111"
            ),
            "/layers/common/eu-west-1/111111111111"
        );
    }
}
