//! Principals other than the function: an access key that signs as a given role, under that
//! role's policy (for a gate, a script or a team's role calling the fake directly).

use serde::Deserialize;

use crate::{iam, Caller, FakeAws, State, ACCOUNT};

/// A call signed with `access_key` is `role` (a role ARN, normally in [`ACCOUNT`]).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principal {
    #[serde(rename = "accessKey")]
    pub access_key: String,
    pub role: String,
    /// Its identity-based policy; `None`: every call is allowed.
    #[serde(default)]
    pub policy: Option<iam::Policy>,
}

impl FakeAws {
    /// Adds (or replaces, by access key) a principal.
    pub fn add_principal(&self, principal: Principal) {
        let mut state = self.lock();
        state
            .principals
            .retain(|p| p.access_key != principal.access_key);
        state.principals.push(principal);
    }
}

impl State {
    /// The principal `access_key` signs as, in its role's account: a session of that role
    /// named after the key, as AccessDenied messages name it.
    pub(crate) fn principal(&self, access_key: &str) -> Option<Caller> {
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
