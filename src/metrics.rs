//! Metrics in CloudWatch Embedded Metric Format: one JSON document per line on stdout, which
//! CloudWatch Logs turns into metrics with no call from the function. For each decision, a count
//! by outcome (`Stopped`, `WouldStop`, `StopFailed`, `Skipped`, `AlreadyCompleted`) and, for a
//! stop, the time from the signal to the accepted stop (`SignalToStop`), each both without
//! dimensions and by `ApplicationName` and `DeploymentGroupName`; for an invocation with
//! failures, `LookupsFailed` and `NotificationsFailed`. (No crate: the format is two small
//! functions, and the well-kept one pulls in a metrics framework.)

use serde_json::{json, Map, Value};

use crate::act::Acted;
use crate::time::Time;
use crate::types::Outcome;

/// The CloudWatch namespace of every metric.
pub const NAMESPACE: &str = "DeploymentCircuitBreaker";

/// The document `root` (its values and properties) with the metadata that declares `metrics`
/// (name and unit) under `dimensions`, at `now`.
fn document(
    mut root: Map<String, Value>,
    metrics: &[(&str, &str)],
    dimensions: Value,
    now: Time,
) -> String {
    let metrics: Vec<Value> = metrics
        .iter()
        .map(|(name, unit)| json!({ "Name": name, "Unit": unit }))
        .collect();
    root.insert(
        "_aws".into(),
        json!({
            "Timestamp": now.millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": dimensions,
                "Metrics": metrics,
            }],
        }),
    );
    Value::Object(root).to_string()
}

/// The document of one decision.
pub fn decision(acted: &Acted, now: Time) -> String {
    let action = &acted.action;
    let name = action.outcome.metric();
    let mut root = Map::new();
    root.insert(name.into(), json!(1));
    let mut metrics = vec![(name, "Count")];
    if let (Outcome::Stopped, Some(stopped)) = (action.outcome, acted.stopped_at) {
        let millis = (stopped.millis() - acted.signal.time.millis()).max(0);
        root.insert("SignalToStop".into(), json!(millis));
        metrics.push(("SignalToStop", "Milliseconds"));
    }
    let group = (&action.application_name, &action.deployment_group_name);
    let dimensions = match group {
        (Some(application), Some(group)) if !application.is_empty() && !group.is_empty() => {
            root.insert("ApplicationName".into(), json!(application));
            root.insert("DeploymentGroupName".into(), json!(group));
            json!([[], ["ApplicationName", "DeploymentGroupName"]])
        }
        _ => json!([[]]),
    };
    for (key, value) in [
        ("DeploymentId", &action.deployment_id),
        ("Account", &action.account),
        ("Region", &action.region),
    ] {
        root.insert(key.into(), json!(value));
    }
    root.insert("Outcome".into(), json!(action.outcome.to_string()));
    document(root, &metrics, dimensions, now)
}

/// What the canary judge said at a settled hook, as metrics: a count of its verdict
/// (`JudgePass`, `JudgeFail`, `JudgeInconclusive`), the errors test's p-value (`JudgeErrorsP`),
/// and, for a fail, the milliseconds from the first bad minute to the answer.
pub struct Judged {
    pub verdict: &'static str,
    pub errors_p: Option<f64>,
    pub bad_minute_to_answer_ms: Option<i64>,
}

impl Judged {
    /// Its values into a document's `root`, and their names and units into `metrics`.
    fn insert(&self, (root, metrics): (&mut Map<String, Value>, &mut Vec<(&str, &str)>)) {
        root.insert(self.verdict.into(), json!(1));
        metrics.push((self.verdict, "Count"));
        if let Some(p) = self.errors_p {
            root.insert("JudgeErrorsP".into(), json!(p));
            metrics.push(("JudgeErrorsP", "None"));
        }
        if let Some(millis) = self.bad_minute_to_answer_ms {
            root.insert("BadMinuteToGateAnswer".into(), json!(millis.max(0)));
            metrics.push(("BadMinuteToGateAnswer", "Milliseconds"));
        }
    }
}

/// The document of one look at a hook: a count by `outcome` (`GatePassed`, `GateFailed`,
/// `GateNotGuarded`, `GateCouldNotCheck`, `GateWaiting`, `GateDropped`), the seconds a bake ran,
/// once it ended (`BakeSeconds`) and, for a hook failed by an alarm, the time from the alarm entering ALARM to
/// the answer (`AlarmToGateAnswer`), and what the canary judge said ([`Judged`]); without dimensions
/// and by group.
pub fn gate(
    outcome: &str,
    (application, group): (Option<&str>, Option<&str>),
    (baked_seconds, alarm_to_answer_ms): (Option<i64>, Option<i64>),
    judged: Option<Judged>,
    now: Time,
) -> String {
    let mut root = Map::new();
    root.insert(outcome.into(), json!(1));
    let mut metrics = vec![(outcome, "Count")];
    if let Some(seconds) = baked_seconds {
        root.insert("BakeSeconds".into(), json!(seconds));
        metrics.push(("BakeSeconds", "Seconds"));
    }
    if let Some(millis) = alarm_to_answer_ms {
        root.insert("AlarmToGateAnswer".into(), json!(millis.max(0)));
        metrics.push(("AlarmToGateAnswer", "Milliseconds"));
    }
    if let Some(judged) = judged {
        judged.insert((&mut root, &mut metrics));
    }
    let dimensions = match (application, group) {
        (Some(application), Some(group)) if !application.is_empty() && !group.is_empty() => {
            root.insert("ApplicationName".into(), json!(application));
            root.insert("DeploymentGroupName".into(), json!(group));
            json!([[], ["ApplicationName", "DeploymentGroupName"]])
        }
        _ => json!([[]]),
    };
    document(root, &metrics, dimensions, now)
}

/// The document of one poll of the breaker's canary judge: what it said ([`Judged`]), and, for a
/// deployment it stopped, the seconds from the first bad minute to the stop
/// (`FirstBadMinuteToStop`); without dimensions.
pub fn judging(judged: Option<&Judged>, first_bad_to_stop: Option<i64>, now: Time) -> String {
    let mut root = Map::new();
    let mut metrics = Vec::new();
    if let Some(judged) = judged {
        judged.insert((&mut root, &mut metrics));
    }
    if let Some(seconds) = first_bad_to_stop {
        root.insert("FirstBadMinuteToStop".into(), json!(seconds.max(0)));
        metrics.push(("FirstBadMinuteToStop", "Seconds"));
    }
    document(root, &metrics, json!([[]]), now)
}

/// The document of one readiness check in one account and region: its `CheckFailures`,
/// `UnguardedGroups` and `DanglingMappings` (0 when there are none, so a check that stops
/// running leaves a gap), without dimensions and by `Account` and `Region`.
pub fn check(
    (account, region): (&str, &str),
    (failures, unguarded, dangling): (usize, usize, usize),
    now: Time,
) -> String {
    let mut root = Map::new();
    root.insert("CheckFailures".into(), json!(failures));
    root.insert("UnguardedGroups".into(), json!(unguarded));
    root.insert("DanglingMappings".into(), json!(dangling));
    root.insert("Account".into(), json!(account));
    root.insert("Region".into(), json!(region));
    let metrics = [
        ("CheckFailures", "Count"),
        ("UnguardedGroups", "Count"),
        ("DanglingMappings", "Count"),
    ];
    document(root, &metrics, json!([[], ["Account", "Region"]]), now)
}

/// The document of an invocation's failed lookups and notifications, when there were any.
pub fn failures(lookups: usize, notifications: usize, now: Time) -> Option<String> {
    if lookups == 0 && notifications == 0 {
        return None;
    }
    let mut root = Map::new();
    root.insert("LookupsFailed".into(), json!(lookups));
    root.insert("NotificationsFailed".into(), json!(notifications));
    let metrics = [("LookupsFailed", "Count"), ("NotificationsFailed", "Count")];
    Some(document(root, &metrics, json!([[]]), now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::act::Action;
    use crate::types::SignalSummary;

    /// The units CloudWatch accepts (StandardUnit).
    const UNITS: [&str; 27] = [
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    ];

    /// Checks a log line against the Embedded Metric Format specification: a JSON object with
    /// `_aws` holding an integer millisecond `Timestamp` (no more than two weeks past, two
    /// hours ahead) and an array of metric directives, each with a namespace (1–256 characters
    /// of `[a-zA-Z0-9._#:/-]`), dimension sets of at most 30 names of root members holding
    /// strings (names ASCII, not starting with `:`, at most 250 characters; values 1–1024
    /// characters), and at most 100 metrics, each naming a root member holding a number (or up
    /// to 100 numbers) with a unit CloudWatch knows.
    fn check(line: &str, now: Time) -> Result<(), String> {
        let root: Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let root = root.as_object().ok_or("the document is no object")?;
        let aws = root["_aws"].as_object().ok_or("no `_aws` object")?;
        let timestamp = aws["Timestamp"]
            .as_i64()
            .ok_or("`Timestamp` is no integer")?;
        let age = now.millis() - timestamp;
        if !(-7_200_000..=1_209_600_000).contains(&age) {
            return Err(format!("`Timestamp` {timestamp} is out of range"));
        }
        let directives = aws["CloudWatchMetrics"]
            .as_array()
            .ok_or("`CloudWatchMetrics` is no array")?;
        for directive in directives {
            let namespace = directive["Namespace"].as_str().ok_or("no `Namespace`")?;
            let valid = |c: char| c.is_ascii_alphanumeric() || "._#:/-".contains(c);
            if namespace.is_empty() || namespace.len() > 256 || !namespace.chars().all(valid) {
                return Err(format!("bad namespace `{namespace}`"));
            }
            let sets = directive["Dimensions"]
                .as_array()
                .ok_or("no `Dimensions`")?;
            for set in sets {
                let set = set.as_array().ok_or("a dimension set is no array")?;
                if set.len() > 30 {
                    return Err("more than 30 dimensions in a set".into());
                }
                for name in set {
                    let name = name.as_str().ok_or("a dimension name is no string")?;
                    if name.is_empty()
                        || name.len() > 250
                        || !name.is_ascii()
                        || name.starts_with(':')
                    {
                        return Err(format!("bad dimension name `{name}`"));
                    }
                    let value = root.get(name).and_then(Value::as_str);
                    if !value.is_some_and(|v| (1..=1024).contains(&v.len())) {
                        return Err(format!(
                            "dimension `{name}` has no string value at the root"
                        ));
                    }
                }
            }
            let metrics = directive["Metrics"].as_array().ok_or("no `Metrics`")?;
            if metrics.len() > 100 {
                return Err("more than 100 metrics".into());
            }
            for metric in metrics {
                let name = metric["Name"].as_str().ok_or("a metric has no `Name`")?;
                let value = root
                    .get(name)
                    .ok_or(format!("no value for metric `{name}`"))?;
                let numbers = match value {
                    Value::Array(values) if values.len() <= 100 => {
                        values.iter().all(Value::is_number)
                    }
                    other => other.is_number(),
                };
                if !numbers {
                    return Err(format!("metric `{name}` has no numeric value"));
                }
                if let Some(unit) = metric.get("Unit") {
                    if !unit.as_str().is_some_and(|u| UNITS.contains(&u)) {
                        return Err(format!("metric `{name}` has an unknown unit {unit}"));
                    }
                }
            }
        }
        Ok(())
    }

    fn now() -> Time {
        Time::parse("2026-11-30T10:00:05Z").unwrap()
    }

    fn acted(outcome: Outcome, group: Option<&str>) -> Acted {
        let signal_time = Time::parse("2026-11-30T10:00:00Z").unwrap();
        Acted {
            action: Action {
                deployment_id: "d-AAAAAAAA1".into(),
                application_name: group.map(|_| "shop".into()),
                deployment_group_name: group.map(Into::into),
                account: "123456789012".into(),
                region: "us-east-1".into(),
                outcome,
                stop_status: None,
                redeployment_id: None,
                reason: "r".into(),
                error_code: None,
            },
            signal: SignalSummary::alarm("a", signal_time),
            stopped_at: (outcome == Outcome::Stopped).then(|| signal_time.plus_secs(2)),
        }
    }

    #[test]
    fn every_document_meets_the_specification() {
        let outcomes = [
            Outcome::Stopped,
            Outcome::WouldStop,
            Outcome::Failed,
            Outcome::Skipped,
            Outcome::AlreadyCompleted,
            Outcome::Redeployed,
            Outcome::WouldRedeploy,
        ];
        for outcome in outcomes {
            for group in [Some("prod"), None] {
                let line = decision(&acted(outcome, group), now());
                assert_eq!(check(&line, now()), Ok(()), "{line}");
                assert!(!line.contains('\n'));
            }
        }
        let failures = failures(1, 2, now()).unwrap();
        assert_eq!(check(&failures, now()), Ok(()), "{failures}");
        assert_eq!(super::failures(0, 0, now()), None);
        for group in [(Some("shop"), Some("prod")), (None, None)] {
            for timed in [Some(1500), None] {
                let line = gate("GateFailed", group, (Some(30), timed), None, now());
                assert_eq!(check(&line, now()), Ok(()), "{line}");
            }
        }
    }

    #[test]
    fn a_stop_counts_once_and_times_signal_to_stop_by_group() {
        let line = decision(&acted(Outcome::Stopped, Some("prod")), now());
        let doc: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(doc["Stopped"], 1);
        assert_eq!(doc["SignalToStop"], 2000);
        assert_eq!(doc["ApplicationName"], "shop");
        assert_eq!(doc["DeploymentGroupName"], "prod");
        assert_eq!(doc["_aws"]["Timestamp"], now().millis());
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(
            directive["Dimensions"],
            json!([[], ["ApplicationName", "DeploymentGroupName"]])
        );
        assert_eq!(
            directive["Metrics"],
            json!([{"Name": "Stopped", "Unit": "Count"},
                   {"Name": "SignalToStop", "Unit": "Milliseconds"}])
        );
        let failed = decision(&acted(Outcome::Failed, None), now());
        let doc: Value = serde_json::from_str(&failed).unwrap();
        assert_eq!(doc["StopFailed"], 1);
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[]])
        );
    }

    #[test]
    fn the_check_refuses_what_the_specification_does() {
        let good: Value =
            serde_json::from_str(&decision(&acted(Outcome::Stopped, Some("prod")), now())).unwrap();
        let broken = |change: fn(&mut Value)| {
            let mut doc = good.clone();
            change(&mut doc);
            check(&doc.to_string(), now())
        };
        assert!(broken(|d| d["_aws"]["Timestamp"] = json!("now")).is_err());
        assert!(broken(|d| d["_aws"]["Timestamp"] = json!(0)).is_err());
        assert!(broken(|d| d["_aws"]["CloudWatchMetrics"][0]["Namespace"] = json!("a b")).is_err());
        assert!(broken(|d| d["DeploymentGroupName"] = json!(7)).is_err());
        assert!(broken(|d| d["Stopped"] = json!("1")).is_err());
        assert!(broken(
            |d| d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = json!("Trips")
        )
        .is_err());
        assert!(broken(|d| d
            .as_object_mut()
            .unwrap()
            .remove("SignalToStop")
            .map(drop)
            .unwrap_or(()))
        .is_err());
    }
}
