//! The HTTP side: accepting connections (plain or TLS), counting calls in flight, and writing
//! answers as the AWS protocols do: JSON 1.1 (`{"__type", "message"}` errors) for CodeDeploy
//! and EventBridge, query/XML for STS and IAM.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::{serve, State};

/// An error answer: HTTP status, AWS error code and message.
pub struct ApiError(pub u16, pub String, pub String);

/// A 400 with this code: how AWS answers a request it refuses.
pub fn client_error(code: &str, message: impl Into<String>) -> ApiError {
    ApiError(400, code.into(), message.into())
}

pub fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panicking test thread must not hide the fake's state from the others.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Serves `listener` until the returned task is aborted.
pub fn spawn(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    state: Arc<Mutex<State>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            // As AWS's endpoints do: an answer's head and body never wait for an ACK.
            let _ = stream.set_nodelay(true);
            let state = state.clone();
            let tls = tls.clone();
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
                // A client that hangs up mid-request (or mid-handshake) is not the fake's problem.
                match tls {
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
    })
}

/// The loopback address to listen on when none is given.
pub fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().expect("valid address")
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

fn response(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("x-amzn-requestid", "00000000-0000-0000-0000-000000000000")
        .body(Full::new(Bytes::from(body)))
        .expect("a static response is valid")
}

pub fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    response(status, "application/x-amz-json-1.1", body.to_string())
}

pub fn xml_response(body: String) -> Response<Full<Bytes>> {
    response(StatusCode::OK, "text/xml", body)
}

/// An error as JSON 1.1 services write it, or (`xml`: its namespace) as query services such as
/// STS and IAM do.
pub fn error_response(
    ApiError(status, code, message): ApiError,
    xml: Option<&str>,
) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let Some(namespace) = xml else {
        return json_response(status, &json!({ "__type": code, "message": message }));
    };
    let kind = if status.is_client_error() {
        "Sender"
    } else {
        "Receiver"
    };
    let body = format!(
        "<ErrorResponse xmlns=\"{namespace}\"><Error><Type>{kind}</Type><Code>{}</Code>\
         <Message>{}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000\
         </RequestId></ErrorResponse>",
        escape(&code),
        escape(&message)
    );
    response(status, "text/xml", body)
}

/// Text as XML character data.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
