//! Shared by the behaviour tests: the function wired to a fake CodeDeploy over real HTTP, driven
//! by the real `aws-sdk-codedeploy` client, and builders for realistic payloads.
#![allow(dead_code)] // each test crate uses its own subset

pub mod canary;
pub mod gate;
pub mod redeploy;

use std::collections::HashMap;
use std::time::Duration;

use aws_config::{ConfigLoader, SdkConfig};
use aws_sdk_codedeploy::config::{Credentials, Region};
use deployment_circuit_breaker::aws::{sdk_config_loader, Aws, Deadline};
use deployment_circuit_breaker::config::Config;
use deployment_circuit_breaker::handler::{Polled, Response};
use deployment_circuit_breaker::report::{Failure, Report};
use deployment_circuit_breaker::runtime::{Function, Invocation};
use deployment_circuit_breaker::time::Time;
use deployment_circuit_breaker::types::Outcome;
use fake_aws::iam::{Policy, Statement};
use fake_aws::{FakeAws, Queue};
use serde_json::{json, Value};

pub const HOME: &str = "us-east-1";
/// The function's own account: the account of the ARN it is invoked as.
pub const ACCOUNT: &str = "123456789012";
/// The breaker's own queue of polls, as template.yaml names it in stack `breaker`.
pub const WATCH_QUEUE: &str = "breaker-watch";
pub const FUNCTION_ARN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:deployment-circuit-breaker";

/// The function wired to a fresh fake CodeDeploy.
pub struct World {
    pub fake: FakeAws,
    pub aws: Aws,
    /// The SDK's configuration, for the other functions (the readiness check).
    pub sdk: SdkConfig,
    pub config: Config,
    /// How long each invocation may take.
    pub deadline: Duration,
    /// The metrics (EMF lines) the invocations wrote, in order.
    pub metrics: std::sync::Mutex<Vec<String>>,
}

impl World {
    /// The function with these configuration variables (and `AWS_REGION` = [`HOME`],
    /// `ALLOWED_DEPLOYMENT_GROUPS` = `*/*` unless given; `NOTIFY` = `false` unless given).
    pub async fn new(vars: &[(&str, &str)]) -> World {
        World::with_loader(vars, sdk_config_loader()).await
    }

    /// Like [`World::new`], with the SDK configured by `loader` (pointed at the fake here).
    pub async fn with_loader(vars: &[(&str, &str)], loader: ConfigLoader) -> World {
        let fake = FakeAws::start().await.expect("fake starts");
        fake.create_table(ACCOUNT, HOME, gate::TABLE);
        World::on(fake, vars, loader).await
    }

    /// The breaker with its own queue of polls (`WATCH_QUEUE_URL`, [`WATCH_QUEUE`]) and these
    /// variables, held to the policy template.yaml grants it.
    pub async fn judging(vars: &[(&str, &str)]) -> World {
        let fake = FakeAws::start().await.expect("fake starts");
        fake.create_table(ACCOUNT, HOME, gate::TABLE);
        fake.create_queue(Queue::new(HOME, WATCH_QUEUE).visibility_timeout(360));
        fake.set_policy(Some(template_policy("FunctionRole")));
        let url = fake.queue_url(ACCOUNT, WATCH_QUEUE);
        let mut all = vec![("WATCH_QUEUE_URL", url.as_str())];
        all.extend_from_slice(vars);
        World::on(fake, &all, sdk_config_loader()).await
    }

    /// One batch of the polls due now, delivered as the event source mapping does; `None` when
    /// none is due. The polls the breaker reports failed stay on the queue.
    pub async fn deliver(&self) -> Option<Polled> {
        let event = self.fake.sqs_event(ACCOUNT, HOME, WATCH_QUEUE, 10)?;
        let response = self.invoke(&event).await;
        let answer = (response.as_ref().ok()).map(|r| serde_json::to_value(r).expect("JSON"));
        (self.fake).settle(ACCOUNT, HOME, WATCH_QUEUE, &event, answer.as_ref());
        match response {
            Ok(Response::Polled(polled)) => Some(polled),
            other => panic!("expected the polls' report, got {other:?}"),
        }
    }

    /// The breaker on `fake`, with these variables.
    async fn on(fake: FakeAws, vars: &[(&str, &str)], loader: ConfigLoader) -> World {
        let sdk = sdk_config(&fake, loader, "AKIDTEST").await;
        let config = config(vars);
        World {
            fake,
            aws: Aws::new(sdk.clone(), &config),
            sdk,
            config,
            deadline: Duration::from_secs(60),
            metrics: Default::default(),
        }
    }

    pub async fn invoke(&self, event: &Value) -> Result<Response, Failure> {
        self.invoke_bytes(event.to_string().as_bytes()).await
    }

    /// Invokes the function on a payload as the runtime hands it over.
    pub async fn invoke_bytes(&self, payload: &[u8]) -> Result<Response, Failure> {
        self.serve(&self.aws, payload).await
    }

    /// Serves a payload with `function` (the breaker's clients, or another function's), as
    /// `runtime::serve` does, keeping its metrics.
    pub async fn serve<F: Function>(
        &self,
        function: &F,
        payload: &[u8],
    ) -> Result<F::Response, Failure> {
        let deadline = Deadline::after(self.deadline);
        let invocation =
            Invocation::new(deadline, FUNCTION_ARN, None).expect("the ARN names an account");
        let mut metrics = Vec::new();
        let response = (function.handle(payload, &invocation, &self.config, &mut metrics)).await;
        let lines = String::from_utf8(metrics).expect("metrics are text");
        let mut all = self.metrics.lock().unwrap_or_else(|e| e.into_inner());
        all.extend(lines.lines().map(str::to_string));
        response
    }

    pub async fn report(&self, event: &Value) -> Report {
        match self.invoke(event).await {
            Ok(Response::Report(report)) => report,
            other => panic!("expected a report, got {other:?}"),
        }
    }

    pub async fn failure(&self, event: &Value) -> Failure {
        match self.invoke(event).await {
            Err(failure) => failure,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    /// The IDs stopped so far, sorted (stops run concurrently, in no set order).
    pub fn stopped(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .fake
            .stops()
            .into_iter()
            .map(|s| s.deployment_id)
            .collect();
        ids.sort();
        ids
    }
}

/// The SDK configured by `loader`, pointed at `fake`, in [`HOME`], signing with `access_key`
/// (the fake tells callers apart by it).
pub async fn sdk_config(fake: &FakeAws, loader: ConfigLoader, access_key: &str) -> SdkConfig {
    loader
        .endpoint_url(fake.endpoint())
        .region(Region::new(HOME))
        .credentials_provider(Credentials::new(access_key, "secret", None, None, "test"))
        .load()
        .await
}

/// The configuration these variables give (and `AWS_REGION` = [`HOME`],
/// `ALLOWED_DEPLOYMENT_GROUPS` = `*/*`, `NOTIFY` = `false` and `STATE_TABLE` = the table
/// [`World`] makes, unless given).
pub fn config(vars: &[(&str, &str)]) -> Config {
    let mut env: HashMap<String, String> = HashMap::from([
        ("AWS_REGION".into(), HOME.into()),
        ("ALLOWED_DEPLOYMENT_GROUPS".into(), "*/*".into()),
        ("NOTIFY".into(), "false".into()),
        ("STATE_TABLE".into(), gate::TABLE.into()),
    ]);
    env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Config::from_lookup(|name| env.get(name).cloned()).expect("valid config")
}

/// The gate's role, as the fake names the principal the gate signs as (scripts/stack.py).
pub const GATE_ROLE: &str =
    "arn:aws:iam::123456789012:role/deployment-circuit-breaker-GateFunctionRole";
/// The readiness check's role, likewise; team B's target role trusts it too.
pub const CHECK_ROLE: &str =
    "arn:aws:iam::123456789012:role/deployment-circuit-breaker-ReadinessCheckFunctionRole";
/// The breaker's and the gate's roles as template.yaml names them in stack `breaker`
/// (scripts/policy.py): the roles the readiness check's policy lets it simulate.
pub const STACK_FUNCTION_ROLE: &str =
    "arn:aws:iam::123456789012:role/breaker-FunctionRole-416537C237A3";
pub const STACK_GATE_ROLE: &str =
    "arn:aws:iam::123456789012:role/breaker-GateFunctionRole-27F1AF715ED0";

/// The IAM policy a template grants a role, as SAM synthesises it, for the tests' world:
/// `tests/policies/<file>.json`, written by `python3 scripts/policy.py write-test-policies`
/// (scripts/test.sh fails when they differ from the templates; `tests/policies/README.md` lists
/// each file's template, role and parameters). `FunctionRole`, `GateFunctionRole` and
/// `ReadinessCheckFunctionRole`: template.yaml in [`ACCOUNT`] with regions [`HOME`] and
/// eu-west-1, target account 222233334444 and the default bus; `FunctionRole.home-region`: in
/// [`HOME`] only; `FunctionRole.redeploys`: with RollbackCompletedWithin;
/// `ReadinessCheckFunctionRole.two-target-accounts`: with 333344445555 a target too; `TargetRole`:
/// templates/target-role.yaml in account 222233334444, regions [`HOME`] and eu-west-1.
pub fn template_policy(file: &str) -> Policy {
    let path = format!("{}/tests/policies/{file}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `policy` without the statements whose Sid is in `sids`: a role that lacks them. Each Sid
/// must be there, so that a renamed statement cannot make a test pass for the wrong reason.
pub fn without_statements(mut policy: Policy, sids: &[&str]) -> Policy {
    for sid in sids {
        let before = policy.statements.len();
        (policy.statements).retain(|s| s.sid.as_deref() != Some(*sid));
        assert!(policy.statements.len() < before, "no statement {sid}");
    }
    policy
}

/// `policy` with one more statement (such as a `Deny` an SCP would add).
pub fn with_statement(mut policy: Policy, statement: Value) -> Policy {
    let statement: Statement = serde_json::from_value(statement).expect("an IAM statement");
    policy.statements.push(statement);
    policy
}

pub fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture exists"))
        .expect("fixture is JSON")
}

/// The documented EventBridge alarm state change, renamed and tagged, in the function's own
/// account, entering ALARM now.
pub fn alarm_event(name: &str, region: &str, tags: Value) -> Value {
    alarm_event_at(name, region, tags, Time::now())
}

/// Like [`alarm_event`], entering ALARM at `time`.
pub fn alarm_event_at(name: &str, region: &str, tags: Value, time: Time) -> Value {
    let mut event = fixture("aws-docs-eventbridge-cloudwatch-alarm-state-change-metric.json");
    event["region"] = json!(region);
    event["account"] = json!(ACCOUNT);
    event["time"] = json!(time.to_string());
    event["resources"] = json!([format!(
        "arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{name}"
    )]);
    event["detail"]["alarmName"] = json!(name);
    event["detail"]["alarmTags"] = tags;
    event["detail"]["state"]["timestamp"] = json!(time.to_string());
    event
}

/// Field names that hold a payload's times.
const TIME_FIELDS: [&str; 7] = [
    "time",
    "timestamp",
    "Timestamp",
    "StateChangeTime",
    "lastUpdatedAt",
    "completeTime",
    "createTime",
];
/// Field names that hold an account, or an ARN whose account is the payload's origin (or the
/// topic's or queue's that carried it).
const ACCOUNT_FIELDS: [&str; 3] = ["account", "accountId", "AWSAccountId"];
const ARN_FIELDS: [&str; 5] = [
    "alarmArn",
    "AlarmArn",
    "resources",
    "TopicArn",
    "eventSourceARN",
];

/// A captured or documented payload as if it happened now in the function's own account:
/// every time field set to now and every account to [`ACCOUNT`], also inside messages nested
/// as JSON text (SNS `Message`, SQS `body`).
pub fn here_and_now(mut event: Value) -> Value {
    let now = Time::now().to_string();
    rewrite(&mut event, &now);
    event
}

fn rewrite(value: &mut Value, now: &str) {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if TIME_FIELDS.contains(&key.as_str()) && field.is_string() {
                    *field = json!(now);
                } else if ACCOUNT_FIELDS.contains(&key.as_str()) && field.is_string() {
                    *field = json!(ACCOUNT);
                } else if ARN_FIELDS.contains(&key.as_str()) {
                    own_arns(field);
                } else {
                    rewrite(field, now);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| rewrite(item, now)),
        Value::String(text) => {
            if let Ok(mut nested @ Value::Object(_)) = serde_json::from_str::<Value>(text) {
                rewrite(&mut nested, now);
                *text = nested.to_string();
            }
        }
        _ => {}
    }
}

fn own_arns(value: &mut Value) {
    match value {
        Value::String(arn) => {
            let mut parts: Vec<&str> = arn.split(':').collect();
            if parts.len() > 5 {
                parts[4] = ACCOUNT;
                *arn = parts.join(":");
            }
        }
        Value::Array(items) => items.iter_mut().for_each(own_arns),
        _ => {}
    }
}

pub fn tagged(application: &str, group: &str) -> Value {
    json!({"codedeploy-application": application, "codedeploy-deployment-group": group})
}

pub fn outcomes(report: &Report) -> Vec<(String, Outcome)> {
    report
        .actions
        .iter()
        .map(|a| (a.deployment_id.clone(), a.outcome))
        .collect()
}

pub fn sqs(bodies: &[Value]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            json!({
                "messageId": format!("msg-{i}"),
                "receiptHandle": "h",
                "body": body.as_str().map(str::to_string).unwrap_or_else(|| body.to_string()),
                "attributes": {}, "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:breaker",
                "awsRegion": HOME
            })
        })
        .collect();
    json!({ "Records": records })
}
