//! CloudWatch metrics per minute (`GetMetricData`, `MetricStat` queries, every page), for the
//! canary judge: raw statistics, no metric math, so that each count is the count.

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, ScanBy};

use super::calls::Deadline;
use super::cloudwatch::Alarms;
use super::errors::aws_error;
use crate::time::Time;
use crate::types::{AwsError, MetricQuery, PerMinute};

/// GetMetricData takes at most this many queries a call.
const QUERIES_LIMIT: usize = 500;

impl Alarms {
    /// The values of `queries`, per minute from `start` to `end` (minutes CloudWatch has no
    /// datapoint for are absent).
    pub async fn per_minute(
        &self,
        deadline: Deadline,
        queries: &[MetricQuery],
        (start, end): (Time, Time),
    ) -> Result<PerMinute, AwsError> {
        let queries: Vec<MetricDataQuery> = (queries.iter().take(QUERIES_LIMIT))
            .map(|q| {
                let dimensions = (q.dimensions.iter())
                    .map(|(name, value)| Dimension::builder().name(name).value(value).build())
                    .collect();
                let metric = Metric::builder()
                    .namespace(&q.namespace)
                    .metric_name(&q.name)
                    .set_dimensions(Some(dimensions))
                    .build();
                let stat = MetricStat::builder()
                    .metric(metric)
                    .period(60)
                    .stat(&q.stat);
                (MetricDataQuery::builder().id(&q.id))
                    .metric_stat(stat.build())
                    .return_data(true)
                    .build()
            })
            .collect();
        let mut pages = Box::pin(
            (self.client().get_metric_data())
                .set_metric_data_queries(Some(queries))
                .start_time(DateTime::from_millis(start.millis()))
                .end_time(DateTime::from_millis(end.millis()))
                .scan_by(ScanBy::TimestampAscending)
                .into_paginator()
                .send(),
        );
        let work = async {
            let mut values = PerMinute::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| aws_error("GetMetricData", e))?;
                for result in page.metric_data_results() {
                    let series = values
                        .entry(result.id().unwrap_or_default().into())
                        .or_default();
                    let times = result
                        .timestamps()
                        .iter()
                        .filter_map(|t| t.to_millis().ok());
                    series.extend(times.zip(result.values().iter().copied()));
                }
            }
            Ok(values)
        };
        self.calls().run(deadline, "GetMetricData", work).await
    }
}
