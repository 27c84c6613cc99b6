//! STS `AssumeRole` (query protocol, XML answers): a role is assumed only when the caller's
//! policy allows `sts:AssumeRole` on it and the role's trust policy names the caller's role;
//! the session's credentials then act in the role's account, under the role's policy.

use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::server::{escape, ApiError};
use crate::{string_field, Caller, State};

/// A role assumed through the fake.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Assumed {
    pub role_arn: String,
    pub session_name: String,
    /// The role that assumed it.
    pub caller: String,
}

/// An `application/x-www-form-urlencoded` body as a JSON object of its parameters.
pub(crate) fn form(body: &[u8]) -> Value {
    let pairs: Map<String, Value> = form_urlencoded::parse(body)
        .map(|(name, value)| (name.into_owned(), Value::String(value.into_owned())))
        .collect();
    Value::Object(pairs)
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

impl State {
    /// Serves `AssumeRole`: the new session's credentials, as STS writes them.
    pub(crate) fn assume_role(
        &mut self,
        caller: &Caller,
        operation: &str,
        region: &str,
        body: &Value,
    ) -> Result<String, ApiError> {
        if operation != "AssumeRole" {
            return Err(ApiError(
                400,
                "InvalidAction".into(),
                format!("the fake does not serve STS action `{operation}`"),
            ));
        }
        let role_arn = string_field(body, "RoleArn")
            .unwrap_or_default()
            .to_string();
        let session_name = string_field(body, "RoleSessionName")
            .unwrap_or_default()
            .to_string();
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
        let role_account = role_arn.split(':').nth(4).unwrap_or_default().to_string();
        self.authorize(caller, "sts:AssumeRole", &role_arn, &role_account, region)
            .map_err(|_| access_denied(caller, &role_arn))?;
        // A role that does not exist, or does not trust the caller, is the same AccessDenied.
        let role = self
            .roles
            .iter()
            .find(|role| role.arn == role_arn && role.trusted.contains(&caller.role))
            .cloned()
            .ok_or_else(|| access_denied(caller, &role_arn))?;
        let serial = self.sessions.len() + 1;
        let access_key = format!("ASIAFAKE{serial:012}");
        let role_name = role_arn.rsplit('/').next().unwrap_or_default();
        let session_arn =
            format!("arn:aws:sts::{role_account}:assumed-role/{role_name}/{session_name}");
        self.sessions.insert(
            access_key.clone(),
            Caller {
                account: role_account,
                arn: session_arn.clone(),
                role: role_arn.clone(),
                policy: role.policy.clone(),
            },
        );
        self.assumed.push(Assumed {
            role_arn: role_arn.clone(),
            session_name: session_name.clone(),
            caller: caller.role.clone(),
        });
        let expires = SystemTime::now() + Duration::from_secs(3600);
        Ok(format!(
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <AssumeRoleResult><Credentials><AccessKeyId>{access_key}</AccessKeyId>\
             <SecretAccessKey>fake-secret-{serial}</SecretAccessKey>\
             <SessionToken>fake-session-token-{serial}</SessionToken>\
             <Expiration>{}</Expiration></Credentials><AssumedRoleUser>\
             <AssumedRoleId>AROAFAKE{serial:012}:{}</AssumedRoleId><Arn>{}</Arn>\
             </AssumedRoleUser></AssumeRoleResult><ResponseMetadata>\
             <RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>\
             </AssumeRoleResponse>",
            humantime::format_rfc3339_seconds(expires),
            escape(&session_name),
            escape(&session_arn),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_decode_as_sts_receives_them() {
        let body =
            b"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A2%3Arole%2Fr&RoleSessionName=a+b%40c";
        let form = form(body);
        assert_eq!(form["Action"], "AssumeRole");
        assert_eq!(form["RoleArn"], "arn:aws:iam::2:role/r");
        assert_eq!(form["RoleSessionName"], "a b@c");
    }
}
