//! The readiness report: what it read in each account and region, the map of what guards each
//! group, and the findings, each with what to do about it.

use serde::{Serialize, Serializer};

use super::access::Permissions;
use crate::guards::Guard;
use crate::time::Time;
use crate::types::detail_type;

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// The target role could not be assumed.
    RoleNotAssumable,
    /// A read the breaker makes was refused or failed.
    ReadFailed,
    /// The simulator says a change call is denied.
    ChangeDenied,
    /// The simulator could not be asked.
    NotSimulated,
    /// The notification bus refused the check's own event.
    BusRejected,
    /// An alarm's tags name an application or group that does not exist there.
    DanglingTag,
    /// An `ALARM_RULES` entry maps to an application or group that does not exist there.
    DanglingRule,
    /// A group's own alarm configuration names an alarm CloudWatch does not know.
    AlarmNotFound,
    /// A group in scope that no alarm guards.
    UnguardedGroup,
    /// An `ALARM_RULES` glob that matches no alarm.
    RuleMatchesNothing,
    /// An `ALLOWED_DEPLOYMENT_GROUPS` entry that matches no group.
    ScopeMatchesNothing,
}

impl Kind {
    /// A failure: a stop that should happen would fail, or nobody would be told of it. The rest
    /// are gaps: a deployment the breaker would never be asked to stop.
    pub fn is_failure(self) -> bool {
        use Kind::*;
        matches!(
            self,
            RoleNotAssumable
                | ReadFailed
                | ChangeDenied
                | NotSimulated
                | BusRejected
                | DanglingTag
                | DanglingRule
        )
    }

    /// A mapping that names something that does not exist.
    pub fn is_dangling(self) -> bool {
        matches!(
            self,
            Kind::DanglingTag | Kind::DanglingRule | Kind::AlarmNotFound
        )
    }
}

/// One thing the check found, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub kind: Kind,
    /// Where, when it is about one account and region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub problem: String,
    pub fix: String,
}

/// A group in scope and what guards it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMap {
    pub application: String,
    pub group: String,
    /// `None`: ListDeployments failed.
    pub active_deployments: Option<usize>,
    pub guards: Vec<Guard>,
}

/// One account and region.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationReport {
    pub account: String,
    pub region: String,
    /// The target role it acts as there; absent: its own role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// `ok`, or why the reads failed.
    pub reads: String,
    pub groups: Vec<GroupMap>,
    pub permissions: Permissions,
}

/// How a check ended: failed when any finding is a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckOutcome {
    Passed,
    Failed,
}

impl CheckOutcome {
    /// The one list of how each outcome is spelt: in the report and logs, and as the
    /// detail-type of its event.
    const fn spelling(self) -> (&'static str, &'static str) {
        match self {
            CheckOutcome::Passed => ("passed", detail_type::CHECK_PASSED),
            CheckOutcome::Failed => ("failed", detail_type::CHECK_FAILED),
        }
    }

    pub const fn as_str(self) -> &'static str {
        self.spelling().0
    }

    pub const fn detail_type(self) -> &'static str {
        self.spelling().1
    }
}

impl Serialize for CheckOutcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadinessReport {
    pub check: CheckOutcome,
    pub checked_at: Time,
    pub failures: usize,
    pub unguarded_groups: usize,
    pub dangling_mappings: usize,
    pub findings: Vec<Finding>,
    pub locations: Vec<LocationReport>,
    /// What IAM's policy simulator cannot see.
    pub simulator_limits: &'static str,
    /// What became of the outcome event.
    pub event: String,
}

impl ReadinessReport {
    /// The report of `findings`, its counts and outcome from them.
    pub fn new(findings: Vec<Finding>, locations: Vec<LocationReport>, now: Time) -> Self {
        let mut report = ReadinessReport {
            check: CheckOutcome::Passed,
            checked_at: now,
            failures: 0,
            unguarded_groups: 0,
            dangling_mappings: 0,
            findings: Vec::new(),
            locations,
            simulator_limits: super::access::SIMULATOR_LIMITS,
            event: String::new(),
        };
        for finding in findings {
            report.add(finding);
        }
        report
    }

    pub fn add(&mut self, finding: Finding) {
        self.failures += usize::from(finding.kind.is_failure());
        self.dangling_mappings += usize::from(finding.kind.is_dangling());
        self.unguarded_groups += usize::from(finding.kind == Kind::UnguardedGroup);
        if self.failures > 0 {
            self.check = CheckOutcome::Failed;
        }
        self.findings.push(finding);
    }

    /// The findings of `kind`, one line each, for a log field.
    pub fn listed(&self, kind: impl Fn(Kind) -> bool) -> String {
        let lines: Vec<&str> = (self.findings.iter())
            .filter(|f| kind(f.kind))
            .map(|f| f.problem.as_str())
            .collect();
        lines.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::CheckOutcome;

    #[test]
    fn a_check_is_spelt_passed_or_failed_with_its_event() {
        for (outcome, name, event) in [
            (CheckOutcome::Passed, "passed", "Breaker Check Passed"),
            (CheckOutcome::Failed, "failed", "Breaker Check Failed"),
        ] {
            assert_eq!(serde_json::to_value(outcome).unwrap(), name);
            assert_eq!(outcome.detail_type(), event);
        }
    }
}
