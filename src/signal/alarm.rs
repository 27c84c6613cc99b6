//! CloudWatch alarm payloads: the alarm part of an EventBridge state change, the alarm Lambda
//! action, and the alarm notification SNS delivers.

use serde::Deserialize;
use serde_json::Value;

use super::fields::{
    accounts, arn_region, check_deployment_id, decode, error, loose_time, pairs, valid_region,
};
use super::model::{Alarm, Around, Item, ParseError, Signal, Via, What};
use crate::time::Time;
use crate::types::{arn_account, bounded, ALARM_NAME_LIMIT};

/// The alarm part shared by EventBridge `detail` and the Lambda alarm action's `alarmData`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AlarmData {
    alarm_name: String,
    state: AlarmState,
    #[serde(default)]
    previous_state: Option<AlarmState>,
    #[serde(default)]
    configuration: Option<Value>,
    #[serde(default)]
    alarm_tags: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlarmState {
    value: String,
    #[serde(default, deserialize_with = "loose_time")]
    timestamp: Option<Time>,
    #[serde(default)]
    actions_suppressed_by: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlarmAction {
    alarm_arn: String,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default, deserialize_with = "loose_time")]
    time: Option<Time>,
    #[serde(default)]
    region: Option<String>,
    alarm_data: AlarmData,
    #[serde(default)]
    alarm_tags: Option<Value>,
}

/// A CloudWatch alarm invoking the function directly (alarm Lambda action).
pub(super) fn action(value: &Value) -> Result<Item, ParseError> {
    let what = "CloudWatch alarm action";
    let action: AlarmAction = decode(value, what)?;
    let region = valid_region(action.region.as_deref()).or_else(|| arn_region(&action.alarm_arn));
    let arn_account = arn_account(&action.alarm_arn);
    let accounts = accounts([arn_account.as_deref(), action.account_id.as_deref()]);
    if accounts.is_empty() {
        return Err(error(format!(
            "{what}: names no account (`alarmArn` has none, and there is no `accountId`), as \
             CloudWatch always does: its origin is in doubt"
        )));
    }
    let signal = signal(
        action.alarm_data,
        action.alarm_tags.as_ref(),
        region,
        action.time,
        accounts,
        what,
    )?;
    Ok(Item::Signal(signal))
}

/// The signal of an alarm's data; its state's timestamp is when it happened, else `time`.
pub(super) fn signal(
    data: AlarmData,
    outer_tags: Option<&Value>,
    region: Option<String>,
    time: Option<Time>,
    accounts: Vec<String>,
    what: &str,
) -> Result<Signal, ParseError> {
    let mut tags = outer_tags.map(pairs).unwrap_or_default();
    tags.extend(data.alarm_tags.as_ref().map(pairs).unwrap_or_default());
    let deployment_ids = match &data.configuration {
        Some(configuration) => deployment_dimensions(configuration, what)?,
        None => Vec::new(),
    };
    let suppressed_by = |by: Option<Value>| match by {
        None | Some(Value::Null) => None,
        Some(Value::String(by)) => Some(by),
        Some(other) => Some(other.to_string()),
    };
    let previous_suppressed_by = data
        .previous_state
        .as_ref()
        .and_then(|s| suppressed_by(s.actions_suppressed_by.clone()));
    Ok(Signal {
        what: What::Alarm(Alarm {
            name: bounded(&data.alarm_name, ALARM_NAME_LIMIT),
            state: data.state.value,
            previous_state: data.previous_state.map(|s| s.value),
            region,
            tags: tags.into_iter().collect(),
            deployment_ids,
            actions_suppressed_by: suppressed_by(data.state.actions_suppressed_by),
            previous_actions_suppressed_by: previous_suppressed_by,
        }),
        time: data.state.timestamp.or(time),
        accounts,
        via: Via::Invoke,
    })
}

/// A CloudWatch alarm notification as SNS delivers it.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnsAlarm {
    alarm_name: String,
    new_state_value: String,
    #[serde(default)]
    old_state_value: Option<String>,
    #[serde(default)]
    alarm_arn: Option<String>,
    #[serde(rename = "AWSAccountId", default)]
    account_id: Option<String>,
    #[serde(default, deserialize_with = "loose_time")]
    state_change_time: Option<Time>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    trigger: Option<Value>,
    #[serde(default)]
    alarm_tags: Option<Value>,
}

pub(super) fn sns_message(value: &Value, what: &str, around: &Around) -> Result<Item, ParseError> {
    let what = format!("{what} (CloudWatch alarm notification)");
    let message: SnsAlarm = decode(value, &what)?;
    // `Region` is usually a human-readable name ("US East (N. Virginia)"): prefer the ARN.
    let region = message
        .alarm_arn
        .as_deref()
        .and_then(arn_region)
        .or_else(|| valid_region(message.region.as_deref()))
        .or_else(|| around.region.clone());
    let deployment_ids = match &message.trigger {
        Some(trigger) => deployment_dimensions(trigger, &what)?,
        None => Vec::new(),
    };
    let arn_account = message.alarm_arn.as_deref().and_then(arn_account);
    Ok(Item::Signal(Signal {
        what: What::Alarm(Alarm {
            name: bounded(&message.alarm_name, ALARM_NAME_LIMIT),
            state: message.new_state_value,
            previous_state: message.old_state_value,
            region,
            tags: message
                .alarm_tags
                .as_ref()
                .map(pairs)
                .unwrap_or_default()
                .into_iter()
                .collect(),
            deployment_ids,
            actions_suppressed_by: None,
            previous_actions_suppressed_by: None,
        }),
        time: message.state_change_time.or(around.time),
        accounts: accounts([arn_account.as_deref(), message.account_id.as_deref()]),
        via: Via::Invoke,
    }))
}

/// Values of `DeploymentId` dimensions anywhere in an alarm's configuration or SNS `Trigger`:
/// top-level `Dimensions`, and `metrics[].metricStat.metric.dimensions` in either casing.
fn deployment_dimensions(configuration: &Value, what: &str) -> Result<Vec<String>, ParseError> {
    let field = |value: &Value, camel: &str, pascal: &str| -> Option<Value> {
        value.get(camel).or_else(|| value.get(pascal)).cloned()
    };
    let mut dimension_sets: Vec<Value> = field(configuration, "dimensions", "Dimensions")
        .into_iter()
        .collect();
    if let Some(Value::Array(metrics)) = field(configuration, "metrics", "Metrics") {
        for query in &metrics {
            let dimensions = field(query, "metricStat", "MetricStat")
                .and_then(|stat| field(&stat, "metric", "Metric"))
                .and_then(|metric| field(&metric, "dimensions", "Dimensions"));
            dimension_sets.extend(dimensions);
        }
    }
    let mut ids = Vec::new();
    for (name, value) in dimension_sets.iter().flat_map(pairs) {
        if name == "DeploymentId" && !ids.contains(&value) {
            check_deployment_id(&value, what, "DeploymentId dimension")?;
            ids.push(value);
        }
    }
    Ok(ids)
}
