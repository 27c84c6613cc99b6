//! Waiting without holding an invocation: a hook one look could not settle is recorded in the
//! state table (once: a repeated delivery finds the record and does nothing) and looked at again
//! through the gate's own queue, one look per message, each sent before the record moves on, so
//! that a look is never lost and a repeated one changes nothing. A message proves nothing: only
//! the look the record expects next, with the token of the write that expects it, is taken, and
//! every look reads CodeDeploy and the alarms again.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::call::{HookCall, Look};
use super::check::Wait;
use super::report::{insufficient_data, GateOutcome, GateReport};
use crate::aws::{Deadline, Expect, GateAws, StateTable, WatchQueue, Written, MAX_DELAY};
use crate::config::Config;
use crate::time::Time;
use crate::types::{token, HookAnswer};

/// How long reads that fail in a row are retried (a bake's hook: until its bake's end, if later).
const RETRY_SECS: i64 = 300;
/// CodeDeploy waits an hour for a hook's answer: the gate answers within this of first seeing it.
const ANSWER_WITHIN_SECS: i64 = 3300;
/// A look may arrive this soon after it was sent and before its record moved on to it: such a
/// look comes back a moment later instead of being dropped.
const EARLY_SECS: i64 = 60;
/// A failed read is retried after the bake's look interval, doubled at each failure in a row up
/// to this.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(60);
/// How long a record outlives its hook: CodeDeploy waits at most an hour for an answer.
const KEPT_SECS: i64 = 2 * 3600;

/// A watched hook, as its record holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Watched {
    pub deployment_id: String,
    /// When the gate first saw the hook (epoch milliseconds).
    pub first_seen: i64,
    /// The look expected next, and the token its message carries.
    pub look: u32,
    #[serde(default)]
    pub token: String,
    /// Reads that failed in a row, and since when (epoch milliseconds).
    #[serde(default)]
    pub failed_reads: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<i64>,
    /// When the bake ends, once known (epoch milliseconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bake_ends: Option<i64>,
    /// Guarding alarms seen in `INSUFFICIENT_DATA` at any look.
    #[serde(default)]
    pub insufficient: BTreeSet<String>,
    /// What CodeDeploy was told, once told: absent until then (see [`answered`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

impl Watched {
    pub fn first_seen(&self) -> Time {
        Time::from_millis(self.first_seen)
    }

    fn record(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }
}

/// The record's key: the hook, its execution ID hashed (the ID is a capability).
fn key(call: &HookCall) -> String {
    format!("hook#{}#{}", call.deployment_id, call.execution_hash())
}

/// The table and the queue, or why the gate cannot wait.
fn parts(aws: &GateAws) -> Result<(&StateTable, &WatchQueue), String> {
    (aws.watch.as_ref())
        .map(|(table, queue)| (table, queue))
        .ok_or_else(|| "STATE_TABLE or WATCH_QUEUE_URL is not set, so the gate cannot wait".into())
}

/// How long to wait before the next look; `None` once reads failing in a row have been retried
/// long enough (5 minutes, or to the bake's end if later, and never past the hook's hour).
fn next_delay(watched: &Watched, wait: &Wait, interval: Duration) -> Option<Duration> {
    let now = Time::now();
    let (until, delay) = match wait {
        Wait::Bake(until) => (*until, interval),
        Wait::Retry(_) => {
            let since = Time::from_millis(watched.failing_since.unwrap_or(now.millis()));
            let bake_end = watched.bake_ends.map(Time::from_millis);
            let until = (bake_end.into_iter())
                .fold(since.plus_secs(RETRY_SECS), Time::max)
                .min(watched.first_seen().plus_secs(ANSWER_WITHIN_SECS));
            if until <= now {
                return None;
            }
            let doubled = interval * 2u32.pow(watched.failed_reads.saturating_sub(1).min(6));
            (until, doubled.min(MAX_RETRY_DELAY))
        }
    };
    let left = Duration::from_millis(until.millis().saturating_sub(now.millis()).max(0) as u64);
    Some(delay.min(left).clamp(Duration::from_secs(1), MAX_DELAY))
}

/// How often a bake of `seconds` is looked at: a tenth of it, from 1 s to 30 s (two looks a
/// minute for a long bake).
pub fn interval(seconds: i64) -> Duration {
    Duration::from_secs((seconds / 10).clamp(1, 30) as u64)
}

/// The look after `watched.look` (the hook's first, when `first`), for `report`'s hook: sent,
/// then recorded, so that a look is never lost; a repeated delivery finds the record moved on
/// and is dropped. Reads failing past their retries settle the report as `GATE_ON_ERROR` says;
/// an error sending or recording the look is returned, for the caller to retry.
pub async fn again(
    call: &HookCall,
    (mut watched, first): (Watched, bool),
    (mut report, wait): (GateReport, Wait),
    config: &Config,
    aws: &GateAws,
    work: Deadline,
) -> Result<GateReport, String> {
    let (table, queue) = match parts(aws) {
        Ok(parts) => parts,
        Err(why) => return Ok(report.could_not_check(config.gate_on_error, why)),
    };
    (watched.insufficient).extend(insufficient_data(&report.alarms));
    report.insufficient_data = watched.insufficient.clone();
    match &wait {
        Wait::Bake(until) => {
            (watched.failed_reads, watched.failing_since) = (0, None);
            watched.bake_ends = Some(until.millis());
        }
        Wait::Retry(why) => {
            watched.failed_reads += 1;
            (watched.failing_since).get_or_insert(Time::now().millis());
            report.errors.push(why.clone());
        }
    }
    let Some(delay) = next_delay(&watched, &wait, interval(config.bake_seconds)) else {
        // Only failing reads run out of time: a bake always has a next look.
        let why = report.errors.last().cloned().unwrap_or_default();
        let tries = watched.failed_reads;
        let why = format!("{why} ({tries} looks in a row could not read it, retried for {RETRY_SECS} s or to the bake's end)");
        return Ok(report.could_not_check(config.gate_on_error, why));
    };
    watched.look += 1;
    watched.token = token();
    let sent = send(call, &watched, (table, queue), delay, first, work).await?;
    let next = Time::now().plus_secs(delay.as_secs() as i64);
    Ok(match sent {
        Written::Done => {
            let reason = match &wait {
                Wait::Bake(until) => format!("baking until {until}; looks again at {next}"),
                Wait::Retry(why) => format!("{why}; looks again at {next}"),
            };
            report.settle(GateOutcome::Waiting, None, reason)
        }
        Written::Refused => report.settle(
            GateOutcome::Dropped,
            None,
            "a repeat: the hook is watched already, and another delivery took this look".into(),
        ),
    })
}

/// Sends look `watched.look` to come back after `delay`, then moves the record on to it from the
/// look before (or writes it, for the hook's `first`); refused when another delivery did first.
async fn send(
    call: &HookCall,
    watched: &Watched,
    (table, queue): (&StateTable, &WatchQueue),
    delay: Duration,
    first: bool,
    work: Deadline,
) -> Result<Written, String> {
    let look = Look {
        deployment_id: call.deployment_id.clone(),
        execution_id: call.execution_id.clone(),
        look: watched.look,
        token: watched.token.clone(),
    };
    let body = serde_json::to_string(&look).unwrap_or_default();
    (queue.send(work, &body, delay).await)
        .map_err(|e| format!("could not send the next look to the queue: {e}"))?;
    let was = Value::from(watched.look - 1);
    let expect = match first {
        true => vec![Expect::New],
        false => vec![Expect::Equals("look", &was), Expect::Without("answer")],
    };
    let expires = Time::now().plus_secs(KEPT_SECS);
    (table
        .put(work, (&key(call), expires), &watched.record(), &expect)
        .await)
        .map_err(|e| format!("could not record the hook being watched: {e}"))
}

/// A hook seen for the first time, at `first_seen`.
pub fn first(call: &HookCall, first_seen: Time) -> Watched {
    Watched {
        deployment_id: call.deployment_id.clone(),
        first_seen: first_seen.millis(),
        ..Watched::default()
    }
}

/// Why a hook that arrives is watched already (a repeated delivery, which changes nothing), or
/// `None` when it is not, or its record cannot be read (a look is safe to make).
pub async fn watched_already(call: &HookCall, aws: &GateAws, work: Deadline) -> Option<String> {
    let (table, _) = parts(aws).ok()?;
    let record = table.get(work, &key(call)).await.ok()??;
    let watched: Watched = serde_json::from_value(Value::Object(record)).ok()?;
    Some(match watched.answer {
        Some(answer) => format!("a repeat: the hook was answered {answer} already"),
        None => format!(
            "a repeat: the hook is watched already (since {}), at look {}",
            watched.first_seen(),
            watched.look
        ),
    })
}

/// What a look from the queue is to the record of its hook.
#[derive(Debug)]
pub enum Opened {
    /// The look the record expects next: take it.
    Take(Watched),
    /// Not a look to take (a repeat, a hook answered already, a forgery): why.
    Drop(String),
    /// Not yet known (the record could not be read, or has not moved on to it yet): why; it
    /// comes back a moment later.
    Later(String),
}

/// The record of the hook `look` is about, weighed against the look, which was sent at `sent`.
pub async fn open(look: &Look, sent: Option<Time>, aws: &GateAws, work: Deadline) -> Opened {
    let (table, _) = match parts(aws) {
        Ok(parts) => parts,
        Err(why) => return Opened::Drop(why),
    };
    let call = look.hook();
    let young = sent.is_some_and(|at| Time::now().secs_since(at) < EARLY_SECS);
    let record = match table.get(work, &key(&call)).await {
        Ok(Some(record)) => record,
        Ok(None) if young => return Opened::Later("its hook's record is not written yet".into()),
        Ok(None) => {
            let id = &call.deployment_id;
            return Opened::Drop(format!(
                "no hook of {id} with this execution ID is watched: a forged or stray message"
            ));
        }
        Err(e) => return Opened::Later(format!("could not read the hook's record: {e}")),
    };
    let watched: Watched = match serde_json::from_value(Value::Object(record)) {
        Ok(watched) => watched,
        Err(e) => {
            return Opened::Drop(format!("the hook's record is not one the gate writes: {e}"))
        }
    };
    let (expects, got) = (watched.look, look.look);
    match &watched.answer {
        Some(answer) => Opened::Drop(format!("the hook was answered {answer} already")),
        None if got == expects && look.token == watched.token => Opened::Take(watched),
        None if got == expects => Opened::Drop(format!(
            "a twin of look {got}: another delivery's write won, and its message is the one taken"
        )),
        None if got == expects + 1 && young => Opened::Later(format!(
            "look {got} came before its record moved on from {expects}"
        )),
        None => Opened::Drop(format!(
            "a repeat or a stray: look {got}, the record expects look {expects}"
        )),
    }
}

/// Records the answer CodeDeploy took, so that no later look answers again.
pub async fn answered(
    call: &HookCall,
    mut watched: Watched,
    answer: HookAnswer,
    aws: &GateAws,
    work: Deadline,
) -> Result<(), String> {
    let (table, _) = parts(aws)?;
    let was = Value::from(watched.look);
    watched.answer = Some(answer.as_str().to_string());
    let expect = [Expect::Equals("look", &was), Expect::Without("answer")];
    let expires = Time::now().plus_secs(KEPT_SECS);
    match table
        .put(work, (&key(call), expires), &watched.record(), &expect)
        .await
    {
        Ok(Written::Done) => Ok(()),
        Ok(Written::Refused) => Err("its record had moved on, or had an answer already".into()),
        Err(e) => Err(format!("could not record the answer: {e}")),
    }
}
