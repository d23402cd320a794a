//! The `@connections` management API at the WebSocket stage (what `notify` and `ws-subscribe`
//! call through aws-sdk-apigatewaymanagement: `POST|GET|DELETE {stage}/@connections/{id}`, a gone
//! connection answered 410 `GoneException`), and the fault routes under `/_local/websocket`:
//! list the open connections, cut one without `$disconnect`.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;

use super::timestamps::iso8601;
use super::websocket::{listing, Outbound, WebSocketApi};
use super::GatewayState;

/// API Gateway's limit on one posted message.
const MESSAGE_LIMIT: usize = 128 * 1024;

pub fn routes(state: &GatewayState) -> Router<GatewayState> {
    let Some(api) = &state.websocket else {
        return Router::new();
    };
    Router::new()
        .route(
            &format!("{}/@connections/{{id}}", api.base_path),
            post(post_to_connection)
                .get(get_connection)
                .delete(delete_connection),
        )
        .route("/_local/websocket/connections", get(list_connections))
        .route(
            "/_local/websocket/connections/{id}/drop",
            post(drop_connection),
        )
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response {
    aws_response(status, None, Body::from(body.to_string()))
}

fn aws_response(status: StatusCode, error_type: Option<&str>, body: Body) -> Response {
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-amzn-requestid", uuid::Uuid::new_v4().to_string());
    if let Some(error_type) = error_type {
        builder = builder.header("x-amzn-errortype", error_type);
    }
    builder.body(body).unwrap_or_else(|_| {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        response
    })
}

fn gone() -> Response {
    aws_response(
        StatusCode::GONE,
        Some("GoneException"),
        Body::from(json!({"message": "GoneException"}).to_string()),
    )
}

fn websocket(state: &GatewayState) -> Option<&WebSocketApi> {
    state.websocket.as_deref()
}

async fn post_to_connection(
    State(state): State<GatewayState>,
    Path(connection_id): Path<String>,
    data: Bytes,
) -> Response {
    let Some(api) = websocket(&state) else {
        return gone();
    };
    if data.len() > MESSAGE_LIMIT {
        return aws_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            Some("PayloadTooLargeException"),
            Body::from(json!({"message": "PayloadTooLargeException"}).to_string()),
        );
    }
    let text = String::from_utf8_lossy(&data).into_owned();
    if api.post(&connection_id, text) {
        aws_response(StatusCode::OK, None, Body::empty())
    } else {
        tracing::debug!(%connection_id, "post to a gone connection");
        gone()
    }
}

async fn get_connection(
    State(state): State<GatewayState>,
    Path(connection_id): Path<String>,
) -> Response {
    let Some((connected_at, last_active_at, user_agent)) =
        websocket(&state).and_then(|api| api.describe(&connection_id))
    else {
        return gone();
    };
    json_response(
        StatusCode::OK,
        json!({
            "connectedAt": iso8601(connected_at),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": user_agent},
            "lastActiveAt": iso8601(last_active_at),
        }),
    )
}

async fn delete_connection(
    State(state): State<GatewayState>,
    Path(connection_id): Path<String>,
) -> Response {
    match websocket(&state) {
        Some(api) if api.end(&connection_id, Outbound::Close) => {
            aws_response(StatusCode::NO_CONTENT, None, Body::empty())
        }
        _ => gone(),
    }
}

async fn list_connections(State(state): State<GatewayState>) -> Response {
    let listed = websocket(&state).map(listing).unwrap_or_else(|| json!([]));
    json_response(StatusCode::OK, listed)
}

async fn drop_connection(
    State(state): State<GatewayState>,
    Path(connection_id): Path<String>,
) -> Response {
    match websocket(&state) {
        Some(api) if api.end(&connection_id, Outbound::Cut) => {
            tracing::info!(%connection_id, "connection cut by the fault route");
            aws_response(StatusCode::NO_CONTENT, None, Body::empty())
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            json!({"message": format!("no open connection {connection_id}")}),
        ),
    }
}
