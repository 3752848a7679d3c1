//! A real HTTP proxy between a tool and moto_server that behaves like Lambda
//! where moto does not: it enforces Lambda's control-plane rate limits
//! (answering `TooManyRequestsException`, HTTP 429, above them), injects faults
//! by operation and count, and counts every request by operation.
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
//! # use layer_test_harness::proxy::{Fault, Proxy, RateLimits, Rule};
//! let proxy = Proxy::start("http://127.0.0.1:5000", RateLimits::lambda());
//! // The first two updates of `api` fail with 409, as while an update is in progress.
//! proxy.add_rule(Rule::new("UpdateFunctionConfiguration", Fault::conflict()).function("api").times(2));
//! // The first three polls see the update still running.
//! proxy.add_rule(Rule::new("GetFunctionConfiguration", Fault::in_progress()).times(3));
//! ```

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// A token bucket: `per_second` requests on average, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl RateLimit {
    pub fn per_second(per_second: f64) -> Self {
        RateLimit {
            per_second,
            burst: per_second,
        }
    }
}

/// The limits the proxy enforces per caller (access key) and region.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    /// Most Lambda control-plane calls (UpdateFunctionConfiguration, ListFunctions, ...).
    pub control_plane: Option<RateLimit>,
    /// GetFunction and GetFunctionConfiguration, which have a higher limit of their own.
    pub reads: Option<RateLimit>,
}

impl RateLimits {
    /// Lambda's: 15 requests/second for most control-plane calls, 100/second for
    /// GetFunction and GetFunctionConfiguration. Invoke is not limited here.
    pub fn lambda() -> Self {
        RateLimits {
            control_plane: Some(RateLimit::per_second(15.0)),
            reads: Some(RateLimit::per_second(100.0)),
        }
    }

    /// No limits: only faults and counting.
    pub fn none() -> Self {
        RateLimits {
            control_plane: None,
            reads: None,
        }
    }
}

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
        write!(f, "Proxy({} -> {})", self.endpoint, self.state.upstream)
    }
}

struct State {
    upstream: String,
    limits: RateLimits,
    buckets: Mutex<HashMap<(String, String, LimitClass), Bucket>>,
    rules: Mutex<Vec<Rule>>,
    stats: Mutex<BTreeMap<String, OperationStats>>,
    seen: Mutex<Vec<SeenRequest>>,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Proxy {
    /// Start a proxy on 127.0.0.1 (a free port) in front of `upstream`
    /// (e.g. `moto().endpoint()`).
    pub fn start(upstream: &str, limits: RateLimits) -> Proxy {
        let upstream = upstream.trim_end_matches('/').to_string();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown_tx, shutdown_rx) = oneshot::channel();
        let thread_upstream = upstream.clone();
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
                        upstream: thread_upstream,
                        limits,
                        buckets: Mutex::default(),
                        rules: Mutex::default(),
                        stats: Mutex::default(),
                        seen: Mutex::default(),
                        client: Client::builder(TokioExecutor::new()).build_http(),
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

    /// Add a fault rule. Rules are tried in the order they were added; the first
    /// that matches and fires decides.
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

type Answer = Result<Response<Full<Bytes>>, DroppedOnPurpose>;

async fn handle(state: &State, request: Request<Incoming>) -> Answer {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let call = Call::of(&parts, &body);
    let fault = state.decide(&call);
    let protocol = call.protocol;
    let answer = match fault {
        Decision::Throttle => Ok(aws_error_response(
            protocol,
            429,
            "TooManyRequestsException",
            "Rate exceeded",
        )),
        Decision::Fault(Fault::Error {
            status,
            code,
            message,
        }) => Ok(aws_error_response(protocol, status, &code, &message)),
        Decision::Fault(Fault::Drop) => Err(DroppedOnPurpose),
        Decision::Fault(Fault::Lost) => {
            let _ = state.forward(&parts, body.clone(), None).await;
            Err(DroppedOnPurpose)
        }
        Decision::Fault(Fault::Respond {
            status,
            headers,
            body,
        }) => {
            let mut response = Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .header("x-amzn-RequestId", request_id());
            for (name, value) in headers {
                response = response.header(name, value);
            }
            Ok(response.body(Full::new(Bytes::from(body))).unwrap())
        }
        Decision::Fault(Fault::Delay(delay)) => {
            tokio::time::sleep(delay).await;
            state.forward(&parts, body.clone(), None).await
        }
        Decision::Fault(Fault::Patch(patch)) => {
            state.forward(&parts, body.clone(), Some(&patch)).await
        }
        Decision::Forward => state.forward(&parts, body.clone(), None).await,
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

enum Decision {
    Throttle,
    Fault(Fault),
    Forward,
}

impl State {
    /// Rate limit first (a throttled request never reaches the service), then rules.
    fn decide(&self, call: &Call) -> Decision {
        let mut stats = self.stats.lock().unwrap();
        let entry = stats.entry(call.operation.clone()).or_default();
        entry.received += 1;
        if !self.admit(call) {
            entry.throttled += 1;
            return Decision::Throttle;
        }
        let mut rules = self.rules.lock().unwrap();
        for rule in rules.iter_mut().filter(|rule| rule.matches(call)) {
            if rule.fires() {
                entry.faulted += 1;
                if matches!(rule.fault, Fault::Delay(_) | Fault::Patch(_) | Fault::Lost) {
                    entry.forwarded += 1;
                }
                return Decision::Fault(rule.fault.clone());
            }
        }
        entry.forwarded += 1;
        Decision::Forward
    }

    fn admit(&self, call: &Call) -> bool {
        let limit = match call.limit_class() {
            LimitClass::ControlPlane => self.limits.control_plane,
            LimitClass::Reads => self.limits.reads,
            LimitClass::Unlimited => None,
        };
        let Some(limit) = limit else {
            return true;
        };
        let key = (call.caller.clone(), call.region.clone(), call.limit_class());
        let mut buckets = self.buckets.lock().unwrap();
        buckets
            .entry(key)
            .or_insert_with(|| Bucket::full(limit))
            .take(limit, Instant::now())
    }

    async fn forward(
        &self,
        parts: &hyper::http::request::Parts,
        body: Bytes,
        patch: Option<&Value>,
    ) -> Answer {
        let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
        let mut upstream = Request::builder()
            .method(parts.method.clone())
            .uri(format!("{}{path}", self.upstream));
        for (name, value) in &parts.headers {
            upstream = upstream.header(name, value);
        }
        let upstream = upstream.body(Full::new(body)).unwrap();
        let response = match self.client.request(upstream).await {
            Ok(response) => response,
            Err(err) => {
                return Ok(aws_error_response(
                    Protocol::RestJson,
                    502,
                    "ServiceException",
                    &format!("proxy: upstream failed: {err}"),
                ));
            }
        };
        let (mut parts, body) = response.into_parts();
        let mut body = body
            .collect()
            .await
            .map(|collected| collected.to_bytes())
            .unwrap_or_default();
        if let Some(patch) = patch
            && parts.status.is_success()
            && let Ok(mut json) = serde_json::from_slice::<Value>(&body)
        {
            patch_configuration(&mut json, patch);
            body = Bytes::from(json.to_string());
        }
        // The body is re-sent whole; hyper sets its length.
        parts.headers.remove("content-length");
        parts.headers.remove("transfer-encoding");
        Ok(Response::from_parts(parts, Full::new(body)))
    }
}

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

/// An AWS error in the protocol of the service that was called.
fn aws_error_response(
    protocol: Protocol,
    status: u16,
    code: &str,
    message: &str,
) -> Response<Full<Bytes>> {
    match protocol {
        Protocol::RestJson => rest_json_error(status, code, message),
        Protocol::Query | Protocol::S3 => xml_error(protocol, status, code, message),
    }
}

/// A query-protocol error (`<ErrorResponse><Error>…`), or S3's (`<Error>…`):
/// the SDK reads the code and message from the XML body.
fn xml_error(protocol: Protocol, status: u16, code: &str, message: &str) -> Response<Full<Bytes>> {
    let kind = if status >= 500 { "Receiver" } else { "Sender" };
    let id = request_id();
    let error = format!(
        "<Type>{kind}</Type><Code>{code}</Code><Message>{}</Message>",
        xml_escape(message)
    );
    let body = match protocol {
        Protocol::S3 => format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error>{error}<RequestId>{id}</RequestId></Error>"
        ),
        _ => format!(
            "<ErrorResponse><Error>{error}</Error><RequestId>{id}</RequestId></ErrorResponse>"
        ),
    };
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "text/xml")
        .header("x-amzn-RequestId", id)
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An AWS REST-JSON error as Lambda sends it: the SDK reads the code from
/// `x-amzn-ErrorType` and the message from the body.
fn rest_json_error(status: u16, code: &str, message: &str) -> Response<Full<Bytes>> {
    let mut body = json!({ "Type": "User", "message": message });
    let mut response = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json")
        .header("x-amzn-RequestId", request_id())
        .header("x-amzn-ErrorType", code);
    if status == 429 {
        body["Reason"] = json!("CallerRateLimitExceeded");
        response = response.header("Retry-After", "1");
    }
    if status >= 500 {
        body["Type"] = json!("Service");
    }
    response
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "00000000-0000-4000-8000-{:012x}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(limit: RateLimit) -> Bucket {
        Bucket {
            tokens: limit.burst,
            last: Instant::now(),
        }
    }

    fn take(&mut self, limit: RateLimit, now: Instant) -> bool {
        let refill = now.duration_since(self.last).as_secs_f64() * limit.per_second;
        self.tokens = (self.tokens + refill).min(limit.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum LimitClass {
    ControlPlane,
    Reads,
    Unlimited,
}

/// How a service shapes its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// Lambda: JSON body, code in `x-amzn-ErrorType`.
    RestJson,
    /// CloudWatch (up to SDK 1.99), STS, IAM: form body with `Action=`, XML errors.
    Query,
    /// S3: REST with XML errors.
    S3,
}

/// One request, as the proxy understands it.
#[derive(Debug, Clone)]
struct Call {
    service: String,
    protocol: Protocol,
    operation: String,
    function: Option<String>,
    /// The access key id: the caller the limit is kept for.
    caller: String,
    region: String,
}

impl Call {
    fn of(parts: &hyper::http::request::Parts, body: &[u8]) -> Call {
        let (caller, region, service) = credential_scope(parts).unwrap_or_default();
        let query_action = query_action(body);
        let (operation, function, protocol) = if service == "lambda" {
            let (operation, function) = lambda_operation(
                &parts.method,
                parts.uri.path(),
                parts.uri.query().unwrap_or(""),
            );
            (operation, function, Protocol::RestJson)
        } else if let Some(action) = query_action {
            (action, None, Protocol::Query)
        } else if service == "s3" {
            (format!("s3:{}", parts.method), None, Protocol::S3)
        } else {
            (
                format!("{service}:{}", parts.method),
                None,
                Protocol::RestJson,
            )
        };
        Call {
            service,
            protocol,
            operation,
            function,
            caller,
            region,
        }
    }

    fn limit_class(&self) -> LimitClass {
        if self.service != "lambda" {
            return LimitClass::Unlimited;
        }
        match self.operation.as_str() {
            "GetFunction" | "GetFunctionConfiguration" => LimitClass::Reads,
            // Data plane, with limits of its own (concurrency), not modelled here.
            "Invoke" | "InvokeAsync" => LimitClass::Unlimited,
            _ => LimitClass::ControlPlane,
        }
    }
}

/// The `Action` of a query-protocol request (`Action=GetMetricData&Version=…`).
fn query_action(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body.get(..body.len().min(4096))?).ok()?;
    text.split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .filter(|action| !action.is_empty() && action.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_string)
}

/// (access key id, region, service) from a SigV4 `Authorization` header:
/// `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request, ...`.
fn credential_scope(parts: &hyper::http::request::Parts) -> Option<(String, String, String)> {
    let header = parts.headers.get("authorization")?.to_str().ok()?;
    let scope = header.split("Credential=").nth(1)?.split(',').next()?;
    let fields: Vec<&str> = scope.split('/').collect();
    match fields[..] {
        [key, _date, region, service, ..] => {
            Some((key.to_string(), region.to_string(), service.to_string()))
        }
        _ => None,
    }
}

/// The Lambda operation of a REST request, from its method and path, and the
/// function it is about (when there is one).
fn lambda_operation(method: &Method, path: &str, query: &str) -> (String, Option<String>) {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let rest = segments.get(1..).unwrap_or_default();
    let method = method.as_str();
    let function = match rest {
        ["functions", name, ..] => Some(name.to_string()),
        _ => None,
    };
    let operation = match (method, rest) {
        ("GET", ["functions"]) => "ListFunctions",
        ("POST", ["functions"]) => "CreateFunction",
        ("GET", ["functions", _]) => "GetFunction",
        ("DELETE", ["functions", _]) => "DeleteFunction",
        ("GET", ["functions", _, "configuration"]) => "GetFunctionConfiguration",
        ("PUT", ["functions", _, "configuration"]) => "UpdateFunctionConfiguration",
        ("PUT", ["functions", _, "code"]) => "UpdateFunctionCode",
        ("POST", ["functions", _, "invocations"]) => "Invoke",
        ("POST", ["functions", _, "invoke-async"]) => "InvokeAsync",
        ("POST", ["functions", _, "versions"]) => "PublishVersion",
        ("GET", ["functions", _, "versions"]) => "ListVersionsByFunction",
        ("POST", ["functions", _, "aliases"]) => "CreateAlias",
        ("GET", ["functions", _, "aliases"]) => "ListAliases",
        ("GET", ["functions", _, "aliases", _]) => "GetAlias",
        ("PUT", ["functions", _, "aliases", _]) => "UpdateAlias",
        ("DELETE", ["functions", _, "aliases", _]) => "DeleteAlias",
        ("GET", ["functions", _, "policy"]) => "GetPolicy",
        ("POST", ["functions", _, "policy"]) => "AddPermission",
        ("DELETE", ["functions", _, "policy", _]) => "RemovePermission",
        ("GET", ["tags", _]) => "ListTags",
        ("POST", ["tags", _]) => "TagResource",
        ("DELETE", ["tags", _]) => "UntagResource",
        ("GET", ["layers"]) if query.contains("find=LayerVersion") => "GetLayerVersionByArn",
        ("GET", ["layers"]) => "ListLayers",
        ("GET", ["layers", _, "versions"]) => "ListLayerVersions",
        ("POST", ["layers", _, "versions"]) => "PublishLayerVersion",
        ("GET", ["layers", _, "versions", _]) => "GetLayerVersion",
        ("DELETE", ["layers", _, "versions", _]) => "DeleteLayerVersion",
        ("GET", ["layers", _, "versions", _, "policy"]) => "GetLayerVersionPolicy",
        ("POST", ["layers", _, "versions", _, "policy"]) => "AddLayerVersionPermission",
        ("DELETE", ["layers", _, "versions", _, "policy", _]) => "RemoveLayerVersionPermission",
        ("GET", ["account-settings"]) => "GetAccountSettings",
        _ => return (format!("lambda:{method} {path}"), function),
    };
    (operation.to_string(), function)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_operations_come_from_method_and_path() {
        let op = |method: Method, path: &str, query: &str| lambda_operation(&method, path, query);
        assert_eq!(
            op(Method::PUT, "/2015-03-31/functions/api/configuration", ""),
            ("UpdateFunctionConfiguration".into(), Some("api".into()))
        );
        assert_eq!(
            op(Method::GET, "/2015-03-31/functions/api/configuration", "").0,
            "GetFunctionConfiguration"
        );
        assert_eq!(
            op(Method::GET, "/2015-03-31/functions/", "").0,
            "ListFunctions"
        );
        assert_eq!(
            op(Method::GET, "/2018-10-31/layers/common/versions/3", "").0,
            "GetLayerVersion"
        );
        assert_eq!(
            op(Method::GET, "/2018-10-31/layers", "find=LayerVersion&Arn=x").0,
            "GetLayerVersionByArn"
        );
        assert_eq!(
            op(Method::POST, "/2015-03-31/functions/api/invocations", "").0,
            "Invoke"
        );
    }

    #[test]
    fn query_protocol_actions_are_named_from_the_body() {
        assert_eq!(
            query_action(b"Action=GetMetricData&Version=2010-08-01&StartTime=x").as_deref(),
            Some("GetMetricData")
        );
        assert_eq!(query_action(b"{\"Layers\": []}"), None);
        assert_eq!(query_action(b"Action=a%20b"), None);
    }

    #[test]
    fn rules_fire_after_and_times() {
        let mut rule = Rule::new("X", Fault::Drop).after(1).times(2);
        let fired: Vec<bool> = (0..5).map(|_| rule.fires()).collect();
        assert_eq!(fired, [false, true, true, false, false]);
    }

    #[test]
    fn a_bucket_admits_its_burst_then_its_rate() {
        let limit = RateLimit::per_second(15.0);
        let start = Instant::now();
        let mut bucket = Bucket {
            tokens: limit.burst,
            last: start,
        };
        let admitted = (0..20).filter(|_| bucket.take(limit, start)).count();
        assert_eq!(admitted, 15);
        // A second later, 15 more tokens (and no more than the burst).
        let later = start + Duration::from_secs(1);
        let admitted = (0..20).filter(|_| bucket.take(limit, later)).count();
        assert_eq!(admitted, 15);
    }
}
