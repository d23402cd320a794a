//! The `extract` Lambda: `{jobId, fileId, bucket, key}` → text stored at
//! `text/{jobId}/{fileId}.txt` → `{textKey, pages, chars, truncated}`. Errors reach Step
//! Functions as `Extract.*`, `Storage.*`, `Input.Invalid` or `Internal.Panic`.

mod handler;

use handler::{handle, Config, IsolatedExtractor};
use narratix_domain::config::Env;
use narratix_store::aws::Aws;

fn main() -> Result<(), lambda_runtime::Error> {
    // In an extraction child this parses the PDF on stdin and exits.
    narratix_extract::run_child_if_requested();
    narratix_domain::lambda::init_tracing();
    let config = Config::from_env(&Env::process())?;
    let extractor = IsolatedExtractor::new(config.limits);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async move {
            let objects = Aws::load(config.aws).await.s3(&config.bucket);
            narratix_domain::lambda::serve(|event| {
                handle(&objects, &config.bucket, &extractor, event)
            })
            .await
        })
}
