use serde_json::{json, Map, Value};

use crate::attribute::Number;
use crate::dynamodb::tests::{ddb, key, refused, state};
use crate::State;

#[test]
fn conditions_evaluate_as_dynamodb_does() {
    let mut state = state();
    let item = json!({"pk": {"S": "a"}, "n": {"N": "10"}, "s": {"S": "watch#1"},
                      "nums": {"NS": ["1", "2"]}, "l": {"L": [{"S": "x"}]}, "m": {"M": {"k": {"S": "v"}}}});
    ddb(&mut state, "PutItem", json!({"Item": item})).expect("put");
    let values = json!({":n": {"N": "10.0"}, ":m": {"N": "9"}, ":s": {"S": "watch#"},
                        ":x": {"S": "x"}, ":type": {"S": "NS"}, ":two": {"N": "2"}, ":v": {"S": "v"}});
    let holds = |state: &mut State, condition: &str| {
        let used: Map<String, Value> = values
            .as_object()
            .expect("values")
            .iter()
            .filter(|(k, _)| condition.contains(k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut body = json!({"Key": key("a"), "UpdateExpression": "SET touched = pk",
                              "ConditionExpression": condition});
        if !used.is_empty() {
            body["ExpressionAttributeValues"] = Value::Object(used);
        }
        match ddb(state, "UpdateItem", body) {
            Ok(_) => true,
            Err(e) if e.1 == "ConditionalCheckFailedException" => false,
            Err(e) => panic!("{condition}: {e:?}"),
        }
    };
    for (condition, expected) in [
        ("n = :n", true),
        ("n <> :n", false),
        ("absent <> :n", true),
        ("absent = :n", false),
        ("n > :m AND n >= :n AND NOT n < :n", true),
        (
            "n < :m OR (begins_with(s, :s) AND attribute_exists(m.k))",
            true,
        ),
        ("n BETWEEN :m AND :n", true),
        ("n IN (:m, :two)", false),
        (
            "contains(nums, :two) AND contains(l, :x) AND contains(s, :s)",
            true,
        ),
        (
            "attribute_type(nums, :type) AND size(l) < :two AND m.k = :v",
            true,
        ),
        ("attribute_not_exists(pk) OR s < :s", false),
        ("l[0] = :x AND NOT (size(s) = :two)", true),
    ] {
        assert_eq!(holds(&mut state, condition), expected, "{condition}");
    }
}

#[test]
fn bad_expressions_are_refused_with_dynamodb_messages() {
    let mut state = state();
    let v = json!({":v": {"N": "1"}});
    for (expression, values, message) in [
        ("SET status = :v", v.clone(), "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: status"),
        ("SET a = :w", v.clone(), "Invalid UpdateExpression: An expression attribute value used in expression is not defined; attribute value: :w"),
        ("SET #a = :v", v.clone(), "Invalid UpdateExpression: An expression attribute name used in the document path is not defined; attribute name: #a"),
        ("SET a = :v SET b = :v", v.clone(), "Invalid UpdateExpression: The \"SET\" section can only be used once in an update expression;"),
        ("SET a = :v REMOVE a", v.clone(), "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"),
        ("SET a = :v + :v + :v", v.clone(), "Invalid UpdateExpression: Syntax error; token: \"+\", near: \":v +\""),
        ("SET a = :s + :v", json!({":s": {"S": "x"}, ":v": {"N": "1"}}), "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"),
        ("ADD a :s", json!({":s": {"S": "x"}}), "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING"),
        ("SET a = size(b)", json!({}), "Invalid UpdateExpression: The function is not allowed in an update expression; function: size"),
        ("SET a = nope(b)", json!({}), "Invalid UpdateExpression: Invalid function name; function: nope"),
        ("SET pk = :v", v.clone(), "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"),
        ("SET a = :v", json!({":v": {"N": "1"}, ":u": {"N": "2"}}), "Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}"),
        ("  ", v.clone(), "Invalid UpdateExpression: The expression can not be empty;"),
        ("SET a = :v,", v.clone(), "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \",\""),
        ("SET a = b - c", json!({}), ""),
    ] {
        let mut body = json!({"Key": key("a"), "UpdateExpression": expression});
        if values != json!({}) {
            body["ExpressionAttributeValues"] = values;
        }
        let result = ddb(&mut state, "UpdateItem", body);
        if message.is_empty() {
            let error = result.expect_err(expression);
            assert_eq!(error.2, "The provided expression refers to an attribute that does not exist in the item");
            continue;
        }
        assert_eq!(result.expect_err(expression).2, message, "{expression}");
    }
    for (condition, message) in [
        ("((a = :v))", "Invalid ConditionExpression: The expression has redundant parentheses;"),
        ("a = :v)", "Invalid ConditionExpression: Syntax error; token: \")\", near: \":v)\""),
        ("a == :v", "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"==\""),
        ("a = :v AND", "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"AND\""),
        ("a ! :v", "Invalid ConditionExpression: Syntax error; token: \"!\", near: \"a !\""),
        ("if_not_exists(a, :v)", "Invalid ConditionExpression: The function is not allowed in a condition expression; function: if_not_exists"),
        ("a < :l", "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: L"),
    ] {
        let values = if condition.contains(":l") { json!({":l": {"L": []}}) } else { v.clone() };
        let body = json!({"Item": {"pk": {"S": "a"}}, "ConditionExpression": condition,
                          "ExpressionAttributeValues": values});
        assert_eq!(refused(&mut state, "PutItem", body), message, "{condition}");
    }
}

#[test]
fn numbers_are_decimal_with_38_digits() {
    let n = |text: &str| Number::parse(text).expect(text);
    assert_eq!(n("-0.000").to_string(), "0");
    assert_eq!(n("1.2e3").to_string(), "1200");
    assert_eq!(n("-12.340").to_string(), "-12.34");
    assert_eq!(n(".5").to_string(), "0.5");
    assert!(n("0.1").add(n("0.2"), false).expect("sum") == n("0.3"));
    assert!(n("-2") < n("-1.5") && n("-1.5") < n("0") && n("0.001") < n("1e-2"));
    assert!(n("99") < n("100") && n("1e10") > n("9999999999.9"));
    let big = "9".repeat(38);
    assert!(n(&big).add(n("1"), false).is_ok(), "10^38 is one digit");
    assert!(n(&big).add(n("0.1"), false).is_err(), "39 digits");
    assert!(Number::parse(&"1".repeat(39)).is_err());
    assert!(Number::parse("1e126").is_err() && Number::parse("1e-131").is_err());
    for bad in ["", "-", "1.2.3", "e5", "0x10", " 1", "1e", "NaN"] {
        assert!(Number::parse(bad).is_err(), "{bad}");
    }
}

/// Random token soups are refused or parsed, never panic.
#[test]
fn no_expression_panics_the_parser() {
    let tokens = [
        "SET",
        "REMOVE",
        "ADD",
        "DELETE",
        "a",
        "#n",
        ":v",
        "=",
        "<>",
        "<",
        ">=",
        "(",
        ")",
        "[",
        "]",
        "0",
        ",",
        ".",
        "+",
        "-",
        "AND",
        "OR",
        "NOT",
        "BETWEEN",
        "IN",
        "size",
        "if_not_exists",
        "list_append",
        "attribute_exists",
        "contains",
        "é",
        "\"",
        "",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut state = state();
    for _ in 0..3000 {
        let mut expression = Vec::new();
        for _ in 0..(seed % 9) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            expression.push(tokens[(seed % tokens.len() as u64) as usize]);
        }
        let expression = expression.join(" ");
        for field in ["UpdateExpression", "ConditionExpression"] {
            let body = json!({"Key": key("a"), field: expression,
                "ExpressionAttributeNames": {"#n": "n"},
                "ExpressionAttributeValues": {":v": {"N": "1"}}});
            let _ = ddb(&mut state, "UpdateItem", body);
        }
    }
}
