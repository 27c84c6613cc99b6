//! Payload in → normalised signals.
//!
//! One invocation payload is recognised by its shape (SQS or SNS `Records`, an EventBridge event,
//! a CloudWatch alarm action, a kill switch) and turned into [`Signal`]s, or into [`Ignored`]
//! entries for payloads that never call for action (plain-text SNS messages, alarm configuration
//! changes). Messages nested as JSON strings (SNS `Message`, SQS `body`) are unwrapped. Parsing is
//! lenient where AWS is inconsistent (null descriptions, missing `Trigger`, human-readable
//! regions, upper-case statuses, tags as objects or key/value lists, timestamps in several
//! forms) and strict about what it acts on: deployment IDs, explicit regions and the source of
//! EventBridge events must be well-formed.
//!
//! One submodule per payload kind, nested as AWS nests them: [`sqs`] and [`sns`] envelopes,
//! [`eventbridge`] events, [`alarm`] payloads, [`codedeploy`] messages, the [`kill_switch`];
//! [`fields`] has the helpers they share.

mod alarm;
mod codedeploy;
mod eventbridge;
mod fields;
mod kill_switch;
mod sns;
mod sqs;

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::config::EventKind;
use crate::time::Time;
use fields::{as_object, error, keys};

pub use fields::{is_deployment_id, is_region};

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
    /// What suppressed the alarm's actions (`Alarm`, `WaitPeriod`, `ExtensionPeriod`), if anything.
    pub actions_suppressed_by: Option<String>,
    /// What had suppressed them in the previous state: an ALARM → ALARM change from a
    /// suppressed state is the moment CloudWatch runs the actions at last.
    pub previous_actions_suppressed_by: Option<String>,
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

/// What a signal says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    Alarm(Alarm),
    CodeDeploy(CodeDeployEvent),
    KillSwitch(KillSwitch),
}

/// A normalised signal: what it says, when it happened and which account it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signal {
    pub what: What,
    /// When it happened, as the payload says; `None` when the payload gives no time it can be
    /// read from (and for the kill switch, which happens when it is invoked).
    pub time: Option<Time>,
    /// Every account the payload names as its origin (alarm ARN, `account`, `accountId`,
    /// `AWSAccountId`); empty when it names none.
    pub accounts: Vec<String>,
}

impl Signal {
    /// A short name for reports and logs.
    pub fn label(&self) -> String {
        match &self.what {
            What::Alarm(alarm) => format!("alarm {}", alarm.name),
            What::CodeDeploy(event) => {
                let scope = match event.scope {
                    Scope::Deployment => "deployment",
                    Scope::Instance => "instance",
                };
                format!(
                    "CodeDeploy {scope} {} event for {}",
                    event.state, event.deployment_id
                )
            }
            What::KillSwitch(_) => "kill switch".into(),
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

/// Parses an invocation payload as the runtime receives it: bytes. An SQS batch is decoded
/// record by record when the whole cannot be, so one undecodable record (invalid UTF-8, nesting
/// past the decoder's limit) fails only itself.
pub fn parse_bytes(bytes: &[u8]) -> Result<Payload, ParseError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(event) => parse(&event),
        Err(e) => sqs::parse_undecodable(bytes)
            .unwrap_or_else(|| Err(error(format!("the event is not valid JSON: {e}")))),
    }
}

/// Parses one invocation payload.
pub fn parse(event: &Value) -> Result<Payload, ParseError> {
    let object = as_object(event, "the event")?;
    if let Some(records) = object.get("Records") {
        return parse_records(event, records);
    }
    let item = if object.contains_key("detail-type") {
        eventbridge::event(event, "EventBridge event")?
    } else if object.contains_key("alarmData") {
        alarm::action(event)?
    } else if object.contains_key("deploymentId") || object.contains_key("applicationName") {
        kill_switch::parse(event)?
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

fn parse_records(event: &Value, records: &Value) -> Result<Payload, ParseError> {
    let first = records
        .as_array()
        .ok_or_else(|| {
            error(format!(
                "`Records` is {}, not an array",
                fields::json_kind(records)
            ))
        })?
        .first()
        .ok_or_else(|| error("`Records` is empty"))?;
    match sqs::event_source(first) {
        Some("aws:sqs") => sqs::parse(event),
        Some("aws:sns") => sns::parse(event),
        other => Err(error(format!(
            "`Records[0]` has event source {}; expected aws:sqs or aws:sns",
            other.map_or("(none)".to_string(), |s| format!("`{s}`"))
        ))),
    }
}

/// What an envelope (SNS notification) tells about the message inside: the fallbacks for what
/// the message itself does not say.
#[derive(Clone, Debug, Default)]
struct Around {
    /// The region of the topic.
    region: Option<String>,
    /// When the envelope was sent (SNS `Timestamp`).
    time: Option<Time>,
}

/// Classifies a message body: an EventBridge event, a CloudWatch alarm notification or a
/// CodeDeploy trigger notification.
fn message(value: &Value, what: &str, around: &Around) -> Result<Item, ParseError> {
    let object = as_object(value, what)?;
    if object.contains_key("detail-type") {
        eventbridge::event(value, what)
    } else if object.contains_key("AlarmName") {
        alarm::sns_message(value, what, around)
    } else if object.contains_key("deploymentId")
        && (object.contains_key("status") || object.contains_key("instanceStatus"))
    {
        codedeploy::trigger(value, what, around)
    } else {
        Err(error(format!(
            "{what} is JSON (keys: {}) but not a CloudWatch alarm notification (`AlarmName`), \
             a CodeDeploy trigger notification (`deploymentId` and `status` or \
             `instanceStatus`) or an EventBridge event (`detail-type`)",
            keys(object)
        )))
    }
}
