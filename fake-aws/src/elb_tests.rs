//! `DescribeTargetGroups` as Elastic Load Balancing answers it: the XML the SDK reads, its
//! filters and pages, its errors in query XML, IAM.

use std::io::{Read, Write};
use std::sync::Arc;

use serde_json::{json, Value};

use super::TargetGroup;
use crate::protocol::ApiError;
use crate::router::call;
use crate::{FakeAws, Seed, State, ACCOUNT};

const REGION: &str = "us-east-1";
const NS: &str = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/";

fn groups() -> Vec<TargetGroup> {
    vec![
        TargetGroup::new(REGION, "green")
            .id("0123456789abcdef")
            .load_balancer("web"),
        TargetGroup::new(REGION, "blue")
            .id("fedcba9876543210")
            .load_balancer("web"),
        TargetGroup::new(REGION, "fn").target_type("lambda"),
        TargetGroup::new("eu-west-1", "green"),
        TargetGroup::new(REGION, "green").account("210987654321"),
    ]
}

fn state() -> State {
    let mut state = State::default();
    state.elb.target_groups = groups();
    state
}

/// A query request's parameters.
fn form(pairs: &[(&str, &str)]) -> Value {
    let mut form = json!({"Action": "DescribeTargetGroups", "Version": "2015-12-01"});
    for (name, value) in pairs {
        form[*name] = json!(value);
    }
    form
}

fn describe(state: &mut State, pairs: &[(&str, &str)]) -> Result<String, ApiError> {
    let operation = ("elasticloadbalancing", "DescribeTargetGroups", REGION);
    call(state, "AKIDEXAMPLE", operation, &form(pairs)).map(|answer| answer.xml())
}

/// The names of the target groups an answer lists, in order.
fn names(xml: &str) -> Vec<&str> {
    xml.split("<TargetGroupName>")
        .skip(1)
        .map(|rest| rest.split_once('<').expect("a closing tag").0)
        .collect()
}

/// An answer, which must not be an error.
fn ok(state: &mut State, pairs: &[(&str, &str)]) -> String {
    describe(state, pairs).unwrap_or_else(|ApiError(_, code, message)| panic!("{code}: {message}"))
}

fn error(state: &mut State, pairs: &[(&str, &str)]) -> (u16, String, String) {
    match describe(state, pairs) {
        Ok(answer) => panic!("answered {answer}"),
        Err(ApiError(status, code, message)) => (status, code, message),
    }
}

#[test]
fn a_target_group_is_written_as_the_sdk_reads_it() {
    let lb = groups()[0].load_balancer_arns()[0].clone();
    let xml = ok(&mut state(), &[("Names.member.1", "green")]);
    let arn = format!(
        "arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/green/0123456789abcdef"
    );
    let expected = format!(
        "<DescribeTargetGroupsResponse xmlns=\"{NS}\"><DescribeTargetGroupsResult><TargetGroups>\
         <member><TargetGroupArn>{arn}</TargetGroupArn><TargetGroupName>green</TargetGroupName>\
         <Protocol>HTTP</Protocol><Port>80</Port><VpcId>vpc-0fa4e5c6d7b8a9012</VpcId>\
         <HealthCheckProtocol>HTTP</HealthCheckProtocol>\
         <HealthCheckPort>traffic-port</HealthCheckPort><HealthCheckEnabled>true\
         </HealthCheckEnabled><HealthCheckIntervalSeconds>30</HealthCheckIntervalSeconds>\
         <HealthCheckTimeoutSeconds>5</HealthCheckTimeoutSeconds>\
         <HealthyThresholdCount>5</HealthyThresholdCount>\
         <UnhealthyThresholdCount>2</UnhealthyThresholdCount><HealthCheckPath>/\
         </HealthCheckPath><Matcher><HttpCode>200</HttpCode></Matcher><LoadBalancerArns>\
         <member>{lb}</member></LoadBalancerArns><TargetType>instance</TargetType>\
         <ProtocolVersion>HTTP1</ProtocolVersion><IpAddressType>ipv4</IpAddressType>\
         </member></TargetGroups></DescribeTargetGroupsResult><ResponseMetadata><RequestId>\
         00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>\
         </DescribeTargetGroupsResponse>"
    );
    assert_eq!(xml, expected);
    let lambda = ok(&mut state(), &[("Names.member.1", "fn")]);
    assert!(
        lambda.contains("<TargetType>lambda</TargetType>"),
        "{lambda}"
    );
    assert!(
        lambda.contains("<LoadBalancerArns></LoadBalancerArns>"),
        "{lambda}"
    );
    assert!(
        !lambda.contains("<Port>") && !lambda.contains("<VpcId>"),
        "{lambda}"
    );
}

#[test]
fn target_groups_are_found_by_name_arn_or_load_balancer_of_the_caller_s_account() {
    let mut state = state();
    let both = [("Names.member.1", "green"), ("Names.member.2", "blue")];
    assert_eq!(names(&ok(&mut state, &both)), ["green", "blue"]);
    let blue = groups()[1].arn();
    let by_arn = [("TargetGroupArns.member.1", blue.as_str())];
    assert_eq!(names(&ok(&mut state, &by_arn)), ["blue"]);
    let lb = groups()[0].load_balancer_arns()[0].clone();
    let by_lb = [("LoadBalancerArn", lb.as_str())];
    assert_eq!(names(&ok(&mut state, &by_lb)), ["blue", "green"]);
    assert_eq!(
        names(&ok(&mut state, &[])),
        ["blue", "fn", "green"],
        "all of the account and region, by name"
    );
}

#[test]
fn unknown_or_malformed_target_groups_are_refused() {
    let mut state = state();
    let not_found = (
        400,
        "TargetGroupNotFound".into(),
        "One or more target groups not found".into(),
    );
    let missing = [("Names.member.1", "green"), ("Names.member.2", "gone")];
    assert_eq!(error(&mut state, &missing), not_found);
    let elsewhere = groups()[3].arn();
    let arn = [("TargetGroupArns.member.1", elsewhere.as_str())];
    assert_eq!(error(&mut state, &arn), not_found);
    let (status, code, message) = error(&mut state, &[("TargetGroupArns.member.1", "green")]);
    assert_eq!((status, code.as_str()), (400, "ValidationError"));
    assert_eq!(message, "'green' is not a valid target group ARN");
    let both = [("Names.member.1", "green"), ("LoadBalancerArn", "x")];
    assert_eq!(error(&mut state, &both).1, "ValidationError");
    let lb = format!("arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/x/1");
    assert_eq!(
        error(&mut state, &[("LoadBalancerArn", &lb)]).1,
        "LoadBalancerNotFound"
    );
    assert_eq!(
        error(&mut state, &[("PageSize", "401")]).1,
        "ValidationError"
    );
}

#[test]
fn pages_follow_markers() {
    let mut state = state();
    state.page_size = Some(2);
    let first = ok(&mut state, &[]);
    assert_eq!(names(&first), ["blue", "fn"]);
    assert!(first.contains("<NextMarker>page-2</NextMarker>"), "{first}");
    let last = ok(&mut state, &[("Marker", "page-2")]);
    assert_eq!(names(&last), ["green"]);
    assert!(!last.contains("NextMarker"), "{last}");
    state.page_size = None;
    let one = ok(&mut state, &[("PageSize", "1")]);
    assert_eq!(names(&one), ["blue"]);
    assert_eq!(
        error(&mut state, &[("Marker", "page-9")]).1,
        "ValidationError"
    );
}

#[test]
fn seeds_name_target_groups_and_their_load_balancers() {
    let seed: Seed = serde_json::from_value(json!({"targetGroups": [
        {"region": REGION, "name": "green", "id": "0123456789abcdef",
         "loadBalancers": ["web", "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/b/1"],
         "targetType": "ip", "port": 8080},
    ]}))
    .expect("a seed");
    let group = &seed.target_groups[0];
    assert_eq!((group.account.as_str(), group.port), (ACCOUNT, 8080));
    assert_eq!(group.target_type, "ip");
    let dimensions = group.load_balancer_dimensions();
    assert!(dimensions[0].starts_with("app/web/"), "{dimensions:?}");
    assert_eq!(dimensions[1], "app/b/1");
}

/// POSTs a query request as the SDK sends it; the status and body.
fn post_form(fake: &FakeAws, form: &str) -> (u16, String) {
    let address = fake.endpoint().trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(address).expect("the fake listens");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: elasticloadbalancing.us-east-1.amazonaws.com\r\n\
         Connection: close\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/\
         us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=0\r\n\r\n\
         {form}",
        form.len()
    );
    stream.write_all(request.as_bytes()).expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
    (head[9..12].parse().expect("a status"), body.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn over_http_answers_and_errors_are_query_xml() {
    let fake = Arc::new(FakeAws::start().await.expect("a fake"));
    fake.put_target_group(TargetGroup::new(REGION, "green"));
    let client = fake.clone();
    tokio::task::spawn_blocking(move || {
        let fake = &client;
        let action = "Action=DescribeTargetGroups&Version=2015-12-01";
        let (status, body) = post_form(fake, &format!("{action}&Names.member.1=green"));
        assert_eq!(status, 200, "{body}");
        assert!(
            body.contains("<TargetGroupName>green</TargetGroupName>"),
            "{body}"
        );
        let (status, body) = post_form(fake, &format!("{action}&Names.member.1=gone"));
        assert_eq!(status, 400);
        let expected = format!(
            "<ErrorResponse xmlns=\"{NS}\"><Error><Type>Sender</Type>\
             <Code>TargetGroupNotFound</Code><Message>One or more target groups not found\
             </Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId>\
             </ErrorResponse>"
        );
        assert_eq!(body, expected);
        let (status, body) = post_form(fake, "Action=DescribeLoadBalancers&Version=2015-12-01");
        assert_eq!(status, 400);
        assert!(body.contains("<Code>InvalidAction</Code>"), "{body}");
        let policy = json!({"Statement": [{"Effect": "Allow",
            "Action": "elasticloadbalancing:DescribeTargetGroups",
            "Resource": "arn:aws:elasticloadbalancing:*:*:targetgroup/*"}]});
        fake.set_policy(Some(serde_json::from_value(policy).expect("a policy")));
        let (status, body) = post_form(fake, &format!("{action}&Names.member.1=green"));
        assert_eq!(status, 403);
        assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
        assert!(
            body.contains("DescribeTargetGroups on resource: *"),
            "{body}"
        );
    })
    .await
    .expect("the client");
    let calls = fake.calls();
    assert_eq!(calls.len(), 4);
    assert_eq!(calls[0].service, "elasticloadbalancing");
    assert_eq!(calls[0].body["Names.member.1"], "green");
}
