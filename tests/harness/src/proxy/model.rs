//! The AWS model: what Lambda's control plane does and moto does not, applied
//! by the proxy to every request it forwards (see `docs/aws.md`).
//!
//! - quotas: token buckets per account and region (see [`super::quotas`]);
//! - updates in progress: an update leaves the function `InProgress` for
//!   [`AwsModel::update_time`]; reads say so, and a second update (or a
//!   PublishVersion) meanwhile gets 409 `ResourceConflictException`;
//! - pages of 50 with opaque markers for the list calls, and ListFunctions
//!   without the fields AWS leaves out of it;
//! - request size: 413 `RequestEntityTooLargeException` above 69,905,067 bytes;
//! - account boundaries: another account's layer can be read (GetLayerVersion)
//!   only with a grant made through the proxy, and never listed;
//! - runtime blocks: creating or updating a function on a blocked runtime is
//!   refused with 400 `InvalidParameterValueException`.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hyper::{Method, Response};
use serde_json::{Value, json};

use super::call::{Call, LayerRef, percent_encode};
use super::quotas::RateLimits;
use super::wire::{Body, Upstream, rest_json_error};
use crate::runtimes::RuntimeLifecycle;

/// Lambda's largest page for the list calls the model pages.
pub const PAGE_SIZE: usize = 50;

/// The largest request Lambda accepts with code inline (PublishLayerVersion,
/// CreateFunction, UpdateFunctionCode): base64 of a 50 MiB zip plus the JSON.
pub const REQUEST_LIMIT: usize = 69_905_067;

/// How long an update stays `InProgress` unless a test says otherwise.
pub const UPDATE_TIME: Duration = Duration::from_secs(1);

/// Which parts of AWS's behaviour the proxy models. [`AwsModel::aws`] (all of
/// them) is the default of every proxy; [`AwsModel::moto`] models none (the
/// proxy only counts and injects faults). A test that turns a part off says why.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsModel {
    /// The request quotas; [`RateLimits::none`] for none.
    pub quotas: RateLimits,
    /// How long an update stays `InProgress`; zero: done at once, as moto does.
    pub update_time: Duration,
    /// Items per page of ListFunctions, ListVersionsByFunction, ListLayers and
    /// ListLayerVersions; `None`: everything at once, as moto does.
    pub page_size: Option<usize>,
    /// ListFunctions leaves out `State`, `LastUpdateStatus` and their reasons
    /// (AWS: "use GetFunction" for them); moto includes them.
    pub list_functions_subset: bool,
    /// The largest request with code inline; `None`: any size.
    pub request_limit: Option<usize>,
    /// Account boundaries for layers, and layers named by ARN answered as AWS
    /// does (GetLayerVersionByArn, ARNs as `LayerName`), which moto does not.
    pub accounts: bool,
    /// The runtime blocks; `None`: moto's (none).
    pub runtimes: Option<RuntimeLifecycle>,
}

impl Default for AwsModel {
    fn default() -> Self {
        AwsModel::aws()
    }
}

impl AwsModel {
    /// Everything modelled, as AWS behaves.
    pub fn aws() -> Self {
        AwsModel {
            quotas: RateLimits::lambda(),
            update_time: UPDATE_TIME,
            page_size: Some(PAGE_SIZE),
            list_functions_subset: true,
            request_limit: Some(REQUEST_LIMIT),
            accounts: true,
            runtimes: Some(RuntimeLifecycle::aws()),
        }
    }

    /// Nothing modelled: moto's behaviour, with faults and counting only.
    pub fn moto() -> Self {
        AwsModel {
            quotas: RateLimits::none(),
            update_time: Duration::ZERO,
            page_size: None,
            list_functions_subset: false,
            request_limit: None,
            accounts: false,
            runtimes: None,
        }
    }

    pub fn quotas(mut self, quotas: RateLimits) -> Self {
        self.quotas = quotas;
        self
    }

    pub fn update_time(mut self, time: Duration) -> Self {
        self.update_time = time;
        self
    }

    /// Updates finish at once (moto's way): no `InProgress`, no 409 from the model.
    pub fn instant_updates(self) -> Self {
        self.update_time(Duration::ZERO)
    }

    pub fn page_size(mut self, size: Option<usize>) -> Self {
        self.page_size = size;
        self
    }

    pub fn list_functions_subset(mut self, on: bool) -> Self {
        self.list_functions_subset = on;
        self
    }

    pub fn request_limit(mut self, limit: Option<usize>) -> Self {
        self.request_limit = limit;
        self
    }

    pub fn accounts(mut self, on: bool) -> Self {
        self.accounts = on;
        self
    }

    pub fn runtimes(mut self, runtimes: Option<RuntimeLifecycle>) -> Self {
        self.runtimes = runtimes;
        self
    }

    /// Does any part of the model need to know the caller's account?
    fn needs_accounts(&self) -> bool {
        *self != AwsModel::moto()
    }
}

/// (account, region, function name).
type FunctionKey = (String, String, String);
/// (owner account, region, layer name, version).
type LayerVersionKey = (String, String, String, u64);

/// Where an update stands.
#[derive(Debug, Clone, Copy)]
enum Progress {
    /// Admitted and on its way to moto: another update now conflicts.
    Sending,
    /// Applied; `InProgress` until then.
    Until(Instant),
}

/// A grant of `lambda:GetLayerVersion` that passed through the proxy.
#[derive(Debug, Clone)]
struct Grant {
    statement: String,
    /// An account id, `*`, or `arn:aws:iam::ACCOUNT:root`.
    principal: String,
    organization: Option<String>,
}

/// A page marker the model handed out.
#[derive(Debug, Clone)]
struct Marker {
    list: String,
    offset: usize,
}

/// The model's state for one proxy.
#[derive(Debug)]
pub(crate) struct Model {
    pub config: AwsModel,
    accounts: Mutex<HashMap<String, String>>,
    updates: Mutex<HashMap<FunctionKey, Progress>>,
    grants: Mutex<HashMap<LayerVersionKey, Vec<Grant>>>,
    organizations: Mutex<HashMap<String, String>>,
    markers: Mutex<HashMap<String, Marker>>,
    marker_seed: std::collections::hash_map::RandomState,
    next_marker: AtomicU64,
}

/// How to send a request on, and what the model does with its answer.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// Path and query to send instead of the request's own.
    pub path_and_query: Option<String>,
    /// Headers to add (the owner's account, to read another account's layer).
    pub headers: Vec<(String, String)>,
    page: Option<Page>,
    /// An update admitted: `InProgress` once moto applied it.
    update: Option<FunctionKey>,
    grant: Option<(LayerVersionKey, Grant)>,
    revoke: Option<(LayerVersionKey, String)>,
}

#[derive(Debug)]
struct Page {
    list: String,
    offset: usize,
    size: usize,
    /// The array of the answer that is paged (`Functions`, `LayerVersions`, ...).
    items: &'static str,
}

/// An error the model answers with instead of forwarding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    fn new(status: u16, code: &'static str, message: String) -> Refusal {
        Refusal {
            status,
            code,
            message,
        }
    }

    /// Lambda's REST-JSON error.
    pub fn response(&self) -> Response<Body> {
        rest_json_error(self.status, self.code, &self.message)
    }
}

const UPDATES: [&str; 2] = ["UpdateFunctionConfiguration", "UpdateFunctionCode"];

impl Model {
    pub fn new(config: AwsModel) -> Model {
        Model {
            config,
            accounts: Mutex::default(),
            updates: Mutex::default(),
            grants: Mutex::default(),
            organizations: Mutex::default(),
            markers: Mutex::default(),
            marker_seed: std::collections::hash_map::RandomState::new(),
            next_marker: AtomicU64::new(0),
        }
    }

    /// The account of an access key, as moto sees it (asked once per key with
    /// STS GetCallerIdentity: an assumed role's account, else moto's default).
    pub async fn account_of(&self, upstream: &Upstream, call: &Call) -> Option<String> {
        if !self.config.needs_accounts() || call.caller.is_empty() {
            return None;
        }
        if let Some(account) = self.accounts.lock().unwrap().get(&call.caller) {
            return Some(account.clone());
        }
        let answer = upstream
            .ask(
                Method::POST,
                "/",
                "sts",
                &call.caller,
                &call.region,
                "Action=GetCallerIdentity&Version=2011-06-15",
            )
            .await?;
        let text = String::from_utf8_lossy(&answer);
        let account = text
            .split("<Account>")
            .nth(1)?
            .split('<')
            .next()?
            .to_string();
        self.accounts
            .lock()
            .unwrap()
            .insert(call.caller.clone(), account.clone());
        Some(account)
    }

    /// Count `account` as a member of organization `org` (for grants to an organization).
    pub fn join_organization(&self, account: &str, org: &str) {
        self.organizations
            .lock()
            .unwrap()
            .insert(account.into(), org.into());
    }

    /// 413 for a request with code inline above the limit (checked first, as
    /// AWS's front door does).
    pub fn too_large(&self, call: &Call, length: usize) -> Option<Refusal> {
        let limit = self.config.request_limit?;
        let carries_code = matches!(
            call.operation.as_str(),
            "PublishLayerVersion" | "CreateFunction" | "UpdateFunctionCode"
        );
        (call.is_lambda() && carries_code && length > limit).then(|| {
            Refusal::new(
                413,
                "RequestEntityTooLargeException",
                format!(
                    "Request must be smaller than {limit} bytes for the {} operation",
                    call.operation
                ),
            )
        })
    }

    /// The model's refusals (403, 400, 409) and how to send the request on.
    pub async fn plan(
        &self,
        call: &Call,
        path: &str,
        body: &[u8],
        upstream: &Upstream,
    ) -> Result<Plan, Refusal> {
        let mut plan = Plan::default();
        if !call.is_lambda() {
            return Ok(plan);
        }
        let original = path;
        let mut path = path.to_string();
        let mut query = call.query.clone();
        if self.config.accounts {
            self.route_layer(call, body, &mut plan, &mut path, &mut query)?;
        }
        if let Some(runtimes) = &self.config.runtimes {
            check_runtime(runtimes, call, body, upstream).await?;
        }
        if let Some(size) = self.config.page_size {
            plan.page = self.page(call, size, &mut query)?;
        }
        if !self.config.update_time.is_zero() {
            plan.update = self.admit_update(call)?;
        }
        if path != original || query != call.query {
            plan.path_and_query = Some(join_path(&path, &query));
        }
        Ok(plan)
    }

    /// What the model makes of moto's answer: an update's progress starts, a
    /// read during it says `InProgress`, a list is cut into a page, a grant is
    /// remembered. `json` is moto's answer when it was JSON.
    pub fn answer(&self, call: &Call, plan: &Plan, succeeded: bool, json: Option<&mut Value>) {
        if let Some(key) = &plan.update {
            let mut updates = self.updates.lock().unwrap();
            if succeeded {
                updates.insert(
                    key.clone(),
                    Progress::Until(Instant::now() + self.config.update_time),
                );
            } else {
                updates.remove(key);
            }
        }
        if !succeeded {
            return;
        }
        if let Some((key, grant)) = &plan.grant {
            let mut grants = self.grants.lock().unwrap();
            grants.entry(key.clone()).or_default().push(grant.clone());
        }
        if let Some((key, statement)) = &plan.revoke
            && let Some(grants) = self.grants.lock().unwrap().get_mut(key)
        {
            grants.retain(|grant| &grant.statement != statement);
        }
        let Some(json) = json else { return };
        if plan.update.is_some() || self.reads_during_update(call) {
            super::patch_configuration(json, &json!({ "LastUpdateStatus": "InProgress" }));
            strip_update_reason(json);
        }
        if call.operation == "ListFunctions" && self.config.list_functions_subset {
            strip_detail_fields(json);
        }
        if let Some(page) = &plan.page {
            self.cut_page(page, json);
        }
    }

    /// Does the model have something to do with this call's answer body?
    pub fn reads_answer(&self, call: &Call, plan: &Plan) -> bool {
        plan.update.is_some()
            || plan.page.is_some()
            || (call.operation == "ListFunctions" && self.config.list_functions_subset)
            || self.reads_during_update(call)
    }

    /// A read of `$LATEST` of a function whose update is still in progress.
    fn reads_during_update(&self, call: &Call) -> bool {
        let reads = matches!(
            call.operation.as_str(),
            "GetFunction" | "GetFunctionConfiguration"
        );
        let latest = call.qualifier.as_deref().is_none_or(|q| q == "$LATEST");
        reads
            && latest
            && self
                .function_key(call)
                .is_some_and(|key| self.in_progress(&key, false))
    }

    fn function_key(&self, call: &Call) -> Option<FunctionKey> {
        let name = call.function.clone()?;
        Some((call.principal().to_string(), call.region.clone(), name))
    }

    /// Is an update of this function under way? (`Sending` counts for conflicts only.)
    fn in_progress(&self, key: &FunctionKey, sending_counts: bool) -> bool {
        match self.updates.lock().unwrap().get(key) {
            Some(Progress::Until(until)) => Instant::now() < *until,
            Some(Progress::Sending) => sending_counts,
            None => false,
        }
    }

    /// 409 for an update or PublishVersion while an update is in progress;
    /// an update that may go is marked as on its way.
    fn admit_update(&self, call: &Call) -> Result<Option<FunctionKey>, Refusal> {
        let is_update = UPDATES.contains(&call.operation.as_str());
        if !is_update && call.operation != "PublishVersion" {
            return Ok(None);
        }
        let Some(key) = self.function_key(call) else {
            return Ok(None);
        };
        let mut updates = self.updates.lock().unwrap();
        let busy = match updates.get(&key) {
            Some(Progress::Until(until)) => Instant::now() < *until,
            Some(Progress::Sending) => true,
            None => false,
        };
        if busy {
            let (account, region, name) = &key;
            return Err(Refusal::new(
                409,
                "ResourceConflictException",
                format!(
                    "The operation cannot be performed at this time. An update is in progress \
                     for resource: arn:aws:lambda:{region}:{account}:function:{name}"
                ),
            ));
        }
        if !is_update {
            return Ok(None);
        }
        updates.insert(key.clone(), Progress::Sending);
        Ok(Some(key))
    }

    /// Layers named by ARN: another account's are refused unless granted (then
    /// read as their owner), the caller's own are sent on by plain name (moto
    /// looks ARNs up only in some calls, and GetLayerVersionByArn not at all).
    fn route_layer(
        &self,
        call: &Call,
        body: &[u8],
        plan: &mut Plan,
        path: &mut String,
        query: &mut Vec<(String, String)>,
    ) -> Result<(), Refusal> {
        let Some(layer) = &call.layer else {
            return Ok(());
        };
        let caller = call.account.as_deref();
        let owner = layer.account.as_deref().or(caller).unwrap_or_default();
        let foreign = caller.is_some_and(|caller| caller != owner);
        let reads_a_version = matches!(
            call.operation.as_str(),
            "GetLayerVersion" | "GetLayerVersionByArn"
        );
        if foreign {
            let granted = reads_a_version && self.granted(call, owner, layer);
            if !granted {
                return Err(access_denied(call, owner, layer));
            }
            plan.headers
                .push(("x-moto-account-id".into(), owner.to_string()));
        }
        if call.operation == "GetLayerVersionByArn" {
            query.clear();
            let version = layer.version.unwrap_or_default();
            *path = format!(
                "/2018-10-31/layers/{}/versions/{version}",
                percent_encode(&layer.name)
            );
        } else if layer.account.is_some() {
            *path = with_layer_name(path, &layer.name);
        }
        if let Some(version) = layer.version {
            let key = (
                owner.to_string(),
                call.region.clone(),
                layer.name.clone(),
                version,
            );
            plan.grant = (call.operation == "AddLayerVersionPermission")
                .then(|| grant_of(body))
                .flatten()
                .map(|grant| (key.clone(), grant));
            plan.revoke = (call.operation == "RemoveLayerVersionPermission")
                .then(|| path.rsplit('/').next().map(super::call::percent_decode))
                .flatten()
                .map(|statement| (key, statement));
        }
        Ok(())
    }

    fn granted(&self, call: &Call, owner: &str, layer: &LayerRef) -> bool {
        let Some(caller) = call.account.as_deref() else {
            return false;
        };
        let key = (
            owner.to_string(),
            call.region.clone(),
            layer.name.clone(),
            layer.version.unwrap_or_default(),
        );
        let organization = self.organizations.lock().unwrap().get(caller).cloned();
        let grants = self.grants.lock().unwrap();
        grants.get(&key).is_some_and(|grants| {
            grants.iter().any(|grant| match grant.principal.as_str() {
                "*" => grant
                    .organization
                    .as_ref()
                    .is_none_or(|org| organization.as_ref() == Some(org)),
                principal => {
                    principal == caller || principal == format!("arn:aws:iam::{caller}:root")
                }
            })
        })
    }

    /// The page a list request asks for; its `Marker` and `MaxItems` are the
    /// model's, not moto's, and are taken off the request.
    fn page(
        &self,
        call: &Call,
        size: usize,
        query: &mut Vec<(String, String)>,
    ) -> Result<Option<Page>, Refusal> {
        let items = match call.operation.as_str() {
            "ListFunctions" => "Functions",
            "ListVersionsByFunction" => "Versions",
            "ListLayers" => "Layers",
            "ListLayerVersions" => "LayerVersions",
            _ => return Ok(None),
        };
        query.retain(|(key, _)| key != "Marker" && key != "MaxItems");
        let list = format!(
            "{}|{}|{}|{:?}|{:?}|{:?}",
            call.operation,
            call.principal(),
            call.region,
            call.function,
            call.layer,
            query
        );
        let max_items = call
            .query_value("MaxItems")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n > 0)
            .unwrap_or(size);
        let offset = match call.query_value("Marker") {
            None => 0,
            Some(token) => match self.markers.lock().unwrap().get(token) {
                Some(marker) if marker.list == list => marker.offset,
                _ => {
                    return Err(Refusal::new(
                        400,
                        "InvalidParameterValueException",
                        format!("Invalid marker: {token}"),
                    ));
                }
            },
        };
        Ok(Some(Page {
            list,
            offset,
            size: max_items.min(size),
            items,
        }))
    }

    fn cut_page(&self, page: &Page, json: &mut Value) {
        let Some(Value::Array(all)) = json.get_mut(page.items) else {
            return;
        };
        let total = all.len();
        let start = page.offset.min(total);
        let end = (start + page.size).min(total);
        *all = all[start..end].to_vec();
        let object = json
            .as_object_mut()
            .expect("an answer with an array is an object");
        object.remove("NextMarker");
        if end < total {
            let token = self.new_marker();
            self.markers.lock().unwrap().insert(
                token.clone(),
                Marker {
                    list: page.list.clone(),
                    offset: end,
                },
            );
            object.insert("NextMarker".into(), Value::String(token));
        }
    }

    /// An opaque marker: nothing in it says where the page starts.
    fn new_marker(&self) -> String {
        let n = self.next_marker.fetch_add(1, Ordering::Relaxed);
        format!(
            "{:016x}{:016x}",
            self.marker_seed.hash_one(n),
            self.marker_seed.hash_one(!n)
        )
    }
}

/// 400 `InvalidParameterValueException` when AWS refuses a create or update on
/// a blocked runtime. An update that moves the function to a runtime that is
/// not blocked is allowed (that is how functions leave a blocked runtime).
async fn check_runtime(
    runtimes: &RuntimeLifecycle,
    call: &Call,
    body: &[u8],
    upstream: &Upstream,
) -> Result<(), Refusal> {
    let requested = || {
        serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|json| json.get("Runtime")?.as_str().map(str::to_string))
    };
    let blocked = match call.operation.as_str() {
        "CreateFunction" => requested().filter(|runtime| runtimes.create_blocked(runtime)),
        "UpdateFunctionConfiguration" | "UpdateFunctionCode" => {
            // An update that sets a runtime is judged by it; UpdateFunctionCode never does.
            let set = (call.operation == "UpdateFunctionConfiguration")
                .then(requested)
                .flatten();
            let runtime = match set {
                Some(runtime) => Some(runtime),
                None => current_runtime(call, upstream).await,
            };
            runtime.filter(|runtime| runtimes.update_blocked(runtime))
        }
        _ => None,
    };
    match blocked {
        Some(runtime) => Err(Refusal::new(
            400,
            "InvalidParameterValueException",
            runtimes.refusal(&runtime),
        )),
        None => Ok(()),
    }
}

/// The function's runtime, asked of moto.
async fn current_runtime(call: &Call, upstream: &Upstream) -> Option<String> {
    let name = call.function.as_deref()?;
    let answer = upstream
        .ask(
            Method::GET,
            &format!(
                "/2015-03-31/functions/{}/configuration",
                percent_encode(name)
            ),
            "lambda",
            &call.caller,
            &call.region,
            "",
        )
        .await?;
    let json: Value = serde_json::from_slice(&answer).ok()?;
    json.get("Runtime")?.as_str().map(str::to_string)
}

/// 403 as AWS answers a call on another account's layer without a grant.
fn access_denied(call: &Call, owner: &str, layer: &LayerRef) -> Refusal {
    let caller = call.account.as_deref().unwrap_or("unknown");
    let action = match call.operation.as_str() {
        "GetLayerVersionByArn" => "GetLayerVersion",
        operation => operation,
    };
    let mut resource = format!(
        "arn:aws:lambda:{}:{owner}:layer:{}",
        call.region, layer.name
    );
    if let Some(version) = layer.version {
        resource.push_str(&format!(":{version}"));
    }
    Refusal::new(
        403,
        "AccessDeniedException",
        format!(
            "User: arn:aws:iam::{caller}:root is not authorized to perform: lambda:{action} on \
             resource: {resource} because no resource-based policy allows the lambda:{action} action"
        ),
    )
}

fn grant_of(body: &[u8]) -> Option<Grant> {
    let body: Value = serde_json::from_slice(body).ok()?;
    Some(Grant {
        statement: body.get("StatementId")?.as_str()?.to_string(),
        principal: body.get("Principal")?.as_str()?.to_string(),
        organization: body
            .get("OrganizationId")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

fn strip_update_reason(json: &mut Value) {
    let target = match json.get_mut("Configuration") {
        Some(configuration) => configuration,
        None => json,
    };
    if let Some(object) = target.as_object_mut() {
        object.remove("LastUpdateStatusReason");
        object.remove("LastUpdateStatusReasonCode");
    }
}

/// What AWS leaves out of ListFunctions ("use GetFunction" for these).
fn strip_detail_fields(json: &mut Value) {
    const DETAIL: [&str; 7] = [
        "State",
        "StateReason",
        "StateReasonCode",
        "LastUpdateStatus",
        "LastUpdateStatusReason",
        "LastUpdateStatusReasonCode",
        "RuntimeVersionConfig",
    ];
    if let Some(Value::Array(functions)) = json.get_mut("Functions") {
        for function in functions.iter_mut().filter_map(Value::as_object_mut) {
            for field in DETAIL {
                function.remove(field);
            }
        }
    }
}

fn with_layer_name(path: &str, name: &str) -> String {
    let mut segments: Vec<String> = path.split('/').map(str::to_string).collect();
    if let Some(at) = segments.iter().position(|segment| segment == "layers")
        && at + 1 < segments.len()
    {
        segments[at + 1] = percent_encode(name);
    }
    segments.join("/")
}

fn join_path(path: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let query: Vec<String> = query
        .iter()
        .map(|(key, value)| format!("{}={}", percent_encode(key), percent_encode(value)))
        .collect();
    format!("{path}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_limit_is_inclusive() {
        let model = Model::new(AwsModel::aws());
        let call = super::super::call::call(Method::POST, "/2018-10-31/layers/big/versions");
        assert_eq!(model.too_large(&call, REQUEST_LIMIT), None);
        let refusal = model.too_large(&call, REQUEST_LIMIT + 1).unwrap();
        assert_eq!(
            (refusal.status, refusal.code),
            (413, "RequestEntityTooLargeException")
        );
        assert_eq!(
            Model::new(AwsModel::moto()).too_large(&call, REQUEST_LIMIT + 1),
            None
        );
    }
}
