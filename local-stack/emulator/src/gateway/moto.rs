//! Everything the gateway does not emulate itself goes to moto unchanged (the Host header too, so
//! the URLs moto builds, such as queue URLs, point back at the gateway).

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::http::{HeaderMap, HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::s3_access::{access_denied_body, S3Access};
use super::GatewayState;

/// Larger than any object the pipeline stores (PDF uploads are at most 5 MB).
const PROXY_BODY_LIMIT: usize = 64 * 1024 * 1024;

pub struct MotoProxy {
    pub base_url: String,
    pub http: reqwest::Client,
    /// Who may list which bucket: a missing key is 403 to a function that may not.
    pub s3_access: S3Access,
}

pub async fn proxy_handler(State(state): State<GatewayState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map(|path| path.as_str())
        .unwrap_or("/");
    let url = format!("{}{path}", state.moto.base_url);
    let head = parts.method == Method::HEAD;
    let reads_object = parts.method == Method::GET || head;
    let body = match to_bytes(body, PROXY_BODY_LIMIT).await {
        Ok(body) => body,
        Err(error) => {
            return (StatusCode::PAYLOAD_TOO_LARGE, error.to_string()).into_response();
        }
    };
    let forwarded = state
        .moto
        .http
        .request(parts.method.clone(), url)
        .headers(end_to_end(&parts.headers))
        .body(body)
        .send()
        .await;
    let upstream = match forwarded {
        Ok(upstream) => upstream,
        Err(error) => {
            tracing::warn!(%error, "moto unreachable");
            return (StatusCode::BAD_GATEWAY, "moto unreachable").into_response();
        }
    };
    let status = upstream.status();
    if status == StatusCode::NOT_FOUND
        && reads_object
        && state.moto.s3_access.hides_missing_key(&parts.headers, path)
    {
        let body = if head { "" } else { access_denied_body() };
        return Response::builder()
            .status(StatusCode::FORBIDDEN)
            .header("content-type", "application/xml")
            .body(Body::from(body))
            .unwrap_or_else(|_| StatusCode::FORBIDDEN.into_response());
    }
    let mut headers = end_to_end(upstream.headers());
    // A HEAD answer has no body: its length (the object's, for S3) is only in the header.
    if let (true, Some(length)) = (head, upstream.headers().get(CONTENT_LENGTH)) {
        headers.insert(CONTENT_LENGTH, length.clone());
    }
    match upstream.bytes().await {
        Ok(bytes) => {
            let mut response = Response::new(Body::from(bytes));
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            response
        }
        Err(error) => {
            tracing::warn!(%error, "moto response cut short");
            (StatusCode::BAD_GATEWAY, "moto response cut short").into_response()
        }
    }
}

/// Headers without the hop-by-hop ones and the body length (both sides set their own).
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    const HOP_BY_HOP: [&str; 7] = [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "upgrade",
        "te",
        "content-length",
    ];
    headers
        .iter()
        .filter(|(name, _)| !HOP_BY_HOP.contains(&name.as_str()))
        .map(|(name, value)| (HeaderName::clone(name), value.clone()))
        .collect()
}
