//! The smoke test: invoke a health-check function and require `statusCode` 200.

use aws_sdk_lambda::Client;
use aws_smithy_types::Blob;
use layer_aws::aws_error;
use layer_core::{Error, Result};
use serde_json::Value;

/// Invoke `function` with `payload`; `Err` says why it is not healthy.
pub async fn check(client: &Client, function: &str, payload: &Value) -> Result<()> {
    let answer = client
        .invoke()
        .function_name(function)
        .payload(Blob::new(payload.to_string()))
        .send()
        .await
        .map_err(|err| aws_error(&format!("invoking {function}"), err))?;
    let body = answer
        .payload()
        .map(|blob| String::from_utf8_lossy(blob.as_ref()).into_owned())
        .unwrap_or_default();
    if let Some(error) = answer.function_error() {
        return Err(Error::failed(format!(
            "the function reported an error ({error}): {}",
            excerpt(&body)
        )));
    }
    let status = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|json| json.get("statusCode").cloned());
    match status {
        Some(code) if code == 200 || code == "200" => Ok(()),
        Some(code) => Err(Error::failed(format!(
            "it answered statusCode {code}: {}",
            excerpt(&body)
        ))),
        None => Err(Error::failed(format!(
            "its answer has no statusCode: {}",
            excerpt(&body)
        ))),
    }
}

/// The start of an answer, for a message.
fn excerpt(body: &str) -> String {
    let mut text: String = body.chars().take(300).collect();
    if text.len() < body.len() {
        text.push('…');
    }
    text
}
