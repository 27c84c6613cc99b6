//! A Lambda Runtime API (2018-06-01) for one function process: `/next` hands over the events
//! given to [`RuntimeApi::invoke`], `/response` and `/error` answer them; each `/next` arrival is
//! reported, so init (process start → first `/next`) can be timed.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, Notify};

/// How long a function may take to answer.
pub const LIMIT: Duration = Duration::from_secs(60);

/// What the function answered, and when.
pub struct Answer {
    pub at: Instant,
    pub ok: bool,
    pub body: Bytes,
}

/// An event waiting for the function's next `/next`.
struct Invocation {
    payload: Bytes,
    handed: oneshot::Sender<Instant>,
    answer: oneshot::Sender<Answer>,
}

/// One Runtime API, for one function process (a stale process cannot take a later event).
pub struct RuntimeApi {
    pending: Mutex<VecDeque<Invocation>>,
    arrived: Notify,
    answers: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
    polls: mpsc::UnboundedSender<Instant>,
    serial: AtomicU64,
}

impl RuntimeApi {
    /// Serves a fresh Runtime API on a free loopback port; `polls` gets each `/next` arrival.
    pub async fn start() -> (
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
                // As Lambda's own Runtime API on the sandbox: no Nagle delay on answers.
                let _ = stream.set_nodelay(true);
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
    pub async fn invoke(&self, payload: Bytes) -> (Instant, Answer) {
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
