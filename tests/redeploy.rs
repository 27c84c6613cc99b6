//! Rolling back what already finished: a `Server` deployment that succeeded just before an
//! alarm gets its previous revision redeployed (ROLLBACK_COMPLETED_WITHIN), once, only while it
//! is still the group's latest, and the redeploy is never stopped. Real SDK client, fake
//! CodeDeploy over HTTP.

mod common;

use common::redeploy::{alarm, finished_release, minutes_ago, s3, WITHIN};
use common::*;
use deployment_circuit_breaker::config::Config;
use deployment_circuit_breaker::types::{Outcome, REDEPLOY_MARK};
use fake_aws::Deployment;
use serde_json::json;

#[tokio::test]
async fn a_server_deployment_that_just_finished_gets_its_previous_revision_back() {
    let w = World::new(&[WITHIN]).await;
    w.fake.add(
        Deployment::new(HOME, "d-GOODREL01", "shop", "prod")
            .created(minutes_ago(300))
            .succeeded(minutes_ago(290))
            .revisions(s3("v1.zip"), None),
    );
    w.fake.add(finished_release(10));

    let report = w.report(&alarm()).await;

    assert_eq!(
        outcomes(&report),
        vec![("d-BADRELEA1".into(), Outcome::Redeployed)]
    );
    let created = w.fake.created();
    assert_eq!(created.len(), 1);
    let redeploy = &created[0];
    assert_eq!(
        (redeploy.application.as_str(), redeploy.group.as_str()),
        ("shop", "prod")
    );
    assert_eq!(
        redeploy.revision,
        Some(s3("v1.zip")),
        "the previous revision"
    );
    let description = redeploy.description.clone().unwrap_or_default();
    assert!(description.starts_with(REDEPLOY_MARK), "{description}");
    assert!(description.contains("d-BADRELEA1"), "{description}");
    assert!(description.contains("checkout-5xx"), "{description}");
    let action = &report.actions[0];
    assert_eq!(
        action.redeployment_id.as_deref(),
        Some(redeploy.id.as_str())
    );
    assert!(w.fake.stops().is_empty(), "nothing to stop");
    let json = serde_json::to_value(action).unwrap();
    assert_eq!(json["outcome"], "redeployed");
    assert_eq!(json["redeploymentId"], json!(redeploy.id));
}

#[tokio::test]
async fn not_after_the_window_and_not_when_it_is_off() {
    let late = World::new(&[WITHIN]).await;
    late.fake.add(finished_release(31));
    let report = late.report(&alarm()).await;
    assert!(report.actions.is_empty(), "{report:?}");
    assert_eq!(report.ignored.len(), 1, "nothing active, nothing recent");
    assert!(late.fake.created().is_empty());

    let off = World::new(&[]).await;
    off.fake.add(finished_release(1));
    let report = off.report(&alarm()).await;
    assert!(report.actions.is_empty() && off.fake.created().is_empty());
}

#[tokio::test]
async fn not_when_a_newer_deployment_exists() {
    let w = World::new(&[WITHIN]).await;
    w.fake.add(finished_release(10));
    // A hotfix went out since, and failed: the bad release is no longer the group's latest.
    w.fake.add(
        Deployment::new(HOME, "d-HOTFIX001", "shop", "prod")
            .created(minutes_ago(5))
            .status("Failed"),
    );
    // A kill switch may redeploy only when it asks to.
    let by_id = json!({"deploymentId": "d-BADRELEA1", "reason": "bad release", "redeploy": true});
    let report = w.report(&by_id).await;
    assert_eq!(
        outcomes(&report),
        vec![("d-BADRELEA1".into(), Outcome::Skipped)]
    );
    assert!(
        report.actions[0]
            .reason
            .contains("latest deployment (that is d-HOTFIX001)"),
        "{}",
        report.actions[0].reason
    );
    assert!(w.fake.created().is_empty());
}

#[tokio::test]
async fn not_twice_and_the_redeploy_is_never_stopped() {
    let w = World::new(&[WITHIN]).await;
    w.fake.add(finished_release(2));
    let first = w.report(&alarm()).await;
    assert_eq!(outcomes(&first)[0].1, Outcome::Redeployed);
    let redeploy = first.actions[0].redeployment_id.clone().unwrap();

    // The alarm fires again (or SNS delivers twice) while the redeploy runs.
    let again = w.report(&alarm()).await;
    assert_eq!(
        outcomes(&again),
        vec![(redeploy.clone(), Outcome::Skipped)],
        "the redeploy is found, and held"
    );
    assert!(again.actions[0]
        .reason
        .contains("a redeploy the breaker made"));
    let kill = json!({"deploymentId": redeploy, "reason": "stop everything"});
    let killed = w.report(&kill).await;
    assert_eq!(
        outcomes(&killed)[0].1,
        Outcome::Skipped,
        "not even by the kill switch"
    );
    assert_eq!(w.fake.created().len(), 1);
    assert!(w.fake.stops().is_empty());
}

#[tokio::test]
async fn dry_run_says_what_it_would_redeploy_and_finished_lambda_points_to_the_bake() {
    let w = World::new(&[WITHIN, ("DRY_RUN", "true")]).await;
    w.fake.add(finished_release(3));
    let report = w.report(&alarm()).await;
    assert_eq!(outcomes(&report)[0].1, Outcome::WouldRedeploy);
    assert!(report.actions[0]
        .reason
        .contains("s3://shop-releases/v1.zip"));
    assert!(w.fake.created().is_empty());

    let lambda = World::new(&[WITHIN]).await;
    lambda.fake.add(finished_release(3).platform("Lambda"));
    // A kill switch may redeploy only when it asks to.
    let by_id = json!({"deploymentId": "d-BADRELEA1", "reason": "bad release", "redeploy": true});
    let report = lambda.report(&by_id).await;
    assert_eq!(outcomes(&report)[0].1, Outcome::AlreadyCompleted);
    assert!(report.actions[0].reason.contains("BAKE_SECONDS"));
}

#[tokio::test]
async fn a_redeploy_codedeploy_refuses_fails_loudly() {
    let w = World::new(&[WITHIN]).await;
    w.fake.add(finished_release(3));
    w.fake.fail(
        "CreateDeployment",
        5,
        400,
        "DeploymentLimitExceededException",
    );
    let failure = w.failure(&alarm()).await;
    assert!(
        failure.message.contains("DeploymentLimitExceededException"),
        "{}",
        failure.message
    );
}

/// The breaker's policy as `template.yaml` grants it with RollbackCompletedWithin set, without
/// the statements whose Sid is in `without`.
fn redeploy_policy(without: &[&str]) -> fake_aws::iam::Policy {
    without_statements(template_policy("FunctionRole.redeploys"), without)
}

#[tokio::test]
async fn the_templates_redeploy_statements_are_what_create_deployment_needs() {
    let w = World::new(&[WITHIN]).await;
    w.fake.add(finished_release(3));
    w.fake.set_policy(Some(redeploy_policy(&[])));
    let report = w.report(&alarm()).await;
    assert_eq!(outcomes(&report)[0].1, Outcome::Redeployed, "{report:?}");

    // CreateDeployment also needs the deployment configuration and the revision.
    for missing in ["RedeployConfig", "RedeployRevision"] {
        let w = World::new(&[WITHIN]).await;
        w.fake.add(finished_release(3));
        w.fake.set_policy(Some(redeploy_policy(&[missing])));
        let failure = w.failure(&alarm()).await;
        assert!(
            failure.message.contains("AccessDeniedException"),
            "{}",
            failure.message
        );
        assert!(w.fake.created().is_empty(), "{missing}");
    }
}

#[tokio::test]
async fn a_kill_switch_redeploys_a_finished_deployment_only_when_it_says_so() {
    let w = World::new(&[WITHIN]).await;
    w.fake.add(finished_release(10));
    let kill = json!({"applicationName": "shop", "deploymentGroupName": "prod"});

    let report = w.report(&kill).await;
    assert_eq!(
        outcomes(&report),
        vec![("d-BADRELEA1".into(), Outcome::AlreadyCompleted)]
    );
    assert!(
        report.actions[0].reason.contains(r#""redeploy": true"#),
        "{}",
        report.actions[0].reason
    );
    assert!(w.fake.created().is_empty());

    let mut asked = kill.clone();
    asked["redeploy"] = json!(true);
    let report = w.report(&asked).await;
    assert_eq!(
        outcomes(&report),
        vec![("d-BADRELEA1".into(), Outcome::Redeployed)]
    );
    assert_eq!(w.fake.created().len(), 1);
}

#[tokio::test]
async fn an_s3_revision_without_version_or_etag_is_never_redeployed() {
    let w = World::new(&[WITHIN]).await;
    let unpinned = json!({"revisionType": "S3",
                          "s3Location": {"bucket": "shop-releases", "key": "latest.zip",
                                         "bundleType": "zip"}});
    w.fake.add(
        Deployment::new(HOME, "d-BADRELEA1", "shop", "prod")
            .created(minutes_ago(40))
            .succeeded(minutes_ago(10))
            .revisions(s3("v2.zip"), Some(unpinned)),
    );

    let report = w.report(&alarm()).await;

    assert_eq!(
        outcomes(&report),
        vec![("d-BADRELEA1".into(), Outcome::Skipped)]
    );
    let reason = &report.actions[0].reason;
    assert!(reason.contains("neither a version nor an ETag"), "{reason}");
    assert!(w.fake.created().is_empty());
}

#[test]
fn the_window_is_at_most_an_hour_in_the_function_and_the_template() {
    let with = |within: &'static str| {
        Config::from_lookup(move |name| match name {
            "AWS_REGION" => Some(HOME.into()),
            "ALLOWED_DEPLOYMENT_GROUPS" => Some("*/*".into()),
            "ROLLBACK_COMPLETED_WITHIN" => Some(within.into()),
            "STATE_TABLE" => Some("breaker-state".into()),
            _ => None,
        })
    };
    let refused = with("3601").unwrap_err();
    assert_eq!(
        refused.variable, "ROLLBACK_COMPLETED_WITHIN",
        "3601 s is refused at start"
    );
    assert!(with("3600").is_ok());
    let unrecorded = Config::from_lookup(|name| match name {
        "AWS_REGION" => Some(HOME.into()),
        "ALLOWED_DEPLOYMENT_GROUPS" => Some("*/*".into()),
        "ROLLBACK_COMPLETED_WITHIN" => Some("600".into()),
        _ => None,
    });
    let refused = unrecorded.expect_err("a redeploy needs its record");
    assert!(refused.problem.contains("STATE_TABLE"), "{refused:?}");
    let template = std::fs::read_to_string(format!("{}/template.yaml", env!("CARGO_MANIFEST_DIR")))
        .expect("template.yaml");
    let parameter = template
        .split("  RollbackCompletedWithin:")
        .nth(1)
        .and_then(|rest| rest.split("Description").next())
        .expect("the parameter");
    assert!(parameter.contains("MaxValue: 3600"), "{parameter}");
}
