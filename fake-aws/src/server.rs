//! The HTTP side: accepting connections (plain or TLS), handing each request to the router,
//! and counting the connections and the calls in flight.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::router::serve;
use crate::{lock, State};

/// Serves `listener` until the returned task is aborted.
pub(crate) fn spawn(
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
                lock(&state).journal.connections += 1;
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
pub(crate) fn any_port() -> SocketAddr {
    "127.0.0.1:0".parse().expect("valid address")
}

/// Counts a call as being served until dropped (also when the client hangs up mid-call).
struct InFlight<'a>(&'a Mutex<State>);

impl<'a> InFlight<'a> {
    fn enter(state: &'a Mutex<State>) -> Self {
        let mut guard = lock(state);
        let journal = &mut guard.journal;
        journal.in_flight += 1;
        journal.max_in_flight = journal.max_in_flight.max(journal.in_flight);
        InFlight(state)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        lock(self.0).journal.in_flight -= 1;
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
