//! The DynamoDB adapter: one table, items as `docs/data-model.md` lays them out.

use std::collections::HashMap;
use std::fmt::Debug;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use narratix_domain::{FileStatus, JobId, JobStatus, LabeledPair, TokenUsage};
use serde::de::DeserializeOwned;

use crate::ports::{ConnectionStore, JobStore};
use crate::{
    Connection, FileItem, JobItem, JobSnapshot, JobTally, Moment, NewJob, StoreError, StoredError,
};

/// The name of the index over owners' jobs (`gsi1pk` = `OWNER#{owner}`, `gsi1sk` = `createdAt`).
pub const OWNER_INDEX: &str = "byOwner";

type Item = HashMap<String, AttributeValue>;

/// Jobs, files and connections in one DynamoDB table.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore {
            client,
            table: table.into(),
        }
    }
}

fn job_pk(job_id: &JobId) -> String {
    format!("JOB#{job_id}")
}

fn owner_pk(owner: &str) -> String {
    format!("OWNER#{owner}")
}

fn conn_pk(connection_id: &str) -> String {
    format!("CONN#{connection_id}")
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn status_value<T: serde::Serialize + Debug>(status: &T) -> AttributeValue {
    match serde_json::to_value(status) {
        Ok(serde_json::Value::String(text)) => s(text),
        _ => s(format!("{status:?}").to_uppercase()),
    }
}

fn unavailable<E>(operation: &'static str, error: SdkError<E>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    StoreError::unavailable(
        "DynamoDB",
        operation,
        DisplayErrorContext(&error).to_string(),
    )
}

/// Reads typed attributes out of an item, naming the item and attribute when one is wrong.
struct Reader<'a> {
    item: &'a Item,
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn new(item: &'a Item, what: &'static str) -> Reader<'a> {
        Reader { item, what }
    }

    fn corrupt(&self, attribute: &str, problem: &str) -> StoreError {
        StoreError::Corrupt(format!("{} attribute {attribute}: {problem}", self.what))
    }

    fn opt_s(&self, attribute: &str) -> Result<Option<String>, StoreError> {
        match self.item.get(attribute) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(text)) => Ok(Some(text.clone())),
            Some(_) => Err(self.corrupt(attribute, "not a string")),
        }
    }

    fn s(&self, attribute: &str) -> Result<String, StoreError> {
        self.opt_s(attribute)?
            .ok_or_else(|| self.corrupt(attribute, "missing"))
    }

    fn opt_n<T: std::str::FromStr>(&self, attribute: &str) -> Result<Option<T>, StoreError> {
        match self.item.get(attribute) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(text)) => text
                .parse()
                .map(Some)
                .map_err(|_| self.corrupt(attribute, "not a number of the expected range")),
            Some(_) => Err(self.corrupt(attribute, "not a number")),
        }
    }

    fn n_or_zero<T: std::str::FromStr + Default>(&self, attribute: &str) -> Result<T, StoreError> {
        Ok(self.opt_n(attribute)?.unwrap_or_default())
    }

    fn flag(&self, attribute: &str) -> Result<bool, StoreError> {
        match self.item.get(attribute) {
            None | Some(AttributeValue::Null(_)) => Ok(false),
            Some(AttributeValue::Bool(value)) => Ok(*value),
            Some(_) => Err(self.corrupt(attribute, "not a boolean")),
        }
    }

    fn parsed<T: DeserializeOwned>(&self, attribute: &str) -> Result<T, StoreError> {
        let text = self.s(attribute)?;
        serde_json::from_value(serde_json::Value::String(text))
            .map_err(|_| self.corrupt(attribute, "unknown value"))
    }

    fn error(&self) -> Result<Option<StoredError>, StoreError> {
        Ok(self.opt_s("error")?.map(|error| StoredError {
            error,
            cause: StoredError::readable_cause(
                &self.opt_s("cause").ok().flatten().unwrap_or_default(),
            ),
        }))
    }
}

fn job_from_item(item: &Item) -> Result<JobItem, StoreError> {
    let r = Reader::new(item, "job");
    let job_id = JobId::parse(&r.s("jobId")?).map_err(|_| r.corrupt("jobId", "invalid job id"))?;
    Ok(JobItem {
        job_id,
        owner: r.s("owner")?,
        status: r.parsed::<JobStatus>("status")?,
        created_at: r.s("createdAt")?,
        file_count: r.n_or_zero("fileCount")?,
        succeeded: r.n_or_zero("succeeded")?,
        failed: r.n_or_zero("failed")?,
        error: r.error()?,
        started_at: r.opt_s("startedAt")?,
        finished_at: r.opt_s("finishedAt")?,
        final_notice_at: r.opt_s("finalNoticeAt")?,
    })
}

fn file_from_item(item: &Item) -> Result<FileItem, StoreError> {
    let r = Reader::new(item, "file");
    let pairs = match r.opt_s("pairs")? {
        Some(json) => Some(
            serde_json::from_str::<Vec<LabeledPair>>(&json)
                .map_err(|_| r.corrupt("pairs", "not a JSON list of labeled pairs"))?,
        ),
        None => None,
    };
    Ok(FileItem {
        file_id: r.s("fileId")?,
        name: r.opt_s("name")?.unwrap_or_default(),
        key: r.s("key")?,
        size_bytes: r.n_or_zero("sizeBytes")?,
        status: r.parsed::<FileStatus>("status")?,
        error: r.error()?,
        pages: r.opt_n("pages")?,
        chars: r.opt_n("chars")?,
        truncated: r.flag("truncated")?,
        pairs,
        result_key: r.opt_s("resultKey")?,
        pair_count: r.opt_n("pairCount")?,
        usage: TokenUsage {
            input_tokens: r.n_or_zero("inputTokens")?,
            output_tokens: r.n_or_zero("outputTokens")?,
            calls: r.n_or_zero("aiCalls")?,
        },
        labeled_at: r.opt_s("labeledAt")?,
    })
}

fn job_item(job: &NewJob) -> Item {
    HashMap::from([
        ("pk".to_owned(), s(job_pk(&job.job_id))),
        ("sk".to_owned(), s("JOB")),
        ("jobId".to_owned(), s(job.job_id.as_str())),
        ("owner".to_owned(), s(&job.owner)),
        ("status".to_owned(), status_value(&JobStatus::Created)),
        ("createdAt".to_owned(), s(&job.created_at)),
        ("fileCount".to_owned(), n(job.files.len())),
        ("succeeded".to_owned(), n(0)),
        ("failed".to_owned(), n(0)),
        ("expiresAt".to_owned(), n(job.expires_at)),
        ("gsi1pk".to_owned(), s(owner_pk(&job.owner))),
        ("gsi1sk".to_owned(), s(&job.created_at)),
    ])
}

fn file_item(job: &NewJob, file: &crate::NewFile) -> Item {
    HashMap::from([
        ("pk".to_owned(), s(job_pk(&job.job_id))),
        ("sk".to_owned(), s(format!("FILE#{}", file.file_id))),
        ("fileId".to_owned(), s(&file.file_id)),
        ("name".to_owned(), s(&file.name)),
        ("key".to_owned(), s(&file.key)),
        ("sizeBytes".to_owned(), n(file.size_bytes)),
        ("status".to_owned(), status_value(&FileStatus::Pending)),
        ("expiresAt".to_owned(), n(job.expires_at)),
    ])
}

fn conditional_put(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(|err| StoreError::Invalid(format!("transaction item: {err}")))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

impl DynamoStore {
    async fn query_all(
        &self,
        operation: &'static str,
        key_condition: &str,
        values: &[(&str, AttributeValue)],
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start_key = None;
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(key_condition)
                .consistent_read(true)
                .set_exclusive_start_key(start_key);
            for (name, value) in values {
                request = request.expression_attribute_values(*name, value.clone());
            }
            let output = request
                .send()
                .await
                .map_err(|err| unavailable(operation, err))?;
            items.extend(output.items().iter().cloned());
            match output.last_evaluated_key() {
                Some(key) if !key.is_empty() => start_key = Some(key.clone()),
                _ => return Ok(items),
            }
        }
    }

    /// Runs a conditional update; `Ok(false)` when the condition did not hold.
    async fn conditional_update(
        &self,
        operation: &'static str,
        key: (String, &str),
        update: &str,
        condition: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> Result<bool, StoreError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(key.0))
            .key("sk", s(key.1))
            .update_expression(update)
            .condition_expression(condition);
        for (placeholder, name) in names {
            request = request.expression_attribute_names(*placeholder, *name);
        }
        for (placeholder, value) in values {
            request = request.expression_attribute_values(placeholder, value);
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(err) => Err(unavailable(operation, err)),
        }
    }
}

const NOT_FINAL: &str = "attribute_exists(pk) AND #status IN (:created, :running)";

#[async_trait]
impl JobStore for DynamoStore {
    async fn create_job(&self, job: &NewJob) -> Result<(), StoreError> {
        let mut writes = vec![conditional_put(&self.table, job_item(job))?];
        for file in &job.files {
            writes.push(conditional_put(&self.table, file_item(job, file))?);
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => {
                let condition_failed = err.as_service_error().is_some_and(|e| match e {
                    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(cancel) => cancel
                        .cancellation_reasons()
                        .iter()
                        .any(|reason| reason.code() == Some("ConditionalCheckFailed")),
                    _ => false,
                });
                if condition_failed {
                    Err(StoreError::AlreadyExists(format!("job {}", job.job_id)))
                } else {
                    Err(unavailable("TransactWriteItems", err))
                }
            }
        }
    }

    async fn job(&self, job_id: &JobId) -> Result<Option<JobItem>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(job_pk(job_id)))
            .key("sk", s("JOB"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| unavailable("GetItem", err))?;
        output.item().map(job_from_item).transpose()
    }

    async fn snapshot(&self, job_id: &JobId) -> Result<Option<JobSnapshot>, StoreError> {
        let items = self
            .query_all("Query", "pk = :pk", &[(":pk", s(job_pk(job_id)))])
            .await?;
        let mut job = None;
        let mut files = Vec::new();
        for item in &items {
            match item.get("sk") {
                Some(AttributeValue::S(sk)) if sk == "JOB" => job = Some(job_from_item(item)?),
                Some(AttributeValue::S(sk)) if sk.starts_with("FILE#") => {
                    files.push(file_from_item(item)?)
                }
                _ => {}
            }
        }
        files.sort_by(|a, b| a.file_id.cmp(&b.file_id));
        Ok(job.map(|job| JobSnapshot { job, files }))
    }

    async fn jobs_of(&self, owner: &str, limit: u32) -> Result<Vec<JobItem>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(OWNER_INDEX)
            .key_condition_expression("gsi1pk = :owner")
            .expression_attribute_values(":owner", s(owner_pk(owner)))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|err| unavailable("Query", err))?;
        output.items().iter().map(job_from_item).collect()
    }

    async fn mark_started(
        &self,
        job_id: &JobId,
        file_ids: &[String],
        now: &Moment,
    ) -> Result<bool, StoreError> {
        let started = self
            .conditional_update(
                "UpdateItem",
                (job_pk(job_id), "JOB"),
                "SET #status = :running, startedAt = :now REMOVE expiresAt",
                "#status = :created",
                &[("#status", "status")],
                vec![
                    (":running", status_value(&JobStatus::Running)),
                    (":created", status_value(&JobStatus::Created)),
                    (":now", s(now.rfc3339())),
                ],
            )
            .await?;
        if !started {
            let exists = self
                .conditional_update(
                    "UpdateItem",
                    (job_pk(job_id), "JOB"),
                    "REMOVE expiresAt",
                    "attribute_exists(pk)",
                    &[],
                    vec![],
                )
                .await?;
            if !exists {
                return Err(StoreError::NotFound(format!("job {job_id}")));
            }
        }
        // The files are independent items: one round trip for all of them, not one per file.
        let file_keys: Vec<String> = file_ids
            .iter()
            .map(|file_id| format!("FILE#{file_id}"))
            .collect();
        futures_util::future::try_join_all(file_keys.iter().map(|file_key| {
            self.conditional_update(
                "UpdateItem",
                (job_pk(job_id), file_key),
                "REMOVE expiresAt",
                "attribute_exists(pk)",
                &[],
                vec![],
            )
        }))
        .await?;
        Ok(started)
    }

    async fn finish(
        &self,
        job_id: &JobId,
        tally: &JobTally,
        now: &Moment,
    ) -> Result<bool, StoreError> {
        self.conditional_update(
            "UpdateItem",
            (job_pk(job_id), "JOB"),
            "SET #status = :status, succeeded = :succeeded, failed = :failed, finishedAt = :now",
            NOT_FINAL,
            &[("#status", "status")],
            vec![
                (":status", status_value(&tally.status)),
                (":succeeded", n(tally.succeeded)),
                (":failed", n(tally.failed)),
                (":now", s(now.rfc3339())),
                (":created", status_value(&JobStatus::Created)),
                (":running", status_value(&JobStatus::Running)),
            ],
        )
        .await
    }

    async fn fail(
        &self,
        job_id: &JobId,
        error: &StoredError,
        now: &Moment,
    ) -> Result<bool, StoreError> {
        self.conditional_update(
            "UpdateItem",
            (job_pk(job_id), "JOB"),
            "SET #status = :failed, #error = :error, #cause = :cause, finishedAt = :now",
            NOT_FINAL,
            &[
                ("#status", "status"),
                ("#error", "error"),
                ("#cause", "cause"),
            ],
            vec![
                (":failed", status_value(&JobStatus::Failed)),
                (":error", s(&error.error)),
                (":cause", s(&error.cause)),
                (":now", s(now.rfc3339())),
                (":created", status_value(&JobStatus::Created)),
                (":running", status_value(&JobStatus::Running)),
            ],
        )
        .await
    }

    async fn claim_final_notice(&self, job_id: &JobId, now: &Moment) -> Result<bool, StoreError> {
        self.conditional_update(
            "UpdateItem",
            (job_pk(job_id), "JOB"),
            "SET finalNoticeAt = :now",
            "attribute_exists(pk) AND attribute_not_exists(finalNoticeAt)",
            &[],
            vec![(":now", s(now.rfc3339()))],
        )
        .await
    }
}

#[async_trait]
impl ConnectionStore for DynamoStore {
    async fn put_connection(&self, connection: &Connection) -> Result<(), StoreError> {
        let by_id = HashMap::from([
            ("pk".to_owned(), s(conn_pk(&connection.connection_id))),
            ("sk".to_owned(), s("CONN")),
            ("connectionId".to_owned(), s(&connection.connection_id)),
            ("owner".to_owned(), s(&connection.owner)),
            ("connectedAt".to_owned(), s(&connection.connected_at)),
            ("expiresAt".to_owned(), n(connection.expires_at)),
        ]);
        let by_owner = HashMap::from([
            ("pk".to_owned(), s(owner_pk(&connection.owner))),
            ("sk".to_owned(), s(conn_pk(&connection.connection_id))),
            ("connectionId".to_owned(), s(&connection.connection_id)),
            ("expiresAt".to_owned(), n(connection.expires_at)),
        ]);
        for item in [by_id, by_owner] {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .send()
                .await
                .map_err(|err| unavailable("PutItem", err))?;
        }
        Ok(())
    }

    async fn connection(&self, connection_id: &str) -> Result<Option<Connection>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(conn_pk(connection_id)))
            .key("sk", s("CONN"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| unavailable("GetItem", err))?;
        let Some(item) = output.item() else {
            return Ok(None);
        };
        let r = Reader::new(item, "connection");
        Ok(Some(Connection {
            connection_id: r.s("connectionId")?,
            owner: r.s("owner")?,
            connected_at: r.opt_s("connectedAt")?.unwrap_or_default(),
            expires_at: r.n_or_zero("expiresAt")?,
        }))
    }

    async fn delete_connection(&self, connection_id: &str) -> Result<(), StoreError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(conn_pk(connection_id)))
            .key("sk", s("CONN"))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|err| unavailable("DeleteItem", err))?;
        let owner = output.attributes().and_then(|item| {
            Reader::new(item, "connection")
                .opt_s("owner")
                .ok()
                .flatten()
        });
        if let Some(owner) = owner {
            self.client
                .delete_item()
                .table_name(&self.table)
                .key("pk", s(owner_pk(&owner)))
                .key("sk", s(conn_pk(connection_id)))
                .send()
                .await
                .map_err(|err| unavailable("DeleteItem", err))?;
        }
        Ok(())
    }

    async fn connections_of(&self, owner: &str, now: &Moment) -> Result<Vec<String>, StoreError> {
        let items = self
            .query_all(
                "Query",
                "pk = :pk AND begins_with(sk, :conn)",
                &[(":pk", s(owner_pk(owner))), (":conn", s("CONN#"))],
            )
            .await?;
        let mut connections = Vec::new();
        for item in &items {
            let r = Reader::new(item, "owner connection");
            let expires_at: i64 = r.n_or_zero("expiresAt")?;
            if expires_at > now.epoch_seconds() {
                connections.push(r.s("connectionId")?);
            }
        }
        Ok(connections)
    }

    async fn subscribe(
        &self,
        owner: &str,
        connection_id: &str,
        job_id: &JobId,
    ) -> Result<(), StoreError> {
        let updated = self
            .conditional_update(
                "UpdateItem",
                (owner_pk(owner), &conn_pk(connection_id)),
                "SET jobId = :job",
                "attribute_exists(pk)",
                &[],
                vec![(":job", s(job_id.as_str()))],
            )
            .await?;
        if updated {
            Ok(())
        } else {
            Err(StoreError::NotFound(format!("connection {connection_id}")))
        }
    }
}
