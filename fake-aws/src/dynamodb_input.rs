//! What a DynamoDB call asks, validated as DynamoDB validates it: the table (authorized), the
//! expressions with their placeholders all defined and all used, the key or the item, and the
//! return values; and the condition checked against the item.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::attribute::{item_size, validate, Item};
use crate::condition::Condition;
use crate::dynamodb::{Table, KEY};
use crate::expression::{Parser, Path, Placeholders};
use crate::protocol::{client_error, ApiError, Failure};
use crate::update::Update;
use crate::{Input, State};

/// DynamoDB's largest item, in bytes.
pub(crate) const ITEM_LIMIT: usize = 400 * 1024;

/// A `ValidationException`, DynamoDB's answer to a request it refuses.
pub(crate) fn validation(message: impl Into<String>) -> ApiError {
    client_error("ValidationException", message)
}

/// The table a call names, authorized: its key in the state.
pub(crate) fn table(state: &State, input: &Input) -> Result<Table, ApiError> {
    let name = input.body.get("TableName").and_then(Value::as_str);
    let Some(name) = name else {
        return Err(validation(
            "1 validation error detected: Value null at 'tableName' failed to satisfy \
             constraint: Member must not be null",
        ));
    };
    let (account, region, name) = match name.strip_prefix("arn:aws:dynamodb:") {
        Some(arn) => {
            let mut parts = arn.splitn(3, ':');
            let (region, account) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let table = parts
                .next()
                .and_then(|t| t.strip_prefix("table/"))
                .unwrap_or("");
            (account.to_string(), region.to_string(), table.to_string())
        }
        None => (
            input.account().to_string(),
            input.region.to_string(),
            name.to_string(),
        ),
    };
    let valid = |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c);
    if !(3..=255).contains(&name.len()) || !name.chars().all(valid) {
        return Err(validation(format!(
            "1 validation error detected: Value '{name}' at 'tableName' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and \
             have length between 3 and 255"
        )));
    }
    let arn = format!("arn:aws:dynamodb:{region}:{account}:table/{name}");
    let action = format!("dynamodb:{}", input.operation);
    input
        .caller
        .authorize(&action, &arn, &account, input.region)?;
    if account != input.account() {
        // The fake has no resource-based policies.
        return Err(client_error(
            "AccessDeniedException",
            format!(
                "User: {} is not authorized to perform: {action} on resource: {arn} because no \
                 resource-based policy allows the {action} action",
                input.caller.arn
            ),
        ));
    }
    let table = Table {
        account,
        region,
        name,
    };
    if !state.dynamodb.tables.contains_key(&table) {
        return Err(client_error(
            "ResourceNotFoundException",
            "Requested resource not found",
        ));
    }
    Ok(table)
}

/// The request's expressions, parsed, with its placeholders all defined and all used.
#[derive(Default)]
pub(crate) struct Expressions {
    pub(crate) condition: Option<Condition>,
    pub(crate) update: Option<Update>,
    pub(crate) projection: Option<Vec<Path>>,
}

/// Parses the expressions among `ConditionExpression`, `UpdateExpression` and
/// `ProjectionExpression` that `allowed` names; refuses legacy parameters.
pub(crate) fn expressions(body: &Value, allowed: &[&'static str]) -> Result<Expressions, ApiError> {
    for legacy in [
        "Expected",
        "AttributeUpdates",
        "AttributesToGet",
        "ConditionalOperator",
    ] {
        if body.get(legacy).is_some_and(|v| !v.is_null()) {
            return Err(validation(format!(
                "the fake does not support the legacy parameter {legacy}: use expressions"
            )));
        }
    }
    let empty = Map::new();
    let map = |field: &str, prefix: char| -> Result<&Map<String, Value>, ApiError> {
        let Some(map) = body.get(field).filter(|v| !v.is_null()) else {
            return Ok(&empty);
        };
        let map = map.as_object().filter(|m| !m.is_empty());
        let map = map.ok_or_else(|| validation(format!("{field} must not be empty")))?;
        if let Some(key) = map.keys().find(|k| !k.starts_with(prefix) || k.len() < 2) {
            return Err(validation(format!(
                "{field} contains invalid key: Syntax error; key: \"{key}\""
            )));
        }
        if allowed
            .iter()
            .all(|e| body.get(*e).is_none_or(Value::is_null))
        {
            let (verb, list) = match allowed {
                [one] => ("is", one.to_string()),
                _ => ("are", allowed.join(" and ")),
            };
            return Err(validation(format!(
                "{field} can only be specified when using expressions: {list} {verb} null"
            )));
        }
        Ok(map)
    };
    let names = map("ExpressionAttributeNames", '#')?;
    let values = map("ExpressionAttributeValues", ':')?;
    if let Some((key, message)) = values
        .iter()
        .find_map(|(k, v)| validate(v).err().map(|e| (k, e)))
    {
        return Err(validation(format!(
            "ExpressionAttributeValues contains invalid value: {message} for key {key}"
        )));
    }
    let mut placeholders = Placeholders::new(names, values);
    let mut parsed = Expressions::default();
    for kind in allowed {
        let Some(source) = body.get(*kind).filter(|v| !v.is_null()) else {
            continue;
        };
        let source = source.as_str().unwrap_or_default();
        let mut parser = Parser::new(kind, source, &mut placeholders).map_err(validation)?;
        match *kind {
            "ConditionExpression" => {
                parsed.condition = Some(parser.condition().map_err(validation)?)
            }
            "UpdateExpression" => parsed.update = Some(parser.update().map_err(validation)?),
            _ => parsed.projection = Some(parser.projection().map_err(validation)?),
        }
        parser.end().map_err(validation)?;
    }
    let unused = |all: &Map<String, Value>, used: &BTreeSet<String>| {
        let unused: Vec<&str> = all
            .keys()
            .filter(|k| !used.contains(*k))
            .map(String::as_str)
            .collect();
        (!unused.is_empty()).then(|| unused.join(", "))
    };
    if let Some(keys) = unused(names, &placeholders.used_names) {
        return Err(validation(format!(
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{keys}}}"
        )));
    }
    if let Some(keys) = unused(values, &placeholders.used_values) {
        return Err(validation(format!(
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{keys}}}"
        )));
    }
    Ok(parsed)
}

/// The key's `pk`, when `Key` is exactly the table's key.
pub(crate) fn key(body: &Value) -> Result<String, ApiError> {
    let key = body
        .get("Key")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    for value in key.values() {
        validate(value).map_err(validation)?;
    }
    let mismatch = || validation("The provided key element does not match the schema");
    if key.len() != 1 {
        return Err(mismatch());
    }
    let pk = key
        .get(KEY)
        .and_then(|v| v.get("S"))
        .and_then(Value::as_str);
    key_value(pk.ok_or_else(mismatch)?)
}

fn key_value(pk: &str) -> Result<String, ApiError> {
    if pk.is_empty() {
        return Err(validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute \
             cannot contain an empty string value. Key: {KEY}"
        )));
    }
    if pk.len() > 2048 {
        return Err(validation(
            "One or more parameter values were invalid: Size of hashkey has exceeded the \
             maximum size limit of2048 bytes",
        ));
    }
    Ok(pk.to_string())
}

/// Checks a whole item (PutItem's): its values, its key, its size; its `pk`.
pub(crate) fn check_item(item: &Item) -> Result<String, ApiError> {
    for value in item.values() {
        validate(value).map_err(validation)?;
    }
    let Some(pk) = item.get(KEY) else {
        return Err(validation(format!(
            "One or more parameter values were invalid: Missing the key {KEY} in the item"
        )));
    };
    let Some(pk) = pk.get("S").and_then(Value::as_str) else {
        let actual = pk
            .as_object()
            .and_then(|o| o.keys().next())
            .cloned()
            .unwrap_or_default();
        return Err(validation(format!(
            "One or more parameter values were invalid: Type mismatch for key {KEY} expected: S \
             actual: {actual}"
        )));
    };
    if item_size(item) > ITEM_LIMIT {
        return Err(validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }
    key_value(pk)
}

/// `ReturnValues`, one of `allowed`.
pub(crate) fn return_values<'b>(body: &'b Value, allowed: &[&str]) -> Result<&'b str, ApiError> {
    let value = body
        .get("ReturnValues")
        .and_then(Value::as_str)
        .unwrap_or("NONE");
    let all = ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"];
    if !all.contains(&value) {
        return Err(validation(format!(
            "1 validation error detected: Value '{value}' at 'returnValues' failed to satisfy \
             constraint: Member must satisfy enum value set: [{}]",
            all.join(", ")
        )));
    }
    if !allowed.contains(&value) {
        return Err(validation("Return values set to invalid value"));
    }
    Ok(value)
}

/// Checks the condition against the item as it is; when it fails, DynamoDB's error (with the
/// item when `ReturnValuesOnConditionCheckFailure` is `ALL_OLD`).
pub(crate) fn check_condition(
    body: &Value,
    condition: Option<&Condition>,
    old: Option<&Item>,
) -> Result<(), Failure> {
    let on_failure = body
        .get("ReturnValuesOnConditionCheckFailure")
        .and_then(Value::as_str);
    if !matches!(on_failure, None | Some("NONE" | "ALL_OLD")) {
        return Err(validation(format!(
            "1 validation error detected: Value '{}' at 'returnValuesOnConditionCheckFailure' \
             failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]",
            on_failure.unwrap_or_default()
        ))
        .into());
    }
    if condition.is_none_or(|c| c.holds(old)) {
        return Ok(());
    }
    let error = client_error(
        "ConditionalCheckFailedException",
        "The conditional request failed",
    );
    let mut fields = Map::new();
    if let (Some("ALL_OLD"), Some(old)) = (on_failure, old) {
        fields.insert("Item".into(), Value::Object(old.clone()));
    }
    Err(Failure(error, fields))
}
