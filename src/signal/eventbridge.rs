//! EventBridge events: CloudWatch alarm state changes and CodeDeploy state-change
//! notifications, believed only from the source their detail-type implies.

use serde::Deserialize;
use serde_json::Value;

use super::fields::{accounts, arn_region, decode, error, loose_time, nullable, valid_region};
use super::model::{Item, ParseError, Scope};
use super::{alarm, codedeploy};
use crate::time::Time;
use crate::types::{arn_account, NotActed};

const ALARM_STATE_CHANGE: &str = "CloudWatch Alarm State Change";
const ALARM_CONFIGURATION_CHANGE: &str = "CloudWatch Alarm Configuration Change";
const DEPLOYMENT_STATE_CHANGE: &str = "CodeDeploy Deployment State-change Notification";
const INSTANCE_STATE_CHANGE: &str = "CodeDeploy Instance State-change Notification";

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "detail-type")]
    detail_type: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    account: Option<String>,
    #[serde(default, deserialize_with = "loose_time")]
    time: Option<Time>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    resources: Vec<String>,
    detail: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CodeDeployDetail {
    deployment_id: String,
    state: String,
    #[serde(default)]
    region: Option<String>,
}

/// The source that may send each detail-type this function acts on.
fn expected_source(detail_type: &str) -> Option<&'static str> {
    match detail_type {
        ALARM_STATE_CHANGE | ALARM_CONFIGURATION_CHANGE => Some("aws.cloudwatch"),
        DEPLOYMENT_STATE_CHANGE | INSTANCE_STATE_CHANGE => Some("aws.codedeploy"),
        _ => None,
    }
}

/// Whether EventBridge wrote this envelope: a detail-type it serves, from the one source that
/// sends it, and the account EventBridge always gives.
fn check_envelope(event: &Event, what: &str) -> Result<(), ParseError> {
    let source = event.source.as_deref().unwrap_or("(none)");
    let Some(expected) = expected_source(&event.detail_type) else {
        return Err(error(format!(
            "{what}: detail-type `{}` from source `{source}` is not supported (expected \
             `{ALARM_STATE_CHANGE}` or a CodeDeploy deployment/instance \
             `State-change Notification`)",
            event.detail_type
        )));
    };
    if source != expected {
        return Err(error(format!(
            "{what}: detail-type `{}` comes only from source `{expected}`, not `{source}`",
            event.detail_type
        )));
    }
    if event.account.as_deref().is_none_or(|a| a.trim().is_empty()) {
        return Err(error(format!(
            "{what}: no `account`, which EventBridge always gives: its origin is in doubt"
        )));
    }
    Ok(())
}

pub(super) fn event(value: &Value, what: &str) -> Result<Item, ParseError> {
    let event: Event = decode(value, what)?;
    check_envelope(&event, what)?;
    let region = valid_region(event.region.as_deref())
        .or_else(|| event.resources.first().and_then(|arn| arn_region(arn)));
    let detail_what = format!("{what} `detail`");
    match event.detail_type.as_str() {
        ALARM_STATE_CHANGE => {
            let data: alarm::AlarmData = decode(&event.detail, &detail_what)?;
            let resource_accounts = event.resources.iter().map(|arn| arn_account(arn));
            let claims: Vec<Option<String>> = std::iter::once(event.account.clone())
                .chain(resource_accounts)
                .collect();
            let accounts = accounts(claims.iter().map(Option::as_deref));
            let signal = alarm::signal(data, None, region, event.time, accounts, &detail_what)?;
            Ok(Item::Signal(signal))
        }
        ALARM_CONFIGURATION_CHANGE => Ok(Item::Ignored(NotActed {
            signal: match event.detail.get("alarmName").and_then(Value::as_str) {
                Some(name) => format!("alarm {name}"),
                None => "alarm".into(),
            },
            reason: "alarm configuration change, not a state change".into(),
        })),
        detail_type => {
            let detail: CodeDeployDetail = decode(&event.detail, &detail_what)?;
            let scope = if detail_type == INSTANCE_STATE_CHANGE {
                Scope::Instance
            } else {
                Scope::Deployment
            };
            let region = valid_region(detail.region.as_deref()).or(region);
            codedeploy::signal(
                codedeploy::Change {
                    deployment_id: detail.deployment_id,
                    scope,
                    state: detail.state,
                    region,
                    time: event.time,
                    accounts: accounts([event.account.as_deref()]),
                },
                &detail_what,
            )
        }
    }
}
