//! Estates: the accounts × regions a run works in. `--account ID` (repeatable)
//! with `--role-arn TEMPLATE` makes a tool assume the role in each account
//! (STS, session name `TOOL-RUN`) and work in every account × region pair;
//! without them it works in the credentials' own account.
//!
//! Every role is assumed before anything changes (a role that cannot be
//! assumed is a usage error naming the account), and each account's configs
//! carry only that account's credentials: a client of one account can never
//! sign a request with another's. Credentials never appear in messages.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_credential_types::provider::SharedCredentialsProvider;
use layer_core::{Error, Result};

use crate::AwsArgs;
use crate::pace::THIS_ACCOUNT;

/// `--account` and `--role-arn`: the same two flags, with one meaning, in
/// every AWS tool (flattened into [`AwsArgs`]).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EstateArgs {
    /// Work in this AWS account (12 digits) by assuming --role-arn in it; repeat
    /// for several: every account × every --region, concurrently, e.g.
    /// --account 111111111111 --account 222222222222 --role-arn 'arn:aws:iam::{account}:role/LayerDeployer'.
    #[arg(long = "account", id = "estate_accounts", value_name = "ACCOUNT_ID")]
    pub accounts: Vec<String>,

    /// The role to assume in each --account, `{account}` standing for the
    /// account id, e.g. 'arn:aws:iam::{account}:role/LayerDeployer'. The
    /// session is named after the tool and the run (layer-attach-1733300000-4242).
    #[arg(long, value_name = "TEMPLATE")]
    pub role_arn: Option<String>,
}

impl EstateArgs {
    /// Are the flags given at all?
    pub fn is_set(&self) -> bool {
        !self.accounts.is_empty() || self.role_arn.is_some()
    }

    /// Check the flags without any AWS call: account ids of 12 digits, a
    /// template with `{account}`, and no `--account` without `--role-arn`.
    pub fn check(&self) -> Result<()> {
        for account in &self.accounts {
            validate_account(account)?;
        }
        match (&self.role_arn, self.accounts.first()) {
            (None, Some(account)) => Err(Error::usage(format!(
                "--account {account} needs --role-arn: the tool works in another account by assuming a role there"
            ))
            .with_fix("add --role-arn 'arn:aws:iam::{account}:role/LayerDeployer' (the role each account trusts you to assume)")),
            (Some(template), None) => {
                validate_template(template)?;
                Err(Error::usage("--role-arn without --account: which accounts?")
                    .with_fix("name every account with --account ID (repeatable)"))
            }
            (Some(template), Some(_)) => validate_template(template),
            (None, None) => Ok(()),
        }
    }

    /// The accounts of the run: every `--account` once, in the order given;
    /// `[None]` (the credentials' own account) without `--account`.
    pub fn accounts(&self) -> Vec<Option<String>> {
        if self.accounts.is_empty() {
            return vec![None];
        }
        let mut seen = BTreeSet::new();
        self.accounts
            .iter()
            .filter(|account| seen.insert(account.as_str()))
            .map(|account| Some(account.clone()))
            .collect()
    }
}

/// An account id is 12 digits.
pub fn validate_account(account: &str) -> Result<()> {
    if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(
            Error::usage(format!("account \"{account}\" is not an AWS account id")).with_fix(
                "an account id is 12 digits, e.g. --account 111111111111 (keep leading zeros)",
            ),
        )
    }
}

/// A role template must name the account, and make a role ARN.
fn validate_template(template: &str) -> Result<()> {
    if !template.contains("{account}") {
        return Err(Error::usage(format!(
            "--role-arn \"{template}\" has no {{account}}: every account would assume the same role"
        ))
        .with_fix(
            "write the account as {account}, e.g. 'arn:aws:iam::{account}:role/LayerDeployer'",
        ));
    }
    let example = role_arn(template, "123456789012");
    let parts: Vec<&str> = example.splitn(6, ':').collect();
    let is_role = parts.len() == 6
        && parts[0] == "arn"
        && parts[2] == "iam"
        && parts[4] == "123456789012"
        && parts[5].starts_with("role/")
        && parts[5].len() > "role/".len();
    if is_role {
        Ok(())
    } else {
        Err(Error::usage(format!(
            "--role-arn \"{template}\" does not make a role ARN"
        ))
        .with_fix("use the form 'arn:aws:iam::{account}:role/NAME'"))
    }
}

/// The role ARN of `account` from the template.
pub fn role_arn(template: &str, account: &str) -> String {
    template.replace("{account}", account)
}

/// One account and region of a run: `account` is `None` for the credentials'
/// own account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    pub account: Option<String>,
    pub region: String,
}

impl Scope {
    pub fn new(account: Option<String>, region: impl Into<String>) -> Scope {
        Scope {
            account,
            region: region.into(),
        }
    }

    /// The key of its pacer ([`crate::Pacers::get`]).
    pub fn pacer_account(&self) -> &str {
        self.account.as_deref().unwrap_or(THIS_ACCOUNT)
    }
}

/// `eu-west-1`, or `111111111111/eu-west-1` in an estate.
impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.account {
            Some(account) => write!(f, "{account}/{}", self.region),
            None => f.write_str(&self.region),
        }
    }
}

/// The SDK config of every account and region of a run, each account's with
/// its own assumed-role credentials.
#[derive(Debug, Clone)]
pub struct Estate {
    configs: BTreeMap<Scope, SdkConfig>,
}

impl Estate {
    /// The scopes, accounts in order, then regions.
    pub fn scopes(&self) -> impl Iterator<Item = &Scope> {
        self.configs.keys()
    }

    pub fn configs(&self) -> impl Iterator<Item = (&Scope, &SdkConfig)> {
        self.configs.iter()
    }

    pub fn config(&self, scope: &Scope) -> Option<&SdkConfig> {
        self.configs.get(scope)
    }
}

/// The run's id in session names: seconds since the epoch and the process id.
fn run_id() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("{secs}-{}", std::process::id())
}

impl AwsArgs {
    /// Every account (`--account`, or the credentials' own) × every region.
    /// Checks the flags, then assumes every role before returning: a role
    /// that cannot be assumed stops the run here, before anything changes.
    pub async fn estate(&self, tool: &str, regions: &[String]) -> Result<Estate> {
        self.estate.check()?;
        let scopes = self
            .estate
            .accounts()
            .into_iter()
            .flat_map(|account| {
                regions
                    .iter()
                    .map(move |region| Scope::new(account.clone(), region.clone()))
            })
            .collect();
        self.connect_scopes(tool, scopes).await
    }

    /// Configs for the given scopes (e.g. a deploy record's); the accounts
    /// named there need `--role-arn`.
    pub async fn connect_scopes(&self, tool: &str, scopes: BTreeSet<Scope>) -> Result<Estate> {
        let accounts: BTreeSet<&str> = scopes.iter().filter_map(|s| s.account.as_deref()).collect();
        let mut credentials = BTreeMap::new();
        if let Some(first) = accounts.first() {
            let Some(template) = &self.estate.role_arn else {
                return Err(Error::usage(format!(
                    "the input names account {first}; working there needs --role-arn"
                ))
                .with_fix("pass --role-arn 'arn:aws:iam::{account}:role/LayerDeployer' (the role of the deploy)"));
            };
            validate_template(template)?;
            let region = scopes.first().map(|s| s.region.clone()).unwrap_or_default();
            let base = self.sdk_config(&region).await?;
            let session = format!("{tool}-{}", run_id());
            for account in &accounts {
                validate_account(account)?;
                let provider =
                    assume(&base, &role_arn(template, account), account, &session).await?;
                credentials.insert(account.to_string(), provider);
            }
        }
        let mut configs = BTreeMap::new();
        for scope in scopes {
            crate::validate_region(&scope.region)?;
            let config = match &scope.account {
                None => self.sdk_config(&scope.region).await?,
                Some(account) => {
                    self.loader(&scope.region)?
                        .credentials_provider(credentials[account].clone())
                        .load()
                        .await
                }
            };
            configs.insert(scope, config);
        }
        Ok(Estate { configs })
    }
}

/// Assume `role` with the base credentials, once now (to prove it can be,
/// with STS's own answer when not), and hand back a provider that assumes it
/// again whenever the credentials expire.
async fn assume(
    base: &SdkConfig,
    role: &str,
    account: &str,
    session: &str,
) -> Result<SharedCredentialsProvider> {
    use aws_sdk_sts::error::ProvideErrorMetadata;
    let cannot = |why: String| {
        Error::usage(format!(
            "cannot assume {role} in account {account}: {why}; nothing was changed"
        ))
        .with_fix("check that the role exists in that account and trusts these credentials (sts:AssumeRole), or drop the --account")
    };
    let attempt = aws_sdk_sts::Client::new(base)
        .assume_role()
        .role_arn(role)
        .role_session_name(session)
        .send();
    match tokio::time::timeout(Duration::from_secs(30), attempt).await {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => {
            let why = match (err.code(), err.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_string(),
                _ => error_chain(&err),
            };
            return Err(cannot(why));
        }
        Err(_) => return Err(cannot("STS did not answer in 30 s".into())),
    }
    let provider = AssumeRoleProvider::builder(role)
        .session_name(session)
        .configure(base)
        .build()
        .await;
    Ok(SharedCredentialsProvider::new(provider))
}

/// An error and its causes on one line (never credentials, which errors do
/// not carry).
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(accounts: &[&str], role: Option<&str>) -> EstateArgs {
        EstateArgs {
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            role_arn: role.map(str::to_string),
        }
    }

    const ROLE: &str = "arn:aws:iam::{account}:role/LayerDeployer";

    #[test]
    fn flags_are_checked_before_any_call() {
        assert!(args(&[], None).check().is_ok());
        assert!(args(&["111111111111"], Some(ROLE)).check().is_ok());
        for (bad, named) in [
            (args(&["11111111111"], Some(ROLE)), "11111111111"),
            (args(&["1111111111a1"], Some(ROLE)), "1111111111a1"),
            (args(&["111111111111"], None), "111111111111"),
            (
                args(&["111111111111"], Some("arn:aws:iam::111111111111:role/X")),
                "{account}",
            ),
            (args(&["111111111111"], Some("{account}")), "role ARN"),
            (args(&[], Some(ROLE)), "--account"),
        ] {
            let err = bad.check().unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
            assert!(
                format!("{err:#}").contains(named),
                "{err:#} should name {named}"
            );
        }
    }

    #[test]
    fn accounts_once_each_in_order() {
        let estate = args(
            &["222222222222", "111111111111", "222222222222"],
            Some(ROLE),
        );
        assert_eq!(
            estate.accounts(),
            vec![Some("222222222222".into()), Some("111111111111".into())]
        );
        assert_eq!(args(&[], None).accounts(), vec![None]);
        assert_eq!(
            role_arn(ROLE, "111111111111"),
            "arn:aws:iam::111111111111:role/LayerDeployer"
        );
    }

    #[test]
    fn scopes_name_their_account_and_pacer() {
        let own = Scope::new(None, "eu-west-1");
        let other = Scope::new(Some("111111111111".into()), "eu-west-1");
        assert_eq!(own.to_string(), "eu-west-1");
        assert_eq!(other.to_string(), "111111111111/eu-west-1");
        assert_eq!(own.pacer_account(), THIS_ACCOUNT);
        assert_eq!(other.pacer_account(), "111111111111");
    }
}
