//! What to do to one function: the new layer list and whether it may be applied.
//! Pure functions, no AWS: the rules that keep a function working.

use layer_aws::inventory::Package;
use layer_core::arn::{LayerArn, LayerVersionArn};
use layer_core::platform::{self, Architecture, Date, Runtime};
use layer_core::sections::FamilyBuild;

/// Lambda's limit of layers per function.
pub const MAX_LAYERS: usize = 5;

/// A layer version to point functions at, with what it declares it runs on
/// (as AWS reports it; empty means it declares nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub arn: LayerVersionArn,
    pub runtimes: Vec<Runtime>,
    pub architectures: Vec<Architecture>,
    /// What the build covers, from the record's `layer` section
    /// (`layer.family.targets`; none without a `layer` section).
    pub covers: Option<Vec<platform::Target>>,
    /// The layers it takes the place of in a function's list: every build of
    /// its family (a function moving from `makoto-common` to
    /// `makoto-common-arm64` gets it in the same position). Its own layer always.
    pub replaces: Vec<LayerArn>,
}

impl Target {
    /// Does it take the place of this layer version in a function's list?
    fn takes_place_of(&self, used: &LayerVersionArn) -> bool {
        used.same_layer(&self.arn) || self.replaces.iter().any(|layer| used.is_version_of(layer))
    }

    /// Does the build cover this runtime on this architecture? Without the
    /// record's targets, what AWS says it declares (nothing declared fits all).
    fn covers(&self, runtime: &Runtime, arch: Architecture) -> bool {
        match &self.covers {
            Some(targets) => targets
                .iter()
                .any(|t| &t.runtime == runtime && t.arch == arch),
            None => {
                (self.runtimes.is_empty() || self.runtimes.contains(runtime))
                    && (self.architectures.is_empty() || self.architectures.contains(&arch))
            }
        }
    }
}

/// The builds of one layer family a run points functions at, in one region.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    /// The layer's name in `layer.yaml` (the record's own name without a family).
    pub name: String,
    /// This run's builds (one per record).
    pub builds: Vec<Target>,
    /// Every build the records' family lists, those not in this run too.
    pub listed: Vec<FamilyBuild>,
}

/// Which build of a family a function gets.
#[derive(Debug, Clone, PartialEq)]
pub enum Choice<'a> {
    Build(&'a Target),
    /// None fits, for this reason.
    NoneFits(String),
}

impl Family {
    /// Does the function use any build of the family (any version)?
    pub fn used_by(&self, function: &FunctionState) -> bool {
        function
            .layers
            .iter()
            .any(|used| self.builds.iter().any(|build| build.takes_place_of(used)))
    }

    /// The build that covers the function's runtime on its architecture. A
    /// family of one build in this run gives that build whatever it covers
    /// (the usual checks then say why it does not fit, if it does not), unless
    /// the family has another build for the function that is not in this run.
    pub fn choose(&self, function: &FunctionState) -> Choice<'_> {
        let arch = architecture_of(function);
        if let Some(runtime) = &function.runtime
            && let Some(build) = self.builds.iter().find(|b| b.covers(runtime, arch))
        {
            return Choice::Build(build);
        }
        let absent = function.runtime.as_ref().and_then(|runtime| {
            self.listed.iter().find(|listed| {
                !self.builds.iter().any(|b| b.arn.name == listed.name)
                    && listed
                        .targets
                        .iter()
                        .any(|t| &t.runtime == runtime && t.arch == arch)
            })
        });
        if let Some(absent) = absent {
            return Choice::NoneFits(format!(
                "{}'s build for {} on {arch} is {}, which is not among this run's records",
                self.name,
                function.runtime.as_ref().expect("found by runtime"),
                absent.name
            ));
        }
        if let [only] = self.builds.as_slice() {
            return Choice::Build(only);
        }
        let Some(runtime) = &function.runtime else {
            return Choice::NoneFits(
                "it has no runtime (a container image function cannot use layers)".into(),
            );
        };
        Choice::NoneFits(format!(
            "no build of {} fits its {runtime} on {arch} ({})",
            self.name,
            self.builds
                .iter()
                .map(|b| format!(
                    "{} covers {}",
                    b.arn.name,
                    b.covers.as_ref().map_or_else(
                        || "what AWS lists for it".to_string(),
                        |targets| joined(targets)
                    )
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ))
    }
}

/// The architecture a function runs on (Lambda's default: x86_64).
fn architecture_of(function: &FunctionState) -> Architecture {
    function
        .architectures
        .first()
        .copied()
        .unwrap_or(Architecture::X86_64)
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
/// layer, or of another build of its family, in place (order matters: later
/// layers override files of earlier ones), or is appended when the function
/// uses neither; a second build of the family in the list goes (a function
/// runs one architecture); every other layer stays as it is.
pub fn new_layers(before: &[LayerVersionArn], targets: &[&Target]) -> Vec<LayerVersionArn> {
    let mut after = before.to_vec();
    for target in targets {
        let mut places = after
            .iter()
            .enumerate()
            .filter(|(_, used)| target.takes_place_of(used))
            .map(|(position, _)| position);
        match places.next() {
            Some(first) => {
                let others: Vec<usize> = places.collect();
                after[first] = target.arn.clone();
                for position in others.into_iter().rev() {
                    after.remove(position);
                }
            }
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
    let architecture = architecture_of(function);
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
            covers: None,
            replaces: Vec::new(),
        }
    }

    /// A build of the family `common` (`common` for x86_64, `common-arm64`),
    /// covering python3.11 and python3.12 on its architecture.
    fn build(arn: &str, arch: Architecture) -> Target {
        let layer = |name: &str| format!("arn:aws:lambda:us-east-1:123456789012:layer:{name}");
        Target {
            arn: arn.parse().unwrap(),
            runtimes: vec!["python3.11".into(), "python3.12".into()],
            architectures: vec![arch],
            covers: Some(covering(arch)),
            replaces: vec![
                layer("common").parse().unwrap(),
                layer("common-arm64").parse().unwrap(),
            ],
        }
    }

    fn covering(arch: Architecture) -> Vec<platform::Target> {
        ["python3.11", "python3.12"]
            .into_iter()
            .map(|runtime| platform::Target::new(runtime, arch))
            .collect()
    }

    fn family(builds: Vec<Target>) -> Family {
        Family {
            name: "common".into(),
            builds,
            listed: vec![
                FamilyBuild {
                    name: "common".into(),
                    targets: covering(Architecture::X86_64),
                    extra: Default::default(),
                },
                FamilyBuild {
                    name: "common-arm64".into(),
                    targets: covering(Architecture::Arm64),
                    extra: Default::default(),
                },
            ],
        }
    }

    #[test]
    fn each_function_gets_the_build_of_its_architecture_in_the_same_position() {
        const ARM: &str = "arn:aws:lambda:us-east-1:123456789012:layer:common-arm64";
        let both = family(vec![
            build(&format!("{A}:7"), Architecture::X86_64),
            build(&format!("{ARM}:3"), Architecture::Arm64),
        ]);
        let mut arm = function(&[format!("{B}:3"), format!("{ARM}:2")]);
        arm.architectures = vec![Architecture::Arm64];
        assert!(both.used_by(&arm));
        let Choice::Build(chosen) = both.choose(&arm) else {
            panic!("no build for arm64")
        };
        assert_eq!(chosen.arn.name, "common-arm64");
        assert_eq!(
            new_layers(&arm.layers, &[chosen]),
            arns(&[format!("{B}:3"), format!("{ARM}:3")])
        );

        // A function that moved to arm64 while on the x86_64 build: the arm64
        // build takes its place, in the same position.
        let mut moved = function(&[format!("{A}:6"), format!("{B}:3")]);
        moved.architectures = vec![Architecture::Arm64];
        let Choice::Build(chosen) = both.choose(&moved) else {
            panic!()
        };
        assert_eq!(
            decide(&moved, &[chosen], TODAY),
            Decision::Change(arns(&[format!("{ARM}:3"), format!("{B}:3")]))
        );
        // Both builds in one list (a mistake): one stays, where the first was.
        let doubled = function(&[format!("{ARM}:2"), format!("{B}:3"), format!("{A}:6")]);
        let Choice::Build(chosen) = both.choose(&doubled) else {
            panic!()
        };
        assert_eq!(chosen.arn.name, "common");
        assert_eq!(
            new_layers(&doubled.layers, &[chosen]),
            arns(&[format!("{A}:7"), format!("{B}:3")])
        );
        // Another layer named like a build is not the family.
        assert!(!both.used_by(&function(&[format!("{C}:2")])));
    }

    #[test]
    fn a_function_no_build_fits_is_told_why() {
        const ARM: &str = "arn:aws:lambda:us-east-1:123456789012:layer:common-arm64";
        let both = family(vec![
            build(&format!("{A}:7"), Architecture::X86_64),
            build(&format!("{ARM}:3"), Architecture::Arm64),
        ]);
        let mut old = function(&[format!("{A}:6")]);
        old.runtime = Some("python3.9".into());
        old.architectures = vec![Architecture::Arm64];
        let Choice::NoneFits(reason) = both.choose(&old) else {
            panic!()
        };
        assert!(
            reason.starts_with("no build of common fits its python3.9 on arm64 (common covers python3.11/x86_64, python3.12/x86_64; common-arm64 covers"),
            "{reason}"
        );
        let mut image = function(&[]);
        image.runtime = None;
        assert!(
            matches!(both.choose(&image), Choice::NoneFits(r) if r.contains("container image"))
        );

        // Only the x86_64 build came in: an arm64 user is not given it.
        let x86_only = family(vec![build(&format!("{A}:7"), Architecture::X86_64)]);
        let mut arm = function(&[format!("{ARM}:2")]);
        arm.architectures = vec![Architecture::Arm64];
        assert!(x86_only.used_by(&arm));
        let Choice::NoneFits(reason) = x86_only.choose(&arm) else {
            panic!()
        };
        assert_eq!(
            reason,
            "common's build for python3.11 on arm64 is common-arm64, which is not among this run's records"
        );
        // A record without a family: the one build, and the usual checks.
        let mut legacy = target(&format!("{A}:7"));
        legacy.replaces = vec![];
        let alone = Family {
            name: "common".into(),
            builds: vec![legacy],
            listed: vec![],
        };
        let Choice::Build(chosen) = alone.choose(&arm) else {
            panic!()
        };
        assert!(
            matches!(decide(&arm, &[chosen], TODAY), Decision::Skip { reason, .. } if reason.contains("architecture arm64"))
        );
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
