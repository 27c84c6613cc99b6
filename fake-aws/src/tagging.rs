//! The Resource Groups Tagging API (SigV4 service `tagging`, JSON 1.1): `GetResources` over the
//! fake's alarms, as AWS answers it: tag filters match current or former tags (AWS keeps
//! listing a resource for a tag removed from it), and the last page's token is empty, not
//! absent.

use serde_json::{json, Value};

use crate::cloudwatch::{page_at, strings};
use crate::server::{client_error, ApiError};
use crate::{string_field, Alarm, Caller, State};

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

impl State {
    /// Serves `GetResources` in the caller's account. IAM: `tag:GetResources` takes no resource
    /// type, so it is authorized on `*`.
    pub(crate) fn tagging(
        &self,
        caller: &Caller,
        operation: &str,
        region: &str,
        body: &Value,
    ) -> Result<Value, ApiError> {
        if operation != "GetResources" {
            return Err(client_error(
                "UnknownOperationException",
                format!("the fake does not serve operation `{operation}`"),
            ));
        }
        let account = caller.account.as_str();
        self.authorize(caller, "tag:GetResources", "*", account, region)?;
        let per_page = match body.get("ResourcesPerPage").filter(|v| !v.is_null()) {
            None => DEFAULT_PER_PAGE,
            Some(n) => n
                .as_u64()
                .map(|n| n as usize)
                .filter(|n| (1..=PER_PAGE_LIMIT).contains(n))
                .ok_or_else(|| {
                    invalid(format!(
                        "ResourcesPerPage must be between 1 and {PER_PAGE_LIMIT}, not {n}"
                    ))
                })?,
        };
        // Only alarms are tagged in the fake: any other resource type has none.
        let alarms = strings(body, "ResourceTypeFilters")?.is_none_or(|types| {
            types.is_empty()
                || types
                    .iter()
                    .any(|t| ["cloudwatch", "cloudwatch:alarm"].contains(t))
        });
        let mut filters: Vec<(&str, Vec<&str>)> = Vec::new();
        for filter in body["TagFilters"].as_array().map_or(&[][..], Vec::as_slice) {
            let key =
                string_field(filter, "Key").ok_or_else(|| invalid("A tag filter needs a Key."))?;
            filters.push((key, strings(filter, "Values")?.unwrap_or_default()));
        }
        let mut found: Vec<&Alarm> = self
            .alarms
            .iter()
            .filter(|a| alarms && a.is_in(account, region))
            .filter(|a| filters.iter().all(|(key, values)| matches(a, key, values)))
            .collect();
        found.sort_by_key(|a| a.arn());
        let size = self.page_size.map_or(per_page, |page| page.min(per_page));
        let token = string_field(body, "PaginationToken").filter(|t| !t.is_empty());
        let (page, next) = page_at(&found, token, size)
            .ok_or_else(|| invalid("The pagination token is invalid."))?;
        let mappings: Vec<Value> = page
            .iter()
            .map(|alarm| {
                let tags: Vec<Value> = alarm
                    .tags
                    .iter()
                    .map(|(key, value)| json!({"Key": key, "Value": value}))
                    .collect();
                json!({"ResourceARN": alarm.arn(), "Tags": tags})
            })
            .collect();
        Ok(json!({
            "ResourceTagMappingList": mappings,
            "PaginationToken": next.unwrap_or_default(),
        }))
    }
}
