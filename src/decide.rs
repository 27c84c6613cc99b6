//! The safety rails: whether a deployment, as CodeDeploy describes it, may be stopped.

use crate::codedeploy::DeploymentInfo;
use crate::config::Config;
use crate::report::Outcome;

/// Creators of rollback deployments, which must never be stopped.
const ROLLBACK_CREATORS: [&str; 2] = ["codeDeployRollback", "CloudFormationRollback"];

/// What to do with one candidate deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Call StopDeployment.
    Stop,
    /// Do not call it: the outcome to report and why.
    Hold { outcome: Outcome, reason: String },
}

/// Applies the rails in order: scope, never a rollback, only active ones, dry run.
pub fn decide(deployment: &DeploymentInfo, config: &Config) -> Decision {
    let hold = |outcome, reason: String| Decision::Hold { outcome, reason };
    if !config.in_scope(&deployment.application, &deployment.group) {
        return hold(
            Outcome::Skipped,
            format!(
                "out of scope: {}/{} is not in ALLOWED_DEPLOYMENT_GROUPS",
                deployment.application, deployment.group
            ),
        );
    }
    if ROLLBACK_CREATORS.contains(&deployment.creator.as_str()) {
        return hold(
            Outcome::Skipped,
            format!("rollback deployment (creator {})", deployment.creator),
        );
    }
    if !deployment.is_active() {
        return hold(
            Outcome::AlreadyCompleted,
            format!("already {}", deployment.status),
        );
    }
    if config.dry_run {
        return hold(Outcome::WouldStop, "dry run".into());
    }
    Decision::Stop
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn config(allowed: &[&str], dry_run: bool) -> Config {
        Config {
            default_region: "us-east-1".into(),
            allowed_groups: allowed.iter().map(|s| s.to_string()).collect(),
            alarm_rules: vec![],
            application_tag: "codedeploy-application".into(),
            group_tag: "codedeploy-deployment-group".into(),
            stop_on: BTreeSet::new(),
            dry_run,
            auto_rollback: true,
        }
    }

    fn deployment(group: &str, status: &str, creator: &str) -> DeploymentInfo {
        DeploymentInfo {
            id: "d-AAAAAAAAA".into(),
            application: "shop".into(),
            group: group.into(),
            status: status.into(),
            creator: creator.into(),
        }
    }

    fn outcome(decision: Decision) -> Option<Outcome> {
        match decision {
            Decision::Stop => None,
            Decision::Hold { outcome, .. } => Some(outcome),
        }
    }

    #[test]
    fn active_in_scope_deployments_are_stopped() {
        for status in ["Created", "Queued", "InProgress", "Baking", "Ready"] {
            let d = deployment("prod", status, "user");
            assert_eq!(
                decide(&d, &config(&["*"], false)),
                Decision::Stop,
                "{status}"
            );
        }
    }

    #[test]
    fn scope_comes_first() {
        let d = deployment("staging", "Succeeded", "codeDeployRollback");
        let decision = decide(&d, &config(&["shop/prod"], false));
        let Decision::Hold { outcome, reason } = decision else {
            panic!("out-of-scope deployment would be stopped");
        };
        assert_eq!(outcome, Outcome::Skipped);
        assert!(reason.starts_with("out of scope"), "{reason}");
    }

    #[test]
    fn rollbacks_are_never_stopped() {
        for creator in ["codeDeployRollback", "CloudFormationRollback"] {
            let d = deployment("prod", "InProgress", creator);
            assert_eq!(
                outcome(decide(&d, &config(&["*"], false))),
                Some(Outcome::Skipped)
            );
        }
        let d = deployment("prod", "InProgress", "CodeDeployAutoUpdate");
        assert_eq!(decide(&d, &config(&["*"], false)), Decision::Stop);
    }

    #[test]
    fn completed_deployments_are_left_alone() {
        for status in ["Succeeded", "Failed", "Stopped"] {
            let d = deployment("prod", status, "user");
            assert_eq!(
                outcome(decide(&d, &config(&["*"], false))),
                Some(Outcome::AlreadyCompleted)
            );
        }
    }

    #[test]
    fn dry_run_holds_what_would_be_stopped() {
        let d = deployment("prod", "InProgress", "user");
        assert_eq!(
            outcome(decide(&d, &config(&["*"], true))),
            Some(Outcome::WouldStop)
        );
        let done = deployment("prod", "Succeeded", "user");
        assert_eq!(
            outcome(decide(&done, &config(&["*"], true))),
            Some(Outcome::AlreadyCompleted)
        );
    }
}
