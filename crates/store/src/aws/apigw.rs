//! Posting to WebSocket connections through the API Gateway management API.

use async_trait::async_trait;
use aws_sdk_apigatewaymanagement::error::SdkError;
use aws_sdk_apigatewaymanagement::operation::delete_connection::DeleteConnectionError;
use aws_sdk_apigatewaymanagement::operation::post_to_connection::PostToConnectionError;
use aws_sdk_apigatewaymanagement::primitives::Blob;
use aws_sdk_apigatewaymanagement::Client;

use crate::ports::{ConnectionPoster, PostError};
use crate::StoreError;

/// Posts through `@connections` (the client's endpoint is the WebSocket stage's HTTPS URL).
#[derive(Clone, Debug)]
pub struct ApiGatewayPoster {
    client: Client,
}

impl ApiGatewayPoster {
    pub fn new(client: Client) -> ApiGatewayPoster {
        ApiGatewayPoster { client }
    }
}

#[async_trait]
impl ConnectionPoster for ApiGatewayPoster {
    async fn post(&self, connection_id: &str, message: &[u8]) -> Result<(), PostError> {
        let result = self
            .client
            .post_to_connection()
            .connection_id(connection_id)
            .data(Blob::new(message))
            .send()
            .await;
        answered(
            result,
            "PostToConnection",
            PostToConnectionError::is_gone_exception,
        )
    }

    async fn close(&self, connection_id: &str) -> Result<(), PostError> {
        let result = self
            .client
            .delete_connection()
            .connection_id(connection_id)
            .send()
            .await;
        answered(
            result,
            "DeleteConnection",
            DeleteConnectionError::is_gone_exception,
        )
    }
}

/// An `@connections` call's answer: `Gone` for a connection that is no longer there (the
/// modeled `GoneException`, or a bare 410), any other failure unavailable.
fn answered<T, E>(
    result: Result<T, SdkError<E>>,
    operation: &'static str,
    is_gone: fn(&E) -> bool,
) -> Result<(), PostError>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(()),
        Err(err)
            if err.as_service_error().is_some_and(is_gone)
                || err.raw_response().map(|r| r.status().as_u16()) == Some(410) =>
        {
            Err(PostError::Gone)
        }
        Err(err) => Err(PostError::Failed(StoreError::unavailable(
            "API Gateway",
            operation,
            err,
        ))),
    }
}
