//! The gate wired to a fresh fake, with its state table and its queue of looks, and the fake
//! playing the queue's event source mapping (batches of ten, `ReportBatchItemFailures`).

use std::time::{Duration, Instant, SystemTime};

use deployment_circuit_breaker::aws::{sdk_config_loader, Deadline, GateAws};
use deployment_circuit_breaker::config::Config;
use deployment_circuit_breaker::gate::{serve, GateReport, GateResponse};
use deployment_circuit_breaker::report::Failure;
use deployment_circuit_breaker::runtime::Invocation;
use deployment_circuit_breaker::time::Time;
use fake_aws::{Alarm, Deployment, FakeAws, Principal, Queue};
use serde_json::{json, Value};

use super::{template_policy, ACCOUNT, FUNCTION_ARN, GATE_ROLE, HOME};

/// The state table and the gate's queues, as template.yaml names them in stack `breaker`.
pub const TABLE: &str = "breaker-state";
pub const QUEUE: &str = "breaker-gate-watch";
pub const DEAD_LETTERS: &str = "breaker-gate-watch-dlq";

/// An execution ID as CodeDeploy gives one.
pub const HOOK_ID: &str = "eyJlbmNyeXB0ZWREYXRhIjoiYWJjIn0=";
pub const DEPLOYMENT: &str = "d-LAMBDA001";

pub fn hook() -> Value {
    json!({"DeploymentId": DEPLOYMENT, "LifecycleEventHookExecutionId": HOOK_ID})
}

pub fn ago(secs: u64) -> SystemTime {
    SystemTime::now() - Duration::from_secs(secs)
}

/// A Lambda deployment of shop/prod created five minutes ago, waiting on its hook at `event`.
pub fn deployment(event: &str) -> Deployment {
    Deployment::new(HOME, DEPLOYMENT, "shop", "prod")
        .platform("Lambda")
        .created(ago(300))
        .hook(event, HOOK_ID)
}

pub fn tagged_alarm(name: &str, state: &str, since: SystemTime) -> Alarm {
    Alarm::new(HOME, name)
        .tag("codedeploy-application", "shop")
        .tag("codedeploy-deployment-group", "prod")
        .state(state, since)
}

pub struct Gate {
    pub fake: FakeAws,
    pub aws: GateAws,
    pub config: Config,
    pub deadline: Duration,
    pub metrics: std::sync::Mutex<Vec<String>>,
    /// How long each invocation took, in order.
    pub took: std::sync::Mutex<Vec<Duration>>,
}

impl Gate {
    /// The gate with these variables, its table and queue (`STATE_TABLE`, `WATCH_QUEUE_URL`),
    /// signing as its own role, held to the policy template.yaml grants it.
    pub async fn new(vars: &[(&str, &str)]) -> Gate {
        let fake = FakeAws::start().await.expect("fake starts");
        fake.create_table(ACCOUNT, HOME, TABLE);
        fake.create_queue(Queue::new(HOME, DEAD_LETTERS));
        let queue = Queue::new(HOME, QUEUE).visibility_timeout(360);
        fake.create_queue(queue.dead_letter(DEAD_LETTERS, 5));
        let url = fake.queue_url(ACCOUNT, QUEUE);
        let mut all = vec![("STATE_TABLE", TABLE), ("WATCH_QUEUE_URL", url.as_str())];
        all.extend_from_slice(vars);
        Gate::bare(&all, fake).await
    }

    /// The gate with exactly these variables, on `fake`.
    pub async fn bare(vars: &[(&str, &str)], fake: FakeAws) -> Gate {
        // A key of its own: the fake tells the gate from the breaker by it.
        fake.add_principal(Principal {
            access_key: "AKIDGATE".into(),
            role: GATE_ROLE.into(),
            policy: Some(template_policy("GateFunctionRole")),
        });
        let sdk = super::sdk_config(&fake, sdk_config_loader(), "AKIDGATE").await;
        let config = super::config(vars);
        Gate {
            fake,
            aws: GateAws::new(sdk, &config),
            config,
            deadline: Duration::from_secs(60),
            metrics: Default::default(),
            took: Default::default(),
        }
    }

    pub async fn invoke(&self, payload: &Value) -> Result<GateResponse, Failure> {
        let deadline = Deadline::after(self.deadline);
        let invocation = Invocation::new(deadline, FUNCTION_ARN, None).expect("an account");
        let mut out = Vec::new();
        let bytes = payload.to_string();
        let started = Instant::now();
        let served = serve(
            bytes.as_bytes(),
            &invocation,
            &self.config,
            &self.aws,
            &mut out,
        )
        .await;
        self.took.lock().unwrap().push(started.elapsed());
        let lines = String::from_utf8(out).expect("metrics are text");
        let mut all = self.metrics.lock().unwrap_or_else(|e| e.into_inner());
        all.extend(lines.lines().map(str::to_string));
        served
    }

    /// The report of a hook CodeDeploy called.
    pub async fn report(&self, payload: &Value) -> GateReport {
        match self.invoke(payload).await {
            Ok(GateResponse::Hook(report)) => *report,
            other => panic!("expected a hook's report, got {other:?}"),
        }
    }

    /// One batch of the looks due now, delivered as the event source mapping does; `None` when
    /// none is due. The messages the gate reports failed stay on the queue.
    pub async fn deliver(&self) -> Option<Vec<GateReport>> {
        let event = self.fake.sqs_event(ACCOUNT, HOME, QUEUE, 10)?;
        let response = self.invoke(&event).await;
        let answer = (response.as_ref().ok()).map(|r| serde_json::to_value(r).expect("JSON"));
        self.fake
            .settle(ACCOUNT, HOME, QUEUE, &event, answer.as_ref());
        match response {
            Ok(GateResponse::Looks(looks)) => Some(looks.looks),
            other => panic!("expected the looks' report, got {other:?}"),
        }
    }

    /// Delivers looks as they come due until CodeDeploy took `answered` answers, or `limit`
    /// passes: every look's report, with when it was made.
    pub async fn run(&self, answered: usize, limit: Duration) -> Vec<(Time, GateReport)> {
        let started = Instant::now();
        let mut reports = Vec::new();
        while started.elapsed() < limit {
            match self.deliver().await {
                Some(batch) => reports.extend(batch.into_iter().map(|r| (Time::now(), r))),
                None => tokio::time::sleep(Duration::from_millis(100)).await,
            }
            if self.fake.hook_answers().len() >= answered {
                break;
            }
        }
        reports
    }

    /// The answers CodeDeploy took, in order.
    pub fn answers(&self) -> Vec<String> {
        (self.fake.hook_answers().into_iter())
            .map(|a| a.status)
            .collect()
    }

    /// The records of the hooks watched.
    pub fn records(&self) -> Vec<Value> {
        self.fake.items(ACCOUNT, HOME, TABLE)
    }
}

/// The reports among `looks` whose answer CodeDeploy took.
pub fn answered(looks: &[(Time, GateReport)]) -> Vec<&(Time, GateReport)> {
    let taken = |r: &GateReport| !r.errors.iter().any(|e| e.starts_with("could not answer"));
    (looks.iter())
        .filter(|(_, r)| r.answer.is_some() && taken(r))
        .collect()
}
