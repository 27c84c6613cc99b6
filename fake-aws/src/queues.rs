//! SQS's queues as tests, seeds and scripts see them: what a queue is ([`Queue`], with its
//! redrive policy), what its messages are ([`Message`]), and the [`FakeAws`] methods that make
//! queues, send messages as other principals would, list them, and move the queues' clock
//! forward ([`FakeAws::advance_time`]) so that tests need not wait out delays and timeouts.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::messages::{QueueKey, Sqs};
use crate::{own_account, FakeAws};

/// A queue, as seeded or created: `{"account"?, "region", "name", "visibilityTimeout"?,
/// "deadLetter"?: {"name", "maxReceiveCount"}}` (the dead-letter queue in the same account
/// and region).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Queue {
    #[serde(default = "own_account")]
    pub account: String,
    pub region: String,
    pub name: String,
    /// The default visibility timeout, in seconds.
    #[serde(default = "thirty")]
    pub visibility_timeout: u64,
    #[serde(default)]
    pub dead_letter: Option<DeadLetter>,
}

/// A redrive policy: where messages go once received `max_receive_count` times.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeadLetter {
    pub name: String,
    pub max_receive_count: u32,
}

fn thirty() -> u64 {
    30
}

impl Queue {
    /// A queue of the function's own account, visibility timeout 30 s, no dead-letter queue.
    pub fn new(region: &str, name: &str) -> Self {
        Queue {
            account: own_account(),
            region: region.into(),
            name: name.into(),
            visibility_timeout: thirty(),
            dead_letter: None,
        }
    }

    /// The same queue in another account.
    pub fn account(mut self, account: &str) -> Self {
        self.account = account.into();
        self
    }

    /// The same queue with another default visibility timeout, in seconds.
    pub fn visibility_timeout(mut self, seconds: u64) -> Self {
        self.visibility_timeout = seconds;
        self
    }

    /// The same queue, moving messages to `name` once received `max_receive_count` times.
    pub fn dead_letter(mut self, name: &str, max_receive_count: u32) -> Self {
        let name = name.into();
        self.dead_letter = Some(DeadLetter {
            name,
            max_receive_count,
        });
        self
    }

    /// `arn:aws:sqs:{region}:{account}:{name}`.
    pub fn arn(&self) -> String {
        format!("arn:aws:sqs:{}:{}:{}", self.region, self.account, self.name)
    }

    pub(crate) fn key(&self) -> QueueKey {
        (self.account.clone(), self.region.clone(), self.name.clone())
    }
}

/// A message as tests and scripts see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: String,
    pub body: String,
    pub receive_count: u32,
    pub visibility: Visibility,
    /// How long until it is visible (zero when it is), in milliseconds.
    pub visible_in_ms: u64,
    /// `SentTimestamp`, in milliseconds since the epoch (of the queues' clock).
    pub sent_timestamp: u64,
}

/// Whether a message can be received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Visibility {
    Visible,
    /// Sent with a delay that has not passed.
    Delayed,
    /// Received, its visibility timeout not over.
    InFlight,
}

impl Sqs {
    /// Every queue with its messages, for `GET /_fake/queues`.
    pub(crate) fn listing(&self) -> Value {
        let queues: Vec<Value> = self
            .queues
            .iter()
            .map(|(key, (queue, _))| {
                let mut listed = json!(queue);
                listed["messages"] = json!(self.messages(key));
                listed
            })
            .collect();
        json!(queues)
    }
}

impl FakeAws {
    /// Creates a queue (or replaces it, emptied).
    pub fn create_queue(&self, queue: Queue) {
        self.lock()
            .sqs
            .queues
            .insert(queue.key(), (queue, Vec::new()));
    }

    /// The URL of a queue, at this fake's endpoint.
    pub fn queue_url(&self, account: &str, name: &str) -> String {
        format!("{}/{account}/{name}", self.endpoint())
    }

    /// A queue's messages, oldest first. Panics when there is no such queue.
    pub fn messages(&self, account: &str, region: &str, name: &str) -> Vec<Message> {
        let key = (account.into(), region.into(), name.into());
        let messages = self.lock().sqs.messages(&key);
        messages.unwrap_or_else(|| panic!("the fake has no queue {name} in {account} {region}"))
    }

    /// Sends a message as another principal would; its ID. Panics when there is no such queue.
    pub fn send_message(
        &self,
        account: &str,
        region: &str,
        name: &str,
        body: &str,
        delay_seconds: u64,
    ) -> String {
        let key = (account.into(), region.into(), name.into());
        let mut state = self.lock();
        assert!(
            state.sqs.queues.contains_key(&key),
            "the fake has no queue {name} in {account} {region}"
        );
        state
            .sqs
            .send(&key, body, delay_seconds, "AIDAFAKEAWSSENDER0000")
    }

    /// Moves the queues' clock forward: delays and visibility timeouts pass sooner.
    pub fn advance_time(&self, by: Duration) {
        self.lock().sqs.advance += by;
    }
}
