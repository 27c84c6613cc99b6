//! Injected faults: error answers (throttling, failures), dropped connections and slow answers,
//! each for the next calls of an operation (naming a deployment, if given), and PutEvents
//! entries to reject.

use std::time::Duration;

use serde_json::Value;

use crate::{string_field, FakeAws, State};

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

/// A fault waiting for the calls it applies to.
#[derive(Clone, Debug)]
pub(crate) struct Fault {
    operation: String,
    deployment_id: Option<String>,
    kind: FaultKind,
    remaining: usize,
}

impl FakeAws {
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
            .events
            .rejections
            .extend(std::iter::repeat_n(error_code.to_string(), entries));
    }
}

impl State {
    /// The fault to apply to a call of `operation` with this input, if any, counted as applied.
    pub(crate) fn take_fault(&mut self, operation: &str, body: &Value) -> Option<FaultKind> {
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
