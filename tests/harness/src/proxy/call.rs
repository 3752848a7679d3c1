//! What a request is, as the proxy understands it: the service and operation,
//! the caller and region (from the SigV4 credential scope), and for Lambda the
//! function or layer it is about, whether named plainly or by ARN.

use hyper::Method;
use hyper::http::request::Parts;

/// How a service shapes its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// Lambda: JSON body, code in `x-amzn-ErrorType`.
    RestJson,
    /// CloudWatch (up to SDK 1.99), STS, IAM: form body with `Action=`, XML errors.
    Query,
    /// S3: REST with XML errors.
    S3,
}

/// A layer a Lambda request is about: `LayerName` as a plain name or an ARN
/// (`arn:aws:lambda:REGION:ACCOUNT:layer:NAME`), and the version when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LayerRef {
    /// The owner, when the request named the layer by ARN.
    pub account: Option<String>,
    pub name: String,
    pub version: Option<u64>,
}

/// One request, as the proxy understands it.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub service: String,
    pub protocol: Protocol,
    pub operation: String,
    /// The function's plain name, whether the path named it by name, ARN or partial ARN.
    pub function: Option<String>,
    /// The version or alias asked for (`Qualifier=`, or the ARN's `:qualifier`).
    pub qualifier: Option<String>,
    pub layer: Option<LayerRef>,
    /// The access key id.
    pub caller: String,
    /// The caller's account (known once the proxy has asked moto who the key belongs to).
    pub account: Option<String>,
    pub region: String,
    /// The query string, decoded, in order.
    pub query: Vec<(String, String)>,
}

impl Call {
    pub fn of(parts: &Parts, body: &[u8]) -> Call {
        let (caller, region, service) = credential_scope(parts).unwrap_or_default();
        let query = decode_query(parts.uri.query().unwrap_or(""));
        let mut call = Call {
            service: service.clone(),
            protocol: Protocol::RestJson,
            operation: String::new(),
            function: None,
            qualifier: None,
            layer: None,
            caller,
            account: None,
            region,
            query,
        };
        if service == "lambda" {
            call.understand_lambda(&parts.method, parts.uri.path());
        } else if let Some(action) = query_action(body) {
            call.operation = action;
            call.protocol = Protocol::Query;
        } else if service == "s3" {
            call.operation = format!("s3:{}", parts.method);
            call.protocol = Protocol::S3;
        } else {
            call.operation = format!("{service}:{}", parts.method);
        }
        call
    }

    pub fn is_lambda(&self) -> bool {
        self.service == "lambda"
    }

    /// The first value of a query parameter.
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The account the proxy keeps the caller's state under: the account when
    /// known, else the access key.
    pub fn principal(&self) -> &str {
        self.account.as_deref().unwrap_or(&self.caller)
    }

    fn understand_lambda(&mut self, method: &Method, path: &str) {
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(percent_decode)
            .collect();
        let rest: Vec<&str> = segments.iter().skip(1).map(String::as_str).collect();
        self.operation = lambda_operation(method, &rest, &self.query);
        if let ["functions", name, ..] = &rest[..] {
            let (name, qualifier) = function_name(name);
            self.function = Some(name);
            self.qualifier = self
                .query_value("Qualifier")
                .map(str::to_string)
                .or(qualifier);
        }
        if let ["layers", name, "versions", tail @ ..] = &rest[..] {
            let version = tail.first().and_then(|v| v.parse().ok());
            self.layer = Some(layer_ref(name, version));
        }
        if self.operation == "GetLayerVersionByArn" {
            self.layer = self.query_value("Arn").and_then(layer_version_arn);
        }
    }
}

/// The Lambda operation of a REST request, from its method and decoded path
/// segments after the API date (`functions/api/configuration`).
fn lambda_operation(method: &Method, rest: &[&str], query: &[(String, String)]) -> String {
    let finds_by_arn = query
        .iter()
        .any(|(key, value)| key == "find" && value == "LayerVersion");
    let operation = match (method.as_str(), rest) {
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
        ("GET", ["tags", ..]) => "ListTags",
        ("POST", ["tags", ..]) => "TagResource",
        ("DELETE", ["tags", ..]) => "UntagResource",
        ("GET", ["layers"]) if finds_by_arn => "GetLayerVersionByArn",
        ("GET", ["layers"]) => "ListLayers",
        ("GET", ["layers", _, "versions"]) => "ListLayerVersions",
        ("POST", ["layers", _, "versions"]) => "PublishLayerVersion",
        ("GET", ["layers", _, "versions", _]) => "GetLayerVersion",
        ("DELETE", ["layers", _, "versions", _]) => "DeleteLayerVersion",
        ("GET", ["layers", _, "versions", _, "policy"]) => "GetLayerVersionPolicy",
        ("POST", ["layers", _, "versions", _, "policy"]) => "AddLayerVersionPermission",
        ("DELETE", ["layers", _, "versions", _, "policy", _]) => "RemoveLayerVersionPermission",
        ("GET", ["account-settings"]) => "GetAccountSettings",
        _ => return format!("lambda:{method} /{}", rest.join("/")),
    };
    operation.to_string()
}

/// A function's name and qualifier from `name`, `name:qualifier`,
/// `ACCOUNT:function:name[:qualifier]` or `arn:aws:lambda:REGION:ACCOUNT:function:name[:qualifier]`.
fn function_name(given: &str) -> (String, Option<String>) {
    let parts: Vec<&str> = given.split(':').collect();
    let after_function = parts.iter().position(|part| *part == "function");
    let (name, qualifier) = match after_function {
        Some(at) => (parts.get(at + 1).copied(), parts.get(at + 2).copied()),
        None => (parts.first().copied(), parts.get(1).copied()),
    };
    (
        name.unwrap_or(given).to_string(),
        qualifier.map(str::to_string),
    )
}

/// `LayerName` of a path: a plain name, or a layer ARN.
fn layer_ref(name: &str, version: Option<u64>) -> LayerRef {
    match name.split(':').collect::<Vec<_>>()[..] {
        [
            "arn",
            _partition,
            "lambda",
            _region,
            account,
            "layer",
            layer,
            ..,
        ] => LayerRef {
            account: Some(account.to_string()),
            name: layer.to_string(),
            version,
        },
        _ => LayerRef {
            account: None,
            name: name.to_string(),
            version,
        },
    }
}

/// `arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION`.
fn layer_version_arn(arn: &str) -> Option<LayerRef> {
    let (layer_arn, version) = arn.rsplit_once(':')?;
    let layer = layer_ref(layer_arn, Some(version.parse().ok()?));
    layer.account.is_some().then_some(layer)
}

/// The `Action` of a query-protocol request (`Action=GetMetricData&Version=…`).
pub(crate) fn query_action(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body.get(..body.len().min(4096))?).ok()?;
    text.split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .filter(|action| !action.is_empty() && action.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_string)
}

/// (access key id, region, service) from a SigV4 `Authorization` header:
/// `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request, ...`.
fn credential_scope(parts: &Parts) -> Option<(String, String, String)> {
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

fn decode_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

/// `a%3Ab+c` -> `a:b c` (what the SDK encodes in paths and query strings).
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `a:b c` -> `a%3Ab%20c`: everything but RFC 3986's unreserved characters.
pub(crate) fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// A Lambda call as the SDK would sign it (for unit tests).
#[cfg(test)]
pub(crate) fn call(method: Method, path_and_query: &str) -> Call {
    let request = hyper::Request::builder()
        .method(method)
        .uri(path_and_query)
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0",
        )
        .body(())
        .unwrap();
    Call::of(&request.into_parts().0, b"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_operations_come_from_method_and_path() {
        let update = call(Method::PUT, "/2015-03-31/functions/api/configuration");
        assert_eq!(update.operation, "UpdateFunctionConfiguration");
        assert_eq!(update.function.as_deref(), Some("api"));
        assert_eq!(
            (update.caller.as_str(), update.region.as_str()),
            ("AKID", "us-east-1")
        );
        let op = |method: Method, path: &str| call(method, path).operation;
        assert_eq!(
            op(Method::GET, "/2015-03-31/functions/api/configuration"),
            "GetFunctionConfiguration"
        );
        assert_eq!(op(Method::GET, "/2015-03-31/functions/"), "ListFunctions");
        assert_eq!(
            op(Method::GET, "/2018-10-31/layers/common/versions/3"),
            "GetLayerVersion"
        );
        assert_eq!(
            op(Method::GET, "/2018-10-31/layers?find=LayerVersion&Arn=x"),
            "GetLayerVersionByArn"
        );
        assert_eq!(
            op(Method::POST, "/2015-03-31/functions/api/invocations"),
            "Invoke"
        );
        assert_eq!(
            op(
                Method::GET,
                "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Aapi"
            ),
            "ListTags"
        );
    }

    #[test]
    fn functions_are_named_whatever_form_the_path_uses() {
        let by_arn = call(
            Method::GET,
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aapi%3Alive",
        );
        assert_eq!(by_arn.function.as_deref(), Some("api"));
        assert_eq!(by_arn.qualifier.as_deref(), Some("live"));
        let partial = call(
            Method::GET,
            "/2015-03-31/functions/123456789012%3Afunction%3Aapi/configuration",
        );
        assert_eq!(partial.function.as_deref(), Some("api"));
        assert_eq!(partial.qualifier, None);
        let qualified = call(Method::GET, "/2015-03-31/functions/api?Qualifier=3");
        assert_eq!(qualified.qualifier.as_deref(), Some("3"));
    }

    #[test]
    fn layers_are_named_plainly_or_by_arn() {
        let plain = call(Method::GET, "/2018-10-31/layers/common/versions");
        assert_eq!(
            plain.layer,
            Some(LayerRef {
                account: None,
                name: "common".into(),
                version: None
            })
        );
        let foreign = call(
            Method::GET,
            "/2018-10-31/layers/arn%3Aaws%3Alambda%3Aus-east-1%3A222233334444%3Alayer%3Acommon/versions/7",
        );
        assert_eq!(
            foreign.layer,
            Some(LayerRef {
                account: Some("222233334444".into()),
                name: "common".into(),
                version: Some(7)
            })
        );
        let by_arn = call(
            Method::GET,
            "/2018-10-31/layers?find=LayerVersion&Arn=arn%3Aaws%3Alambda%3Aus-east-1%3A222233334444%3Alayer%3Acommon%3A2",
        );
        assert_eq!(
            by_arn.layer,
            Some(LayerRef {
                account: Some("222233334444".into()),
                name: "common".into(),
                version: Some(2)
            })
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
    fn percent_coding_round_trips() {
        let arn = "arn:aws:lambda:us-east-1:1:layer:a_b-c.d~e f";
        assert_eq!(percent_decode(&percent_encode(arn)), arn);
        assert_eq!(percent_decode("a%3ab+c%zz"), "a:b c%zz");
    }
}
