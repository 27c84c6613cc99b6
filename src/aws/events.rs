//! EventBridge: the notifications the function puts on a bus of its own account and region
//! (`PutEvents`, at most 10 entries a call).

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use futures_util::future::join_all;

use super::calls::{Calls, Deadline};
use super::errors::aws_error;
use super::sdk::{warm_up, Unsigned};
use crate::types::{Notification, SOURCE};

/// PutEvents takes at most this many entries.
const ENTRIES_LIMIT: usize = 10;

/// What became of some notifications.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    /// Entries not put on the bus: a failed call's, or entries EventBridge rejected.
    pub failed: usize,
    /// Why, one line each.
    pub errors: Vec<String>,
}

/// A bus to put notifications on.
pub struct EventBus {
    client: Client,
    bus: String,
    calls: Calls,
}

impl EventBus {
    /// The bus `bus` (a name or an ARN) of the account and region `base` gives.
    pub fn new(base: &SdkConfig, bus: &str) -> Self {
        EventBus {
            client: Client::new(base),
            bus: bus.into(),
            calls: Calls::default(),
        }
    }

    /// Readies the client for the first notification, within `limit` (see [`Unsigned`]).
    pub async fn warm_up(&self, limit: Duration) {
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(SOURCE)
            .detail_type("Warm-up")
            .detail("{}")
            .build();
        let request = self
            .client
            .put_events()
            .entries(entry)
            .customize()
            .interceptor(Unsigned)
            .send();
        warm_up("EventBridge", "PutEvents", limit, request).await;
    }

    /// Puts `notifications` on the bus, ten a call, the calls together.
    pub async fn put(&self, deadline: Deadline, notifications: &[Notification]) -> Delivery {
        let results = join_all(notifications.chunks(ENTRIES_LIMIT).map(|chunk| {
            let entries = chunk
                .iter()
                .map(|n| {
                    PutEventsRequestEntry::builder()
                        .event_bus_name(&self.bus)
                        .source(SOURCE)
                        .detail_type(n.detail_type)
                        .detail(&n.detail)
                        .set_resources(Some(n.resources.clone()))
                        .build()
                })
                .collect();
            let request = self.client.put_events().set_entries(Some(entries));
            let work = async { request.send().await.map_err(|e| aws_error("PutEvents", e)) };
            self.calls.run(deadline, "PutEvents", work)
        }))
        .await;
        let mut delivery = Delivery::default();
        for (chunk, result) in notifications.chunks(ENTRIES_LIMIT).zip(results) {
            let output = match result {
                Ok(output) => output,
                Err(e) => {
                    delivery.failed += chunk.len();
                    delivery.errors.push(e.to_string());
                    continue;
                }
            };
            let entries = output.entries();
            for (index, notification) in chunk.iter().enumerate() {
                let code = match entries.get(index) {
                    Some(entry) => entry.error_code().map(|code| {
                        format!("{code}: {}", entry.error_message().unwrap_or_default())
                    }),
                    None => Some("no answer for this entry".into()),
                };
                match code {
                    None => delivery.sent += 1,
                    Some(why) => {
                        delivery.failed += 1;
                        let kind = notification.detail_type;
                        delivery.errors.push(format!("{kind} rejected: {why}"));
                    }
                }
            }
        }
        delivery
    }
}
