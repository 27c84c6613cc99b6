//! CloudWatch `GetMetricData` (SigV4 service `monitoring`; RPC v2 CBOR, as the SDK sends it,
//! or JSON 1.0) over the fake's metrics ([`crate::metrics`]), validated as CloudWatch validates
//! it: 1 to 500 queries, each `Id` matching `^[a-z][a-zA-Z0-9_]*$` and unique, each a
//! `MetricStat` (the fake does not evaluate metric math `Expression`s), `StartTime` before
//! `EndTime`. Each query with `ReturnData` (the default) answers its metric's statistic per
//! period, newest first unless `ScanBy` is `TimestampAscending`; a period without datapoints is
//! left out. The datapoints are those of the minutes from `StartTime`, rounded down to the
//! minute as CloudWatch rounds a start time of the last 15 days, to `EndTime` (excluded). Pages hold at most `MaxDatapoints` datapoints in all (100,800 by default,
//! fewer under [`FakeAws::set_page_size`](crate::FakeAws::set_page_size)): a query whose
//! datapoints go on is `PartialData`, and every page answers every query (the ones already
//! complete without datapoints). IAM: `cloudwatch:GetMetricData` takes no resource type, so it
//! is authorized on `*`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::cloudwatch::validation;
use crate::metrics::{series, Selection, Statistic, UNITS};
use crate::protocol::{client_error, ApiError};
use crate::{string_field, Input, State};

/// At most this many queries a call.
const QUERIES_LIMIT: usize = 500;
/// `MaxDatapoints` when not given.
const DEFAULT_DATAPOINTS: usize = 100_800;
/// At most this many dimensions a metric.
const DIMENSIONS_LIMIT: usize = 30;
const SCAN_BY: [&str; 2] = ["TimestampDescending", "TimestampAscending"];

/// A `ValidationError` as CloudWatch words its own checks (without the count of errors).
fn invalid(message: impl Into<String>) -> ApiError {
    client_error("ValidationError", message)
}

fn not_null(member: &str) -> ApiError {
    validation(format!(
        "Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
}

/// A timestamp member, in seconds since the epoch.
fn time(body: &Value, field: &str, member: &str) -> Result<f64, ApiError> {
    match body.get(field).filter(|v| !v.is_null()) {
        None => Err(not_null(member)),
        Some(value) => value.as_f64().ok_or_else(|| {
            client_error(
                "SerializationException",
                format!("{field} is not a timestamp"),
            )
        }),
    }
}

/// A string member of a query, required.
fn required<'a>(body: &'a Value, field: &str, parameter: &str) -> Result<&'a str, ApiError> {
    string_field(body, field)
        .ok_or_else(|| invalid(format!("The parameter {parameter} is required.")))
}

/// One query, validated: what it selects, and how its result is named.
struct Query<'a> {
    id: &'a str,
    label: &'a str,
    selection: Selection<'a>,
}

/// The request's queries whose data is returned, in order, each validated.
fn queries<'a>(
    body: &'a Value,
    account: &'a str,
    region: &'a str,
    (start, end): (f64, f64),
) -> Result<Vec<Query<'a>>, ApiError> {
    let list = match body.get("MetricDataQueries").filter(|v| !v.is_null()) {
        None => return Err(not_null("metricDataQueries")),
        Some(list) => list.as_array().ok_or_else(|| {
            client_error("SerializationException", "MetricDataQueries is not a list")
        })?,
    };
    if list.is_empty() {
        return Err(invalid("The parameter MetricDataQueries is required."));
    }
    if list.len() > QUERIES_LIMIT {
        return Err(invalid(format!(
            "The collection MetricDataQueries must not have a size greater than {QUERIES_LIMIT}."
        )));
    }
    let mut unmatched = Vec::new();
    let mut ids = BTreeSet::new();
    for (n, query) in list.iter().enumerate() {
        let parameter = format!("MetricDataQueries.member.{}.Id", n + 1);
        let id = required(query, "Id", &parameter)?;
        if !is_id(id) {
            unmatched.push(format!(
                "The value {id} for parameter {parameter} is not matching the expected pattern \
                 ^[a-z][a-zA-Z0-9_]*$."
            ));
        }
        ids.insert(id);
    }
    if !unmatched.is_empty() {
        return Err(invalid(unmatched.join("\n")));
    }
    if ids.len() < list.len() {
        return Err(invalid(
            "The values for parameter id in MetricDataQueries are not unique.",
        ));
    }
    let mut queries = Vec::new();
    for (n, query) in list.iter().enumerate() {
        let member = format!("MetricDataQueries.member.{}", n + 1);
        let selection = selection(query, &member, account, region, (start, end))?;
        let returned = query.get("ReturnData").and_then(Value::as_bool) != Some(false);
        if returned {
            queries.push(Query {
                id: string_field(query, "Id").unwrap_or_default(),
                label: string_field(query, "Label").unwrap_or(selection.name),
                selection,
            });
        }
    }
    Ok(queries)
}

/// `^[a-z][a-zA-Z0-9_]*$`, at most 255 characters.
fn is_id(id: &str) -> bool {
    id.len() <= 255
        && id.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// What the query `member` selects: its `MetricStat`, validated.
fn selection<'a>(
    query: &'a Value,
    member: &str,
    account: &'a str,
    region: &'a str,
    (start, end): (f64, f64),
) -> Result<Selection<'a>, ApiError> {
    let given = |field: &str| query.get(field).is_some_and(|v| !v.is_null());
    if given("Expression") {
        return Err(invalid(format!(
            "{member}.Expression: the fake does not evaluate metric math or Metrics Insights \
             queries; ask for each metric with a MetricStat"
        )));
    }
    if !given("MetricStat") {
        return Err(invalid(format!(
            "Exactly one of MetricStat and Expression must be specified in {member}."
        )));
    }
    if let Some(other) = string_field(query, "AccountId").filter(|a| *a != account) {
        return Err(invalid(format!(
            "{member}.AccountId: the fake does not serve cross-account observability \
             (account {other})"
        )));
    }
    let stat = &query["MetricStat"];
    let metric = &stat["Metric"];
    if metric.is_null() {
        return Err(invalid(format!(
            "The parameter {member}.MetricStat.Metric is required."
        )));
    }
    let namespace = required(
        metric,
        "Namespace",
        &format!("{member}.MetricStat.Metric.Namespace"),
    )?;
    let name = required(
        metric,
        "MetricName",
        &format!("{member}.MetricStat.Metric.MetricName"),
    )?;
    let dimensions = dimensions(metric, member)?;
    let period = stat.get("Period").and_then(Value::as_i64).ok_or_else(|| {
        invalid(format!(
            "The parameter {member}.MetricStat.Period is required."
        ))
    })?;
    if period <= 0 || period % 60 != 0 {
        let high_resolution = [1, 5, 10, 20, 30].contains(&period);
        return Err(invalid(if high_resolution {
            format!(
                "{member}.MetricStat.Period: the fake does not serve high-resolution periods \
                 ({period} seconds); use a multiple of 60"
            )
        } else {
            format!(
                "The parameter {member}.MetricStat.Period must be a multiple of 60 or equal to \
                 1, 5, 10, 20 or 30."
            )
        }));
    }
    let stat_name = required(stat, "Stat", &format!("{member}.MetricStat.Stat"))?;
    let statistic = Statistic::parse(stat_name).ok_or_else(|| {
        invalid(format!(
            "The value {stat_name} for parameter {member}.MetricStat.Stat is not a statistic \
             the fake computes (SampleCount, Average, Sum, Minimum, Maximum, pNN.NN)."
        ))
    })?;
    let unit = string_field(stat, "Unit");
    if let Some(bad) = unit.filter(|u| !UNITS.contains(u)) {
        return Err(validation(format!(
            "Value '{bad}' at 'metricDataQueries.{}.member.metricStat.unit' failed to satisfy \
             constraint: Member must satisfy enum value set: [{}]",
            member.rsplit('.').next().unwrap_or_default(),
            UNITS.join(", ")
        )));
    }
    Ok(Selection {
        account,
        region,
        namespace,
        name,
        dimensions,
        unit,
        period,
        stat: statistic,
        start,
        end,
    })
}

/// A metric's `Dimensions`: at most 30, each with a `Name` and `Value`, no name twice.
fn dimensions<'a>(metric: &'a Value, member: &str) -> Result<BTreeMap<&'a str, &'a str>, ApiError> {
    let list = metric["Dimensions"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    if list.len() > DIMENSIONS_LIMIT {
        return Err(invalid(format!(
            "The collection {member}.MetricStat.Metric.Dimensions must not have a size greater \
             than {DIMENSIONS_LIMIT}."
        )));
    }
    let mut dimensions = BTreeMap::new();
    for (n, dimension) in list.iter().enumerate() {
        let at = format!("{member}.MetricStat.Metric.Dimensions.member.{}", n + 1);
        let name = required(dimension, "Name", &format!("{at}.Name"))?;
        let value = required(dimension, "Value", &format!("{at}.Value"))?;
        if dimensions.insert(name, value).is_some() {
            return Err(invalid(format!(
                "The dimension {name} is specified more than once in {member}."
            )));
        }
    }
    Ok(dimensions)
}

/// `GetMetricData`, in the caller's account and region.
pub(crate) fn get_metric_data(state: &mut State, input: &Input) -> Result<Value, ApiError> {
    let (account, region, body) = (input.account(), input.region, input.body);
    let action = "cloudwatch:GetMetricData";
    input.caller.authorize(action, "*", account, region)?;
    let start = time(body, "StartTime", "startTime")?;
    let end = time(body, "EndTime", "endTime")?;
    let scan_by = string_field(body, "ScanBy").unwrap_or("TimestampDescending");
    if !SCAN_BY.contains(&scan_by) {
        return Err(validation(format!(
            "Value '{scan_by}' at 'scanBy' failed to satisfy constraint: Member must satisfy \
             enum value set: [{}]",
            SCAN_BY.join(", ")
        )));
    }
    let max = match body.get("MaxDatapoints").filter(|v| !v.is_null()) {
        None => DEFAULT_DATAPOINTS,
        Some(n) => n
            .as_u64()
            .filter(|n| *n > 0)
            .map(|n| n as usize)
            .ok_or_else(|| {
                invalid(format!(
                    "The parameter MaxDatapoints must be greater than 0, not {n}."
                ))
            })?,
    };
    // CloudWatch rounds a start time of the last 15 days down to the minute.
    let start = (start / 60.0).floor() * 60.0;
    let queries = queries(body, account, region, (start, end))?;
    if start >= end {
        return Err(invalid(
            "The parameter StartTime must be less than the parameter EndTime.",
        ));
    }
    let mut results = Vec::new();
    for query in &queries {
        let mut points = series(&state.cloudwatch.metrics, &query.selection)
            .map_err(|why| invalid(format!("{}: the fake cannot compute {why}", query.id)))?;
        if scan_by == "TimestampDescending" {
            points.reverse();
        }
        results.push((query, points));
    }
    // Pages of the datapoints of every query, one query's after the other's.
    let total: usize = results.iter().map(|(_, points)| points.len()).sum();
    let from = match string_field(body, "NextToken") {
        None => 0,
        Some(token) => token
            .strip_prefix("page-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= total)
            .ok_or_else(|| {
                client_error("InvalidNextToken", "The service cannot parse the token.")
            })?,
    };
    let size = state.page_size.map_or(max, |page| page.min(max));
    let to = (from + size).min(total);
    let mut before = 0;
    let mut answered = Vec::new();
    for (query, points) in &results {
        let within = |offset: usize| offset.clamp(before, before + points.len()) - before;
        let on_page = &points[within(from)..within(to)];
        // Complete once its last datapoint is on this page or an earlier one.
        let complete = before + points.len() <= to;
        before += points.len();
        answered.push(json!({
            "Id": query.id,
            "Label": query.label,
            "Timestamps": on_page.iter().map(|(t, _)| json!(*t as f64)).collect::<Vec<_>>(),
            "Values": on_page.iter().map(|(_, v)| json!(v)).collect::<Vec<_>>(),
            "StatusCode": if complete { "Complete" } else { "PartialData" },
            "Messages": [],
        }));
    }
    let next = (to < total).then(|| format!("page-{to}"));
    let mut answer = json!({ "MetricDataResults": answered, "Messages": [] });
    if let Some(next) = next {
        answer["NextToken"] = json!(next);
    }
    Ok(answer)
}

#[cfg(test)]
#[path = "metric_data_tests.rs"]
pub(crate) mod tests;
