//! One round: what AWS says about each watched layer, turned into reports.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::SystemTime;

use aws_sdk_lambda::Client as LambdaClient;
use layer_aws::dates::age_days;
use layer_aws::inventory::{FunctionInfo, Versions, list_functions};
use layer_aws::{AwsArgs, Scope, Traffic};
use layer_core::arn::{LayerArn, LayerVersionArn};
use layer_core::platform::{Date, Runtime, Stage};
use layer_core::retention::{self, Candidate};
use layer_core::sections::RetentionPolicy;
use layer_core::{Error, Result};

use crate::metrics::{self, Totals};
use crate::report::{
    Behind, DeprecatedRuntime, Drift, FunctionReport, LayerReport, OtherAccount, QualifierUse,
    Retention, Storage, Usage, VersionReport, WindowReport, rfc3339, rfc3339_secs,
};
use crate::targets::Target;
use crate::window::Window;

/// Lambda calls in flight at once (GetLayerVersion, ListAliases). The pacer of
/// the account and region sets their rate; this only keeps its queue short.
const CONCURRENT_LAMBDA_CALLS: usize = 8;

/// What a round collects.
#[derive(Debug, Clone)]
pub struct Options {
    pub window: Window,
    pub metrics: bool,
    pub aliases: bool,
}

struct Clients {
    lambda: LambdaClient,
    cloudwatch: aws_sdk_cloudwatch::Client,
}

/// The AWS clients of every account and region, made once for all rounds.
pub struct Session {
    scopes: BTreeMap<Scope, Clients>,
    pub traffic: Traffic,
}

/// One existing layer version.
#[derive(Debug, Clone)]
struct ExistingVersion {
    version: i64,
    arn: LayerVersionArn,
    created_date: Option<String>,
    code_size: Option<i64>,
}

/// What AWS says about one layer in its region.
struct LayerState {
    identity: LayerArn,
    /// Newest first.
    versions: Vec<ExistingVersion>,
    /// The newest version: the newest listed, or for another account's layer
    /// the one the input named (its versions cannot be listed).
    latest: Option<i64>,
    /// Function versions (`$LATEST` or published) using the layer, with the version they use.
    users: Vec<(FunctionInfo, i64)>,
    /// Set for another account's layer.
    other_account: Option<OtherAccount>,
}

impl Session {
    /// Clients for every account and region of the targets. Fails before any
    /// call when the region or the credentials are missing, or a role of the
    /// estate cannot be assumed.
    pub async fn new(aws: &AwsArgs, targets: &[Target]) -> Result<Session> {
        let traffic = Traffic::new(aws);
        let estate = aws
            .connect_scopes("layer-watch", targets.iter().map(scope_of).collect())
            .await?;
        let scopes = estate
            .configs()
            .map(|(scope, config)| {
                let cloudwatch = aws_sdk_cloudwatch::config::Builder::from(config)
                    .interceptor(traffic.counter.clone())
                    .build();
                let clients = Clients {
                    lambda: traffic.lambda_in(scope, config),
                    cloudwatch: aws_sdk_cloudwatch::Client::from_conf(cloudwatch),
                };
                (scope.clone(), clients)
            })
            .collect();
        Ok(Session { scopes, traffic })
    }

    pub fn cloudwatch(&self, scope: &Scope) -> Option<&aws_sdk_cloudwatch::Client> {
        self.scopes.get(scope).map(|clients| &clients.cloudwatch)
    }

    /// Log the requests sent so far (read by scripts/bench-watch.sh at -v).
    pub fn log_calls(&self) {
        self.traffic.log();
    }

    /// One report per target, in the targets' order. Everything is collected
    /// before anything is written, so a bad layer name fails the whole run.
    /// Every account and region is collected at once (each paced on its own).
    pub async fn round(&self, targets: &[Target], options: &Options) -> Result<Vec<LayerReport>> {
        let now = SystemTime::now();
        let today = Date::today()?;
        let moment = Moment {
            now,
            today,
            bounds: options.window.bounds(now),
        };
        let rounds = self
            .scopes
            .iter()
            .map(|(scope, clients)| round_scope(scope, clients, targets, options, &moment));
        let mut reports: Vec<Option<LayerReport>> = vec![None; targets.len()];
        for per_scope in futures_util::future::try_join_all(rounds).await? {
            for (index, report) in per_scope {
                reports[index] = Some(report);
            }
        }
        Ok(reports.into_iter().flatten().collect())
    }
}

/// When a round runs: its clock, its day, and its metrics window.
struct Moment {
    now: SystemTime,
    today: Date,
    bounds: (i64, i64),
}

/// The account and region a target is watched in.
fn scope_of(target: &Target) -> Scope {
    Scope::new(target.account.clone(), target.region.clone())
}

/// One account and region's part of a round: the reports of its targets,
/// with their indices.
async fn round_scope(
    scope: &Scope,
    clients: &Clients,
    targets: &[Target],
    options: &Options,
    moment: &Moment,
) -> Result<Vec<(usize, LayerReport)>> {
    let (now, today, bounds) = (moment.now, moment.today, moment.bounds);
    let mut reports = Vec::new();
    let indices: Vec<usize> = (0..targets.len())
        .filter(|&i| scope_of(&targets[i]) == *scope)
        .collect();
    tracing::info!("{scope}: listing functions (all versions)");
    let inventory = list_functions(&clients.lambda, Versions::All).await?;
    let own_account = own_account(&inventory);
    let mut states = Vec::new();
    for &index in &indices {
        let target = &targets[index];
        let state =
            layer_state(&clients.lambda, target, &inventory, own_account.as_deref()).await?;
        match state {
            Some(state) => states.push((index, state)),
            // Another build of a record's family, not published here (yet).
            None if target.sibling => tracing::info!(
                "{scope}: {} (a build of {}) has no versions and no users here",
                target.layer_name,
                target
                    .family
                    .as_ref()
                    .map_or("its family", |f| f.name.as_str())
            ),
            None => return Err(unknown_layer(target)),
        }
    }
    let names: Vec<String> = states
        .iter()
        .flat_map(|(_, state)| state.users.iter().map(|(f, _)| f.name.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let aliases = if options.aliases {
        list_aliases(&clients.lambda, &alias_candidates(&states)).await?
    } else {
        HashMap::new()
    };
    let totals = if options.metrics {
        tracing::info!("{scope}: metrics of {} function(s)", names.len());
        Some(metrics::fetch(&clients.cloudwatch, &names, bounds, options.window.period()).await?)
    } else {
        None
    };
    let window = options.metrics.then(|| WindowReport {
        since: options.window.since.clone(),
        start: rfc3339_secs(bounds.0),
        end: rfc3339_secs(bounds.1),
        period_seconds: options.window.period(),
    });
    for (index, state) in states {
        let context = ReportContext {
            aliases: &aliases,
            totals: totals.as_ref(),
            window: window.clone(),
            now,
            today,
        };
        reports.push((index, build_report(&targets[index], state, &context)));
    }
    Ok(reports)
}

/// The functions whose aliases can change the answer: an alias points at
/// `$LATEST` (which runs what `$LATEST` runs, already reported) or at a
/// published version, so only functions with a published version on a
/// watched layer need their aliases listed.
fn alias_candidates(states: &[(usize, LayerState)]) -> Vec<String> {
    states
        .iter()
        .flat_map(|(_, state)| state.users.iter())
        .filter(|(function, _)| !function.is_latest())
        .map(|(function, _)| function.name.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The account of the region's functions (from their ARNs); `None` when the
/// region has none.
fn own_account(inventory: &[FunctionInfo]) -> Option<String> {
    inventory
        .iter()
        .find_map(|f| f.arn.split(':').nth(4).map(str::to_string))
}

/// The layer's versions (with sizes) and the function versions that use it;
/// None when it has neither.
async fn layer_state(
    lambda: &LambdaClient,
    target: &Target,
    inventory: &[FunctionInfo],
    own_account: Option<&str>,
) -> Result<Option<LayerState>> {
    if let Some(arn) = &target.layer_arn
        && own_account.is_some_and(|own| own != arn.account)
    {
        return other_account_state(lambda, target, arn, inventory)
            .await
            .map(Some);
    }
    let mut versions = list_versions(lambda, &target.layer_name)
        .await?
        .unwrap_or_default();
    // A layer named by its ARN that the name did not find: list it by ARN
    // (AWS accepts an ARN as LayerName; moto does not, so the name comes
    // first). Refused: another account's layer, seen from an account without
    // functions to tell its own account by.
    if let Some(arn) = &target.layer_arn
        && versions.first().is_none_or(|v| !v.arn.is_version_of(arn))
    {
        match list_versions(lambda, &arn.to_string()).await? {
            Some(listed) => versions = listed,
            None => {
                return other_account_state(lambda, target, arn, inventory)
                    .await
                    .map(Some);
            }
        }
    }
    let identity = match (&target.layer_arn, versions.first()) {
        (Some(arn), _) => arn.clone(),
        (None, Some(newest)) => newest.arn.layer_arn(),
        (None, None) => return Ok(None),
    };
    let users = users_of(&identity, inventory);
    if versions.is_empty() && users.is_empty() {
        return Ok(None);
    }
    add_sizes(lambda, &mut versions).await?;
    Ok(Some(LayerState {
        identity,
        latest: versions.first().map(|v| v.version),
        versions,
        users,
        other_account: None,
    }))
}

/// The function versions that use a layer, with the version each uses.
fn users_of(layer: &LayerArn, inventory: &[FunctionInfo]) -> Vec<(FunctionInfo, i64)> {
    inventory
        .iter()
        .filter_map(|f| f.version_of(layer).map(|v| (f.clone(), v)))
        .collect()
}

/// Another account's layer: AWS never lets this account list its versions, so
/// read the versions its functions use (and the one the input named), one by
/// one by ARN; a version not granted to this account is reported as unreadable.
async fn other_account_state(
    lambda: &LambdaClient,
    target: &Target,
    arn: &LayerArn,
    inventory: &[FunctionInfo],
) -> Result<LayerState> {
    let users = users_of(arn, inventory);
    let wanted: BTreeSet<i64> = users
        .iter()
        .map(|(_, version)| *version)
        .chain(target.version_hint)
        .collect();
    let mut versions = Vec::new();
    let mut unreadable = Vec::new();
    for (version, read) in read_versions(lambda, arn, wanted.into_iter().rev().collect()).await? {
        match read {
            Read::Found(found) => versions.push(found),
            Read::Denied => unreadable.push(version),
            // Deleted: it shows as deleted and in use.
            Read::Missing => {}
        }
    }
    let latest = target.version_hint;
    let note = format!(
        "layer of account {}: AWS lets another account read only the versions granted to it, \
         never list them, so only the versions functions here use were read; {}",
        arn.account,
        match latest {
            Some(version) =>
                format!("drift is judged against version {version}, as the input named it"),
            None => "the latest version is unknown and drift is not judged (name the latest as \
                     arn:...:layer:NAME:N to judge it)"
                .to_string(),
        }
    );
    tracing::info!("{}: {note}", arn);
    Ok(LayerState {
        identity: arn.clone(),
        versions,
        latest,
        users,
        other_account: Some(OtherAccount {
            owner_account: arn.account.clone(),
            unreadable_versions: unreadable,
            note,
        }),
    })
}

/// What reading one version by ARN came to.
enum Read {
    Found(ExistingVersion),
    /// Not granted to this account (403).
    Denied,
    /// It does not exist (any more).
    Missing,
}

/// GetLayerVersion of each version, by the layer's ARN, newest first.
async fn read_versions(
    lambda: &LambdaClient,
    layer: &LayerArn,
    versions: Vec<i64>,
) -> Result<Vec<(i64, Read)>> {
    let mut read = Vec::new();
    for version in versions {
        let arn = layer.version(version);
        let answer = lambda
            .get_layer_version()
            .layer_name(layer.to_string())
            .version_number(version)
            .send()
            .await;
        let outcome = match answer {
            Ok(output) => Read::Found(ExistingVersion {
                version,
                arn,
                created_date: output.created_date().map(str::to_string),
                code_size: output.content().map(|c| c.code_size()),
            }),
            Err(err) if layer_aws::is_error_code(&err, "AccessDeniedException") => Read::Denied,
            Err(err) if layer_aws::is_error_code(&err, "ResourceNotFoundException") => {
                Read::Missing
            }
            Err(err) => {
                return Err(layer_aws::aws_error(
                    &format!("reading layer version {arn} (GetLayerVersion)"),
                    err,
                ));
            }
        };
        read.push((version, outcome));
    }
    Ok(read)
}

fn unknown_layer(target: &Target) -> Error {
    Error::input(format!(
        "layer \"{}\" not found in {}: it has no versions and no function uses it",
        target.layer_name, target.region
    ))
    .with_fix(
        "check the layer name and --region (aws lambda list-layers); a layer of another \
         account needs its ARN (arn:aws:lambda:REGION:ACCOUNT:layer:NAME)",
    )
}

/// Every version of a layer, newest first; `None` when AWS refuses to list
/// them (another account's layer).
async fn list_versions(lambda: &LambdaClient, layer: &str) -> Result<Option<Vec<ExistingVersion>>> {
    let mut pages = lambda
        .list_layer_versions()
        .layer_name(layer)
        .into_paginator()
        .send();
    let mut versions = Vec::new();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(err) if layer_aws::is_error_code(&err, "AccessDeniedException") => return Ok(None),
            Err(err) => {
                return Err(layer_aws::aws_error(
                    &format!("listing versions of layer {layer} (ListLayerVersions)"),
                    err,
                ));
            }
        };
        for item in page.layer_versions() {
            versions.push(ExistingVersion {
                version: item.version(),
                arn: layer_aws::lambda_types::layer_version_arn(
                    item.layer_version_arn(),
                    "ListLayerVersions",
                )?,
                created_date: item.created_date().map(str::to_string),
                code_size: None,
            });
        }
    }
    versions.sort_by_key(|v| std::cmp::Reverse(v.version));
    Ok(Some(versions))
}

/// `ListLayerVersions` has no sizes: one `GetLayerVersion` per version.
async fn add_sizes(lambda: &LambdaClient, versions: &mut [ExistingVersion]) -> Result<()> {
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_LAMBDA_CALLS));
    let mut calls = tokio::task::JoinSet::new();
    for (index, version) in versions.iter().enumerate() {
        let arn = version.arn.clone();
        let (lambda, limit) = (lambda.clone(), limit.clone());
        calls.spawn(async move {
            let _permit = limit.acquire_owned().await;
            // moto has no GetLayerVersionByArn; name + number works on both.
            let answer = lambda
                .get_layer_version()
                .layer_name(&arn.name)
                .version_number(arn.version)
                .send()
                .await;
            (index, arn, answer)
        });
    }
    while let Some(done) = calls.join_next().await {
        let (index, arn, answer) =
            done.map_err(|err| Error::failed("a layer lookup failed").with_source(err))?;
        match answer {
            Ok(output) => versions[index].code_size = output.content().map(|c| c.code_size()),
            // Deleted between the listing and now: it stays without a size.
            Err(err) if layer_aws::is_error_code(&err, "ResourceNotFoundException") => {}
            Err(err) => {
                return Err(layer_aws::aws_error(
                    &format!("reading layer version {arn} (GetLayerVersion)"),
                    err,
                ));
            }
        }
    }
    Ok(())
}

/// Each function's aliases: (alias name, function version it points to).
async fn list_aliases(
    lambda: &LambdaClient,
    functions: &[String],
) -> Result<HashMap<String, Vec<(String, String)>>> {
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_LAMBDA_CALLS));
    let mut calls = tokio::task::JoinSet::new();
    for function in functions {
        let (lambda, limit, function) = (lambda.clone(), limit.clone(), function.clone());
        calls.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let mut pages = lambda
                .list_aliases()
                .function_name(&function)
                .into_paginator()
                .send();
            let mut aliases = Vec::new();
            while let Some(page) = pages.next().await {
                match page {
                    Ok(page) => aliases.extend(page.aliases().iter().filter_map(|alias| {
                        Some((
                            alias.name()?.to_string(),
                            alias.function_version()?.to_string(),
                        ))
                    })),
                    // Deleted since the inventory: no aliases to report.
                    Err(err) if layer_aws::is_error_code(&err, "ResourceNotFoundException") => {
                        break;
                    }
                    Err(err) => {
                        return Err(layer_aws::aws_error(
                            &format!("listing aliases of {function} (ListAliases)"),
                            err,
                        ));
                    }
                }
            }
            Ok((function, aliases))
        });
    }
    let mut by_function = HashMap::new();
    while let Some(done) = calls.join_next().await {
        let (function, aliases) =
            done.map_err(|err| Error::failed("an alias lookup failed").with_source(err))??;
        by_function.insert(function, aliases);
    }
    Ok(by_function)
}

struct ReportContext<'a> {
    aliases: &'a HashMap<String, Vec<(String, String)>>,
    totals: Option<&'a HashMap<String, Totals>>,
    window: Option<WindowReport>,
    now: SystemTime,
    /// For the runtime lifecycle.
    today: Date,
}

fn build_report(target: &Target, state: LayerState, context: &ReportContext<'_>) -> LayerReport {
    let latest = state.latest;
    let functions = function_reports(&state, latest, context);
    let function_totals = |name: &str| {
        context
            .totals
            .map(|totals| totals.get(name).copied().unwrap_or_default())
    };

    let existing: BTreeSet<i64> = state.versions.iter().map(|v| v.version).collect();
    let in_use: BTreeSet<i64> = functions
        .iter()
        .flat_map(|f| f.uses.iter().map(|u| u.layer_version))
        .collect();
    let unreadable: BTreeSet<i64> = state
        .other_account
        .iter()
        .flat_map(|other| other.unreadable_versions.iter().copied())
        .collect();
    let mut deleted_in_use: Vec<i64> = in_use
        .difference(&existing)
        .filter(|version| !unreadable.contains(version))
        .copied()
        .collect();
    deleted_in_use.reverse();

    let mut versions: Vec<VersionReport> = state
        .versions
        .iter()
        .map(|v| VersionReport {
            version: v.version,
            version_arn: v.arn.clone(),
            exists: true,
            latest: Some(v.version) == latest,
            created_date: v.created_date.clone(),
            code_size: v.code_size,
            functions: Vec::new(),
            metrics: None,
        })
        .chain(deleted_in_use.iter().map(|&version| VersionReport {
            version,
            version_arn: state.identity.version(version),
            exists: false,
            latest: false,
            created_date: None,
            code_size: None,
            functions: Vec::new(),
            metrics: None,
        }))
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(v.version));
    for version in &mut versions {
        version.functions = usages_of(&functions, version.version);
        version.metrics = context.totals.map(|_| {
            Totals::sum(
                functions
                    .iter()
                    .filter(|f| f.attributed_version == version.version)
                    .filter_map(|f| function_totals(&f.function))
                    .collect::<Vec<_>>()
                    .iter(),
            )
            .summary()
        });
    }

    let behind: Vec<Behind> = functions
        .iter()
        .flat_map(|f| behind_entries(f, latest))
        .collect();
    let drift = Drift {
        functions_using: functions.len(),
        functions_behind: functions.iter().filter(|f| f.behind).count(),
        behind,
    };
    let metrics = context.totals.map(|_| {
        Totals::sum(
            functions
                .iter()
                .filter_map(|f| function_totals(&f.function))
                .collect::<Vec<_>>()
                .iter(),
        )
        .summary()
    });
    // Another account's versions are not this account's to delete.
    let policy = target.policy.filter(|_| state.other_account.is_none());
    let storage = storage(&state.versions, policy, &in_use, context.now);
    let deprecated_runtimes = deprecated_runtimes(&functions);
    let (schema, kind) = LayerReport::envelope();
    LayerReport {
        schema,
        kind,
        generated_at: rfc3339(context.now),
        account: target.account.clone(),
        region: target.region.clone(),
        layer_name: state.identity.name.clone(),
        layer_arn: state.identity.clone(),
        latest_version: latest,
        versions,
        functions,
        drift,
        deleted_in_use,
        window: context.window.clone(),
        metrics,
        storage,
        deprecated_runtimes,
        other_account: state.other_account,
        family: target.family.clone(),
        extra: target.extra.clone(),
    }
}

/// The runtimes of the layer's functions that are no longer supported, each
/// with its functions; runtimes ordered by name.
fn deprecated_runtimes(functions: &[FunctionReport]) -> Vec<DeprecatedRuntime> {
    let mut by_runtime: BTreeMap<Runtime, DeprecatedRuntime> = BTreeMap::new();
    for function in functions {
        let (Some(runtime), Some(stage)) = (&function.runtime, function.runtime_stage) else {
            continue;
        };
        if stage == Stage::Supported {
            continue;
        }
        let Some(lifecycle) = runtime.lifecycle() else {
            continue;
        };
        by_runtime
            .entry(runtime.clone())
            .or_insert_with(|| DeprecatedRuntime {
                runtime: runtime.clone(),
                stage,
                deprecated: lifecycle.deprecated,
                update_blocked: lifecycle.update_blocked,
                functions: Vec::new(),
            })
            .functions
            .push(function.function.clone());
    }
    by_runtime.into_values().collect()
}

/// One report per function name, from its versions and aliases on the layer.
fn function_reports(
    state: &LayerState,
    latest: Option<i64>,
    context: &ReportContext<'_>,
) -> Vec<FunctionReport> {
    let mut by_name: BTreeMap<&str, Vec<&(FunctionInfo, i64)>> = BTreeMap::new();
    for user in &state.users {
        by_name.entry(user.0.name.as_str()).or_default().push(user);
    }
    by_name
        .into_iter()
        .map(|(name, entries)| {
            let layer_version_of = |qualifier: &str| {
                entries
                    .iter()
                    .find(|(f, _)| f.version == qualifier)
                    .map(|(_, v)| *v)
            };
            let mut uses: Vec<QualifierUse> = entries
                .iter()
                .map(|(f, v)| QualifierUse {
                    qualifier: f.version.clone(),
                    kind: "version",
                    function_version: None,
                    layer_version: *v,
                })
                .collect();
            uses.sort_by_key(|u| {
                (
                    !u.qualifier.starts_with('$'),
                    u.qualifier.parse::<i64>().ok(),
                )
            });
            let mut alias_uses: Vec<QualifierUse> = context
                .aliases
                .get(name)
                .into_iter()
                .flatten()
                // An alias on $LATEST runs what $LATEST runs (reported as
                // such); aliases are listed where they point at a published version.
                .filter(|(_, target)| target != "$LATEST")
                .filter_map(|(alias, target)| {
                    Some(QualifierUse {
                        qualifier: alias.clone(),
                        kind: "alias",
                        function_version: Some(target.clone()),
                        layer_version: layer_version_of(target)?,
                    })
                })
                .collect();
            alias_uses.sort_by(|a, b| a.qualifier.cmp(&b.qualifier));
            uses.extend(alias_uses);
            let latest_uses = layer_version_of("$LATEST");
            let newest_used = uses
                .iter()
                .map(|u| u.layer_version)
                .max()
                .unwrap_or_default();
            let distinct: BTreeSet<i64> = uses.iter().map(|u| u.layer_version).collect();
            let behind = latest.is_some_and(|latest| {
                uses.iter()
                    .any(|u| is_movable(u) && u.layer_version < latest)
            });
            // The runtime of $LATEST, else of the newest version on the layer.
            let runtime = entries
                .iter()
                .find(|(f, _)| f.is_latest())
                .or_else(|| {
                    entries
                        .iter()
                        .max_by_key(|(f, _)| f.version.parse::<i64>().unwrap_or(0))
                })
                .and_then(|(f, _)| f.runtime.clone());
            let runtime_stage = runtime
                .as_ref()
                .and_then(Runtime::lifecycle)
                .map(|lifecycle| lifecycle.stage(context.today));
            FunctionReport {
                function: name.to_string(),
                arn: entries[0].0.arn.clone(),
                runtime,
                runtime_stage,
                latest_uses,
                attributed_version: latest_uses.unwrap_or(newest_used),
                mixed: distinct.len() > 1,
                behind,
                metrics: context
                    .totals
                    .map(|t| t.get(name).copied().unwrap_or_default().summary()),
                uses,
            }
        })
        .collect()
}

/// `$LATEST` and aliases can be moved to a newer layer version; a published
/// function version cannot, so it is history, not drift.
fn is_movable(usage: &QualifierUse) -> bool {
    usage.kind == "alias" || usage.qualifier == "$LATEST"
}

fn behind_entries(function: &FunctionReport, latest: Option<i64>) -> Vec<Behind> {
    let Some(latest) = latest else {
        return Vec::new();
    };
    function
        .uses
        .iter()
        .filter(|u| is_movable(u) && u.layer_version < latest)
        .map(|u| Behind {
            function: function.function.clone(),
            qualifier: u.qualifier.clone(),
            layer_version: u.layer_version,
            versions_behind: latest - u.layer_version,
        })
        .collect()
}

fn usages_of(functions: &[FunctionReport], version: i64) -> Vec<Usage> {
    functions
        .iter()
        .filter_map(|f| {
            let on_version = f.uses.iter().filter(|u| u.layer_version == version);
            let (aliases, qualifiers): (Vec<_>, Vec<_>) =
                on_version.partition(|u| u.kind == "alias");
            (!aliases.is_empty() || !qualifiers.is_empty()).then(|| Usage {
                function: f.function.clone(),
                qualifiers: qualifiers.iter().map(|u| u.qualifier.clone()).collect(),
                aliases: aliases.iter().map(|u| u.qualifier.clone()).collect(),
            })
        })
        .collect()
}

/// Sizes, and what the retention policy would delete (the rule layer-publish
/// applies; the latest version is never deleted, nor any version in use).
fn storage(
    versions: &[ExistingVersion],
    policy: Option<RetentionPolicy>,
    in_use: &BTreeSet<i64>,
    now: SystemTime,
) -> Storage {
    let size_of = |version: i64| {
        versions
            .iter()
            .find(|v| v.version == version)
            .and_then(|v| v.code_size)
            .unwrap_or(0)
    };
    let candidates: Vec<Candidate> = versions
        .iter()
        .map(|v| Candidate {
            version: v.version,
            age_days: v
                .created_date
                .as_deref()
                .and_then(|date| age_days(date, now)),
        })
        .collect();
    let protected: BTreeSet<i64> = versions.first().map(|v| v.version).into_iter().collect();
    let plan = policy
        .map(|policy| retention::plan(&candidates, &policy, &protected, in_use))
        .unwrap_or_default();
    Storage {
        versions: versions.len(),
        total_code_size: versions.iter().filter_map(|v| v.code_size).sum(),
        latest_code_size: versions.first().and_then(|v| v.code_size),
        retention: Retention {
            policy,
            would_free_bytes: plan.delete.iter().map(|&v| size_of(v)).sum(),
            would_delete: plan.delete,
            kept_in_use: plan.kept_in_use,
        },
    }
}
