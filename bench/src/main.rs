//! Measures a Lambda function the way Lambda runs it: this process serves the Runtime API
//! (2018-06-01) and the fake CodeDeploy, spawns the function's process, hands it events and
//! times everything on one clock.
//!
//! `circuit-breaker-bench --rust BOOTSTRAP --python PYTHON HANDLER_DIR [--cold N] [--warm N]`
//!
//! For each contestant: N cold starts (a new process each: spawn → first `/next` is init, event
//! handed → response is the first invoke), then N warm invocations in one process. Time to stop
//! is event handed → StopDeployment received by the fake. Peak RSS is the process's VmHWM.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fake_codedeploy::{Deployment, FakeCodeDeploy, Seed};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot, Notify};

const REGION: &str = "us-east-1";
const DEPLOYMENT: &str = "d-SHOPPROD1";
const LIMIT: Duration = Duration::from_secs(60);

/// What the function answered, and when.
struct Answer {
    at: Instant,
    ok: bool,
    body: Bytes,
}

/// An event waiting for the function's next `/next`.
struct Invocation {
    payload: Bytes,
    handed: oneshot::Sender<Instant>,
    answer: oneshot::Sender<Answer>,
}

/// One Runtime API, for one function process (a stale process cannot take a later event).
struct RuntimeApi {
    pending: Mutex<VecDeque<Invocation>>,
    arrived: Notify,
    answers: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
    polls: mpsc::UnboundedSender<Instant>,
    serial: AtomicU64,
}

impl RuntimeApi {
    /// Serves a fresh Runtime API on a free loopback port; `polls` gets each `/next` arrival.
    async fn start() -> (
        Arc<RuntimeApi>,
        SocketAddr,
        mpsc::UnboundedReceiver<Instant>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let (tx, rx) = mpsc::unbounded_channel();
        let api = Arc::new(RuntimeApi {
            pending: Mutex::default(),
            arrived: Notify::new(),
            answers: Mutex::default(),
            polls: tx,
            serial: AtomicU64::new(0),
        });
        let shared = api.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let api = shared.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let api = api.clone();
                        async move { Ok::<_, Infallible>(api.serve(request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (api, addr, rx)
    }

    async fn serve(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = request.uri().path().to_string();
        if path == "/2018-06-01/runtime/invocation/next" {
            return self.next().await;
        }
        let body = request
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let at = Instant::now();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match parts.as_slice() {
            ["2018-06-01", "runtime", "invocation", id, kind @ ("response" | "error")] => {
                if let Some(answer) = self.answers.lock().unwrap().remove(*id) {
                    let ok = *kind == "response";
                    let _ = answer.send(Answer { at, ok, body });
                }
                reply(StatusCode::ACCEPTED, Bytes::new())
            }
            ["2018-06-01", "runtime", "init", "error"] => {
                eprintln!("init error: {}", String::from_utf8_lossy(&body));
                reply(StatusCode::ACCEPTED, Bytes::new())
            }
            _ => reply(StatusCode::NOT_FOUND, Bytes::new()),
        }
    }

    async fn next(&self) -> Response<Full<Bytes>> {
        let _ = self.polls.send(Instant::now());
        loop {
            let taken = self.pending.lock().unwrap().pop_front();
            let Some(invocation) = taken else {
                self.arrived.notified().await;
                continue;
            };
            let id = format!("bench-{}", self.serial.fetch_add(1, Ordering::Relaxed) + 1);
            self.answers
                .lock()
                .unwrap()
                .insert(id.clone(), invocation.answer);
            let deadline = SystemTime::now() + LIMIT;
            let deadline_ms = deadline.duration_since(UNIX_EPOCH).unwrap().as_millis();
            let response = Response::builder()
                .status(StatusCode::OK)
                .header("lambda-runtime-aws-request-id", &id)
                .header("lambda-runtime-deadline-ms", deadline_ms.to_string())
                .header(
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:bench",
                )
                .header("content-type", "application/json")
                // awslambdaric's native client crashes without a well-formed trace header.
                .header(
                    "lambda-runtime-trace-id",
                    "Root=1-5e1b4151-5ac6c58f5d7e4b1b2a1a6b0c;Parent=53995c3f42cd8ad8;Sampled=0",
                )
                .body(Full::new(invocation.payload))
                .unwrap();
            let _ = invocation.handed.send(Instant::now());
            return response;
        }
    }

    /// Hands `payload` to the function; returns when it was handed over and the answer.
    async fn invoke(&self, payload: Bytes) -> (Instant, Answer) {
        let (handed_tx, handed_rx) = oneshot::channel();
        let (answer_tx, answer_rx) = oneshot::channel();
        self.pending.lock().unwrap().push_back(Invocation {
            payload,
            handed: handed_tx,
            answer: answer_tx,
        });
        self.arrived.notify_one();
        let answer = tokio::time::timeout(LIMIT, answer_rx)
            .await
            .expect("the function answers within the limit")
            .expect("answered");
        (handed_rx.await.expect("handed"), answer)
    }
}

fn reply(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .body(Full::new(body))
        .unwrap()
}

/// A function implementation to measure.
struct Contestant {
    name: &'static str,
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

impl Contestant {
    fn spawn(&self, runtime_api: SocketAddr, endpoint: &str) -> Child {
        let mut command = Command::new(&self.program);
        command
            .args(&self.args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string())
            .env("AWS_REGION", REGION)
            .env("AWS_DEFAULT_REGION", REGION)
            .env("AWS_ENDPOINT_URL_CODEDEPLOY", endpoint)
            .env("AWS_ACCESS_KEY_ID", "AKIDBENCH")
            .env("AWS_SECRET_ACCESS_KEY", "bench-secret")
            .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .envs(self.env.iter().cloned())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        command.spawn().expect("the function starts")
    }
}

/// Peak resident memory of a process, in bytes (VmHWM).
fn peak_rss(child: &Child) -> u64 {
    let pid = child.id().expect("running");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[derive(Default)]
struct Figures {
    init: Vec<Duration>,
    first_invoke: Vec<Duration>,
    cold_start: Vec<Duration>,
    cold_to_stop: Vec<Duration>,
    warm: Vec<Duration>,
    warm_to_stop: Vec<Duration>,
    service: Vec<Duration>,
    overhead: Vec<Duration>,
    peak_rss: u64,
}

struct World {
    fake: FakeCodeDeploy,
    seed: Seed,
    event: Bytes,
}

impl World {
    /// Runs one invocation against a freshly seeded fake; returns (handed → answer, handed →
    /// StopDeployment received, service time of the three calls, time to stop less the
    /// service time of the calls before the stop).
    async fn invoke(&self, api: &RuntimeApi) -> (Instant, Answer, Duration, Duration, Duration) {
        self.fake.seed(self.seed.clone());
        let (handed, answer) = api.invoke(self.event.clone()).await;
        assert!(
            answer.ok && String::from_utf8_lossy(&answer.body).contains("\"stopped\""),
            "the function stopped the deployment: {}",
            String::from_utf8_lossy(&answer.body)
        );
        let served = self.fake.served();
        let stop = served
            .iter()
            .find(|s| s.operation == "StopDeployment")
            .expect("StopDeployment was called");
        let to_stop = stop.received - handed;
        let service: Duration = served.iter().map(|s| s.answered - s.received).sum();
        let before_stop: Duration = served
            .iter()
            .filter(|s| s.answered <= stop.received)
            .map(|s| s.answered - s.received)
            .sum();
        (
            handed,
            answer,
            to_stop,
            service,
            to_stop.saturating_sub(before_stop),
        )
    }

    async fn measure(&self, contestant: &Contestant, cold: usize, warm: usize) -> Figures {
        let mut figures = Figures::default();
        let endpoint = self.fake.endpoint();
        for _ in 0..cold {
            let (api, addr, mut polls) = RuntimeApi::start().await;
            let spawned = Instant::now();
            let mut child = contestant.spawn(addr, &endpoint);
            let first_poll = tokio::time::timeout(LIMIT, polls.recv())
                .await
                .expect("the function polls /next")
                .expect("poll");
            let (handed, answer, to_stop, _, _) = self.invoke(&api).await;
            figures.init.push(first_poll - spawned);
            figures.first_invoke.push(answer.at - handed);
            figures.cold_start.push(answer.at - spawned);
            figures.cold_to_stop.push(to_stop);
            let _ = child.kill().await;
        }
        let (api, addr, _polls) = RuntimeApi::start().await;
        let mut child = contestant.spawn(addr, &endpoint);
        for _ in 0..warm {
            let (handed, answer, to_stop, service, overhead) = self.invoke(&api).await;
            figures.warm.push(answer.at - handed);
            figures.warm_to_stop.push(to_stop);
            figures.service.push(service);
            figures.overhead.push(overhead);
        }
        figures.peak_rss = peak_rss(&child);
        let _ = child.kill().await;
        eprintln!(
            "{}: {cold} cold starts, {warm} warm invocations",
            contestant.name
        );
        figures
    }
}

/// Picks one kind of sample out of a contestant's figures.
type Samples = fn(&Figures) -> &[Duration];

fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main_args() -> (PathBuf, PathBuf, PathBuf, usize, usize, PathBuf) {
    let mut args = std::env::args().skip(1);
    let (mut rust, mut python, mut handler) = (None, None, None);
    let (mut cold, mut warm) = (15, 200);
    let mut event = PathBuf::from("events/eventbridge-alarm-state-change.json");
    let usage = "usage: circuit-breaker-bench --rust BOOTSTRAP --python PYTHON HANDLER_DIR \
                 [--cold N] [--warm N] [--event FILE]";
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rust" => rust = args.next().map(PathBuf::from),
            "--python" => {
                python = args.next().map(PathBuf::from);
                handler = args.next().map(PathBuf::from);
            }
            "--cold" => cold = args.next().and_then(|n| n.parse().ok()).expect(usage),
            "--warm" => warm = args.next().and_then(|n| n.parse().ok()).expect(usage),
            "--event" => event = args.next().map(PathBuf::from).expect(usage),
            _ => panic!("{usage}"),
        }
    }
    (
        rust.expect(usage),
        python.expect(usage),
        handler.expect(usage),
        cold,
        warm,
        event,
    )
}

#[tokio::main]
async fn main() {
    let (rust, python, handler_dir, cold, warm, event_file) = main_args();
    let mut event: Value =
        serde_json::from_str(&std::fs::read_to_string(&event_file).expect("the event file exists"))
            .expect("the event is JSON");
    event["detail"]["alarmTags"] =
        json!({"codedeploy-application": "shop", "codedeploy-deployment-group": "prod"});
    let fake = FakeCodeDeploy::start().await.expect("the fake starts");
    let world = World {
        fake,
        seed: Seed {
            deployments: vec![Deployment::new(REGION, DEPLOYMENT, "shop", "prod")],
            groups: vec![],
        },
        event: Bytes::from(event.to_string()),
    };
    let contestants = [
        Contestant {
            name: "Rust (this function)",
            program: rust,
            args: vec![],
            env: vec![],
        },
        Contestant {
            name: "Python boto3 (awslambdaric)",
            program: python,
            args: ["-m", "awslambdaric", "handler.handler"]
                .map(String::from)
                .to_vec(),
            env: vec![(
                "PYTHONPATH".into(),
                handler_dir.to_string_lossy().into_owned(),
            )],
        },
    ];
    let mut results = Vec::new();
    for contestant in &contestants {
        results.push(world.measure(contestant, cold, warm).await);
    }
    let (r, p) = (&results[0], &results[1]);
    println!("| figure | Rust | Python boto3 | Python / Rust |");
    println!("| --- | --- | --- | --- |");
    let row = |name: &str, rust: Duration, python: Duration| {
        let ratio = python.as_secs_f64() / rust.as_secs_f64().max(1e-9);
        println!("| {name} | {} | {} | {ratio:.1}× |", ms(rust), ms(python));
    };
    let rows: [(&str, Samples, f64); 9] = [
        (
            "init (process start → first /next), median",
            |f| &f.init,
            50.0,
        ),
        (
            "first invoke (event → response), median",
            |f| &f.first_invoke,
            50.0,
        ),
        (
            "cold start (init + first invoke), median",
            |f| &f.cold_start,
            50.0,
        ),
        (
            "cold time to stop (event → StopDeployment received), median",
            |f| &f.cold_to_stop,
            50.0,
        ),
        ("warm invoke p50", |f| &f.warm, 50.0),
        ("warm invoke p99", |f| &f.warm, 99.0),
        ("warm time to stop p50", |f| &f.warm_to_stop, 50.0),
        (
            "fake's service time for the 3 calls, p50",
            |f| &f.service,
            50.0,
        ),
        (
            "warm time to stop beyond the fake's service time, p50",
            |f| &f.overhead,
            50.0,
        ),
    ];
    for (name, samples, pct) in rows {
        row(
            name,
            percentile(samples(r), pct),
            percentile(samples(p), pct),
        );
    }
    let mib = |bytes: u64| format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0));
    println!(
        "| peak RSS (VmHWM, after the warm run) | {} | {} | {:.1}× |",
        mib(r.peak_rss),
        mib(p.peak_rss),
        p.peak_rss as f64 / r.peak_rss.max(1) as f64
    );
    println!();
    println!("{cold} cold starts and {warm} warm invocations each; one CodeDeploy deployment stopped per invocation.");
}
