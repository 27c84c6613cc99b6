//! Payload in → normalised signals.
//!
//! One invocation payload is recognised by its shape (SQS or SNS `Records`, an EventBridge event,
//! a CloudWatch alarm action, a kill switch) and turned into [`Signal`]s, or into [`Ignored`]
//! entries for payloads that never call for action (plain-text SNS messages, alarm configuration
//! changes). Messages nested as JSON strings (SNS `Message`, SQS `body`) are unwrapped. Parsing is
//! lenient where AWS is inconsistent (null descriptions, missing `Trigger`, human-readable
//! regions, upper-case statuses, tags as objects or key/value lists) and strict about what it
//! acts on: deployment IDs and explicit regions must be well-formed.

use std::collections::BTreeMap;
use std::fmt;

use aws_lambda_events::sqs::SqsEvent;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::config::EventKind;

/// What a signal asks to stop.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// One deployment, by ID.
    Deployment(String),
    /// The active deployments of an application's group, or of all its groups.
    Group {
        application: String,
        group: Option<String>,
    },
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Deployment(id) => f.write_str(id),
            Target::Group {
                application,
                group: Some(group),
            } => write!(f, "{application}/{group}"),
            Target::Group {
                application,
                group: None,
            } => write!(f, "{application} (every group)"),
        }
    }
}

/// A CloudWatch alarm state change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alarm {
    pub name: String,
    /// The new state (`ALARM`, `OK`, `INSUFFICIENT_DATA`).
    pub state: String,
    pub previous_state: Option<String>,
    /// The alarm's region, when the payload names a valid one.
    pub region: Option<String>,
    /// Tags propagated into the payload.
    pub tags: BTreeMap<String, String>,
    /// Values of metric dimensions named `DeploymentId`.
    pub deployment_ids: Vec<String>,
}

/// Whether a CodeDeploy event is about a deployment or one of its instances.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Deployment,
    Instance,
}

/// A CodeDeploy deployment or instance state change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeDeployEvent {
    pub deployment_id: String,
    pub scope: Scope,
    /// The state as the payload spells it (`FAILURE`, `Failed`, `IN_PROGRESS`, …).
    pub state: String,
    /// The state as a stop-trigger kind, when it is one.
    pub kind: Option<EventKind>,
    pub region: Option<String>,
}

/// A direct "stop this" invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KillSwitch {
    pub target: Target,
    pub reason: String,
    pub region: Option<String>,
}

/// A normalised signal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signal {
    Alarm(Alarm),
    CodeDeploy(CodeDeployEvent),
    KillSwitch(KillSwitch),
}

impl Signal {
    /// A short name for reports and logs.
    pub fn label(&self) -> String {
        match self {
            Signal::Alarm(alarm) => format!("alarm {}", alarm.name),
            Signal::CodeDeploy(event) => {
                let scope = match event.scope {
                    Scope::Deployment => "deployment",
                    Scope::Instance => "instance",
                };
                format!(
                    "CodeDeploy {scope} {} event for {}",
                    event.state, event.deployment_id
                )
            }
            Signal::KillSwitch(_) => "kill switch".into(),
        }
    }
}

/// A payload, or part of one, that calls for no action.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Ignored {
    pub signal: String,
    pub reason: String,
}

/// One parsed unit: a signal, or something ignored with a reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Signal(Signal),
    Ignored(Ignored),
}

/// One SQS record: its message ID and what its body held.
#[derive(Debug)]
pub struct SqsRecord {
    pub message_id: String,
    pub item: Result<Item, ParseError>,
}

/// A parsed invocation payload.
#[derive(Debug)]
pub enum Payload {
    /// Everything but SQS: the invocation succeeds or fails as a whole.
    Direct(Vec<Item>),
    /// An SQS batch: each record succeeds or fails on its own.
    Sqs(Vec<SqsRecord>),
}

/// A payload that could not be understood; the message says what and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

fn error(message: impl Into<String>) -> ParseError {
    ParseError(message.into())
}

/// Parses one invocation payload.
pub fn parse(event: &Value) -> Result<Payload, ParseError> {
    let object = as_object(event, "the event")?;
    if let Some(records) = object.get("Records") {
        return parse_records(event, records);
    }
    let item = if object.contains_key("detail-type") {
        eventbridge(event, "EventBridge event")?
    } else if object.contains_key("alarmData") {
        alarm_action(event)?
    } else if object.contains_key("deploymentId") || object.contains_key("applicationName") {
        kill_switch(event)?
    } else {
        return Err(error(format!(
            "unrecognised event (keys: {}): not an SQS or SNS batch (`Records`), an EventBridge \
             event (`detail-type`), a CloudWatch alarm action (`alarmData`), or a kill switch \
             (`deploymentId` or `applicationName`)",
            keys(object)
        )));
    };
    Ok(Payload::Direct(vec![item]))
}

fn as_object<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>, ParseError> {
    value
        .as_object()
        .ok_or_else(|| error(format!("{what} is {}, not a JSON object", json_kind(value))))
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn keys(object: &Map<String, Value>) -> String {
    let mut keys: Vec<&str> = object.keys().map(String::as_str).take(8).collect();
    if object.len() > keys.len() {
        keys.push("…");
    }
    if keys.is_empty() {
        "none".into()
    } else {
        keys.join(", ")
    }
}

/// Deserialises `value` as `T`; an error names `what` and the path of the offending field.
fn decode<'a, T: Deserialize<'a>>(value: &'a Value, what: &str) -> Result<T, ParseError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            error(format!("{what}: {}", e.inner()))
        } else {
            error(format!("{what}: field `{path}`: {}", e.inner()))
        }
    })
}

/// Accepts a missing field or `null` as the default (AWS sends both).
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn parse_records(event: &Value, records: &Value) -> Result<Payload, ParseError> {
    let first = records
        .as_array()
        .ok_or_else(|| error(format!("`Records` is {}, not an array", json_kind(records))))?
        .first()
        .ok_or_else(|| error("`Records` is empty"))?;
    let source = first
        .get("eventSource")
        .or_else(|| first.get("EventSource"))
        .and_then(Value::as_str);
    match source {
        Some("aws:sqs") => parse_sqs(event),
        Some("aws:sns") => parse_sns(event),
        other => Err(error(format!(
            "`Records[0]` has event source {}; expected aws:sqs or aws:sns",
            other.map_or("(none)".to_string(), |s| format!("`{s}`"))
        ))),
    }
}

#[derive(Deserialize)]
struct SnsEvent {
    #[serde(rename = "Records")]
    records: Vec<SnsRecord>,
}

#[derive(Deserialize)]
struct SnsRecord {
    #[serde(rename = "Sns")]
    sns: SnsNotification,
}

/// An SNS notification, as delivered to Lambda (`Sns`) or to SQS without raw delivery (`body`).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SnsNotification {
    #[serde(rename = "Type", default)]
    kind: Option<String>,
    #[serde(default)]
    topic_arn: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    message: String,
}

fn parse_sns(event: &Value) -> Result<Payload, ParseError> {
    let sns: SnsEvent = decode(event, "SNS event")?;
    let mut items = Vec::new();
    for (index, record) in sns.records.iter().enumerate() {
        items.push(sns_notification(
            &record.sns,
            &format!("SNS record {index} `Sns.Message`"),
        )?);
    }
    Ok(Payload::Direct(items))
}

fn parse_sqs(event: &Value) -> Result<Payload, ParseError> {
    let sqs: SqsEvent = decode(event, "SQS event")?;
    let mut records = Vec::new();
    for (index, record) in sqs.records.iter().enumerate() {
        let message_id = record
            .message_id
            .clone()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| error(format!("SQS record {index} has no `messageId`")))?;
        let what = format!("SQS message {message_id} `body`");
        let item = match &record.body {
            None => Err(error(format!("{what} is missing"))),
            Some(body) => sqs_body(body, &what),
        };
        records.push(SqsRecord { message_id, item });
    }
    Ok(Payload::Sqs(records))
}

fn sqs_body(body: &str, what: &str) -> Result<Item, ParseError> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| error(format!("{what} is not JSON: {e}")))?;
    let object = as_object(&value, what)?;
    let is_sns =
        object.contains_key("Message") && object.get("Type").and_then(Value::as_str).is_some();
    if is_sns {
        let notification: SnsNotification = decode(&value, what)?;
        return sns_notification(&notification, &format!("{what} `Message`"));
    }
    message(&value, what, None)
}

fn sns_notification(sns: &SnsNotification, what: &str) -> Result<Item, ParseError> {
    let subject = sns.subject.as_deref().unwrap_or("(no subject)");
    match sns.kind.as_deref() {
        None | Some("Notification") => {}
        Some(other) => {
            return Ok(Item::Ignored(Ignored {
                signal: format!("SNS {other}"),
                reason: "SNS subscription housekeeping, not a notification".into(),
            }))
        }
    }
    let value = match serde_json::from_str::<Value>(&sns.message) {
        Ok(value) => value,
        // Text that starts like JSON is a broken event, not a human-readable message.
        Err(e) if sns.message.trim_start().starts_with(['{', '[']) => {
            return Err(error(format!("{what} is not valid JSON: {e}")))
        }
        Err(_) => {
            return Ok(Item::Ignored(Ignored {
                signal: format!("SNS message \"{subject}\""),
                reason: "plain-text message, not an alarm or deployment event".into(),
            }))
        }
    };
    let topic_region = sns.topic_arn.as_deref().and_then(arn_region);
    message(&value, what, topic_region)
}

/// Classifies a message body: an EventBridge event, a CloudWatch alarm notification or a
/// CodeDeploy trigger notification.
fn message(value: &Value, what: &str, fallback_region: Option<String>) -> Result<Item, ParseError> {
    let object = as_object(value, what)?;
    if object.contains_key("detail-type") {
        eventbridge(value, what)
    } else if object.contains_key("AlarmName") {
        sns_alarm(value, what, fallback_region)
    } else if object.contains_key("deploymentId")
        && (object.contains_key("status") || object.contains_key("instanceStatus"))
    {
        codedeploy_trigger(value, what, fallback_region)
    } else {
        Err(error(format!(
            "{what} is JSON (keys: {}) but not a CloudWatch alarm notification (`AlarmName`), \
             a CodeDeploy trigger notification (`deploymentId` and `status` or \
             `instanceStatus`) or an EventBridge event (`detail-type`)",
            keys(object)
        )))
    }
}

#[derive(Deserialize)]
struct EventBridgeEvent {
    #[serde(rename = "detail-type")]
    detail_type: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    resources: Vec<String>,
    detail: Value,
}

/// The alarm part shared by EventBridge `detail` and the Lambda alarm action's `alarmData`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlarmData {
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
struct AlarmState {
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CodeDeployDetail {
    deployment_id: String,
    state: String,
    #[serde(default)]
    region: Option<String>,
}

fn eventbridge(value: &Value, what: &str) -> Result<Item, ParseError> {
    let event: EventBridgeEvent = decode(value, what)?;
    let region = valid_region(event.region.as_deref())
        .or_else(|| event.resources.first().and_then(|arn| arn_region(arn)));
    let detail_what = format!("{what} `detail`");
    match event.detail_type.as_str() {
        "CloudWatch Alarm State Change" => {
            let data: AlarmData = decode(&event.detail, &detail_what)?;
            Ok(Item::Signal(Signal::Alarm(alarm(
                data,
                None,
                region,
                &detail_what,
            )?)))
        }
        "CloudWatch Alarm Configuration Change" => Ok(Item::Ignored(Ignored {
            signal: match event.detail.get("alarmName").and_then(Value::as_str) {
                Some(name) => format!("alarm {name}"),
                None => "alarm".into(),
            },
            reason: "alarm configuration change, not a state change".into(),
        })),
        detail_type @ ("CodeDeploy Deployment State-change Notification"
        | "CodeDeploy Instance State-change Notification") => {
            let detail: CodeDeployDetail = decode(&event.detail, &detail_what)?;
            let scope = if detail_type.contains("Instance") {
                Scope::Instance
            } else {
                Scope::Deployment
            };
            let region = valid_region(detail.region.as_deref()).or(region);
            codedeploy_event(
                detail.deployment_id,
                scope,
                detail.state,
                region,
                &detail_what,
            )
        }
        other => Err(error(format!(
            "{what}: detail-type `{other}` from source `{}` is not supported (expected \
             `CloudWatch Alarm State Change` or a CodeDeploy deployment/instance \
             `State-change Notification`)",
            event.source.as_deref().unwrap_or("(none)")
        ))),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlarmAction {
    alarm_arn: String,
    #[serde(default)]
    region: Option<String>,
    alarm_data: AlarmData,
    #[serde(default)]
    alarm_tags: Option<Value>,
}

fn alarm_action(value: &Value) -> Result<Item, ParseError> {
    let what = "CloudWatch alarm action";
    let action: AlarmAction = decode(value, what)?;
    let region = valid_region(action.region.as_deref()).or_else(|| arn_region(&action.alarm_arn));
    let alarm = alarm(action.alarm_data, action.alarm_tags.as_ref(), region, what)?;
    Ok(Item::Signal(Signal::Alarm(alarm)))
}

fn alarm(
    data: AlarmData,
    outer_tags: Option<&Value>,
    region: Option<String>,
    what: &str,
) -> Result<Alarm, ParseError> {
    let mut tags = outer_tags.map(pairs).unwrap_or_default();
    tags.extend(data.alarm_tags.as_ref().map(pairs).unwrap_or_default());
    let deployment_ids = match &data.configuration {
        Some(configuration) => deployment_dimensions(configuration, what)?,
        None => Vec::new(),
    };
    Ok(Alarm {
        name: data.alarm_name,
        state: data.state.value,
        previous_state: data.previous_state.map(|s| s.value),
        region,
        tags: tags.into_iter().collect(),
        deployment_ids,
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
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    trigger: Option<Value>,
    #[serde(default)]
    alarm_tags: Option<Value>,
}

fn sns_alarm(
    value: &Value,
    what: &str,
    fallback_region: Option<String>,
) -> Result<Item, ParseError> {
    let what = format!("{what} (CloudWatch alarm notification)");
    let message: SnsAlarm = decode(value, &what)?;
    // `Region` is usually a human-readable name ("US East (N. Virginia)"): prefer the ARN.
    let region = message
        .alarm_arn
        .as_deref()
        .and_then(arn_region)
        .or_else(|| valid_region(message.region.as_deref()))
        .or(fallback_region);
    let deployment_ids = match &message.trigger {
        Some(trigger) => deployment_dimensions(trigger, &what)?,
        None => Vec::new(),
    };
    Ok(Item::Signal(Signal::Alarm(Alarm {
        name: message.alarm_name,
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
    })))
}

/// A CodeDeploy trigger notification as SNS delivers it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CodeDeployTrigger {
    deployment_id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    instance_status: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

fn codedeploy_trigger(
    value: &Value,
    what: &str,
    fallback_region: Option<String>,
) -> Result<Item, ParseError> {
    let what = format!("{what} (CodeDeploy trigger notification)");
    let trigger: CodeDeployTrigger = decode(value, &what)?;
    let (scope, state) = match (trigger.instance_status, trigger.status) {
        (Some(state), _) => (Scope::Instance, state),
        (None, Some(state)) => (Scope::Deployment, state),
        (None, None) => {
            return Err(error(format!(
                "{what}: neither `status` nor `instanceStatus`"
            )))
        }
    };
    let region = valid_region(trigger.region.as_deref()).or(fallback_region);
    codedeploy_event(trigger.deployment_id, scope, state, region, &what)
}

fn codedeploy_event(
    deployment_id: String,
    scope: Scope,
    state: String,
    region: Option<String>,
    what: &str,
) -> Result<Item, ParseError> {
    check_deployment_id(&deployment_id, what, "deploymentId")?;
    Ok(Item::Signal(Signal::CodeDeploy(CodeDeployEvent {
        kind: event_kind(scope, &state),
        deployment_id,
        scope,
        state,
        region,
    })))
}

/// Maps the many spellings of CodeDeploy states onto stop-trigger kinds.
fn event_kind(scope: Scope, state: &str) -> Option<EventKind> {
    let normal: String = state
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    use EventKind::*;
    let kind = match (scope, normal.as_str()) {
        (Scope::Deployment, "START" | "STARTED" | "CREATED" | "INPROGRESS") => DeploymentStart,
        (Scope::Deployment, "READY") => DeploymentReady,
        (Scope::Deployment, "FAILURE" | "FAILED") => DeploymentFailure,
        (Scope::Instance, "START" | "STARTED" | "PENDING" | "INPROGRESS") => InstanceStart,
        (Scope::Instance, "READY") => InstanceReady,
        (Scope::Instance, "FAILURE" | "FAILED") => InstanceFailure,
        _ => return None,
    };
    Some(kind)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KillSwitchPayload {
    #[serde(default)]
    deployment_id: Option<String>,
    #[serde(default)]
    application_name: Option<String>,
    #[serde(default)]
    deployment_group_name: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

fn kill_switch(value: &Value) -> Result<Item, ParseError> {
    let what = "kill switch";
    let payload: KillSwitchPayload = decode(value, what)?;
    let target =
        match (
            payload.deployment_id,
            payload.application_name,
            payload.deployment_group_name,
        ) {
            (Some(id), None, None) => {
                check_deployment_id(&id, what, "deploymentId")?;
                Target::Deployment(id)
            }
            (None, Some(application), group) if !application.is_empty() => Target::Group {
                application,
                group: group.filter(|g| !g.is_empty()),
            },
            _ => return Err(error(
                "kill switch: give either `deploymentId`, or `applicationName` with an optional \
                 `deploymentGroupName`",
            )),
        };
    let region = match payload.region {
        None => None,
        Some(region) => Some(valid_region(Some(&region)).ok_or_else(|| {
            error(format!(
                "kill switch: `region` `{region}` is not an AWS region code"
            ))
        })?),
    };
    Ok(Item::Signal(Signal::KillSwitch(KillSwitch {
        target,
        reason: payload
            .reason
            .filter(|r| !r.trim().is_empty())
            .unwrap_or_else(|| "no reason given".into()),
        region,
    })))
}

/// Whether `id` has the shape of a CodeDeploy deployment ID: `d-` and 9 upper-case letters or digits.
pub fn is_deployment_id(id: &str) -> bool {
    id.strip_prefix("d-").is_some_and(|rest| {
        rest.len() == 9
            && rest
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    })
}

fn check_deployment_id(id: &str, what: &str, field: &str) -> Result<(), ParseError> {
    if is_deployment_id(id) {
        Ok(())
    } else {
        Err(error(format!(
            "{what}: `{field}` `{id}` is not a CodeDeploy deployment ID (`d-` and 9 upper-case \
             letters or digits)"
        )))
    }
}

/// `Some(region)` when `region` is a region code such as `us-east-1` or `us-gov-west-1`.
fn valid_region(region: Option<&str>) -> Option<String> {
    let region = region?.trim();
    let parts: Vec<&str> = region.split('-').collect();
    let well_formed = parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty())
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit());
    well_formed.then(|| region.to_string())
}

/// The region field of an ARN (`arn:aws:cloudwatch:us-east-1:…`), when it is a valid one.
fn arn_region(arn: &str) -> Option<String> {
    valid_region(arn.split(':').nth(3))
}

/// Key/value pairs from an object of strings or a list of `{Key|key|Name|name, Value|value}`.
fn pairs(value: &Value) -> Vec<(String, String)> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match value {
        Value::Object(map) => map
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), text(v)?)))
            .collect(),
        Value::Array(list) => list
            .iter()
            .filter_map(|entry| {
                let field =
                    |names: &[&str]| names.iter().find_map(|n| entry.get(*n)).and_then(text);
                Some((
                    field(&["Key", "key", "Name", "name"])?,
                    field(&["Value", "value"])?,
                ))
            })
            .collect(),
        _ => Vec::new(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn region_codes_are_recognised() {
        for good in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-5",
        ] {
            assert_eq!(valid_region(Some(good)).as_deref(), Some(good));
        }
        for bad in [
            "US East (N. Virginia)",
            "EXAMPLE",
            "REGION",
            "us-east",
            "us--1",
            "",
            "us-east-1a",
        ] {
            assert_eq!(valid_region(Some(bad)), None, "{bad}");
        }
        assert_eq!(
            arn_region("arn:aws:cloudwatch:eu-west-1:1:alarm:a").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(arn_region("arn:aws:sns:EXAMPLE"), None);
    }

    #[test]
    fn deployment_ids_have_one_shape() {
        assert!(is_deployment_id("d-75I7MBT7C"));
        assert!(is_deployment_id("d-123456789"));
        for bad in [
            "d-DEPID",
            "d-75i7mbt7c",
            "75I7MBT7C",
            "d-75I7MBT7C0",
            "d-75I7MBT7",
            "",
        ] {
            assert!(!is_deployment_id(bad), "{bad}");
        }
    }

    #[test]
    fn pairs_accept_objects_and_key_value_lists() {
        let expected = vec![
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "x".to_string()),
        ];
        assert_eq!(pairs(&json!({"a": "1", "b": "x"})), expected);
        assert_eq!(
            pairs(&json!([{"Key": "a", "Value": "1"}, {"key": "b", "value": "x"}])),
            expected
        );
        assert_eq!(
            pairs(&json!([{"name": "a", "value": 1}, {"Name": "b", "Value": "x"}])),
            expected
        );
        assert_eq!(
            pairs(&json!({"a": 1, "n": null, "o": {}})),
            vec![("a".to_string(), "1".to_string())]
        );
        assert!(pairs(&json!("tags")).is_empty());
        assert!(pairs(&json!([{"Key": "no value"}, 3])).is_empty());
    }

    #[test]
    fn event_kinds_cover_every_spelling() {
        use EventKind::*;
        let cases = [
            (Scope::Deployment, "CREATED", Some(DeploymentStart)),
            (Scope::Deployment, "Created", Some(DeploymentStart)),
            (Scope::Deployment, "IN_PROGRESS", Some(DeploymentStart)),
            (Scope::Deployment, "START", Some(DeploymentStart)),
            (Scope::Deployment, "READY", Some(DeploymentReady)),
            (Scope::Deployment, "FAILED", Some(DeploymentFailure)),
            (Scope::Deployment, "FAILURE", Some(DeploymentFailure)),
            (Scope::Deployment, "SUCCEEDED", None),
            (Scope::Deployment, "STOP", None),
            (Scope::Instance, "Pending", Some(InstanceStart)),
            (Scope::Instance, "InProgress", Some(InstanceStart)),
            (Scope::Instance, "Ready", Some(InstanceReady)),
            (Scope::Instance, "Failed", Some(InstanceFailure)),
            (Scope::Instance, "FAILURE", Some(InstanceFailure)),
            (Scope::Instance, "Succeeded", None),
            (Scope::Instance, "Skipped", None),
        ];
        for (scope, state, kind) in cases {
            assert_eq!(event_kind(scope, state), kind, "{scope:?} {state}");
        }
    }
}
