//! What parsing makes of a payload: signals, with what each says, when and from where.

use std::collections::BTreeMap;
use std::fmt;

use crate::time::Time;
use crate::types::{EventKind, NotActed, SignalSummary};

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
    /// `"redeploy": true`: a finished deployment it finds may be redeployed (see `decide`).
    pub redeploy: bool,
}

/// What a signal says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    Alarm(Alarm),
    CodeDeploy(CodeDeployEvent),
    KillSwitch(KillSwitch),
}

/// What AWS itself wrote around a payload, and so vouches for: who may have written the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// Invoked directly (an alarm action, an EventBridge rule, a person with
    /// `lambda:InvokeFunction`): nothing but the payload tells where it comes from.
    Invoke,
    /// An SNS topic, by ARN (the envelope's `TopicArn`): whoever may publish to it wrote the body.
    Topic(String),
    /// An SQS queue, by ARN (the record's `eventSourceARN`): whoever may send to it wrote the body.
    Queue(String),
    /// A caller of the function URL, as IAM signed them in (`requestContext.authorizer.iam`).
    Caller { account: String, arn: String },
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
    /// What carried it.
    pub via: Via,
}

impl Signal {
    /// What it was, for reports, notifications and metrics, as having happened at `time`:
    /// the one place a signal is named.
    pub fn summary(&self, time: Time) -> SignalSummary {
        let (kind, name, label) = match &self.what {
            What::Alarm(alarm) => ("alarm", alarm.name.clone(), format!("alarm {}", alarm.name)),
            What::CodeDeploy(event) => {
                let scope = match event.scope {
                    Scope::Deployment => "deployment",
                    Scope::Instance => "instance",
                };
                let name = format!("{scope} {} event for {}", event.state, event.deployment_id);
                let label = format!("CodeDeploy {name}");
                ("codedeploy", name, label)
            }
            What::KillSwitch(kill) => ("kill_switch", kill.reason.clone(), "kill switch".into()),
        };
        let redeploy = match &self.what {
            What::KillSwitch(kill) => kill.redeploy,
            _ => true,
        };
        let by = match &self.via {
            Via::Caller { arn, .. } => Some(arn.clone()),
            _ => None,
        };
        let label = match &by {
            Some(by) => format!("{label} pressed by {by}"),
            None => label,
        };
        SignalSummary {
            kind,
            name,
            time,
            by,
            label,
            redeploy,
        }
    }
}

/// One parsed unit: a signal, or something ignored with a reason.
// Most items are signals, and there are a few per invocation: boxing would only add allocations.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Signal(Signal),
    Ignored(NotActed),
}

impl Item {
    /// The item, its signal (if it is one) carried by `via`.
    pub(super) fn carried_by(self, via: Via) -> Item {
        match self {
            Item::Signal(signal) => Item::Signal(Signal { via, ..signal }),
            ignored => ignored,
        }
    }
}

/// One SQS record: its message ID and what its body held.
#[derive(Debug)]
pub struct SqsRecord {
    pub message_id: String,
    pub item: Result<Item, ParseError>,
}

/// A parsed invocation payload.
#[allow(clippy::large_enum_variant)] // one per invocation
#[derive(Debug)]
pub enum Parsed {
    /// Everything but SQS: the invocation succeeds or fails as a whole.
    Direct(Vec<Item>),
    /// An SQS batch: each record succeeds or fails on its own.
    Sqs(Vec<SqsRecord>),
    /// A function URL request, answered in HTTP.
    Url(UrlRequest),
}

/// What a function URL request holds.
#[allow(clippy::large_enum_variant)] // one per invocation
#[derive(Debug)]
pub enum UrlRequest {
    /// A kill switch, pressed by the caller IAM signed in.
    KillSwitch(Item),
    /// A request no IAM principal signed (answered 403).
    Unsigned(ParseError),
    /// A body that is not a kill switch (answered 400).
    Invalid(ParseError),
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

/// What an envelope (SNS notification) tells about the message inside: the fallbacks for what
/// the message itself does not say.
#[derive(Clone, Debug, Default)]
pub(super) struct Around {
    /// The region of the topic.
    pub(super) region: Option<String>,
    /// When the envelope was sent (SNS `Timestamp`).
    pub(super) time: Option<Time>,
}
