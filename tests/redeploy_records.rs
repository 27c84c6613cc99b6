//! A redeploy is recorded before it is made, in the state table only the functions' roles
//! write: racing signals make one, and only the deployment the record names is exempt from
//! being stopped. A description anyone can write proves nothing. Real SDK clients (CodeDeploy,
//! DynamoDB) against the fake over HTTP.

mod common;

use std::time::Duration;

use common::redeploy::{alarm, finished_release, minutes_ago, WITHIN};
use common::*;
use deployment_circuit_breaker::time::Time;
use deployment_circuit_breaker::types::{Outcome, REDEPLOY_MARK};
use fake_aws::{Deployment, FaultKind};
use serde_json::json;

/// A deployment in progress whose description claims the breaker made it in place of `of`.
fn claiming(id: &str, of: &str) -> Deployment {
    let description =
        format!("{REDEPLOY_MARK} in place of {of}: S3 shop-releases/v1.zip, after alarm x");
    Deployment {
        description: Some(description),
        ..Deployment::new(HOME, id, "shop", "prod").created(minutes_ago(2))
    }
}

#[tokio::test]
async fn a_description_claiming_a_breaker_redeploy_without_a_record_is_stopped() {
    let w = World::new(&[]).await;
    w.fake.add(claiming("d-FORGED001", "d-BADRELEA1"));

    let report = w.report(&alarm()).await;

    assert_eq!(
        outcomes(&report),
        vec![("d-FORGED001".into(), Outcome::Stopped)]
    );
    let reason = &report.actions[0].reason;
    assert!(reason.contains("not believed"), "{reason}");
    assert!(
        reason.contains("no record of redeploying d-BADRELEA1"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_claim_the_record_names_another_deployment_for_is_stopped_too() {
    let w = World::new(&[WITHIN]).await;
    w.fake.add(finished_release(2));
    let made = w.report(&alarm()).await.actions[0]
        .redeployment_id
        .clone()
        .expect("redeployed");
    // Someone copies the breaker's description onto a deployment of their own.
    w.fake.add(claiming("d-FORGED002", "d-BADRELEA1"));

    let report = w.report(&alarm()).await;

    let by_id: Vec<(String, Outcome)> = outcomes(&report);
    assert!(
        by_id.contains(&("d-FORGED002".into(), Outcome::Stopped)),
        "{by_id:?}"
    );
    assert!(
        by_id.contains(&(made.clone(), Outcome::Skipped)),
        "{by_id:?}"
    );
    let forged = report
        .actions
        .iter()
        .find(|a| a.deployment_id == "d-FORGED002")
        .unwrap();
    assert!(
        forged
            .reason
            .contains(&format!("redeployed d-BADRELEA1 as {made}")),
        "{}",
        forged.reason
    );
}

#[tokio::test]
async fn two_racing_signals_make_one_redeploy() {
    let w = World::new(&[WITHIN]).await;
    w.fake.add(finished_release(2));
    // Two alarms for the group at once, in two invocations (two SNS deliveries, say).
    let other = alarm_event("checkout-latency", HOME, tagged("shop", "prod"));
    let slow = FaultKind::Delay(Duration::from_millis(300));
    w.fake.inject("CreateDeployment", None, 1, slow);

    let one = alarm();
    let (a, b) = tokio::join!(w.report(&one), w.report(&other));

    assert_eq!(w.fake.created().len(), 1, "one CreateDeployment");
    let both = [outcomes(&a)[0].1, outcomes(&b)[0].1];
    assert!(
        both.contains(&Outcome::Redeployed) && both.contains(&Outcome::Skipped),
        "{both:?}"
    );
    let skipped = [&a, &b]
        .into_iter()
        .flat_map(|r| &r.actions)
        .find(|a| a.outcome == Outcome::Skipped)
        .unwrap();
    assert!(
        skipped.reason.contains("redeploying it now")
            || skipped.reason.contains("already redeployed"),
        "{}",
        skipped.reason
    );
}

#[tokio::test]
async fn a_create_deployment_that_fails_gives_the_record_back_so_a_retry_redeploys() {
    let w = World::new(&[WITHIN]).await;
    w.fake.add(finished_release(2));
    w.fake
        .fail("CreateDeployment", 1, 400, "InvalidRevisionException");

    let failed = w.failure(&alarm()).await;
    let retried = w.report(&alarm()).await;

    assert!(
        failed.message.contains("InvalidRevisionException"),
        "{failed:?}"
    );
    assert_eq!(outcomes(&retried)[0].1, Outcome::Redeployed, "{retried:?}");
    assert_eq!(w.fake.created().len(), 1);
}

#[tokio::test]
async fn while_a_redeploy_is_being_made_only_a_claimant_of_its_group_is_spared() {
    let w = World::new(&[]).await;
    let reservation = |started: i64| {
        json!({"pk": {"S": "redeploy#123456789012#us-east-1#d-BADRELEA1"},
               "deploymentId": {"S": "d-BADRELEA1"}, "startedAt": {"N": started.to_string()},
               "application": {"S": "shop"}, "group": {"S": "prod"},
               "expiresAt": {"N": "4102444800"}})
    };
    let now = Time::now().millis();
    // The breaker reserved the redeploy ten seconds ago; its CreateDeployment is answered now.
    w.fake
        .put_item(ACCOUNT, HOME, gate::TABLE, reservation(now - 10_000));
    w.fake.add(Deployment {
        create_time: None,
        ..claiming("d-MAKING001", "d-BADRELEA1")
    });
    let mut elsewhere = claiming("d-FORGED003", "d-BADRELEA1");
    elsewhere.group = "canary".into();
    w.fake.add(elsewhere);

    let report = w
        .report(&json!({"applicationName": "shop", "reason": "stop shop"}))
        .await;

    let by_id = outcomes(&report);
    assert!(
        by_id.contains(&("d-MAKING001".into(), Outcome::Skipped)),
        "{by_id:?}"
    );
    assert!(
        by_id.contains(&("d-FORGED003".into(), Outcome::Stopped)),
        "{by_id:?}"
    );
}
