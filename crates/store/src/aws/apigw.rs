//! Posting to WebSocket connections through the API Gateway management API.

use async_trait::async_trait;
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
        match self
            .client
            .post_to_connection()
            .connection_id(connection_id)
            .data(Blob::new(message))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_gone_exception())
                    || err.raw_response().map(|r| r.status().as_u16()) == Some(410) =>
            {
                Err(PostError::Gone)
            }
            Err(err) => Err(PostError::Failed(StoreError::unavailable(
                "API Gateway",
                "PostToConnection",
                err,
            ))),
        }
    }

    async fn close(&self, connection_id: &str) -> Result<(), PostError> {
        match self
            .client
            .delete_connection()
            .connection_id(connection_id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_gone_exception())
                    || err.raw_response().map(|r| r.status().as_u16()) == Some(410) =>
            {
                Err(PostError::Gone)
            }
            Err(err) => Err(PostError::Failed(StoreError::unavailable(
                "API Gateway",
                "DeleteConnection",
                err,
            ))),
        }
    }
}
