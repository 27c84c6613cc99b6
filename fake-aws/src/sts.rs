//! STS `AssumeRole` (query protocol, XML answers): a role is assumed only when the caller's
//! policy allows `sts:AssumeRole` on it and the role's trust policy names the caller's role;
//! the session's credentials then act in the role's account, under the role's policy. Its
//! state: the roles assumed (the sessions it issued are among the caller's identities).

use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::Value;

use crate::caller::Caller;
use crate::protocol::{escape, ApiError, STS_NAMESPACE};
use crate::{string_field, FakeAws, Input, State};

/// A role assumed through the fake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Assumed {
    pub role_arn: String,
    pub session_name: String,
    /// The role that assumed it.
    pub caller: String,
}

/// STS's state: the roles assumed (the sessions issued are [`crate::caller::Identities`]').
#[derive(Default)]
pub(crate) struct Sts {
    pub(crate) assumed: Vec<Assumed>,
}

impl FakeAws {
    /// The roles assumed so far, in order.
    pub fn assumed(&self) -> Vec<Assumed> {
        self.lock().sts.assumed.clone()
    }
}

fn access_denied(caller: &Caller, role: &str) -> ApiError {
    ApiError(
        403,
        "AccessDenied".into(),
        format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role}",
            caller.arn
        ),
    )
}

/// `AssumeRole`: the new session's credentials, as STS writes them.
pub(crate) fn assume_role(state: &mut State, input: &Input) -> Result<String, ApiError> {
    let (caller, body) = (input.caller, input.body);
    let role_arn = string_field(body, "RoleArn").unwrap_or_default();
    let session_name = session_name(body)?;
    let role_account = role_arn.split(':').nth(4).unwrap_or_default().to_string();
    caller
        .authorize("sts:AssumeRole", role_arn, &role_account, input.region)
        .map_err(|_| access_denied(caller, role_arn))?;
    // A role that does not exist, or does not trust the caller, is the same AccessDenied.
    let role = state
        .identities
        .roles
        .iter()
        .find(|role| role.arn == role_arn && role.trusted.contains(&caller.role))
        .cloned()
        .ok_or_else(|| access_denied(caller, role_arn))?;
    let serial = state.identities.sessions.len() + 1;
    let access_key = format!("ASIAFAKE{serial:012}");
    let role_name = role_arn.rsplit('/').next().unwrap_or_default();
    let session_arn =
        format!("arn:aws:sts::{role_account}:assumed-role/{role_name}/{session_name}");
    let session = Caller {
        account: role_account,
        arn: session_arn.clone(),
        role: role_arn.into(),
        policy: role.policy,
    };
    state
        .identities
        .sessions
        .insert(access_key.clone(), session);
    state.sts.assumed.push(Assumed {
        role_arn: role_arn.into(),
        session_name: session_name.into(),
        caller: caller.role.clone(),
    });
    Ok(credentials(serial, &access_key, session_name, &session_arn))
}

/// `RoleSessionName`, as STS validates it.
fn session_name(body: &Value) -> Result<&str, ApiError> {
    let session_name = string_field(body, "RoleSessionName").unwrap_or_default();
    let valid_session = (2..=64).contains(&session_name.len())
        && session_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    if !valid_session {
        return Err(ApiError(
            400,
            "ValidationError".into(),
            format!("1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to satisfy constraint"),
        ));
    }
    Ok(session_name)
}

/// AssumeRole's answer: the `serial`th session's credentials, valid for an hour.
fn credentials(serial: usize, access_key: &str, session_name: &str, session_arn: &str) -> String {
    let expires = SystemTime::now() + Duration::from_secs(3600);
    format!(
        "<AssumeRoleResponse xmlns=\"{STS_NAMESPACE}\">\
         <AssumeRoleResult><Credentials><AccessKeyId>{access_key}</AccessKeyId>\
         <SecretAccessKey>fake-secret-{serial}</SecretAccessKey>\
         <SessionToken>fake-session-token-{serial}</SessionToken>\
         <Expiration>{}</Expiration></Credentials><AssumedRoleUser>\
         <AssumedRoleId>AROAFAKE{serial:012}:{}</AssumedRoleId><Arn>{}</Arn>\
         </AssumedRoleUser></AssumeRoleResult><ResponseMetadata>\
         <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>\
         </AssumeRoleResponse>",
        humantime::format_rfc3339_seconds(expires),
        escape(session_name),
        escape(session_arn),
    )
}
