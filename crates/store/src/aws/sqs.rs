//! The SQS adapter: the label queue, for messages handed back to wait their turn.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::Client;

use crate::ports::LabelQueue;
use crate::StoreError;

/// SQS's longest message delay.
const MAX_DELAY_SECONDS: u64 = 900;

/// One queue, by URL.
#[derive(Clone, Debug)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> SqsQueue {
        SqsQueue {
            client,
            queue_url: queue_url.into(),
        }
    }
}

#[async_trait]
impl LabelQueue for SqsQueue {
    async fn send_later(&self, body: &str, delay: Duration) -> Result<(), StoreError> {
        let seconds = delay.as_secs().min(MAX_DELAY_SECONDS);
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .delay_seconds(i32::try_from(seconds).unwrap_or(0))
            .send()
            .await
            .map(|_| ())
            .map_err(|error| StoreError::unavailable("SQS", "SendMessage", error))
    }
}
