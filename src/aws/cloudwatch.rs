//! CloudWatch in one account and region: the alarms that guard a deployment group, those a
//! name glob matches, and their states (`DescribeAlarms`, metric and composite alarms, every
//! page).

use aws_config::SdkConfig;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::AlarmType;
use aws_sdk_cloudwatch::Client;
use futures_util::future::join_all;

use super::calls::{Calls, Deadline};
use super::errors::aws_error;
use crate::glob::{literal_prefix, matches};
use crate::time::Time;
use crate::types::{AlarmState, AwsError};

/// DescribeAlarms takes at most this many names a call.
const NAMES_LIMIT: usize = 100;

/// Alarms of one account and region.
pub struct Alarms {
    client: Client,
    calls: Calls,
}

/// How a DescribeAlarms call selects alarms.
enum Select<'a> {
    Names(&'a [String]),
    Prefix(&'a str),
}

fn time(t: Option<&DateTime>) -> Option<Time> {
    t.and_then(|t| t.to_millis().ok()).map(Time::from_millis)
}

impl Alarms {
    pub fn new(base: &SdkConfig) -> Self {
        Alarms {
            client: Client::new(base),
            calls: Calls::default(),
        }
    }

    pub(super) fn client(&self) -> &Client {
        &self.client
    }

    pub(super) fn calls(&self) -> &Calls {
        &self.calls
    }

    /// The states of these alarms (those CloudWatch knows), in batches of its limit, together.
    pub async fn states(
        &self,
        deadline: Deadline,
        names: &[String],
    ) -> Result<Vec<AlarmState>, AwsError> {
        let batches = join_all(
            names
                .chunks(NAMES_LIMIT)
                .map(|chunk| self.describe(deadline, Select::Names(chunk))),
        )
        .await;
        let mut states = Vec::new();
        for batch in batches {
            states.extend(batch?);
        }
        Ok(states)
    }

    /// The alarms each glob matches, in order: one DescribeAlarms pass per distinct literal
    /// prefix (none for a prefix another one covers), each glob then applied to what its pass
    /// found. A glob whose pass failed gets that error.
    pub async fn matching(
        &self,
        deadline: Deadline,
        globs: &[&str],
    ) -> Vec<Result<Vec<AlarmState>, AwsError>> {
        let mut prefixes: Vec<&str> = globs.iter().map(|g| literal_prefix(g)).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        let covering = |p: &str| {
            prefixes
                .iter()
                .any(|q| q.len() < p.len() && p.starts_with(q))
        };
        let passes: Vec<&str> = prefixes.iter().copied().filter(|p| !covering(p)).collect();
        let found =
            join_all((passes.iter()).map(|prefix| self.describe(deadline, Select::Prefix(prefix))))
                .await;
        (globs.iter())
            .map(|glob| {
                let at = passes.iter().position(|p| glob.starts_with(p));
                let found = at.map(|at| &found[at]).ok_or_else(|| {
                    AwsError::new("DescribeAlarms", "NoPass", format!("no pass read {glob}"))
                })?;
                let alarms = found.as_ref().map_err(Clone::clone)?;
                let alarms = alarms.iter().filter(|a| matches(glob, &a.name));
                Ok(alarms.cloned().collect())
            })
            .collect()
    }

    /// One DescribeAlarms query, every page. Without `AlarmTypes` CloudWatch leaves composite
    /// alarms out, so both are asked for.
    async fn describe(
        &self,
        deadline: Deadline,
        select: Select<'_>,
    ) -> Result<Vec<AlarmState>, AwsError> {
        let request = self
            .client
            .describe_alarms()
            .alarm_types(AlarmType::MetricAlarm)
            .alarm_types(AlarmType::CompositeAlarm);
        let request = match select {
            Select::Names(names) => request.set_alarm_names(Some(names.to_vec())),
            Select::Prefix("") => request,
            Select::Prefix(prefix) => request.alarm_name_prefix(prefix),
        };
        let mut pages = request.into_paginator().send();
        let work = async {
            let mut states = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| aws_error("DescribeAlarms", e))?;
                states.extend(page.metric_alarms().iter().map(|a| AlarmState {
                    name: a.alarm_name().unwrap_or_default().to_string(),
                    kind: "MetricAlarm",
                    state: a.state_value().map_or("", |s| s.as_str()).to_string(),
                    transitioned: time(a.state_transitioned_timestamp()),
                    suppressed_by: None,
                }));
                states.extend(page.composite_alarms().iter().map(|a| AlarmState {
                    name: a.alarm_name().unwrap_or_default().to_string(),
                    kind: "CompositeAlarm",
                    state: a.state_value().map_or("", |s| s.as_str()).to_string(),
                    transitioned: time(a.state_transitioned_timestamp()),
                    suppressed_by: a.actions_suppressed_by().map(|s| s.as_str().to_string()),
                }));
            }
            Ok(states)
        };
        self.calls.run(deadline, "DescribeAlarms", work).await
    }
}
