//! CloudWatch metrics per minute (`GetMetricData`, `MetricStat` queries, every page), for the
//! canary judge: raw statistics, no metric math, so that each count is the count; and a target
//! group's dimensions, from the metrics CloudWatch lists for it (`ListMetrics`).

use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::{
    Dimension, DimensionFilter, Metric, MetricDataQuery, MetricStat, ScanBy, StatusCode,
};

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
            let mut status = std::collections::BTreeMap::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| aws_error("GetMetricData", e))?;
                for result in page.metric_data_results() {
                    let id = result.id().unwrap_or_default().to_string();
                    status.insert(id.clone(), result.status_code().cloned());
                    let times = result
                        .timestamps()
                        .iter()
                        .filter_map(|t| t.to_millis().ok());
                    let series = values.entry(id).or_default();
                    series.extend(times.zip(result.values().iter().copied()));
                }
            }
            // A query CloudWatch could not complete would read as a series of no errors.
            let complete = Some(StatusCode::Complete);
            if let Some((id, code)) = status.iter().find(|(_, s)| **s != complete) {
                let code = code.as_ref().map_or("none", |c| c.as_str());
                let why = format!("query {id} ended with status {code}, not Complete");
                return Err(AwsError::new("GetMetricData", "IncompleteData", why));
            }
            Ok(values)
        };
        self.calls().run(deadline, "GetMetricData", work).await
    }
}

/// A target group's CloudWatch dimensions, as its load balancer publishes them: `TargetGroup`
/// (`targetgroup/<name>/<id>`) and `LoadBalancer` (`app/<name>/<id>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TargetGroupDimensions {
    pub target_group: String,
    pub load_balancer: String,
}

impl Alarms {
    /// The dimensions of the target group named `name`, from the metrics CloudWatch has of it
    /// (`ListMetrics` of `AWS/ApplicationELB` `RequestCount` by target group, every page); `None`
    /// when it has none (no traffic in two weeks), or several (the name on several load
    /// balancers: which one is the deployment's cannot be told).
    pub async fn target_group(
        &self,
        deadline: Deadline,
        name: &str,
    ) -> Result<Option<TargetGroupDimensions>, AwsError> {
        let prefix = format!("targetgroup/{name}/");
        let mut pages = Box::pin(
            (self.client().list_metrics())
                .namespace("AWS/ApplicationELB")
                .metric_name("RequestCount")
                .dimensions(DimensionFilter::builder().name("TargetGroup").build())
                .dimensions(DimensionFilter::builder().name("LoadBalancer").build())
                .into_paginator()
                .send(),
        );
        let work = async {
            let mut found = Vec::new();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| aws_error("ListMetrics", e))?;
                for metric in page.metrics() {
                    let value = |dimension: &str| {
                        (metric.dimensions().iter())
                            .find(|d| d.name() == Some(dimension))
                            .and_then(|d| d.value())
                            .map(str::to_string)
                    };
                    let dimensions = metric.dimensions().len();
                    if let (Some(target_group), Some(load_balancer), 2) =
                        (value("TargetGroup"), value("LoadBalancer"), dimensions)
                    {
                        if target_group.starts_with(&prefix) {
                            found.push(TargetGroupDimensions {
                                target_group,
                                load_balancer,
                            });
                        }
                    }
                }
            }
            found.dedup();
            Ok((found.len() == 1).then(|| found.remove(0)))
        };
        self.calls().run(deadline, "ListMetrics", work).await
    }
}
