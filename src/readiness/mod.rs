//! The readiness check (`{"check": true}`, hourly from the template's schedule, or on demand;
//! its own function, the `readiness-check` binary): whether the breaker could trip in every
//! account and region it may act in, and a map of what guards each deployment group in scope.
//!
//! [`scan`] reads each location as the breaker would, [`access`] asks IAM's simulator about
//! the calls that change things, [`map`] turns what was read into the map and its findings,
//! and [`report`] is the result; this file runs them and tells: the outcome event, one log
//! line, the metrics.

mod access;
mod map;
mod report;
mod scan;

use std::io::Write;

use aws_config::SdkConfig;
use futures_util::future::join_all;
use serde_json::{json, Value};
use tracing::{info, warn};

use crate::aws::{Deadline, ReadinessAws};
use crate::config::Config;
use crate::metrics;
use crate::report::{Failure, FailureKind};
use crate::runtime::{Function, Invocation};
use crate::time::Time;
use crate::types::{Account, Location, Notification};
pub use access::{Permissions, BREAKER_READS, SIMULATOR_LIMITS};
pub use report::{CheckOutcome, Finding, GroupMap, Kind, LocationReport, ReadinessReport};
use scan::{scan, Scan};

/// The most findings the outcome event carries (an event holds at most 256 KB).
const EVENT_FINDINGS: usize = 50;
/// The longest report the log line carries whole, and the findings it keeps beyond that.
const LOG_BYTES: usize = 200 * 1024;
const LOG_FINDINGS: usize = 300;

/// The readiness check is a [`Function`] over its clients; it takes exactly `{"check": true}`.
impl Function for ReadinessAws {
    type Response = ReadinessReport;

    async fn start(base: SdkConfig, config: &Config) -> ReadinessAws {
        ReadinessAws::new(base, config)
    }

    async fn handle(
        &self,
        payload: &[u8],
        invocation: &Invocation,
        config: &Config,
        metrics: &mut dyn Write,
    ) -> Result<ReadinessReport, Failure> {
        if serde_json::from_slice::<Value>(payload).ok() != Some(json!({"check": true})) {
            let message = "the readiness check takes exactly {\"check\": true}; a signal goes \
                           to the breaker, a lifecycle hook to the gate";
            return Err(Failure {
                kind: FailureKind::InvalidPayload,
                message: message.into(),
            });
        }
        let (own, deadline) = (&invocation.account, invocation.deadline);
        Ok(check(own, deadline, config, self, metrics).await)
    }
}

/// Runs the check for the function's own account `own` and every target account, in every
/// region of `REGIONS`; puts the outcome event, logs the report and writes the metrics.
pub async fn check(
    own: &str,
    deadline: Deadline,
    config: &Config,
    aws: &ReadinessAws,
    out: &mut dyn Write,
) -> ReadinessReport {
    let accounts = std::iter::once(Account::Own(own.to_string()))
        .chain(config.target_accounts.iter().cloned().map(Account::Target));
    let locations: Vec<Location> = accounts
        .flat_map(|account| {
            (config.regions.iter()).map(move |region| Location::new(account.clone(), region))
        })
        .collect();
    let scans: Vec<Scan> = join_all(
        locations
            .into_iter()
            .map(|l| scan(aws, config, deadline, l)),
    )
    .await;
    let (locations, mut findings) = map::map(config, &scans);
    findings.extend(scans.iter().flat_map(permission_findings));
    let mut report = ReadinessReport::new(findings, locations, Time::now());
    tell(&mut report, deadline, config, aws).await;
    log(&report);
    for line in metric_lines(&report, own, &config.own_region) {
        let _ = writeln!(out, "{line}");
    }
    report
}

/// A denied change call, or a simulation that could not be made.
fn permission_findings(scan: &Scan) -> Vec<Finding> {
    let at = |kind, problem: String, fix: &str| Finding {
        kind,
        account: Some(scan.location.account.id().to_string()),
        region: Some(scan.location.region.clone()),
        problem,
        fix: fix.into(),
    };
    match &scan.permissions {
        Permissions::Skipped { .. } => Vec::new(),
        Permissions::Failed { error } => vec![at(
            Kind::NotSimulated,
            format!("IAM's policy simulator could not be asked: {error}"),
            "let the role the check reads as simulate the roles that act there \
             (iam:SimulatePrincipalPolicy: template.yaml grants the check's role the breaker's \
             and the gate's; templates/target-role.yaml lets the target role simulate itself)",
        )],
        Permissions::Checked { decisions } => (decisions.iter())
            .filter(|d| !d.allowed())
            .map(|d| {
                let problem = format!(
                    "{} may not call {} on {} ({})",
                    d.role, d.action, d.resource, d.decision
                );
                let fix = "grant it (template.yaml, templates/target-role.yaml), or remove \
                           the SCP or permissions boundary that denies it";
                let kind = match d.action.as_str() {
                    "sts:AssumeRole" => Kind::RoleNotAssumable,
                    read if BREAKER_READS.contains(&read) => Kind::ReadFailed,
                    _ => Kind::ChangeDenied,
                };
                at(kind, problem, fix)
            })
            .collect(),
    }
}

/// Puts the outcome event on the bus: the bus taking it is part of the check.
async fn tell(
    report: &mut ReadinessReport,
    deadline: Deadline,
    config: &Config,
    aws: &ReadinessAws,
) {
    if !config.notify {
        report.event = "not sent: NOTIFY is off".into();
        return;
    }
    let detail_type = report.check.detail_type();
    let shown = &report.findings[..report.findings.len().min(EVENT_FINDINGS)];
    let detail = json!({
        "check": report.check,
        "failures": report.failures,
        "unguardedGroups": report.unguarded_groups,
        "danglingMappings": report.dangling_mappings,
        "findings": shown,
        "moreFindings": report.findings.len() - shown.len(),
    });
    let notification = Notification {
        detail_type,
        detail: detail.to_string(),
        resources: Vec::new(),
    };
    let delivery = aws.events.put(deadline, &[notification]).await;
    if delivery.failed == 0 {
        report.event = format!("{detail_type} put on {}", config.notify_event_bus);
        return;
    }
    let why = delivery.errors.join("; ");
    report.event = format!("{detail_type} not put: {why}");
    report.add(Finding {
        kind: Kind::BusRejected,
        account: None,
        region: Some(config.own_region.clone()),
        problem: format!(
            "the bus {} refused the check's event: {why}",
            config.notify_event_bus
        ),
        fix: "let the function put events on NOTIFY_EVENT_BUS (events:PutEvents), or correct \
              its name"
            .into(),
    });
}

/// The report as one log line, with the lists the dashboard shows as fields.
fn log(report: &ReadinessReport) {
    let unguarded: Vec<String> = (report.locations.iter())
        .flat_map(|l| {
            (l.groups.iter())
                .filter(|g| g.guards.is_empty())
                .map(move |g| format!("{}/{}/{}/{}", l.account, l.region, g.application, g.group))
        })
        .collect();
    let dangling = report.listed(Kind::is_dangling);
    let mut json = serde_json::to_string(report).unwrap_or_default();
    if json.len() > LOG_BYTES {
        // CloudWatch Logs cuts an event at 256 KB: keep the findings, drop the map.
        let shown = &report.findings[..report.findings.len().min(LOG_FINDINGS)];
        json = json!({
            "check": report.check,
            "failures": report.failures,
            "findings": shown,
            "trimmed": "the map is left out of this line: it is in the invocation's result",
        })
        .to_string();
    }
    let (outcome, failures) = (report.check.as_str(), report.failures);
    let unguarded = unguarded.join(", ");
    if failures > 0 {
        warn!(outcome, failures, unguarded, dangling, report = %json, "check");
    } else {
        info!(outcome, failures, unguarded, dangling, report = %json, "check");
    }
}

/// One metrics document per account and region checked; findings about no one location count
/// in the function's own account and region (or the first checked).
fn metric_lines(report: &ReadinessReport, own: &str, own_region: &str) -> Vec<String> {
    let now = report.checked_at;
    let home = (report.locations.iter())
        .position(|l| l.account == own && l.region == own_region)
        .unwrap_or(0);
    report
        .locations
        .iter()
        .enumerate()
        .map(|(index, l)| {
            let here = |f: &&Finding| match (&f.account, &f.region) {
                (Some(a), Some(r)) => *a == l.account && *r == l.region,
                _ => index == home,
            };
            let count = |test: fn(Kind) -> bool| {
                (report.findings.iter())
                    .filter(here)
                    .filter(|f| test(f.kind))
                    .count()
            };
            let counts = (
                count(Kind::is_failure),
                count(|k| k == Kind::UnguardedGroup),
                count(Kind::is_dangling),
            );
            metrics::check((&l.account, &l.region), counts, now)
        })
        .collect()
}
