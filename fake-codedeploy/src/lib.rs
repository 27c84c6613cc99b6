//! A stateful fake of the AWS CodeDeploy JSON 1.1 API over real HTTP.
//!
//! It serves the operations the circuit breaker calls (`ListDeploymentGroups`, `ListDeployments`,
//! `BatchGetDeployments`, `StopDeployment`) the way the service does: one `POST /` per call with
//! the operation in `X-Amz-Target`, pagination through `nextToken`, `StopDeployment` moving a
//! deployment to `Stopped`, and errors as HTTP 400/500 with a `{"__type": …, "message": …}` body.
//! The region of a call is read from the SigV4 credential scope, so one fake serves every region.
//! Faults (error answers, dropped connections, slow answers) can be injected per operation and
//! deployment, and the fake records how many calls it served at once.
//!
//! Given the caller's IAM policy ([`FakeCodeDeploy::set_policy`]), it answers
//! `AccessDeniedException` for every call the policy does not allow, judging each action by the
//! resource type the Service Authorization Reference gives it (see [`iam`]).
//!
//! For scripts, `GET /_fake/stops` and `GET /_fake/calls` return what was received, and
//! `POST /_fake/reset` restores the seed (see [`Seed`]).

pub mod iam;
pub mod tls;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The statuses in which a deployment can still be stopped.
const ACTIVE: [&str; 5] = ["Created", "Queued", "InProgress", "Baking", "Ready"];
const ALL_STATUSES: [&str; 8] = [
    "Created",
    "Queued",
    "InProgress",
    "Baking",
    "Ready",
    "Succeeded",
    "Failed",
    "Stopped",
];
/// BatchGetDeployments accepts at most this many IDs.
const BATCH_LIMIT: usize = 25;
/// The account the fake's resources live in, and the caller's.
pub const ACCOUNT: &str = "123456789012";
/// Who the caller is, for AccessDeniedException messages.
const CALLER: &str = "arn:aws:sts::123456789012:assumed-role/deployment-circuit-breaker/function";

/// A deployment known to the fake.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct Deployment {
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

/// A deployment group, for groups that have no deployment.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
pub struct Group {
    pub region: String,
    pub application: String,
    pub group: String,
}

/// The starting state: what [`FakeCodeDeploy::seed`] loads and `POST /_fake/reset` restores.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub deployments: Vec<Deployment>,
    #[serde(default)]
    pub groups: Vec<Group>,
}

impl Deployment {
    /// An `InProgress` deployment created by a user.
    pub fn new(region: &str, id: &str, application: &str, group: &str) -> Self {
        Deployment {
            region: region.into(),
            id: id.into(),
            application: application.into(),
            group: group.into(),
            status: in_progress(),
            creator: user(),
            create_time: None,
        }
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

    /// With its creation time set to now when it has none.
    fn dated(mut self) -> Self {
        self.create_time = self
            .create_time
            .or_else(|| Some(epoch_seconds(SystemTime::now())));
        self
    }
}

/// A call the fake received.
#[derive(Clone, Debug, Serialize)]
pub struct Call {
    pub region: String,
    pub operation: String,
    pub body: Value,
}

/// When the fake received a call and when its answer was ready.
#[derive(Clone, Debug)]
pub struct Served {
    pub operation: String,
    pub received: Instant,
    pub answered: Instant,
}

/// A `StopDeployment` call that stopped a deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stop {
    pub region: String,
    pub deployment_id: String,
    pub auto_rollback_enabled: Option<bool>,
}

/// What the fake does instead of (or before) serving a call.
#[derive(Clone, Debug)]
pub enum FaultKind {
    /// Answer with HTTP `status` and this `__type`.
    Error { status: u16, error_type: String },
    /// Close the connection without answering.
    Drop,
    /// Wait this long, then serve the call.
    Delay(Duration),
}

#[derive(Clone, Debug)]
struct Fault {
    operation: String,
    deployment_id: Option<String>,
    kind: FaultKind,
    remaining: usize,
}

#[derive(Default)]
struct State {
    seed: Seed,
    verbose: bool,
    deployments: Vec<Deployment>,
    /// Groups that have no deployment yet.
    groups: BTreeSet<Group>,
    page_size: Option<usize>,
    faults: Vec<Fault>,
    calls: Vec<Call>,
    served: Vec<Served>,
    stops: Vec<Stop>,
    in_flight: usize,
    max_in_flight: usize,
    /// The caller's policy; `None`: every call is allowed.
    policy: Option<iam::Policy>,
    /// Connections accepted since the start.
    connections: usize,
    /// Requests without a signature answered since the start.
    unsigned: usize,
}

/// A running fake; the server stops when this is dropped.
pub struct FakeCodeDeploy {
    addr: SocketAddr,
    https: bool,
    state: Arc<Mutex<State>>,
    server: JoinHandle<()>,
}

impl FakeCodeDeploy {
    /// Starts a fake on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_on("127.0.0.1:0".parse().expect("valid address")).await
    }

    /// Starts a fake on the given address.
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<Self> {
        Self::serve_on(addr, None).await
    }

    /// Starts a fake on a free loopback port that speaks HTTPS with `tls`'s certificate.
    pub async fn start_tls(tls: &tls::Tls) -> std::io::Result<Self> {
        let addr = "127.0.0.1:0".parse().expect("valid address");
        Self::serve_on(addr, Some(tls)).await
    }

    async fn serve_on(addr: SocketAddr, tls: Option<&tls::Tls>) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let acceptor = tls.map(|tls| tokio_rustls::TlsAcceptor::from(tls.config.clone()));
        let https = acceptor.is_some();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                // As AWS's endpoints do: an answer's head and body never wait for an ACK.
                let _ = stream.set_nodelay(true);
                let state = shared.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    lock(&state).connections += 1;
                    let service = hyper::service::service_fn(move |request| {
                        let state = state.clone();
                        async move {
                            let _serving = InFlight::enter(&state);
                            // An error makes hyper close the connection without answering.
                            serve(&state, request).await.ok_or(Dropped)
                        }
                    });
                    let http = hyper::server::conn::http1::Builder::new();
                    // A client that hangs up mid-request (or mid-handshake) is not the fake's
                    // problem.
                    match acceptor {
                        None => {
                            let _ = http.serve_connection(TokioIo::new(stream), service).await;
                        }
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                let _ = http.serve_connection(TokioIo::new(stream), service).await;
                            }
                        }
                    }
                });
            }
        });
        Ok(FakeCodeDeploy {
            addr,
            https,
            state,
            server,
        })
    }

    /// The URL to give the SDK as its endpoint.
    pub fn endpoint(&self) -> String {
        if self.https {
            format!("https://localhost:{}", self.addr.port())
        } else {
            format!("http://{}", self.addr)
        }
    }

    /// How many connections clients opened (each a TLS handshake when serving HTTPS).
    pub fn connections(&self) -> usize {
        self.lock().connections
    }

    /// How many requests came without a signature (answered `MissingAuthenticationToken`).
    pub fn unsigned(&self) -> usize {
        self.lock().unsigned
    }

    /// Adds a deployment (and so its application and group).
    pub fn add(&self, deployment: Deployment) {
        self.lock().deployments.push(deployment.dated());
    }

    /// Adds a deployment group with no deployments.
    pub fn add_group(&self, region: &str, application: &str, group: &str) {
        self.lock().groups.insert(Group {
            region: region.into(),
            application: application.into(),
            group: group.into(),
        });
    }

    /// Replaces the state with `seed`, which `POST /_fake/reset` restores later.
    pub fn seed(&self, seed: Seed) {
        let mut state = self.lock();
        state.seed = seed;
        state.reset();
    }

    /// Enforces `policy` as the caller's identity-based policy (`None`: allow every call).
    pub fn set_policy(&self, policy: Option<iam::Policy>) {
        self.lock().policy = policy;
    }

    /// Prints every call received to standard output.
    pub fn set_verbose(&self, verbose: bool) {
        self.lock().verbose = verbose;
    }

    /// Returns at most `size` items per page of ListDeployments and ListDeploymentGroups.
    pub fn set_page_size(&self, size: usize) {
        self.lock().page_size = Some(size.max(1));
    }

    /// Answers the next `times` calls of `operation` with an error of HTTP `status` and `__type`.
    pub fn fail(&self, operation: &str, times: usize, status: u16, error_type: &str) {
        let kind = FaultKind::Error {
            status,
            error_type: error_type.into(),
        };
        self.inject(operation, None, times, kind);
    }

    /// Like [`FakeCodeDeploy::fail`], only for calls naming `deployment_id`.
    pub fn fail_deployment(
        &self,
        operation: &str,
        deployment_id: &str,
        times: usize,
        status: u16,
        error_type: &str,
    ) {
        let kind = FaultKind::Error {
            status,
            error_type: error_type.into(),
        };
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

    /// The most calls that were being served at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }

    /// The deployments stopped so far, in order.
    pub fn stops(&self) -> Vec<Stop> {
        self.lock().stops.clone()
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

    /// The current status of a deployment.
    pub fn status_of(&self, region: &str, id: &str) -> Option<String> {
        self.lock()
            .deployments
            .iter()
            .find(|d| d.region == region && d.id == id)
            .map(|d| d.status.clone())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl Drop for FakeCodeDeploy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Counts a call as being served until dropped (also when the client hangs up mid-call).
struct InFlight<'a>(&'a Mutex<State>);

impl<'a> InFlight<'a> {
    fn enter(state: &'a Mutex<State>) -> Self {
        let mut guard = lock(state);
        guard.in_flight += 1;
        guard.max_in_flight = guard.max_in_flight.max(guard.in_flight);
        InFlight(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        lock(self.0).in_flight -= 1;
    }
}

/// A call answered by closing the connection.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panicking test thread must not hide the fake's state from the others.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An error answer: HTTP status, `__type` and message.
struct ApiError(u16, String, String);

fn client_error(error_type: &str, message: impl Into<String>) -> ApiError {
    ApiError(400, error_type.into(), message.into())
}

/// Serves one request; `None` drops the connection.
async fn serve(state: &Mutex<State>, request: Request<Incoming>) -> Option<Response<Full<Bytes>>> {
    let received = Instant::now();
    if let Some(command) = request.uri().path().strip_prefix("/_fake/") {
        return Some(admin(&mut lock(state), request.method(), command));
    }
    let operation = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("CodeDeploy_20141006."))
        .unwrap_or_default()
        .to_string();
    let Some(authorization) = request.headers().get("authorization") else {
        // As AWS answers before any authorization; not a call, so not recorded.
        lock(state).unsigned += 1;
        return Some(error_response(client_error(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )));
    };
    let region = authorization
        .to_str()
        .ok()
        .and_then(region_from_authorization)
        .unwrap_or_default();
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => {
            return Some(error_response(client_error(
                "SerializationException",
                e.to_string(),
            )))
        }
    };
    let body: Value = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => {
            return Some(error_response(client_error(
                "SerializationException",
                e.to_string(),
            )))
        }
    };
    let fault = {
        let mut state = lock(state);
        if state.verbose {
            println!("{operation} {region} {body}");
        }
        state.calls.push(Call {
            region: region.clone(),
            operation: operation.clone(),
            body: body.clone(),
        });
        state.take_fault(&operation, &body)
    };
    match fault {
        Some(FaultKind::Drop) => return None,
        Some(FaultKind::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(FaultKind::Error { status, error_type }) => {
            let message = format!("injected {error_type} for {operation}");
            return Some(error_response(ApiError(status, error_type, message)));
        }
        None => {}
    }
    let mut state = lock(state);
    let result = state
        .authorize(&operation, &region, &body)
        .and_then(|()| state.dispatch(&operation, &region, &body));
    state.served.push(Served {
        operation,
        received,
        answered: Instant::now(),
    });
    Some(match result {
        Ok(answer) => json_response(StatusCode::OK, &answer),
        Err(error) => error_response(error),
    })
}

/// The scripting interface: inspect what was received, or restore the seed.
fn admin(state: &mut State, method: &hyper::Method, command: &str) -> Response<Full<Bytes>> {
    match (method.as_str(), command) {
        ("GET", "stops") => json_response(StatusCode::OK, &json!(state.stops)),
        ("GET", "calls") => json_response(StatusCode::OK, &json!(state.calls)),
        ("POST", "reset") => {
            state.reset();
            json_response(StatusCode::OK, &json!({"reset": true}))
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({"message": "use GET /_fake/stops, GET /_fake/calls or POST /_fake/reset"}),
        ),
    }
}

/// `Credential=AKID/20261127/us-west-2/codedeploy/aws4_request` → `us-west-2`.
fn region_from_authorization(header: &str) -> Option<String> {
    let scope = header.split("Credential=").nth(1)?;
    scope.split('/').nth(2).map(str::to_string)
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amzn-requestid", "00000000-0000-0000-0000-000000000000")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a static response is valid")
}

fn error_response(ApiError(status, error_type, message): ApiError) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, &json!({ "__type": error_type, "message": message }))
}

fn string_field<'a>(body: &'a Value, field: &str) -> Option<&'a str> {
    body.get(field).and_then(Value::as_str)
}

fn is_deployment_id(id: &str) -> bool {
    id.strip_prefix("d-").is_some_and(|rest| {
        rest.len() == 9
            && rest
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    })
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
        self.faults.clear();
        self.calls.clear();
        self.served.clear();
        self.stops.clear();
        self.max_in_flight = 0;
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

    /// Denies the call unless the policy allows the action on every resource it touches: the
    /// application (ListDeploymentGroups), the deployment group (ListDeployments, and the group
    /// of each deployment BatchGetDeployments returns), or `*` (StopDeployment has no resource
    /// type).
    fn authorize(&self, operation: &str, region: &str, body: &Value) -> Result<(), ApiError> {
        let Some(policy) = &self.policy else {
            return Ok(());
        };
        let arn =
            |kind: &str, name: &str| format!("arn:aws:codedeploy:{region}:{ACCOUNT}:{kind}:{name}");
        let application = string_field(body, "applicationName").unwrap_or_default();
        let resources: Vec<String> = match operation {
            "ListDeploymentGroups" => vec![arn("application", application)],
            "ListDeployments" => {
                let group = string_field(body, "deploymentGroupName").unwrap_or_default();
                vec![arn("deploymentgroup", &format!("{application}/{group}"))]
            }
            "BatchGetDeployments" => {
                let ids: Vec<&str> = body["deploymentIds"]
                    .as_array()
                    .map(|ids| ids.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let groups: BTreeSet<String> = self
                    .deployments
                    .iter()
                    .filter(|d| d.region == region && ids.contains(&d.id.as_str()))
                    .map(|d| arn("deploymentgroup", &format!("{}/{}", d.application, d.group)))
                    .collect();
                groups.into_iter().collect()
            }
            _ => vec!["*".into()],
        };
        let action = format!("codedeploy:{operation}");
        for resource in resources {
            let request = iam::Request {
                action: action.clone(),
                resource: resource.clone(),
                context: [
                    ("aws:RequestedRegion", region),
                    ("aws:ResourceAccount", ACCOUNT),
                    ("aws:PrincipalAccount", ACCOUNT),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            };
            if !policy.allows(&request) {
                return Err(client_error(
                    "AccessDeniedException",
                    format!(
                        "User: {CALLER} is not authorized to perform: {action} on resource: \
                         {resource} because no identity-based policy allows the {action} action"
                    ),
                ));
            }
        }
        Ok(())
    }

    fn dispatch(&mut self, operation: &str, region: &str, body: &Value) -> Result<Value, ApiError> {
        match operation {
            "ListDeploymentGroups" => self.list_deployment_groups(region, body),
            "ListDeployments" => self.list_deployments(region, body),
            "BatchGetDeployments" => self.batch_get_deployments(region, body),
            "StopDeployment" => self.stop_deployment(region, body),
            other => Err(client_error(
                "UnknownOperationException",
                format!("the fake does not serve operation `{other}`"),
            )),
        }
    }

    fn group_names(&self, region: &str, application: &str) -> Vec<String> {
        let from_deployments = self
            .deployments
            .iter()
            .filter(|d| d.region == region && d.application == application)
            .map(|d| d.group.clone());
        let empty = self
            .groups
            .iter()
            .filter(|g| g.region == region && g.application == application)
            .map(|g| g.group.clone());
        let unique: BTreeSet<String> = from_deployments.chain(empty).collect();
        unique.into_iter().collect()
    }

    fn page<T: Clone>(
        &self,
        items: &[T],
        body: &Value,
    ) -> Result<(Vec<T>, Option<String>), ApiError> {
        let start = match string_field(body, "nextToken") {
            None => 0,
            Some(token) => token
                .strip_prefix("page-")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n <= items.len())
                .ok_or_else(|| {
                    client_error("InvalidNextTokenException", "The next token is invalid.")
                })?,
        };
        let size = self.page_size.unwrap_or(100);
        let end = (start + size).min(items.len());
        let next = (end < items.len()).then(|| format!("page-{end}"));
        Ok((items[start..end].to_vec(), next))
    }

    fn require_application(&self, region: &str, body: &Value) -> Result<String, ApiError> {
        let application = string_field(body, "applicationName").ok_or_else(|| {
            client_error(
                "ApplicationNameRequiredException",
                "The minimum number of required application names was not specified.",
            )
        })?;
        let known = self
            .deployments
            .iter()
            .any(|d| d.region == region && d.application == application)
            || self
                .groups
                .iter()
                .any(|g| g.region == region && g.application == application);
        if !known {
            return Err(client_error(
                "ApplicationDoesNotExistException",
                format!("No application found for name: {application}"),
            ));
        }
        Ok(application.to_string())
    }

    fn list_deployment_groups(&self, region: &str, body: &Value) -> Result<Value, ApiError> {
        let application = self.require_application(region, body)?;
        let groups = self.group_names(region, &application);
        let (page, next) = self.page(&groups, body)?;
        Ok(json!({ "applicationName": application, "deploymentGroups": page, "nextToken": next }))
    }

    fn list_deployments(&self, region: &str, body: &Value) -> Result<Value, ApiError> {
        let application = self.require_application(region, body)?;
        let group = string_field(body, "deploymentGroupName").ok_or_else(|| {
            client_error(
                "DeploymentGroupNameRequiredException",
                "The deployment group name was not specified.",
            )
        })?;
        if !self
            .group_names(region, &application)
            .iter()
            .any(|g| g == group)
        {
            return Err(client_error(
                "DeploymentGroupDoesNotExistException",
                format!("No deployment group found for name: {group}"),
            ));
        }
        let statuses: Vec<&str> = match body.get("includeOnlyStatuses").and_then(Value::as_array) {
            None => ALL_STATUSES.to_vec(),
            Some(list) => list
                .iter()
                .map(|s| {
                    s.as_str()
                        .filter(|s| ALL_STATUSES.contains(s))
                        .ok_or_else(|| {
                            client_error(
                                "InvalidDeploymentStatusException",
                                format!("invalid status {s}"),
                            )
                        })
                })
                .collect::<Result<_, _>>()?,
        };
        let ids: Vec<String> = self
            .deployments
            .iter()
            .filter(|d| {
                d.region == region
                    && d.application == application
                    && d.group == group
                    && statuses.contains(&d.status.as_str())
            })
            .map(|d| d.id.clone())
            .collect();
        let (page, next) = self.page(&ids, body)?;
        Ok(json!({ "deployments": page, "nextToken": next }))
    }

    fn batch_get_deployments(&self, region: &str, body: &Value) -> Result<Value, ApiError> {
        let ids = body
            .get("deploymentIds")
            .and_then(Value::as_array)
            .filter(|ids| !ids.is_empty())
            .ok_or_else(|| {
                client_error(
                    "DeploymentIdRequiredException",
                    "At least one deployment ID must be specified.",
                )
            })?;
        if ids.len() > BATCH_LIMIT {
            return Err(client_error(
                "BatchLimitExceededException",
                format!("The maximum number of deployment IDs is {BATCH_LIMIT}."),
            ));
        }
        let mut infos = Vec::new();
        for id in ids {
            let id = id
                .as_str()
                .filter(|id| is_deployment_id(id))
                .ok_or_else(|| {
                    client_error(
                        "InvalidDeploymentIdException",
                        format!("Specified deployment ID {id} is invalid."),
                    )
                })?;
            if let Some(d) = self
                .deployments
                .iter()
                .find(|d| d.region == region && d.id == id)
            {
                let mut info = json!({
                    "deploymentId": d.id,
                    "applicationName": d.application,
                    "deploymentGroupName": d.group,
                    "status": d.status,
                    "createTime": d.create_time,
                });
                if let Some(creator) = &d.creator {
                    info["creator"] = json!(creator);
                }
                infos.push(info);
            }
        }
        Ok(json!({ "deploymentsInfo": infos }))
    }

    fn stop_deployment(&mut self, region: &str, body: &Value) -> Result<Value, ApiError> {
        let id = string_field(body, "deploymentId").ok_or_else(|| {
            client_error(
                "DeploymentIdRequiredException",
                "A deployment ID must be specified.",
            )
        })?;
        if !is_deployment_id(id) {
            return Err(client_error(
                "InvalidDeploymentIdException",
                format!("Specified deployment ID {id} is invalid."),
            ));
        }
        let deployment = self
            .deployments
            .iter_mut()
            .find(|d| d.region == region && d.id == id)
            .ok_or_else(|| {
                client_error(
                    "DeploymentDoesNotExistException",
                    format!("The deployment {id} could not be found."),
                )
            })?;
        if !ACTIVE.contains(&deployment.status.as_str()) {
            return Err(client_error(
                "DeploymentAlreadyCompletedException",
                format!("The deployment {id} has already completed."),
            ));
        }
        deployment.status = "Stopped".into();
        let auto_rollback_enabled = body.get("autoRollbackEnabled").and_then(Value::as_bool);
        self.stops.push(Stop {
            region: region.into(),
            deployment_id: id.into(),
            auto_rollback_enabled,
        });
        Ok(json!({ "status": "Pending", "statusMessage": format!("Stopping deployment {id}") }))
    }
}
