//! The calls that change things (StopDeployment, CreateDeployment, the gate's hook answers)
//! cannot be tried safely, so the check asks IAM's policy simulator whether the role the
//! function acts as may make them.

use futures_util::future::join_all;
use serde::Serialize;

use crate::aws::{Deadline, Located, Simulated};
use crate::config::Config;
use crate::types::{partition, Account};

/// Where to simulate: an account, a region, and the groups in scope there (application, group).
pub struct Place<'a> {
    pub account: &'a Account,
    pub region: &'a str,
    pub groups: Vec<(&'a str, &'a str)>,
}

/// What the simulator cannot see, said in every report.
pub const SIMULATOR_LIMITS: &str = "IAM's policy simulator evaluates the role's identity \
    policies, its permissions boundary and the SCPs that apply to it, but not a condition it \
    has no value for (an SCP or policy condition on tags, source IP or time may still deny a \
    call), resource-based policies, or session policies. A change call it allows can still be \
    refused; the read calls were made for real.";

/// The simulator's answers for one location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "status")]
pub enum Permissions {
    Checked {
        decisions: Vec<Simulated>,
    },
    /// The simulation itself failed (the role may not simulate the one asked about).
    Failed {
        error: String,
    },
    /// Not simulated, and why.
    Skipped {
        reason: String,
    },
}

/// One simulation: a role, actions, the resources they act on.
struct Ask {
    role: String,
    actions: Vec<String>,
    resources: Vec<String>,
}

/// What to ask the simulator in `location`, for `role` (the target role; `None`: the
/// function's own, `FUNCTION_ROLE_ARN`).
fn asks(config: &Config, place: &Place, role: &Option<String>) -> Vec<Ask> {
    let (account, region) = (place.account.id(), place.region);
    let arn = |kind: &str, name: &str| {
        let partition = partition(region);
        format!("arn:{partition}:codedeploy:{region}:{account}:{kind}:{name}")
    };
    let mut asks = Vec::new();
    let breaker = role.clone().or_else(|| config.function_role_arn.clone());
    if let Some(role) = breaker {
        let ask = |action: &str, resources: Vec<String>| Ask {
            role: role.clone(),
            actions: vec![format!("codedeploy:{action}")],
            resources,
        };
        // StopDeployment has no resource type: it is granted on "*" or not at all.
        asks.push(ask("StopDeployment", vec!["*".into()]));
        if config.rollback_completed_within.is_some() && !place.groups.is_empty() {
            let groups = (place.groups.iter())
                .map(|(app, group)| arn("deploymentgroup", &format!("{app}/{group}")))
                .collect();
            let mut applications: Vec<String> = (place.groups.iter())
                .map(|(app, _)| arn("application", app))
                .collect();
            applications.dedup();
            asks.push(ask("CreateDeployment", groups));
            asks.push(ask("GetApplicationRevision", applications));
            asks.push(ask(
                "GetDeploymentConfig",
                vec![arn("deploymentconfig", "*")],
            ));
        }
    }
    // The gate answers hooks in its own account and region.
    let gate_here = matches!(place.account, Account::Own(_)) && region == config.own_region;
    if let (true, Some(role)) = (gate_here, &config.gate_role_arn) {
        asks.push(Ask {
            role: role.clone(),
            actions: vec!["codedeploy:PutLifecycleEventHookExecutionStatus".into()],
            resources: vec!["*".into()],
        });
    }
    asks
}

/// The simulator's decisions on the change calls in `location`.
pub async fn simulate(
    located: &Located,
    config: &Config,
    deadline: Deadline,
    place: Place<'_>,
    role: &Option<String>,
) -> Permissions {
    let asks = asks(config, &place, role);
    if asks.is_empty() {
        let reason = "FUNCTION_ROLE_ARN is not set, so the function's own role cannot be \
                      simulated (the template sets it)";
        return Permissions::Skipped {
            reason: reason.into(),
        };
    }
    let region = place.region;
    let answers = join_all(asks.iter().map(|ask| {
        (located.simulator).simulate(deadline, &ask.role, &ask.actions, &ask.resources, region)
    }))
    .await;
    let mut decisions = Vec::new();
    for answer in answers {
        match answer {
            Ok(answer) => decisions.extend(answer),
            Err(e) => {
                return Permissions::Failed {
                    error: e.to_string(),
                }
            }
        }
    }
    Permissions::Checked { decisions }
}
