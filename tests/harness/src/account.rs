use std::ffi::OsStr;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use tokio::sync::OnceCell;

use crate::REGION;
use crate::moto::moto;

/// An AWS account of its own for one test, on the shared moto server.
#[derive(Debug)]
pub struct Account {
    pub id: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    endpoint: String,
    role_arn: OnceCell<String>,
}

/// The variables that could make a tool talk to something else than our moto
/// server, or read the developer's own AWS setup. They are removed before a
/// tool runs.
const FOREIGN_AWS_VARS: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_LAMBDA",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_CLOUDWATCH",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
];

/// The state folder the tools write journals to in tests: one per test process.
pub fn state_home() -> String {
    std::env::temp_dir()
        .join(format!("layer-tools-test-state-{}", std::process::id()))
        .display()
        .to_string()
}

impl Account {
    /// A fresh account: assume a role in a new 12-digit account id. moto keys
    /// all state by account, so nothing of another test is visible here.
    pub async fn new() -> Account {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let server = moto();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        // One moto server per test binary, so a counter is unique enough. It
        // stays clear of moto's default account, 123456789012.
        let id = (200_000_000_000 + n).to_string();
        let base = sdk_config(server.endpoint(), REGION, "testing", "testing", None).await;
        let sts = aws_sdk_sts::Client::new(&base);
        let assumed = sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{id}:role/layer-tools-test"))
            .role_session_name("layer-tools-test")
            .send()
            .await
            .unwrap_or_else(|err| panic!("sts assume-role on moto failed: {err:?}"));
        let creds = assumed
            .credentials()
            .expect("assume-role returned credentials");
        Account {
            id,
            access_key_id: creds.access_key_id().to_string(),
            secret_access_key: creds.secret_access_key().to_string(),
            session_token: creds.session_token().to_string(),
            endpoint: server.endpoint().to_string(),
            role_arn: OnceCell::new(),
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The environment a tool needs to act in this account on moto.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", self.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_access_key.clone()),
            ("AWS_SESSION_TOKEN", self.session_token.clone()),
            ("AWS_REGION", REGION.to_string()),
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            // Never reach for the EC2 metadata service, nor the user's files.
            ("AWS_EC2_METADATA_DISABLED", "true".to_string()),
            (
                "AWS_CONFIG_FILE",
                "/nonexistent/layer-tools-test/config".to_string(),
            ),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/layer-tools-test/credentials".to_string(),
            ),
            // Journals (layer-attach) go to a folder of this test process, not
            // to the user's ~/.local/state.
            ("XDG_STATE_HOME", state_home()),
        ]
    }

    /// A command for a tool binary (e.g. `env!("CARGO_BIN_EXE_layer-publish")`)
    /// that acts in this account.
    pub fn command(&self, program: impl AsRef<OsStr>) -> assert_cmd::Command {
        let mut command = assert_cmd::Command::new(program.as_ref());
        for var in FOREIGN_AWS_VARS {
            command.env_remove(var);
        }
        command.envs(self.env());
        command
    }

    /// A command with no AWS credentials or region at all (for the error paths).
    pub fn bare_command(program: impl AsRef<OsStr>) -> assert_cmd::Command {
        let mut command = assert_cmd::Command::new(program.as_ref());
        for var in FOREIGN_AWS_VARS {
            command.env_remove(var);
        }
        command
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent/layer-tools-test/config")
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/layer-tools-test/credentials",
            )
            .env("XDG_STATE_HOME", state_home());
        command
    }

    /// An SDK config for this account in a region.
    pub async fn sdk_config(&self, region: &str) -> SdkConfig {
        sdk_config(
            &self.endpoint,
            region,
            &self.access_key_id,
            &self.secret_access_key,
            Some(self.session_token.clone()),
        )
        .await
    }

    pub async fn lambda(&self, region: &str) -> aws_sdk_lambda::Client {
        aws_sdk_lambda::Client::new(&self.sdk_config(region).await)
    }

    /// A Lambda client of this account that talks to `endpoint` (a proxy) and
    /// never retries, so that each call is exactly one request.
    pub async fn lambda_through(&self, endpoint: &str) -> aws_sdk_lambda::Client {
        let config = self.sdk_config(REGION).await;
        let config = aws_sdk_lambda::config::Builder::from(&config)
            .endpoint_url(endpoint)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_lambda::Client::from_conf(config)
    }

    pub async fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::new(&self.sdk_config(REGION).await)
    }

    /// The ARN of an execution role for test functions (created once per account).
    pub async fn role_arn(&self) -> &str {
        self.role_arn
            .get_or_init(|| async {
                let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
                let created = self
                    .iam()
                    .await
                    .create_role()
                    .role_name("layer-tools-test-lambda")
                    .assume_role_policy_document(trust)
                    .send()
                    .await
                    .unwrap_or_else(|err| panic!("iam create-role failed: {err:?}"));
                created.role().expect("role").arn().to_string()
            })
            .await
    }
}

async fn sdk_config(
    endpoint: &str,
    region: &str,
    key: &str,
    secret: &str,
    token: Option<String>,
) -> SdkConfig {
    let credentials =
        aws_sdk_sts::config::Credentials::new(key, secret, token, None, "layer-tools-test");
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .load()
        .await
}
