//! A kill switch pressed through the function URL (`AuthType: AWS_IAM`): the request's body
//! names what to stop, and Lambda says who signed the request (`requestContext.authorizer.iam`).

use serde::Deserialize;
use serde_json::Value;

use super::fields::{decode, error};
use super::kill_switch;
use super::model::{ParseError, Parsed, UrlRequest, Via};
use crate::types::is_account;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    request_context: Context,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    is_base64_encoded: bool,
}

#[derive(Deserialize)]
struct Context {
    #[serde(default)]
    authorizer: Option<Authorizer>,
}

#[derive(Deserialize)]
struct Authorizer {
    #[serde(default)]
    iam: Option<Iam>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Iam {
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    user_arn: Option<String>,
}

/// Whether `event` is a function URL request (payload format 2.0).
pub(super) fn is_request(event: &Value) -> bool {
    event.get("version").and_then(Value::as_str) == Some("2.0")
        && event
            .get("requestContext")
            .is_some_and(|c| c.get("http").is_some())
}

/// The request's kill switch, pressed by the caller IAM signed in; a request that is not one
/// is an error to answer with 400, a request nobody signed one to answer with 403.
pub(super) fn parse(event: &Value) -> Result<Parsed, ParseError> {
    let request: Request = decode(event, "function URL request")?;
    let iam = request.request_context.authorizer.and_then(|a| a.iam);
    let caller = iam.and_then(|iam| Some((iam.account_id?, iam.user_arn?)));
    let Some((account, arn)) = caller.filter(|(account, _)| is_account(account)) else {
        return Ok(Parsed::Url(UrlRequest::Unsigned(error(
            "the function URL request is not signed by an IAM principal: give the URL \
             AuthType AWS_IAM",
        ))));
    };
    if request.is_base64_encoded {
        return Ok(Parsed::Url(UrlRequest::Invalid(error(
            "the body arrived base64-encoded: send it as JSON, with `Content-Type: \
             application/json`",
        ))));
    }
    let body = request.body.unwrap_or_default();
    let item = serde_json::from_str::<Value>(&body)
        .map_err(|e| error(format!("the body is not JSON: {e}")))
        .and_then(|value| kill_switch::parse(&value))
        .map(|item| item.carried_by(Via::Caller { account, arn }));
    Ok(Parsed::Url(match item {
        Ok(item) => UrlRequest::KillSwitch(item),
        Err(e) => UrlRequest::Invalid(e),
    }))
}
