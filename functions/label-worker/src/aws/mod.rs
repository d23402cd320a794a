//! The AWS SDK adapters of the worker's ports.

mod dynamodb;
mod s3;
mod secrets;
mod sfn;

pub use dynamodb::DynamoResultTable;
pub use s3::S3ObjectStore;
pub use secrets::fetch_api_key;
pub use sfn::SfnTaskCallback;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

/// One line saying why an SDK call failed: the service's error code and message, or the
/// transport failure. Never the request (keys and ids only reach it through the caller).
fn describe<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> String {
    match err {
        SdkError::ServiceError(service) => {
            let service = service.err();
            match (service.code(), service.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_owned(),
                _ => "unknown service error".to_owned(),
            }
        }
        SdkError::TimeoutError(_) => "timed out".to_owned(),
        SdkError::DispatchFailure(_) => "could not connect".to_owned(),
        SdkError::ResponseError(_) => "unreadable response".to_owned(),
        SdkError::ConstructionFailure(_) => "could not build the request".to_owned(),
        _ => "unknown SDK error".to_owned(),
    }
}
