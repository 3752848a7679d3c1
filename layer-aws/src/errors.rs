use std::error::Error as StdError;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use layer_core::Error;

/// Turn an SDK error into a message that names the call, AWS's error code and
/// message, and a fix where one is known. What the SDK knows beyond AWS's own
/// words (why a connection failed, which timeout struck) is kept as the cause.
pub fn aws_error<E, R>(action: &str, err: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            let code = inner.code().unwrap_or("UnknownError");
            let message = inner.message().unwrap_or("no message");
            let error = Error::failed(format!("{action}: {code}: {message}"));
            match fix_for_code(code) {
                Some(fix) => error.with_fix(fix),
                None => error,
            }
        }
        err @ SdkError::DispatchFailure(_) => {
            Error::failed(format!("{action}: could not reach AWS"))
                .with_source(cause_of(err))
                .with_fix(
                    "check the network, the region, and --endpoint-url / AWS_ENDPOINT_URL if you use a local emulator",
                )
        }
        err @ SdkError::TimeoutError(_) => {
            Error::failed(format!("{action}: AWS did not answer in time"))
                .with_source(cause_of(err))
                .with_fix("retry; if it keeps happening, check the network or the endpoint")
        }
        err => Error::failed(action).with_source(err),
    }
}

/// The error under the SDK's wrapper ("dispatch failure", "timeout"), which
/// says what actually happened.
fn cause_of<E, R>(err: SdkError<E, R>) -> layer_core::error::Source
where
    E: StdError + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    err.into_source().unwrap_or_else(|err| Box::new(err))
}

/// Is this AWS's error with that code (e.g. `ResourceNotFoundException`)?
pub fn is_error_code<E, R>(err: &SdkError<E, R>, code: &str) -> bool
where
    E: ProvideErrorMetadata,
{
    match err {
        SdkError::ServiceError(service) => service.err().code() == Some(code),
        _ => false,
    }
}

fn fix_for_code(code: &str) -> Option<&'static str> {
    Some(match code {
        "AccessDeniedException" | "AccessDenied" | "UnauthorizedOperation" => {
            "the credentials in use lack a permission this step needs; see docs/permissions.md"
        }
        "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "InvalidSignatureException"
        | "ExpiredTokenException"
        | "ExpiredToken" => {
            "the AWS credentials are invalid or expired; refresh them (aws sso login, or new keys)"
        }
        "TooManyRequestsException" | "ThrottlingException" | "Throttling" => {
            "AWS kept throttling after every retry; lower the request rate or retry later"
        }
        "ResourceConflictException" => {
            "another update of the same resource is in progress; wait for it and retry"
        }
        _ => return None,
    })
}
