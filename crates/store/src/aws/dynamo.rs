//! The DynamoDB adapter: one table, items as [`crate::schema`] lays them out.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Put, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use aws_sdk_dynamodb::Client;
use narratix_domain::messages::{JobTally, LabelTaskOutput};
use narratix_domain::rate::RateSchedule;
use narratix_domain::{
    FileId, FileStatus, JobId, JobStatus, LabeledPair, ObjectKey, Prefill, TokenUsage,
};

use crate::error::Missing;
use crate::ports::{
    ConnectionStore, DailyQuota, ExpiredConnections, FileResults, JobEraser, JobReader, JobWriter,
    NoticeLedger, OpenJobs, RateScheduleStore,
};
use crate::schema::{self, attr};
use crate::{
    Connection, ConnectionEntry, FileItem, FileResult, JobItem, JobSnapshot, Moment, NewFile,
    NewJob, OpenJob, QuotaOutcome, QuotaTake, SaveOutcome, StoreError, StoredError, StoredPairs,
};

type Item = HashMap<String, AttributeValue>;

const SERVICE: &str = "DynamoDB";

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

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn key_item((pk, sk): (String, String)) -> Item {
    HashMap::from([
        (schema::PK.to_owned(), s(pk)),
        (schema::SK.to_owned(), s(sk)),
    ])
}

fn unavailable<E>(operation: &'static str, error: SdkError<E>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    StoreError::unavailable(SERVICE, operation, error)
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

    fn corrupt(&self, attribute: &'static str, problem: &'static str) -> StoreError {
        StoreError::corrupt(self.what, attribute, problem)
    }

    fn opt_s(&self, attribute: &'static str) -> Result<Option<String>, StoreError> {
        match self.item.get(attribute) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::S(text)) => Ok(Some(text.clone())),
            Some(_) => Err(self.corrupt(attribute, "is not a string")),
        }
    }

    fn s(&self, attribute: &'static str) -> Result<String, StoreError> {
        self.opt_s(attribute)?
            .ok_or_else(|| self.corrupt(attribute, "is missing"))
    }

    fn opt_n<T: std::str::FromStr>(
        &self,
        attribute: &'static str,
    ) -> Result<Option<T>, StoreError> {
        match self.item.get(attribute) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(AttributeValue::N(text)) => text
                .parse()
                .map(Some)
                .map_err(|_| self.corrupt(attribute, "is not a number of the expected range")),
            Some(_) => Err(self.corrupt(attribute, "is not a number")),
        }
    }

    fn n<T: std::str::FromStr>(&self, attribute: &'static str) -> Result<T, StoreError> {
        self.opt_n(attribute)?
            .ok_or_else(|| self.corrupt(attribute, "is missing"))
    }

    fn n_or_zero<T: std::str::FromStr + Default>(
        &self,
        attribute: &'static str,
    ) -> Result<T, StoreError> {
        Ok(self.opt_n(attribute)?.unwrap_or_default())
    }

    fn flag(&self, attribute: &'static str) -> Result<bool, StoreError> {
        match self.item.get(attribute) {
            None | Some(AttributeValue::Null(_)) => Ok(false),
            Some(AttributeValue::Bool(value)) => Ok(*value),
            Some(_) => Err(self.corrupt(attribute, "is not a boolean")),
        }
    }

    /// A connection's token expiry; a connection stored before it was recorded counts as
    /// valid until its item expires (at most the two hours it lived before).
    fn token_expires_at(&self, expires_at: i64) -> Result<i64, StoreError> {
        Ok(self.opt_n(attr::TOKEN_EXPIRES_AT)?.unwrap_or(expires_at))
    }

    fn job_status(&self) -> Result<JobStatus, StoreError> {
        let text = self.s(attr::STATUS)?;
        JobStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| self.corrupt(attr::STATUS, "is not a job status"))
    }

    fn file_status(&self) -> Result<FileStatus, StoreError> {
        let text = self.s(attr::STATUS)?;
        FileStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| self.corrupt(attr::STATUS, "is not a file status"))
    }

    fn object_key(&self, attribute: &'static str) -> Result<Option<ObjectKey>, StoreError> {
        self.opt_s(attribute)?
            .map(|key| {
                ObjectKey::parse(&key).map_err(|_| self.corrupt(attribute, "is not an object key"))
            })
            .transpose()
    }

    fn error(&self) -> Result<Option<StoredError>, StoreError> {
        Ok(self.opt_s(attr::ERROR)?.map(|error| StoredError {
            error,
            cause: StoredError::readable_cause(
                &self.opt_s(attr::CAUSE).ok().flatten().unwrap_or_default(),
            ),
        }))
    }

    /// The counts of a labeled file item; `None` while `labeledAt` is absent.
    fn labeled_counts(&self) -> Result<Option<LabelTaskOutput>, StoreError> {
        if !self.item.contains_key(attr::LABELED_AT) {
            return Ok(None);
        }
        Ok(Some(LabelTaskOutput {
            pair_count: self.n(attr::PAIR_COUNT)?,
            input_tokens: self.n(attr::INPUT_TOKENS)?,
            output_tokens: self.n(attr::OUTPUT_TOKENS)?,
        }))
    }
}

fn job_from_item(item: &Item) -> Result<JobItem, StoreError> {
    let r = Reader::new(item, "job");
    let job_id = JobId::parse(&r.s(attr::JOB_ID)?)
        .map_err(|_| r.corrupt(attr::JOB_ID, "is not a job id"))?;
    Ok(JobItem {
        job_id,
        owner: r.s(attr::OWNER)?,
        status: r.job_status()?,
        created_at: r.s(attr::CREATED_AT)?,
        file_count: r.n_or_zero(attr::FILE_COUNT)?,
        succeeded: r.n_or_zero(attr::SUCCEEDED)?,
        failed: r.n_or_zero(attr::FAILED)?,
        error: r.error()?,
        started_at: r.opt_s(attr::STARTED_AT)?,
        finished_at: r.opt_s(attr::FINISHED_AT)?,
        final_notice_at: r.opt_s(attr::FINAL_NOTICE_AT)?,
    })
}

fn file_from_item(item: &Item) -> Result<FileItem, StoreError> {
    let r = Reader::new(item, "file");
    let pairs = match r.opt_s(attr::PAIRS)? {
        Some(json) => Some(
            serde_json::from_str::<Vec<LabeledPair>>(&json)
                .map_err(|_| r.corrupt(attr::PAIRS, "is not a JSON list of labeled pairs"))?,
        ),
        None => None,
    };
    let prefill = match r.opt_s(attr::PREFILL)? {
        Some(json) => Some(
            serde_json::from_str::<Prefill>(&json)
                .map_err(|_| r.corrupt(attr::PREFILL, "is not a JSON save-form prefill"))?,
        ),
        None => None,
    };
    let file_id = FileId::parse(&r.s(attr::FILE_ID)?)
        .map_err(|_| r.corrupt(attr::FILE_ID, "is not a file id"))?;
    Ok(FileItem {
        file_id,
        name: r.opt_s(attr::NAME)?.unwrap_or_default(),
        key: r
            .object_key(attr::KEY)?
            .ok_or_else(|| r.corrupt(attr::KEY, "is missing"))?,
        size_bytes: r.n_or_zero(attr::SIZE_BYTES)?,
        status: r.file_status()?,
        error: r.error()?,
        pages: r.opt_n(attr::PAGES)?,
        chars: r.opt_n(attr::CHARS)?,
        truncated: r.flag(attr::TRUNCATED)?,
        pairs,
        result_key: r.object_key(attr::RESULT_KEY)?,
        pair_count: r.opt_n(attr::PAIR_COUNT)?,
        prefill,
        usage: TokenUsage {
            input_tokens: r.n_or_zero(attr::INPUT_TOKENS)?,
            output_tokens: r.n_or_zero(attr::OUTPUT_TOKENS)?,
            calls: r.n_or_zero(attr::AI_CALLS)?,
        },
        labeled_at: r.opt_s(attr::LABELED_AT)?,
    })
}

fn job_item(job: &NewJob) -> Item {
    let mut item = key_item(schema::job_key(&job.job_id));
    item.extend([
        (attr::JOB_ID.to_owned(), s(job.job_id.as_str())),
        (attr::OWNER.to_owned(), s(&job.owner)),
        (attr::STATUS.to_owned(), s(JobStatus::Created.as_str())),
        (attr::CREATED_AT.to_owned(), s(&job.created_at)),
        (attr::FILE_COUNT.to_owned(), n(job.files.len())),
        (attr::SUCCEEDED.to_owned(), n(0)),
        (attr::FAILED.to_owned(), n(0)),
        (attr::EXPIRES_AT.to_owned(), n(job.expires_at)),
        (attr::GSI1_PK.to_owned(), s(schema::owner_pk(&job.owner))),
        (attr::GSI1_SK.to_owned(), s(&job.created_at)),
    ]);
    item
}

fn file_item(job: &NewJob, file: &NewFile) -> Item {
    let mut item = key_item(schema::file_key(&job.job_id, &file.file_id));
    item.extend([
        (attr::FILE_ID.to_owned(), s(file.file_id.as_str())),
        (attr::NAME.to_owned(), s(&file.name)),
        (attr::KEY.to_owned(), s(file.key.as_str())),
        (attr::SIZE_BYTES.to_owned(), n(file.size_bytes)),
        (attr::STATUS.to_owned(), s(FileStatus::Pending.as_str())),
        (attr::EXPIRES_AT.to_owned(), n(job.expires_at)),
    ]);
    item
}

fn conditional_put(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(format!("attribute_not_exists({})", schema::PK))
        .build()
        .map_err(|source| StoreError::Invalid {
            what: "a transaction item",
            source: source.into(),
        })?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// A conditional update: key, `SET`/`REMOVE` expression, condition, names and values.
struct Update<'a> {
    key: (String, String),
    expression: String,
    condition: String,
    names: &'a [(&'a str, &'a str)],
    values: Vec<(&'a str, AttributeValue)>,
}

impl DynamoStore {
    async fn query_all(
        &self,
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
                .map_err(|err| unavailable("Query", err))?;
            items.extend(output.items().iter().cloned());
            match output.last_evaluated_key() {
                Some(key) if !key.is_empty() => start_key = Some(key.clone()),
                _ => return Ok(items),
            }
        }
    }

    /// Runs a conditional update; `Ok(false)` when the condition did not hold.
    async fn conditional_update(&self, update: Update<'_>) -> Result<bool, StoreError> {
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(update.key)))
            .update_expression(update.expression)
            .condition_expression(update.condition);
        for (placeholder, name) in update.names {
            request = request.expression_attribute_names(*placeholder, *name);
        }
        for (placeholder, value) in update.values {
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
            Err(err) => Err(unavailable("UpdateItem", err)),
        }
    }

    async fn get(&self, key: (String, String)) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| unavailable("GetItem", err))?;
        Ok(output.item)
    }
}

/// The job exists and is not final.
fn not_final() -> String {
    format!(
        "attribute_exists({}) AND #status IN (:created, :running)",
        schema::PK
    )
}

fn exists() -> String {
    format!("attribute_exists({})", schema::PK)
}

fn status_values() -> [(&'static str, AttributeValue); 2] {
    [
        (":created", s(JobStatus::Created.as_str())),
        (":running", s(JobStatus::Running.as_str())),
    ]
}

#[async_trait]
impl JobReader for DynamoStore {
    async fn job(&self, job_id: &JobId) -> Result<Option<JobItem>, StoreError> {
        self.get(schema::job_key(job_id))
            .await?
            .as_ref()
            .map(job_from_item)
            .transpose()
    }

    async fn snapshot(&self, job_id: &JobId) -> Result<Option<JobSnapshot>, StoreError> {
        let items = self
            .query_all(
                &format!("{} = :pk", schema::PK),
                &[(":pk", s(schema::job_pk(job_id)))],
            )
            .await?;
        let mut job = None;
        let mut files = Vec::new();
        for item in &items {
            match item.get(schema::SK) {
                Some(AttributeValue::S(sk)) if sk == schema::JOB_SK => {
                    job = Some(job_from_item(item)?)
                }
                Some(AttributeValue::S(sk)) if sk.starts_with(schema::FILE_PREFIX) => {
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
            .index_name(schema::OWNER_INDEX)
            .key_condition_expression(format!("{} = :owner", attr::GSI1_PK))
            .expression_attribute_values(":owner", s(schema::owner_pk(owner)))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|err| unavailable("Query", err))?;
        output.items().iter().map(job_from_item).collect()
    }
}

#[async_trait]
impl JobWriter for DynamoStore {
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
                let condition_failed = matches!(
                    err.as_service_error(),
                    Some(TransactWriteItemsError::TransactionCanceledException(cancel))
                        if cancel
                            .cancellation_reasons()
                            .iter()
                            .any(|reason| reason.code() == Some("ConditionalCheckFailed"))
                );
                if condition_failed {
                    Err(StoreError::JobExists(job.job_id.clone()))
                } else {
                    Err(unavailable("TransactWriteItems", err))
                }
            }
        }
    }

    async fn mark_started(
        &self,
        job_id: &JobId,
        file_ids: &[FileId],
        now: &Moment,
    ) -> Result<bool, StoreError> {
        let open = || vec![(":open", s(schema::OPEN_PK)), (":now", s(now.rfc3339()))];
        let mut values = open();
        values.extend([
            (":running", s(JobStatus::Running.as_str())),
            (":created", s(JobStatus::Created.as_str())),
        ]);
        let started = self
            .conditional_update(Update {
                key: schema::job_key(job_id),
                expression: format!(
                    "SET #status = :running, {} = :now, {} = :open, {} = :now REMOVE {}",
                    attr::STARTED_AT,
                    attr::OPEN_PK,
                    attr::OPEN_SK,
                    attr::EXPIRES_AT
                ),
                condition: "#status = :created".to_owned(),
                names: &[("#status", attr::STATUS)],
                values,
            })
            .await?;
        if !started {
            // The state machine moved the job on first: it loses the unstarted expiry and is
            // open all the same — unless it is final already (its expiry is then the
            // retention of its results, which stays).
            let mut values = open();
            values.extend(status_values());
            let updated = self
                .conditional_update(Update {
                    key: schema::job_key(job_id),
                    expression: format!(
                        "SET {open_pk} = if_not_exists({open_pk}, :open), \
                         {open_sk} = if_not_exists({open_sk}, :now) REMOVE {}",
                        attr::EXPIRES_AT,
                        open_pk = attr::OPEN_PK,
                        open_sk = attr::OPEN_SK,
                    ),
                    condition: not_final(),
                    names: &[("#status", attr::STATUS)],
                    values,
                })
                .await?;
            if !updated && self.job(job_id).await?.is_none() {
                return Err(StoreError::NotFound(Missing::Job(job_id.clone())));
            }
        }
        // The files are independent items: one round trip for all of them, not one per file.
        // A final file keeps its expiry (the retention its job's end gave it, if any).
        futures_util::future::try_join_all(file_ids.iter().map(|file_id| {
            self.conditional_update(Update {
                key: schema::file_key(job_id, file_id),
                expression: format!("REMOVE {}", attr::EXPIRES_AT),
                condition: format!("{} AND NOT (#status IN (:succeeded, :failed))", exists()),
                names: &[("#status", attr::STATUS)],
                values: vec![
                    (":succeeded", s(FileStatus::Succeeded.as_str())),
                    (":failed", s(FileStatus::Failed.as_str())),
                ],
            })
        }))
        .await?;
        Ok(started)
    }

    async fn finish(&self, tally: &JobTally, now: &Moment) -> Result<bool, StoreError> {
        let mut values = vec![
            (":status", s(tally.status.as_str())),
            (":succeeded", n(tally.succeeded)),
            (":failed", n(tally.failed)),
            (":now", s(now.rfc3339())),
        ];
        values.extend(status_values());
        self.conditional_update(Update {
            key: schema::job_key(&tally.job_id),
            expression: format!(
                "SET #status = :status, {} = :succeeded, {} = :failed, {} = :now",
                attr::SUCCEEDED,
                attr::FAILED,
                attr::FINISHED_AT
            ),
            condition: not_final(),
            names: &[("#status", attr::STATUS)],
            values,
        })
        .await
    }

    async fn fail(
        &self,
        job_id: &JobId,
        error: &StoredError,
        now: &Moment,
    ) -> Result<bool, StoreError> {
        let mut values = vec![
            (":failed", s(JobStatus::Failed.as_str())),
            (":error", s(&error.error)),
            (":cause", s(&error.cause)),
            (":now", s(now.rfc3339())),
        ];
        values.extend(status_values());
        self.conditional_update(Update {
            key: schema::job_key(job_id),
            expression: format!(
                "SET #status = :failed, #error = :error, #cause = :cause, {} = :now",
                attr::FINISHED_AT
            ),
            condition: not_final(),
            names: &[
                ("#status", attr::STATUS),
                ("#error", attr::ERROR),
                ("#cause", attr::CAUSE),
            ],
            values,
        })
        .await
    }
}

#[async_trait]
impl NoticeLedger for DynamoStore {
    async fn record_final_notice(
        &self,
        job_id: &JobId,
        file_ids: &[FileId],
        now: &Moment,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let recorded = self
            .conditional_update(Update {
                key: schema::job_key(job_id),
                expression: format!(
                    "SET {} = :now, {} = :expires REMOVE {}, {}",
                    attr::FINAL_NOTICE_AT,
                    attr::EXPIRES_AT,
                    attr::OPEN_PK,
                    attr::OPEN_SK
                ),
                condition: format!(
                    "{} AND attribute_not_exists({})",
                    exists(),
                    attr::FINAL_NOTICE_AT
                ),
                names: &[],
                values: vec![(":now", s(now.rfc3339())), (":expires", n(expires_at))],
            })
            .await?;
        if recorded {
            futures_util::future::try_join_all(file_ids.iter().map(|file_id| {
                self.conditional_update(Update {
                    key: schema::file_key(job_id, file_id),
                    expression: format!("SET {} = :expires", attr::EXPIRES_AT),
                    condition: exists(),
                    names: &[],
                    values: vec![(":expires", n(expires_at))],
                })
            }))
            .await?;
        }
        Ok(recorded)
    }
}

#[async_trait]
impl OpenJobs for DynamoStore {
    async fn open_jobs(
        &self,
        started_before: &Moment,
        limit: u32,
    ) -> Result<Vec<OpenJob>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(schema::OPEN_INDEX)
            .key_condition_expression(format!(
                "{} = :open AND {} < :before",
                attr::OPEN_PK,
                attr::OPEN_SK
            ))
            .expression_attribute_values(":open", s(schema::OPEN_PK))
            .expression_attribute_values(":before", s(started_before.rfc3339()))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|err| unavailable("Query", err))?;
        output
            .items()
            .iter()
            .map(|item| {
                let r = Reader::new(item, "open job");
                Ok(OpenJob {
                    job_id: JobId::parse(&r.s(attr::JOB_ID)?)
                        .map_err(|_| r.corrupt(attr::JOB_ID, "is not a job id"))?,
                    started_at: r.s(attr::OPEN_SK)?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl ExpiredConnections for DynamoStore {
    async fn expired_connections(
        &self,
        now: &Moment,
        limit: u32,
    ) -> Result<Vec<ConnectionEntry>, StoreError> {
        let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
        let mut expired = Vec::new();
        let mut start_key = None;
        while expired.len() < wanted {
            let page = i32::try_from(wanted - expired.len()).unwrap_or(i32::MAX);
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(schema::TOKEN_INDEX)
                .key_condition_expression(format!(
                    "{} = :conn AND {} <= :now",
                    attr::TOKEN_PK,
                    attr::TOKEN_EXPIRES_AT
                ))
                .expression_attribute_values(":conn", s(schema::TOKEN_PK))
                .expression_attribute_values(":now", n(now.epoch_seconds()))
                .limit(page)
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(|err| unavailable("Query", err))?;
            for item in output.items() {
                let r = Reader::new(item, "expired connection");
                expired.push(ConnectionEntry {
                    connection_id: r.s(attr::CONNECTION_ID)?,
                    token_expires_at: r.n(attr::TOKEN_EXPIRES_AT)?,
                });
            }
            match output.last_evaluated_key() {
                Some(key) if !key.is_empty() => start_key = Some(key.clone()),
                _ => break,
            }
        }
        expired.truncate(wanted);
        Ok(expired)
    }
}

#[async_trait]
impl DailyQuota for DynamoStore {
    async fn take(
        &self,
        owner: &str,
        day: &str,
        take: &QuotaTake,
        expires_at: i64,
    ) -> Result<QuotaOutcome, StoreError> {
        let alone = take.outcome(0, 0);
        if alone != QuotaOutcome::Taken {
            return Ok(alone);
        }
        // The day fits the take when used + take <= max for both counters (absent = 0).
        let outcome = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(schema::quota_key(owner, day))))
            .update_expression(format!(
                "ADD #jobs :jobs, #files :files SET {} = :expires",
                attr::EXPIRES_AT
            ))
            .condition_expression(
                "(attribute_not_exists(#jobs) OR #jobs <= :jobsLeft) \
                 AND (attribute_not_exists(#files) OR #files <= :filesLeft)",
            )
            .expression_attribute_names("#jobs", attr::JOBS)
            .expression_attribute_names("#files", attr::FILES)
            .expression_attribute_values(":jobs", n(take.jobs))
            .expression_attribute_values(":files", n(take.files))
            .expression_attribute_values(
                ":jobsLeft",
                n(i64::from(take.max_jobs) - i64::from(take.jobs)),
            )
            .expression_attribute_values(
                ":filesLeft",
                n(i64::from(take.max_files) - i64::from(take.files)),
            )
            .expression_attribute_values(":expires", n(expires_at))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let err = match outcome {
            Ok(_) => return Ok(QuotaOutcome::Taken),
            Err(err) => err,
        };
        let Some(UpdateItemError::ConditionalCheckFailedException(conflict)) =
            err.as_service_error()
        else {
            return Err(unavailable("UpdateItem", err));
        };
        let (used_jobs, used_files) = match conflict.item() {
            Some(item) => {
                let r = Reader::new(item, "quota");
                (r.n_or_zero(attr::JOBS)?, r.n_or_zero(attr::FILES)?)
            }
            None => (take.max_jobs, take.max_files),
        };
        Ok(match take.outcome(used_jobs, used_files) {
            // The condition failed, so something is exhausted even if a concurrent request
            // changed the counters since.
            QuotaOutcome::Taken => QuotaOutcome::JobsExhausted,
            exhausted => exhausted,
        })
    }
}

#[async_trait]
impl JobEraser for DynamoStore {
    async fn erase_job(&self, job_id: &JobId, file_ids: &[FileId]) -> Result<(), StoreError> {
        let keys = std::iter::once(schema::job_key(job_id)).chain(
            file_ids
                .iter()
                .map(|file_id| schema::file_key(job_id, file_id)),
        );
        futures_util::future::try_join_all(keys.map(|key| async move {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key_item(key)))
                .send()
                .await
                .map(|_| ())
                .map_err(|err| unavailable("DeleteItem", err))
        }))
        .await?;
        Ok(())
    }
}

#[async_trait]
impl FileResults for DynamoStore {
    async fn labeled_counts(
        &self,
        job_id: &JobId,
        file_id: &FileId,
    ) -> Result<Option<LabelTaskOutput>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(schema::file_key(job_id, file_id))))
            .consistent_read(true)
            .projection_expression(
                [
                    attr::LABELED_AT,
                    attr::PAIR_COUNT,
                    attr::INPUT_TOKENS,
                    attr::OUTPUT_TOKENS,
                ]
                .join(", "),
            )
            .send()
            .await
            .map_err(|err| unavailable("GetItem", err))?;
        match output.item() {
            Some(item) => Reader::new(item, "file").labeled_counts(),
            None => Ok(None),
        }
    }

    async fn save_result(
        &self,
        job_id: &JobId,
        file_id: &FileId,
        result: &FileResult,
    ) -> Result<SaveOutcome, StoreError> {
        let prefill_json = serde_json::to_string(&result.prefill)
            .map_err(|_| StoreError::corrupt("file", attr::PREFILL, "cannot be serialised"))?;
        let (pairs_attribute, pairs_value) = match &result.pairs {
            StoredPairs::Inline(json) => (attr::PAIRS, json.as_str()),
            StoredPairs::Object(key) => (attr::RESULT_KEY, key.as_str()),
        };
        let outcome = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(schema::file_key(job_id, file_id))))
            .update_expression(format!(
                "SET #pairs = :pairs, {} = :pairCount, {} = :prefill, {} = :inputTokens, \
                 {} = :outputTokens, {} = :aiCalls, {} = :labeledAt",
                attr::PAIR_COUNT,
                attr::PREFILL,
                attr::INPUT_TOKENS,
                attr::OUTPUT_TOKENS,
                attr::AI_CALLS,
                attr::LABELED_AT
            ))
            .condition_expression(format!("attribute_not_exists({})", attr::LABELED_AT))
            .expression_attribute_names("#pairs", pairs_attribute)
            .expression_attribute_values(":pairs", s(pairs_value))
            .expression_attribute_values(":pairCount", n(result.pair_count))
            .expression_attribute_values(":prefill", s(&prefill_json))
            .expression_attribute_values(":inputTokens", n(result.usage.input_tokens))
            .expression_attribute_values(":outputTokens", n(result.usage.output_tokens))
            .expression_attribute_values(":aiCalls", n(result.usage.calls))
            .expression_attribute_values(":labeledAt", s(&result.labeled_at))
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
            return Err(unavailable("UpdateItem", err));
        };
        let stored = match conflict.item() {
            Some(item) => Reader::new(item, "file").labeled_counts()?,
            // An endpoint that does not return the old item: read it.
            None => self.labeled_counts(job_id, file_id).await?,
        };
        stored
            .map(SaveOutcome::AlreadyLabeled)
            .ok_or(StoreError::corrupt(
                "file",
                attr::LABELED_AT,
                "made the write's condition fail but is not stored",
            ))
    }
}

#[async_trait]
impl ConnectionStore for DynamoStore {
    async fn put_connection(&self, connection: &Connection) -> Result<(), StoreError> {
        let mut by_id = key_item(schema::connection_key(&connection.connection_id));
        by_id.extend([
            (attr::CONNECTION_ID.to_owned(), s(&connection.connection_id)),
            (attr::OWNER.to_owned(), s(&connection.owner)),
            (attr::CONNECTED_AT.to_owned(), s(&connection.connected_at)),
            (attr::EXPIRES_AT.to_owned(), n(connection.expires_at)),
            (
                attr::TOKEN_EXPIRES_AT.to_owned(),
                n(connection.token_expires_at),
            ),
            (attr::TOKEN_PK.to_owned(), s(schema::TOKEN_PK)),
        ]);
        let mut by_owner = key_item(schema::owner_connection_key(
            &connection.owner,
            &connection.connection_id,
        ));
        by_owner.extend([
            (attr::CONNECTION_ID.to_owned(), s(&connection.connection_id)),
            (attr::EXPIRES_AT.to_owned(), n(connection.expires_at)),
            (
                attr::TOKEN_EXPIRES_AT.to_owned(),
                n(connection.token_expires_at),
            ),
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
        let Some(item) = self.get(schema::connection_key(connection_id)).await? else {
            return Ok(None);
        };
        let r = Reader::new(&item, "connection");
        let expires_at = r.n_or_zero(attr::EXPIRES_AT)?;
        Ok(Some(Connection {
            connection_id: r.s(attr::CONNECTION_ID)?,
            owner: r.s(attr::OWNER)?,
            connected_at: r.opt_s(attr::CONNECTED_AT)?.unwrap_or_default(),
            expires_at,
            token_expires_at: r.token_expires_at(expires_at)?,
        }))
    }

    async fn delete_connection(&self, connection_id: &str) -> Result<(), StoreError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_item(schema::connection_key(connection_id))))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|err| unavailable("DeleteItem", err))?;
        let owner = output.attributes().and_then(|item| {
            Reader::new(item, "connection")
                .opt_s(attr::OWNER)
                .ok()
                .flatten()
        });
        if let Some(owner) = owner {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key_item(schema::owner_connection_key(
                    &owner,
                    connection_id,
                ))))
                .send()
                .await
                .map_err(|err| unavailable("DeleteItem", err))?;
        }
        Ok(())
    }

    async fn connections_of(
        &self,
        owner: &str,
        now: &Moment,
    ) -> Result<Vec<ConnectionEntry>, StoreError> {
        let items = self
            .query_all(
                &format!(
                    "{} = :pk AND begins_with({}, :conn)",
                    schema::PK,
                    schema::SK
                ),
                &[
                    (":pk", s(schema::owner_pk(owner))),
                    (":conn", s(schema::CONNECTION_PREFIX)),
                ],
            )
            .await?;
        let mut connections = Vec::new();
        for item in &items {
            let r = Reader::new(item, "owner connection");
            let expires_at: i64 = r.n_or_zero(attr::EXPIRES_AT)?;
            if expires_at > now.epoch_seconds() {
                connections.push(ConnectionEntry {
                    connection_id: r.s(attr::CONNECTION_ID)?,
                    token_expires_at: r.token_expires_at(expires_at)?,
                });
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
            .conditional_update(Update {
                key: schema::owner_connection_key(owner, connection_id),
                expression: format!("SET {} = :job", attr::JOB_ID),
                condition: exists(),
                names: &[],
                values: vec![(":job", s(job_id.as_str()))],
            })
            .await?;
        if updated {
            Ok(())
        } else {
            Err(StoreError::NotFound(Missing::Connection(
                connection_id.to_owned(),
            )))
        }
    }
}

#[async_trait]
impl RateScheduleStore for DynamoStore {
    async fn load_schedule(&self) -> Result<Option<(RateSchedule, u64)>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_item(schema::rate_key())))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| unavailable("GetItem", err))?;
        let Some(item) = output.item() else {
            return Ok(None);
        };
        let reader = Reader::new(item, "rate schedule");
        let schedule = RateSchedule {
            requests_free_at: reader.n_or_zero(attr::REQUESTS_FREE_AT)?,
            tokens_free_at: reader.n_or_zero(attr::TOKENS_FREE_AT)?,
            not_before: reader.n_or_zero(attr::NOT_BEFORE)?,
            learned_rpm: reader.n_or_zero(attr::LEARNED_RPM)?,
            last_decrease: reader.n_or_zero(attr::LAST_DECREASE)?,
        };
        Ok(Some((schedule, reader.n(attr::VERSION)?)))
    }

    async fn replace_schedule(
        &self,
        schedule: &RateSchedule,
        version: u64,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_item(schema::rate_key())))
            .update_expression(
                "SET #requests = :requests, #tokens = :tokens, #notBefore = :notBefore, \
                 #learned = :learned, #decrease = :decrease, #version = :next",
            )
            .condition_expression("attribute_not_exists(#version) OR #version = :version")
            .expression_attribute_names("#requests", attr::REQUESTS_FREE_AT)
            .expression_attribute_names("#tokens", attr::TOKENS_FREE_AT)
            .expression_attribute_names("#notBefore", attr::NOT_BEFORE)
            .expression_attribute_names("#learned", attr::LEARNED_RPM)
            .expression_attribute_names("#decrease", attr::LAST_DECREASE)
            .expression_attribute_names("#version", attr::VERSION)
            .expression_attribute_values(":requests", n(schedule.requests_free_at))
            .expression_attribute_values(":tokens", n(schedule.tokens_free_at))
            .expression_attribute_values(":notBefore", n(schedule.not_before))
            .expression_attribute_values(":learned", n(format!("{:.3}", schedule.learned_rpm)))
            .expression_attribute_values(":decrease", n(schedule.last_decrease))
            .expression_attribute_values(":version", n(version))
            .expression_attribute_values(":next", n(version + 1))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(UpdateItemError::is_conditional_check_failed_exception) =>
            {
                Ok(false)
            }
            Err(err) => Err(unavailable("UpdateItem", err)),
        }
    }
}
