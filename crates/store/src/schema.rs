//! The table's layout (`docs/data-model.md`), in one place: key builders and attribute names.
//! The DynamoDB adapter reads and writes items only through these, and a static test checks
//! every `Key` and `UpdateExpression` of the state machine's DynamoDB tasks against them.

use narratix_domain::{FileId, JobId};

/// Partition key attribute.
pub const PK: &str = "pk";
/// Sort key attribute.
pub const SK: &str = "sk";

/// A job's items (the job and its files) share the partition `JOB#{jobId}`.
pub const JOB_PREFIX: &str = "JOB#";
/// The job item's sort key.
pub const JOB_SK: &str = "JOB";
/// A file item's sort key is `FILE#{fileId}`.
pub const FILE_PREFIX: &str = "FILE#";
/// A connection item is `CONN#{connectionId}` / `CONN`; its owner entry is
/// `OWNER#{owner}` / `CONN#{connectionId}`.
pub const CONNECTION_PREFIX: &str = "CONN#";
pub const CONNECTION_SK: &str = "CONN";
pub const OWNER_PREFIX: &str = "OWNER#";

/// The index over owners' jobs (`gsi1pk` = `OWNER#{owner}`, `gsi1sk` = `createdAt`).
pub const OWNER_INDEX: &str = "byOwner";

/// The sparse index of jobs that started and have not recorded their final notice yet
/// (`openPk` = [`OPEN_PK`], `openSk` = `startedAt`): what the sweep reads.
pub const OPEN_INDEX: &str = "byOpenJob";
/// The one partition of [`OPEN_INDEX`]: only jobs in flight are in it, a handful at a time.
pub const OPEN_PK: &str = "OPEN";

/// The sparse index of connections by when their token expires (`tokenPk` = [`TOKEN_PK`],
/// `tokenExpiresAt`): what the sweep reads to close idle sockets whose token expired. Only
/// connection items (`CONN#{id}` / `CONN`) carry `tokenPk`; they leave the index with the item.
pub const TOKEN_INDEX: &str = "byTokenExpiry";
/// The one partition of [`TOKEN_INDEX`]: the open connections, each until it is closed.
pub const TOKEN_PK: &str = "CONN";

/// A user's daily quota counters are `QUOTA#{owner}` / `DAY#{yyyy-mm-dd}` (UTC).
pub const QUOTA_PREFIX: &str = "QUOTA#";
/// The AI rate governor's shared schedule: one item.
pub const RATE_PK: &str = "GOVERNOR";
pub const RATE_SK: &str = "AI";
pub const DAY_PREFIX: &str = "DAY#";

/// The attribute names of every item kind.
pub mod attr {
    pub const GSI1_PK: &str = "gsi1pk";
    pub const GSI1_SK: &str = "gsi1sk";
    /// Epoch seconds; the table's TTL attribute.
    // The rate governor's schedule (milliseconds since the Unix epoch, and a version).
    pub const REQUESTS_FREE_AT: &str = "requestsFreeAt";
    pub const TOKENS_FREE_AT: &str = "tokensFreeAt";
    pub const NOT_BEFORE: &str = "notBefore";
    pub const LEARNED_RPM: &str = "learnedRpm";
    pub const LAST_DECREASE: &str = "lastDecrease";
    pub const VERSION: &str = "version";
    pub const EXPIRES_AT: &str = "expiresAt";

    // job
    pub const JOB_ID: &str = "jobId";
    pub const OWNER: &str = "owner";
    pub const STATUS: &str = "status";
    pub const CREATED_AT: &str = "createdAt";
    pub const FILE_COUNT: &str = "fileCount";
    pub const SUCCEEDED: &str = "succeeded";
    pub const FAILED: &str = "failed";
    pub const ERROR: &str = "error";
    pub const CAUSE: &str = "cause";
    pub const STARTED_AT: &str = "startedAt";
    pub const FINISHED_AT: &str = "finishedAt";
    pub const FINAL_NOTICE_AT: &str = "finalNoticeAt";
    /// Set while the job is open (started, final notice not recorded): keys of the sweep's
    /// index.
    pub const OPEN_PK: &str = "openPk";
    pub const OPEN_SK: &str = "openSk";

    // daily quota
    pub const JOBS: &str = "jobs";
    pub const FILES: &str = "files";

    // file
    pub const FILE_ID: &str = "fileId";
    pub const NAME: &str = "name";
    pub const KEY: &str = "key";
    pub const SIZE_BYTES: &str = "sizeBytes";
    pub const PAGES: &str = "pages";
    pub const CHARS: &str = "chars";
    pub const TRUNCATED: &str = "truncated";
    /// The pairs as a JSON array, when they fit in the item.
    pub const PAIRS: &str = "pairs";
    /// The S3 key of the pairs, when they do not.
    pub const RESULT_KEY: &str = "resultKey";
    pub const PAIR_COUNT: &str = "pairCount";
    /// The save-form suggestions read from the file (company, position, year, half), as JSON.
    pub const PREFILL: &str = "prefill";
    pub const INPUT_TOKENS: &str = "inputTokens";
    pub const OUTPUT_TOKENS: &str = "outputTokens";
    pub const AI_CALLS: &str = "aiCalls";
    /// Set once, by the worker that stored the result: marks the file as labeled.
    pub const LABELED_AT: &str = "labeledAt";

    // connection
    pub const CONNECTION_ID: &str = "connectionId";
    pub const CONNECTED_AT: &str = "connectedAt";
    /// Epoch seconds: the `exp` of the connection's token (both connection items; the sort
    /// key of the token index).
    pub const TOKEN_EXPIRES_AT: &str = "tokenExpiresAt";
    /// [`super::TOKEN_PK`] on the connection item: puts it on the token index.
    pub const TOKEN_PK: &str = "tokenPk";

    /// Every attribute a job item has.
    pub const JOB: &[&str] = &[
        super::PK,
        super::SK,
        GSI1_PK,
        GSI1_SK,
        EXPIRES_AT,
        JOB_ID,
        OWNER,
        STATUS,
        CREATED_AT,
        FILE_COUNT,
        SUCCEEDED,
        FAILED,
        ERROR,
        CAUSE,
        STARTED_AT,
        FINISHED_AT,
        FINAL_NOTICE_AT,
        OPEN_PK,
        OPEN_SK,
    ];

    /// Every attribute a file item has.
    pub const FILE: &[&str] = &[
        super::PK,
        super::SK,
        EXPIRES_AT,
        FILE_ID,
        NAME,
        KEY,
        SIZE_BYTES,
        STATUS,
        ERROR,
        CAUSE,
        PAGES,
        CHARS,
        TRUNCATED,
        PAIRS,
        RESULT_KEY,
        PREFILL,
        PAIR_COUNT,
        INPUT_TOKENS,
        OUTPUT_TOKENS,
        AI_CALLS,
        LABELED_AT,
    ];
}

/// The key of a job item.
pub fn job_key(job_id: &JobId) -> (String, String) {
    (job_pk(job_id), JOB_SK.to_owned())
}

/// The key of a file item.
pub fn file_key(job_id: &JobId, file_id: &FileId) -> (String, String) {
    (job_pk(job_id), format!("{FILE_PREFIX}{file_id}"))
}

/// The partition of a job and its files.
pub fn job_pk(job_id: &JobId) -> String {
    format!("{JOB_PREFIX}{job_id}")
}

/// The key of a connection item.
pub fn connection_key(connection_id: &str) -> (String, String) {
    (
        format!("{CONNECTION_PREFIX}{connection_id}"),
        CONNECTION_SK.to_owned(),
    )
}

/// The key of a connection's entry under its owner.
pub fn owner_connection_key(owner: &str, connection_id: &str) -> (String, String) {
    (
        owner_pk(owner),
        format!("{CONNECTION_PREFIX}{connection_id}"),
    )
}

/// The key of an owner's quota counters for one UTC day (`yyyy-mm-dd`).
pub fn quota_key(owner: &str, day: &str) -> (String, String) {
    (
        format!("{QUOTA_PREFIX}{owner}"),
        format!("{DAY_PREFIX}{day}"),
    )
}

/// The key of the rate governor's schedule item.
pub fn rate_key() -> (String, String) {
    (RATE_PK.to_owned(), RATE_SK.to_owned())
}

/// The partition of an owner's connections, and the owner index's partition of their jobs.
pub fn owner_pk(owner: &str) -> String {
    format!("{OWNER_PREFIX}{owner}")
}
