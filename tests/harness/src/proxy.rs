//! A real HTTP proxy between a tool and moto_server that behaves like AWS
//! where moto does not. By default every proxy applies the AWS model
//! ([`AwsModel::aws`], see `docs/aws.md`): Lambda's request quotas per account
//! and region (429 `TooManyRequestsException` above them), updates that stay
//! `InProgress` for a second with 409 `ResourceConflictException` for another
//! update meanwhile, pages of 50, the 413 for an oversized request, account
//! boundaries for layers, and blocked runtimes. A test that needs moto's
//! instant, unlimited behaviour asks for it ([`Proxy::start_with`] and
//! [`AwsModel::moto`] or a part turned off) and says why.
//!
//! On top of the model the proxy injects faults by operation, function and
//! count, and counts every request by operation and by quota bucket.
//!
//! The tool under test talks to it exactly as it talks to AWS
//! (`AWS_ENDPOINT_URL` = [`Proxy::endpoint`]), through the real SDK; the proxy
//! forwards what it lets through to moto. It runs on its own thread with its own
//! runtime, so a test may block (running a tool binary) while it serves.
//!
//! Lambda speaks REST-JSON; the proxy also names the operations of the
//! query-protocol services (CloudWatch, STS, IAM: `Action=` in the form body,
//! e.g. `GetMetricData`) and answers their faults in XML, as those services do
//! (S3's faults too, in S3's own XML), so the SDK parses the error code and
//! retries a throttle or a 5xx there as it would against AWS.
//!
//! ```no_run
//! # use std::time::Duration;
//! # use layer_test_harness::proxy::{AwsModel, Bucket, Fault, Proxy, Rule};
//! // AWS's behaviour, all of it.
//! let proxy = Proxy::start("http://127.0.0.1:5000");
//! // Or with updates that take 3 s.
//! let slow = Proxy::start_with("http://127.0.0.1:5000", AwsModel::aws().update_time(Duration::from_secs(3)));
//! // The first two updates of `api` fail with 409 whatever the model says.
//! proxy.add_rule(Rule::new("UpdateFunctionConfiguration", Fault::conflict()).function("api").times(2));
//! // After the run: calls per quota bucket.
//! println!("{}", proxy.bucket_report());
//! assert_eq!(proxy.bucket(Bucket::Shared).throttled, 0);
//! ```

mod call;
mod model;
mod quotas;
mod wire;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use call::{Call, Protocol};
pub use model::{AwsModel, PAGE_SIZE, REQUEST_LIMIT, UPDATE_TIME};
use model::{Model, Plan};
use quotas::TokenBucket;
pub use quotas::{Bucket, BucketStats, RateLimit, RateLimits};
use wire::{Body, Upstream, aws_error_response, json_response, request_id};

/// What the proxy does to a request a [`Rule`] matches.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with an AWS error (JSON body, `x-amzn-ErrorType`) without forwarding.
    Error {
        status: u16,
        code: String,
        message: String,
    },
    /// Wait, then forward.
    Delay(Duration),
    /// Forward, then wait before answering: the request takes effect at once
    /// and its answer comes late (a slow control plane), so a client stopped
    /// meanwhile never learns that it landed.
    SlowAnswer(Duration),
    /// Close the connection without an answer (a dropped connection).
    Drop,
    /// Forward, then close the connection without an answer: the request took
    /// effect and its answer was lost (as when a client times out too early).
    Lost,
    /// Forward, then merge these fields into the JSON answer's function
    /// configuration (the body itself, GetFunction's `Configuration`, or each of
    /// ListFunctions' `Functions`). Only 2xx answers are patched.
    Patch(Value),
    /// Answer with this, without forwarding.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
}

impl Fault {
    pub fn error(status: u16, code: &str, message: &str) -> Fault {
        Fault::Error {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// 409 `ResourceConflictException`, as Lambda answers while an update is in progress.
    pub fn conflict() -> Fault {
        Fault::error(
            409,
            "ResourceConflictException",
            "The operation cannot be performed at this time. An update is in progress for resource",
        )
    }

    /// 429 `TooManyRequestsException`, as above the rate limit.
    pub fn throttle() -> Fault {
        Fault::error(429, "TooManyRequestsException", "Rate exceeded")
    }

    /// 412 `PreconditionFailedException`: the `RevisionId` sent is not the function's.
    pub fn precondition_failed() -> Fault {
        Fault::error(
            412,
            "PreconditionFailedException",
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
        )
    }

    /// A 5xx `ServiceException`.
    pub fn server_error(status: u16) -> Fault {
        Fault::error(status, "ServiceException", "An internal error occurred")
    }

    /// The function's last update is still running.
    pub fn in_progress() -> Fault {
        Fault::Patch(json!({ "LastUpdateStatus": "InProgress" }))
    }

    /// The function's last update failed, with this reason.
    pub fn update_failed(reason: &str) -> Fault {
        Fault::Patch(json!({
            "LastUpdateStatus": "Failed",
            "LastUpdateStatusReason": reason,
            "LastUpdateStatusReasonCode": "InternalError",
        }))
    }

    /// A successful Invoke whose function returned `payload`.
    pub fn invoke_returns(payload: &Value) -> Fault {
        Fault::Respond {
            status: 200,
            headers: vec![("X-Amz-Executed-Version".into(), "$LATEST".into())],
            body: payload.to_string().into_bytes(),
        }
    }
}

/// Apply a fault to requests of one operation (`*` for any), optionally of one
/// function, from the `after`+1-th matching request on, `times` times (or always).
#[derive(Debug, Clone)]
pub struct Rule {
    operation: String,
    function: Option<String>,
    after: usize,
    times: Option<usize>,
    fault: Fault,
    matched: usize,
}

impl Rule {
    pub fn new(operation: &str, fault: Fault) -> Rule {
        Rule {
            operation: operation.into(),
            function: None,
            after: 0,
            times: None,
            fault,
            matched: 0,
        }
    }

    /// Only requests for this function.
    pub fn function(mut self, name: &str) -> Rule {
        self.function = Some(name.into());
        self
    }

    /// Let the first `n` matching requests through untouched.
    pub fn after(mut self, n: usize) -> Rule {
        self.after = n;
        self
    }

    /// Fault only `n` matching requests (then let them through).
    pub fn times(mut self, n: usize) -> Rule {
        self.times = Some(n);
        self
    }

    fn matches(&self, call: &Call) -> bool {
        (self.operation == "*" || self.operation == call.operation)
            && self
                .function
                .as_ref()
                .is_none_or(|name| call.function.as_ref() == Some(name))
    }

    /// Count a matching request; does the fault apply to it?
    fn fires(&mut self) -> bool {
        self.matched += 1;
        let n = self.matched;
        n > self.after && self.times.is_none_or(|times| n <= self.after + times)
    }
}

/// How many requests of one operation the proxy saw, and what it did with them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OperationStats {
    pub received: usize,
    /// Answered with 429 by the rate limit.
    pub throttled: usize,
    /// Hit by a fault rule.
    pub faulted: usize,
    /// Answered with an error by the AWS model (413, 403, 400, 409), not forwarded.
    pub refused: usize,
    /// Sent on to moto.
    pub forwarded: usize,
}

/// One request the proxy saw (for assertions about what a tool sent).
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub operation: String,
    pub function: Option<String>,
    pub at: Instant,
    /// The status the proxy answered with (0 for a dropped connection).
    pub status: u16,
    /// The request body (empty above 64 KiB).
    pub body: Bytes,
}

impl SeenRequest {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A running proxy; stops when dropped.
pub struct Proxy {
    endpoint: String,
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Proxy({} -> {})",
            self.endpoint, self.state.upstream.base
        )
    }
}

struct State {
    upstream: Upstream,
    model: Model,
    tokens: Mutex<HashMap<(String, String, Bucket), TokenBucket>>,
    buckets: Mutex<BTreeMap<Bucket, BucketStats>>,
    rules: Mutex<Vec<Rule>>,
    stats: Mutex<BTreeMap<String, OperationStats>>,
    seen: Mutex<Vec<SeenRequest>>,
}

impl Proxy {
    /// Start a proxy on 127.0.0.1 (a free port) in front of `upstream`
    /// (e.g. `moto().endpoint()`) that behaves as AWS does ([`AwsModel::aws`]).
    pub fn start(upstream: &str) -> Proxy {
        Proxy::start_with(upstream, AwsModel::aws())
    }

    /// Start a proxy with a model of the test's choosing; [`AwsModel::moto`]
    /// for none (a test that opts out says why).
    pub fn start_with(upstream: &str, model: AwsModel) -> Proxy {
        let upstream = upstream.to_string();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("layer-test-proxy".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("proxy runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("proxy binds a loopback port");
                    let addr = listener.local_addr().expect("proxy address");
                    let state = Arc::new(State {
                        upstream: Upstream::new(&upstream),
                        model: Model::new(model),
                        tokens: Mutex::default(),
                        buckets: Mutex::default(),
                        rules: Mutex::default(),
                        stats: Mutex::default(),
                        seen: Mutex::default(),
                    });
                    ready_tx
                        .send((addr, state.clone()))
                        .expect("proxy reports its port");
                    serve(listener, state, shutdown_rx).await;
                });
            })
            .expect("proxy thread");
        let (addr, state): (SocketAddr, Arc<State>) = ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("proxy started");
        Proxy {
            endpoint: format!("http://{addr}"),
            state,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`: give it to the tool as `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// What this proxy models.
    pub fn model(&self) -> &AwsModel {
        &self.state.model.config
    }

    /// Count `account` as a member of AWS Organizations organization `org`, for
    /// layer grants to an organization (`OrganizationId`).
    pub fn join_organization(&self, account: &str, org: &str) {
        self.state.model.join_organization(account, org);
    }

    /// Add a fault rule. Rules are tried in the order they were added; the first
    /// that matches and fires decides. A rule that answers (an error, a canned
    /// answer, a drop) takes the place of the model; one that forwards (a delay,
    /// a patch, a lost answer) goes through the model, and its patch is applied
    /// to the model's answer.
    pub fn add_rule(&self, rule: Rule) {
        self.state.rules.lock().unwrap().push(rule);
    }

    /// What the proxy saw of one operation (e.g. `UpdateFunctionConfiguration`).
    pub fn stats(&self, operation: &str) -> OperationStats {
        self.state
            .stats
            .lock()
            .unwrap()
            .get(operation)
            .copied()
            .unwrap_or_default()
    }

    /// Every operation seen so far.
    pub fn all_stats(&self) -> BTreeMap<String, OperationStats> {
        self.state.stats.lock().unwrap().clone()
    }

    /// Lambda calls that drew from one quota bucket (all accounts and regions),
    /// and how many of them were throttled. Counted whether or not the model
    /// enforces the quota.
    pub fn bucket(&self, bucket: Bucket) -> BucketStats {
        self.buckets()[&bucket]
    }

    /// Every bucket's counts.
    pub fn buckets(&self) -> BTreeMap<Bucket, BucketStats> {
        let seen = self.state.buckets.lock().unwrap();
        Bucket::ALL
            .into_iter()
            .map(|bucket| (bucket, seen.get(&bucket).copied().unwrap_or_default()))
            .collect()
    }

    /// One line for people: `GetFunction 300 (0 throttled), GetPolicy 0 (0 throttled), shared 452 (3 throttled)`.
    pub fn bucket_report(&self) -> String {
        self.buckets()
            .iter()
            .map(|(bucket, stats)| {
                format!(
                    "{bucket} {} ({} throttled)",
                    stats.requests, stats.throttled
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The requests of one operation, in arrival order.
    pub fn requests(&self, operation: &str) -> Vec<SeenRequest> {
        self.state
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|seen| seen.operation == operation)
            .cloned()
            .collect()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<State>,
    mut shutdown: oneshot::Receiver<()>,
) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            _ = &mut shutdown => return,
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let state = state.clone();
                async move { handle(&state, request).await }
            });
            // A connection ends with an error when a rule drops it; that is the point.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct DroppedOnPurpose;

impl std::fmt::Display for DroppedOnPurpose {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a proxy rule")
    }
}

impl std::error::Error for DroppedOnPurpose {}

type Answer = Result<Response<Body>, DroppedOnPurpose>;

async fn handle(state: &State, request: Request<Incoming>) -> Answer {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let mut call = Call::of(&parts, &body);
    if call.is_lambda() {
        call.account = state.model.account_of(&state.upstream, &call).await;
    }
    let answer = match state.admit(&call, body.len()) {
        Admission::Answer(response) => Ok(response),
        Admission::Drop => Err(DroppedOnPurpose),
        Admission::Forward(fault) => state.forward(&call, &parts, body.clone(), fault).await,
    };
    let status = answer.as_ref().map_or(0, |r| r.status().as_u16());
    state.seen.lock().unwrap().push(SeenRequest {
        operation: call.operation,
        function: call.function,
        at: Instant::now(),
        status,
        body: if body.len() <= 64 * 1024 {
            body
        } else {
            Bytes::new()
        },
    });
    answer
}

/// What becomes of a request before the model looks at it.
enum Admission {
    /// Answered here: too large, throttled, or a rule's error or canned answer.
    Answer(Response<Body>),
    /// A rule drops the connection.
    Drop,
    /// On to the model and moto, with the rule that fired if it forwards
    /// (a delay, a patch, a lost answer).
    Forward(Option<Fault>),
}

impl State {
    /// The request size first (AWS's front door), then the quota (a throttled
    /// request never reaches the service), then the rules.
    fn admit(&self, call: &Call, length: usize) -> Admission {
        let mut stats = self.stats.lock().unwrap();
        let entry = stats.entry(call.operation.clone()).or_default();
        entry.received += 1;
        if let Some(refusal) = self.model.too_large(call, length) {
            entry.refused += 1;
            return Admission::Answer(refusal.response());
        }
        if !self.take_token(call) {
            entry.throttled += 1;
            return Admission::Answer(aws_error_response(
                call.protocol,
                429,
                "TooManyRequestsException",
                "Rate exceeded",
            ));
        }
        let mut rules = self.rules.lock().unwrap();
        let mut fired = None;
        for rule in rules.iter_mut().filter(|rule| rule.matches(call)) {
            if rule.fires() {
                fired = Some(rule.fault.clone());
                break;
            }
        }
        let Some(fault) = fired else {
            return Admission::Forward(None);
        };
        entry.faulted += 1;
        match fault {
            Fault::Error {
                status,
                code,
                message,
            } => Admission::Answer(aws_error_response(call.protocol, status, &code, &message)),
            Fault::Drop => Admission::Drop,
            Fault::Respond {
                status,
                headers,
                body,
            } => Admission::Answer(canned(status, headers, body)),
            forwarding @ (Fault::Delay(_)
            | Fault::SlowAnswer(_)
            | Fault::Patch(_)
            | Fault::Lost) => Admission::Forward(Some(forwarding)),
        }
    }

    /// Count the call in its bucket and take a token, if the model limits it.
    fn take_token(&self, call: &Call) -> bool {
        let Some(bucket) = call
            .is_lambda()
            .then(|| Bucket::of(&call.operation))
            .flatten()
        else {
            return true;
        };
        let admitted = match self.model.config.quotas.limit(bucket) {
            None => true,
            Some(limit) => {
                let key = (call.principal().to_string(), call.region.clone(), bucket);
                let mut tokens = self.tokens.lock().unwrap();
                tokens
                    .entry(key)
                    .or_insert_with(|| TokenBucket::full(limit))
                    .take(limit, Instant::now())
            }
        };
        let mut buckets = self.buckets.lock().unwrap();
        let counts = buckets.entry(bucket).or_default();
        counts.requests += 1;
        counts.throttled += usize::from(!admitted);
        admitted
    }

    fn count(&self, call: &Call, update: impl FnOnce(&mut OperationStats)) {
        let mut stats = self.stats.lock().unwrap();
        update(stats.entry(call.operation.clone()).or_default());
    }

    /// Through the model to moto: the model may refuse (403, 400, 409) or
    /// reroute the request, and has its say on the answer before a rule's patch.
    async fn forward(
        &self,
        call: &Call,
        parts: &hyper::http::request::Parts,
        body: Bytes,
        fault: Option<Fault>,
    ) -> Answer {
        if let Some(Fault::Delay(delay)) = &fault {
            tokio::time::sleep(*delay).await;
        }
        let plan = match self
            .model
            .plan(call, parts.uri.path(), &body, &self.upstream)
            .await
        {
            Ok(plan) => plan,
            Err(refusal) => {
                self.count(call, |stats| stats.refused += 1);
                return Ok(refusal.response());
            }
        };
        self.count(call, |stats| stats.forwarded += 1);
        let patch = match &fault {
            Some(Fault::Patch(patch)) => Some(patch),
            _ => None,
        };
        let answer = self.send(call, parts, body, &plan, patch).await;
        if let Some(Fault::SlowAnswer(delay)) = &fault {
            tokio::time::sleep(*delay).await;
        }
        match fault {
            // The request took effect; its answer is lost on the way back.
            Some(Fault::Lost) => Err(DroppedOnPurpose),
            _ => Ok(answer),
        }
    }

    async fn send(
        &self,
        call: &Call,
        parts: &hyper::http::request::Parts,
        body: Bytes,
        plan: &Plan,
        patch: Option<&Value>,
    ) -> Response<Body> {
        let original = parts.uri.path_and_query().map_or("/", |path| path.as_str());
        let path = plan.path_and_query.as_deref().unwrap_or(original);
        let mut headers = parts.headers.clone();
        for (name, value) in &plan.headers {
            if let (Ok(name), Ok(value)) = (
                hyper::header::HeaderName::from_bytes(name.as_bytes()),
                hyper::header::HeaderValue::from_str(value),
            ) {
                headers.insert(name, value);
            }
        }
        let received = match self
            .upstream
            .send(parts.method.clone(), path, headers, body)
            .await
        {
            Ok(received) => received,
            Err(err) => {
                self.model.answer(call, plan, false, None);
                return aws_error_response(
                    Protocol::RestJson,
                    502,
                    "ServiceException",
                    &format!("proxy: upstream failed: {err}"),
                );
            }
        };
        let succeeded = received.parts.status.is_success();
        let reads_json = succeeded && (patch.is_some() || self.model.reads_answer(call, plan));
        let mut json = reads_json
            .then(|| serde_json::from_slice::<Value>(&received.body).ok())
            .flatten();
        self.model.answer(call, plan, succeeded, json.as_mut());
        match json {
            Some(mut json) => {
                if let Some(patch) = patch {
                    patch_configuration(&mut json, patch);
                }
                json_response(received.parts, &json)
            }
            None => {
                let mut parts = received.parts;
                parts.headers.remove("transfer-encoding");
                Response::from_parts(parts, Full::new(received.body))
            }
        }
    }
}

fn canned(status: u16, headers: Vec<(String, String)>, body: Vec<u8>) -> Response<Body> {
    let mut response = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-RequestId", request_id());
    for (name, value) in headers {
        response = response.header(name, value);
    }
    response.body(Full::new(Bytes::from(body))).unwrap()
}

/// Merge `patch` into the function configuration(s) of an answer: the body
/// itself, GetFunction's `Configuration`, or each of ListFunctions' `Functions`.
fn patch_configuration(json: &mut Value, patch: &Value) {
    let merge = |target: &mut Value| {
        if let (Some(target), Some(patch)) = (target.as_object_mut(), patch.as_object()) {
            for (key, value) in patch {
                target.insert(key.clone(), value.clone());
            }
        }
    };
    if let Some(configuration) = json.get_mut("Configuration") {
        merge(configuration);
    } else if let Some(Value::Array(functions)) = json.get_mut("Functions") {
        functions.iter_mut().for_each(merge);
    } else {
        merge(json);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_fire_after_and_times() {
        let mut rule = Rule::new("X", Fault::Drop).after(1).times(2);
        let fired: Vec<bool> = (0..5).map(|_| rule.fires()).collect();
        assert_eq!(fired, [false, true, true, false, false]);
    }

    #[test]
    fn patches_reach_every_configuration_of_an_answer() {
        let patch = json!({ "LastUpdateStatus": "InProgress" });
        let mut get_function = json!({ "Configuration": { "FunctionName": "a" }, "Code": {} });
        patch_configuration(&mut get_function, &patch);
        assert_eq!(
            get_function["Configuration"]["LastUpdateStatus"],
            "InProgress"
        );
        assert!(get_function.get("LastUpdateStatus").is_none());
        let mut list = json!({ "Functions": [{ "FunctionName": "a" }, { "FunctionName": "b" }] });
        patch_configuration(&mut list, &patch);
        assert_eq!(list["Functions"][1]["LastUpdateStatus"], "InProgress");
    }
}
