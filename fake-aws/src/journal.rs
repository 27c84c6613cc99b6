//! What the fake received: every call, when each was served, how many were served at once,
//! the connections opened and the requests that came unsigned.

use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::FakeAws;

/// A call the fake received.
#[derive(Clone, Debug, Serialize)]
pub struct Call {
    /// `codedeploy`, `sts`, `iam`, `events`, `monitoring`, `tagging`, `dynamodb`, `sqs` or
    /// `elasticloadbalancing`.
    pub service: String,
    pub account: String,
    pub region: String,
    pub operation: String,
    /// The JSON body (CBOR decoded), or (STS, IAM, Elastic Load Balancing) the form's
    /// parameters as a JSON object.
    pub body: Value,
}

/// When the fake received a call and when its answer was ready.
#[derive(Clone, Debug)]
pub struct Served {
    pub operation: String,
    pub received: Instant,
    pub answered: Instant,
}

#[derive(Default)]
pub(crate) struct Journal {
    pub(crate) calls: Vec<Call>,
    pub(crate) served: Vec<Served>,
    pub(crate) in_flight: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) connections: usize,
    pub(crate) unsigned: usize,
}

impl FakeAws {
    /// How many connections clients opened (each a TLS handshake when serving HTTPS).
    pub fn connections(&self) -> usize {
        self.lock().journal.connections
    }

    /// How many requests came without a signature (answered `MissingAuthenticationToken`).
    pub fn unsigned(&self) -> usize {
        self.lock().journal.unsigned
    }

    /// The most calls that were being served at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.lock().journal.max_in_flight
    }

    /// Every call received so far, in order (including failed ones).
    pub fn calls(&self) -> Vec<Call> {
        self.lock().journal.calls.clone()
    }

    /// When each call was received and answered, in the order answered.
    pub fn served(&self) -> Vec<Served> {
        self.lock().journal.served.clone()
    }

    /// How many calls of `operation` were received.
    pub fn call_count(&self, operation: &str) -> usize {
        self.lock()
            .journal
            .calls
            .iter()
            .filter(|call| call.operation == operation)
            .count()
    }
}
