//! What to do to one function: the new layer list and whether it may be applied.
//! Pure functions, no AWS: the rules that keep a function working.

use layer_aws::inventory::Package;
use layer_core::arn::LayerVersionArn;
use layer_core::platform::{Architecture, Date, Runtime};

/// Lambda's limit of layers per function.
pub const MAX_LAYERS: usize = 5;

/// A layer version to point functions at, with what it declares it runs on
/// (as AWS reports it; empty means it declares nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub arn: LayerVersionArn,
    pub runtimes: Vec<Runtime>,
    pub architectures: Vec<Architecture>,
}

/// What a function looks like when planned.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionState {
    pub name: String,
    pub runtime: Option<Runtime>,
    pub package: Package,
    pub architectures: Vec<Architecture>,
    pub layers: Vec<LayerVersionArn>,
}

/// The decision for one function.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The function needs this new layer list.
    Change(Vec<LayerVersionArn>),
    /// It already has it.
    Unchanged,
    /// It must not get it, for this reason; the planned list is kept for the record.
    Skip {
        after: Vec<LayerVersionArn>,
        reason: String,
    },
}

/// The function's new layer list: each target replaces the version of the same
/// layer in place (order matters: later layers override files of earlier ones),
/// or is appended when the function does not use that layer; every other layer
/// stays as it is.
pub fn new_layers(before: &[LayerVersionArn], targets: &[&Target]) -> Vec<LayerVersionArn> {
    let mut after = before.to_vec();
    for target in targets {
        match after.iter().position(|used| used.same_layer(&target.arn)) {
            Some(position) => after[position] = target.arn.clone(),
            None => after.push(target.arn.clone()),
        }
    }
    after
}

/// Plan one function against the targets that apply to it, on `today` (for
/// the runtime lifecycle: AWS refuses updates on a blocked runtime).
pub fn decide(function: &FunctionState, targets: &[&Target], today: Date) -> Decision {
    let after = new_layers(&function.layers, targets);
    if after == function.layers {
        return Decision::Unchanged;
    }
    match misfit(function, targets, &after, today) {
        Some(reason) => Decision::Skip { after, reason },
        None => Decision::Change(after),
    }
}

/// Why the function cannot take the new list, if it cannot.
fn misfit(
    function: &FunctionState,
    targets: &[&Target],
    after: &[LayerVersionArn],
    today: Date,
) -> Option<String> {
    // Whatever the layer declares: an image has no managed runtime to load layers.
    if function.package == Package::Image {
        return Some(
            "it is a container image function (PackageType Image), which cannot use layers".into(),
        );
    }
    if let Some(lifecycle) = function.runtime.as_ref().and_then(Runtime::lifecycle)
        && lifecycle.update_blocked_on(today)
    {
        return Some(format!(
            "AWS no longer lets functions on {} be updated: {}; move it to a supported runtime first",
            lifecycle.runtime,
            lifecycle.describe(today)
        ));
    }
    if after.len() > MAX_LAYERS {
        return Some(format!(
            "it would have {} layers; Lambda allows at most {MAX_LAYERS}",
            after.len()
        ));
    }
    let architecture = function
        .architectures
        .first()
        .copied()
        .unwrap_or(Architecture::X86_64);
    for target in targets {
        let layer = &target.arn;
        if !target.runtimes.is_empty() {
            let Some(runtime) = &function.runtime else {
                return Some("it reports no runtime, so no runtime of the layer can fit".into());
            };
            if !target.runtimes.contains(runtime) {
                return Some(format!(
                    "its runtime {runtime} is not among the compatible runtimes of {layer} ({})",
                    joined(&target.runtimes)
                ));
            }
        }
        if !target.architectures.is_empty() && !target.architectures.contains(&architecture) {
            return Some(format!(
                "its architecture {architecture} is not among the compatible architectures of {layer} ({})",
                joined(&target.architectures)
            ));
        }
    }
    None
}

fn joined(items: &[impl std::fmt::Display]) -> String {
    items
        .iter()
        .map(|item| item.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "arn:aws:lambda:us-east-1:123456789012:layer:common";
    const B: &str = "arn:aws:lambda:us-east-1:123456789012:layer:other";
    const C: &str = "arn:aws:lambda:us-east-1:123456789012:layer:common-extra";
    const TODAY: Date = Date::ymd(2026, 12, 4);

    fn target(arn: &str) -> Target {
        Target {
            arn: arn.parse().unwrap(),
            runtimes: vec!["python3.11".into(), "python3.12".into()],
            architectures: vec![Architecture::X86_64],
        }
    }

    fn arns(texts: &[String]) -> Vec<LayerVersionArn> {
        texts.iter().map(|text| text.parse().unwrap()).collect()
    }

    fn function(layers: &[String]) -> FunctionState {
        FunctionState {
            name: "api".into(),
            runtime: Some("python3.11".into()),
            package: Package::Zip,
            architectures: vec![Architecture::X86_64],
            layers: arns(layers),
        }
    }

    #[test]
    fn replaces_in_place_and_keeps_the_order_and_other_layers() {
        let before = arns(&[format!("{B}:3"), format!("{A}:1"), format!("{C}:2")]);
        let after = new_layers(&before, &[&target(&format!("{A}:4"))]);
        assert_eq!(
            after,
            arns(&[format!("{B}:3"), format!("{A}:4"), format!("{C}:2")])
        );
    }

    #[test]
    fn appends_a_layer_the_function_does_not_use() {
        let before = arns(&[format!("{B}:3")]);
        let after = new_layers(&before, &[&target(&format!("{A}:4"))]);
        assert_eq!(after, arns(&[format!("{B}:3"), format!("{A}:4")]));
    }

    #[test]
    fn several_targets_make_one_list() {
        let before = arns(&[format!("{A}:1"), format!("{B}:1")]);
        let targets = [target(&format!("{B}:2")), target(&format!("{A}:5"))];
        let after = new_layers(&before, &targets.iter().collect::<Vec<_>>());
        assert_eq!(after, arns(&[format!("{A}:5"), format!("{B}:2")]));
    }

    #[test]
    fn a_function_already_on_the_target_is_unchanged() {
        let f = function(&[format!("{A}:4")]);
        assert_eq!(
            decide(&f, &[&target(&format!("{A}:4"))], TODAY),
            Decision::Unchanged
        );
    }

    #[test]
    fn a_sixth_layer_is_refused() {
        let layers: Vec<String> = (1..=5)
            .map(|i| format!("arn:aws:lambda:us-east-1:123456789012:layer:l{i}:1"))
            .collect();
        let Decision::Skip { reason, after } =
            decide(&function(&layers), &[&target(&format!("{A}:4"))], TODAY)
        else {
            panic!("expected a skip");
        };
        assert!(reason.contains("6 layers"), "{reason}");
        assert_eq!(after.len(), 6);
    }

    #[test]
    fn runtime_and_architecture_must_fit() {
        let t = target(&format!("{A}:4"));
        let mut other_runtime = function(&[]);
        other_runtime.runtime = Some("python3.13".into());
        let Decision::Skip { reason, .. } = decide(&other_runtime, &[&t], TODAY) else {
            panic!()
        };
        assert!(reason.contains("runtime python3.13"), "{reason}");

        let mut arm = function(&[]);
        arm.architectures = vec![Architecture::Arm64];
        let Decision::Skip { reason, .. } = decide(&arm, &[&t], TODAY) else {
            panic!()
        };
        assert!(reason.contains("architecture arm64"), "{reason}");

        let mut no_runtime = function(&[]);
        no_runtime.runtime = None;
        assert!(matches!(
            decide(&no_runtime, &[&t], TODAY),
            Decision::Skip { .. }
        ));
    }

    #[test]
    fn an_image_is_skipped_whatever_the_layer_declares() {
        let mut t = target(&format!("{A}:4"));
        t.runtimes.clear();
        t.architectures.clear();
        let mut image = function(&[]);
        image.package = Package::Image;
        let Decision::Skip { reason, .. } = decide(&image, &[&t], TODAY) else {
            panic!("an image function must be skipped")
        };
        assert!(reason.contains("PackageType Image"), "{reason}");
    }

    #[test]
    fn a_runtime_aws_no_longer_lets_update_is_skipped_from_its_block_day() {
        let mut t = target(&format!("{A}:4"));
        t.runtimes.push("python3.9".into());
        let mut old = function(&[]);
        old.runtime = Some("python3.9".into());
        let day_before = Date::ymd(2026, 3, 8);
        assert!(matches!(
            decide(&old, &[&t], day_before),
            Decision::Change(_)
        ));
        let Decision::Skip { reason, .. } = decide(&old, &[&t], Date::ymd(2026, 3, 9)) else {
            panic!("python3.9 updates are blocked from 2026-03-09")
        };
        assert!(
            reason.starts_with("AWS no longer lets functions on python3.9 be updated"),
            "{reason}"
        );
        assert!(reason.contains("since 2026-03-09"), "{reason}");
    }

    #[test]
    fn a_layer_that_declares_nothing_fits_everything() {
        let mut t = target(&format!("{A}:4"));
        t.runtimes.clear();
        t.architectures.clear();
        let mut f = function(&[]);
        f.runtime = Some("nodejs20.x".into());
        f.architectures = vec![Architecture::Arm64];
        assert_eq!(
            decide(&f, &[&t], TODAY),
            Decision::Change(arns(&[format!("{A}:4")]))
        );
    }

    #[test]
    fn a_prefix_named_layer_is_another_layer() {
        // "common-extra" is not a version of "common", whatever a prefix match says.
        let before = arns(&[format!("{C}:2")]);
        let after = new_layers(&before, &[&target(&format!("{A}:4"))]);
        assert_eq!(after, arns(&[format!("{C}:2"), format!("{A}:4")]));
    }
}
