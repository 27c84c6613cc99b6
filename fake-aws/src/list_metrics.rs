//! CloudWatch `ListMetrics` (SigV4 service `monitoring`; RPC v2 CBOR, as the SDK sends it, or
//! JSON 1.0) over the fake's metrics ([`crate::metrics`]), as CloudWatch answers it: the
//! metrics (namespace, name and dimensions; each once, whatever its units) of the caller's
//! account and region with a datapoint in the last two weeks (the last three hours with
//! `RecentlyActive` `PT3H`), of the `Namespace` and `MetricName` given, that have every
//! dimension the `Dimensions` filters name (with the filter's value when it gives one; the
//! metric may have others). They are sorted by namespace, name and dimensions, 500 a page
//! (fewer under [`FakeAws::set_page_size`](crate::FakeAws::set_page_size)).
//!
//! The fake's accounts are none of them a monitoring account: `IncludeLinkedAccounts` lists
//! the caller's own metrics (each owned, in `OwningAccounts`, by the caller's account), and an
//! `OwningAccount` other than the caller's is refused. IAM: `cloudwatch:ListMetrics` takes no
//! resource type, so it is authorized on `*`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use serde_json::{json, Map, Value};

use crate::cloudwatch::{page_at, validation};
use crate::metrics::MetricPoint;
use crate::protocol::{client_error, ApiError};
use crate::{epoch_seconds, string_field, Input, State};

/// Metrics a page.
const PAGE: usize = 500;
/// At most this many dimension filters.
const FILTERS_LIMIT: usize = 10;
/// Only metrics with a datapoint this recent (in seconds) are listed.
const LISTED_FOR: f64 = 14.0 * 24.0 * 3600.0;
/// `RecentlyActive`'s one value, and how recent (in seconds) it asks a datapoint to be.
const RECENTLY_ACTIVE: (&str, f64) = ("PT3H", 3.0 * 3600.0);

/// A `DimensionFilter`: the metric has the dimension `name`, of `value` when given.
struct Filter<'a> {
    name: &'a str,
    value: Option<&'a str>,
}

/// A `ListMetrics` request, validated.
struct Query<'a> {
    namespace: Option<&'a str>,
    name: Option<&'a str>,
    filters: Vec<Filter<'a>>,
    /// Only metrics with a datapoint from then on (seconds since the epoch).
    since: f64,
}

impl Query<'_> {
    /// Whether the datapoint is of a metric the query lists (its account and region aside).
    fn matches(&self, point: &MetricPoint) -> bool {
        point.timestamp >= self.since
            && self.namespace.is_none_or(|n| point.namespace == n)
            && self.name.is_none_or(|n| point.name == n)
            && self.filters.iter().all(|filter| {
                (point.dimensions.get(filter.name))
                    .is_some_and(|value| filter.value.is_none_or(|v| v == value))
            })
    }
}

/// A string member (`None`: absent) of 1 to `max` characters; `member` names it as
/// CloudWatch's validation errors do.
fn text<'a>(
    body: &'a Value,
    field: &str,
    member: &str,
    max: usize,
) -> Result<Option<&'a str>, ApiError> {
    let Some(value) = body.get(field).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let text = value.as_str().ok_or_else(|| {
        client_error("SerializationException", format!("{field} is not a string"))
    })?;
    let length = text.chars().count();
    if length < 1 {
        return Err(validation(format!(
            "Value '{text}' at '{member}' failed to satisfy constraint: Member must have length \
             greater than or equal to 1"
        )));
    }
    if length > max {
        return Err(validation(format!(
            "Value '{text}' at '{member}' failed to satisfy constraint: Member must have length \
             less than or equal to {max}"
        )));
    }
    Ok(Some(text))
}

/// The request's `Dimensions` filters: at most 10, each with a `Name`.
fn filters(body: &Value) -> Result<Vec<Filter<'_>>, ApiError> {
    let Some(list) = body.get("Dimensions").filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let list = list
        .as_array()
        .ok_or_else(|| client_error("SerializationException", "Dimensions is not a list"))?;
    if list.len() > FILTERS_LIMIT {
        return Err(validation(format!(
            "Value at 'dimensions' failed to satisfy constraint: Member must have length less \
             than or equal to {FILTERS_LIMIT}"
        )));
    }
    let mut filters = Vec::new();
    for (n, filter) in list.iter().enumerate() {
        if !filter.is_object() {
            return Err(client_error(
                "SerializationException",
                "Dimensions is not a list of DimensionFilter",
            ));
        }
        let member = format!("dimensions.{}.member", n + 1);
        let name = text(filter, "Name", &format!("{member}.name"), 255)?.ok_or_else(|| {
            validation(format!(
                "Value null at '{member}.name' failed to satisfy constraint: Member must not be \
                 null"
            ))
        })?;
        let value = text(filter, "Value", &format!("{member}.value"), 1024)?;
        filters.push(Filter { name, value });
    }
    Ok(filters)
}

/// `ListMetrics`' input, with CloudWatch's validation errors; `account` is the caller's.
fn query<'a>(body: &'a Value, account: &str, now: f64) -> Result<Query<'a>, ApiError> {
    let namespace = text(body, "Namespace", "namespace", 255)?;
    if let Some(bad) = namespace.filter(|n| n.starts_with(':')) {
        return Err(validation(format!(
            "Value '{bad}' at 'namespace' failed to satisfy constraint: Member must satisfy \
             regular expression pattern: [^:].*"
        )));
    }
    let name = text(body, "MetricName", "metricName", 255)?;
    let filters = filters(body)?;
    let recent = text(body, "RecentlyActive", "recentlyActive", usize::MAX)?;
    let since = match recent {
        None => now - LISTED_FOR,
        Some(value) if value == RECENTLY_ACTIVE.0 => now - RECENTLY_ACTIVE.1,
        Some(bad) => {
            return Err(validation(format!(
                "Value '{bad}' at 'recentlyActive' failed to satisfy constraint: Member must \
                 satisfy enum value set: [{}]",
                RECENTLY_ACTIVE.0
            )))
        }
    };
    let owning = text(body, "OwningAccount", "owningAccount", 255)?;
    if let Some(other) = owning.filter(|a| *a != account) {
        return Err(client_error(
            "ValidationError",
            format!(
                "OwningAccount: the fake does not serve cross-account observability \
                 (account {other})"
            ),
        ));
    }
    Ok(Query {
        namespace,
        name,
        filters,
        since,
    })
}

/// Whether the request asks for the metrics of linked accounts (`IncludeLinkedAccounts`).
fn linked(body: &Value) -> Result<bool, ApiError> {
    match body.get("IncludeLinkedAccounts").filter(|v| !v.is_null()) {
        None => Ok(false),
        Some(value) => value.as_bool().ok_or_else(|| {
            client_error(
                "SerializationException",
                "IncludeLinkedAccounts is not a boolean",
            )
        }),
    }
}

/// `ListMetrics`, in the caller's account and region.
pub(crate) fn list_metrics(state: &mut State, input: &Input) -> Result<Value, ApiError> {
    let (account, region, body) = (input.account(), input.region, input.body);
    let action = "cloudwatch:ListMetrics";
    input.caller.authorize(action, "*", account, region)?;
    let query = query(body, account, epoch_seconds(SystemTime::now()))?;
    let linked = linked(body)?;
    // Each metric once, however many datapoints (and units) it has.
    let listed: BTreeSet<(&str, &str, &BTreeMap<String, String>)> = (state.cloudwatch.metrics)
        .iter()
        .filter(|p| p.is_in(account, region) && query.matches(p))
        .map(|p| (p.namespace.as_str(), p.name.as_str(), &p.dimensions))
        .collect();
    let listed: Vec<_> = listed.into_iter().collect();
    let size = state.page_size.map_or(PAGE, |page| page.min(PAGE));
    let (page, next) =
        page_at(&listed, string_field(body, "NextToken"), size).ok_or_else(|| {
            client_error(
                "InvalidParameterValue",
                "The service cannot parse the token.",
            )
        })?;
    let metrics: Vec<Value> = page
        .iter()
        .map(|(namespace, name, dimensions)| {
            let dimensions: Vec<Value> = (dimensions.iter())
                .map(|(name, value)| json!({"Name": name, "Value": value}))
                .collect();
            json!({"Namespace": namespace, "MetricName": name, "Dimensions": dimensions})
        })
        .collect();
    let mut answer = Map::new();
    if linked {
        answer.insert("OwningAccounts".into(), json!(vec![account; metrics.len()]));
    }
    answer.insert("Metrics".into(), json!(metrics));
    if let Some(next) = next {
        answer.insert("NextToken".into(), json!(next));
    }
    Ok(Value::Object(answer))
}

#[cfg(test)]
#[path = "list_metrics_tests.rs"]
mod tests;
