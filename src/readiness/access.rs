//! The calls that change things (StopDeployment, CreateDeployment, the gate's hook answers)
//! cannot be tried safely, so the check asks IAM's policy simulator whether the role the
//! function acts as may make them.

use futures_util::future::join_all;
use serde::Serialize;

use crate::aws::{Deadline, Located, Simulated};
use crate::config::Config;
use crate::types::{partition, Account, GroupRef};

/// Where to simulate: an account, a region, the groups in scope there, and (in the function's
/// own account and region) the target roles the breaker assumes, by account.
pub struct Place<'a> {
    pub account: &'a Account,
    pub region: &'a str,
    pub groups: Vec<GroupRef>,
    pub target_roles: Vec<(String, String)>,
}

/// The reads the breaker makes, simulated for its own role: the check reads as its own role in
/// the function's account, so it does not make them as the breaker.
pub const BREAKER_READS: [&str; 4] = [
    "codedeploy:ListDeploymentGroups",
    "codedeploy:ListDeployments",
    "codedeploy:BatchGetDeployments",
    "codedeploy:BatchGetDeploymentGroups",
];

/// What the simulator cannot see, said in every report.
pub const SIMULATOR_LIMITS: &str = "IAM's policy simulator evaluates the role's identity \
    policies, its permissions boundary and the SCPs that apply to it, but not a condition it \
    has no value for (an SCP or policy condition on tags, source IP or time may still deny a \
    call), resource-based policies (a target role's trust policy among them), or session \
    policies. A call it allows can still be refused. The reads were made for real as the roles \
    the check reads with (its own, each target role); the breaker's own reads in its account, \
    and its AssumeRole of each target role, are simulated.";

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

/// One simulation: a role, actions, the resources they act on and their account.
struct Ask {
    role: String,
    actions: Vec<String>,
    resources: Vec<String>,
    resource_account: String,
}

/// What to ask the simulator in `location`, for `role` (the target role; `None`: the
/// function's own, `FUNCTION_ROLE_ARN`).
fn asks(config: &Config, place: &Place, role: &Option<String>) -> Vec<Ask> {
    let (account, region) = (place.account.id(), place.region);
    let arn = |kind: &str, name: &str| {
        let partition = partition(region);
        format!("arn:{partition}:codedeploy:{region}:{account}:{kind}:{name}")
    };
    let groups: Vec<String> = place.groups.iter().map(GroupRef::arn).collect();
    let mut applications: Vec<String> = (place.groups.iter())
        .map(|g| arn("application", &g.application))
        .collect();
    applications.dedup();
    let mut asks = Vec::new();
    // In a target account the check reads as the breaker does, for real.
    let own_role = role.is_none();
    let breaker = role.clone().or_else(|| config.function_role_arn.clone());
    if let Some(role) = breaker {
        let ask = |actions: &[&str], resources: Vec<String>| Ask {
            role: role.clone(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
            resources,
            resource_account: account.to_string(),
        };
        // StopDeployment has no resource type: it is granted on "*" or not at all.
        asks.push(ask(&["codedeploy:StopDeployment"], vec!["*".into()]));
        if config.rollback_completed_within.is_some() && !groups.is_empty() {
            asks.push(ask(&["codedeploy:CreateDeployment"], groups.clone()));
            asks.push(ask(
                &["codedeploy:GetApplicationRevision"],
                applications.clone(),
            ));
            let configs = vec![arn("deploymentconfig", "*")];
            asks.push(ask(&["codedeploy:GetDeploymentConfig"], configs));
        }
        if own_role && !groups.is_empty() {
            asks.push(ask(&BREAKER_READS[..1], applications));
            asks.push(ask(&BREAKER_READS[1..], groups));
        }
        for (target, target_role) in &place.target_roles {
            asks.push(Ask {
                resource_account: target.clone(),
                ..ask(&["sts:AssumeRole"], vec![target_role.clone()])
            });
        }
    }
    // The gate answers hooks in its own account and region.
    let gate_here = matches!(place.account, Account::Own(_)) && region == config.own_region;
    if let (true, Some(role)) = (gate_here, &config.gate_role_arn) {
        asks.push(Ask {
            role: role.clone(),
            actions: vec!["codedeploy:PutLifecycleEventHookExecutionStatus".into()],
            resources: vec!["*".into()],
            resource_account: account.to_string(),
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
        let context = (region, ask.resource_account.as_str());
        (located.simulator).simulate(deadline, &ask.role, &ask.actions, &ask.resources, context)
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
