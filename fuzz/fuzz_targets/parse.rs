//! Payload in → signals → stop requests, on arbitrary input. The first byte chooses how the
//! rest arrives: as the whole event (raw bytes, as the runtime hands them over), as an SNS
//! `Message`, or as an SQS `body`. Nothing may panic, and every signal must resolve to
//! well-formed targets.
#![no_main]

use deployment_circuit_breaker::config::Config;
use deployment_circuit_breaker::resolve::{requests, signal_time, Invoked};
use deployment_circuit_breaker::signal::{
    is_deployment_id, parse, parse_bytes, Item, Parsed, Target,
};
use deployment_circuit_breaker::time::Time;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let event = match mode % 3 {
        0 => Value::Null,
        1 => json!({"Records": [{"EventSource": "aws:sns", "Sns": {
            "Type": "Notification",
            "TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
            "Message": text,
        }}]}),
        _ => json!({"Records": [{"eventSource": "aws:sqs", "messageId": "m", "body": text}]}),
    };
    let config = Config::from_lookup(|name| match name {
        "AWS_REGION" => Some("us-east-1".into()),
        "ALLOWED_DEPLOYMENT_GROUPS" => Some("*/*".into()),
        "MAX_SIGNAL_AGE" => Some("0".into()),
        "ALARM_RULES" => Some(r#"[{"alarm":"*","application":"app"}]"#.into()),
        "STOP_ON_CODEDEPLOY_EVENTS" => Some("InstanceFailure,DeploymentStart".into()),
        _ => None,
    })
    .expect("valid configuration");
    let parsed = if mode % 3 == 0 {
        parse_bytes(rest)
    } else {
        parse(&event)
    };
    let items = match parsed {
        Ok(Parsed::Direct(items)) => items,
        Ok(Parsed::Sqs(records)) => records.into_iter().filter_map(|r| r.item.ok()).collect(),
        Err(e) => {
            assert!(!e.0.is_empty());
            return;
        }
    };
    let invoked = Invoked {
        now: Time::now(),
        account: "123456789012",
    };
    for item in items {
        let Item::Signal(signal) = item else { continue };
        for request in requests(&signal, signal_time(&signal, invoked.now).0, &invoked, &config).unwrap_or_default() {
            assert!(!request.region.is_empty());
            if let Target::Deployment(id) = &request.target {
                assert!(is_deployment_id(id), "{id}");
            }
        }
    }
});
