//! Who signed a request, and what they may do. The access key of a request's SigV4 credential
//! scope names the caller: a session the fake's STS issued, a [`Principal`], or else the
//! function itself, each acting in its role's account under its role's IAM policy, which
//! [`Caller::authorize`] enforces as IAM does.

use std::collections::HashMap;

use serde::Deserialize;

use crate::iam::{self, Policy};
use crate::protocol::{client_error, ApiError};
use crate::{FakeAws, ACCOUNT, FUNCTION_ROLE};

/// A call signed with `access_key` is `role` (a role ARN, normally in [`ACCOUNT`]).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principal {
    #[serde(rename = "accessKey")]
    pub access_key: String,
    pub role: String,
    /// Its identity-based policy; `None`: every call is allowed.
    #[serde(default)]
    pub policy: Option<Policy>,
}

/// An IAM role another principal may assume through the fake's STS.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub arn: String,
    /// The role ARNs its trust policy names.
    pub trusted: Vec<String>,
    /// Its identity-based policy; `None`: every call is allowed.
    #[serde(default)]
    pub policy: Option<Policy>,
}

/// Who signed a request.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    pub(crate) account: String,
    /// The principal, as an AccessDenied message names it.
    pub(crate) arn: String,
    /// The role it acts as.
    pub(crate) role: String,
    pub(crate) policy: Option<Policy>,
}

/// The identities the fake knows: the function's policy, the principals, the roles STS may
/// let them assume, and the sessions it issued.
#[derive(Default)]
pub(crate) struct Identities {
    /// The function's policy; `None`: every call is allowed.
    pub(crate) policy: Option<Policy>,
    pub(crate) principals: Vec<Principal>,
    pub(crate) roles: Vec<Role>,
    /// Sessions the fake's STS issued, by access key.
    pub(crate) sessions: HashMap<String, Caller>,
}

/// The parts of a SigV4 credential scope: `Credential=AKID/20261127/us-west-2/codedeploy/…`.
pub(crate) struct Scope {
    pub(crate) access_key: String,
    pub(crate) region: String,
    pub(crate) service: String,
}

/// The credential scope of an `Authorization` header.
pub(crate) fn scope(authorization: &str) -> Option<Scope> {
    let credential = authorization.split("Credential=").nth(1)?;
    let mut parts = credential.split(['/', ',']);
    let access_key = parts.next()?.to_string();
    let _date = parts.next()?;
    Some(Scope {
        access_key,
        region: parts.next()?.to_string(),
        service: parts.next()?.to_string(),
    })
}

impl FakeAws {
    /// Enforces `policy` as the function's identity-based policy (`None`: allow every call).
    pub fn set_policy(&self, policy: Option<iam::Policy>) {
        self.lock().identities.policy = policy;
    }

    /// Adds (or replaces, by access key) a principal.
    pub fn add_principal(&self, principal: Principal) {
        let mut state = self.lock();
        let principals = &mut state.identities.principals;
        principals.retain(|p| p.access_key != principal.access_key);
        principals.push(principal);
    }

    /// Adds a role that may be assumed.
    pub fn add_role(&self, role: Role) {
        let mut state = self.lock();
        let roles = &mut state.identities.roles;
        roles.retain(|r| r.arn != role.arn);
        roles.push(role);
    }
}

impl Identities {
    /// The caller a request's access key stands for: a session the fake's STS issued, a
    /// [`Principal`], or else the function itself.
    pub(crate) fn caller(&self, access_key: &str) -> Caller {
        if let (None, Some(principal)) = (self.sessions.get(access_key), self.principal(access_key))
        {
            return principal;
        }
        self.sessions.get(access_key).cloned().unwrap_or(Caller {
            account: ACCOUNT.into(),
            arn: format!(
                "arn:aws:sts::{ACCOUNT}:assumed-role/deployment-circuit-breaker-FunctionRole/\
                 deployment-circuit-breaker"
            ),
            role: FUNCTION_ROLE.into(),
            policy: self.policy.clone(),
        })
    }

    /// Whether `access_key` is a session's (`ASIA…`) that STS never issued (nor a principal's).
    pub(crate) fn is_unknown_session(&self, access_key: &str) -> bool {
        let issued = self.sessions.contains_key(access_key) || self.principal(access_key).is_some();
        access_key.starts_with("ASIA") && !issued
    }

    /// The principal `access_key` signs as, in its role's account: a session of that role
    /// named after the key, as AccessDenied messages name it.
    fn principal(&self, access_key: &str) -> Option<Caller> {
        let principal = self
            .principals
            .iter()
            .find(|p| p.access_key == access_key)?;
        let account = principal
            .role
            .split(':')
            .nth(4)
            .filter(|a| !a.is_empty())
            .unwrap_or(ACCOUNT);
        let name = principal.role.rsplit('/').next().unwrap_or_default();
        Some(Caller {
            account: account.into(),
            arn: format!("arn:aws:sts::{account}:assumed-role/{name}/{access_key}"),
            role: principal.role.clone(),
            policy: principal.policy.clone(),
        })
    }
}

impl Caller {
    /// Denies the call unless the caller's policy allows `action` on `resource`.
    pub(crate) fn authorize(
        &self,
        action: &str,
        resource: &str,
        resource_account: &str,
        region: &str,
    ) -> Result<(), ApiError> {
        let Some(policy) = &self.policy else {
            return Ok(());
        };
        let request = iam::Request {
            action: action.into(),
            resource: resource.into(),
            context: [
                ("aws:RequestedRegion", region),
                ("aws:ResourceAccount", resource_account),
                ("aws:PrincipalAccount", self.account.as_str()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        };
        if policy.allows(&request) {
            return Ok(());
        }
        Err(client_error(
            "AccessDeniedException",
            format!(
                "User: {} is not authorized to perform: {action} on resource: {resource} \
                 because no identity-based policy allows the {action} action",
                self.arn
            ),
        ))
    }
}
