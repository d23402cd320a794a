//! The `extract` Lambda: `{jobId, fileId, bucket, key}` → text stored at
//! `text/{jobId}/{fileId}.txt` → `{textKey, pages, chars, truncated}`. Errors reach Step
//! Functions as `Extract.*`, `Storage.*`, `Input.Invalid` or `Internal.Panic`.

mod handler;
mod s3;
mod storage;

use handler::{handle, IsolatedExtractor};
use narratix_extract::Limits;
use s3::S3Storage;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), BoxError> {
    // In an extraction child this parses the PDF on stdin and exits.
    narratix_extract::run_child_if_requested();
    narratix_domain::lambda::init_tracing();
    let extractor = IsolatedExtractor::new(Limits::from_env()?);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let shared = aws_config::load_from_env().await;
            let storage = S3Storage::new(s3::client_from_env(&shared));
            narratix_domain::lambda::serve(|event| handle(&storage, &extractor, event)).await
        })
}
