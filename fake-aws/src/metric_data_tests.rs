//! `GetMetricData` as CloudWatch answers it: statistics per period over raw samples or a
//! minute's precomputed statistics, missing periods left out, exact dimension sets, pages,
//! validation, IAM, and the CBOR the SDK reads.

use std::io::{Read, Write};
use std::sync::Arc;

use serde_json::{json, Value};

use crate::protocol::ApiError;
use crate::router::call;
use crate::{FakeAws, Metric, MetricPoint, Seed, State, TargetGroup, ACCOUNT};

const REGION: &str = "us-east-1";
const NAMESPACE: &str = "AWS/ApplicationELB";
/// A minute boundary (2023-11-14T22:13:00Z).
const T0: f64 = 1_699_999_980.0;

fn minute(n: f64) -> f64 {
    T0 + 60.0 * n
}

/// The latency of the green target group: raw samples in minutes 0, 1 and 3 (none in 2).
fn latency() -> Metric {
    Metric::new(REGION, NAMESPACE, "TargetResponseTime")
        .dimension("TargetGroup", "targetgroup/green/0123456789abcdef")
        .dimension("LoadBalancer", "app/web/fedcba9876543210")
        .value_at(minute(0.0) + 1.0, 10.0)
        .value_at(minute(0.0) + 30.0, 30.0)
        .value_at(minute(0.0) + 59.0, 20.0)
        .value_at(minute(1.0) + 5.0, 5.0)
        .value_at(minute(3.0), 7.0)
}

fn state_with(metrics: &[Metric]) -> State {
    let mut state = State::default();
    state.cloudwatch.metrics = metrics.iter().flat_map(Metric::points).collect();
    state
}

/// A MetricStat query of `stat` over `period` seconds, of the green target group's latency
/// (or these `dimensions`).
fn query(id: &str, stat: &str, period: i64, dimensions: Option<Value>) -> Value {
    let dimensions = dimensions.unwrap_or(json!([
        {"Name": "LoadBalancer", "Value": "app/web/fedcba9876543210"},
        {"Name": "TargetGroup", "Value": "targetgroup/green/0123456789abcdef"},
    ]));
    json!({"Id": id, "MetricStat": {"Metric": {"Namespace": NAMESPACE,
        "MetricName": "TargetResponseTime", "Dimensions": dimensions},
        "Period": period, "Stat": stat}})
}

fn get(state: &mut State, body: &Value) -> Result<Value, ApiError> {
    let operation = ("monitoring", "GetMetricData", REGION);
    call(state, "AKIDEXAMPLE", operation, body).map(|answer| answer.json())
}

fn get_ok(state: &mut State, body: &Value) -> Value {
    get(state, body).unwrap_or_else(|ApiError(_, code, message)| panic!("{code}: {message}"))
}

fn refused(state: &mut State, body: &Value) -> (String, String) {
    match get(state, body) {
        Ok(answer) => panic!("answered {answer}"),
        Err(ApiError(status, code, message)) => {
            assert_eq!(status, 400, "{code}");
            (code, message)
        }
    }
}

/// The request for these queries over minutes 0 to 5.
fn request(queries: Vec<Value>) -> Value {
    json!({"MetricDataQueries": queries, "StartTime": minute(0.0), "EndTime": minute(5.0),
           "ScanBy": "TimestampAscending"})
}

/// A result's (timestamp, value) pairs.
fn pairs(result: &Value) -> Vec<(f64, f64)> {
    let numbers = |field: &str| -> Vec<f64> {
        (result[field].as_array().expect(field).iter())
            .map(|n| n.as_f64().expect("a number"))
            .collect()
    };
    numbers("Timestamps")
        .into_iter()
        .zip(numbers("Values"))
        .collect()
}

#[test]
fn statistics_are_computed_per_minute_and_missing_minutes_are_absent() {
    let mut state = state_with(&[latency()]);
    let stats = [
        "Sum",
        "SampleCount",
        "Average",
        "Minimum",
        "Maximum",
        "p50",
        "p99",
    ];
    let queries = (stats.iter())
        .map(|s| query(&s.to_lowercase(), s, 60, None))
        .collect();
    let answer = get_ok(&mut state, &request(queries));
    let results = answer["MetricDataResults"].as_array().expect("results");
    let expected = [
        [60.0, 5.0, 7.0], // Sum
        [3.0, 1.0, 1.0],  // SampleCount
        [20.0, 5.0, 7.0], // Average
        [10.0, 5.0, 7.0], // Minimum
        [30.0, 5.0, 7.0], // Maximum
        [20.0, 5.0, 7.0], // p50: the 2nd of 3 (nearest rank)
        [30.0, 5.0, 7.0], // p99
    ];
    for ((stat, result), values) in stats.iter().zip(results).zip(expected) {
        let times = [minute(0.0), minute(1.0), minute(3.0)];
        let want: Vec<(f64, f64)> = times.into_iter().zip(values).collect();
        assert_eq!(pairs(result), want, "{stat}");
        assert_eq!(result["Id"], stat.to_lowercase());
        assert_eq!(result["Label"], "TargetResponseTime");
        assert_eq!(result["StatusCode"], "Complete");
        assert_eq!(result["Messages"], json!([]));
    }
    assert_eq!(answer["Messages"], json!([]));
    assert!(answer.get("NextToken").is_none());
}

#[test]
fn newest_first_unless_ascending_and_periods_are_aligned_to_the_epoch() {
    let mut state = state_with(&[latency()]);
    let mut body = request(vec![query("sum", "Sum", 120, None)]);
    body.as_object_mut().expect("an object").remove("ScanBy");
    let answer = get_ok(&mut state, &body);
    // 1_699_999_980 is 22:13: the two-minute periods start at 22:12, 22:14 and 22:16.
    let want = vec![(minute(3.0), 7.0), (minute(1.0), 5.0), (minute(-1.0), 60.0)];
    assert_eq!(pairs(&answer["MetricDataResults"][0]), want);
}

#[test]
fn the_window_includes_its_start_minute_and_excludes_its_end() {
    let mut state = state_with(&[latency()]);
    let mut body = request(vec![query("n", "SampleCount", 60, None)]);
    // The start is rounded down to its minute; the end is exclusive.
    body["StartTime"] = json!(minute(0.0) + 45.0);
    body["EndTime"] = json!(minute(3.0));
    let answer = get_ok(&mut state, &body);
    let want = vec![(minute(0.0), 3.0), (minute(1.0), 1.0)];
    assert_eq!(pairs(&answer["MetricDataResults"][0]), want);
    // A datapoint counts from the start of its minute (minute 1's is at 22:14:05).
    body["EndTime"] = json!(minute(1.0) + 1.0);
    let answer = get_ok(&mut state, &body);
    assert_eq!(pairs(&answer["MetricDataResults"][0]), want);
    body["EndTime"] = json!(minute(1.0));
    let answer = get_ok(&mut state, &body);
    assert_eq!(pairs(&answer["MetricDataResults"][0]), want[..1]);
}

#[test]
fn precomputed_minutes_answer_the_statistics_they_give() {
    let green = Metric::new(REGION, NAMESPACE, "TargetResponseTime")
        .dimension("TargetGroup", "targetgroup/green/0123456789abcdef")
        .dimension("LoadBalancer", "app/web/fedcba9876543210")
        .minute_at(
            minute(0.0),
            &[("Sum", 41.0), ("SampleCount", 2.0), ("p99", 812.0)],
        )
        .minute_at(
            minute(1.0),
            &[("Sum", 9.0), ("SampleCount", 3.0), ("p99.0", 90.5)],
        )
        .minute_at(minute(2.0), &[("Average", 4.0)]);
    let mut state = state_with(&[green]);
    let queries = vec![
        query("p99", "p99", 60, None),
        query("sum", "Sum", 60, None),
        query("avg", "Average", 60, None),
        query("tail", "p99.9", 60, None),
        query("five", "Sum", 300, None),
    ];
    let answer = get_ok(&mut state, &request(queries));
    let results = &answer["MetricDataResults"];
    assert_eq!(
        pairs(&results[0]),
        vec![(minute(0.0), 812.0), (minute(1.0), 90.5)],
        "a minute without p99 has no datapoint"
    );
    assert_eq!(
        pairs(&results[1]),
        vec![(minute(0.0), 41.0), (minute(1.0), 9.0)]
    );
    assert_eq!(
        pairs(&results[2]),
        vec![(minute(0.0), 20.5), (minute(1.0), 3.0), (minute(2.0), 4.0)],
        "an Average is the minute's own, or its Sum over its SampleCount"
    );
    assert_eq!(pairs(&results[3]), vec![], "no minute gives p99.9");
    // 22:13 to 22:15 fall in the five minutes from 22:10.
    assert_eq!(pairs(&results[4]), vec![(minute(-3.0), 50.0)]);
    // A percentile cannot be combined from several minutes' percentiles.
    let (code, message) = refused(&mut state, &request(vec![query("p", "p99", 300, None)]));
    assert_eq!(code, "ValidationError");
    assert!(message.contains("the fake cannot compute"), "{message}");
}

#[test]
fn a_metric_matches_only_its_exact_set_of_dimensions_and_unit() {
    let only_group = Metric::new(REGION, NAMESPACE, "TargetResponseTime")
        .dimension("TargetGroup", "targetgroup/green/0123456789abcdef")
        .value_at(minute(0.0), 1000.0);
    let other_region = Metric::new("eu-west-1", NAMESPACE, "TargetResponseTime")
        .dimension("TargetGroup", "targetgroup/green/0123456789abcdef")
        .dimension("LoadBalancer", "app/web/fedcba9876543210")
        .value_at(minute(0.0), 2000.0);
    let other_account = latency()
        .account("210987654321")
        .value_at(minute(0.0), 3000.0);
    let mut state = state_with(&[
        latency().unit("Seconds"),
        only_group,
        other_region,
        other_account,
    ]);
    let group = json!([{"Name": "TargetGroup", "Value": "targetgroup/green/0123456789abcdef"}]);
    let wrong_value = json!([
        {"Name": "LoadBalancer", "Value": "app/web/0000000000000000"},
        {"Name": "TargetGroup", "Value": "targetgroup/green/0123456789abcdef"},
    ]);
    let mut seconds = query("seconds", "Maximum", 60, None);
    seconds["MetricStat"]["Unit"] = json!("Seconds");
    let mut millis = query("millis", "Maximum", 60, None);
    millis["MetricStat"]["Unit"] = json!("Milliseconds");
    let queries = vec![
        query("both", "Maximum", 60, None),
        query("group", "Maximum", 60, Some(group)),
        query("none", "Maximum", 60, Some(json!([]))),
        query("wrong", "Maximum", 60, Some(wrong_value)),
        seconds,
        millis,
    ];
    let answer = get_ok(&mut state, &request(queries));
    let results = &answer["MetricDataResults"];
    let firsts: Vec<Option<f64>> = (0..6)
        .map(|n| pairs(&results[n]).first().map(|(_, v)| *v))
        .collect();
    assert_eq!(
        firsts,
        [Some(30.0), Some(1000.0), None, None, Some(30.0), None]
    );
}

#[test]
fn pages_hold_at_most_the_page_size_in_datapoints() {
    let mut state = state_with(&[latency()]);
    state.page_size = Some(2);
    let mut body = request(vec![
        query("sum", "Sum", 60, None),
        query("hidden", "Sum", 60, None),
        query("max", "Maximum", 60, None),
    ]);
    body["MetricDataQueries"][1]["ReturnData"] = json!(false);
    let mut pages = Vec::new();
    loop {
        let answer = get_ok(&mut state, &body);
        let results = answer["MetricDataResults"]
            .as_array()
            .cloned()
            .expect("results");
        let ids: Vec<&str> = results.iter().map(|r| r["Id"].as_str().unwrap()).collect();
        assert_eq!(
            ids,
            ["sum", "max"],
            "every page answers every returned query"
        );
        let statuses: Vec<String> = (results.iter())
            .map(|r| r["StatusCode"].as_str().unwrap().to_string())
            .collect();
        let points: Vec<Vec<(f64, f64)>> = results.iter().map(pairs).collect();
        pages.push((statuses, points));
        match answer.get("NextToken") {
            Some(token) => body["NextToken"] = token.clone(),
            None => break,
        }
    }
    let (sums, maxima) = ([60.0, 5.0, 7.0], [30.0, 5.0, 7.0]);
    let at = |n: usize, v: f64| (minute([0.0, 1.0, 3.0][n]), v);
    let expected = vec![
        (
            ["PartialData", "PartialData"],
            vec![vec![at(0, sums[0]), at(1, sums[1])], vec![]],
        ),
        (
            ["Complete", "PartialData"],
            vec![vec![at(2, sums[2])], vec![at(0, maxima[0])]],
        ),
        (
            ["Complete", "Complete"],
            vec![vec![], vec![at(1, maxima[1]), at(2, maxima[2])]],
        ),
    ];
    assert_eq!(pages.len(), expected.len());
    for ((statuses, points), (want_statuses, want_points)) in pages.into_iter().zip(expected) {
        assert_eq!(statuses, want_statuses);
        assert_eq!(points, want_points);
    }
    // MaxDatapoints pages too, and a token the fake did not give is refused.
    state.page_size = None;
    let mut body = request(vec![query("sum", "Sum", 60, None)]);
    body["MaxDatapoints"] = json!(1);
    let answer = get_ok(&mut state, &body);
    assert_eq!(answer["NextToken"], "page-1");
    assert_eq!(answer["MetricDataResults"][0]["StatusCode"], "PartialData");
    body["NextToken"] = json!("page-9");
    assert_eq!(refused(&mut state, &body).0, "InvalidNextToken");
}

#[test]
fn requests_are_validated_as_cloudwatch_does() {
    let mut state = state_with(&[latency()]);
    let mut check = |body: Value, code: &str, text: &str| {
        let (got, message) = refused(&mut state, &body);
        assert_eq!(got, code, "{message}");
        assert!(message.contains(text), "{message} lacks {text}");
    };
    let bad_ids = request(vec![
        query("Sum", "Sum", 60, None),
        query("1x", "Sum", 60, None),
    ]);
    check(
        bad_ids,
        "ValidationError",
        "The value Sum for parameter MetricDataQueries.member.1.Id is not matching the \
         expected pattern ^[a-z][a-zA-Z0-9_]*$.\nThe value 1x for parameter \
         MetricDataQueries.member.2.Id",
    );
    let twice = request(vec![
        query("a", "Sum", 60, None),
        query("a", "Maximum", 60, None),
    ]);
    check(twice, "ValidationError", "are not unique");
    let math = request(vec![json!({"Id": "e", "Expression": "SUM(METRICS())"})]);
    check(
        math,
        "ValidationError",
        "the fake does not evaluate metric math",
    );
    check(
        request(vec![json!({"Id": "e"})]),
        "ValidationError",
        "Exactly one of",
    );
    check(request(vec![]), "ValidationError", "MetricDataQueries");
    let many = (0..501)
        .map(|n| query(&format!("q{n}"), "Sum", 60, None))
        .collect();
    check(request(many), "ValidationError", "greater than 500");
    check(
        request(vec![query("a", "Sum", 90, None)]),
        "ValidationError",
        "multiple of 60",
    );
    check(
        request(vec![query("a", "Sum", 10, None)]),
        "ValidationError",
        "high-resolution",
    );
    check(
        request(vec![query("a", "tm99", 60, None)]),
        "ValidationError",
        "tm99",
    );
    check(
        request(vec![query("a", "p101", 60, None)]),
        "ValidationError",
        "p101",
    );
    let mut backwards = request(vec![query("a", "Sum", 60, None)]);
    backwards["EndTime"] = json!(minute(0.0));
    check(backwards, "ValidationError", "StartTime must be less than");
    let mut no_start = request(vec![query("a", "Sum", 60, None)]);
    no_start
        .as_object_mut()
        .expect("an object")
        .remove("StartTime");
    check(no_start, "ValidationError", "'startTime'");
    let mut scan = request(vec![query("a", "Sum", 60, None)]);
    scan["ScanBy"] = json!("Sideways");
    check(scan, "ValidationError", "'scanBy'");
    let mut unit = query("a", "Sum", 60, None);
    unit["MetricStat"]["Unit"] = json!("Parsecs");
    check(request(vec![unit]), "ValidationError", "enum value set");
    let mut elsewhere = query("a", "Sum", 60, None);
    elsewhere["AccountId"] = json!("210987654321");
    check(request(vec![elsewhere]), "ValidationError", "cross-account");
}

#[test]
fn get_metric_data_is_authorized_on_star() {
    let mut state = state_with(&[latency()]);
    let policy = |resource: &str| {
        serde_json::from_value(json!({"Statement": [{"Effect": "Allow",
            "Action": "cloudwatch:GetMetricData", "Resource": resource}]}))
        .expect("a policy")
    };
    state.identities.policy = Some(policy("arn:aws:cloudwatch:*:*:alarm:*"));
    let body = request(vec![query("a", "Sum", 60, None)]);
    let error = get(&mut state, &body).expect_err("denied");
    assert_eq!(error.1, "AccessDeniedException");
    assert!(
        error.2.contains("cloudwatch:GetMetricData on resource: *"),
        "{}",
        error.2
    );
    state.identities.policy = Some(policy("*"));
    assert!(get(&mut state, &body).is_ok());
}

#[test]
fn seeds_give_samples_or_a_minute_s_statistics() {
    let seed: Seed = serde_json::from_value(json!({"metrics": [
        {"region": REGION, "namespace": NAMESPACE, "name": "RequestCount",
         "dimensions": {"TargetGroup": "targetgroup/green/0123456789abcdef"},
         "timestamp": minute(0.0), "value": 3},
        {"account": "210987654321", "region": REGION, "namespace": NAMESPACE,
         "name": "TargetResponseTime", "unit": "Seconds", "timestamp": minute(1.0),
         "stats": {"p99": 0.8, "Sum": 41}},
    ]}))
    .expect("a seed");
    assert_eq!(seed.metrics[0].account, ACCOUNT);
    assert_eq!(seed.metrics[0].value, Some(3.0));
    assert_eq!(seed.metrics[1].stats["p99"], 0.8);
    let point = |extra: Value| {
        let mut point = json!({"region": REGION, "namespace": NAMESPACE, "name": "X",
                               "timestamp": 0});
        point
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value::<MetricPoint>(point)
    };
    assert!(point(json!({})).is_err(), "neither value nor stats");
    assert!(
        point(json!({"value": 1, "stats": {"Sum": 1}})).is_err(),
        "both"
    );
    assert!(
        point(json!({"stats": {"P99": 1}})).is_err(),
        "not a statistic"
    );
    assert!(
        point(json!({"value": 1, "unit": "Parsecs"})).is_err(),
        "not a unit"
    );
    assert!(point(json!({"value": 1, "stats": {}})).is_ok());
}

#[test]
fn a_target_group_names_its_dimensions() {
    let group = TargetGroup::new(REGION, "green")
        .id("0123456789abcdef")
        .load_balancer("web");
    assert_eq!(group.dimension(), "targetgroup/green/0123456789abcdef");
    let lb = group.load_balancer_dimension().expect("a load balancer");
    assert!(
        lb.starts_with("app/web/") && lb.len() == "app/web/".len() + 16,
        "{lb}"
    );
    assert_eq!(
        group.load_balancer_arns(),
        [format!(
            "arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/{lb}"
        )]
    );
}

/// POSTs an RPC v2 CBOR request as the SDK sends it; the status and the CBOR answered.
pub(crate) fn post_cbor(
    fake: &FakeAws,
    operation: &str,
    body: &ciborium::Value,
) -> (u16, ciborium::Value) {
    let address = fake.endpoint().trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(address).expect("the fake listens");
    let mut bytes = Vec::new();
    ciborium::into_writer(body, &mut bytes).expect("CBOR");
    let head = format!(
        "POST /service/GraniteServiceVersion20100801/operation/{operation} HTTP/1.1\r\n\
         Host: monitoring.us-east-1.amazonaws.com\r\nConnection: close\r\n\
         Content-Type: application/cbor\r\nAccept: application/cbor\r\n\
         smithy-protocol: rpc-v2-cbor\r\nContent-Length: {}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/monitoring/\
         aws4_request, SignedHeaders=host, Signature=0\r\n\r\n",
        bytes.len()
    );
    stream.write_all(head.as_bytes()).expect("sent");
    stream.write_all(&bytes).expect("sent");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("an answer");
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let status = String::from_utf8_lossy(&answer[9..12])
        .parse()
        .expect("a status");
    let value = ciborium::from_reader(&answer[split + 4..]).expect("CBOR");
    (status, value)
}

#[tokio::test(flavor = "multi_thread")]
async fn over_cbor_timestamps_are_tagged_and_values_are_doubles() {
    use ciborium::Value as Cbor;
    let fake = Arc::new(FakeAws::start().await.expect("a fake"));
    fake.put_metric(latency());
    let text = |s: &str| Cbor::Text(s.into());
    let tagged = |seconds: f64| Cbor::Tag(1, Box::new(Cbor::Float(seconds)));
    let dimension = |name: &str, value: &str| {
        Cbor::Map(vec![
            (text("Name"), text(name)),
            (text("Value"), text(value)),
        ])
    };
    let metric = Cbor::Map(vec![
        (text("Namespace"), text(NAMESPACE)),
        (text("MetricName"), text("TargetResponseTime")),
        (
            text("Dimensions"),
            Cbor::Array(vec![
                dimension("TargetGroup", "targetgroup/green/0123456789abcdef"),
                dimension("LoadBalancer", "app/web/fedcba9876543210"),
            ]),
        ),
    ]);
    let stat = Cbor::Map(vec![
        (text("Metric"), metric),
        (text("Period"), Cbor::Integer(60.into())),
        (text("Stat"), text("Sum")),
    ]);
    let query = Cbor::Map(vec![(text("Id"), text("sum")), (text("MetricStat"), stat)]);
    let body = Cbor::Map(vec![
        (text("MetricDataQueries"), Cbor::Array(vec![query])),
        (text("StartTime"), tagged(minute(0.0))),
        (text("EndTime"), tagged(minute(2.0))),
    ]);
    let client = fake.clone();
    let (status, answer) =
        tokio::task::spawn_blocking(move || post_cbor(&client, "GetMetricData", &body))
            .await
            .expect("the client");
    assert_eq!(status, 200, "{answer:?}");
    let member = |map: &Cbor, name: &str| -> Cbor {
        let pairs = map.as_map().expect("a map");
        let found = pairs.iter().find(|(k, _)| k.as_text() == Some(name));
        found.map(|(_, v)| v.clone()).unwrap_or(Cbor::Null)
    };
    let result = member(&answer, "MetricDataResults")
        .into_array()
        .expect("a list")[0]
        .clone();
    assert_eq!(
        member(&result, "Timestamps"),
        Cbor::Array(vec![tagged(minute(1.0)), tagged(minute(0.0))])
    );
    assert_eq!(
        member(&result, "Values"),
        Cbor::Array(vec![Cbor::Float(5.0), Cbor::Float(60.0)])
    );
    assert_eq!(member(&result, "StatusCode"), text("Complete"));
    assert_eq!(fake.call_count("GetMetricData"), 1);
    assert_eq!(fake.calls()[0].service, "monitoring");
}
