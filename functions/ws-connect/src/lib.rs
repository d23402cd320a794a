//! WebSocket `$connect`: records the connection under the owner the authorizer verified,
//! for two hours (the API Gateway connection limit; the table's TTL drops it afterwards), with
//! its token's `exp` from the authorizer's context: from then on the connection gets only
//! `sessionExpired` and is closed (`narratix_app::session`). A connection without a verified
//! owner or expiry is refused.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use narratix_domain::lambda::websocket::{connection_id, owner_of, response, token_expiry_of};
use narratix_domain::WireError;
use narratix_store::ports::ConnectionStore;
use narratix_store::{Connection, Moment};

/// API Gateway closes a WebSocket connection after two hours.
pub const CONNECTION_TTL_SECONDS: i64 = 2 * 60 * 60;

pub async fn handle<C: ConnectionStore>(
    connections: &C,
    request: ApiGatewayWebsocketProxyRequest,
    now: Moment,
) -> Result<ApiGatewayProxyResponse, WireError> {
    let connection_id = connection_id(&request, "$connect")?;
    let Some(owner) = owner_of(&request) else {
        tracing::warn!(connection_id, "connection without an authorized owner");
        return Ok(response(401, "Unauthorized"));
    };
    let Some(token_expires_at) = token_expiry_of(&request) else {
        tracing::warn!(connection_id, "connection without its token's expiry");
        return Ok(response(401, "Unauthorized"));
    };
    connections
        .put_connection(&Connection {
            connection_id: connection_id.clone(),
            owner,
            connected_at: now.rfc3339(),
            expires_at: now.plus_seconds(CONNECTION_TTL_SECONDS).epoch_seconds(),
            token_expires_at,
        })
        .await?;
    tracing::info!(connection_id, token_expires_at, "connected");
    Ok(response(200, "Connected"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use narratix_store::memory::{MemoryStore, UnavailableStore};
    use serde_json::json;

    fn now() -> Moment {
        Moment::from_epoch_seconds(1_795_000_000)
    }

    fn connect(authorizer: serde_json::Value) -> ApiGatewayWebsocketProxyRequest {
        serde_json::from_value(json!({
            "headers": {"Host": "abc123.execute-api.eu-west-1.amazonaws.com"},
            "queryStringParameters": {"token": "t"},
            "isBase64Encoded": false,
            "requestContext": {
                "routeKey": "$connect", "eventType": "CONNECT", "connectionId": "c1",
                "connectedAt": 1_795_000_000_000_i64, "requestTimeEpoch": 1_795_000_000_000_i64,
                "apiId": "abc123", "stage": "live", "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
                "authorizer": authorizer
            }
        }))
        .expect("connect event")
    }

    #[tokio::test]
    async fn stores_the_connection_under_its_owner_for_two_hours_with_its_token_expiry() {
        let store = MemoryStore::new();
        let response = handle(
            &store,
            connect(json!({"principalId": "alice", "sub": "alice", "exp": 1_795_000_900, "integrationLatency": 12})),
            now(),
        )
        .await
        .expect("connect");
        assert_eq!(response.status_code, 200);
        let stored = store.connection("c1").await.expect("read").expect("stored");
        assert_eq!(stored.owner, "alice");
        assert_eq!(stored.expires_at, 1_795_000_000 + 7200);
        assert_eq!(stored.token_expires_at, 1_795_000_900);
        let listed = store.connections_of("alice", &now()).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].connection_id, "c1");
        assert_eq!(listed[0].token_expires_at, 1_795_000_900);
        // A context value handed over as a string is read too.
        handle(
            &store,
            connect(json!({"sub": "alice", "exp": "1795000901"})),
            now(),
        )
        .await
        .expect("connect");
        let stored = store.connection("c1").await.expect("read").expect("stored");
        assert_eq!(stored.token_expires_at, 1_795_000_901);
    }

    #[tokio::test]
    async fn without_the_tokens_expiry_it_is_refused() {
        let store = MemoryStore::new();
        let response = handle(&store, connect(json!({"sub": "alice"})), now())
            .await
            .expect("response");
        assert_eq!(response.status_code, 401);
        assert!(store.connection("c1").await.expect("read").is_none());
    }

    #[tokio::test]
    async fn without_an_owner_it_is_refused_and_storage_failures_are_named() {
        let store = MemoryStore::new();
        let response = handle(&store, connect(json!(null)), now())
            .await
            .expect("response");
        assert_eq!(response.status_code, 401);
        assert!(store.connection("c1").await.expect("read").is_none());
        let error = handle(
            &UnavailableStore,
            connect(json!({"sub": "alice", "exp": 1_795_000_900})),
            now(),
        )
        .await
        .expect_err("down");
        assert_eq!(error.name(), "Storage.Unavailable");
        let mut no_id = connect(json!({"sub": "alice", "exp": 1_795_000_900}));
        no_id.request_context.connection_id = None;
        assert_eq!(
            handle(&store, no_id, now())
                .await
                .expect_err("no id")
                .name(),
            "Input.Invalid"
        );
    }
}
