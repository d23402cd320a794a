//! The gateway on the AWS endpoint port: one module per emulated service, everything else
//! proxied to moto. Later services (HTTP API, WebSocket API, `@connections`) add their routes in
//! [`router`] the same way.

pub mod connections;
pub mod control;
pub mod http_api;
pub mod lambda;
pub mod moto;
pub mod s3_access;
pub mod timestamps;
pub mod web;
pub mod websocket;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::post;
use axum::Router;

use crate::mock_ai::{self, MockAi};
use lambda::Functions;

/// Lambda's own request limit for synchronous invocations.
const INVOKE_PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;

#[derive(Clone)]
pub struct GatewayState {
    pub functions: Arc<Functions>,
    pub moto: Arc<moto::MotoProxy>,
    pub http_api: Option<Arc<http_api::HttpApi>>,
    pub websocket: Option<Arc<websocket::WebSocketApi>>,
    /// The OpenAI-compatible mock at `/_ai/v1` (served in both AI modes; used in mock mode).
    pub ai: Arc<MockAi>,
    /// The web page on `/` (`web/app/`), its `config.json` and the dev sign-in.
    pub web: Option<Arc<web::WebPage>>,
    /// The template's `Schedule` events (run by `POST /_local/functions/{name}/schedule`).
    pub schedules: Arc<Vec<crate::schedule::Schedule>>,
    /// The stack's region (what scheduled events carry).
    pub region: String,
}

pub fn router(state: GatewayState) -> Router {
    Router::new()
        .merge(http_api::routes(&state))
        .merge(websocket::routes(&state))
        .merge(connections::routes(&state))
        .route(
            "/2015-03-31/functions/{name}/invocations",
            post(lambda::invoke_handler).layer(DefaultBodyLimit::max(INVOKE_PAYLOAD_LIMIT)),
        )
        .nest("/_ai/v1", mock_ai::router(state.ai.clone()))
        .merge(control::router())
        .route("/_identity/token", post(web::mint_token))
        .fallback(web::page_or_moto)
        .with_state(state)
}
