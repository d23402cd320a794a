//! WebSocket `$disconnect`: forgets the connection (both of its items).

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use narratix_domain::lambda::websocket::{connection_id, response};
use narratix_domain::WireError;
use narratix_store::ports::ConnectionStore;

pub async fn handle<C: ConnectionStore>(
    connections: &C,
    request: ApiGatewayWebsocketProxyRequest,
) -> Result<ApiGatewayProxyResponse, WireError> {
    let connection_id = connection_id(&request, "$disconnect")?;
    connections.delete_connection(&connection_id).await?;
    tracing::info!(connection_id, "disconnected");
    Ok(response(200, "Disconnected"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use narratix_store::memory::{MemoryStore, UnavailableStore};
    use narratix_store::{Connection, Moment};
    use serde_json::json;

    fn disconnect(connection_id: Option<&str>) -> ApiGatewayWebsocketProxyRequest {
        serde_json::from_value(json!({
            "headers": {},
            "isBase64Encoded": false,
            "requestContext": {
                "routeKey": "$disconnect", "eventType": "DISCONNECT", "connectionId": connection_id,
                "connectedAt": 1_795_000_000_000_i64, "requestTimeEpoch": 1_795_000_100_000_i64,
                "disconnectStatusCode": 1001, "disconnectReason": "Going away",
                "apiId": "abc123", "stage": "live"
            }
        }))
        .expect("disconnect event")
    }

    #[tokio::test]
    async fn deletes_the_connection_and_tolerates_an_unknown_one() {
        let store = MemoryStore::new();
        let now = Moment::from_epoch_seconds(1_795_000_000);
        store
            .put_connection(&Connection {
                connection_id: "c1".into(),
                owner: "alice".into(),
                connected_at: now.rfc3339(),
                expires_at: now.plus_seconds(60).epoch_seconds(),
                token_expires_at: now.plus_seconds(60).epoch_seconds(),
            })
            .await
            .expect("connect");
        let response = handle(&store, disconnect(Some("c1"))).await.expect("gone");
        assert_eq!(response.status_code, 200);
        assert!(store.connection("c1").await.expect("read").is_none());
        assert!(store
            .connections_of("alice", &now)
            .await
            .expect("list")
            .is_empty());
        handle(&store, disconnect(Some("c1")))
            .await
            .expect("a second disconnect is fine");
    }

    #[tokio::test]
    async fn failures_have_their_wire_names() {
        assert_eq!(
            handle(&UnavailableStore, disconnect(Some("c1")))
                .await
                .expect_err("down")
                .name(),
            "Storage.Unavailable"
        );
        assert_eq!(
            handle(&MemoryStore::new(), disconnect(None))
                .await
                .expect_err("no id")
                .name(),
            "Input.Invalid"
        );
    }
}
