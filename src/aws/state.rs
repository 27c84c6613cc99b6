//! The state only the functions' roles write: one DynamoDB table (`STATE_TABLE`), items keyed by
//! `pk`, expiring at `expiresAt` (epoch seconds, the table's TTL). Records are plain JSON objects
//! here (strings, numbers, booleans, lists and objects); a write may be refused unless the item is
//! as [`Expect`] says, so that two invocations racing for the same record cannot both win.

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use serde_json::{Map, Number, Value};

use super::calls::{Calls, Deadline};
use super::errors::aws_error;
use crate::time::Time;
use crate::types::AwsError;

/// The error code of a write whose condition did not hold.
const CONDITION_FAILED: &str = "ConditionalCheckFailedException";

/// What a conditional write expects of the item it replaces or deletes.
#[derive(Clone, Copy, Debug)]
pub enum Expect<'a> {
    /// There is no item with this key yet.
    New,
    /// The item exists and its attribute is this value.
    Equals(&'a str, &'a Value),
    /// The item exists and has no such attribute.
    Without(&'a str),
}

/// How a conditional write went.
#[derive(Clone, Debug, PartialEq)]
pub enum Written {
    Done,
    /// The item was not as expected: nothing was written.
    Refused,
}

/// The state table.
pub struct StateTable {
    client: Client,
    table: String,
    calls: Calls,
}

impl StateTable {
    pub fn new(base: &SdkConfig, table: &str) -> Self {
        StateTable {
            client: Client::new(base),
            table: table.to_string(),
            calls: Calls::default(),
        }
    }

    /// The record under `pk`, read consistently (a write just made is seen).
    pub async fn get(
        &self,
        deadline: Deadline,
        pk: &str,
    ) -> Result<Option<Map<String, Value>>, AwsError> {
        let call = Box::pin(
            (self.client.get_item())
                .table_name(&self.table)
                .key("pk", AttributeValue::S(pk.into()))
                .consistent_read(true)
                .send(),
        );
        let work = async { call.await.map_err(|e| aws_error("GetItem", e)) };
        let item = self.calls.run(deadline, "GetItem", work).await?;
        Ok(item.item.map(from_item))
    }

    /// Writes `record` under `pk`, to expire at `expires`, when the item is as `expect` says.
    pub async fn put(
        &self,
        deadline: Deadline,
        (pk, expires): (&str, Time),
        record: &Map<String, Value>,
        expect: &[Expect<'_>],
    ) -> Result<Written, AwsError> {
        let mut item: HashMap<String, AttributeValue> = (record.iter())
            .map(|(k, v)| (k.clone(), to_value(v)))
            .collect();
        item.insert("pk".into(), AttributeValue::S(pk.into()));
        let expires = (expires.millis() / 1000).to_string();
        item.insert("expiresAt".into(), AttributeValue::N(expires));
        let (condition, names, values) = condition(expect);
        let call = Box::pin(
            (self.client.put_item())
                .table_name(&self.table)
                .set_item(Some(item))
                .set_condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .send(),
        );
        let work = async {
            match call.await {
                Ok(_) => Ok(Written::Done),
                Err(e) => refused(&e).map_or_else(|| Err(aws_error("PutItem", e)), Ok),
            }
        };
        self.calls.run(deadline, "PutItem", work).await
    }

    /// Deletes the record under `pk` when the item is as `expect` says.
    pub async fn delete(
        &self,
        deadline: Deadline,
        pk: &str,
        expect: &[Expect<'_>],
    ) -> Result<Written, AwsError> {
        let (condition, names, values) = condition(expect);
        let call = Box::pin(
            (self.client.delete_item())
                .table_name(&self.table)
                .key("pk", AttributeValue::S(pk.into()))
                .set_condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .send(),
        );
        let work = async {
            match call.await {
                Ok(_) => Ok(Written::Done),
                Err(e) => refused(&e).map_or_else(|| Err(aws_error("DeleteItem", e)), Ok),
            }
        };
        self.calls.run(deadline, "DeleteItem", work).await
    }
}

/// A refused condition as [`Written::Refused`]; any other error as none.
fn refused<E, R>(error: &SdkError<E, R>) -> Option<Written>
where
    E: ProvideErrorMetadata,
{
    let service = error.as_service_error()?;
    (service.code() == Some(CONDITION_FAILED)).then_some(Written::Refused)
}

/// The condition expression, names and values that say `expect`.
type Condition = (
    Option<String>,
    Option<HashMap<String, String>>,
    Option<HashMap<String, AttributeValue>>,
);

fn condition(expect: &[Expect<'_>]) -> Condition {
    if expect.is_empty() {
        return (None, None, None);
    }
    let (mut names, mut values) = (HashMap::new(), HashMap::new());
    let clauses: Vec<String> = (expect.iter().enumerate())
        .map(|(i, expect)| match expect {
            Expect::New => "attribute_not_exists(pk)".to_string(),
            Expect::Equals(name, value) => {
                names.insert(format!("#a{i}"), name.to_string());
                values.insert(format!(":v{i}"), to_value(value));
                format!("#a{i} = :v{i}")
            }
            Expect::Without(name) => {
                names.insert(format!("#a{i}"), name.to_string());
                format!("attribute_exists(pk) AND attribute_not_exists(#a{i})")
            }
        })
        .collect();
    let names = (!names.is_empty()).then_some(names);
    let values = (!values.is_empty()).then_some(values);
    (Some(clauses.join(" AND ")), names, values)
}

/// A JSON value as DynamoDB stores it.
fn to_value(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(list) => AttributeValue::L(list.iter().map(to_value).collect()),
        Value::Object(map) => {
            AttributeValue::M(map.iter().map(|(k, v)| (k.clone(), to_value(v))).collect())
        }
    }
}

/// A stored item as JSON (sets as lists; binary values, never written here, as null).
fn from_item(item: HashMap<String, AttributeValue>) -> Map<String, Value> {
    item.into_iter().map(|(k, v)| (k, from_value(v))).collect()
}

fn from_value(value: AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => Value::String(s),
        AttributeValue::N(n) => (n.parse::<i64>().ok().map(Number::from))
            .or_else(|| n.parse::<f64>().ok().and_then(Number::from_f64))
            .map_or(Value::Null, Value::Number),
        AttributeValue::Bool(b) => Value::Bool(b),
        AttributeValue::L(list) => Value::Array(list.into_iter().map(from_value).collect()),
        AttributeValue::M(map) => Value::Object(from_item(map)),
        AttributeValue::Ss(set) => Value::Array(set.into_iter().map(Value::String).collect()),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_keep_their_shape_through_dynamodb() {
        let record = json!({"polls": 3, "firstSeen": 1_765_000_000_123_i64, "answer": "Failed",
            "insufficient": ["a", "b"], "made": {"id": "d-1"}, "none": null, "ok": true});
        let stored = to_value(&record);
        let AttributeValue::M(map) = stored else {
            panic!("an object is a map")
        };
        assert_eq!(Value::Object(from_item(map)), record);
    }

    #[test]
    fn expectations_become_one_condition_with_placeholders() {
        let polls = json!(2);
        let (expression, names, values) =
            condition(&[Expect::Equals("polls", &polls), Expect::Without("answer")]);
        assert_eq!(
            expression.as_deref(),
            Some("#a0 = :v0 AND attribute_exists(pk) AND attribute_not_exists(#a1)")
        );
        assert_eq!(names.unwrap()["#a1"], "answer");
        assert_eq!(values.unwrap()[":v0"], AttributeValue::N("2".into()));
        assert_eq!(condition(&[]), (None, None, None));
        assert_eq!(
            condition(&[Expect::New]).0.as_deref(),
            Some("attribute_not_exists(pk)")
        );
    }
}
