//! The invocation payload as the runtime receives it: bytes.
//!
//! `lambda_runtime` decodes the payload into the handler's event type before the handler runs,
//! so an undecodable payload (invalid UTF-8, nesting past serde_json's limit) would fail with
//! the runtime's error type, and an SQS batch holding one undecodable record would fail whole.
//! [`TakePayload`] is a layer on the runtime that takes the bytes first, keeps them for the
//! handler by request ID, and hands the runtime `null` to decode; the handler then decodes the
//! bytes itself (see [`crate::signal::parse_bytes`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::LambdaInvocation;

/// The payloads of invocations in flight, by request ID.
#[derive(Clone, Debug, Default)]
pub struct Payloads(Arc<Mutex<HashMap<String, Bytes>>>);

impl Payloads {
    /// Takes the payload of the invocation `request_id` (empty if there is none).
    pub fn take(&self, request_id: &str) -> Bytes {
        self.lock().remove(request_id).unwrap_or_default()
    }

    fn put(&self, request_id: String, payload: Bytes) {
        self.lock().insert(request_id, payload);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Bytes>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The layer: wraps the runtime's service in a [`TakePayloadService`].
pub struct TakePayload(pub Payloads);

impl<S> Layer<S> for TakePayload {
    type Service = TakePayloadService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TakePayloadService {
            inner,
            payloads: self.0.clone(),
        }
    }
}

/// Moves each invocation's payload into [`Payloads`] and hands the runtime `null` instead.
pub struct TakePayloadService<S> {
    inner: S,
    payloads: Payloads,
}

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for TakePayloadService<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        let payload = std::mem::replace(&mut invocation.body, Bytes::from_static(b"null"));
        self.payloads
            .put(invocation.context.request_id.clone(), payload);
        self.inner.call(invocation)
    }
}
