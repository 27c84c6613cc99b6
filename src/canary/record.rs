//! The breaker's record of each deployment the canary judge watches, in the state table, and the
//! polls it sends itself through its own queue: each poll is sent before the record moves on to
//! it, so that no poll is lost, and only the poll the record expects is taken, so that a repeated
//! START or poll changes nothing. A message proves nothing: every poll reads CodeDeploy again.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::aws::{Deadline, Expect, StateTable, WatchQueue, Written};
use crate::time::Time;
use crate::types::{is_deployment_id, token};

/// A poll the breaker sent itself: the deployment, where it is, and which poll (from 1).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Poll {
    pub deployment_id: String,
    pub account: String,
    pub region: String,
    pub poll: u32,
    /// The token its record was written with: of two messages of one poll (a repeated START, two
    /// deliveries that took the same poll), only the one whose write won is taken.
    #[serde(default)]
    pub token: String,
}

impl Poll {
    /// Whether it names a deployment as CodeDeploy gives one.
    pub fn valid(&self) -> Result<(), String> {
        match is_deployment_id(&self.deployment_id) {
            true => Ok(()),
            false => Err(format!("`{}` is not a deployment ID", self.deployment_id)),
        }
    }
}

/// A watched deployment, as its record holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Watched {
    pub deployment_id: String,
    pub account: String,
    pub region: String,
    /// The deployment's application and group, as CodeDeploy said at its START.
    #[serde(default)]
    pub application: String,
    #[serde(default)]
    pub group: String,
    /// When the watch began (epoch milliseconds).
    pub started: i64,
    /// The poll expected next, and the token its message carries.
    pub poll: u32,
    #[serde(default)]
    pub token: String,
    /// The verdict last told (`pass`, `fail`, `inconclusive`), once told.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// Why the watch ended, once it has: no poll is taken after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
}

/// The record's key: the deployment, where it is.
fn key(account: &str, region: &str, deployment_id: &str) -> String {
    format!("judge#{account}#{region}#{deployment_id}")
}

/// A poll may arrive this soon after it was due and before its record moved on to it: it comes
/// back a moment later instead of being dropped.
const EARLY_SECS: i64 = 60;
/// How long a record outlives its last poll.
const KEPT_SECS: i64 = 2 * 86_400;

impl Watched {
    pub fn new(deployment_id: &str, (account, region): (&str, &str), started: Time) -> Watched {
        Watched {
            deployment_id: deployment_id.to_string(),
            account: account.to_string(),
            region: region.to_string(),
            started: started.millis(),
            ..Watched::default()
        }
    }

    fn key(&self) -> String {
        key(&self.account, &self.region, &self.deployment_id)
    }

    fn record(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }

    /// Writes the record as it now is, from the poll before (`Expect::New` for the first).
    async fn put(
        &self,
        table: &StateTable,
        first: bool,
        work: Deadline,
    ) -> Result<Written, String> {
        let was = Value::from(self.poll.saturating_sub(1));
        let expect = match first {
            true => vec![Expect::New],
            false => vec![Expect::Equals("poll", &was), Expect::Without("ended")],
        };
        let expires = Time::now().plus_secs(KEPT_SECS);
        (table
            .put(work, (&self.key(), expires), &self.record(), &expect)
            .await)
            .map_err(|e| format!("could not record the watch: {e}"))
    }
}

/// Sends the poll after `watched.poll` to come back after `delay`, then moves the record on to
/// it (or writes it, for the watch's `first`); refused when another delivery did first.
pub async fn next(
    watched: &mut Watched,
    first: bool,
    (table, queue): (&StateTable, &WatchQueue),
    delay: Duration,
    work: Deadline,
) -> Result<Written, String> {
    watched.poll += 1;
    watched.token = token();
    let poll = Poll {
        deployment_id: watched.deployment_id.clone(),
        account: watched.account.clone(),
        region: watched.region.clone(),
        poll: watched.poll,
        token: watched.token.clone(),
    };
    let body = serde_json::to_string(&poll).unwrap_or_default();
    (queue.send(work, &body, delay).await)
        .map_err(|e| format!("could not send the next poll to the queue: {e}"))?;
    watched.put(table, first, work).await
}

/// Ends the watch at the poll it is at, saying why; refused when another delivery moved it on.
pub async fn end(
    mut watched: Watched,
    why: &str,
    table: &StateTable,
    work: Deadline,
) -> Result<Written, String> {
    watched.ended = Some(why.to_string());
    watched.poll += 1;
    watched.put(table, false, work).await
}

/// What a poll from the queue is to its deployment's record.
#[derive(Debug)]
pub enum Opened {
    /// The poll the record expects next: take it.
    Take(Watched),
    /// Not a poll to take (a repeat, a watch ended, a forgery): why.
    Drop(String),
    /// Not known yet (the record could not be read, or has not moved on to it yet): why; it
    /// comes back a moment later.
    Later(String),
}

/// The record of the deployment `poll` is about, weighed against the poll, sent at `sent` to
/// come back after `delay` seconds.
pub async fn open(
    poll: &Poll,
    (sent, delay): (Option<Time>, i64),
    table: &StateTable,
    work: Deadline,
) -> Opened {
    let key = key(&poll.account, &poll.region, &poll.deployment_id);
    let young = sent.is_some_and(|at| Time::now().secs_since(at) < delay + EARLY_SECS);
    let record = match table.get(work, &key).await {
        Ok(Some(record)) => record,
        Ok(None) if young => return Opened::Later("its watch is not recorded yet".into()),
        Ok(None) => {
            let id = &poll.deployment_id;
            return Opened::Drop(format!("{id} is not watched: a forged or stray message"));
        }
        Err(e) => return Opened::Later(format!("could not read the watch's record: {e}")),
    };
    let watched: Watched = match serde_json::from_value(Value::Object(record)) {
        Ok(watched) => watched,
        Err(e) => return Opened::Drop(format!("the record is not one the breaker writes: {e}")),
    };
    let (expects, got) = (watched.poll, poll.poll);
    match &watched.ended {
        Some(why) => Opened::Drop(format!("the watch ended already: {why}")),
        None if got == expects && poll.token == watched.token => Opened::Take(watched),
        None if got == expects => Opened::Drop(format!(
            "a twin of poll {got}: another delivery's write won, and its message is the one taken"
        )),
        None if got == expects + 1 && young => Opened::Later(format!(
            "poll {got} came before its record moved on from {expects}"
        )),
        None => Opened::Drop(format!(
            "a repeat or a stray: poll {got}, the record expects poll {expects}"
        )),
    }
}
