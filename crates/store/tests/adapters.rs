//! The AWS adapters against mocked SDK clients: the requests they send and how they read
//! answers and errors.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::operation::delete_item::DeleteItemOutput;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::transact_write_items::{
    TransactWriteItemsError, TransactWriteItemsOutput,
};
use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
use aws_sdk_dynamodb::types::error::{
    ConditionalCheckFailedException, ProvisionedThroughputExceededException,
    TransactionCanceledException,
};
use aws_sdk_dynamodb::types::{AttributeValue, CancellationReason};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use narratix_domain::{Category, FileStatus, JobId, JobStatus};
use narratix_domain::{FileId, ObjectKey};
use narratix_store::aws::{ApiGatewayPoster, DynamoStore, S3Objects};
use narratix_store::ports::{
    ConnectionPoster, ConnectionStore, DailyQuota, JobReader, JobWriter, NoticeLedger,
    ObjectReader, PostError, UploadUrls,
};
use narratix_store::{Moment, NewFile, NewJob, QuotaOutcome, QuotaTake, StoreError, StoredError};

type Item = HashMap<String, AttributeValue>;

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

fn n(number: i64) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

fn item(pairs: &[(&str, AttributeValue)]) -> Item {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

fn job_id() -> JobId {
    JobId::parse("job-1").expect("id")
}

fn now() -> Moment {
    Moment::from_epoch_seconds(1_795_000_000)
}

fn new_job() -> NewJob {
    NewJob {
        job_id: job_id(),
        owner: "alice".into(),
        created_at: "2026-11-18T11:06:40Z".into(),
        expires_at: 1_795_086_400,
        files: vec![
            NewFile {
                file_id: narratix_domain::FileId::parse("f1").expect("file id"),
                name: "자기소개서.pdf".into(),
                key: narratix_domain::ObjectKey::parse("uploads/job-1/f1.pdf").expect("key"),
                size_bytes: 1234,
            },
            NewFile {
                file_id: narratix_domain::FileId::parse("f2").expect("file id"),
                name: "b.pdf".into(),
                key: narratix_domain::ObjectKey::parse("uploads/job-1/f2.pdf").expect("key"),
                size_bytes: 99,
            },
        ],
    }
}

#[tokio::test]
async fn create_job_writes_the_job_and_its_files_conditionally_in_one_transaction() {
    let rule = mock!(aws_sdk_dynamodb::Client::transact_write_items)
        .match_requests(|req| {
            let items = req.transact_items();
            let puts: Vec<_> = items.iter().filter_map(|i| i.put()).collect();
            let job = puts[0].item();
            let file = puts[1].item();
            puts.len() == 3
                && puts
                    .iter()
                    .all(|p| p.condition_expression() == Some("attribute_not_exists(pk)"))
                && job.get("pk") == Some(&s("JOB#job-1"))
                && job.get("sk") == Some(&s("JOB"))
                && job.get("status") == Some(&s("CREATED"))
                && job.get("owner") == Some(&s("alice"))
                && job.get("gsi1pk") == Some(&s("OWNER#alice"))
                && job.get("gsi1sk") == Some(&s("2026-11-18T11:06:40Z"))
                && job.get("fileCount") == Some(&n(2))
                && job.get("expiresAt") == Some(&n(1_795_086_400))
                && file.get("sk") == Some(&s("FILE#f1"))
                && file.get("status") == Some(&s("PENDING"))
                && file.get("key") == Some(&s("uploads/job-1/f1.pdf"))
                && file.get("sizeBytes") == Some(&n(1234))
        })
        .then_output(|| TransactWriteItemsOutput::builder().build());
    let client = mock_client!(aws_sdk_dynamodb, &[&rule]);
    DynamoStore::new(client, "table")
        .create_job(&new_job())
        .await
        .expect("created");
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn create_job_of_an_existing_id_is_already_exists() {
    let rule = mock!(aws_sdk_dynamodb::Client::transact_write_items).then_error(|| {
        TransactWriteItemsError::TransactionCanceledException(
            TransactionCanceledException::builder()
                .cancellation_reasons(
                    CancellationReason::builder()
                        .code("ConditionalCheckFailed")
                        .build(),
                )
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_dynamodb, &[&rule]);
    let error = DynamoStore::new(client, "table")
        .create_job(&new_job())
        .await
        .expect_err("exists");
    assert!(matches!(error, StoreError::JobExists(_)));
}

#[tokio::test]
async fn snapshot_reads_the_job_and_its_files_in_order() {
    let pairs =
        serde_json::json!([{"question": "지원동기", "answer": "저는", "category": "MOTIVATION"}])
            .to_string();
    let rule = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|req| {
            req.key_condition_expression() == Some("pk = :pk")
                && req.consistent_read() == Some(true)
                && req.expression_attribute_values().and_then(|v| v.get(":pk"))
                    == Some(&s("JOB#job-1"))
        })
        .then_output(move || {
            QueryOutput::builder()
                .items(item(&[
                    ("pk", s("JOB#job-1")),
                    ("sk", s("FILE#f2")),
                    ("fileId", s("f2")),
                    ("key", s("uploads/job-1/f2.pdf")),
                    ("status", s("FAILED")),
                    ("error", s("Extract.Encrypted")),
                    (
                        "cause",
                        s(r#"{"errorType":"Extract.Encrypted","errorMessage":"needs a user password"}"#),
                    ),
                ]))
                .items(item(&[
                    ("pk", s("JOB#job-1")),
                    ("sk", s("JOB")),
                    ("jobId", s("job-1")),
                    ("owner", s("alice")),
                    ("status", s("PARTIAL")),
                    ("createdAt", s("2026-11-18T11:06:40Z")),
                    ("fileCount", n(2)),
                    ("succeeded", n(1)),
                    ("failed", n(1)),
                ]))
                .items(item(&[
                    ("pk", s("JOB#job-1")),
                    ("sk", s("FILE#f1")),
                    ("fileId", s("f1")),
                    ("name", s("a.pdf")),
                    ("key", s("uploads/job-1/f1.pdf")),
                    ("sizeBytes", n(1234)),
                    ("status", s("SUCCEEDED")),
                    ("pages", n(2)),
                    ("truncated", AttributeValue::Bool(false)),
                    ("pairs", s(&pairs)),
                    ("pairCount", n(1)),
                    ("inputTokens", n(800)),
                    ("outputTokens", n(120)),
                    ("aiCalls", n(1)),
                ]))
                .build()
        });
    let client = mock_client!(aws_sdk_dynamodb, &[&rule]);
    let snapshot = DynamoStore::new(client, "table")
        .snapshot(&job_id())
        .await
        .expect("read")
        .expect("job");
    assert_eq!(snapshot.job.status, JobStatus::Partial);
    assert_eq!((snapshot.job.succeeded, snapshot.job.failed), (1, 1));
    let ids: Vec<_> = snapshot.files.iter().map(|f| f.file_id.as_str()).collect();
    assert_eq!(ids, ["f1", "f2"]);
    let f1 = &snapshot.files[0];
    assert_eq!(f1.status, FileStatus::Succeeded);
    assert_eq!(
        f1.pairs.as_ref().expect("pairs")[0].category,
        Category::Motivation
    );
    assert_eq!(f1.usage.input_tokens, 800);
    assert_eq!(f1.usage.calls, 1);
    assert_eq!(
        snapshot.files[1].error,
        Some(StoredError::new(
            "Extract.Encrypted",
            "needs a user password"
        ))
    );
}

#[tokio::test]
async fn unreadable_items_are_corrupt_and_missing_jobs_none() {
    let corrupt = mock!(aws_sdk_dynamodb::Client::query).then_output(|| {
        QueryOutput::builder()
            .items(item(&[
                ("pk", s("JOB#job-1")),
                ("sk", s("JOB")),
                ("jobId", s("job-1")),
                ("owner", s("alice")),
                ("status", s("EXPLODED")),
                ("createdAt", s("x")),
            ]))
            .build()
    });
    let empty =
        mock!(aws_sdk_dynamodb::Client::query).then_output(|| QueryOutput::builder().build());
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, &[&corrupt, &empty]);
    let store = DynamoStore::new(client, "table");
    let error = store.snapshot(&job_id()).await.expect_err("corrupt");
    assert!(matches!(error, StoreError::Corrupt { .. }));
    assert_eq!(store.snapshot(&job_id()).await.expect("read"), None);
}

#[tokio::test]
async fn jobs_of_queries_the_owner_index_newest_first() {
    let rule = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|req| {
            req.index_name() == Some("byOwner")
                && req.scan_index_forward() == Some(false)
                && req.limit() == Some(20)
                && req
                    .expression_attribute_values()
                    .and_then(|v| v.get(":owner"))
                    == Some(&s("OWNER#alice"))
        })
        .then_output(|| QueryOutput::builder().build());
    let client = mock_client!(aws_sdk_dynamodb, &[&rule]);
    let jobs = DynamoStore::new(client, "table")
        .jobs_of("alice", 20)
        .await
        .expect("list");
    assert!(jobs.is_empty());
    assert_eq!(rule.num_calls(), 1);
}

fn condition_failed() -> UpdateItemError {
    UpdateItemError::ConditionalCheckFailedException(
        ConditionalCheckFailedException::builder().build(),
    )
}

#[tokio::test]
async fn mark_started_of_a_job_already_running_still_drops_every_expiry() {
    let transition = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(|req| {
            req.condition_expression() == Some("#status = :created")
                && req
                    .update_expression()
                    .is_some_and(|e| e.contains("REMOVE expiresAt"))
        })
        .then_error(condition_failed);
    let job_expiry = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(|req| {
            req.key().and_then(|k| k.get("sk")) == Some(&s("JOB"))
                && req
                    .update_expression()
                    .is_some_and(|e| e.ends_with("REMOVE expiresAt") && e.contains("openPk"))
                && req.condition_expression()
                    == Some("attribute_exists(pk) AND #status IN (:created, :running)")
        })
        .then_output(|| UpdateItemOutput::builder().build());
    let file_expiry = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(|req| {
            req.key().and_then(|k| k.get("sk")) == Some(&s("FILE#f1"))
                && req.update_expression() == Some("REMOVE expiresAt")
                && req
                    .condition_expression()
                    .is_some_and(|c| c.contains("NOT (#status IN (:succeeded, :failed))"))
        })
        .then_output(|| UpdateItemOutput::builder().build());
    let client = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::Sequential,
        &[&transition, &job_expiry, &file_expiry]
    );
    let started = DynamoStore::new(client, "table")
        .mark_started(&job_id(), &[FileId::at_position(0)], &now())
        .await
        .expect("marked");
    assert!(!started);
    assert_eq!(file_expiry.num_calls(), 1);
}

#[tokio::test]
async fn final_notice_record_is_conditional_closes_the_job_and_starts_retention() {
    let expires = 1_795_000_000 + 90 * 86_400;
    let recorded = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(move |req| {
            req.condition_expression()
                == Some("attribute_exists(pk) AND attribute_not_exists(finalNoticeAt)")
                && req.update_expression()
                    == Some("SET finalNoticeAt = :now, expiresAt = :expires REMOVE openPk, openSk")
                && req
                    .expression_attribute_values()
                    .and_then(|v| v.get(":expires"))
                    == Some(&n(expires))
        })
        .then_output(|| UpdateItemOutput::builder().build());
    let file_expiry = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(|req| {
            req.key().and_then(|k| k.get("sk")) == Some(&s("FILE#f1"))
                && req.update_expression() == Some("SET expiresAt = :expires")
        })
        .then_output(|| UpdateItemOutput::builder().build());
    let taken = mock!(aws_sdk_dynamodb::Client::update_item).then_error(condition_failed);
    let throttled = mock!(aws_sdk_dynamodb::Client::update_item).then_error(|| {
        UpdateItemError::ProvisionedThroughputExceededException(
            ProvisionedThroughputExceededException::builder().build(),
        )
    });
    let client = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::Sequential,
        &[&recorded, &file_expiry, &taken, &throttled],
        |config| config.retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
    );
    let store = DynamoStore::new(client, "table");
    let files = [FileId::at_position(0)];
    assert!(store
        .record_final_notice(&job_id(), &files, &now(), expires)
        .await
        .expect("first"));
    assert_eq!(file_expiry.num_calls(), 1);
    assert!(!store
        .record_final_notice(&job_id(), &files, &now(), expires)
        .await
        .expect("second"));
    let error = store
        .record_final_notice(&job_id(), &files, &now(), expires)
        .await
        .expect_err("throttled");
    assert_eq!(error.kind().name(), "Storage.Unavailable");
}

#[tokio::test]
async fn the_daily_quota_is_one_conditional_add_and_names_what_ran_out() {
    let take = QuotaTake {
        jobs: 1,
        files: 3,
        max_jobs: 20,
        max_files: 30,
    };
    let taken = mock!(aws_sdk_dynamodb::Client::update_item)
        .match_requests(|req| {
            req.key().and_then(|k| k.get("pk")) == Some(&s("QUOTA#alice"))
                && req.key().and_then(|k| k.get("sk")) == Some(&s("DAY#2026-11-18"))
                && req
                    .update_expression()
                    .is_some_and(|e| e.starts_with("ADD #jobs :jobs, #files :files"))
                && req
                    .expression_attribute_values()
                    .and_then(|v| v.get(":filesLeft"))
                    == Some(&n(27))
        })
        .then_output(|| UpdateItemOutput::builder().build());
    let files_out = mock!(aws_sdk_dynamodb::Client::update_item).then_error(|| {
        UpdateItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder()
                .set_item(Some(item(&[("jobs", n(5)), ("files", n(29))])))
                .build(),
        )
    });
    let client = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::Sequential,
        &[&taken, &files_out]
    );
    let store = DynamoStore::new(client, "table");
    assert_eq!(
        store
            .take("alice", "2026-11-18", &take, 0)
            .await
            .expect("taken"),
        QuotaOutcome::Taken
    );
    assert_eq!(
        store
            .take("alice", "2026-11-18", &take, 0)
            .await
            .expect("refused"),
        QuotaOutcome::FilesExhausted
    );
    // More files than a whole day holds never reach the table.
    let too_many = QuotaTake {
        max_files: 2,
        ..take
    };
    assert_eq!(
        store
            .take("alice", "2026-11-18", &too_many, 0)
            .await
            .expect("refused"),
        QuotaOutcome::FilesExhausted
    );
}

#[tokio::test]
async fn owner_connections_skip_expired_ones_and_disconnect_deletes_both_items() {
    let list = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|req| {
            req.key_condition_expression() == Some("pk = :pk AND begins_with(sk, :conn)")
        })
        .then_output(|| {
            QueryOutput::builder()
                .items(item(&[
                    ("connectionId", s("live")),
                    ("expiresAt", n(1_795_000_060)),
                    ("tokenExpiresAt", n(1_795_000_030)),
                ]))
                .items(item(&[
                    ("connectionId", s("before-expiry-was-stored")),
                    ("expiresAt", n(1_795_000_090)),
                ]))
                .items(item(&[
                    ("connectionId", s("stale")),
                    ("expiresAt", n(1_794_999_000)),
                ]))
                .build()
        });
    let delete_by_id = mock!(aws_sdk_dynamodb::Client::delete_item)
        .match_requests(|req| req.key().and_then(|k| k.get("pk")) == Some(&s("CONN#live")))
        .then_output(|| {
            DeleteItemOutput::builder()
                .attributes("owner", s("alice"))
                .build()
        });
    let delete_by_owner = mock!(aws_sdk_dynamodb::Client::delete_item)
        .match_requests(|req| {
            req.key().and_then(|k| k.get("pk")) == Some(&s("OWNER#alice"))
                && req.key().and_then(|k| k.get("sk")) == Some(&s("CONN#live"))
        })
        .then_output(|| DeleteItemOutput::builder().build());
    let client = mock_client!(
        aws_sdk_dynamodb,
        RuleMode::Sequential,
        &[&list, &delete_by_id, &delete_by_owner]
    );
    let store = DynamoStore::new(client, "table");
    let listed = store.connections_of("alice", &now()).await.expect("list");
    assert_eq!(
        listed
            .iter()
            .map(|entry| (entry.connection_id.as_str(), entry.token_expires_at))
            .collect::<Vec<_>>(),
        // A connection stored before its token's expiry was: valid until its item expires.
        [
            ("live", 1_795_000_030),
            ("before-expiry-was-stored", 1_795_000_090)
        ]
    );
    store.delete_connection("live").await.expect("deleted");
    assert_eq!(delete_by_owner.num_calls(), 1);
}

#[tokio::test]
async fn a_connection_is_stored_with_its_tokens_expiry_and_only_its_item_is_on_the_token_index() {
    use aws_sdk_dynamodb::operation::put_item::PutItemOutput;
    let by_id = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|req| {
            let item = req.item().cloned().unwrap_or_default();
            item.get("pk") == Some(&s("CONN#c1"))
                && item.get("tokenPk") == Some(&s("CONN"))
                && item.get("tokenExpiresAt") == Some(&n(1_795_000_900))
                && item.get("expiresAt") == Some(&n(1_795_007_200))
        })
        .then_output(|| PutItemOutput::builder().build());
    let by_owner = mock!(aws_sdk_dynamodb::Client::put_item)
        .match_requests(|req| {
            let item = req.item().cloned().unwrap_or_default();
            item.get("pk") == Some(&s("OWNER#alice"))
                && !item.contains_key("tokenPk")
                && item.get("tokenExpiresAt") == Some(&n(1_795_000_900))
        })
        .then_output(|| PutItemOutput::builder().build());
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, &[&by_id, &by_owner]);
    let store = DynamoStore::new(client, "table");
    store
        .put_connection(&narratix_store::Connection {
            connection_id: "c1".into(),
            owner: "alice".into(),
            connected_at: now().rfc3339(),
            expires_at: 1_795_007_200,
            token_expires_at: 1_795_000_900,
        })
        .await
        .expect("stored");
    assert_eq!((by_id.num_calls(), by_owner.num_calls()), (1, 1));
}

#[tokio::test]
async fn expired_connections_query_the_token_index_page_by_page_up_to_the_limit() {
    use narratix_store::ports::ExpiredConnections;
    let first = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|req| {
            req.index_name() == Some("byTokenExpiry")
                && req.key_condition_expression()
                    == Some("tokenPk = :conn AND tokenExpiresAt <= :now")
                && req
                    .expression_attribute_values()
                    .and_then(|v| v.get(":now"))
                    == Some(&n(1_795_000_000))
                && req.limit() == Some(3)
        })
        .then_output(|| {
            QueryOutput::builder()
                .items(item(&[
                    ("connectionId", s("a")),
                    ("tokenExpiresAt", n(1_794_999_000)),
                ]))
                .last_evaluated_key("pk", s("CONN#a"))
                .build()
        });
    let second = mock!(aws_sdk_dynamodb::Client::query)
        .match_requests(|req| {
            req.limit() == Some(2)
                && req.exclusive_start_key().and_then(|k| k.get("pk")) == Some(&s("CONN#a"))
        })
        .then_output(|| {
            QueryOutput::builder()
                .items(item(&[
                    ("connectionId", s("b")),
                    ("tokenExpiresAt", n(1_794_999_500)),
                ]))
                .build()
        });
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, &[&first, &second]);
    let store = DynamoStore::new(client, "table");
    let expired = store.expired_connections(&now(), 3).await.expect("expired");
    assert_eq!(
        expired
            .iter()
            .map(|entry| (entry.connection_id.as_str(), entry.token_expires_at))
            .collect::<Vec<_>>(),
        [("a", 1_794_999_000), ("b", 1_794_999_500)]
    );
}

fn key(text: &str) -> ObjectKey {
    ObjectKey::parse(text).expect("key")
}

fn s3_client(rules: &[&aws_smithy_mocks::Rule]) -> aws_sdk_s3::Client {
    mock_client!(aws_sdk_s3, RuleMode::Sequential, rules)
}

#[tokio::test]
async fn presigned_put_is_signed_for_pdf_content_type_and_length() {
    use aws_sdk_s3::config::{Credentials, Region};
    let config = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .build();
    let objects = S3Objects::new(aws_sdk_s3::Client::from_conf(config), "uploads-bucket");
    let put = objects
        .presign_put(&key("uploads/job-1/f1.pdf"), 1234, Duration::from_secs(900))
        .await
        .expect("presigned");
    assert!(put.url.contains("uploads/job-1/f1.pdf"), "{}", put.url);
    assert!(put.url.contains("X-Amz-Expires=900"), "{}", put.url);
    let signed = put
        .url
        .split(['?', '&'])
        .find_map(|part| part.strip_prefix("X-Amz-SignedHeaders="))
        .expect("signed headers");
    assert!(
        signed.contains("content-length") && signed.contains("content-type"),
        "{signed}"
    );
    assert_eq!(
        put.headers.get("content-type").map(String::as_str),
        Some("application/pdf")
    );
}

#[tokio::test]
async fn object_size_prefix_and_missing_objects() {
    use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
    use aws_sdk_s3::operation::head_object::{HeadObjectError, HeadObjectOutput};
    use aws_sdk_s3::primitives::ByteStream;
    use aws_sdk_s3::types::error::{NoSuchKey, NotFound};
    let head = mock!(aws_sdk_s3::Client::head_object)
        .then_output(|| HeadObjectOutput::builder().content_length(5000).build());
    let head_missing = mock!(aws_sdk_s3::Client::head_object)
        .then_error(|| HeadObjectError::NotFound(NotFound::builder().build()));
    let prefix = mock!(aws_sdk_s3::Client::get_object)
        .match_requests(|req| req.range() == Some("bytes=0-1023"))
        .then_output(|| {
            GetObjectOutput::builder()
                .body(ByteStream::from_static(b"%PDF-1.7\n"))
                .build()
        });
    let missing = mock!(aws_sdk_s3::Client::get_object)
        .then_error(|| GetObjectError::NoSuchKey(NoSuchKey::builder().build()));
    let objects = S3Objects::new(
        s3_client(&[&head, &head_missing, &prefix, &missing]),
        "bucket",
    );
    assert_eq!(objects.size(&key("k")).await.expect("head"), Some(5000));
    assert_eq!(objects.size(&key("k")).await.expect("head"), None);
    assert_eq!(
        objects.read_prefix(&key("k"), 1024).await.expect("prefix"),
        b"%PDF-1.7\n"
    );
    assert!(matches!(
        objects.read(&key("k")).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn posting_to_a_gone_connection_is_gone() {
    use aws_sdk_apigatewaymanagement::operation::post_to_connection::{
        PostToConnectionError, PostToConnectionOutput,
    };
    use aws_sdk_apigatewaymanagement::types::error::{ForbiddenException, GoneException};
    let ok = mock!(aws_sdk_apigatewaymanagement::Client::post_to_connection)
        .match_requests(|req| {
            req.connection_id() == Some("c1")
                && req.data().map(|d| d.as_ref()) == Some(&b"{\"type\":\"x\"}"[..])
        })
        .then_output(|| PostToConnectionOutput::builder().build());
    let gone = mock!(aws_sdk_apigatewaymanagement::Client::post_to_connection)
        .then_error(|| PostToConnectionError::GoneException(GoneException::builder().build()));
    let forbidden =
        mock!(aws_sdk_apigatewaymanagement::Client::post_to_connection).then_error(|| {
            PostToConnectionError::ForbiddenException(ForbiddenException::builder().build())
        });
    let client = mock_client!(
        aws_sdk_apigatewaymanagement,
        RuleMode::Sequential,
        &[&ok, &gone, &forbidden]
    );
    let poster = ApiGatewayPoster::new(client);
    assert!(poster.post("c1", b"{\"type\":\"x\"}").await.is_ok());
    assert!(matches!(
        poster.post("c1", b"{}").await,
        Err(PostError::Gone)
    ));
    assert!(matches!(
        poster.post("c1", b"{}").await,
        Err(PostError::Failed(_))
    ));
}

#[tokio::test]
async fn closing_a_connection_deletes_it_and_a_gone_one_is_gone() {
    use aws_sdk_apigatewaymanagement::operation::delete_connection::{
        DeleteConnectionError, DeleteConnectionOutput,
    };
    use aws_sdk_apigatewaymanagement::types::error::{ForbiddenException, GoneException};
    let ok = mock!(aws_sdk_apigatewaymanagement::Client::delete_connection)
        .match_requests(|req| req.connection_id() == Some("c1"))
        .then_output(|| DeleteConnectionOutput::builder().build());
    let gone = mock!(aws_sdk_apigatewaymanagement::Client::delete_connection)
        .then_error(|| DeleteConnectionError::GoneException(GoneException::builder().build()));
    let forbidden =
        mock!(aws_sdk_apigatewaymanagement::Client::delete_connection).then_error(|| {
            DeleteConnectionError::ForbiddenException(ForbiddenException::builder().build())
        });
    let client = mock_client!(
        aws_sdk_apigatewaymanagement,
        RuleMode::Sequential,
        &[&ok, &gone, &forbidden]
    );
    let poster = ApiGatewayPoster::new(client);
    assert!(poster.close("c1").await.is_ok());
    assert!(matches!(poster.close("c1").await, Err(PostError::Gone)));
    assert!(matches!(
        poster.close("c1").await,
        Err(PostError::Failed(_))
    ));
}

#[tokio::test]
async fn a_capped_read_refuses_an_oversized_object_before_its_body_and_caps_an_undeclared_one() {
    use aws_sdk_s3::operation::get_object::GetObjectOutput;
    use aws_sdk_s3::primitives::ByteStream;
    use narratix_store::Capped;
    let small = mock!(aws_sdk_s3::Client::get_object)
        .match_requests(|req| {
            req.bucket() == Some("bucket") && req.key() == Some("uploads/j/f1.pdf")
        })
        .then_output(|| {
            GetObjectOutput::builder()
                .content_length(9)
                .body(ByteStream::from_static(b"%PDF-1.7\n"))
                .build()
        });
    let declared_large = mock!(aws_sdk_s3::Client::get_object).then_output(|| {
        GetObjectOutput::builder()
            .content_length(6_000_000)
            .body(ByteStream::from_static(b"%PDF-"))
            .build()
    });
    let undeclared_large = mock!(aws_sdk_s3::Client::get_object).then_output(|| {
        GetObjectOutput::builder()
            .body(ByteStream::from_static(b"%PDF-1.7 and much more"))
            .build()
    });
    let objects = S3Objects::new(
        s3_client(&[&small, &declared_large, &undeclared_large]),
        "bucket",
    );
    let pdf = key("uploads/j/f1.pdf");
    assert_eq!(
        objects.read_capped(&pdf, 1000).await.expect("read"),
        Capped::Bytes(b"%PDF-1.7\n".to_vec())
    );
    assert_eq!(
        objects.read_capped(&pdf, 5_000_000).await.expect("read"),
        Capped::TooLarge { size: 6_000_000 }
    );
    assert!(matches!(
        objects.read_capped(&pdf, 8).await.expect("read"),
        Capped::TooLarge { .. }
    ));
}

#[tokio::test]
async fn writes_carry_their_content_type_and_a_conditional_write_keeps_an_existing_object() {
    use aws_sdk_s3::operation::put_object::PutObjectOutput;
    use narratix_store::aws::{JSON_CONTENT_TYPE, TEXT_CONTENT_TYPE};
    use narratix_store::ports::ObjectWriter;
    use narratix_store::PutOutcome;
    let text = mock!(aws_sdk_s3::Client::put_object)
        .match_requests(|req| {
            req.key() == Some("text/job-1/f1.txt")
                && req.content_type() == Some(TEXT_CONTENT_TYPE)
                && req.if_none_match().is_none()
                && req.body().bytes() == Some("지원 동기".as_bytes())
        })
        .then_output(|| PutObjectOutput::builder().build());
    let result = mock!(aws_sdk_s3::Client::put_object)
        .match_requests(|req| {
            req.if_none_match() == Some("*") && req.content_type() == Some(JSON_CONTENT_TYPE)
        })
        .then_output(|| PutObjectOutput::builder().build());
    let exists = mock!(aws_sdk_s3::Client::put_object)
        .sequence()
        .http_status(
            412,
            Some(
                "<Error><Code>PreconditionFailed</Code><Message>At least one of the \
                 pre-conditions you specified did not hold</Message></Error>"
                    .to_owned(),
            ),
        )
        .build();
    let objects = S3Objects::new(s3_client(&[&text, &result, &exists]), "bucket");
    objects
        .put(
            &key("text/job-1/f1.txt"),
            "지원 동기".as_bytes().to_vec(),
            TEXT_CONTENT_TYPE,
        )
        .await
        .expect("stored");
    let results = key("results/j/f1.json");
    assert_eq!(
        objects
            .put_if_absent(&results, b"[]".to_vec(), JSON_CONTENT_TYPE)
            .await
            .expect("put"),
        PutOutcome::Written
    );
    assert_eq!(
        objects
            .put_if_absent(&results, b"[]".to_vec(), JSON_CONTENT_TYPE)
            .await
            .expect("answered"),
        PutOutcome::AlreadyExists
    );
}

#[tokio::test]
async fn a_server_error_keeps_its_cause_to_the_wire() {
    use aws_sdk_s3::config::retry::RetryConfig;
    let broken = mock!(aws_sdk_s3::Client::get_object)
        .sequence()
        .http_status(503, None)
        .repeatedly()
        .build();
    let client = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&broken], |config| config
        .retry_config(RetryConfig::disabled()));
    let error = S3Objects::new(client, "bucket")
        .read(&key("text/j/f1.txt"))
        .await
        .expect_err("unavailable");
    assert!(error.is_transient(), "{error:?}");
    let wire = narratix_domain::WireError::from(error);
    assert_eq!(wire.name(), "Storage.Unavailable");
    assert!(
        wire.cause.starts_with("S3 GetObject failed: "),
        "{}",
        wire.cause
    );
}

#[tokio::test]
async fn a_head_answered_403_is_a_missing_object_as_s3_answers_without_list_bucket() {
    // Without s3:ListBucket, S3 answers HEAD on a missing key 403, not 404: read as missing,
    // a start before the upload is Upload.Missing 409 deployed too (it was 503).
    let forbidden = mock!(aws_sdk_s3::Client::head_object)
        .sequence()
        .http_status(403, None)
        .build();
    let objects = S3Objects::new(s3_client(&[&forbidden]), "bucket");
    assert_eq!(
        objects
            .size(&key("uploads/j/f1.pdf"))
            .await
            .expect("403 is missing"),
        None
    );
}
