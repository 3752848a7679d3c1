//! The proxy's HTTP plumbing: AWS errors in each service's own shape, and
//! requests to moto (forwarded ones, and the model's own look-ups).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

use super::call::Protocol;

pub(crate) type Body = Full<Bytes>;

/// moto, as the proxy reaches it.
#[derive(Debug, Clone)]
pub(crate) struct Upstream {
    pub base: String,
    client: Client<HttpConnector, Body>,
}

/// An answer from moto: status, headers and the whole body.
pub(crate) struct Received {
    pub parts: hyper::http::response::Parts,
    pub body: Bytes,
}

impl Upstream {
    pub fn new(base: &str) -> Upstream {
        Upstream {
            base: base.trim_end_matches('/').to_string(),
            client: Client::builder(hyper_util::rt::TokioExecutor::new()).build_http(),
        }
    }

    pub async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<Received, String> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path_and_query}", self.base))
            .body(Full::new(body))
            .map_err(|err| err.to_string())?;
        *request.headers_mut() = headers;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|err| err.to_string())?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map(|collected| collected.to_bytes())
            .map_err(|err| err.to_string())?;
        Ok(Received { parts, body })
    }

    /// A request of the model's own to moto, signed (as far as moto looks) by `key`
    /// for `service`: moto finds the account from the key in the credential scope.
    pub async fn ask(
        &self,
        method: Method,
        path_and_query: &str,
        service: &str,
        key: &str,
        region: &str,
        body: &str,
    ) -> Option<Bytes> {
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={key}/20260101/{region}/{service}/aws4_request, \
             SignedHeaders=host, Signature=0"
        );
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(&authorization).ok()?);
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let received = self
            .send(
                method,
                path_and_query,
                headers,
                Bytes::from(body.to_string()),
            )
            .await
            .ok()?;
        received.parts.status.is_success().then_some(received.body)
    }
}

/// An AWS error in the protocol of the service that was called.
pub(crate) fn aws_error_response(
    protocol: Protocol,
    status: u16,
    code: &str,
    message: &str,
) -> Response<Body> {
    match protocol {
        Protocol::RestJson => rest_json_error(status, code, message),
        Protocol::Query | Protocol::S3 => xml_error(protocol, status, code, message),
    }
}

/// A query-protocol error (`<ErrorResponse><Error>…`), or S3's (`<Error>…`):
/// the SDK reads the code and message from the XML body.
fn xml_error(protocol: Protocol, status: u16, code: &str, message: &str) -> Response<Body> {
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
pub(crate) fn rest_json_error(status: u16, code: &str, message: &str) -> Response<Body> {
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

/// A JSON answer (a canned or rewritten one).
pub(crate) fn json_response(
    mut parts: hyper::http::response::Parts,
    json: &Value,
) -> Response<Body> {
    // The body is re-sent whole; hyper sets its length.
    parts.headers.remove("content-length");
    parts.headers.remove("transfer-encoding");
    Response::from_parts(parts, Full::new(Bytes::from(json.to_string())))
}

pub(crate) fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "00000000-0000-4000-8000-{:012x}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}
