//! `ListMetrics` as CloudWatch answers it: the metrics with a datapoint in the last two weeks
//! (three hours with `RecentlyActive`), filtered by namespace, name and dimension filters with
//! and without values, each once, in pages; validation, IAM, and the CBOR the SDK reads.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};

use crate::metric_data::tests::post_cbor;
use crate::protocol::ApiError;
use crate::router::call;
use crate::{FakeAws, Metric, State, ACCOUNT};

const REGION: &str = "us-east-1";
const ELB: &str = "AWS/ApplicationELB";
const GREEN: &str = "targetgroup/green/0123456789abcdef";
const BLUE: &str = "targetgroup/blue/fedcba9876543210";
const WEB: &str = "app/web/fedcba9876543210";

/// `hours` ago.
fn ago(hours: f64) -> SystemTime {
    SystemTime::now() - Duration::from_secs_f64(hours * 3600.0)
}

/// A metric of the load balancer `web` with these dimensions and a datapoint an hour ago.
fn elb(name: &str, dimensions: &[(&str, &str)]) -> Metric {
    let metric = Metric::new(REGION, ELB, name);
    (dimensions.iter())
        .fold(metric, |m, (name, value)| m.dimension(name, value))
        .value(ago(1.0), 1.0)
}

fn state_with(metrics: &[Metric]) -> State {
    let mut state = State::default();
    state.cloudwatch.metrics = metrics.iter().flat_map(Metric::points).collect();
    state
}

fn list(state: &mut State, body: &Value) -> Result<Value, ApiError> {
    let operation = ("monitoring", "ListMetrics", REGION);
    call(state, "AKIDEXAMPLE", operation, body).map(|answer| answer.json())
}

fn list_ok(state: &mut State, body: &Value) -> Value {
    list(state, body).unwrap_or_else(|ApiError(_, code, message)| panic!("{code}: {message}"))
}

fn refused(state: &mut State, body: &Value) -> (String, String) {
    match list(state, body) {
        Ok(answer) => panic!("answered {answer}"),
        Err(ApiError(status, code, message)) => {
            assert_eq!(status, 400, "{code}");
            (code, message)
        }
    }
}

/// The metrics answered, each as `Name[dimension=value,…]` (its namespace left out).
fn names(answer: &Value) -> Vec<String> {
    (answer["Metrics"].as_array().expect("Metrics").iter())
        .map(|metric| {
            let dimensions: Vec<String> = (metric["Dimensions"].as_array().expect("a list"))
                .iter()
                .map(|d| {
                    format!(
                        "{}={}",
                        d["Name"].as_str().unwrap(),
                        d["Value"].as_str().unwrap()
                    )
                })
                .collect();
            format!(
                "{}[{}]",
                metric["MetricName"].as_str().unwrap(),
                dimensions.join(",")
            )
        })
        .collect()
}

/// The green and blue target groups' metrics, one of the load balancer alone, one of the
/// green target group alone, a Lambda function's, and the green one's in another account and
/// another region.
fn world() -> State {
    state_with(&[
        elb(
            "RequestCount",
            &[("TargetGroup", GREEN), ("LoadBalancer", WEB)],
        )
        .value(ago(2.0), 3.0)
        .unit("Count"),
        elb(
            "RequestCount",
            &[("TargetGroup", BLUE), ("LoadBalancer", WEB)],
        ),
        elb("RequestCount", &[("LoadBalancer", WEB)]),
        elb("RequestCount", &[("TargetGroup", GREEN)]),
        elb(
            "TargetResponseTime",
            &[("TargetGroup", GREEN), ("LoadBalancer", WEB)],
        ),
        Metric::new(REGION, "AWS/Lambda", "Errors")
            .dimension("FunctionName", "judge")
            .value(ago(1.0), 0.0),
        elb(
            "HealthyHostCount",
            &[("TargetGroup", GREEN), ("LoadBalancer", WEB)],
        )
        .account("210987654321"),
        Metric::new("eu-west-1", ELB, "UnHealthyHostCount")
            .dimension("TargetGroup", GREEN)
            .value(ago(1.0), 0.0),
    ])
}

#[test]
fn every_metric_of_the_account_and_region_once_sorted() {
    let mut state = world();
    // Raw samples and a minute's statistics, in two units: still one metric.
    state.cloudwatch.metrics.extend(
        elb("RequestCount", &[("LoadBalancer", WEB)])
            .minute(ago(0.5), &[("Sum", 4.0)])
            .unit("Count")
            .points(),
    );
    let answer = list_ok(&mut state, &json!({}));
    let green_web = format!("LoadBalancer={WEB},TargetGroup={GREEN}");
    assert_eq!(
        names(&answer),
        [
            format!("RequestCount[LoadBalancer={WEB}]"),
            format!("RequestCount[LoadBalancer={WEB},TargetGroup={BLUE}]"),
            format!("RequestCount[{green_web}]"),
            format!("RequestCount[TargetGroup={GREEN}]"),
            format!("TargetResponseTime[{green_web}]"),
            "Errors[FunctionName=judge]".to_string(),
        ]
    );
    assert_eq!(answer["Metrics"][0]["Namespace"], ELB);
    assert_eq!(answer["Metrics"][5]["Namespace"], "AWS/Lambda");
    assert!(answer.get("NextToken").is_none());
    assert!(answer.get("OwningAccounts").is_none());
}

#[test]
fn filters_match_metrics_with_every_named_dimension_of_the_value_given() {
    let mut state = world();
    let mut listed = |filters: Value| {
        let body = json!({"Namespace": ELB, "MetricName": "RequestCount", "Dimensions": filters});
        names(&list_ok(&mut state, &body))
    };
    let green_web = format!("RequestCount[LoadBalancer={WEB},TargetGroup={GREEN}]");
    let blue_web = format!("RequestCount[LoadBalancer={WEB},TargetGroup={BLUE}]");
    let web = format!("RequestCount[LoadBalancer={WEB}]");
    let green = format!("RequestCount[TargetGroup={GREEN}]");
    let (green_web, blue_web) = (green_web.as_str(), blue_web.as_str());
    let (web, green) = (web.as_str(), green.as_str());
    // Names only: any value; a metric with more dimensions matches too.
    let both = json!([{"Name": "TargetGroup"}, {"Name": "LoadBalancer"}]);
    assert_eq!(listed(both), [blue_web, green_web]);
    assert_eq!(
        listed(json!([{"Name": "TargetGroup"}])),
        [blue_web, green_web, green]
    );
    // A value: only that value.
    let green_filter = json!([{"Name": "TargetGroup", "Value": GREEN}]);
    assert_eq!(listed(green_filter), [green_web, green]);
    let mixed = json!([{"Name": "TargetGroup", "Value": GREEN}, {"Name": "LoadBalancer"}]);
    assert_eq!(listed(mixed), [green_web]);
    let blue_web_filter =
        json!([{"Name": "LoadBalancer", "Value": WEB}, {"Name": "TargetGroup", "Value": BLUE}]);
    assert_eq!(listed(blue_web_filter), [blue_web]);
    assert_eq!(
        listed(json!([{"Name": "TargetGroup", "Value": "targetgroup/red/0"}])),
        Vec::<String>::new()
    );
    assert_eq!(
        listed(json!([{"Name": "AvailabilityZone"}])),
        Vec::<String>::new()
    );
    // No filters: every RequestCount.
    assert_eq!(listed(json!([])), [web, blue_web, green_web, green]);
    // Namespace and name alone, each exactly.
    let answer = list_ok(&mut state, &json!({"Namespace": "AWS/Lambda"}));
    assert_eq!(names(&answer), ["Errors[FunctionName=judge]"]);
    let answer = list_ok(&mut state, &json!({"MetricName": "TargetResponseTime"}));
    assert_eq!(answer["Metrics"].as_array().map(Vec::len), Some(1));
    let answer = list_ok(&mut state, &json!({"Namespace": "AWS/ApplicationEL"}));
    assert_eq!(answer["Metrics"], json!([]));
}

#[test]
fn only_metrics_with_a_datapoint_in_the_last_two_weeks_are_listed() {
    let day = 24.0;
    let mut state = state_with(&[
        Metric::new(REGION, ELB, "Gone").value(ago(15.0 * day), 1.0),
        Metric::new(REGION, ELB, "Fading").value(ago(13.0 * day), 1.0),
        Metric::new(REGION, ELB, "Back")
            .value(ago(20.0 * day), 1.0)
            .value(ago(5.0), 1.0),
        Metric::new(REGION, ELB, "Live").value(ago(1.0), 1.0),
    ]);
    let answer = list_ok(&mut state, &json!({"Namespace": ELB}));
    assert_eq!(names(&answer), ["Back[]", "Fading[]", "Live[]"]);
    // RecentlyActive: a datapoint in the last three hours.
    let answer = list_ok(&mut state, &json!({"RecentlyActive": "PT3H"}));
    assert_eq!(names(&answer), ["Live[]"]);
    let (code, message) = refused(&mut state, &json!({"RecentlyActive": "PT1H"}));
    assert_eq!(code, "ValidationError");
    assert!(
        message.contains("'recentlyActive'") && message.contains("[PT3H]"),
        "{message}"
    );
}

#[test]
fn pages_hold_500_metrics_or_the_page_size() {
    let metrics: Vec<Metric> = (0..501)
        .map(|n| {
            elb(
                "RequestCount",
                &[("TargetGroup", &format!("targetgroup/g{n:03}/0"))],
            )
        })
        .collect();
    let mut state = state_with(&metrics);
    let first = list_ok(&mut state, &json!({}));
    assert_eq!(first["Metrics"].as_array().map(Vec::len), Some(500));
    assert_eq!(first["NextToken"], "page-500");
    let second = list_ok(&mut state, &json!({"NextToken": first["NextToken"]}));
    assert_eq!(
        names(&second),
        ["RequestCount[TargetGroup=targetgroup/g500/0]"]
    );
    assert!(second.get("NextToken").is_none());

    let mut state = world();
    state.page_size = Some(2);
    let mut body = json!({"Namespace": ELB, "Dimensions": [{"Name": "TargetGroup"}]});
    let mut pages = Vec::new();
    loop {
        let answer = list_ok(&mut state, &body);
        pages.push(names(&answer).len());
        match answer.get("NextToken") {
            Some(token) => body["NextToken"] = token.clone(),
            None => break,
        }
    }
    assert_eq!(pages, [2, 2]);
    body["NextToken"] = json!("page-9");
    assert_eq!(refused(&mut state, &body).0, "InvalidParameterValue");
    body["NextToken"] = json!("garbage");
    assert_eq!(refused(&mut state, &body).0, "InvalidParameterValue");
}

#[test]
fn requests_are_validated_as_cloudwatch_does() {
    let mut state = world();
    let mut check = |body: Value, code: &str, text: &str| {
        let (got, message) = refused(&mut state, &body);
        assert_eq!(got, code, "{message}");
        assert!(message.contains(text), "{message} lacks {text}");
    };
    let eleven: Vec<Value> = (0..11).map(|n| json!({"Name": format!("d{n}")})).collect();
    check(
        json!({"Dimensions": eleven}),
        "ValidationError",
        "less than or equal to 10",
    );
    check(
        json!({"Dimensions": [{"Name": "TargetGroup"}, {"Value": "x"}]}),
        "ValidationError",
        "Value null at 'dimensions.2.member.name'",
    );
    check(
        json!({"Dimensions": [{"Name": "TargetGroup", "Value": ""}]}),
        "ValidationError",
        "'dimensions.1.member.value'",
    );
    check(
        json!({"Namespace": ""}),
        "ValidationError",
        "greater than or equal to 1",
    );
    check(
        json!({"Namespace": ":AWS"}),
        "ValidationError",
        "regular expression pattern",
    );
    check(
        json!({"MetricName": "x".repeat(256)}),
        "ValidationError",
        "'metricName'",
    );
    check(
        json!({"Namespace": 5}),
        "SerializationException",
        "Namespace",
    );
    check(
        json!({"IncludeLinkedAccounts": true, "OwningAccount": "210987654321"}),
        "ValidationError",
        "cross-account observability",
    );
}

#[test]
fn linked_accounts_are_the_caller_s_own() {
    let mut state = world();
    let body = json!({"Namespace": "AWS/Lambda", "IncludeLinkedAccounts": true});
    let answer = list_ok(&mut state, &body);
    assert_eq!(names(&answer), ["Errors[FunctionName=judge]"]);
    assert_eq!(answer["OwningAccounts"], json!([ACCOUNT]));
    let mut own = body.clone();
    own["OwningAccount"] = json!(ACCOUNT);
    assert_eq!(list_ok(&mut state, &own), answer);
    let none = list_ok(
        &mut state,
        &json!({"Namespace": "AWS/Nothing", "IncludeLinkedAccounts": true}),
    );
    assert_eq!(none, json!({"Metrics": [], "OwningAccounts": []}));
}

#[test]
fn list_metrics_is_authorized_on_star() {
    let mut state = world();
    let policy = |action: &str, resource: &str| {
        serde_json::from_value(json!({"Statement": [{"Effect": "Allow",
            "Action": action, "Resource": resource}]}))
        .expect("a policy")
    };
    state.identities.policy = Some(policy("cloudwatch:ListMetrics", "arn:aws:cloudwatch:*:*:*"));
    let error = list(&mut state, &json!({})).expect_err("denied");
    assert_eq!(error.1, "AccessDeniedException");
    assert!(
        error.2.contains("cloudwatch:ListMetrics on resource: *"),
        "{}",
        error.2
    );
    state.identities.policy = Some(policy("cloudwatch:GetMetricData", "*"));
    assert!(list(&mut state, &json!({})).is_err(), "another action");
    state.identities.policy = Some(policy("cloudwatch:ListMetrics", "*"));
    assert!(list(&mut state, &json!({})).is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn over_cbor_as_the_sdk_sends_it_and_journaled() {
    use ciborium::Value as Cbor;
    let fake = Arc::new(FakeAws::start().await.expect("a fake"));
    fake.put_metric(elb(
        "RequestCount",
        &[("TargetGroup", GREEN), ("LoadBalancer", WEB)],
    ));
    fake.put_metric(elb("RequestCount", &[("LoadBalancer", WEB)]));
    let text = |s: &str| Cbor::Text(s.into());
    let filter = |name: &str| Cbor::Map(vec![(text("Name"), text(name))]);
    let body = Cbor::Map(vec![
        (text("Namespace"), text(ELB)),
        (text("MetricName"), text("RequestCount")),
        (
            text("Dimensions"),
            Cbor::Array(vec![filter("TargetGroup"), filter("LoadBalancer")]),
        ),
    ]);
    let client = fake.clone();
    let (status, answer) =
        tokio::task::spawn_blocking(move || post_cbor(&client, "ListMetrics", &body))
            .await
            .expect("the client");
    assert_eq!(status, 200, "{answer:?}");
    let dimension = |name: &str, value: &str| {
        Cbor::Map(vec![
            (text("Name"), text(name)),
            (text("Value"), text(value)),
        ])
    };
    let metric = Cbor::Map(vec![
        (
            text("Dimensions"),
            Cbor::Array(vec![
                dimension("LoadBalancer", WEB),
                dimension("TargetGroup", GREEN),
            ]),
        ),
        (text("MetricName"), text("RequestCount")),
        (text("Namespace"), text(ELB)),
    ]);
    let expected = Cbor::Map(vec![(text("Metrics"), Cbor::Array(vec![metric]))]);
    assert_eq!(answer, expected);
    assert_eq!(fake.call_count("ListMetrics"), 1);
    let call = &fake.calls()[0];
    assert_eq!(
        (call.service.as_str(), call.account.as_str()),
        ("monitoring", ACCOUNT)
    );
    assert_eq!(
        call.body["Dimensions"],
        json!([{"Name": "TargetGroup"}, {"Name": "LoadBalancer"}])
    );
}
