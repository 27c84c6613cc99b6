//! A function's own SQS queue of waits (`WATCH_QUEUE_URL`): a wait is a message the function
//! sends itself, delayed, which the queue's event source mapping delivers back (`SendMessage`
//! and ChangeMessageVisibility only).

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_sqs::Client;

use super::calls::{Calls, Deadline};
use super::errors::aws_error;
use crate::types::AwsError;

/// The longest delay SQS gives a message.
pub const MAX_DELAY: Duration = Duration::from_secs(900);

pub struct WatchQueue {
    client: Client,
    url: String,
    calls: Calls,
}

impl WatchQueue {
    pub fn new(base: &SdkConfig, url: &str) -> Self {
        WatchQueue {
            client: Client::new(base),
            url: url.to_string(),
            calls: Calls::default(),
        }
    }

    /// Sends `body` to come back after `delay` (whole seconds, at least one, at most
    /// [`MAX_DELAY`]).
    pub async fn send(
        &self,
        deadline: Deadline,
        body: &str,
        delay: Duration,
    ) -> Result<(), AwsError> {
        let seconds = delay.as_secs().clamp(1, MAX_DELAY.as_secs()) as i32;
        let call = Box::pin(
            (self.client.send_message())
                .queue_url(&self.url)
                .message_body(body)
                .delay_seconds(seconds)
                .send(),
        );
        let work = async { call.await.map_err(|e| aws_error("SendMessage", e)) };
        self.calls.run(deadline, "SendMessage", work).await?;
        Ok(())
    }

    /// Has a message received with `receipt` come back after `delay` (ChangeMessageVisibility),
    /// instead of after the queue's visibility timeout.
    pub async fn later(
        &self,
        deadline: Deadline,
        receipt: &str,
        delay: Duration,
    ) -> Result<(), AwsError> {
        let call = Box::pin(
            (self.client.change_message_visibility())
                .queue_url(&self.url)
                .receipt_handle(receipt)
                .visibility_timeout(delay.as_secs().min(43_200) as i32)
                .send(),
        );
        let work = async {
            call.await
                .map_err(|e| aws_error("ChangeMessageVisibility", e))
        };
        self.calls
            .run(deadline, "ChangeMessageVisibility", work)
            .await?;
        Ok(())
    }
}
