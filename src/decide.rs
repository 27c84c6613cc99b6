//! The safety rails: whether a deployment, as CodeDeploy describes it, may be stopped (or, when
//! it has just finished, its previous revision deployed again).

use crate::candidates::Ask;
use crate::config::Config;
use crate::types::{Account, DeploymentInfo, GroupName, Outcome, Revision, CLOCK_SKEW_SECS};

/// Creators of rollback deployments, which must never be stopped.
const ROLLBACK_CREATORS: [&str; 2] = ["codeDeployRollback", "CloudFormationRollback"];

/// Creators of the deployments Auto Scaling makes to put the last good revision on new
/// instances; stopping one gets those instances terminated.
const AUTO_SCALING_CREATORS: [&str; 2] = ["autoscaling", "autoscalingTermination"];

/// What to do with one candidate deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Call StopDeployment.
    Stop,
    /// Deploy this previous revision again, once the deployment is shown to be still the
    /// group's latest (see `act`).
    Redeploy(Revision),
    /// Do not call it: the outcome to report and why.
    Hold { outcome: Outcome, reason: String },
}

/// Applies the rails in order: scope; never a rollback or an Auto Scaling deployment (a redeploy
/// the breaker made is exempt by its record: see `redeploys`); never one created after the signal that found it through its group; only
/// active ones (or one just finished, see [`finished`]); dry run.
pub fn decide(
    deployment: &DeploymentInfo,
    account: &Account,
    basis: &Ask,
    config: &Config,
) -> Decision {
    let hold = |outcome, reason: String| Decision::Hold { outcome, reason };
    let (application, group) = (&deployment.application, &deployment.group);
    if !config.in_scope(account.id(), application, group) {
        let name = GroupName {
            account,
            application,
            group,
        };
        return hold(
            Outcome::Skipped,
            format!("out of scope: {name} is not in ALLOWED_DEPLOYMENT_GROUPS"),
        );
    }
    if ROLLBACK_CREATORS.contains(&deployment.creator.as_str()) {
        return hold(
            Outcome::Skipped,
            format!("rollback deployment (creator {})", deployment.creator),
        );
    }
    if AUTO_SCALING_CREATORS.contains(&deployment.creator.as_str()) {
        return hold(
            Outcome::Skipped,
            format!(
                "Auto Scaling deployment (creator {}): stopping it would get its new instances \
                 terminated",
                deployment.creator
            ),
        );
    }
    if !basis.by_id {
        if let Err(reason) = predates(deployment, basis) {
            return hold(Outcome::Skipped, reason);
        }
    }
    if !deployment.is_active() {
        return finished(deployment, basis, config);
    }
    if config.dry_run {
        return hold(Outcome::WouldStop, "dry run".into());
    }
    Decision::Stop
}

/// Why a finished deployment stays as it is, with the outcome to report.
type Kept = (Outcome, String);

/// A deployment that is no longer active: left alone, unless it is a `Server` deployment that
/// succeeded within `ROLLBACK_COMPLETED_WITHIN` of the signal, created before it, with a
/// previous revision to go back to.
fn finished(deployment: &DeploymentInfo, basis: &Ask, config: &Config) -> Decision {
    let redeploy = redeployable(deployment, basis, config)
        .and_then(|()| previous_revision(deployment))
        .and_then(|revision| match config.dry_run {
            true => Err((
                Outcome::WouldRedeploy,
                format!("dry run: would redeploy {revision}"),
            )),
            false => Ok(revision),
        });
    match redeploy {
        Ok(revision) => Decision::Redeploy(revision),
        Err((outcome, reason)) => Decision::Hold { outcome, reason },
    }
}

/// Whether a finished deployment may be redeployed at all: it succeeded, on `Server`, within
/// the window, the signal may redeploy, and it predates the signal.
fn redeployable(deployment: &DeploymentInfo, basis: &Ask, config: &Config) -> Result<(), Kept> {
    let done = |why: String| Err((Outcome::AlreadyCompleted, why));
    let status = &deployment.status;
    if status != "Succeeded" {
        return done(format!("already {status}"));
    }
    match deployment.compute_platform.as_deref() {
        Some("Server") => {}
        Some(platform) => {
            return done(format!(
                "already Succeeded: a finished {platform} deployment cannot be rolled back; the \
                 gate's bake window (BAKE_SECONDS) keeps watching after the last traffic shift"
            ))
        }
        None => {
            return done(
                "already Succeeded, and CodeDeploy names no compute platform: only a \
                         Server deployment is redeployed"
                    .into(),
            )
        }
    }
    let Some(window) = config.rollback_completed_within else {
        return done("already Succeeded (ROLLBACK_COMPLETED_WITHIN is off)".into());
    };
    if !basis.signal.redeploy {
        return done(
            "already Succeeded: a kill switch redeploys a finished deployment only \
                     when it says \"redeploy\": true"
                .into(),
        );
    }
    let signal = basis.signal.time;
    match deployment.complete_time {
        Some(at) if at.plus_secs(window) >= signal => {}
        Some(at) => {
            return done(format!(
                "already Succeeded at {at}, more than ROLLBACK_COMPLETED_WITHIN ({window} s) \
                 before the signal at {signal}"
            ))
        }
        None => {
            let why = "Succeeded, but CodeDeploy gave no completion time to measure the window";
            return Err((Outcome::Skipped, why.into()));
        }
    }
    predates(deployment, basis).map_err(|reason| (Outcome::Skipped, reason))
}

/// The revision to go back to: CodeDeploy's `previousRevision`, pinned to one object.
fn previous_revision(deployment: &DeploymentInfo) -> Result<Revision, Kept> {
    let skipped = |why: String| Err((Outcome::Skipped, why));
    let Some(revision) = deployment.previous_revision.clone() else {
        return skipped(
            "Succeeded within ROLLBACK_COMPLETED_WITHIN, but CodeDeploy names no previous \
             revision to redeploy (the group's first deployment?)"
                .into(),
        );
    };
    if let Revision::S3 {
        version: None,
        e_tag: None,
        ..
    } = &revision
    {
        return skipped(format!(
            "Succeeded within ROLLBACK_COMPLETED_WITHIN, but its previous revision {revision} \
             names neither a version nor an ETag: redeploying it would deploy whatever the key \
             holds now"
        ));
    }
    Ok(revision)
}

/// Whether a deployment found through its group was created before the signal that found it
/// (within [`CLOCK_SKEW_SECS`]): a late signal does not stop a newer deployment.
fn predates(deployment: &DeploymentInfo, basis: &Ask) -> Result<(), String> {
    let signal = basis.signal.time;
    match deployment.create_time {
        Some(created) if created <= signal.plus_secs(CLOCK_SKEW_SECS) => Ok(()),
        Some(created) => Err(format!(
            "created at {created}, after the signal at {signal} (more than {CLOCK_SKEW_SECS} s \
             later): a late signal does not stop a newer deployment"
        )),
        None => Err(format!(
            "CodeDeploy gave no creation time, so it cannot be shown to predate the signal at \
             {signal}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::AllowedGroup;
    use crate::time::Time;
    use crate::types::SignalSummary;

    fn config(allowed: &[(&str, &str)], dry_run: bool) -> Config {
        Config {
            allowed_groups: allowed
                .iter()
                .map(|(application, group)| AllowedGroup {
                    account: None,
                    application: application.to_string(),
                    group: group.to_string(),
                })
                .collect(),
            dry_run,
            ..Config::for_tests()
        }
    }

    const ALL: &[(&str, &str)] = &[("*", "*")];

    fn signal_time() -> Time {
        Time::parse("2026-11-30T10:00:00Z").unwrap()
    }

    fn deployment(group: &str, status: &str, creator: &str) -> DeploymentInfo {
        DeploymentInfo {
            id: "d-AAAAAAAAA".into(),
            application: "shop".into(),
            group: group.into(),
            status: status.into(),
            creator: creator.into(),
            create_time: Some(signal_time().plus_secs(-300)),
            ..DeploymentInfo::default()
        }
    }

    fn by_group() -> Ask {
        Ask {
            record: 0,
            by_id: false,
            reason: "alarm a entered ALARM".into(),
            signal: SignalSummary::alarm("a", signal_time()),
        }
    }

    fn own() -> Account {
        Account::Own("123456789012".into())
    }

    fn by_id() -> Ask {
        Ask {
            by_id: true,
            ..by_group()
        }
    }

    fn outcome(decision: Decision) -> Option<Outcome> {
        match decision {
            Decision::Stop | Decision::Redeploy(_) => None,
            Decision::Hold { outcome, .. } => Some(outcome),
        }
    }

    #[test]
    fn active_in_scope_deployments_are_stopped() {
        for status in ["Created", "Queued", "InProgress", "Baking", "Ready"] {
            let d = deployment("prod", status, "user");
            assert_eq!(
                decide(&d, &own(), &by_group(), &config(ALL, false)),
                Decision::Stop,
                "{status}"
            );
        }
    }

    #[test]
    fn scope_comes_first() {
        let d = deployment("staging", "Succeeded", "codeDeployRollback");
        let decision = decide(&d, &own(), &by_id(), &config(&[("shop", "prod")], false));
        let Decision::Hold { outcome, reason } = decision else {
            panic!("out-of-scope deployment would be stopped");
        };
        assert_eq!(outcome, Outcome::Skipped);
        assert!(reason.starts_with("out of scope"), "{reason}");
    }

    #[test]
    fn rollbacks_and_auto_scaling_deployments_are_never_stopped() {
        for creator in [
            "codeDeployRollback",
            "CloudFormationRollback",
            "autoscaling",
            "autoscalingTermination",
        ] {
            let d = deployment("prod", "InProgress", creator);
            let decision = decide(&d, &own(), &by_id(), &config(ALL, false));
            let Decision::Hold {
                outcome: held,
                reason,
            } = decision
            else {
                panic!("{creator} would be stopped");
            };
            assert_eq!(held, Outcome::Skipped);
            assert!(reason.contains(&format!("(creator {creator})")), "{reason}");
        }
        let d = deployment("prod", "InProgress", "CodeDeployAutoUpdate");
        assert_eq!(
            decide(&d, &own(), &by_id(), &config(ALL, false)),
            Decision::Stop
        );
    }

    #[test]
    fn a_deployment_newer_than_the_signal_that_found_it_is_held() {
        let mut d = deployment("prod", "InProgress", "user");
        d.create_time = Some(signal_time().plus_secs(CLOCK_SKEW_SECS));
        assert_eq!(
            decide(&d, &own(), &by_group(), &config(ALL, false)),
            Decision::Stop
        );
        d.create_time = Some(signal_time().plus_secs(CLOCK_SKEW_SECS + 1));
        let Decision::Hold {
            outcome: held,
            reason,
        } = decide(&d, &own(), &by_group(), &config(ALL, false))
        else {
            panic!("a newer deployment would be stopped");
        };
        assert_eq!(held, Outcome::Skipped);
        assert_eq!(
            reason,
            "created at 2026-11-30T10:01:01.000Z, after the signal at \
             2026-11-30T10:00:00.000Z (more than 60 s later): a late signal does not stop a \
             newer deployment"
        );
        assert_eq!(
            decide(&d, &own(), &by_id(), &config(ALL, false)),
            Decision::Stop,
            "a signal naming the deployment is exempt"
        );
        d.create_time = None;
        assert_eq!(
            outcome(decide(&d, &own(), &by_group(), &config(ALL, false))),
            Some(Outcome::Skipped)
        );
    }

    #[test]
    fn completed_deployments_are_left_alone() {
        for status in ["Succeeded", "Failed", "Stopped"] {
            let d = deployment("prod", status, "user");
            assert_eq!(
                outcome(decide(&d, &own(), &by_group(), &config(ALL, false))),
                Some(Outcome::AlreadyCompleted)
            );
        }
    }

    #[test]
    fn dry_run_holds_what_would_be_stopped() {
        let d = deployment("prod", "InProgress", "user");
        assert_eq!(
            outcome(decide(&d, &own(), &by_group(), &config(ALL, true))),
            Some(Outcome::WouldStop)
        );
        let done = deployment("prod", "Succeeded", "user");
        assert_eq!(
            outcome(decide(&done, &own(), &by_group(), &config(ALL, true))),
            Some(Outcome::AlreadyCompleted)
        );
    }

    fn finished_server(completed_ago: i64) -> DeploymentInfo {
        DeploymentInfo {
            compute_platform: Some("Server".into()),
            complete_time: Some(signal_time().plus_secs(-completed_ago)),
            previous_revision: Some(Revision::GitHub {
                repository: "shop/app".into(),
                commit_id: "abc123".into(),
            }),
            ..deployment("prod", "Succeeded", "user")
        }
    }

    fn within(seconds: i64, dry_run: bool) -> Config {
        Config {
            rollback_completed_within: Some(seconds),
            ..config(ALL, dry_run)
        }
    }

    #[test]
    fn a_server_deployment_finished_within_the_window_is_redeployed() {
        let d = finished_server(600);
        let Decision::Redeploy(revision) = decide(&d, &own(), &by_id(), &within(900, false)) else {
            panic!("not redeployed");
        };
        assert_eq!(revision.to_string(), "GitHub shop/app@abc123");
        assert_eq!(
            outcome(decide(&d, &own(), &by_group(), &within(900, true))),
            Some(Outcome::WouldRedeploy)
        );
        assert_eq!(
            outcome(decide(&d, &own(), &by_group(), &within(599, false))),
            Some(Outcome::AlreadyCompleted),
            "finished before the window"
        );
        assert_eq!(
            outcome(decide(&d, &own(), &by_group(), &config(ALL, false))),
            Some(Outcome::AlreadyCompleted),
            "the window is off by default"
        );
    }

    #[test]
    fn a_redeploy_needs_a_previous_revision_and_a_deployment_older_than_the_signal() {
        let mut d = finished_server(60);
        d.previous_revision = None;
        let Decision::Hold {
            outcome: held,
            reason,
        } = decide(&d, &own(), &by_id(), &within(900, false))
        else {
            panic!("redeployed nothing");
        };
        assert_eq!(held, Outcome::Skipped);
        assert!(reason.contains("no previous revision"), "{reason}");
        let mut newer = finished_server(60);
        newer.create_time = Some(signal_time().plus_secs(CLOCK_SKEW_SECS + 1));
        assert_eq!(
            outcome(decide(&newer, &own(), &by_id(), &within(900, false))),
            Some(Outcome::Skipped),
            "even when the signal names it"
        );
    }

    #[test]
    fn finished_lambda_deployments_are_left_alone() {
        let mut lambda = finished_server(60);
        lambda.compute_platform = Some("Lambda".into());
        let Decision::Hold {
            outcome: held,
            reason,
        } = decide(&lambda, &own(), &by_id(), &within(900, false))
        else {
            panic!("a Lambda deployment redeployed");
        };
        assert_eq!(held, Outcome::AlreadyCompleted);
        assert!(reason.contains("BAKE_SECONDS"), "{reason}");
        let mut unknown = finished_server(60);
        unknown.compute_platform = None;
        let Decision::Hold {
            outcome: kept,
            reason,
        } = decide(&unknown, &own(), &by_id(), &within(900, false))
        else {
            panic!("a deployment of no named platform redeployed");
        };
        assert_eq!(kept, Outcome::AlreadyCompleted);
        assert!(reason.contains("names no compute platform"), "{reason}");
    }
}
