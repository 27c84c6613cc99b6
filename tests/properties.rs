//! Bad input never panics and never stops anything: arbitrary JSON, arbitrary text inside SNS
//! `Message` and SQS `body`, every truncation of every fixture, and fixtures with one field
//! replaced by a value of another type. Each yields a signal or an error that says what and where.

mod common;

use common::*;
use deployment_circuit_breaker::handler::Response;
use deployment_circuit_breaker::signal::{
    parse, parse_bytes, Item, Parsed, Signal, UrlRequest, What,
};
use deployment_circuit_breaker::types::is_deployment_id;
use fake_aws::Deployment;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestRunner};
use serde_json::{json, Map, Value};

/// Field names the parser looks for, so generated objects reach past the first shape check.
const KEYS: &[&str] = &[
    "Records",
    "eventSource",
    "EventSource",
    "Sns",
    "Message",
    "Type",
    "TopicArn",
    "body",
    "messageId",
    "detail-type",
    "detail",
    "source",
    "region",
    "resources",
    "alarmData",
    "alarmArn",
    "alarmName",
    "state",
    "previousState",
    "value",
    "configuration",
    "metrics",
    "metricStat",
    "metric",
    "dimensions",
    "alarmTags",
    "AlarmName",
    "NewStateValue",
    "OldStateValue",
    "AlarmArn",
    "Region",
    "Trigger",
    "Dimensions",
    "AlarmTags",
    "deploymentId",
    "status",
    "instanceStatus",
    "applicationName",
    "deploymentGroupName",
    "reason",
    "Key",
    "Value",
    "name",
];

/// Values the parser gives meaning to.
const WORDS: &[&str] = &[
    "aws:sns",
    "aws:sqs",
    "Notification",
    "CloudWatch Alarm State Change",
    "CodeDeploy Instance State-change Notification",
    "ALARM",
    "OK",
    "FAILURE",
    "Failed",
    "d-ABCDEFGH1",
    "d-abc",
    "us-east-1",
    "arn:aws:cloudwatch:eu-west-1:1:alarm:a",
    "DeploymentId",
    "codedeploy-application",
    "{",
    "[",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        prop::sample::select(WORDS).prop_map(|w| json!(w)),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        let key = prop_oneof![prop::sample::select(KEYS).prop_map(String::from), ".{0,6}"];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn fixtures() -> Vec<(String, String)> {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut all: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("fixtures folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("fixture");
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                text,
            )
        })
        .collect();
    all.sort();
    assert!(all.len() >= 30, "the fixtures are there");
    all
}

fn sns(message: &str) -> Value {
    json!({"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Message": message}}]})
}

fn sqs(body: &str) -> Value {
    json!({"Records": [{"eventSource": "aws:sqs", "messageId": "m-1", "body": body}]})
}

/// Parses `event`; every outcome must be well-formed: signals act only on valid deployment IDs,
/// errors say something.
fn check(event: &Value) {
    let items = match parse(event) {
        Ok(Parsed::Direct(items)) => items,
        Ok(Parsed::Sqs(records)) => records
            .into_iter()
            .filter_map(|record| match record.item {
                Ok(item) => Some(item),
                Err(e) => {
                    assert!(e.0.starts_with("SQS message "), "{e}");
                    None
                }
            })
            .collect(),
        Ok(Parsed::Url(UrlRequest::KillSwitch(item))) => vec![item],
        Ok(Parsed::Url(UrlRequest::Unsigned(e) | UrlRequest::Invalid(e))) | Err(e) => {
            assert!(e.0.len() > 10, "an error that says what: {e}");
            return;
        }
    };
    for item in items {
        match item {
            Item::Signal(Signal {
                what: What::CodeDeploy(event),
                ..
            }) => {
                assert!(is_deployment_id(&event.deployment_id), "{event:?}")
            }
            Item::Signal(Signal {
                what: What::Alarm(alarm),
                ..
            }) => {
                assert!(
                    alarm.deployment_ids.iter().all(|id| is_deployment_id(id)),
                    "{alarm:?}"
                )
            }
            _ => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_json_events_never_panic(event in json_value()) {
        check(&event);
    }

    #[test]
    fn arbitrary_json_inside_sns_and_sqs_never_panics(inner in json_value()) {
        let text = inner.to_string();
        check(&sns(&text));
        check(&sqs(&text));
    }

    #[test]
    fn arbitrary_text_inside_sns_and_sqs_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let text = String::from_utf8_lossy(&bytes);
        check(&sns(&text));
        check(&sqs(&text));
    }

    #[test]
    fn arbitrary_bytes_as_the_event_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = parse_bytes(&bytes) {
            prop_assert!(e.0.len() > 10, "an error that says what: {e}");
        }
    }

    #[test]
    fn invalid_utf_8_fails_only_its_sqs_record(
        bad in prop::collection::vec(0xf8u8..=0xff, 1..8),
        at in any::<prop::sample::Index>(),
    ) {
        let alarm = fixtures()
            .into_iter()
            .find(|(name, _)| name == "aws-docs-eventbridge-cloudwatch-alarm-state-change-metric.json")
            .unwrap()
            .1;
        let alarm: Value = serde_json::from_str(&alarm).unwrap();
        let mut event = json!({"Records": []});
        for id in ["m-0", "m-1", "m-2"] {
            event["Records"].as_array_mut().unwrap().push(json!({
                "eventSource": "aws:sqs", "messageId": id, "body": alarm.to_string()
            }));
        }
        let mut bytes = event.to_string().into_bytes();
        // Somewhere inside the second record's body.
        let body = bytes.windows(6).enumerate().filter(|(_, w)| w == b"\"body\"").nth(1).unwrap().0 + 9;
        let end = bytes[body..].windows(2).position(|w| w == b"}\"").unwrap() + body;
        // Where a character of text may be (not inside an escape such as `\"`).
        let places: Vec<usize> = (body + 2..end)
            .filter(|&i| bytes[i - 1].is_ascii_alphanumeric() && bytes[i - 2] != b'\\')
            .collect();
        let offset = places[at.index(places.len())];
        bytes.splice(offset..offset, bad);
        let Ok(Parsed::Sqs(records)) = parse_bytes(&bytes) else {
            panic!("still an SQS batch")
        };
        prop_assert!(records[0].item.is_ok());
        prop_assert!(records[1].item.as_ref().is_err_and(|e| e.0.contains("m-1 is not valid UTF-8")));
        prop_assert!(records[2].item.is_ok());
    }

    #[test]
    fn fixtures_with_a_field_of_another_type_never_panic(
        pick in any::<prop::sample::Index>(),
        leaf in any::<prop::sample::Index>(),
        replacement in json_value(),
    ) {
        let all = fixtures();
        let (_, text) = &all[pick.index(all.len())];
        let mut event: Value = serde_json::from_str(text).unwrap();
        let mut paths = Vec::new();
        leaves(&event, &mut Vec::new(), &mut paths);
        let path = &paths[leaf.index(paths.len())];
        *pointer(&mut event, path) = replacement;
        check(&event);
        check(&sns(&event.to_string()));
    }
}

fn leaves(value: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                at.push(key.clone());
                leaves(child, at, out);
                at.pop();
            }
        }
        Value::Array(list) => {
            for (index, child) in list.iter().enumerate() {
                at.push(index.to_string());
                leaves(child, at, out);
                at.pop();
            }
        }
        _ => out.push(at.clone()),
    }
    if at.is_empty() && out.is_empty() {
        out.push(Vec::new());
    }
}

fn pointer<'a>(value: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(value, |v, step| match v {
        Value::Array(list) => &mut list[step.parse::<usize>().unwrap()],
        other => &mut other[step.as_str()],
    })
}

#[test]
fn every_truncation_of_every_fixture_is_handled() {
    for (name, text) in fixtures() {
        for end in (0..text.len()).filter(|end| text.is_char_boundary(*end)) {
            let prefix = &text[..end];
            if let Ok(event) = serde_json::from_str::<Value>(prefix) {
                check(&event);
            }
            check(&sns(prefix));
            check(&sqs(prefix));
        }
        assert!(
            parse(&sns(&text[..text.len() / 2])).is_err(),
            "{name}: half a JSON message is an error, not plain text"
        );
    }
}

#[test]
fn generated_payloads_stop_nothing() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let world = runtime.block_on(World::new(&[]));
    for (id, group) in [("d-ZQ7K2M9X1", "prod"), ("d-ZQ7K2M9X2", "canary")] {
        world.fake.add(Deployment::new(HOME, id, "shop", group));
    }
    let mut runner = TestRunner::new(RunnerConfig::with_cases(300));
    let payloads = (json_value(), 0..3u8).prop_map(|(value, wrap)| match wrap {
        0 => value,
        1 => sns(&value.to_string()),
        _ => sqs(&value.to_string()),
    });
    runner
        .run(&payloads, |event| {
            let result = runtime.block_on(world.invoke(&event));
            if let Ok(Response::Report(report)) = &result {
                prop_assert!(report.actions.is_empty(), "{event}: {report:?}");
            }
            prop_assert!(world.fake.stops().is_empty(), "{event} stopped something");
            Ok(())
        })
        .unwrap();
    assert_eq!(world.fake.call_count("StopDeployment"), 0);
}

#[test]
fn hostile_sizes_and_depths_are_clear_errors() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    for event in [sns(&deep), sqs(&deep)] {
        let text = match parse(&event) {
            Err(e) => e.0,
            Ok(Parsed::Sqs(records)) => records[0].item.as_ref().unwrap_err().0.clone(),
            other => panic!("{other:?}"),
        };
        assert!(text.contains("recursion limit exceeded"), "{text}");
    }

    let megabyte_text = "x".repeat(1 << 20);
    let Ok(Parsed::Direct(items)) = parse(&sns(&megabyte_text)) else {
        panic!("plain text is ignored")
    };
    assert!(matches!(&items[0], Item::Ignored(_)));

    let mut alarm: Value = serde_json::from_str(
        &fixtures()
            .into_iter()
            .find(|(name, _)| name == "captured-sns-message-cloudwatch-metric-alarm-real-2021.json")
            .unwrap()
            .1,
    )
    .unwrap();
    alarm["NewStateReason"] = json!("y".repeat(1 << 20));
    let Ok(Parsed::Direct(items)) = parse(&sns(&alarm.to_string())) else {
        panic!("a 1 MiB alarm parses")
    };
    assert!(
        matches!(&items[0], Item::Signal(Signal { what: What::Alarm(a), .. }) if a.state == "ALARM")
    );

    // A lone surrogate cannot become a Rust string: that record, and only it, fails to decode.
    let surrogate = br#"{"Records":[{"eventSource":"aws:sqs","messageId":"m-1","body":"\udc80"},
        {"eventSource":"aws:sqs","messageId":"m-2","body":"{\"Type\":\"Notification\",\"Message\":\"hello\"}"}]}"#;
    let Ok(Parsed::Sqs(records)) = parse_bytes(surrogate) else {
        panic!("an SQS batch")
    };
    let error = records[0].item.as_ref().unwrap_err();
    assert!(error.0.contains("m-1 cannot be decoded"), "{error}");
    assert!(records[1].item.is_ok());
}
