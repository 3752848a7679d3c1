//! Lambda's answers, parsed once where they come in: runtimes, architectures
//! and layer ARNs become `layer_core` types here, and nowhere else.

use aws_sdk_lambda::types as sdk;
use layer_core::arn::LayerVersionArn;
use layer_core::platform::{Architecture, Runtime};
use layer_core::{Error, Result};

/// A runtime as Lambda reports it; one this build does not know is kept as written.
pub fn runtime(runtime: &sdk::Runtime) -> Runtime {
    Runtime::from(runtime.as_str())
}

/// Runtimes as Lambda reports them, sorted and without repeats.
pub fn runtimes(runtimes: &[sdk::Runtime]) -> Vec<Runtime> {
    let mut typed: Vec<Runtime> = runtimes.iter().map(runtime).collect();
    typed.sort();
    typed.dedup();
    typed
}

/// Architectures as Lambda reports them, sorted and without repeats. Lambda
/// has two; a third would need a newer build of the tools, and says so.
pub fn architectures(architectures: &[sdk::Architecture]) -> Result<Vec<Architecture>> {
    let mut typed = architectures
        .iter()
        .map(|arch| {
            Architecture::parse(arch.as_str()).map_err(|_| {
                Error::failed(format!(
                    "AWS reported the architecture {:?}, which this build of the layer tools does not know",
                    arch.as_str()
                ))
                .with_fix("upgrade the layer tools")
            })
        })
        .collect::<Result<Vec<_>>>()?;
    typed.sort();
    typed.dedup();
    Ok(typed)
}

/// A layer version ARN in an answer of Lambda (`what` names the answer in the message).
pub fn layer_version_arn(arn: Option<&str>, what: &str) -> Result<LayerVersionArn> {
    let arn = arn.unwrap_or_default();
    arn.parse().map_err(|err: Error| {
        Error::failed(format!(
            "{what}: AWS answered with {arn:?}, which is not a layer version ARN"
        ))
        .with_source(err)
    })
}

/// A function's layers, in order.
pub fn function_layers(layers: &[sdk::Layer], function: &str) -> Result<Vec<LayerVersionArn>> {
    layers
        .iter()
        .map(|layer| layer_version_arn(layer.arn(), &format!("the layers of {function}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtimes_lambda_reports_are_kept_whatever_they_are() {
        let read = runtimes(&[
            sdk::Runtime::Python312,
            sdk::Runtime::from("nodejs99.x"),
            sdk::Runtime::Python312,
        ]);
        let names: Vec<String> = read.into_iter().map(String::from).collect();
        assert_eq!(names, ["nodejs99.x", "python3.12"]);
    }

    #[test]
    fn an_unknown_architecture_or_a_broken_arn_is_a_clear_failure() {
        let err = architectures(&[sdk::Architecture::from("riscv64")]).unwrap_err();
        assert!(err.to_string().contains("\"riscv64\""), "{err}");
        assert_eq!(err.fix(), Some("upgrade the layer tools"));
        assert_eq!(
            architectures(&[sdk::Architecture::X8664, sdk::Architecture::Arm64]).unwrap(),
            [Architecture::Arm64, Architecture::X86_64]
        );
        let err = layer_version_arn(Some("arn:aws:lambda:x"), "listing").unwrap_err();
        assert!(
            err.to_string().starts_with("listing: AWS answered"),
            "{err}"
        );
    }
}
