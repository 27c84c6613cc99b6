use std::io::{Read, Write};

use serde_json::{json, Map, Value};

use crate::iam::Policy;
use crate::router::call;
use crate::{FakeAws, Principal, Role, State, ACCOUNT, FUNCTION_ROLE};

const TEAM_ROLE: &str = "arn:aws:iam::123456789012:role/team/shop-deployer";
const OTHER_ROLE: &str = "arn:aws:iam::210987654321:role/breaker";
const GROUP: &str = "arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:shop/prod";

fn policy(statements: Value) -> Policy {
    serde_json::from_value(json!({ "Statement": statements })).expect("a policy")
}

/// Allows CodeDeploy in us-east-1 only, but never StopDeployment.
fn team_policy() -> Policy {
    policy(json!([
        {"Effect": "Allow", "Action": "codedeploy:*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}},
        {"Effect": "Deny", "Action": "codedeploy:StopDeployment", "Resource": "*"}]))
}

fn state() -> State {
    let mut state = State::default();
    let role = |arn: &str, policy| Role {
        arn: arn.into(),
        trusted: vec![FUNCTION_ROLE.into()],
        policy,
    };
    state.identities.roles = vec![role(TEAM_ROLE, Some(team_policy())), role(OTHER_ROLE, None)];
    state
}

/// A query form: `Action=SimulatePrincipalPolicy` and these parameters.
fn form(pairs: &[(&str, &str)]) -> Value {
    let mut form: Map<String, Value> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    form.insert("Action".into(), json!("SimulatePrincipalPolicy"));
    Value::Object(form)
}

fn simulate(state: &mut State, pairs: &[(&str, &str)]) -> Result<String, (u16, String, String)> {
    let operation = ("iam", "SimulatePrincipalPolicy", "us-east-1");
    call(state, "AKIDEXAMPLE", operation, &form(pairs))
        .map(|answer| answer.xml())
        .map_err(|e| (e.0, e.1, e.2))
}

/// The `(action, resource, decision)` of each result, in order.
fn decisions(xml: &str) -> Vec<(String, String, String)> {
    let field = |member: &str, name: &str| {
        let open = format!("<{name}>");
        let start = member.find(&open).expect("the field") + open.len();
        let end = member[start..].find('<').expect("its end") + start;
        member[start..end].to_string()
    };
    xml.split("<member>")
        .skip(1)
        .map(|m| {
            let f = |name| field(m, name);
            (
                f("EvalActionName"),
                f("EvalResourceName"),
                f("EvalDecision"),
            )
        })
        .collect()
}

fn triple(action: &str, resource: &str, decision: &str) -> (String, String, String) {
    (action.into(), resource.into(), decision.into())
}

#[test]
fn every_action_on_every_resource_is_decided_in_order() {
    let answer = simulate(
        &mut state(),
        &[
            ("PolicySourceArn", TEAM_ROLE),
            ("ActionNames.member.1", "codedeploy:ListDeployments"),
            ("ActionNames.member.2", "codedeploy:StopDeployment"),
            ("ActionNames.member.3", "sts:AssumeRole"),
            ("ResourceArns.member.1", GROUP),
            ("ResourceArns.member.2", "*"),
            (
                "ContextEntries.member.1.ContextKeyName",
                "aws:RequestedRegion",
            ),
            (
                "ContextEntries.member.1.ContextKeyValues.member.1",
                "us-east-1",
            ),
            ("ContextEntries.member.1.ContextKeyType", "string"),
        ],
    )
    .expect("an answer");
    assert!(answer.starts_with(
        "<SimulatePrincipalPolicyResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\
         <SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>"
    ));
    assert!(!answer.contains("<Marker>"));
    assert!(answer.contains("<MatchedStatements/><MissingContextValues/></member>"));
    assert_eq!(
        decisions(&answer),
        vec![
            triple("codedeploy:ListDeployments", GROUP, "allowed"),
            triple("codedeploy:ListDeployments", "*", "allowed"),
            triple("codedeploy:StopDeployment", GROUP, "explicitDeny"),
            triple("codedeploy:StopDeployment", "*", "explicitDeny"),
            triple("sts:AssumeRole", GROUP, "implicitDeny"),
            triple("sts:AssumeRole", "*", "implicitDeny"),
        ]
    );
}

#[test]
fn context_entries_and_account_keys_reach_the_conditions() {
    let args = |region| {
        [
            ("PolicySourceArn", TEAM_ROLE),
            ("ActionNames.member.1", "codedeploy:ListDeployments"),
            (
                "ContextEntries.member.1.ContextKeyName",
                "aws:RequestedRegion",
            ),
            ("ContextEntries.member.1.ContextKeyValues.member.1", region),
        ]
    };
    let decided = |state: &mut State, region| decisions(&simulate(state, &args(region)).unwrap());
    let mut state = state();
    assert_eq!(decided(&mut state, "eu-west-1")[0].2, "implicitDeny");
    state.identities.roles[0].policy = Some(policy(json!({"Effect": "Allow", "Action": "*",
        "Resource": "*", "Condition": {"StringEquals": {
            "aws:ResourceAccount": ACCOUNT, "aws:PrincipalAccount": ACCOUNT}}})));
    assert_eq!(decided(&mut state, "eu-west-1")[0].2, "allowed");
    let mut other = args("eu-west-1").to_vec();
    other.push((
        "ResourceArns.member.1",
        "arn:aws:codedeploy:us-east-1:210987654321:deploymentgroup:shop/prod",
    ));
    assert_eq!(
        decisions(&simulate(&mut state, &other).unwrap())[0].2,
        "implicitDeny"
    );
}

#[test]
fn the_roles_known_are_the_seeded_the_principals_and_the_functions() {
    let mut state = state();
    state.identities.policy = Some(policy(
        json!({"Effect": "Allow", "Action": "iam:*", "Resource": "*"}),
    ));
    let deployer = "arn:aws:iam::123456789012:role/gate";
    state.identities.principals.push(Principal {
        access_key: "AKIAGATE".into(),
        role: deployer.into(),
        policy: None,
    });
    let mut decide = |role: &str, action: &str| {
        let pairs = [("PolicySourceArn", role), ("ActionNames.member.1", action)];
        decisions(&simulate(&mut state, &pairs).unwrap())[0]
            .2
            .clone()
    };
    assert_eq!(
        decide(FUNCTION_ROLE, "iam:SimulatePrincipalPolicy"),
        "allowed"
    );
    assert_eq!(
        decide(FUNCTION_ROLE, "codedeploy:StopDeployment"),
        "implicitDeny"
    );
    // A role without a policy allows everything.
    assert_eq!(decide(deployer, "codedeploy:StopDeployment"), "allowed");
}

#[test]
fn a_role_of_another_account_or_unknown_is_no_such_entity() {
    let mut state = state();
    let mut error = |arn: &str| {
        let pairs = [
            ("PolicySourceArn", arn),
            ("ActionNames.member.1", "s3:GetObject"),
        ];
        simulate(&mut state, &pairs).expect_err("an error")
    };
    let missing = |kind: &str, name: &str| {
        let message = format!("The {kind} with name {name} cannot be found.");
        (404, "NoSuchEntity".to_string(), message)
    };
    assert_eq!(error(OTHER_ROLE), missing("role", "breaker"));
    assert_eq!(
        error("arn:aws:iam::123456789012:role/nobody"),
        missing("role", "nobody")
    );
    assert_eq!(
        error("arn:aws:iam::123456789012:user/alice"),
        missing("user", "alice")
    );
    let session = "arn:aws:sts::123456789012:assumed-role/breaker/session";
    let invalid = (
        400,
        "InvalidInput".into(),
        format!("Invalid Entity Arn: {session}"),
    );
    assert_eq!(error(session), invalid);
}

#[test]
fn the_caller_needs_the_action_on_the_role() {
    let mut state = state();
    let allow = |resource: &str| {
        Some(policy(json!({"Effect": "Allow",
            "Action": "iam:SimulatePrincipalPolicy", "Resource": resource})))
    };
    state.identities.policy = allow("arn:aws:iam::123456789012:role/other");
    let pairs = [
        ("PolicySourceArn", TEAM_ROLE),
        ("ActionNames.member.1", "s3:GetObject"),
    ];
    let (status, code, message) = simulate(&mut state, &pairs).expect_err("denied");
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert!(
        message.contains("iam:SimulatePrincipalPolicy on resource: "),
        "{message}"
    );
    state.identities.policy = allow("arn:aws:iam::123456789012:role/team/*");
    assert!(simulate(&mut state, &pairs).is_ok());
}

#[test]
fn results_come_in_pages_of_max_items() {
    let mut state = state();
    let mut pairs = vec![
        ("PolicySourceArn", TEAM_ROLE),
        ("ActionNames.member.1", "codedeploy:ListDeployments"),
        ("ActionNames.member.2", "codedeploy:StopDeployment"),
        ("ActionNames.member.3", "sts:AssumeRole"),
        ("MaxItems", "2"),
    ];
    let first = simulate(&mut state, &pairs).unwrap();
    assert!(first.contains("<IsTruncated>true</IsTruncated>"));
    assert!(first.contains("</EvaluationResults><Marker>page-2</Marker>"));
    assert_eq!(decisions(&first).len(), 2);
    pairs.push(("Marker", "page-2"));
    let last = simulate(&mut state, &pairs).unwrap();
    assert!(last.contains("<IsTruncated>false</IsTruncated>") && !last.contains("<Marker>"));
    assert_eq!(
        decisions(&last),
        vec![triple("sts:AssumeRole", "*", "implicitDeny")]
    );
    pairs.pop();
    pairs.push(("Marker", "bogus"));
    assert_eq!(simulate(&mut state, &pairs).unwrap_err().1, "InvalidInput");
}

#[test]
fn invalid_requests_are_refused_as_iam_does() {
    let mut state = state();
    let mut code = |pairs: &[(&str, &str)]| simulate(&mut state, pairs).unwrap_err().1;
    let action = ("ActionNames.member.1", "s3:GetObject");
    let source = ("PolicySourceArn", TEAM_ROLE);
    assert_eq!(code(&[action]), "ValidationError");
    assert_eq!(code(&[source]), "ValidationError");
    assert_eq!(
        code(&[source, action, ("MaxItems", "0")]),
        "ValidationError"
    );
    assert_eq!(
        code(&[source, action, ("MaxItems", "1001")]),
        "ValidationError"
    );
    let bad_resource = ("ResourceArns.member.1", "shop/prod");
    assert_eq!(code(&[source, action, bad_resource]), "InvalidInput");
    let name = (
        "ContextEntries.member.1.ContextKeyName",
        "aws:RequestedRegion",
    );
    let kind = ("ContextEntries.member.1.ContextKeyType", "text");
    assert_eq!(code(&[source, action, name, kind]), "ValidationError");
    let get_role = ("iam", "GetRole", "us-east-1");
    let other = call(
        &mut state,
        "AKIDEXAMPLE",
        get_role,
        &json!({"Action": "GetRole"}),
    );
    assert_eq!(
        other.map_err(|e| (e.0, e.1)).unwrap_err(),
        (400, "InvalidAction".into())
    );
}

/// Posts a query form to the fake as the SDK signs an IAM call; the status and body.
fn post(fake: &FakeAws, form: &str) -> (u16, String) {
    let address = fake.endpoint().trim_start_matches("http://").to_string();
    let mut stream = std::net::TcpStream::connect(address).expect("the fake listens");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: iam.amazonaws.com\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/iam/\
         aws4_request, SignedHeaders=host, Signature=0\r\n\r\n{form}",
        form.len()
    );
    stream.write_all(request.as_bytes()).expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    let status = answer[9..12].parse().expect("a status");
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string());
    (status, body.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn iam_is_served_over_http_as_a_query_service() {
    let fake = FakeAws::start().await.expect("a fake");
    let (simulated, unknown) = tokio::task::spawn_blocking(move || {
        let role = "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdeployment-circuit-breaker-\
                    FunctionRole";
        let simulated = post(
            &fake,
            &format!(
                "Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn={role}\
                 &ActionNames.member.1=codedeploy%3AStopDeployment"
            ),
        );
        let unknown = post(&fake, "Action=GetRole&Version=2010-05-08&RoleName=x");
        let calls = fake.calls();
        assert_eq!(calls.len(), 2);
        assert_eq!(
            (calls[0].service.as_str(), calls[0].account.as_str()),
            ("iam", ACCOUNT)
        );
        assert_eq!(calls[0].operation, "SimulatePrincipalPolicy");
        assert_eq!(calls[0].body["PolicySourceArn"], FUNCTION_ROLE);
        (simulated, unknown)
    })
    .await
    .expect("the client");
    assert_eq!(simulated.0, 200);
    assert_eq!(
        decisions(&simulated.1),
        vec![triple("codedeploy:StopDeployment", "*", "allowed")]
    );
    assert_eq!(unknown.0, 400);
    assert!(unknown.1.starts_with(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>\
         <Type>Sender</Type><Code>InvalidAction</Code>"
    ));
}
