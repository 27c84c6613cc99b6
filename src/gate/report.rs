//! What the gate did with one hook: its answer, why, and every alarm it weighed.

use std::collections::BTreeSet;

use serde::{Serialize, Serializer};

use super::call::HookCall;
use super::verdict::{failing, Judged, Judgement};
use crate::config::GateOnError;
use crate::judge::{Canary, Verdict};
use crate::time::Time;
use crate::types::{detail_type, HookAnswer, LifecycleEvent};

/// How a hook ended for the gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateOutcome {
    /// No guarding alarm entered ALARM (through the bake, if any): `Succeeded`.
    Passed,
    /// A guarding alarm entered ALARM after the deployment was created: `Failed`, so CodeDeploy
    /// rolls back.
    Failed,
    /// The group is outside `ALLOWED_DEPLOYMENT_GROUPS`: `Succeeded`.
    NotGuarded,
    /// The alarms could not be read: answered as `GATE_ON_ERROR` says.
    CouldNotCheck,
    /// Not settled yet (the bake goes on, or a read failed): the gate looks again through its
    /// queue; not answered yet.
    Waiting,
    /// A queue message that is not the next look at a hook the gate watches (a repeat, a hook
    /// answered already, or a forgery): nothing done.
    Dropped,
    /// `DRY_RUN`: it would have answered `Failed`, and answered `Succeeded`.
    WouldFail,
}

/// How an outcome is spelt: in reports and logs, as a metric, and as the detail-type of its
/// event for people (none: not told).
struct Spelling {
    name: &'static str,
    metric: &'static str,
    detail_type: Option<&'static str>,
}

impl GateOutcome {
    /// The one list of how each outcome is spelt.
    const fn spelling(self) -> Spelling {
        use detail_type::{GATE_COULD_NOT_CHECK, GATE_FAILED, GATE_WOULD_FAIL};
        let (name, metric, detail_type) = match self {
            GateOutcome::Passed => ("passed", "GatePassed", None),
            GateOutcome::Failed => ("failed", "GateFailed", Some(GATE_FAILED)),
            GateOutcome::NotGuarded => ("not_guarded", "GateNotGuarded", None),
            GateOutcome::CouldNotCheck => (
                "could_not_check",
                "GateCouldNotCheck",
                Some(GATE_COULD_NOT_CHECK),
            ),
            GateOutcome::Waiting => ("waiting", "GateWaiting", None),
            GateOutcome::Dropped => ("dropped", "GateDropped", None),
            GateOutcome::WouldFail => ("would_fail", "GateWouldFail", Some(GATE_WOULD_FAIL)),
        };
        Spelling {
            name,
            metric,
            detail_type,
        }
    }

    /// As the report spells it.
    pub const fn as_str(self) -> &'static str {
        self.spelling().name
    }

    /// The EMF metric counting it.
    pub const fn metric(self) -> &'static str {
        self.spelling().metric
    }

    /// The detail type of its event for people, when it deserves one.
    pub const fn detail_type(self) -> Option<&'static str> {
        self.spelling().detail_type
    }
}

impl Serialize for GateOutcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The names of the alarms among `judged` in `INSUFFICIENT_DATA`.
pub fn insufficient_data(judged: &[Judged]) -> impl Iterator<Item = String> + '_ {
    (judged.iter())
        .filter(|j| {
            j.guard
                .alarm
                .state
                .eq_ignore_ascii_case("INSUFFICIENT_DATA")
        })
        .map(|j| j.guard.alarm.name.clone())
}

/// The gate's result for one invocation.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GateReport {
    pub deployment_id: String,
    /// The hook's execution ID, hashed (see [`HookCall::execution_hash`]).
    pub lifecycle_event_hook_execution_hash: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_group_name: Option<String>,
    /// The lifecycle event the hook serves, when CodeDeploy said.
    pub lifecycle_event: Option<LifecycleEvent>,
    pub outcome: GateOutcome,
    /// What CodeDeploy was told (`None`: nothing yet).
    pub answer: Option<HookAnswer>,
    /// CodeDeploy had an answer already (a repeated invocation); this one was not taken.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub already_answered: bool,
    pub reason: String,
    pub alarms: Vec<Judged>,
    /// Seconds the bake ran, once it ended (passed at its end, or failed during it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baked_seconds: Option<i64>,
    /// When the bake ends, for a bake.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bake_ends: Option<Time>,
    /// The guarding alarms seen in `INSUFFICIENT_DATA` (at any poll of a bake): they could say
    /// nothing, so they could not fail the hook.
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub insufficient_data: BTreeSet<String>,
    /// The canary judge's judgement of the traffic shift, at the hook after it (`JUDGE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judge: Option<Canary>,
    /// What could not be read or told, one line each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl GateReport {
    /// The report of `call` before anything is known: could not check, not answered.
    pub fn new(call: &HookCall) -> GateReport {
        GateReport {
            deployment_id: call.deployment_id.clone(),
            lifecycle_event_hook_execution_hash: call.execution_hash(),
            application_name: None,
            deployment_group_name: None,
            lifecycle_event: None,
            outcome: GateOutcome::CouldNotCheck,
            answer: None,
            already_answered: false,
            reason: String::new(),
            alarms: Vec::new(),
            baked_seconds: None,
            bake_ends: None,
            insufficient_data: BTreeSet::new(),
            judge: None,
            errors: Vec::new(),
        }
    }

    /// Ends it with `outcome`, `answer` and `reason`.
    pub fn settle(
        mut self,
        outcome: GateOutcome,
        answer: Option<HookAnswer>,
        reason: String,
    ) -> Self {
        self.outcome = outcome;
        self.answer = answer;
        self.reason = reason;
        self
    }

    /// Under `DRY_RUN` nothing is rolled back: a `Failed` answer becomes `Succeeded`, and says
    /// so (a check that could not be made stays `could_not_check`).
    pub fn dry_run(mut self) -> Self {
        if self.answer != Some(HookAnswer::Failed) {
            return self;
        }
        if self.outcome == GateOutcome::Failed {
            self.outcome = GateOutcome::WouldFail;
        }
        self.answer = Some(HookAnswer::Succeeded);
        self.reason
            .push_str(" (DRY_RUN: answered Succeeded instead)");
        self
    }

    /// Ends it unchecked, answered as `GATE_ON_ERROR` says.
    pub fn could_not_check(self, on_error: GateOnError, why: String) -> Self {
        let (answer, policy) = match on_error {
            GateOnError::Succeed => (
                HookAnswer::Succeeded,
                "GATE_ON_ERROR=succeed lets the deployment go on",
            ),
            GateOnError::Fail => (HookAnswer::Failed, "GATE_ON_ERROR=fail rolls it back"),
        };
        let reason = format!("{why}: {policy}");
        self.settle(GateOutcome::CouldNotCheck, Some(answer), reason)
    }

    /// Ends it failed, by the alarms in `judged` that entered ALARM.
    pub fn failed(mut self, judged: Vec<Judged>, created: Time) -> Self {
        let names: Vec<String> = failing(&judged)
            .map(|j| {
                let at = j
                    .guard
                    .alarm
                    .transitioned
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                format!("alarm `{}` entered ALARM at {at}", j.guard.alarm.name)
            })
            .collect();
        self.alarms = judged;
        let reason = format!(
            "{}, after the deployment was created at {created}: failed so that CodeDeploy rolls it back",
            names.join(", ")
        );
        self.settle(GateOutcome::Failed, Some(HookAnswer::Failed), reason)
    }

    /// Ends it failed by the canary judge (`JUDGE=enforce`), with its numbers.
    pub fn judged_failed(self, judgement: Canary) -> Self {
        let reason = format!(
            "the canary judge: {}: failed so that CodeDeploy rolls it back",
            judgement.reason
        );
        let mut report = self.settle(GateOutcome::Failed, Some(HookAnswer::Failed), reason);
        report.judge = Some(judgement);
        report
    }

    /// Ends it passed, naming the alarms that were already in ALARM.
    pub fn passed(mut self, judged: Vec<Judged>) -> Self {
        let group = format!(
            "{}/{}",
            self.application_name.as_deref().unwrap_or_default(),
            self.deployment_group_name.as_deref().unwrap_or_default()
        );
        let mut reason = if judged.is_empty() {
            format!(
                "no alarm guards {group} (tag alarms for it unless ALARM_TAG_MAPPING is off, \
                 add an ALARM_RULES entry, or list alarms on the group; named under \
                 ALARM_NAME_PREFIX when it is set)"
            )
        } else {
            format!(
                "none of the {} alarms that guard {group} entered ALARM",
                judged.len()
            )
        };
        if self.bake_ends.is_some() {
            reason.push_str(" during the bake");
        }
        let already: Vec<&str> = judged
            .iter()
            .filter(|j| j.judgement == Judgement::AlreadyInAlarm)
            .map(|j| j.guard.alarm.name.as_str())
            .collect();
        if !already.is_empty() {
            reason.push_str(&format!(
                "; already in ALARM before the deployment (reported, not failing it): {}",
                already.join(", ")
            ));
        }
        self.insufficient_data.extend(insufficient_data(&judged));
        if !self.insufficient_data.is_empty() {
            let names: Vec<&str> = self.insufficient_data.iter().map(String::as_str).collect();
            reason.push_str(&format!(
                "; in INSUFFICIENT_DATA, so they could not fail it: {}",
                names.join(", ")
            ));
        }
        if let Some(j) = self.judge.as_ref().filter(|j| j.verdict == Verdict::Fail) {
            reason.push_str(&format!(
                "; the canary judge would fail it (JUDGE=report): {}",
                j.reason
            ));
        }
        self.alarms = judged;
        self.settle(GateOutcome::Passed, Some(HookAnswer::Succeeded), reason)
    }
}

#[cfg(test)]
mod tests {
    use super::GateOutcome::*;

    #[test]
    fn each_outcome_is_spelt_as_reports_logs_and_metrics_have_always_spelt_it() {
        let spelt = [
            (Passed, "passed", "GatePassed"),
            (Failed, "failed", "GateFailed"),
            (NotGuarded, "not_guarded", "GateNotGuarded"),
            (CouldNotCheck, "could_not_check", "GateCouldNotCheck"),
            (Waiting, "waiting", "GateWaiting"),
            (Dropped, "dropped", "GateDropped"),
            (WouldFail, "would_fail", "GateWouldFail"),
        ];
        for (outcome, name, metric) in spelt {
            assert_eq!(serde_json::to_value(outcome).unwrap(), name);
            assert_eq!((outcome.as_str(), outcome.metric()), (name, metric));
        }
    }
}
