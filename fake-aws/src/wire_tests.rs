//! The fake over HTTP, as the SDKs call it: DynamoDB's and SQS's JSON 1.0 (requests shaped
//! as `aws-sdk-dynamodb` and `aws-sdk-sqs` send them), SQS's long polling, and the binary's
//! event source mapping delivering to a function.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::{FakeAws, Queue, Visibility, ACCOUNT};

const REGION: &str = "us-east-1";

/// Posts a JSON 1.0 request as the SDK sends it; the status, headers and body.
fn post(fake: &FakeAws, service: &str, target: &str, body: &Value) -> (u16, String, Value) {
    let address = fake.endpoint().trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(address).expect("the fake listens");
    let body = body.to_string();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {service}.us-east-1.amazonaws.com\r\nConnection: close\r\n\
         Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: {target}\r\n\
         x-amzn-query-mode: true\r\nContent-Length: {}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/{service}/\
         aws4_request, SignedHeaders=host, Signature=0\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
    let status = head[9..12].parse().expect("a status");
    (
        status,
        head.to_lowercase(),
        serde_json::from_str(body).expect("JSON"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wire_is_json_1_0_as_the_sdks_expect() {
    let fake = Arc::new(FakeAws::start().await.expect("a fake"));
    fake.create_table(ACCOUNT, REGION, "state");
    fake.create_queue(Queue::new(REGION, "watch"));
    let url = fake.queue_url(ACCOUNT, "watch");
    let client = fake.clone();
    tokio::task::spawn_blocking(move || {
        let fake = &client;
        let put = json!({"TableName": "state", "Item": {"pk": {"S": "a"}},
                         "ConditionExpression": "attribute_not_exists(pk)"});
        let (status, head, body) = post(fake, "dynamodb", "DynamoDB_20120810.PutItem", &put);
        assert_eq!((status, body), (200, json!({})));
        assert!(head.contains("content-type: application/x-amz-json-1.0"));
        let (status, _, body) = post(fake, "dynamodb", "DynamoDB_20120810.PutItem", &put);
        assert_eq!(status, 400);
        let failed = "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException";
        assert_eq!(body, json!({"__type": failed, "message": "The conditional request failed"}));
        let missing = json!({"QueueUrl": format!("{url}x"), "MessageBody": "x"});
        let (status, head, body) = post(fake, "sqs", "AmazonSQS.SendMessage", &missing);
        assert_eq!((status, &body["__type"]), (400, &json!("com.amazonaws.sqs#QueueDoesNotExist")));
        assert!(head.contains("x-amzn-query-error: aws.simplequeueservice.nonexistentqueue;sender"));
        let send = json!({"QueueUrl": url, "MessageBody": "x"});
        let (status, _, body) = post(fake, "sqs", "AmazonSQS.SendMessage", &send);
        assert_eq!((status, body["MD5OfMessageBody"].as_str()), (200, Some("9dd4e461268c8034f5c8564e155c67a6")));
        fake.fail("ReceiveMessage", 1, 500, "InternalError");
        let receive = json!({"QueueUrl": url});
        let (status, head, _) = post(fake, "sqs", "AmazonSQS.ReceiveMessage", &receive);
        assert_eq!(status, 500);
        assert!(head.contains("x-amzn-query-error: internalerror;receiver"));
        let throttled = "ProvisionedThroughputExceededException";
        fake.fail("PutItem", 1, 400, throttled);
        let (status, _, body) = post(fake, "dynamodb", "DynamoDB_20120810.PutItem", &put);
        assert_eq!((status, body["__type"].as_str()), (400, Some(&*format!("com.amazonaws.dynamodb.v20120810#{throttled}"))));
        assert_eq!(fake.call_count("SendMessage"), 2);
        assert_eq!(fake.call_count("PutItem"), 3);
    })
    .await
    .expect("the client");
    assert_eq!(
        fake.items(ACCOUNT, REGION, "state"),
        vec![json!({"pk": {"S": "a"}})]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_poll_waits_for_a_message_or_its_time() {
    let fake = Arc::new(FakeAws::start().await.expect("a fake"));
    fake.create_queue(Queue::new(REGION, "watch"));
    let url = fake.queue_url(ACCOUNT, "watch");
    let receive = json!({"QueueUrl": url, "WaitTimeSeconds": 1});
    let client = fake.clone();
    let started = Instant::now();
    let waited = tokio::task::spawn_blocking(move || {
        post(&client, "sqs", "AmazonSQS.ReceiveMessage", &receive)
    });
    let (status, _, body) = waited.await.expect("the client");
    assert_eq!((status, body), (200, json!({})));
    assert!(started.elapsed() >= Duration::from_secs(1));
    let receive = json!({"QueueUrl": url, "WaitTimeSeconds": 20});
    let client = fake.clone();
    let started = Instant::now();
    let waiting = tokio::task::spawn_blocking(move || {
        post(&client, "sqs", "AmazonSQS.ReceiveMessage", &receive)
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    fake.send_message(ACCOUNT, REGION, "watch", "now", 0);
    let (_, _, body) = waiting.await.expect("the client");
    assert_eq!(body["Messages"][0]["Body"], "now");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A function behind an invoke URL that fails the messages whose body is `fail`.
async fn function() -> String {
    use http_body_util::{BodyExt, Full};
    use hyper::body::Bytes;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = hyper::service::service_fn(
                |request: hyper::Request<hyper::body::Incoming>| async move {
                    let body = request.into_body().collect().await?.to_bytes();
                    let event: Value = serde_json::from_slice(&body).unwrap_or_default();
                    let failures: Vec<Value> = (event["Records"].as_array().into_iter().flatten())
                        .filter(|r| r["body"] == "fail")
                        .map(|r| json!({"itemIdentifier": r["messageId"]}))
                        .collect();
                    let answer = json!({ "batchItemFailures": failures }).to_string();
                    Ok::<_, hyper::Error>(hyper::Response::new(Full::new(Bytes::from(answer))))
                },
            );
            let io = hyper_util::rt::TokioIo::new(stream);
            tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(io, service));
        }
    });
    format!("http://{address}/2015-03-31/functions/watcher/invocations")
}

#[tokio::test(flavor = "multi_thread")]
async fn deliver_runs_an_event_source_mapping() {
    let fake = Arc::new(FakeAws::start().await.expect("a fake"));
    fake.create_queue(Queue::new(REGION, "watch"));
    for body in ["ok", "fail", "ok"] {
        fake.send_message(ACCOUNT, REGION, "watch", body, 0);
    }
    let mapping = format!("{ACCOUNT}:{REGION}:watch={}", function().await);
    let delivery: crate::Delivery = mapping.parse().expect("a mapping");
    let poller = tokio::spawn(crate::event_source::deliver(fake.clone(), delivery));
    let started = Instant::now();
    while fake.messages(ACCOUNT, REGION, "watch").len() > 1 && started.elapsed().as_secs() < 10 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    poller.abort();
    let left = fake.messages(ACCOUNT, REGION, "watch");
    assert_eq!(left.len(), 1);
    assert_eq!(
        (left[0].body.as_str(), left[0].visibility),
        ("fail", Visibility::InFlight)
    );
    assert!(
        "123:us-east-1:q=https://x/y"
            .parse::<crate::Delivery>()
            .is_err(),
        "http only"
    );
}

/// `GET`s an admin path; the JSON answered.
fn admin(fake: &FakeAws, method: &str, path: &str) -> Value {
    let address = fake.endpoint().trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(address).expect("the fake listens");
    let request = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    let body = answer.split_once("\r\n\r\n").expect("a head").1;
    serde_json::from_str(body).expect("JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn seeded_tables_and_queues_are_restored_empty() {
    let fake = Arc::new(FakeAws::start().await.expect("a fake"));
    let seed = json!({
        "tables": [{"region": REGION, "name": "state"}],
        "queues": [{"region": REGION, "name": "watch", "visibilityTimeout": 60,
                    "deadLetter": {"name": "dead", "maxReceiveCount": 3}},
                   {"region": REGION, "name": "dead"},
                   {"account": "210987654321", "region": REGION, "name": "other"}]
    });
    fake.seed(serde_json::from_value(seed).expect("a seed"));
    fake.put_item(
        ACCOUNT,
        REGION,
        "state",
        json!({"pk": {"S": "a"}, "n": {"N": "1.0"}}),
    );
    fake.send_message(ACCOUNT, REGION, "watch", "hello", 0);
    let client = fake.clone();
    tokio::task::spawn_blocking(move || {
        let tables = admin(&client, "GET", "/_fake/tables");
        let expected = json!([{"account": ACCOUNT, "region": REGION, "name": "state",
                               "items": [{"pk": {"S": "a"}, "n": {"N": "1"}}]}]);
        assert_eq!(tables, expected);
        let queues = admin(&client, "GET", "/_fake/queues");
        let names: Vec<&str> = (queues.as_array().expect("queues").iter())
            .map(|q| q["name"].as_str().expect("a name"))
            .collect();
        assert_eq!(
            names,
            ["dead", "watch", "other"],
            "by account, region and name"
        );
        assert_eq!(queues[2]["account"], "210987654321");
        assert_eq!(queues[1]["deadLetter"]["maxReceiveCount"], 3);
        assert_eq!(queues[1]["messages"][0]["body"], "hello");
        assert_eq!(queues[1]["messages"][0]["visibility"], "visible");
        admin(&client, "POST", "/_fake/reset");
        assert_eq!(
            admin(&client, "GET", "/_fake/tables")[0]["items"],
            json!([])
        );
        assert_eq!(
            admin(&client, "GET", "/_fake/queues")[1]["messages"],
            json!([])
        );
    })
    .await
    .expect("the client");
}
