//! The kill switch invoked directly: by deployment ID or by application and optional group, its
//! mistakes named, and no time or account carried.

use crate::support::{one, parse_error, signal_of};
use deployment_circuit_breaker::signal::{Item, KillSwitch, Signal, Target, Via, What};
use serde_json::json;

// --- Kill switch ---

#[test]
fn kill_switch_by_deployment_id() {
    let got = one(&json!({"deploymentId": "d-ABCDEFGH1", "reason": "bad canary"}));
    assert_eq!(
        got,
        Item::Signal(Signal {
            what: What::KillSwitch(KillSwitch {
                redeploy: false,
                target: Target::Deployment("d-ABCDEFGH1".into()),
                reason: "bad canary".into(),
                region: None,
            }),
            time: None,
            accounts: vec![],
            via: Via::Invoke,
        })
    );
}

#[test]
fn kill_switch_by_application_and_optional_group() {
    let got = one(
        &json!({"applicationName": "shop", "deploymentGroupName": "prod", "region": "eu-west-1"}),
    );
    assert_eq!(
        got,
        Item::Signal(Signal {
            what: What::KillSwitch(KillSwitch {
                redeploy: false,
                target: Target::Group {
                    application: "shop".into(),
                    group: Some("prod".into())
                },
                reason: "no reason given".into(),
                region: Some("eu-west-1".into()),
            }),
            time: None,
            accounts: vec![],
            via: Via::Invoke,
        })
    );
    let Item::Signal(Signal {
        what: What::KillSwitch(all),
        ..
    }) = one(&json!({"applicationName": "shop", "reason": "x"}))
    else {
        panic!()
    };
    assert_eq!(
        all.target,
        Target::Group {
            application: "shop".into(),
            group: None
        }
    );
}

#[test]
fn kill_switch_mistakes_are_named() {
    let cases = [
        (
            json!({"deploymentId": "d-1"}),
            "`deploymentId` `d-1` is not a CodeDeploy deployment ID",
        ),
        (
            json!({"deploymentId": "d-ABCDEFGH1", "applicationName": "shop"}),
            "give either `deploymentId`",
        ),
        (json!({"applicationName": ""}), "give either `deploymentId`"),
        (
            json!({"deploymentId": "d-ABCDEFGH1", "region": "Ireland"}),
            "`region` `Ireland` is not an AWS region code",
        ),
        (
            json!({"deploymentId": "d-ABCDEFGH1", "force": true}),
            "unknown field `force`",
        ),
        (
            json!({"deploymentId": 42}),
            "field `deploymentId`: invalid type: integer `42`",
        ),
    ];
    for (event, expected) in cases {
        let error = parse_error(&event);
        assert!(error.starts_with("kill switch"), "{error}");
        assert!(error.contains(expected), "{event}: {error}");
    }
}

#[test]
fn the_kill_switch_carries_no_time_or_account() {
    let kill = signal_of(&json!({"deploymentId": "d-ABCDEFGH1"}));
    assert_eq!((kill.time, kill.accounts), (None, vec![]));
}
