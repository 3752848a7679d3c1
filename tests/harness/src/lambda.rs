use aws_sdk_lambda::types::{
    Architecture, FunctionCode, FunctionConfiguration, PackageType, Runtime,
};

use crate::account::Account;
use crate::zipfile::zip_bytes;

/// A function to create for a test.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub name: String,
    pub runtime: String,
    pub architecture: String,
    /// Layer version ARNs, in order.
    pub layers: Vec<String>,
    pub tags: Vec<(String, String)>,
    /// A container image function (PackageType Image) of this image, instead of a .zip.
    pub image_uri: Option<String>,
}

impl FunctionSpec {
    pub fn new(name: impl Into<String>) -> Self {
        FunctionSpec {
            name: name.into(),
            runtime: "python3.11".into(),
            architecture: "x86_64".into(),
            layers: Vec::new(),
            tags: Vec::new(),
            image_uri: None,
        }
    }

    /// A container image function (no runtime, no layers of its own).
    pub fn image(mut self) -> Self {
        self.image_uri = Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest".into());
        self
    }

    pub fn runtime(mut self, runtime: &str) -> Self {
        self.runtime = runtime.into();
        self
    }

    pub fn architecture(mut self, architecture: &str) -> Self {
        self.architecture = architecture.into();
        self
    }

    pub fn layer(mut self, arn: impl Into<String>) -> Self {
        self.layers.push(arn.into());
        self
    }

    pub fn tag(mut self, key: &str, value: &str) -> Self {
        self.tags.push((key.into(), value.into()));
        self
    }
}

/// A handler that answers like a healthy health check.
const HANDLER: &str =
    "def handler(event, context):\n    return {\"statusCode\": 200, \"body\": \"ok\"}\n";

impl Account {
    /// Create a function through the real SDK (its layers must exist).
    pub async fn create_function(
        &self,
        region: &str,
        spec: &FunctionSpec,
    ) -> FunctionConfiguration {
        let role = self.role_arn().await.to_string();
        let code = zip_bytes(&[("handler.py", HANDLER.as_bytes())]);
        let request = self
            .lambda(region)
            .await
            .create_function()
            .function_name(&spec.name)
            .architectures(Architecture::from(spec.architecture.as_str()))
            .role(role)
            .set_layers(Some(spec.layers.clone()));
        let mut request = match &spec.image_uri {
            Some(image) => request
                .package_type(PackageType::Image)
                .code(FunctionCode::builder().image_uri(image).build()),
            None => request
                .runtime(Runtime::from(spec.runtime.as_str()))
                .handler("handler.handler")
                .code(FunctionCode::builder().zip_file(code.into()).build()),
        };
        for (key, value) in &spec.tags {
            request = request.tags(key, value);
        }
        let created = request
            .send()
            .await
            .unwrap_or_else(|err| panic!("create-function {} failed: {err:?}", spec.name));
        FunctionConfiguration::builder()
            .set_function_name(created.function_name)
            .set_function_arn(created.function_arn)
            .set_layers(created.layers)
            .build()
    }

    /// The layer version ARNs a function uses now, in order.
    pub async fn function_layers(&self, region: &str, name: &str) -> Vec<String> {
        let config = self
            .lambda(region)
            .await
            .get_function_configuration()
            .function_name(name)
            .send()
            .await
            .unwrap_or_else(|err| panic!("get-function-configuration {name} failed: {err:?}"));
        config
            .layers()
            .iter()
            .filter_map(|layer| layer.arn().map(str::to_string))
            .collect()
    }

    /// Publish a layer version directly through the SDK (to set up a test's
    /// starting state), for python3.11 and python3.12 on x86_64. Returns the version ARN.
    pub async fn publish_layer(&self, region: &str, name: &str, files: &[(&str, &[u8])]) -> String {
        self.publish_layer_for(region, name, Architecture::X8664, files)
            .await
    }

    /// Like [`Account::publish_layer`], for one architecture (a build of a
    /// layer family: `makoto-common-arm64` for arm64).
    pub async fn publish_layer_for(
        &self,
        region: &str,
        name: &str,
        architecture: Architecture,
        files: &[(&str, &[u8])],
    ) -> String {
        let published = self
            .lambda(region)
            .await
            .publish_layer_version()
            .layer_name(name)
            .content(
                aws_sdk_lambda::types::LayerVersionContentInput::builder()
                    .zip_file(zip_bytes(files).into())
                    .build(),
            )
            .compatible_runtimes(Runtime::Python311)
            .compatible_runtimes(Runtime::Python312)
            .compatible_architectures(architecture)
            .send()
            .await
            .unwrap_or_else(|err| panic!("publish-layer-version {name} failed: {err:?}"));
        published
            .layer_version_arn()
            .expect("layer version arn")
            .to_string()
    }
}
