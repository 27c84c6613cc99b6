//! Stateful fakes of the AWS services the circuit breaker calls, over real HTTP, on one port:
//! CodeDeploy ([`codedeploy`], with lifecycle hooks and deployment targets: [`hooks`]), STS
//! `AssumeRole` ([`sts`]), IAM `SimulatePrincipalPolicy`, EventBridge `PutEvents` ([`events`]),
//! CloudWatch `DescribeAlarms` ([`cloudwatch`]), `GetMetricData` and `ListMetrics`
//! ([`metrics`]), Elastic Load Balancing's `DescribeTargetGroups` ([`elb`]), the tagging API's
//! `GetResources`, DynamoDB's item operations ([`dynamodb`], with condition and update
//! expressions) and SQS's message operations ([`sqs`], [`queues`]), in JSON 1.0 or 1.1 or
//! Smithy RPC v2 CBOR (STS, IAM and Elastic Load Balancing in query/XML). A request goes to
//! the service its SigV4 credential scope names, in the region
//! the scope names, for the account of the credentials that signed it: a key its STS issued is
//! a session of the assumed role, in that role's account; a key of a [`Principal`] is that
//! role; any other key is the function's own role in [`ACCOUNT`]. Each account has its own
//! deployments, alarms, metrics, target groups, tables and queues.
//!
//! Calls are judged as AWS judges them: a request without a signature is refused before
//! anything else (`MissingAuthenticationTokenException`), and, once a caller's IAM policy is set
//! ([`FakeAws::set_policy`], [`Role::policy`]), a call it does not allow is answered
//! `AccessDeniedException` (see [`iam`]); a role may only be assumed by the principals it
//! trusts. Faults (error answers, dropped connections, slow answers) can be injected per
//! operation and deployment, and the fake records the calls it served and how many at once.
//! Lambda's SQS event source mapping is there too ([`event_source`]): a queue's messages as
//! the function's event, its answer settled, or (in the binary) delivered to a function's URL.
//!
//! For scripts, `GET /_fake/stops`, `/_fake/created`, `/_fake/calls`, `/_fake/events`,
//! `/_fake/assumed` and `/_fake/hooks` return what was received, `GET /_fake/alarms` the alarms,
//! `/_fake/metrics` the metrics' datapoints, `/_fake/target-groups` the target groups,
//! `/_fake/tables` the tables with their items, `/_fake/queues` the queues with their messages,
//! and `POST /_fake/reset` restores the seed (see [`Seed`]).
//!
//! This file holds the running fake ([`FakeAws`]) and its state, one part per concern: the
//! seeded world (`seed`), who signs and what they may do (`caller`), injected faults
//! (`faults`), what was received (`journal`), and each service's own state beside its handlers,
//! which `router`'s one table reaches.

mod admin;
mod applications;
mod attribute;
mod caller;
mod cbor;
pub mod cloudwatch;
pub mod codedeploy;
mod condition;
mod deployment_groups;
mod deployments;
mod document;
pub mod dynamodb;
mod dynamodb_input;
pub mod elb;
pub mod event_source;
pub mod events;
mod expression;
mod faults;
pub mod hooks;
pub mod iam;
mod journal;
mod list_metrics;
mod md5;
mod messages;
mod metric_data;
pub mod metrics;
mod protocol;
mod queue_attributes;
pub mod queues;
mod reserved;
mod router;
mod seed;
mod server;
mod simulator;
pub mod sqs;
pub mod sts;
mod tagging;
pub mod tls;
mod update;

pub use caller::{Principal, Role};
pub use cloudwatch::Alarm;
pub use dynamodb::Table;
pub use elb::TargetGroup;
pub use event_source::Delivery;
pub use faults::FaultKind;
pub use hooks::{Hook, LambdaFunction, TaskSet, TaskSetLabel};
pub use journal::{Call, Served};
pub use metrics::{Metric, MetricPoint};
pub use queues::{DeadLetter, Message, Queue, Visibility};
pub use seed::{Deployment, Group, Seed};

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use caller::Caller;

/// The function's own account.
pub const ACCOUNT: &str = "123456789012";
/// The role the function runs as: what a target account's role must trust.
pub const FUNCTION_ROLE: &str =
    "arn:aws:iam::123456789012:role/deployment-circuit-breaker-FunctionRole";

/// Everything the fake knows, behind one lock.
#[derive(Default)]
pub(crate) struct State {
    /// What `POST /_fake/reset` restores.
    seed: Seed,
    verbose: bool,
    /// The most items a page of any list holds; `None`: each operation's own default.
    page_size: Option<usize>,
    identities: caller::Identities,
    faults: Vec<faults::Fault>,
    journal: journal::Journal,
    codedeploy: codedeploy::CodeDeploy,
    hooks: hooks::Hooks,
    sts: sts::Sts,
    events: events::EventBridge,
    cloudwatch: cloudwatch::CloudWatch,
    elb: elb::Elb,
    dynamodb: dynamodb::DynamoDb,
    sqs: messages::Sqs,
}

/// A call as its handler takes it: who signed it, and what it asks of which region.
pub(crate) struct Input<'a> {
    caller: &'a Caller,
    operation: &'a str,
    region: &'a str,
    /// The JSON body (CBOR decoded), or (STS, IAM, Elastic Load Balancing) the form's
    /// parameters as a JSON object.
    body: &'a Value,
}

impl Input<'_> {
    /// The caller's account, where the call acts.
    fn account(&self) -> &str {
        &self.caller.account
    }
}

/// A running fake; the server stops when this is dropped.
pub struct FakeAws {
    addr: SocketAddr,
    https: bool,
    state: Arc<Mutex<State>>,
    server: JoinHandle<()>,
}

impl FakeAws {
    /// Starts a fake on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on(server::any_port()).await
    }

    /// Starts a fake on the given address.
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<Self> {
        Self::serve_on(addr, None).await
    }

    /// Starts a fake on a free loopback port that speaks HTTPS with `tls`'s certificate.
    pub async fn start_tls(tls: &tls::Tls) -> std::io::Result<Self> {
        Self::serve_on(server::any_port(), Some(tls)).await
    }

    async fn serve_on(addr: SocketAddr, tls: Option<&tls::Tls>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let acceptor = tls.map(|tls| tokio_rustls::TlsAcceptor::from(tls.config.clone()));
        let https = acceptor.is_some();
        let server = server::spawn(listener, acceptor, state.clone());
        Ok(FakeAws {
            addr,
            https,
            state,
            server,
        })
    }

    /// The URL to give the SDK as its endpoint (for every service).
    pub fn endpoint(&self) -> String {
        if self.https {
            format!("https://localhost:{}", self.addr.port())
        } else {
            format!("http://{}", self.addr)
        }
    }

    /// Prints every call received to standard output.
    pub fn set_verbose(&self, verbose: bool) {
        self.lock().verbose = verbose;
    }

    /// Returns at most `size` items per page of ListApplications, ListDeployments,
    /// ListDeploymentGroups, ListDeploymentTargets, DescribeAlarms, ListMetrics, GetResources,
    /// DescribeTargetGroups and SimulatePrincipalPolicy, and at most `size` datapoints (of all
    /// its queries) per page of GetMetricData.
    pub fn set_page_size(&self, size: usize) {
        self.lock().page_size = Some(size.max(1));
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl Drop for FakeAws {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub(crate) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panicking test thread must not hide the fake's state from the others.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn string_field<'a>(body: &'a Value, field: &str) -> Option<&'a str> {
    body.get(field).and_then(Value::as_str)
}

fn epoch_seconds(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64())
}

/// The `account` of seeded items that give none.
fn own_account() -> String {
    ACCOUNT.into()
}
