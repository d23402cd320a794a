use narratix_store::StoreError;
use serde::Serialize;

/// Why an HTTP request failed. These names are the HTTP API's own (`{error, message}`
/// bodies); they never reach the state machine, so they are not in the wire error table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("no such job")]
    JobNotFound,
    #[error("file {0} has not been uploaded")]
    UploadMissing(String),
    #[error("{0}")]
    UploadTooLarge(String),
    #[error("{0}")]
    UploadNotPdf(String),
    #[error("file {0} does not have the declared size")]
    UploadSizeMismatch(String),
    #[error("a service is unavailable; retry shortly")]
    Unavailable,
    #[error("internal error")]
    Internal,
}

/// The JSON body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    pub error: &'static str,
    pub message: String,
}

impl ApiError {
    /// The error's name and HTTP status: the one place both are decided.
    pub fn name_and_status(&self) -> (&'static str, i64) {
        match self {
            ApiError::InvalidRequest(_) => ("Request.Invalid", 400),
            ApiError::Unauthorized(_) => ("Auth.Unauthorized", 401),
            ApiError::JobNotFound => ("Job.NotFound", 404),
            ApiError::UploadMissing(_) => ("Upload.Missing", 409),
            ApiError::UploadTooLarge(_) => ("Upload.TooLarge", 413),
            ApiError::UploadNotPdf(_) => ("Upload.NotPdf", 422),
            ApiError::UploadSizeMismatch(_) => ("Upload.SizeMismatch", 422),
            ApiError::Unavailable => ("Service.Unavailable", 503),
            ApiError::Internal => ("Internal.Error", 500),
        }
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.name_and_status().0,
            message: self.to_string(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::Unavailable { .. } => {
                tracing::warn!(%error, "storage unavailable");
                ApiError::Unavailable
            }
            StoreError::NotFound(_) => ApiError::JobNotFound,
            StoreError::Corrupt(_) | StoreError::Invalid(_) | StoreError::AlreadyExists(_) => {
                tracing::error!(%error, "storage error");
                ApiError::Internal
            }
        }
    }
}
