//! What happens to the messages of SQS's (standard) queues: a delayed message is invisible
//! until its delay passes; a received one is in flight for a visibility timeout, then visible
//! again, received again with its receive count up, or moved to the dead-letter queue once
//! received `maxReceiveCount` times; a receipt handle deletes a message only while it is the
//! latest one.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::md5;
use crate::queues::{Message, Queue, Visibility};

/// A message in a queue.
#[derive(Clone, Debug)]
pub(crate) struct Stored {
    pub(crate) id: String,
    pub(crate) body: String,
    pub(crate) md5: String,
    pub(crate) sender: String,
    pub(crate) sent: u64,
    pub(crate) receive_count: u32,
    pub(crate) first_receive: Option<u64>,
    visible_at: u64,
    /// The latest receipt handle, the only one that deletes it.
    pub(crate) receipt: Option<String>,
    /// The queue it was moved from, in a dead-letter queue.
    pub(crate) source_arn: Option<String>,
}

/// `(account, region, name)`.
pub(crate) type QueueKey = (String, String, String);

/// SQS's state: the queues, their clock's advance, and the counter that names messages.
#[derive(Default)]
pub(crate) struct Sqs {
    pub(crate) queues: BTreeMap<QueueKey, (Queue, Vec<Stored>)>,
    pub(crate) advance: Duration,
    serial: u64,
}

/// Why a receipt handle cannot change a message's visibility.
pub(crate) enum NotChanged {
    /// It is not a handle of this queue.
    Invalid,
    /// The message is gone, or was received again since.
    Stale,
    /// The message is not in flight.
    NotInFlight,
}

impl Sqs {
    /// Now, on the queues' clock, in milliseconds since the epoch.
    pub(crate) fn now(&self) -> u64 {
        let now = SystemTime::now() + self.advance;
        now.duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }

    /// Adds a message; its ID.
    pub(crate) fn send(&mut self, key: &QueueKey, body: &str, delay: u64, sender: &str) -> String {
        self.serial += 1;
        let now = self.now();
        let hash = md5::hex(format!("{}/{now}", self.serial).as_bytes());
        let id = format!(
            "{}-{}-{}-{}-{}",
            &hash[..8],
            &hash[8..12],
            &hash[12..16],
            &hash[16..20],
            &hash[20..]
        );
        let message = Stored {
            id: id.clone(),
            body: body.into(),
            md5: md5::hex(body.as_bytes()),
            sender: sender.into(),
            sent: now,
            receive_count: 0,
            first_receive: None,
            visible_at: now + delay * 1000,
            receipt: None,
            source_arn: None,
        };
        if let Some((_, messages)) = self.queues.get_mut(key) {
            messages.push(message);
        }
        id
    }

    /// Receives up to `max` visible messages, in flight for `visibility` seconds (the queue's
    /// default when `None`), first moving to the dead-letter queue those received as often as
    /// its redrive policy allows.
    pub(crate) fn receive(
        &mut self,
        key: &QueueKey,
        max: usize,
        visibility: Option<u64>,
    ) -> Vec<Stored> {
        let now = self.now();
        let Some((queue, _)) = self.queues.get(key) else {
            return Vec::new();
        };
        let timeout = visibility.unwrap_or(queue.visibility_timeout);
        let (arn, redrive) = (queue.arn(), queue.dead_letter.clone());
        let dead_letter = redrive
            .as_ref()
            .map(|d| (key.0.clone(), key.1.clone(), d.name.clone()));
        let has_dead_letter = dead_letter
            .as_ref()
            .is_some_and(|k| self.queues.contains_key(k));
        let limit = redrive.map_or(u32::MAX, |d| d.max_receive_count);
        let (mut moved, mut received) = (Vec::new(), Vec::new());
        let Some((_, messages)) = self.queues.get_mut(key) else {
            return Vec::new();
        };
        let mut index = 0;
        while index < messages.len() && received.len() < max {
            let message = &mut messages[index];
            if message.visible_at > now {
                index += 1;
            } else if has_dead_letter && message.receive_count >= limit {
                let mut message = messages.remove(index);
                message.source_arn = Some(arn.clone());
                message.receipt = None;
                moved.push(message);
            } else {
                self.serial += 1;
                message.receive_count += 1;
                message.first_receive.get_or_insert(now);
                message.visible_at = now + timeout * 1000;
                let handle = format!(
                    "{}/{}/{}/{}/{}",
                    key.0, key.1, key.2, message.id, self.serial
                );
                message.receipt = Some(format!("AQEB{}", to_hex(handle.as_bytes())));
                received.push(message.clone());
                index += 1;
            }
        }
        if let Some((_, target)) = dead_letter.and_then(|k| self.queues.get_mut(&k)) {
            target.extend(moved);
        }
        received
    }

    /// The message of this queue a receipt handle names, if the handle is of this queue.
    fn find(&mut self, key: &QueueKey, handle: &str) -> Result<Option<&mut Stored>, NotChanged> {
        let decoded = handle
            .strip_prefix("AQEB")
            .and_then(from_hex)
            .ok_or(NotChanged::Invalid)?;
        let parts: Vec<&str> = decoded.split('/').collect();
        let [account, region, name, id, _] = parts[..] else {
            return Err(NotChanged::Invalid);
        };
        if (account, region, name) != (&*key.0, &*key.1, &*key.2) {
            return Err(NotChanged::Invalid);
        }
        let messages = self.queues.get_mut(key).map(|(_, m)| m);
        Ok(messages.and_then(|m| m.iter_mut().find(|m| m.id == id)))
    }

    /// Deletes the message whose latest receipt handle this is; an older handle, or that of a
    /// message already deleted, deletes nothing (as AWS allows), but is no error.
    pub(crate) fn delete(&mut self, key: &QueueKey, handle: &str) -> Result<bool, NotChanged> {
        let current = self
            .find(key, handle)?
            .is_some_and(|m| m.receipt.as_deref() == Some(handle));
        if current {
            if let Some((_, messages)) = self.queues.get_mut(key) {
                messages.retain(|m| m.receipt.as_deref() != Some(handle));
            }
        }
        Ok(current)
    }

    /// Makes a message in flight visible in `seconds` from now.
    pub(crate) fn change_visibility(
        &mut self,
        key: &QueueKey,
        handle: &str,
        seconds: u64,
    ) -> Result<(), NotChanged> {
        let now = self.now();
        let message = self.find(key, handle)?.ok_or(NotChanged::Stale)?;
        if message.receipt.as_deref() != Some(handle) {
            return Err(NotChanged::Stale);
        }
        if message.visible_at <= now {
            return Err(NotChanged::NotInFlight);
        }
        message.visible_at = now + seconds * 1000;
        Ok(())
    }

    /// A queue's messages as tests see them.
    pub(crate) fn messages(&self, key: &QueueKey) -> Option<Vec<Message>> {
        let now = self.now();
        let (_, messages) = self.queues.get(key)?;
        let message = |m: &Stored| Message {
            id: m.id.clone(),
            body: m.body.clone(),
            receive_count: m.receive_count,
            visibility: match (m.visible_at > now, m.receive_count) {
                (false, _) => Visibility::Visible,
                (true, 0) => Visibility::Delayed,
                (true, _) => Visibility::InFlight,
            },
            visible_in_ms: m.visible_at.saturating_sub(now),
            sent_timestamp: m.sent,
        };
        Some(messages.iter().map(message).collect())
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    String::from_utf8(bytes?).ok()
}
