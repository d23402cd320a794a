//! The web page on the gateway's root, as a static host would serve it:
//!
//! - `GET /` and `GET /{file}` serve `web/app/` (index.html, style.css, src/*.js), the same files
//!   a deployment syncs to its bucket. Only requests without AWS credentials are page requests:
//!   anything signed (an SDK call, a presigned URL) or not a GET/HEAD goes to moto, whose S3 is
//!   path-style on the same port, and so does an unsigned GET for a file the page does not have.
//! - `GET /config.json` is the page's runtime configuration with this stack's URLs and the dev
//!   identity (`{"apiUrl","webSocketUrl","auth":{"mode":"local","tokenUrl"}}`).
//! - `POST /_identity/token` `{"user":"alice","ttlSeconds":3600}` → `{"token","user","expiresAt"}`:
//!   the page's "sign in as" box, a dev token as `narratix token --user` mints it. It answers
//!   JSON bodies only, so a cross-origin page would need a CORS preflight, which it never gets:
//!   only pages of this gateway's own origin can sign in through it.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{moto, GatewayState};
use crate::identity::LocalIdentity;

/// The page's files, relative to the repository.
pub const WEB_ROOT: &str = "web/app";
const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(3600);
const MAX_TOKEN_TTL: Duration = Duration::from_secs(12 * 3600);
const MAX_USER_LENGTH: usize = 64;

pub struct WebPage {
    root: PathBuf,
    config: Value,
    identity: LocalIdentity,
}

impl WebPage {
    /// The page of the repository at `repository`, or None (with a warning) when it has none.
    pub fn new(
        repository: &Path,
        http_api_url: Option<String>,
        web_socket_url: Option<String>,
        identity: LocalIdentity,
    ) -> Option<Self> {
        let root = repository.join(WEB_ROOT).canonicalize().ok()?;
        if !root.join("index.html").is_file() {
            tracing::warn!(root = %root.display(), "no web page to serve");
            return None;
        }
        let config = json!({
            "apiUrl": http_api_url,
            "webSocketUrl": web_socket_url,
            // Relative: resolved against the page's own origin (see the module docs).
            "auth": { "mode": "local", "tokenUrl": "/_identity/token" },
        });
        Some(Self {
            root,
            config,
            identity,
        })
    }

    /// The file under the page's root that `path` names, if it is one: plain segments only
    /// (no `..`, no hidden files), resolved inside the root.
    fn file_for(&self, path: &str) -> Option<PathBuf> {
        let relative = path.trim_start_matches('/');
        let relative = if relative.is_empty() {
            "index.html"
        } else {
            relative
        };
        let plain = |segment: &str| {
            !segment.is_empty()
                && !segment.starts_with('.')
                && segment
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-'))
        };
        if !relative.split('/').all(plain) {
            return None;
        }
        let file = self.root.join(relative).canonicalize().ok()?;
        (file.starts_with(&self.root) && file.is_file()).then_some(file)
    }
}

/// What an unsigned browser request looks like: GET or HEAD without AWS credentials in the
/// headers or the query (a presigned URL carries them in the query).
fn is_page_request(method: &Method, headers: &HeaderMap, query: Option<&str>) -> bool {
    let signed_header = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("AWS"))
        || headers.contains_key("x-amz-date")
        || headers.contains_key("x-amz-content-sha256");
    let signed_query = query.is_some_and(|query| {
        query
            .split('&')
            .any(|pair| pair.starts_with("X-Amz-") || pair.starts_with("AWSAccessKeyId="))
    });
    (method == Method::GET || method == Method::HEAD) && !signed_header && !signed_query
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|extension| extension.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The gateway's fallback: a page file for a browser, moto for everything else.
pub async fn page_or_moto(State(state): State<GatewayState>, request: Request) -> Response {
    if let Some(page) = state.web.clone() {
        let uri = request.uri();
        if is_page_request(request.method(), request.headers(), uri.query()) {
            if uri.path() == "/config.json" {
                return ([(CACHE_CONTROL, "no-store")], Json(page.config.clone())).into_response();
            }
            if let Some(file) = page.file_for(uri.path()) {
                return serve_file(&file, request.method() == Method::HEAD).await;
            }
        }
    }
    moto::proxy_handler(State(state), request).await
}

async fn serve_file(file: &Path, head: bool) -> Response {
    match tokio::fs::read(file).await {
        Ok(bytes) => {
            let body = if head {
                Body::empty()
            } else {
                Body::from(bytes)
            };
            (
                [
                    (CONTENT_TYPE, content_type(file)),
                    // A developer editing web/app sees the change on reload.
                    (CACHE_CONTROL, "no-cache"),
                ],
                body,
            )
                .into_response()
        }
        Err(error) => {
            tracing::warn!(%error, file = %file.display(), "page file unreadable");
            StatusCode::NOT_FOUND.into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TokenRequest {
    user: String,
    #[serde(default)]
    ttl_seconds: Option<u64>,
}

fn token_refusal(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"error": "Request.Invalid", "message": message})),
    )
        .into_response()
}

fn valid_user(user: &str) -> bool {
    !user.is_empty()
        && user.len() <= MAX_USER_LENGTH
        && user
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'@' | b'-'))
}

/// `POST /_identity/token`: a dev token for the named user.
pub async fn mint_token(
    State(state): State<GatewayState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(page) = state.web.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let json_body = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if !json_body {
        return token_refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send {\"user\": NAME} as application/json",
        );
    }
    let request: TokenRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return token_refusal(StatusCode::BAD_REQUEST, &error.to_string()),
    };
    if !valid_user(&request.user) {
        return token_refusal(
            StatusCode::BAD_REQUEST,
            "user: 1 to 64 of A-Z a-z 0-9 . _ @ -",
        );
    }
    let ttl = request
        .ttl_seconds
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TOKEN_TTL);
    if ttl.is_zero() || ttl > MAX_TOKEN_TTL {
        return token_refusal(StatusCode::BAD_REQUEST, "ttlSeconds: 1 to 43200");
    }
    mint(&page.identity, &request.user, ttl)
}

fn mint(identity: &LocalIdentity, user: &str, ttl: Duration) -> Response {
    match narratix_auth::mint_dev_token(
        &identity.dev_secret,
        &identity.issuer,
        &identity.audience,
        user,
        ttl,
    ) {
        Ok(token) => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|elapsed| elapsed.as_secs())
                .unwrap_or(0);
            (
                [(CACHE_CONTROL, "no-store")],
                Json(json!({"token": token, "user": user, "expiresAt": now + ttl.as_secs()})),
            )
                .into_response()
        }
        Err(error) => {
            tracing::error!(%error, "cannot mint a dev token");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn page() -> WebPage {
        let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        WebPage::new(
            &repository,
            Some("http://127.0.0.1:4566/_apis/httpapi".into()),
            Some("ws://127.0.0.1:4566/_apis/websocketapi/live".into()),
            LocalIdentity::generate("http://127.0.0.1:4566"),
        )
        .expect("the repository has web/app/index.html")
    }

    #[test]
    fn only_plain_paths_inside_the_page_are_files() {
        let page = page();
        assert!(page
            .file_for("/")
            .is_some_and(|file| file.ends_with("index.html")));
        assert!(page.file_for("/src/main.js").is_some());
        for outside in [
            "/../Cargo.toml",
            "/src/../../Cargo.toml",
            "/.hidden",
            "/src//main.js",
            "/%2e%2e/Cargo.toml",
            "/no-such-file.js",
            "/src",
        ] {
            assert_eq!(page.file_for(outside), None, "{outside}");
        }
    }

    #[test]
    fn signed_requests_and_writes_are_never_page_requests() {
        let none = HeaderMap::new();
        assert!(is_page_request(&Method::GET, &none, None));
        assert!(is_page_request(&Method::HEAD, &none, Some("job=abc")));
        assert!(!is_page_request(&Method::PUT, &none, None));
        assert!(!is_page_request(&Method::OPTIONS, &none, None));
        assert!(!is_page_request(
            &Method::GET,
            &none,
            Some("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00")
        ));
        let mut signed = HeaderMap::new();
        signed.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/s3/aws4_request",
            ),
        );
        assert!(!is_page_request(&Method::GET, &signed, None));
    }

    #[test]
    fn the_config_names_this_stacks_urls_and_the_local_identity() {
        let page = page();
        assert_eq!(page.config["apiUrl"], "http://127.0.0.1:4566/_apis/httpapi");
        assert_eq!(
            page.config["webSocketUrl"],
            "ws://127.0.0.1:4566/_apis/websocketapi/live"
        );
        assert_eq!(page.config["auth"]["mode"], "local");
        assert_eq!(page.config["auth"]["tokenUrl"], "/_identity/token");
    }

    #[test]
    fn user_names_are_plain() {
        assert!(valid_user("alice"));
        assert!(valid_user("bob.k@example-1"));
        assert!(!valid_user(""));
        assert!(!valid_user("a b"));
        assert!(!valid_user(&"x".repeat(65)));
        assert!(!valid_user("<script>"));
    }
}
