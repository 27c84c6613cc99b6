//! DynamoDB (AWS JSON 1.0, `X-Amz-Target: DynamoDB_20120810.<Operation>`): `PutItem`,
//! `GetItem`, `UpdateItem` and `DeleteItem`, validated as DynamoDB validates them, with
//! condition, update and projection expressions (modules `expression`, `condition`, `update`),
//! `ReturnValues`, `ReturnValuesOnConditionCheckFailure` and (nominal) consumed capacity; IAM
//! `dynamodb:<Operation>` on the table's ARN. Every table's partition key is the string `pk`
//! and it has no sort key: all this project needs.
//! TTL is not enforced (DynamoDB deletes expired items lazily, up to days later, so an item
//! past its TTL must be treated as gone by its reader anyway). No indexes, streams,
//! transactions, batches, queries or scans; legacy parameters (`Expected`, `AttributeUpdates`,
//! `AttributesToGet`) are refused.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::attribute::{canonical_item, item_size, Item};
use crate::document::{get, Element, Path};
use crate::dynamodb_input::{check_condition, check_item, expressions, key, return_values};
use crate::dynamodb_input::{table, validation, ITEM_LIMIT};
use crate::protocol::Failure;
use crate::{own_account, FakeAws, Input, State};

/// The partition key of every table.
pub const KEY: &str = "pk";

/// A table, as seeded: `{"account"?, "region", "name"}` (partition key `pk`, a string;
/// the account, when not given, the function's own).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    #[serde(default = "own_account")]
    pub account: String,
    pub region: String,
    pub name: String,
}

/// DynamoDB's state: every table's items, by partition key.
#[derive(Default)]
pub(crate) struct DynamoDb {
    pub(crate) tables: BTreeMap<Table, BTreeMap<String, Item>>,
}

impl Table {
    /// The table `name` of `account` in `region`.
    pub fn new(account: &str, region: &str, name: &str) -> Self {
        Table {
            account: account.into(),
            region: region.into(),
            name: name.into(),
        }
    }
}

impl FakeAws {
    /// Creates an empty table (or empties it).
    pub fn create_table(&self, account: &str, region: &str, name: &str) {
        let table = Table::new(account, region, name);
        self.lock().dynamodb.tables.insert(table, BTreeMap::new());
    }

    /// A table's items, in AttributeValue JSON, by key. Panics when there is no such table.
    pub fn items(&self, account: &str, region: &str, table: &str) -> Vec<Value> {
        let mut state = self.lock();
        let items = state.dynamodb.items(&Table::new(account, region, table));
        items.values().map(|i| Value::Object(i.clone())).collect()
    }

    /// Puts an item (AttributeValue JSON, with its `pk`) as a writer would, replacing any of
    /// the same key. Panics when there is no such table or the item is invalid.
    pub fn put_item(&self, account: &str, region: &str, table: &str, item: Value) {
        let item = item.as_object().cloned().expect("an item is a JSON object");
        let key = check_item(&item).unwrap_or_else(|e| panic!("invalid item: {}", e.2));
        let mut state = self.lock();
        let items = state.dynamodb.items(&Table::new(account, region, table));
        items.insert(key, canonical_item(&item));
    }
}

impl DynamoDb {
    /// A table's items; panics when there is no such table.
    fn items(&mut self, table: &Table) -> &mut BTreeMap<String, Item> {
        let Table {
            account,
            region,
            name,
        } = table;
        let missing = || panic!("the fake has no table {name} in {account} {region}");
        self.tables.get_mut(table).unwrap_or_else(missing)
    }

    /// Every table with its items, for `GET /_fake/tables`.
    pub(crate) fn listing(&self) -> Value {
        let table = |(table, items): (&Table, &BTreeMap<String, Item>)| {
            let mut listed = json!(table);
            listed["items"] = json!(items.values().collect::<Vec<_>>());
            listed
        };
        json!(self.tables.iter().map(table).collect::<Vec<_>>())
    }
}

/// `__type` as DynamoDB writes it: the code in its Smithy namespace.
pub(crate) fn error_type(code: &str) -> String {
    let namespace = match code {
        "ValidationException" => "com.amazon.coral.validate",
        "ThrottlingException" => "com.amazon.coral.availability",
        "AccessDeniedException"
        | "UnrecognizedClientException"
        | "MissingAuthenticationTokenException"
        | "IncompleteSignatureException"
        | "SerializationException"
        | "UnknownOperationException" => "com.amazon.coral.service",
        _ => "com.amazonaws.dynamodb.v20120810",
    };
    format!("{namespace}#{code}")
}

/// The answer: `Attributes` when there are some, and the consumed capacity if asked for.
fn answer(table: &Table, body: &Value, attributes: Option<Item>, units: f64) -> Value {
    let mut answer = json!({});
    if let Some(attributes) = attributes {
        answer["Attributes"] = Value::Object(attributes);
    }
    if matches!(
        body.get("ReturnConsumedCapacity").and_then(Value::as_str),
        Some("TOTAL" | "INDEXES")
    ) {
        answer["ConsumedCapacity"] = json!({"TableName": table.name, "CapacityUnits": units});
    }
    answer
}

/// `PutItem`: replaces the item, if its condition holds.
pub(crate) fn put_item(state: &mut State, input: &Input) -> Result<Value, Failure> {
    let table = table(state, input)?;
    let body = input.body;
    let item = body
        .get("Item")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let pk = check_item(&item)?;
    let returned = return_values(body, &["NONE", "ALL_OLD"])?;
    let parsed = expressions(body, &["ConditionExpression"])?;
    let items = state.dynamodb.items(&table);
    check_condition(body, parsed.condition.as_ref(), items.get(&pk))?;
    let old = items.insert(pk, canonical_item(&item));
    Ok(answer(
        &table,
        body,
        old.filter(|_| returned == "ALL_OLD"),
        1.0,
    ))
}

/// `GetItem` (strongly consistent or not: the fake is always consistent).
pub(crate) fn get_item(state: &mut State, input: &Input) -> Result<Value, Failure> {
    let table = table(state, input)?;
    let pk = key(input.body)?;
    let parsed = expressions(input.body, &["ProjectionExpression"])?;
    let consistent = input.body.get("ConsistentRead") == Some(&json!(true));
    let units = if consistent { 1.0 } else { 0.5 };
    let mut answer = answer(&table, input.body, None, units);
    let Some(item) = state.dynamodb.tables.get(&table).and_then(|t| t.get(&pk)) else {
        return Ok(answer);
    };
    let item = match parsed.projection {
        None => item.clone(),
        Some(paths) => project(item, &paths)?,
    };
    if !item.is_empty() {
        answer["Item"] = Value::Object(item);
    }
    Ok(answer)
}

/// The projected attributes (top-level paths only: the fake does not project nested ones).
fn project(item: &Item, paths: &[Path]) -> Result<Item, Failure> {
    let mut projected = Item::new();
    for path in paths {
        if path.len() > 1 {
            return Err(validation("the fake projects top-level attributes only").into());
        }
        if let (Some(value), Some(Element::Name(name))) = (get(item, path), path.first()) {
            projected.insert(name.clone(), value.clone());
        }
    }
    Ok(projected)
}

/// `UpdateItem`: updates the item, or creates it, if its condition holds.
pub(crate) fn update_item(state: &mut State, input: &Input) -> Result<Value, Failure> {
    let table = table(state, input)?;
    let body = input.body;
    let pk = key(body)?;
    let returned = return_values(
        body,
        &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"],
    )?;
    let parsed = expressions(body, &["UpdateExpression", "ConditionExpression"])?;
    let update = parsed.update.unwrap_or_default();
    let updated = update.attributes();
    if updated.contains(KEY) {
        return Err(validation(format!(
            "One or more parameter values were invalid: Cannot update attribute {KEY}. This \
             attribute is part of the key"
        ))
        .into());
    }
    let items = state.dynamodb.items(&table);
    let old = items.get(&pk).cloned();
    check_condition(body, parsed.condition.as_ref(), old.as_ref())?;
    let start = old
        .clone()
        .unwrap_or_else(|| Item::from_iter([(KEY.into(), json!({"S": pk}))]));
    let new = canonical_item(&update.apply(&start).map_err(validation)?);
    if item_size(&new) > ITEM_LIMIT {
        return Err(validation("Item size to update has exceeded the maximum allowed size").into());
    }
    items.insert(pk, new.clone());
    let only_updated = |item: &Item| -> Item {
        item.iter()
            .filter(|(k, _)| updated.contains(k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let attributes = match returned {
        "ALL_OLD" => old,
        "UPDATED_OLD" => old.as_ref().map(only_updated),
        "ALL_NEW" => Some(new),
        "UPDATED_NEW" => Some(only_updated(&new)),
        _ => None,
    };
    Ok(answer(
        &table,
        body,
        attributes.filter(|a| !a.is_empty()),
        1.0,
    ))
}

/// `DeleteItem`: deletes the item (if there is one), if its condition holds.
pub(crate) fn delete_item(state: &mut State, input: &Input) -> Result<Value, Failure> {
    let table = table(state, input)?;
    let body = input.body;
    let pk = key(body)?;
    let returned = return_values(body, &["NONE", "ALL_OLD"])?;
    let parsed = expressions(body, &["ConditionExpression"])?;
    let items = state.dynamodb.items(&table);
    check_condition(body, parsed.condition.as_ref(), items.get(&pk))?;
    let old = items.remove(&pk);
    Ok(answer(
        &table,
        body,
        old.filter(|_| returned == "ALL_OLD"),
        1.0,
    ))
}

#[cfg(test)]
#[path = "dynamodb_tests.rs"]
pub(crate) mod tests;
