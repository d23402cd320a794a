use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;
use narratix_domain::JobId;

use super::describe;
use crate::ports::{FileResult, ResultTable, SaveOutcome, StoredPairs, TaskOutput};
use crate::WorkerError;

type Item = HashMap<String, AttributeValue>;

/// The file items of the job table (`TABLE_NAME`): pk `JOB#{jobId}`, sk `FILE#{fileId}`.
#[derive(Debug, Clone)]
pub struct DynamoResultTable {
    client: Client,
    table: String,
}

impl DynamoResultTable {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoResultTable {
            client,
            table: table.into(),
        }
    }
}

fn file_key(job_id: &JobId, file_id: &str) -> Item {
    HashMap::from([
        ("pk".to_owned(), AttributeValue::S(format!("JOB#{job_id}"))),
        (
            "sk".to_owned(),
            AttributeValue::S(format!("FILE#{file_id}")),
        ),
    ])
}

/// The counts of a labeled file item; `None` while `labeledAt` is absent.
fn labeled_counts(item: &Item) -> Result<Option<TaskOutput>, WorkerError> {
    if !item.contains_key("labeledAt") {
        return Ok(None);
    }
    let number = |name: &str| -> Result<u64, WorkerError> {
        item.get(name)
            .and_then(|value| value.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                WorkerError::Unreadable(format!("labeled file item has no numeric {name}"))
            })
    };
    Ok(Some(TaskOutput {
        pair_count: number("pairCount")?,
        input_tokens: number("inputTokens")?,
        output_tokens: number("outputTokens")?,
    }))
}

#[async_trait]
impl ResultTable for DynamoResultTable {
    async fn labeled_counts(
        &self,
        job_id: &JobId,
        file_id: &str,
    ) -> Result<Option<TaskOutput>, WorkerError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(file_key(job_id, file_id)))
            .consistent_read(true)
            .projection_expression("labeledAt, pairCount, inputTokens, outputTokens")
            .send()
            .await
            .map_err(|err| {
                WorkerError::StorageUnavailable(format!(
                    "dynamodb get file item: {}",
                    describe(&err)
                ))
            })?;
        match output.item() {
            Some(item) => labeled_counts(item),
            None => Ok(None),
        }
    }

    async fn save_once(
        &self,
        job_id: &JobId,
        file_id: &str,
        result: &FileResult,
    ) -> Result<SaveOutcome, WorkerError> {
        let number = |n: u64| AttributeValue::N(n.to_string());
        let (pairs_attribute, pairs_value) = match &result.pairs {
            StoredPairs::Inline(json) => ("pairs", json),
            StoredPairs::Object(key) => ("resultKey", key),
        };
        let outcome = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(file_key(job_id, file_id)))
            .update_expression(
                "SET #pairs = :pairs, pairCount = :pairCount, inputTokens = :inputTokens, \
                 outputTokens = :outputTokens, aiCalls = :aiCalls, labeledAt = :labeledAt",
            )
            .condition_expression("attribute_not_exists(labeledAt)")
            .expression_attribute_names("#pairs", pairs_attribute)
            .expression_attribute_values(":pairs", AttributeValue::S(pairs_value.clone()))
            .expression_attribute_values(":pairCount", number(result.pair_count))
            .expression_attribute_values(":inputTokens", number(result.usage.input_tokens))
            .expression_attribute_values(":outputTokens", number(result.usage.output_tokens))
            .expression_attribute_values(":aiCalls", number(u64::from(result.usage.calls)))
            .expression_attribute_values(":labeledAt", AttributeValue::S(result.labeled_at.clone()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let err = match outcome {
            Ok(_) => return Ok(SaveOutcome::Saved),
            Err(err) => err,
        };
        let Some(UpdateItemError::ConditionalCheckFailedException(conflict)) =
            err.as_service_error()
        else {
            return Err(WorkerError::StorageUnavailable(format!(
                "dynamodb update file item: {}",
                describe(&err)
            )));
        };
        let stored = match conflict.item() {
            Some(item) => labeled_counts(item)?,
            // An endpoint that does not return the old item: read it.
            None => self.labeled_counts(job_id, file_id).await?,
        };
        stored.map(SaveOutcome::AlreadyLabeled).ok_or_else(|| {
            WorkerError::StorageUnavailable(
                "dynamodb: the labeled condition failed but no labeled item was found".to_owned(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
    use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
    use aws_smithy_mocks::{mock, mock_client};
    use narratix_domain::TokenUsage;

    fn job() -> JobId {
        JobId::parse("job-1").expect("job id")
    }

    fn result(pairs: StoredPairs) -> FileResult {
        FileResult {
            pairs,
            pair_count: 3,
            usage: TokenUsage {
                input_tokens: 1200,
                output_tokens: 90,
                calls: 1,
            },
            labeled_at: "2026-11-25T11:00:00Z".to_owned(),
        }
    }

    fn labeled_item() -> Item {
        HashMap::from([
            ("labeledAt".to_owned(), AttributeValue::S("t".to_owned())),
            ("pairCount".to_owned(), AttributeValue::N("4".to_owned())),
            (
                "inputTokens".to_owned(),
                AttributeValue::N("800".to_owned()),
            ),
            (
                "outputTokens".to_owned(),
                AttributeValue::N("60".to_owned()),
            ),
        ])
    }

    #[tokio::test]
    async fn saves_inline_pairs_conditionally_on_the_file_item() {
        let update = mock!(Client::update_item)
            .match_requests(|req| {
                let values = req.expression_attribute_values().expect("values");
                let names = req.expression_attribute_names().expect("names");
                req.table_name() == Some("narratix")
                    && req.key().and_then(|k| k.get("pk"))
                        == Some(&AttributeValue::S("JOB#job-1".into()))
                    && req.key().and_then(|k| k.get("sk"))
                        == Some(&AttributeValue::S("FILE#f1".into()))
                    && req.condition_expression() == Some("attribute_not_exists(labeledAt)")
                    && names.get("#pairs").map(String::as_str) == Some("pairs")
                    && values.get(":pairs") == Some(&AttributeValue::S("[]".into()))
                    && values.get(":pairCount") == Some(&AttributeValue::N("3".into()))
                    && values.get(":inputTokens") == Some(&AttributeValue::N("1200".into()))
                    && values.get(":outputTokens") == Some(&AttributeValue::N("90".into()))
                    && values.get(":aiCalls") == Some(&AttributeValue::N("1".into()))
                    && values.get(":labeledAt")
                        == Some(&AttributeValue::S("2026-11-25T11:00:00Z".into()))
            })
            .then_output(|| UpdateItemOutput::builder().build());
        let table = DynamoResultTable::new(mock_client!(aws_sdk_dynamodb, [&update]), "narratix");
        let outcome = table
            .save_once(&job(), "f1", &result(StoredPairs::Inline("[]".into())))
            .await
            .expect("saved");
        assert_eq!(outcome, SaveOutcome::Saved);
        assert_eq!(update.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_large_result_is_saved_as_its_s3_key() {
        let update = mock!(Client::update_item)
            .match_requests(|req| {
                let names = req.expression_attribute_names().expect("names");
                let values = req.expression_attribute_values().expect("values");
                names.get("#pairs").map(String::as_str) == Some("resultKey")
                    && values.get(":pairs")
                        == Some(&AttributeValue::S("results/job-1/f1.json".into()))
            })
            .then_output(|| UpdateItemOutput::builder().build());
        let table = DynamoResultTable::new(mock_client!(aws_sdk_dynamodb, [&update]), "narratix");
        let outcome = table
            .save_once(
                &job(),
                "f1",
                &result(StoredPairs::Object("results/job-1/f1.json".into())),
            )
            .await
            .expect("saved");
        assert_eq!(outcome, SaveOutcome::Saved);
        assert_eq!(update.num_calls(), 1);
    }

    #[tokio::test]
    async fn condition_failure_returns_the_stored_counts() {
        let update = mock!(Client::update_item)
            .match_requests(|req| {
                req.return_values_on_condition_check_failure()
                    == Some(&ReturnValuesOnConditionCheckFailure::AllOld)
            })
            .then_error(|| {
                UpdateItemError::ConditionalCheckFailedException(
                    ConditionalCheckFailedException::builder()
                        .message("The conditional request failed")
                        .set_item(Some(labeled_item()))
                        .build(),
                )
            });
        let table = DynamoResultTable::new(mock_client!(aws_sdk_dynamodb, [&update]), "narratix");
        let outcome = table
            .save_once(&job(), "f1", &result(StoredPairs::Inline("[]".into())))
            .await
            .expect("answered");
        assert_eq!(
            outcome,
            SaveOutcome::AlreadyLabeled(TaskOutput {
                pair_count: 4,
                input_tokens: 800,
                output_tokens: 60
            })
        );
    }

    #[tokio::test]
    async fn condition_failure_without_the_old_item_reads_it() {
        let update = mock!(Client::update_item).then_error(|| {
            UpdateItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder().build(),
            )
        });
        let get = mock!(Client::get_item)
            .match_requests(|req| req.consistent_read() == Some(true))
            .then_output(|| {
                GetItemOutput::builder()
                    .set_item(Some(labeled_item()))
                    .build()
            });
        let table =
            DynamoResultTable::new(mock_client!(aws_sdk_dynamodb, [&update, &get]), "narratix");
        let outcome = table
            .save_once(&job(), "f1", &result(StoredPairs::Inline("[]".into())))
            .await
            .expect("answered");
        assert!(matches!(outcome, SaveOutcome::AlreadyLabeled(out) if out.pair_count == 4));
        assert_eq!(get.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_file_item_without_labeled_at_is_not_labeled() {
        let get = mock!(Client::get_item).then_output(|| {
            GetItemOutput::builder()
                .item("pk", AttributeValue::S("JOB#job-1".into()))
                .item("status", AttributeValue::S("LABELING".into()))
                .build()
        });
        let missing = mock!(Client::get_item).then_output(|| GetItemOutput::builder().build());
        let labeled = mock!(Client::get_item).then_output(|| {
            GetItemOutput::builder()
                .set_item(Some(labeled_item()))
                .build()
        });
        let table = DynamoResultTable::new(
            mock_client!(aws_sdk_dynamodb, [&get, &missing, &labeled]),
            "narratix",
        );
        assert_eq!(table.labeled_counts(&job(), "f1").await, Ok(None));
        assert_eq!(table.labeled_counts(&job(), "f1").await, Ok(None));
        assert_eq!(
            table.labeled_counts(&job(), "f1").await,
            Ok(Some(TaskOutput {
                pair_count: 4,
                input_tokens: 800,
                output_tokens: 60
            }))
        );
    }

    #[tokio::test]
    async fn throttling_is_storage_unavailable() {
        let throttled = mock!(Client::update_item)
            .sequence()
            .http_status(
                400,
                Some(
                    r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}"#
                        .to_owned(),
                ),
            )
            .repeatedly()
            .build();
        let table =
            DynamoResultTable::new(mock_client!(aws_sdk_dynamodb, [&throttled]), "narratix");
        let err = table
            .save_once(&job(), "f1", &result(StoredPairs::Inline("[]".into())))
            .await
            .expect_err("throttled");
        assert!(matches!(err, WorkerError::StorageUnavailable(_)), "{err:?}");
    }
}
