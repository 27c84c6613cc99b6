//! CloudWatch alarms (SigV4 service `monitoring`; RPC v2 CBOR, as the SDK sends it, or JSON
//! 1.0): `DescribeAlarms` as the service answers it (metric alarms only unless `AlarmTypes` asks
//! for composite ones, sorted by name, paginated, its validation errors), IAM on the alarms'
//! ARNs; its state (the alarms of every account), and the fake's controls of their states and
//! tags. `page_at` and `strings` serve the other services' lists too.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::protocol::{client_error, ApiError};
use crate::{epoch_seconds, own_account, string_field, FakeAws, Input, State, ACCOUNT};

const TYPES: [&str; 2] = ["MetricAlarm", "CompositeAlarm"];
const STATES: [&str; 3] = ["OK", "ALARM", "INSUFFICIENT_DATA"];
/// DescribeAlarms takes at most this many names and `MaxRecords`.
const LIMIT: usize = 100;
/// `MaxRecords` when not given.
const DEFAULT_RECORDS: usize = 50;

/// A CloudWatch alarm.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Alarm {
    #[serde(default = "own_account")]
    pub account: String,
    pub region: String,
    pub name: String,
    /// `MetricAlarm` (default) or `CompositeAlarm`.
    #[serde(default = "metric_alarm")]
    pub kind: String,
    /// `OK` (default), `ALARM` or `INSUFFICIENT_DATA`.
    #[serde(default = "ok")]
    pub state: String,
    /// `StateTransitionedTimestamp`, in seconds since the epoch; when not given, the time the
    /// alarm was added (or the seed restored).
    #[serde(default)]
    pub transitioned: Option<f64>,
    /// `StateUpdatedTimestamp`, in seconds since the epoch; when not given, `transitioned`.
    #[serde(default)]
    pub updated: Option<f64>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Tags removed since (the tagging API still lists the alarm for them, as AWS does).
    #[serde(default, rename = "formerTags")]
    pub former_tags: BTreeMap<String, String>,
    /// Composite alarms: `ActionsSuppressedBy` (`WaitPeriod`, `ExtensionPeriod`, `Alarm`);
    /// `None`: not suppressed.
    #[serde(default, rename = "actionsSuppressedBy")]
    pub actions_suppressed_by: Option<String>,
}

/// CloudWatch's state: the alarms and the metrics' datapoints of every account and region.
#[derive(Default)]
pub(crate) struct CloudWatch {
    pub(crate) alarms: Vec<Alarm>,
    pub(crate) metrics: Vec<crate::metrics::MetricPoint>,
}

fn metric_alarm() -> String {
    "MetricAlarm".into()
}

fn ok() -> String {
    "OK".into()
}

impl Alarm {
    /// A metric alarm in `OK`, in the function's own account.
    pub fn new(region: &str, name: &str) -> Self {
        Alarm {
            account: ACCOUNT.into(),
            region: region.into(),
            name: name.into(),
            kind: metric_alarm(),
            state: ok(),
            transitioned: None,
            updated: None,
            tags: BTreeMap::new(),
            former_tags: BTreeMap::new(),
            actions_suppressed_by: None,
        }
    }

    /// The same alarm as a composite alarm.
    pub fn composite(mut self) -> Self {
        self.kind = "CompositeAlarm".into();
        self
    }

    /// The same alarm, in `state` since `since`.
    pub fn state(mut self, state: &str, since: SystemTime) -> Self {
        self.state = state.into();
        self.transitioned = Some(epoch_seconds(since));
        self.updated = self.transitioned;
        self
    }

    /// The same alarm with this tag.
    pub fn tag(mut self, key: &str, value: &str) -> Self {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// The same alarm in another account.
    pub fn account(mut self, account: &str) -> Self {
        self.account = account.into();
        self
    }

    /// The same (composite) alarm with its actions suppressed `by` (`WaitPeriod`, …).
    pub fn suppressed(mut self, by: &str) -> Self {
        self.actions_suppressed_by = Some(by.into());
        self
    }

    /// `arn:aws:cloudwatch:{region}:{account}:alarm:{name}`.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:cloudwatch:{}:{}:alarm:{}",
            self.region, self.account, self.name
        )
    }

    /// With its state's time set to now when it has none.
    pub(crate) fn dated(mut self) -> Self {
        self.transitioned = self
            .transitioned
            .or_else(|| Some(epoch_seconds(SystemTime::now())));
        self
    }

    pub(crate) fn is_in(&self, account: &str, region: &str) -> bool {
        self.account == account && self.region == region
    }

    fn same(&self, other: &Alarm) -> bool {
        self.is_in(&other.account, &other.region) && self.name == other.name
    }

    /// As DescribeAlarms writes it.
    fn describe(&self) -> Value {
        let mut alarm = json!({
            "AlarmName": self.name,
            "AlarmArn": self.arn(),
            "StateValue": self.state,
            "StateReason": format!("Set to {} by the fake", self.state),
            "StateUpdatedTimestamp": self.updated.or(self.transitioned),
            "StateTransitionedTimestamp": self.transitioned,
            "ActionsEnabled": true,
        });
        if self.kind == "CompositeAlarm" {
            // The fake sets states directly, so the rule is never evaluated.
            alarm["AlarmRule"] = json!("FALSE");
            if let Some(by) = &self.actions_suppressed_by {
                alarm["ActionsSuppressedBy"] = json!(by);
            }
        }
        alarm
    }
}

impl FakeAws {
    /// Adds an alarm, or replaces the one of the same account, region and name.
    pub fn put_alarm(&self, alarm: Alarm) {
        let mut state = self.lock();
        let alarms = &mut state.cloudwatch.alarms;
        alarms.retain(|a| !a.same(&alarm));
        alarms.push(alarm.dated());
    }

    /// Sets the state of an alarm of the function's own account, as CloudWatch does: a new
    /// state moves both timestamps to now, the same state only `StateUpdatedTimestamp`.
    /// Panics when there is no such alarm.
    pub fn set_alarm_state(&self, region: &str, name: &str, state: &str) {
        let now = Some(epoch_seconds(SystemTime::now()));
        let mut guard = self.lock();
        let alarm = own_alarm(&mut guard, region, name);
        if alarm.state != state {
            alarm.state = state.into();
            alarm.transitioned = now;
        }
        alarm.updated = now;
    }

    /// Removes a tag of an alarm of the function's own account (it becomes a former tag).
    /// Panics when there is no such alarm.
    pub fn untag_alarm(&self, region: &str, name: &str, key: &str) {
        let mut guard = self.lock();
        let alarm = own_alarm(&mut guard, region, name);
        if let Some(value) = alarm.tags.remove(key) {
            alarm.former_tags.insert(key.into(), value);
        }
    }
}

fn own_alarm<'a>(state: &'a mut State, region: &str, name: &str) -> &'a mut Alarm {
    state
        .cloudwatch
        .alarms
        .iter_mut()
        .find(|a| a.is_in(ACCOUNT, region) && a.name == name)
        .unwrap_or_else(|| panic!("the fake has no alarm {name} in {region}"))
}

/// The page of `items` that starts at `token` (`page-N`; `None`: the first), of at most `size`,
/// with the token of the next page; `None` for a token the fake did not give.
pub(crate) fn page_at<T: Clone>(
    items: &[T],
    token: Option<&str>,
    size: usize,
) -> Option<(Vec<T>, Option<String>)> {
    let start = match token {
        None => 0,
        Some(token) => token
            .strip_prefix("page-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())?,
    };
    let end = (start + size.max(1)).min(items.len());
    let next = (end < items.len()).then(|| format!("page-{end}"));
    Some((items[start..end].to_vec(), next))
}

/// A list of strings the input gives (`None`: absent); anything else in it is invalid.
pub(crate) fn strings<'a>(body: &'a Value, field: &str) -> Result<Option<Vec<&'a str>>, ApiError> {
    let Some(list) = body.get(field).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    list.as_array()
        .and_then(|items| items.iter().map(Value::as_str).collect::<Option<Vec<_>>>())
        .map(Some)
        .ok_or_else(|| {
            client_error(
                "SerializationException",
                format!("{field} is not a list of strings"),
            )
        })
}

pub(crate) fn validation(message: String) -> ApiError {
    client_error(
        "ValidationError",
        format!("1 validation error detected: {message}"),
    )
}

/// A `DescribeAlarms` request, validated.
struct Query<'a> {
    names: Option<Vec<&'a str>>,
    prefix: Option<&'a str>,
    types: Vec<&'a str>,
    state: Option<&'a str>,
    records: usize,
}

impl Query<'_> {
    fn matches(&self, alarm: &Alarm) -> bool {
        self.types.contains(&alarm.kind.as_str())
            && self.state.is_none_or(|s| alarm.state == s)
            && (self.names.as_ref()).is_none_or(|n| n.contains(&alarm.name.as_str()))
            && self.prefix.is_none_or(|p| alarm.name.starts_with(p))
    }
}

/// `DescribeAlarms`' input, with CloudWatch's validation errors.
fn query(body: &Value) -> Result<Query<'_>, ApiError> {
    let names = strings(body, "AlarmNames")?;
    let prefix = string_field(body, "AlarmNamePrefix");
    if names.as_ref().is_some_and(|names| names.len() > LIMIT) {
        return Err(validation(format!(
            "Value at 'alarmNames' failed to satisfy constraint: Member must have length \
             less than or equal to {LIMIT}"
        )));
    }
    if names.is_some() && prefix.is_some() {
        return Err(client_error(
            "InvalidParameterCombination",
            "AlarmNames and AlarmNamePrefix cannot be specified together.",
        ));
    }
    for unsupported in ["ChildrenOfAlarmName", "ParentsOfAlarmName", "ActionPrefix"] {
        if body.get(unsupported).is_some_and(|v| !v.is_null()) {
            return Err(validation(format!(
                "the fake does not filter by {unsupported}"
            )));
        }
    }
    let types = strings(body, "AlarmTypes")?
        .filter(|types| !types.is_empty())
        .unwrap_or(vec!["MetricAlarm"]);
    if let Some(bad) = types.iter().find(|t| !TYPES.contains(t)) {
        return Err(validation(format!(
            "Value '{bad}' at 'alarmTypes' failed to satisfy constraint: Member must \
             satisfy enum value set: [{}]",
            TYPES.join(", ")
        )));
    }
    let state = string_field(body, "StateValue");
    if let Some(bad) = state.filter(|s| !STATES.contains(s)) {
        return Err(validation(format!(
            "Value '{bad}' at 'stateValue' failed to satisfy constraint: Member must \
             satisfy enum value set: [{}]",
            STATES.join(", ")
        )));
    }
    let records = max_records(body)?;
    Ok(Query {
        names,
        prefix,
        types,
        state,
        records,
    })
}

/// `MaxRecords`, between 1 and [`LIMIT`]; [`DEFAULT_RECORDS`] when not given.
fn max_records(body: &Value) -> Result<usize, ApiError> {
    let Some(n) = body.get("MaxRecords").filter(|v| !v.is_null()) else {
        return Ok(DEFAULT_RECORDS);
    };
    n.as_u64()
        .map(|n| n as usize)
        .filter(|n| (1..=LIMIT).contains(n))
        .ok_or_else(|| {
            validation(format!(
                "Value '{n}' at 'maxRecords' failed to satisfy constraint: Member must \
                 have value between 1 and {LIMIT}"
            ))
        })
}

/// `DescribeAlarms`, in the caller's account. IAM: `cloudwatch:DescribeAlarms` takes the `alarm`
/// resource type, so a call naming alarms is authorized on the ARN of each alarm it returns,
/// any other call on `arn:aws:cloudwatch:{region}:{account}:alarm:*`.
pub(crate) fn describe_alarms(state: &mut State, input: &Input) -> Result<Value, ApiError> {
    let (account, region, body) = (input.account(), input.region, input.body);
    let query = query(body)?;
    let mut found: Vec<&Alarm> = state
        .cloudwatch
        .alarms
        .iter()
        .filter(|a| a.is_in(account, region) && query.matches(a))
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    let size = state
        .page_size
        .map_or(query.records, |page| page.min(query.records));
    let (page, next) = page_at(&found, string_field(body, "NextToken"), size)
        .ok_or_else(|| client_error("InvalidNextToken", "The service cannot parse the token."))?;
    let resources = match query.names {
        Some(_) => page.iter().map(|a| a.arn()).collect(),
        None => vec![format!("arn:aws:cloudwatch:{region}:{account}:alarm:*")],
    };
    for resource in resources {
        let action = "cloudwatch:DescribeAlarms";
        input.caller.authorize(action, &resource, account, region)?;
    }
    let of_kind = |kind: &str| -> Vec<Value> {
        page.iter()
            .filter(|a| a.kind == kind)
            .map(|a| a.describe())
            .collect()
    };
    let mut answer = json!({
        "MetricAlarms": of_kind("MetricAlarm"),
        "CompositeAlarms": of_kind("CompositeAlarm"),
    });
    if let Some(next) = next {
        answer["NextToken"] = json!(next);
    }
    Ok(answer)
}
