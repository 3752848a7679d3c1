//! `lambda:GetLayerVersion` grants on a published version.
//!
//! Each grant has a statement id derived from what it grants, and the existing
//! policy is read first: a grant already there (by id, or by the same principal
//! and organization under another id) is reported with `"added": false`, so
//! re-running adds no duplicate statement.

use aws_sdk_lambda::Client;
use layer_aws::{aws_error, is_error_code};
use layer_core::sections::Grant;
use layer_core::{Error, Result};
use serde_json::Value;

use crate::GrantFlags;

/// One grant to make.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Wanted {
    statement_id: String,
    /// An account id, or `*`.
    principal: String,
    organization_id: Option<String>,
}

/// Check account and organization ids before anything is sent.
pub fn validate(flags: &GrantFlags) -> Result<()> {
    for account in &flags.accounts {
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::usage(format!(
                "--grant-account \"{account}\" is not an AWS account id"
            ))
            .with_fix("an account id is 12 digits, e.g. 123456789012"));
        }
    }
    if let Some(org) = &flags.org {
        let body = org.strip_prefix("o-").unwrap_or("");
        let valid = (10..=32).contains(&body.len())
            && body
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !valid {
            return Err(Error::usage(format!(
                "--grant-org \"{org}\" is not an AWS Organizations id"
            ))
            .with_fix("an organization id is o- followed by 10 to 32 lowercase letters or digits, e.g. o-a1b2c3d4e5"));
        }
    }
    Ok(())
}

fn wanted(flags: &GrantFlags) -> Vec<Wanted> {
    let mut grants: Vec<Wanted> = flags
        .accounts
        .iter()
        .map(|account| Wanted {
            statement_id: format!("layer-publish-account-{account}"),
            principal: account.clone(),
            organization_id: None,
        })
        .collect();
    grants.dedup();
    if let Some(org) = &flags.org {
        grants.push(Wanted {
            statement_id: format!("layer-publish-org-{org}"),
            principal: "*".into(),
            organization_id: Some(org.clone()),
        });
    }
    if flags.public {
        grants.push(Wanted {
            statement_id: "layer-publish-public".into(),
            principal: "*".into(),
            organization_id: None,
        });
    }
    grants
}

pub fn any(flags: &GrantFlags) -> bool {
    !flags.accounts.is_empty() || flags.org.is_some() || flags.public
}

/// Make the grants on one version; one GetLayerVersionPolicy, then one
/// AddLayerVersionPermission per grant not already there.
pub async fn apply(
    client: &Client,
    layer: &str,
    version: i64,
    flags: &GrantFlags,
) -> Result<Vec<Grant>> {
    let wanted = wanted(flags);
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let existing = existing_statements(client, layer, version).await?;
    let mut done = Vec::new();
    for grant in wanted {
        let present = existing
            .iter()
            .any(|statement| grants_the_same(statement, &grant));
        let added = !present && add(client, layer, version, &grant).await?;
        done.push(Grant {
            statement_id: grant.statement_id,
            principal: grant.principal,
            organization_id: grant.organization_id,
            added,
        });
    }
    Ok(done)
}

/// The grants a real run would make on a version (`--dry-run`), read-only:
/// `added` says which would be added. A version still to be published
/// (`None`) has no policy yet, so every grant would be added.
pub async fn plan(
    client: &Client,
    layer: &str,
    version: Option<i64>,
    flags: &GrantFlags,
) -> Result<Vec<Grant>> {
    let wanted = wanted(flags);
    let existing = match version {
        Some(version) if !wanted.is_empty() => existing_statements(client, layer, version).await?,
        _ => Vec::new(),
    };
    Ok(wanted
        .into_iter()
        .map(|grant| Grant {
            added: !existing
                .iter()
                .any(|statement| grants_the_same(statement, &grant)),
            statement_id: grant.statement_id,
            principal: grant.principal,
            organization_id: grant.organization_id,
        })
        .collect())
}

/// Add one statement. `false` when AWS says the statement id exists already
/// (someone granted it between our read and our write).
async fn add(client: &Client, layer: &str, version: i64, grant: &Wanted) -> Result<bool> {
    let result = client
        .add_layer_version_permission()
        .layer_name(layer)
        .version_number(version)
        .statement_id(&grant.statement_id)
        .action("lambda:GetLayerVersion")
        .principal(&grant.principal)
        .set_organization_id(grant.organization_id.clone())
        .send()
        .await;
    match result {
        Ok(_) => Ok(true),
        Err(err) if is_error_code(&err, "ResourceConflictException") => Ok(false),
        Err(err) => Err(aws_error(
            &format!(
                "granting {} on {layer}:{version} (AddLayerVersionPermission)",
                grant.principal
            ),
            err,
        )),
    }
}

/// The statements of a version's policy (empty when it has none).
pub async fn existing_statements(client: &Client, layer: &str, version: i64) -> Result<Vec<Value>> {
    let result = client
        .get_layer_version_policy()
        .layer_name(layer)
        .version_number(version)
        .send()
        .await;
    let policy = match result {
        Ok(output) => output.policy.unwrap_or_default(),
        Err(err) if is_error_code(&err, "ResourceNotFoundException") => return Ok(Vec::new()),
        Err(err) => {
            return Err(aws_error(
                &format!("reading the policy of {layer}:{version} (GetLayerVersionPolicy)"),
                err,
            ));
        }
    };
    let parsed: Value = serde_json::from_str(&policy).unwrap_or(Value::Null);
    Ok(match parsed.get("Statement") {
        Some(Value::Array(statements)) => statements.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        _ => Vec::new(),
    })
}

/// Who a version's policy lets use it, for people: `account 111122223333`,
/// `organization o-a1b2c3d4e5`, `everyone (public)`.
pub fn grantees(statements: &[Value]) -> Vec<String> {
    let mut who: Vec<String> = statements
        .iter()
        .filter_map(|statement| {
            let principal = principal_of(statement)?;
            Some(match (principal.as_str(), organization_of(statement)) {
                (_, Some(org)) => format!("organization {org}"),
                ("*", None) => "everyone (public)".to_string(),
                (account, None) => format!("account {account}"),
            })
        })
        .collect();
    who.sort();
    who.dedup();
    who
}

/// Does an existing policy statement grant what `grant` would?
fn grants_the_same(statement: &Value, grant: &Wanted) -> bool {
    if statement.get("Sid").and_then(Value::as_str) == Some(grant.statement_id.as_str()) {
        return true;
    }
    let action_ok = match statement.get("Action") {
        Some(Value::String(action)) => action == "lambda:GetLayerVersion" || action == "lambda:*",
        Some(Value::Array(actions)) => actions
            .iter()
            .any(|a| a.as_str() == Some("lambda:GetLayerVersion")),
        _ => false,
    };
    action_ok
        && principal_of(statement).as_deref() == Some(grant.principal.as_str())
        && organization_of(statement).as_deref() == grant.organization_id.as_deref()
}

/// The principal as an account id or `*`. AWS writes `{"AWS": "arn:aws:iam::ID:root"}`
/// or `"*"`; an emulator may write the bare id.
fn principal_of(statement: &Value) -> Option<String> {
    let raw = match statement.get("Principal")? {
        Value::String(text) => text.clone(),
        Value::Object(map) => map.get("AWS")?.as_str()?.to_string(),
        _ => return None,
    };
    let account = raw
        .strip_prefix("arn:")
        .and_then(|rest| rest.split(':').nth(3).map(str::to_string));
    Some(account.unwrap_or(raw))
}

fn organization_of(statement: &Value) -> Option<String> {
    if let Some(org) = statement.get("OrganizationId").and_then(Value::as_str) {
        return Some(org.to_string());
    }
    let condition = statement.get("Condition")?.get("StringEquals")?;
    let value = condition
        .get("aws:PrincipalOrgID")
        .or_else(|| condition.get("AWS:PrincipalOrgID"))?;
    value.as_str().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flags(accounts: &[&str], org: Option<&str>) -> GrantFlags {
        GrantFlags {
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            org: org.map(str::to_string),
            public: false,
        }
    }

    #[test]
    fn ids_are_checked() {
        assert!(validate(&flags(&["123456789012"], Some("o-a1b2c3d4e5"))).is_ok());
        for bad in ["12345678901", "1234567890123", "12345678901a", ""] {
            assert!(validate(&flags(&[bad], None)).is_err(), "{bad}");
        }
        for bad in [
            "o-short",
            "a1b2c3d4e5f6",
            "o-A1B2C3D4E5",
            &format!("o-{}", "a".repeat(33)),
        ] {
            assert!(validate(&flags(&[], Some(bad))).is_err(), "{bad}");
        }
    }

    #[test]
    fn recognises_aws_shaped_statements_under_other_ids() {
        let account = Wanted {
            statement_id: "layer-publish-account-111122223333".into(),
            principal: "111122223333".into(),
            organization_id: None,
        };
        let aws = json!({"Sid": "manual", "Effect": "Allow", "Action": "lambda:GetLayerVersion",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Resource": "arn"});
        assert!(grants_the_same(&aws, &account));
        let org = Wanted {
            statement_id: "x".into(),
            principal: "*".into(),
            organization_id: Some("o-a1b2c3d4e5".into()),
        };
        let org_statement = json!({"Sid": "y", "Action": "lambda:GetLayerVersion", "Principal": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}});
        assert!(grants_the_same(&org_statement, &org));
        // Public is not the same as an organization grant.
        let public = Wanted {
            statement_id: "z".into(),
            principal: "*".into(),
            organization_id: None,
        };
        assert!(!grants_the_same(&org_statement, &public));
    }
}
