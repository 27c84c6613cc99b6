//! SDK errors as [`AwsError`]s.

use std::error::Error;
use std::fmt;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_codedeploy::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::types::{AwsError, CREDENTIALS_ERROR};

/// The error of a failed SDK call: its AWS error code, or the SDK's failure kind, or
/// [`CREDENTIALS_ERROR`] when no credentials could be had for it (an AssumeRole refused, say).
pub(crate) fn aws_error<E, R>(operation: &'static str, error: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + Error + 'static,
    R: fmt::Debug + 'static,
{
    if let Some(credentials) = credentials_error(&error) {
        let message = DisplayErrorContext(credentials).to_string();
        return AwsError::new(operation, CREDENTIALS_ERROR, message);
    }
    let code = match (&error, error.code()) {
        (_, Some(code)) => code.to_string(),
        (SdkError::TimeoutError(_), None) => "TimeoutError".into(),
        (SdkError::DispatchFailure(_), None) => "DispatchFailure".into(),
        (SdkError::ResponseError(_), None) => "ResponseError".into(),
        (SdkError::ConstructionFailure(_), None) => "ConstructionFailure".into(),
        _ => "Unknown".into(),
    };
    let message = error
        .message()
        .map(str::to_string)
        .unwrap_or_else(|| DisplayErrorContext(&error).to_string());
    AwsError::new(operation, &code, message)
}

/// The credentials error somewhere in `error`'s chain of sources, if any.
fn credentials_error<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a CredentialsError> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(credentials) = error.downcast_ref::<CredentialsError>() {
            return Some(credentials);
        }
        current = error.source();
    }
    None
}
