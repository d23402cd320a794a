//! Lambda's SQS event source mapping: long-polls a queue, hands batches to the function as SQS
//! events, never runs more than `MaximumConcurrency` invocations at once, deletes what succeeded
//! and leaves reported `batchItemFailures` (or the whole batch, when the function fails) to come
//! back after the visibility timeout, as Lambda does.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage, SqsMessageAttribute};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use serde_json::Value as Json;
use tokio::sync::Semaphore;

use crate::gateway::lambda::Functions;
use crate::provision::aws_message;
use crate::template::as_text;

/// Lambda's default for SQS event sources without `ScalingConfig`.
const DEFAULT_MAXIMUM_CONCURRENCY: usize = 1000;
const LONG_POLL_SECONDS: i32 = 2;

#[derive(Debug, Clone, PartialEq)]
pub struct SqsMapping {
    /// The event's name in the template, for logs.
    pub name: String,
    pub function: String,
    pub queue_arn: String,
    pub queue_url: String,
    pub batch_size: i32,
    pub maximum_concurrency: usize,
    pub report_batch_item_failures: bool,
}

impl SqsMapping {
    /// Reads an `Events` entry of `Type: SQS` (properties already resolved). `queue_urls` maps
    /// queue ARNs to their URLs.
    pub fn from_event(
        name: &str,
        function: &str,
        event: &Json,
        queue_urls: &HashMap<String, String>,
    ) -> Option<Self> {
        if event.get("Type").and_then(Json::as_str) != Some("SQS") {
            return None;
        }
        let properties = event.get("Properties")?;
        let queue_arn = properties.get("Queue").map(as_text)?;
        let queue_url = queue_urls.get(&queue_arn)?.clone();
        let batch_size = properties
            .get("BatchSize")
            .and_then(|size| as_text(size).parse().ok())
            .unwrap_or(10);
        let maximum_concurrency = properties
            .pointer("/ScalingConfig/MaximumConcurrency")
            .and_then(|limit| as_text(limit).parse().ok())
            .unwrap_or(DEFAULT_MAXIMUM_CONCURRENCY);
        let report_batch_item_failures = properties
            .get("FunctionResponseTypes")
            .and_then(Json::as_array)
            .is_some_and(|types| types.iter().any(|kind| kind == "ReportBatchItemFailures"));
        Some(Self {
            name: name.to_owned(),
            function: function.to_owned(),
            queue_arn,
            queue_url,
            batch_size: batch_size.clamp(1, 10),
            maximum_concurrency: maximum_concurrency.max(1),
            report_batch_item_failures,
        })
    }
}

/// Polls until the task is aborted.
pub async fn run(
    mapping: SqsMapping,
    sqs: aws_sdk_sqs::Client,
    functions: Arc<Functions>,
    region: String,
) {
    let slots = Arc::new(Semaphore::new(mapping.maximum_concurrency));
    let mapping = Arc::new(mapping);
    tracing::info!(
        mapping = %mapping.name,
        function = %mapping.function,
        maximum_concurrency = mapping.maximum_concurrency,
        "event source mapping polling"
    );
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let received = sqs
            .receive_message()
            .queue_url(&mapping.queue_url)
            .max_number_of_messages(mapping.batch_size)
            .wait_time_seconds(LONG_POLL_SECONDS)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await;
        let messages = match received {
            Ok(output) => output.messages.unwrap_or_default(),
            Err(error) => {
                tracing::warn!(mapping = %mapping.name, error = %aws_message(&error), "receive failed");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        if messages.is_empty() {
            continue;
        }
        let event = sqs_event(&messages, &mapping.queue_arn, &region);
        let sqs = sqs.clone();
        let functions = functions.clone();
        let mapping = mapping.clone();
        tokio::spawn(async move {
            deliver(&mapping, &sqs, &functions, event).await;
            drop(slot);
        });
    }
}

async fn deliver(
    mapping: &SqsMapping,
    sqs: &aws_sdk_sqs::Client,
    functions: &Functions,
    event: SqsEvent,
) {
    let payload = match serde_json::to_vec(&event) {
        Ok(payload) => payload,
        Err(error) => {
            tracing::error!(mapping = %mapping.name, %error, "cannot encode the SQS event");
            return;
        }
    };
    let invocation = match functions.invoke(&mapping.function, payload.into()).await {
        Ok(invocation) => invocation,
        Err(error) => {
            tracing::warn!(mapping = %mapping.name, %error, "batch not delivered; it comes back after the visibility timeout");
            return;
        }
    };
    if invocation.function_error {
        tracing::warn!(mapping = %mapping.name, messages = event.records.len(), "function failed; the batch comes back after the visibility timeout");
        return;
    }
    let failed = if mapping.report_batch_item_failures {
        failed_items(&invocation.payload)
    } else {
        HashSet::new()
    };
    let entries: Vec<DeleteMessageBatchRequestEntry> = event
        .records
        .iter()
        .filter(|record| {
            record
                .message_id
                .as_ref()
                .is_some_and(|id| !failed.contains(id))
        })
        .enumerate()
        .filter_map(|(index, record)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(index.to_string())
                .receipt_handle(record.receipt_handle.clone().unwrap_or_default())
                .build()
                .ok()
        })
        .collect();
    if !failed.is_empty() {
        tracing::info!(mapping = %mapping.name, failed = failed.len(), "batch item failures left for redelivery");
    }
    if entries.is_empty() {
        return;
    }
    let deleted = sqs
        .delete_message_batch()
        .queue_url(&mapping.queue_url)
        .set_entries(Some(entries))
        .send()
        .await;
    if let Err(error) = deleted {
        tracing::warn!(mapping = %mapping.name, error = %aws_message(&error), "delete failed; messages will be redelivered");
    }
}

/// The ids in a `{"batchItemFailures": [{"itemIdentifier": …}]}` answer; an answer that is not
/// one (null, or any other document) reports no failures, as with Lambda.
fn failed_items(payload: &[u8]) -> HashSet<String> {
    serde_json::from_slice::<SqsBatchResponse>(payload)
        .map(|response| {
            response
                .batch_item_failures
                .into_iter()
                .map(|failure| failure.item_identifier)
                .collect()
        })
        .unwrap_or_default()
}

fn sqs_event(messages: &[Message], queue_arn: &str, region: &str) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = messages
        .iter()
        .map(|message| {
            let mut record = SqsMessage::default();
            record.message_id = message.message_id.clone();
            record.receipt_handle = message.receipt_handle.clone();
            record.body = message.body.clone();
            record.md5_of_body = message.md5_of_body.clone();
            record.md5_of_message_attributes = message.md5_of_message_attributes.clone();
            record.attributes = message
                .attributes
                .iter()
                .flatten()
                .map(|(name, value)| (name.as_str().to_owned(), value.clone()))
                .collect();
            record.message_attributes = message
                .message_attributes
                .iter()
                .flatten()
                .map(|(name, value)| {
                    let mut attribute = SqsMessageAttribute::default();
                    attribute.string_value = value.string_value.clone();
                    attribute.string_list_values =
                        value.string_list_values.clone().unwrap_or_default();
                    attribute.data_type = Some(value.data_type.clone());
                    (name.clone(), attribute)
                })
                .collect();
            record.event_source = Some("aws:sqs".to_owned());
            record.event_source_arn = Some(queue_arn.to_owned());
            record.aws_region = Some(region.to_owned());
            record
        })
        .collect();
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_reads_batch_size_concurrency_and_response_types() {
        let event = serde_json::json!({
            "Type": "SQS",
            "Properties": {
                "Queue": "arn:aws:sqs:us-east-1:123456789012:q",
                "BatchSize": 1,
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "ScalingConfig": {"MaximumConcurrency": 5}
            }
        });
        let urls = HashMap::from([(
            "arn:aws:sqs:us-east-1:123456789012:q".to_owned(),
            "http://gw/123456789012/q".to_owned(),
        )]);
        let mapping =
            SqsMapping::from_event("LabelQueue", "label-worker", &event, &urls).expect("SQS event");
        assert_eq!(mapping.batch_size, 1);
        assert_eq!(mapping.maximum_concurrency, 5);
        assert!(mapping.report_batch_item_failures);
        assert_eq!(mapping.queue_url, "http://gw/123456789012/q");
        let other = serde_json::json!({"Type": "EventBridgeRule", "Properties": {}});
        assert!(SqsMapping::from_event("Rule", "reaper", &other, &urls).is_none());
    }

    #[test]
    fn events_carry_lambdas_record_shape() {
        let message = Message::builder()
            .message_id("m1")
            .receipt_handle("r1")
            .body(r#"{"taskToken":"t"}"#)
            .attributes(MessageSystemAttributeName::ApproximateReceiveCount, "1")
            .build();
        let event = sqs_event(
            &[message],
            "arn:aws:sqs:us-east-1:123456789012:q",
            "us-east-1",
        );
        let document = serde_json::to_value(&event).expect("encodes");
        let record = &document["Records"][0];
        assert_eq!(record["messageId"], "m1");
        assert_eq!(record["receiptHandle"], "r1");
        assert_eq!(record["eventSource"], "aws:sqs");
        assert_eq!(
            record["eventSourceARN"],
            "arn:aws:sqs:us-east-1:123456789012:q"
        );
        assert_eq!(record["attributes"]["ApproximateReceiveCount"], "1");
    }

    #[test]
    fn only_reported_items_stay_on_the_queue() {
        let failed = failed_items(br#"{"batchItemFailures":[{"itemIdentifier":"m2"}]}"#);
        assert_eq!(failed, HashSet::from(["m2".to_owned()]));
        assert!(failed_items(b"null").is_empty());
    }
}
