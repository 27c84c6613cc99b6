use std::time::Duration;

use serde_json::{json, Value};

use crate::iam::Policy;
use crate::router::call;
use crate::{FakeAws, Queue, State, Visibility, ACCOUNT};

const REGION: &str = "us-east-1";
const URL: &str = "https://sqs.us-east-1.amazonaws.com/123456789012/watch";

fn state() -> State {
    let mut state = State::default();
    for queue in [
        Queue::new(REGION, "watch").dead_letter("dead", 2),
        Queue::new(REGION, "dead"),
    ] {
        state.sqs.queues.insert(queue.key(), (queue, Vec::new()));
    }
    state
}

/// Calls an SQS operation on the queue `watch`; the answer, or the error's status and code.
fn sqs(
    state: &mut State,
    operation: &str,
    mut body: Value,
) -> Result<Value, (u16, String, String)> {
    if body.get("QueueUrl").is_none() {
        body["QueueUrl"] = json!(URL);
    }
    call(state, "AKIDEXAMPLE", ("sqs", operation, REGION), &body)
        .map(|answer| answer.json())
        .map_err(|e| (e.0, e.1, e.2))
}

fn receive(state: &mut State, body: Value) -> Vec<Value> {
    let answer = sqs(state, "ReceiveMessage", body).expect("received");
    answer["Messages"].as_array().cloned().unwrap_or_default()
}

fn counts(state: &mut State) -> Vec<String> {
    let answer = sqs(
        state,
        "GetQueueAttributes",
        json!({"AttributeNames": ["All"]}),
    );
    let attributes = answer.expect("attributes")["Attributes"].clone();
    let count = |name: &str| attributes[name].as_str().unwrap_or("?").to_string();
    let names = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
    ];
    let mut counts: Vec<String> = names.iter().map(|n| count(n)).collect();
    counts.push(count("ApproximateNumberOfMessagesDelayed"));
    counts
}

#[test]
fn messages_are_sent_received_and_deleted() {
    let mut state = state();
    let sent = sqs(&mut state, "SendMessage", json!({"MessageBody": "test"})).expect("sent");
    assert_eq!(sent["MD5OfMessageBody"], "098f6bcd4621d373cade4e832627b4f6");
    let names = json!(["ApproximateReceiveCount", "SentTimestamp", "SenderId"]);
    let received = receive(&mut state, json!({"MessageSystemAttributeNames": names}));
    assert_eq!(received.len(), 1);
    let message = &received[0];
    assert_eq!(
        (&message["MessageId"], &message["Body"]),
        (&sent["MessageId"], &json!("test"))
    );
    assert_eq!(message["MD5OfBody"], sent["MD5OfMessageBody"]);
    assert_eq!(message["Attributes"]["ApproximateReceiveCount"], "1");
    let sender = message["Attributes"]["SenderId"]
        .as_str()
        .expect("a sender");
    assert!(sender.starts_with("AROA") && sender.ends_with(":deployment-circuit-breaker"));
    assert_eq!(counts(&mut state), ["0", "1", "0"]);
    assert!(receive(&mut state, json!({})).is_empty(), "in flight");
    let handle = message["ReceiptHandle"].clone();
    sqs(
        &mut state,
        "DeleteMessage",
        json!({"ReceiptHandle": handle}),
    )
    .expect("deleted");
    assert_eq!(counts(&mut state), ["0", "0", "0"]);
    // Deleting again is no error; a handle the queue never gave is.
    sqs(
        &mut state,
        "DeleteMessage",
        json!({"ReceiptHandle": handle}),
    )
    .expect("again");
    let bad = sqs(
        &mut state,
        "DeleteMessage",
        json!({"ReceiptHandle": "AQEBnope"}),
    );
    assert_eq!(bad.expect_err("invalid").1, "ReceiptHandleIsInvalid");
}

#[test]
fn delays_and_visibility_timeouts_pass() {
    let mut state = state();
    sqs(
        &mut state,
        "SendMessage",
        json!({"MessageBody": "later", "DelaySeconds": 5}),
    )
    .expect("sent");
    assert!(receive(&mut state, json!({})).is_empty());
    assert_eq!(counts(&mut state), ["0", "0", "1"]);
    state.sqs.advance += Duration::from_secs(5);
    let first = receive(&mut state, json!({"VisibilityTimeout": 10}));
    assert_eq!(first.len(), 1);
    state.sqs.advance += Duration::from_secs(9);
    assert!(receive(&mut state, json!({})).is_empty(), "still in flight");
    let handle = first[0]["ReceiptHandle"].clone();
    let change = json!({"ReceiptHandle": handle, "VisibilityTimeout": 0});
    sqs(&mut state, "ChangeMessageVisibility", change.clone()).expect("visible now");
    let visible = sqs(&mut state, "ChangeMessageVisibility", change.clone());
    assert_eq!(visible.expect_err("not in flight").1, "MessageNotInflight");
    let names = json!(["All"]);
    let second = receive(&mut state, json!({"AttributeNames": names}));
    assert_eq!(second[0]["Attributes"]["ApproximateReceiveCount"], "2");
    assert_ne!(second[0]["ReceiptHandle"], handle);
    // The first receipt is stale: it neither deletes nor changes the message.
    sqs(
        &mut state,
        "DeleteMessage",
        json!({"ReceiptHandle": handle}),
    )
    .expect("no error");
    assert_eq!(counts(&mut state), ["0", "1", "0"]);
    let stale = sqs(&mut state, "ChangeMessageVisibility", change);
    assert_eq!(stale.expect_err("stale").1, "InvalidParameterValue");
}

#[test]
fn messages_received_too_often_move_to_the_dead_letter_queue() {
    let mut state = state();
    sqs(&mut state, "SendMessage", json!({"MessageBody": "poison"})).expect("sent");
    sqs(
        &mut state,
        "SendMessage",
        json!({"MessageBody": "fine", "DelaySeconds": 60}),
    )
    .expect("sent");
    for _ in 0..2 {
        assert_eq!(receive(&mut state, json!({})).len(), 1);
        state.sqs.advance += Duration::from_secs(30);
    }
    // Received twice: the next receive moves it, and receives the delayed one instead.
    state.sqs.advance += Duration::from_secs(30);
    let third = receive(&mut state, json!({"MaxNumberOfMessages": 10}));
    assert_eq!(
        third.iter().map(|m| &m["Body"]).collect::<Vec<_>>(),
        ["fine"]
    );
    let dead_url = URL.replace("watch", "dead");
    let names = json!(["ApproximateReceiveCount", "DeadLetterQueueSourceArn"]);
    let dead = receive(
        &mut state,
        json!({"QueueUrl": dead_url, "AttributeNames": names}),
    );
    assert_eq!(dead[0]["Body"], "poison");
    assert_eq!(dead[0]["Attributes"]["ApproximateReceiveCount"], "3");
    let source = "arn:aws:sqs:us-east-1:123456789012:watch";
    assert_eq!(dead[0]["Attributes"]["DeadLetterQueueSourceArn"], source);
}

#[test]
fn requests_are_validated_as_sqs_does() {
    let mut state = state();
    let cases = [
        (
            "SendMessage",
            json!({"MessageBody": "x", "DelaySeconds": 901}),
            "InvalidParameterValue",
        ),
        (
            "SendMessage",
            json!({"MessageBody": "x".repeat(256 * 1024 + 1)}),
            "InvalidParameterValue",
        ),
        (
            "SendMessage",
            json!({"MessageBody": "a\u{0}b"}),
            "InvalidMessageContents",
        ),
        (
            "SendMessage",
            json!({"MessageBody": ""}),
            "MissingParameter",
        ),
        (
            "ReceiveMessage",
            json!({"MaxNumberOfMessages": 11}),
            "InvalidParameterValue",
        ),
        (
            "ReceiveMessage",
            json!({"WaitTimeSeconds": 21}),
            "InvalidParameterValue",
        ),
        (
            "GetQueueAttributes",
            json!({"AttributeNames": ["Nope"]}),
            "InvalidAttributeName",
        ),
        (
            "SendMessage",
            json!({"QueueUrl": URL.replace("watch", "x"), "MessageBody": "x"}),
            "QueueDoesNotExist",
        ),
        (
            "SendMessage",
            json!({"QueueUrl": "https://sqs/watch", "MessageBody": "x"}),
            "InvalidAddress",
        ),
    ];
    for (operation, body, code) in cases {
        let error = sqs(&mut state, operation, body.clone()).expect_err("refused");
        assert_eq!((error.0, error.1.as_str()), (400, code), "{body}");
    }
    let other = URL.replace(ACCOUNT, "210987654321");
    let denied = sqs(
        &mut state,
        "SendMessage",
        json!({"QueueUrl": other, "MessageBody": "x"}),
    );
    assert_eq!(denied.expect_err("denied").1, "AccessDenied");
    let policy: Policy = serde_json::from_value(json!({"Statement": [{"Effect": "Allow",
        "Action": "sqs:ReceiveMessage", "Resource": "arn:aws:sqs:*:123456789012:watch"}]}))
    .expect("a policy");
    state.identities.policy = Some(policy);
    assert!(sqs(&mut state, "ReceiveMessage", json!({})).is_ok());
    let denied = sqs(&mut state, "SendMessage", json!({"MessageBody": "x"})).expect_err("denied");
    assert_eq!((denied.0, denied.1.as_str()), (403, "AccessDenied"));
}

#[tokio::test]
async fn lambda_events_are_settled_as_lambda_settles_them() {
    let fake = FakeAws::start().await.expect("a fake");
    fake.create_queue(Queue::new(REGION, "watch").visibility_timeout(60));
    for body in ["a", "b", "c"] {
        fake.send_message(ACCOUNT, REGION, "watch", body, 0);
    }
    let event = fake
        .sqs_event(ACCOUNT, REGION, "watch", 2)
        .expect("an event");
    let records = event["Records"].as_array().expect("records");
    assert_eq!(records.len(), 2);
    let record = &records[0];
    assert_eq!(record["body"], "a");
    assert_eq!(record["md5OfBody"], "0cc175b9c0f1b6a831c399e269772661");
    assert_eq!(record["eventSource"], "aws:sqs");
    assert_eq!(
        record["eventSourceARN"],
        "arn:aws:sqs:us-east-1:123456789012:watch"
    );
    assert_eq!(
        (&record["awsRegion"], &record["messageAttributes"]),
        (&json!(REGION), &json!({}))
    );
    assert_eq!(record["attributes"]["ApproximateReceiveCount"], "1");
    let messages = fake.messages(ACCOUNT, REGION, "watch");
    assert_eq!(messages[0].visibility, Visibility::InFlight);
    assert!((59_000..=60_000).contains(&messages[0].visible_in_ms));
    let (a, b) = (record["messageId"].clone(), records[1]["messageId"].clone());
    let settle =
        |response: Option<Value>| fake.settle(ACCOUNT, REGION, "watch", &event, response.as_ref());
    assert!(settle(None).is_empty(), "a failed invocation");
    let unknown = json!({"batchItemFailures": [{"itemIdentifier": "nope"}]});
    assert!(
        settle(Some(unknown)).is_empty(),
        "an identifier not of the batch"
    );
    assert!(settle(Some(json!("ok"))).is_empty(), "not a batch response");
    let failed = json!({"batchItemFailures": [{"itemIdentifier": b}]});
    assert_eq!(settle(Some(failed)), vec![a.as_str().expect("an ID")]);
    let left: Vec<String> = fake
        .messages(ACCOUNT, REGION, "watch")
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(left, ["b", "c"]);
    let next = fake.sqs_event(ACCOUNT, REGION, "watch", 10).expect("c");
    assert_eq!(
        fake.settle(ACCOUNT, REGION, "watch", &next, Some(&Value::Null))
            .len(),
        1
    );
    fake.advance_time(Duration::from_secs(60));
    let again = fake
        .sqs_event(ACCOUNT, REGION, "watch", 10)
        .expect("b again");
    assert_eq!(
        again["Records"][0]["attributes"]["ApproximateReceiveCount"],
        "2"
    );
}
