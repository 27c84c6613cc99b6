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

/// PutEvents takes at most this many entries a request…
const ENTRIES_LIMIT: usize = 10;
/// …and at most this many bytes, counted as EventBridge counts an entry (see [`size`]).
const REQUEST_BYTES_LIMIT: usize = 256 * 1024;

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

    /// Puts `notifications` on the bus, in requests within PutEvents' limits, sent together.
    pub async fn put(&self, deadline: Deadline, notifications: &[Notification]) -> Delivery {
        let chunks = requests(notifications);
        let results = join_all(chunks.iter().map(|chunk| {
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
        for (chunk, result) in chunks.into_iter().zip(results) {
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

/// An entry's size as EventBridge counts it: 14 bytes for the time, and the bytes of the source,
/// detail type, detail and resources.
fn size(notification: &Notification) -> usize {
    let resources: usize = notification.resources.iter().map(String::len).sum();
    14 + SOURCE.len() + notification.detail_type.len() + notification.detail.len() + resources
}

/// `notifications` cut into requests of at most ten entries and 256 KB each, in order.
fn requests(notifications: &[Notification]) -> Vec<&[Notification]> {
    let mut requests = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (index, notification) in notifications.iter().enumerate() {
        let size = size(notification);
        if index > start && (index - start == ENTRIES_LIMIT || bytes + size > REQUEST_BYTES_LIMIT) {
            requests.push(&notifications[start..index]);
            (start, bytes) = (index, 0);
        }
        bytes += size;
    }
    if start < notifications.len() {
        requests.push(&notifications[start..]);
    }
    requests
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notification(detail_bytes: usize) -> Notification {
        Notification {
            detail_type: "Deployment Stopped",
            detail: "x".repeat(detail_bytes),
            resources: vec![],
        }
    }

    #[test]
    fn requests_keep_within_ten_entries_and_256_kb() {
        let small: Vec<_> = (0..23).map(|_| notification(100)).collect();
        let sizes: Vec<usize> = requests(&small).iter().map(|r| r.len()).collect();
        assert_eq!(sizes, vec![10, 10, 3]);
        let big: Vec<_> = (0..5).map(|_| notification(100 * 1024)).collect();
        let cut = requests(&big);
        assert_eq!(
            cut.iter().map(|r| r.len()).collect::<Vec<_>>(),
            vec![2, 2, 1]
        );
        for request in cut {
            assert!(request.iter().map(size).sum::<usize>() <= REQUEST_BYTES_LIMIT);
        }
        assert!(requests(&[]).is_empty());
    }
}
