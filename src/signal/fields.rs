//! Field helpers shared by the payload parsers: typed decoding with field paths, and the
//! forms of regions, ARNs, accounts, tags and deployment IDs.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::model::ParseError;
use crate::time::Time;
use crate::types::{is_deployment_id, is_region};

pub fn error(message: impl Into<String>) -> ParseError {
    ParseError(message.into())
}

pub fn as_object<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>, ParseError> {
    value
        .as_object()
        .ok_or_else(|| error(format!("{what} is {}, not a JSON object", json_kind(value))))
}

pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The first keys of an object, for error messages.
pub fn keys(object: &Map<String, Value>) -> String {
    let mut keys: Vec<&str> = object.keys().map(String::as_str).take(8).collect();
    if object.len() > keys.len() {
        keys.push("…");
    }
    if keys.is_empty() {
        "none".into()
    } else {
        keys.join(", ")
    }
}

/// Deserialises `value` as `T`; an error names `what` and the path of the offending field.
pub fn decode<'a, T: Deserialize<'a>>(value: &'a Value, what: &str) -> Result<T, ParseError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            error(format!("{what}: {}", e.inner()))
        } else {
            error(format!("{what}: field `{path}`: {}", e.inner()))
        }
    })
}

/// Accepts a missing field or `null` as the default (AWS sends both).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A timestamp field, read when it is text in a form [`Time::parse`] knows; anything else is
/// treated as no time at all (the signal then counts as happening now), not as an error.
pub fn loose_time<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Time>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) => Time::parse(&text),
        _ => None,
    })
}

/// `Some(region)` when `region` is a region code.
pub fn valid_region(region: Option<&str>) -> Option<String> {
    let region = region?.trim();
    is_region(region).then(|| region.to_string())
}

/// The region field of an ARN (`arn:aws:cloudwatch:us-east-1:…`), when it is a valid one.
pub fn arn_region(arn: &str) -> Option<String> {
    valid_region(arn.split(':').nth(3))
}

/// The distinct non-empty accounts among `claims`, in order.
pub fn accounts<'a>(claims: impl IntoIterator<Item = Option<&'a str>>) -> Vec<String> {
    let mut accounts: Vec<String> = Vec::new();
    for claim in claims.into_iter().flatten().map(str::trim) {
        if !claim.is_empty() && !accounts.iter().any(|a| a == claim) {
            accounts.push(claim.to_string());
        }
    }
    accounts
}

/// Key/value pairs from an object of strings or a list of `{Key|key|Name|name, Value|value}`.
pub fn pairs(value: &Value) -> Vec<(String, String)> {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match value {
        Value::Object(map) => map
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), text(v)?)))
            .collect(),
        Value::Array(list) => list
            .iter()
            .filter_map(|entry| {
                let field =
                    |names: &[&str]| names.iter().find_map(|n| entry.get(*n)).and_then(text);
                Some((
                    field(&["Key", "key", "Name", "name"])?,
                    field(&["Value", "value"])?,
                ))
            })
            .collect(),
        _ => Vec::new(),
    }
}

pub fn check_deployment_id(id: &str, what: &str, field: &str) -> Result<(), ParseError> {
    if is_deployment_id(id) {
        Ok(())
    } else {
        Err(error(format!(
            "{what}: `{field}` `{id}` is not a CodeDeploy deployment ID (`d-` and 9 upper-case \
             letters or digits)"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::arn_account;
    use serde_json::json;

    #[test]
    fn region_codes_are_recognised() {
        for good in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "ap-southeast-5",
        ] {
            assert_eq!(valid_region(Some(good)).as_deref(), Some(good));
        }
        for bad in [
            "US East (N. Virginia)",
            "EXAMPLE",
            "REGION",
            "us-east",
            "us--1",
            "",
            "us-east-1a",
        ] {
            assert_eq!(valid_region(Some(bad)), None, "{bad}");
        }
        assert_eq!(
            arn_region("arn:aws:cloudwatch:eu-west-1:1:alarm:a").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(arn_region("arn:aws:sns:EXAMPLE"), None);
    }

    #[test]
    fn accounts_come_from_arns_and_fields_without_repeats() {
        assert_eq!(
            arn_account("arn:aws:cloudwatch:eu-west-1:111122223333:alarm:a").as_deref(),
            Some("111122223333")
        );
        assert_eq!(arn_account("arn:aws:cloudwatch:eu-west-1::alarm:a"), None);
        assert_eq!(arn_account("not an arn:a:b:c:d"), None);
        assert_eq!(arn_account("arn:aws"), None);
        assert_eq!(
            accounts([Some("1"), None, Some(" 1 "), Some(""), Some("2")]),
            vec!["1", "2"]
        );
    }

    #[test]
    fn deployment_ids_have_one_shape() {
        assert!(is_deployment_id("d-75I7MBT7C"));
        assert!(is_deployment_id("d-123456789"));
        for bad in [
            "d-DEPID",
            "d-75i7mbt7c",
            "75I7MBT7C",
            "d-75I7MBT7C0",
            "d-75I7MBT7",
            "",
        ] {
            assert!(!is_deployment_id(bad), "{bad}");
        }
    }

    #[test]
    fn pairs_accept_objects_and_key_value_lists() {
        let expected = vec![
            ("a".to_string(), "1".to_string()),
            ("b".to_string(), "x".to_string()),
        ];
        assert_eq!(pairs(&json!({"a": "1", "b": "x"})), expected);
        assert_eq!(
            pairs(&json!([{"Key": "a", "Value": "1"}, {"key": "b", "value": "x"}])),
            expected
        );
        assert_eq!(
            pairs(&json!([{"name": "a", "value": 1}, {"Name": "b", "Value": "x"}])),
            expected
        );
        assert_eq!(
            pairs(&json!({"a": 1, "n": null, "o": {}})),
            vec![("a".to_string(), "1".to_string())]
        );
        assert!(pairs(&json!("tags")).is_empty());
        assert!(pairs(&json!([{"Key": "no value"}, 3])).is_empty());
    }
}
