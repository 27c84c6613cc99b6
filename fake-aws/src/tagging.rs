//! The Resource Groups Tagging API (SigV4 service `tagging`, JSON 1.1): `GetResources` over the
//! fake's alarms, as AWS answers it: tag filters match current or former tags (AWS keeps
//! listing a resource for a tag removed from it), a filter without values (or with an empty
//! list) matches any value of its key, and the last page's token is empty, not absent.

use serde_json::{json, Value};

use crate::cloudwatch::{page_at, strings};
use crate::protocol::{client_error, ApiError};
use crate::{string_field, Alarm, Input, State};

/// `ResourcesPerPage` at most, and when not given.
const PER_PAGE_LIMIT: usize = 100;
const DEFAULT_PER_PAGE: usize = 50;

fn invalid(message: impl Into<String>) -> ApiError {
    client_error("InvalidParameterException", message)
}

/// Whether `alarm` has (or had) the tag `key`, with one of `values` if any are given.
fn matches(alarm: &Alarm, key: &str, values: &[&str]) -> bool {
    [&alarm.tags, &alarm.former_tags].iter().any(|tags| {
        tags.get(key)
            .is_some_and(|value| values.is_empty() || values.contains(&value.as_str()))
    })
}

/// `ResourcesPerPage`, between 1 and [`PER_PAGE_LIMIT`]; [`DEFAULT_PER_PAGE`] when not given.
fn per_page(body: &Value) -> Result<usize, ApiError> {
    let Some(n) = body.get("ResourcesPerPage").filter(|v| !v.is_null()) else {
        return Ok(DEFAULT_PER_PAGE);
    };
    n.as_u64()
        .map(|n| n as usize)
        .filter(|n| (1..=PER_PAGE_LIMIT).contains(n))
        .ok_or_else(|| {
            invalid(format!(
                "ResourcesPerPage must be between 1 and {PER_PAGE_LIMIT}, not {n}"
            ))
        })
}

/// The tag filters: each key with the values it matches (none: any).
fn tag_filters(body: &Value) -> Result<Vec<(&str, Vec<&str>)>, ApiError> {
    let mut filters = Vec::new();
    for filter in body["TagFilters"].as_array().map_or(&[][..], Vec::as_slice) {
        let key =
            string_field(filter, "Key").ok_or_else(|| invalid("A tag filter needs a Key."))?;
        filters.push((key, strings(filter, "Values")?.unwrap_or_default()));
    }
    Ok(filters)
}

/// An alarm as `GetResources` maps it to its tags.
fn mapping(alarm: &Alarm) -> Value {
    let tags: Vec<Value> = alarm
        .tags
        .iter()
        .map(|(key, value)| json!({"Key": key, "Value": value}))
        .collect();
    json!({"ResourceARN": alarm.arn(), "Tags": tags})
}

/// `GetResources`, in the caller's account. IAM: `tag:GetResources` takes no resource type, so
/// it is authorized on `*`.
pub(crate) fn get_resources(state: &mut State, input: &Input) -> Result<Value, ApiError> {
    let (account, region, body) = (input.account(), input.region, input.body);
    input
        .caller
        .authorize("tag:GetResources", "*", account, region)?;
    let per_page = per_page(body)?;
    // Only alarms are tagged in the fake: any other resource type has none.
    let alarms = strings(body, "ResourceTypeFilters")?.is_none_or(|types| {
        types.is_empty()
            || types
                .iter()
                .any(|t| ["cloudwatch", "cloudwatch:alarm"].contains(t))
    });
    let filters = tag_filters(body)?;
    let mut found: Vec<&Alarm> = state
        .cloudwatch
        .alarms
        .iter()
        .filter(|a| alarms && a.is_in(account, region))
        .filter(|a| filters.iter().all(|(key, values)| matches(a, key, values)))
        .collect();
    found.sort_by_key(|a| a.arn());
    let size = state.page_size.map_or(per_page, |page| page.min(per_page));
    let token = string_field(body, "PaginationToken").filter(|t| !t.is_empty());
    let (page, next) =
        page_at(&found, token, size).ok_or_else(|| invalid("The pagination token is invalid."))?;
    Ok(json!({
        "ResourceTagMappingList": page.iter().copied().map(mapping).collect::<Vec<_>>(),
        "PaginationToken": next.unwrap_or_default(),
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::router::call;
    use crate::{Alarm, State};

    fn state() -> State {
        let mut state = State::default();
        let mut untagged = Alarm::new("us-east-1", "d-former").tag("team", "ops");
        untagged.former_tags = std::mem::take(&mut untagged.tags);
        state.cloudwatch.alarms = vec![
            Alarm::new("us-east-1", "a-shop").tag("team", "shop"),
            Alarm::new("us-east-1", "b-billing").tag("team", "billing"),
            Alarm::new("us-east-1", "c-other").tag("owner", "shop"),
            untagged,
            Alarm::new("eu-west-1", "e-europe").tag("team", "shop"),
        ];
        state
    }

    /// The names of the alarms `GetResources` answers for these tag filters.
    fn names(filters: Value) -> Vec<String> {
        let body = json!({ "TagFilters": filters });
        let operation = ("tagging", "GetResources", "us-east-1");
        let answer = call(&mut state(), "AKIDEXAMPLE", operation, &body);
        let answer = answer.unwrap_or_else(|e| panic!("{} {}", e.1, e.2)).json();
        assert_eq!(answer["PaginationToken"], "");
        let list = answer["ResourceTagMappingList"].as_array().cloned();
        let arns = list.unwrap_or_default().into_iter();
        arns.map(|m| {
            m["ResourceARN"]
                .as_str()
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
                .into()
        })
        .collect()
    }

    #[test]
    fn a_key_without_values_matches_every_value_of_it() {
        let any = ["a-shop", "b-billing", "d-former"];
        assert_eq!(names(json!([{"Key": "team"}])), any);
        assert_eq!(names(json!([{"Key": "team", "Values": []}])), any);
        assert_eq!(names(json!([{"Key": "team", "Values": null}])), any);
        assert_eq!(names(json!([{"Key": "missing"}])), Vec::<String>::new());
    }

    #[test]
    fn values_and_several_filters_narrow_the_match() {
        assert_eq!(
            names(json!([{"Key": "team", "Values": ["shop"]}])),
            ["a-shop"]
        );
        let both = json!([{"Key": "team", "Values": ["shop", "ops"]}]);
        assert_eq!(names(both), ["a-shop", "d-former"]);
        let and = json!([{"Key": "team"}, {"Key": "owner"}]);
        assert_eq!(names(and), Vec::<String>::new());
        assert_eq!(names(json!([])).len(), 4);
    }
}
