//! Stateful fakes of the AWS services the circuit breaker calls, over real HTTP, on one port:
//! CodeDeploy ([`codedeploy`], with lifecycle hooks and deployment targets: [`hooks`]), STS
//! `AssumeRole` ([`sts`]), IAM `SimulatePrincipalPolicy`, EventBridge `PutEvents` ([`events`]),
//! CloudWatch `DescribeAlarms` ([`cloudwatch`]) and the tagging API's `GetResources`, in JSON or
//! Smithy RPC v2 CBOR (STS and IAM in query/XML). A
//! request goes to the service its SigV4 credential scope names, in the region the scope names,
//! for the account of the credentials that signed it: a key its STS issued is a session of the
//! assumed role, in that role's account; a key of a [`Principal`] is that role; any other key is
//! the function's own role in [`ACCOUNT`]. Each account has its own deployments and alarms.
//!
//! Calls are judged as AWS judges them: a request without a signature is refused before
//! anything else (`MissingAuthenticationTokenException`), and, once a caller's IAM policy is set
//! ([`FakeAws::set_policy`], [`Role::policy`]), a call it does not allow is answered
//! `AccessDeniedException` (see [`iam`]); a role may only be assumed by the principals it
//! trusts. Faults (error answers, dropped connections, slow answers) can be injected per
//! operation and deployment, and the fake records the calls it served and how many at once.
//!
//! For scripts, `GET /_fake/stops`, `/_fake/created`, `/_fake/calls`, `/_fake/events`,
//! `/_fake/assumed` and `/_fake/hooks` return what was received, `GET /_fake/alarms` the alarms,
//! and `POST /_fake/reset` restores the seed (see [`Seed`]).

mod applications;
mod cbor;
pub mod cloudwatch;
pub mod codedeploy;
mod deployment_groups;
pub mod events;
pub mod hooks;
pub mod iam;
mod principals;
mod protocol;
mod server;
mod simulator;
pub mod sts;
mod tagging;
pub mod tls;

pub use cloudwatch::Alarm;
pub use hooks::Hook;
pub use principals::Principal;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use protocol::Protocol;
use server::{client_error, json_response, lock, xml_response, ApiError};

/// The function's own account.
pub const ACCOUNT: &str = "123456789012";
/// The role the function runs as: what a target account's role must trust.
pub const FUNCTION_ROLE: &str =
    "arn:aws:iam::123456789012:role/deployment-circuit-breaker-FunctionRole";

/// A deployment known to the fake.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Deployment {
    #[serde(default = "own_account")]
    pub account: String,
    pub region: String,
    pub id: String,
    pub application: String,
    pub group: String,
    #[serde(default = "in_progress")]
    pub status: String,
    /// `None` (JSON `null`): CodeDeploy does not report one.
    #[serde(default = "user")]
    pub creator: Option<String>,
    /// `createTime`, in seconds since the epoch; when not given, the time the deployment was
    /// added (or the seed restored).
    #[serde(default, rename = "createTime")]
    pub create_time: Option<f64>,
    /// `completeTime`, in seconds since the epoch, for a deployment that finished.
    #[serde(default, rename = "completeTime")]
    pub complete_time: Option<f64>,
    /// `Server` (the default), `Lambda` or `ECS`.
    #[serde(default = "server", rename = "computePlatform")]
    pub compute_platform: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The revision it deploys and the one before it, as CodeDeploy's `RevisionLocation`.
    #[serde(default)]
    pub revision: Option<Value>,
    #[serde(default, rename = "previousRevision")]
    pub previous_revision: Option<Value>,
    /// Its lifecycle event hooks, in the order they were called.
    #[serde(default)]
    pub hooks: Vec<Hook>,
}

fn server() -> String {
    "Server".into()
}

impl Deployment {
    /// Whether the deployment lives in `account` and `region`.
    pub(crate) fn is_in(&self, account: &str, region: &str) -> bool {
        self.account == account && self.region == region
    }
}

fn own_account() -> String {
    ACCOUNT.into()
}

fn in_progress() -> String {
    "InProgress".into()
}

fn user() -> Option<String> {
    Some("user".into())
}

fn epoch_seconds(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64())
}

impl Deployment {
    /// An `InProgress` deployment created by a user, in the function's own account.
    pub fn new(region: &str, id: &str, application: &str, group: &str) -> Self {
        Deployment {
            account: ACCOUNT.into(),
            region: region.into(),
            id: id.into(),
            application: application.into(),
            group: group.into(),
            status: in_progress(),
            creator: user(),
            create_time: None,
            complete_time: None,
            compute_platform: server(),
            description: None,
            revision: None,
            previous_revision: None,
            hooks: Vec::new(),
        }
    }

    /// The same deployment, `Succeeded` at `time`.
    pub fn succeeded(mut self, time: SystemTime) -> Self {
        self.status = "Succeeded".into();
        self.complete_time = Some(epoch_seconds(time));
        self
    }

    /// The same deployment on another compute platform (`Lambda`, `ECS`).
    pub fn platform(mut self, platform: &str) -> Self {
        self.compute_platform = platform.into();
        self
    }

    /// The same deployment with these revisions (CodeDeploy's `RevisionLocation`).
    pub fn revisions(mut self, revision: Value, previous: Option<Value>) -> Self {
        self.revision = Some(revision);
        self.previous_revision = previous;
        self
    }

    /// The same deployment in another account.
    pub fn account(mut self, account: &str) -> Self {
        self.account = account.into();
        self
    }

    /// The same deployment with another status (`Succeeded`, `Baking`, …).
    pub fn status(mut self, status: &str) -> Self {
        self.status = status.into();
        self
    }

    /// The same deployment with another creator (`codeDeployRollback`, …).
    pub fn creator(mut self, creator: &str) -> Self {
        self.creator = Some(creator.into());
        self
    }

    /// The same deployment without a creator, as CodeDeploy answers for some.
    pub fn without_creator(mut self) -> Self {
        self.creator = None;
        self
    }

    /// The same deployment, created at `time`.
    pub fn created(mut self, time: SystemTime) -> Self {
        self.create_time = Some(epoch_seconds(time));
        self
    }

    /// With its creation time (and its hooks' start times) set to now when it has none.
    fn dated(mut self) -> Self {
        let now = epoch_seconds(SystemTime::now());
        self.create_time = self.create_time.or(Some(now));
        for hook in &mut self.hooks {
            hook.start_time = hook.start_time.or(Some(now));
        }
        self
    }
}

/// A deployment group, for groups that have no deployment or that list alarms.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
pub struct Group {
    #[serde(default = "own_account")]
    pub account: String,
    pub region: String,
    pub application: String,
    pub group: String,
    /// The alarms of its alarm configuration.
    #[serde(default)]
    pub alarms: Vec<String>,
}

/// An IAM role another principal may assume through the fake's STS.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub arn: String,
    /// The role ARNs its trust policy names.
    pub trusted: Vec<String>,
    /// Its identity-based policy; `None`: every call is allowed.
    #[serde(default)]
    pub policy: Option<iam::Policy>,
}

/// The starting state: what [`FakeAws::seed`] loads and `POST /_fake/reset` restores.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub deployments: Vec<Deployment>,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub alarms: Vec<Alarm>,
    #[serde(default)]
    pub principals: Vec<Principal>,
}

/// A call the fake received.
#[derive(Clone, Debug, Serialize)]
pub struct Call {
    /// `codedeploy`, `sts`, `iam`, `events`, `monitoring` or `tagging`.
    pub service: String,
    pub account: String,
    pub region: String,
    pub operation: String,
    /// The JSON body (CBOR decoded), or (STS, IAM) the form's parameters as a JSON object.
    pub body: Value,
}

/// When the fake received a call and when its answer was ready.
#[derive(Clone, Debug)]
pub struct Served {
    pub operation: String,
    pub received: Instant,
    pub answered: Instant,
}

/// What the fake does instead of (or before) serving a call.
#[derive(Clone, Debug)]
pub enum FaultKind {
    /// Answer with HTTP `status` and this error code.
    Error { status: u16, error_type: String },
    /// Close the connection without answering.
    Drop,
    /// Wait this long, then serve the call.
    Delay(Duration),
}

impl FaultKind {
    fn error(status: u16, error_type: &str) -> FaultKind {
        FaultKind::Error {
            status,
            error_type: error_type.into(),
        }
    }
}

#[derive(Clone, Debug)]
struct Fault {
    operation: String,
    deployment_id: Option<String>,
    kind: FaultKind,
    remaining: usize,
}

/// Who signed a request.
#[derive(Clone, Debug)]
struct Caller {
    account: String,
    /// The principal, as an AccessDenied message names it.
    arn: String,
    /// The role it acts as.
    role: String,
    policy: Option<iam::Policy>,
}

#[derive(Default)]
pub(crate) struct State {
    seed: Seed,
    verbose: bool,
    deployments: Vec<Deployment>,
    /// Groups that have no deployment yet.
    groups: BTreeSet<Group>,
    roles: Vec<Role>,
    principals: Vec<Principal>,
    alarms: Vec<Alarm>,
    /// Sessions the fake's STS issued, by access key.
    sessions: HashMap<String, Caller>,
    page_size: Option<usize>,
    faults: Vec<Fault>,
    calls: Vec<Call>,
    served: Vec<Served>,
    stops: Vec<codedeploy::Stop>,
    created: Vec<Deployment>,
    assumed: Vec<sts::Assumed>,
    events: Vec<events::Event>,
    hook_answers: Vec<hooks::HookAnswer>,
    /// Error codes for the next PutEvents entries to reject.
    rejections: VecDeque<String>,
    in_flight: usize,
    max_in_flight: usize,
    /// The function's policy; `None`: every call is allowed.
    policy: Option<iam::Policy>,
    connections: usize,
    unsigned: usize,
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

    /// Adds a deployment (and so its application and group).
    pub fn add(&self, deployment: Deployment) {
        self.lock().deployments.push(deployment.dated());
    }

    /// Adds a deployment group with no deployments, in the function's own account.
    pub fn add_group(&self, region: &str, application: &str, group: &str) {
        self.lock().groups.insert(Group {
            account: ACCOUNT.into(),
            region: region.into(),
            application: application.into(),
            group: group.into(),
            alarms: Vec::new(),
        });
    }

    /// Adds (or replaces) a deployment group.
    pub fn put_group(&self, group: Group) {
        let mut state = self.lock();
        state.groups.retain(|g| {
            (&g.account, &g.region, &g.application, &g.group)
                != (
                    &group.account,
                    &group.region,
                    &group.application,
                    &group.group,
                )
        });
        state.groups.insert(group);
    }

    /// Adds a role that may be assumed.
    pub fn add_role(&self, role: Role) {
        let mut state = self.lock();
        state.roles.retain(|r| r.arn != role.arn);
        state.roles.push(role);
    }

    /// Replaces the state with `seed`, which `POST /_fake/reset` restores later.
    pub fn seed(&self, seed: Seed) {
        let mut state = self.lock();
        state.seed = seed;
        state.reset();
    }

    /// Enforces `policy` as the function's identity-based policy (`None`: allow every call).
    pub fn set_policy(&self, policy: Option<iam::Policy>) {
        self.lock().policy = policy;
    }

    /// Prints every call received to standard output.
    pub fn set_verbose(&self, verbose: bool) {
        self.lock().verbose = verbose;
    }

    /// Returns at most `size` items per page of ListApplications, ListDeployments,
    /// ListDeploymentGroups, ListDeploymentTargets, DescribeAlarms, GetResources and
    /// SimulatePrincipalPolicy.
    pub fn set_page_size(&self, size: usize) {
        self.lock().page_size = Some(size.max(1));
    }

    /// Answers the next `times` calls of `operation` with an error of HTTP `status` and code.
    pub fn fail(&self, operation: &str, times: usize, status: u16, error_type: &str) {
        self.inject(operation, None, times, FaultKind::error(status, error_type));
    }

    /// Like [`FakeAws::fail`], only for calls naming `deployment_id`.
    pub fn fail_deployment(
        &self,
        operation: &str,
        deployment_id: &str,
        times: usize,
        status: u16,
        error_type: &str,
    ) {
        let kind = FaultKind::error(status, error_type);
        self.inject(operation, Some(deployment_id), times, kind);
    }

    /// Applies `kind` to the next `times` calls of `operation` (naming `deployment_id`, if given).
    pub fn inject(
        &self,
        operation: &str,
        deployment_id: Option<&str>,
        times: usize,
        kind: FaultKind,
    ) {
        self.lock().faults.push(Fault {
            operation: operation.into(),
            deployment_id: deployment_id.map(Into::into),
            kind,
            remaining: times,
        });
    }

    /// Rejects the next `entries` PutEvents entries with `error_code` (the call succeeds with a
    /// `FailedEntryCount`, as EventBridge answers).
    pub fn reject_events(&self, entries: usize, error_code: &str) {
        let mut state = self.lock();
        state
            .rejections
            .extend(std::iter::repeat_n(error_code.to_string(), entries));
    }

    /// How many connections clients opened (each a TLS handshake when serving HTTPS).
    pub fn connections(&self) -> usize {
        self.lock().connections
    }

    /// How many requests came without a signature (answered `MissingAuthenticationToken`).
    pub fn unsigned(&self) -> usize {
        self.lock().unsigned
    }

    /// The most calls that were being served at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }

    /// The deployments CreateDeployment made so far, in order.
    pub fn created(&self) -> Vec<Deployment> {
        self.lock().created.clone()
    }

    /// The deployments stopped so far, in order.
    pub fn stops(&self) -> Vec<codedeploy::Stop> {
        self.lock().stops.clone()
    }

    /// The roles assumed so far, in order.
    pub fn assumed(&self) -> Vec<sts::Assumed> {
        self.lock().assumed.clone()
    }

    /// The events put on a bus so far (rejected entries excluded), in order.
    pub fn events(&self) -> Vec<events::Event> {
        self.lock().events.clone()
    }

    /// Every call received so far, in order (including failed ones).
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// When each call was received and answered, in the order answered.
    pub fn served(&self) -> Vec<Served> {
        self.lock().served.clone()
    }

    /// How many calls of `operation` were received.
    pub fn call_count(&self, operation: &str) -> usize {
        self.lock()
            .calls
            .iter()
            .filter(|call| call.operation == operation)
            .count()
    }

    /// The current status of a deployment of the function's own account.
    pub fn status_of(&self, region: &str, id: &str) -> Option<String> {
        self.status_in(ACCOUNT, region, id)
    }

    /// The current status of a deployment.
    pub fn status_in(&self, account: &str, region: &str, id: &str) -> Option<String> {
        self.lock()
            .deployments
            .iter()
            .find(|d| d.is_in(account, region) && d.id == id)
            .map(|d| d.status.clone())
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

/// The parts of a SigV4 credential scope: `Credential=AKID/20261127/us-west-2/codedeploy/…`.
struct Scope {
    access_key: String,
    region: String,
    service: String,
}

fn scope(authorization: &str) -> Option<Scope> {
    let credential = authorization.split("Credential=").nth(1)?;
    let mut parts = credential.split(['/', ',']);
    let access_key = parts.next()?.to_string();
    let _date = parts.next()?;
    Some(Scope {
        access_key,
        region: parts.next()?.to_string(),
        service: parts.next()?.to_string(),
    })
}

/// Serves one request; `None` drops the connection.
async fn serve(state: &Mutex<State>, request: Request<Incoming>) -> Option<Response<Full<Bytes>>> {
    let received = Instant::now();
    if let Some(command) = request.uri().path().strip_prefix("/_fake/") {
        return Some(admin(&mut lock(state), request.method(), command));
    }
    let protocol = Protocol::of(&request);
    let Some(authorization) = request.headers().get("authorization") else {
        // As AWS answers before any authorization; not a call, so not recorded.
        lock(state).unsigned += 1;
        let error = client_error(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        );
        return Some(protocol.error(error));
    };
    let scope = authorization.to_str().ok().and_then(scope);
    let bytes = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => {
            let error = client_error("SerializationException", e.to_string());
            return Some(protocol.error(error));
        }
    };
    let Some(scope) = scope else {
        let error = client_error("IncompleteSignatureException", "Bad credential scope");
        return Some(protocol.error(error));
    };
    let protocol = protocol.for_service(&scope.service);
    let body = match protocol.parse(&bytes) {
        Ok(body) => body,
        Err(error) => return Some(protocol.error(error)),
    };
    let operation = protocol.operation(&body);
    let (caller, fault) = {
        let mut state = lock(state);
        let key = scope.access_key.as_str();
        let issued = state.sessions.contains_key(key) || state.principal(key).is_some();
        if key.starts_with("ASIA") && !issued {
            // A session key STS never issued (nor a principal's), as AWS answers it.
            let code = if protocol.is_query() {
                "InvalidClientTokenId"
            } else {
                "UnrecognizedClientException"
            };
            let message = "The security token included in the request is invalid.";
            return Some(protocol.error(ApiError(403, code.into(), message.into())));
        }
        let caller = state.caller(&scope.access_key);
        if state.verbose {
            println!(
                "{} {operation} {} {} {body}",
                scope.service, caller.account, scope.region
            );
        }
        state.calls.push(Call {
            service: scope.service.clone(),
            account: caller.account.clone(),
            region: scope.region.clone(),
            operation: operation.clone(),
            body: body.clone(),
        });
        let fault = state.take_fault(&operation, &body);
        (caller, fault)
    };
    match fault {
        Some(FaultKind::Drop) => return None,
        Some(FaultKind::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(FaultKind::Error { status, error_type }) => {
            let message = format!("injected {error_type} for {operation}");
            return Some(protocol.error(ApiError(status, error_type, message)));
        }
        None => {}
    }
    let mut state = lock(state);
    let region = scope.region.as_str();
    let answer = match scope.service.as_str() {
        "sts" => state
            .assume_role(&caller, &operation, region, &body)
            .map(xml_response),
        "iam" => state
            .iam(&caller, &operation, region, &body)
            .map(xml_response),
        // The JSON services, answered in JSON or CBOR as asked.
        service => match service {
            "codedeploy" => state.codedeploy(&caller, &operation, region, &body),
            "events" => state.put_events(&caller, &operation, region, &body),
            "monitoring" => state.cloudwatch(&caller, &operation, region, &body),
            "tagging" => state.tagging(&caller, &operation, region, &body),
            other => Err(client_error(
                "UnknownOperationException",
                format!("the fake does not serve the service `{other}`"),
            )),
        }
        .map(|answer| protocol.answer(&answer)),
    };
    state.served.push(Served {
        operation,
        received,
        answered: Instant::now(),
    });
    Some(answer.unwrap_or_else(|error| protocol.error(error)))
}

/// The scripting interface: inspect what was received, or restore the seed.
fn admin(state: &mut State, method: &hyper::Method, command: &str) -> Response<Full<Bytes>> {
    match (method.as_str(), command) {
        ("GET", "stops") => json_response(StatusCode::OK, &json!(state.stops)),
        ("GET", "created") => json_response(StatusCode::OK, &json!(state.created)),
        ("GET", "calls") => json_response(StatusCode::OK, &json!(state.calls)),
        ("GET", "events") => json_response(StatusCode::OK, &json!(state.events)),
        ("GET", "assumed") => json_response(StatusCode::OK, &json!(state.assumed)),
        ("GET", "hooks") => json_response(StatusCode::OK, &json!(state.hook_answers)),
        ("GET", "alarms") => json_response(StatusCode::OK, &json!(state.alarms)),
        ("POST", "reset") => {
            state.reset();
            json_response(StatusCode::OK, &json!({"reset": true}))
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({"message": "use GET /_fake/{stops,created,calls,events,assumed,hooks,alarms} \
                                or POST /_fake/reset"}),
        ),
    }
}

fn string_field<'a>(body: &'a Value, field: &str) -> Option<&'a str> {
    body.get(field).and_then(Value::as_str)
}

impl State {
    fn reset(&mut self) {
        self.deployments = self
            .seed
            .deployments
            .iter()
            .cloned()
            .map(Deployment::dated)
            .collect();
        self.groups = self.seed.groups.iter().cloned().collect();
        self.roles = self.seed.roles.clone();
        self.principals = self.seed.principals.clone();
        self.alarms = self.seed.alarms.iter().cloned().map(Alarm::dated).collect();
        // Credentials STS issued stay valid until they expire, whatever else is restored.
        self.faults.clear();
        self.calls.clear();
        self.served.clear();
        self.stops.clear();
        self.created.clear();
        self.assumed.clear();
        self.events.clear();
        self.hook_answers.clear();
        self.rejections.clear();
        self.max_in_flight = 0;
    }

    /// The caller a request's access key stands for: a session the fake's STS issued, a
    /// [`Principal`], or else the function itself.
    fn caller(&self, access_key: &str) -> Caller {
        if let (None, Some(principal)) = (self.sessions.get(access_key), self.principal(access_key))
        {
            return principal;
        }
        self.sessions.get(access_key).cloned().unwrap_or(Caller {
            account: ACCOUNT.into(),
            arn: format!(
                "arn:aws:sts::{ACCOUNT}:assumed-role/deployment-circuit-breaker-FunctionRole/\
                 deployment-circuit-breaker"
            ),
            role: FUNCTION_ROLE.into(),
            policy: self.policy.clone(),
        })
    }

    /// Denies the call unless the caller's policy allows `action` on `resource`.
    fn authorize(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
        resource_account: &str,
        region: &str,
    ) -> Result<(), ApiError> {
        let Some(policy) = &caller.policy else {
            return Ok(());
        };
        let request = iam::Request {
            action: action.into(),
            resource: resource.into(),
            context: [
                ("aws:RequestedRegion", region),
                ("aws:ResourceAccount", resource_account),
                ("aws:PrincipalAccount", caller.account.as_str()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        };
        if policy.allows(&request) {
            return Ok(());
        }
        Err(client_error(
            "AccessDeniedException",
            format!(
                "User: {} is not authorized to perform: {action} on resource: {resource} \
                 because no identity-based policy allows the {action} action",
                caller.arn
            ),
        ))
    }

    fn take_fault(&mut self, operation: &str, body: &Value) -> Option<FaultKind> {
        let names = |fault: &Fault| match &fault.deployment_id {
            None => true,
            Some(id) => {
                string_field(body, "deploymentId") == Some(id.as_str())
                    || body["deploymentIds"]
                        .as_array()
                        .is_some_and(|ids| ids.iter().any(|v| v.as_str() == Some(id.as_str())))
            }
        };
        let fault = self
            .faults
            .iter_mut()
            .find(|f| f.operation == operation && f.remaining > 0 && names(f))?;
        fault.remaining -= 1;
        Some(fault.kind.clone())
    }
}
