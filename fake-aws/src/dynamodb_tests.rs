use serde_json::{json, Map, Value};

use crate::iam::Policy;
use crate::protocol::Failure;
use crate::router::call_failing;
use crate::{State, Table, ACCOUNT};

const REGION: &str = "us-east-1";

pub(crate) fn state() -> State {
    let mut state = State::default();
    let table = Table {
        account: ACCOUNT.into(),
        region: REGION.into(),
        name: "state".into(),
    };
    state.dynamodb.tables.insert(table, Default::default());
    state
}

/// Calls a DynamoDB operation on the table `state`; the answer, or the error's status, code,
/// message and extra members.
pub(crate) fn ddb(state: &mut State, operation: &str, mut body: Value) -> Result<Value, Error> {
    body["TableName"] = json!(body.get("TableName").cloned().unwrap_or(json!("state")));
    call_failing(state, "AKIDEXAMPLE", ("dynamodb", operation, REGION), &body)
        .map(|answer| answer.json())
        .map_err(|Failure(e, fields)| Error(e.0, e.1, e.2, fields))
}

#[derive(Debug)]
pub(crate) struct Error(pub u16, pub String, pub String, pub Map<String, Value>);

pub(crate) fn key(pk: &str) -> Value {
    json!({"pk": {"S": pk}})
}

fn get(state: &mut State, pk: &str) -> Value {
    ddb(state, "GetItem", json!({"Key": key(pk)})).expect("GetItem")["Item"].clone()
}

/// The ValidationException message of a call that must fail.
pub(crate) fn refused(state: &mut State, operation: &str, body: Value) -> String {
    let error = ddb(state, operation, body).expect_err("refused");
    assert_eq!(
        (error.0, error.1.as_str()),
        (400, "ValidationException"),
        "{error:?}"
    );
    error.2
}

fn update(state: &mut State, expression: &str, values: Value) -> Result<Value, Error> {
    let mut body = json!({"Key": key("a"), "UpdateExpression": expression,
                          "ReturnValues": "ALL_NEW"});
    if values != json!({}) {
        body["ExpressionAttributeValues"] = values;
    }
    ddb(state, "UpdateItem", body).map(|answer| answer["Attributes"].clone())
}

#[test]
fn items_are_put_read_and_deleted_with_canonical_numbers() {
    let mut state = state();
    let item = json!({"pk": {"S": "a"}, "n": {"N": "007.50"}, "l": {"L": [{"NULL": true}]},
                      "m": {"M": {"b": {"BOOL": false}}}, "ss": {"SS": ["x", "y"]}});
    let answer = ddb(
        &mut state,
        "PutItem",
        json!({"Item": item, "ReturnValues": "ALL_OLD"}),
    );
    assert_eq!(answer.expect("put"), json!({}));
    let read = get(&mut state, "a");
    assert_eq!(read["n"], json!({"N": "7.5"}));
    assert_eq!(read["m"], json!({"M": {"b": {"BOOL": false}}}));
    let projected = ddb(
        &mut state,
        "GetItem",
        json!({"Key": key("a"), "ConsistentRead": true,
        "ProjectionExpression": "n, #s", "ExpressionAttributeNames": {"#s": "ss"}}),
    );
    let projected = projected.expect("projected")["Item"].clone();
    assert_eq!(
        projected,
        json!({"n": {"N": "7.5"}, "ss": {"SS": ["x", "y"]}})
    );
    let deleted = ddb(
        &mut state,
        "DeleteItem",
        json!({"Key": key("a"), "ReturnValues": "ALL_OLD"}),
    );
    assert_eq!(deleted.expect("deleted")["Attributes"], read);
    assert_eq!(
        ddb(&mut state, "GetItem", json!({"Key": key("a")})).expect("get"),
        json!({})
    );
}

#[test]
fn a_failed_condition_answers_the_item_when_asked() {
    let mut state = state();
    let put = |state: &mut State, on_failure: &str| {
        ddb(
            state,
            "PutItem",
            json!({"Item": {"pk": {"S": "a"}, "v": {"N": "1"}},
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": on_failure}),
        )
    };
    put(&mut state, "ALL_OLD").expect("the first put");
    let error = put(&mut state, "NONE").expect_err("a second put");
    assert_eq!(
        (error.0, error.1.as_str()),
        (400, "ConditionalCheckFailedException")
    );
    assert_eq!(error.2, "The conditional request failed");
    assert!(error.3.is_empty());
    let error = put(&mut state, "ALL_OLD").expect_err("a third put");
    assert_eq!(error.3["Item"], json!({"pk": {"S": "a"}, "v": {"N": "1"}}));
    // Deleting with a condition that fails deletes nothing.
    let delete = ddb(
        &mut state,
        "DeleteItem",
        json!({"Key": key("a"),
        "ConditionExpression": "v > :v", "ExpressionAttributeValues": {":v": {"N": "1"}}}),
    );
    assert_eq!(
        delete.expect_err("refused").1,
        "ConditionalCheckFailedException"
    );
    assert!(get(&mut state, "a").is_object());
}

#[test]
fn updates_create_set_remove_add_and_delete() {
    let mut state = state();
    let one = json!({":one": {"N": "1"}, ":zero": {"N": "0"}});
    let counted = update(
        &mut state,
        "SET c = if_not_exists(c, :zero) + :one",
        one.clone(),
    );
    assert_eq!(
        counted.expect("created"),
        json!({"pk": {"S": "a"}, "c": {"N": "1"}})
    );
    let counted = update(&mut state, "SET c = if_not_exists(c, :zero) + :one", one);
    assert_eq!(counted.expect("counted")["c"], json!({"N": "2"}));
    let values = json!({":l": {"L": [{"S": "x"}]}, ":s": {"SS": ["p", "q"]}, ":n": {"N": "-2.5"}});
    let all = update(
        &mut state,
        "SET l = list_append(if_not_exists(l, :l), :l), d = c - :n ADD s :s, c :n",
        values,
    );
    let all = all.expect("updated");
    assert_eq!(all["l"], json!({"L": [{"S": "x"}, {"S": "x"}]}));
    assert_eq!(
        all["d"],
        json!({"N": "4.5"}),
        "operands are read before the update"
    );
    assert_eq!(all["c"], json!({"N": "-0.5"}));
    let values = json!({":s": {"SS": ["p", "q"]}});
    let removed = update(&mut state, "REMOVE l[0], d DELETE s :s", values).expect("removed");
    assert_eq!(
        removed,
        json!({"pk": {"S": "a"}, "c": {"N": "-0.5"}, "l": {"L": [{"S": "x"}]}})
    );
    let old = ddb(
        &mut state,
        "UpdateItem",
        json!({"Key": key("a"), "ReturnValues": "UPDATED_OLD",
        "UpdateExpression": "SET #c = :c", "ExpressionAttributeNames": {"#c": "c"},
        "ExpressionAttributeValues": {":c": {"S": "x"}}}),
    );
    assert_eq!(
        old.expect("updated")["Attributes"],
        json!({"c": {"N": "-0.5"}})
    );
    // An update whose condition fails on a missing item creates nothing.
    let missing = ddb(
        &mut state,
        "UpdateItem",
        json!({"Key": key("b"),
        "UpdateExpression": "SET c = :c", "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeValues": {":c": {"N": "1"}}}),
    );
    assert_eq!(
        missing.expect_err("refused").1,
        "ConditionalCheckFailedException"
    );
    assert!(get(&mut state, "b").is_null());
}

#[test]
fn requests_are_validated_as_dynamodb_does() {
    let mut state = state();
    let cases = [
        ("GetItem", json!({"Key": {"pk": {"N": "1"}}}), "The provided key element does not match the schema"),
        ("GetItem", json!({"Key": {"pk": {"S": "a"}, "sk": {"S": "b"}}}), "The provided key element does not match the schema"),
        ("GetItem", json!({"Key": {"pk": {"S": ""}}}), "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"),
        ("PutItem", json!({"Item": {"id": {"S": "a"}}}), "One or more parameter values were invalid: Missing the key pk in the item"),
        ("PutItem", json!({"Item": {"pk": {"N": "1"}}}), "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"),
        ("PutItem", json!({"Item": {"pk": {"S": "a"}, "s": {"SS": []}}}), "One or more parameter values were invalid: An string set  may not be empty"),
        ("PutItem", json!({"Item": {"pk": {"S": "a"}, "s": {"SS": ["x", "x"]}}}), "One or more parameter values were invalid: Input collection [x, x] contains duplicates."),
        ("PutItem", json!({"Item": {"pk": {"S": "a"}, "n": {"N": "1e"}}}), "A value provided cannot be converted into a number"),
        ("PutItem", json!({"Item": {"pk": {"S": "a"}, "n": {"S": "a", "N": "1"}}}), "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"),
        ("PutItem", json!({"Item": {"pk": {"S": "a"}}, "ReturnValues": "ALL_NEW"}), "Return values set to invalid value"),
        ("PutItem", json!({"Item": {"pk": {"S": "a"}}, "ExpressionAttributeValues": {":v": {"N": "1"}}}), "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"),
        ("UpdateItem", json!({"Key": {"pk": {"S": "a"}}, "ExpressionAttributeNames": {}}), "ExpressionAttributeNames must not be empty"),
        ("PutItem", json!({"Item": {"pk": {"S": "a"}}, "Expected": {}}), "the fake does not support the legacy parameter Expected: use expressions"),
        ("PutItem", json!({"TableName": "ab", "Item": {"pk": {"S": "a"}}}), "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255"),
    ];
    for (operation, body, message) in cases {
        assert_eq!(
            refused(&mut state, operation, body.clone()),
            message,
            "{body}"
        );
    }
    let missing = ddb(
        &mut state,
        "GetItem",
        json!({"TableName": "other", "Key": key("a")}),
    );
    let missing = missing.expect_err("no table");
    assert_eq!(
        (missing.0, missing.1.as_str()),
        (400, "ResourceNotFoundException")
    );
    let big = "x".repeat(400 * 1024);
    let body = json!({"Item": {"pk": {"S": "a"}, "big": {"S": big}}});
    assert_eq!(
        refused(&mut state, "PutItem", body),
        "Item size has exceeded the maximum allowed size"
    );
}

#[test]
fn iam_is_enforced_on_the_table_arn() {
    let mut state = state();
    let policy: Policy = serde_json::from_value(json!({"Statement": [{"Effect": "Allow",
        "Action": ["dynamodb:GetItem"],
        "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/state"}]}))
    .expect("a policy");
    state.identities.policy = Some(policy);
    assert!(ddb(&mut state, "GetItem", json!({"Key": key("a")})).is_ok());
    let denied = ddb(&mut state, "PutItem", json!({"Item": {"pk": {"S": "a"}}}));
    let denied = denied.expect_err("denied");
    assert_eq!(denied.1, "AccessDeniedException");
    assert!(denied.2.contains(
        "dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/state"
    ));
}
