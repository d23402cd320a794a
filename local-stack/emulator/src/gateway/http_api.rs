//! The HTTP API (API Gateway v2, payload format 2.0) as the template declares it: the routes of
//! the functions' `HttpApi` events, the API's JWT authorizer (verified with the functions' own
//! `narratix_auth::Verifier` against the local dev issuer), its CORS configuration, and API
//! Gateway's mapping of the function's result to the HTTP response.

use std::collections::HashMap;
use std::time::Duration;

use aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
    ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use aws_lambda_events::query_map::QueryMap;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use narratix_auth::{KeySource, Verifier, VerifierConfig};
use serde_json::{json, Map, Value as Json};

use super::timestamps::{now_millis, request_time};
use super::GatewayState;
use crate::error::LocalError;
use crate::layout::{Layout, ACCOUNT_ID};
use crate::template::{as_text, text_list, Template};

/// API Gateway's HTTP API payload limit.
const PAYLOAD_LIMIT: usize = 10 * 1024 * 1024;
/// API Gateway's HTTP API integration timeout.
const INTEGRATION_TIMEOUT: Duration = Duration::from_secs(30);
/// The gateway listens on loopback only.
const SOURCE_IP: &str = "127.0.0.1";

/// One segment of a route's path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `{name}`: one segment.
    Variable(String),
    /// `{name+}`: the rest of the path.
    Greedy(String),
}

/// One route: `METHOD /path` (or `ANY`) to a function.
#[derive(Debug, Clone)]
pub struct HttpRoute {
    /// `POST /jobs/{id}/start`, as in `routeKey`.
    pub key: String,
    /// `None` for `ANY`.
    method: Option<Method>,
    segments: Vec<Segment>,
    /// The local function name.
    pub function: String,
    /// Whether the JWT authorizer guards it (SAM's `Auth: {Authorizer: NONE}` opts out).
    pub authorized: bool,
}

impl HttpRoute {
    fn new(method: &str, path: &str, function: &str, authorized: bool) -> Result<Self, LocalError> {
        let method = method.trim().to_ascii_uppercase();
        let parsed_method = match method.as_str() {
            "ANY" | "X-AMAZON-APIGATEWAY-ANY-METHOD" => None,
            other => Some(Method::from_bytes(other.as_bytes()).map_err(|_| {
                LocalError::Template(format!("HttpApi event method {other} is not HTTP"))
            })?),
        };
        let segments = path
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(
                |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => match name.strip_suffix('+') {
                        Some(name) => Segment::Greedy(name.to_owned()),
                        None => Segment::Variable(name.to_owned()),
                    },
                    None => Segment::Literal(segment.to_owned()),
                },
            )
            .collect();
        let key_method = parsed_method.as_ref().map(Method::as_str).unwrap_or("ANY");
        Ok(Self {
            key: format!("{key_method} {path}"),
            method: parsed_method,
            segments,
            function: function.to_owned(),
            authorized,
        })
    }

    /// The path parameters when `path` matches, with a specificity rank (higher wins).
    fn matches(&self, method: &Method, path: &str) -> Option<(Vec<u8>, HashMap<String, String>)> {
        if self.method.as_ref().is_some_and(|own| own != method) {
            return None;
        }
        let parts: Vec<&str> = path.split('/').filter(|part| !part.is_empty()).collect();
        let mut parameters = HashMap::new();
        // Per segment: literal 3, variable 2, greedy 1; an exact method beats ANY.
        let mut rank = Vec::with_capacity(self.segments.len() + 1);
        for (index, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Literal(literal) => {
                    if parts.get(index) != Some(&literal.as_str()) {
                        return None;
                    }
                    rank.push(3);
                }
                Segment::Variable(name) => {
                    let part = parts.get(index)?;
                    parameters.insert(name.clone(), percent_decoded(part));
                    rank.push(2);
                }
                Segment::Greedy(name) => {
                    if index >= parts.len() {
                        return None;
                    }
                    let rest = parts[index..].join("/");
                    parameters.insert(name.clone(), percent_decoded(&rest));
                    rank.push(1);
                    rank.push(u8::from(self.method.is_some()));
                    return Some((rank, parameters));
                }
            }
        }
        if parts.len() != self.segments.len() {
            return None;
        }
        rank.push(u8::from(self.method.is_some()));
        Some((rank, parameters))
    }
}

/// A path segment as API Gateway hands it to the function: percent-decoded (`+` stays `+`).
fn percent_decoded(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// The API's JWT authorizer.
pub struct JwtAuthorizer {
    /// The header that carries the token (`$request.header.Authorization`).
    header: HeaderName,
    /// One per accepted audience: API Gateway accepts a token whose `aud` is any of them.
    verifiers: Vec<Verifier>,
}

/// Why the authorizer refused a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Unauthorized,
}

impl JwtAuthorizer {
    pub fn new(header: &str, issuer: &str, audiences: &[String], dev_secret: &str) -> Self {
        let verifiers = audiences
            .iter()
            .map(|audience| {
                Verifier::new(VerifierConfig {
                    issuer: issuer.to_owned(),
                    audience: audience.clone(),
                    keys: KeySource::DevSecret(dev_secret.to_owned()),
                })
            })
            .collect();
        Self {
            header: HeaderName::from_bytes(header.to_ascii_lowercase().as_bytes())
                .unwrap_or(axum::http::header::AUTHORIZATION),
            verifiers,
        }
    }

    /// All the token's claims as API Gateway passes them (every value a string), when the token
    /// is valid.
    pub async fn authorize(&self, headers: &HeaderMap) -> Result<HashMap<String, String>, Refusal> {
        let value = headers
            .get(&self.header)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        // API Gateway takes the token with or without the `Bearer ` prefix.
        let token = narratix_auth::bearer_token(value).unwrap_or(value.trim());
        if token.is_empty() {
            return Err(Refusal::Unauthorized);
        }
        for verifier in &self.verifiers {
            match verifier.verify(token).await {
                Ok(_) => {
                    // The signature, issuer, audience and expiry are verified: the payload is
                    // read for the claims the verifier does not model.
                    let claims =
                        jsonwebtoken::dangerous::insecure_decode_claims::<Map<String, Json>>(token)
                            .map_err(|_| Refusal::Unauthorized)?;
                    return Ok(claims
                        .into_iter()
                        .map(|(name, value)| (name, claim_text(&value)))
                        .collect());
                }
                Err(error) => tracing::debug!(%error, "token refused"),
            }
        }
        Err(Refusal::Unauthorized)
    }
}

/// A claim as API Gateway renders it in `authorizer.jwt.claims`: arrays as `[a b]`.
fn claim_text(value: &Json) -> String {
    match value {
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(claim_text).collect::<Vec<_>>().join(" ")
        ),
        Json::Object(_) => value.to_string(),
        other => as_text(other),
    }
}

/// The API's `CorsConfiguration`, answered as API Gateway does. Hand-written rather than
/// tower-http's `CorsLayer`, which answers preflights 200 whatever the requested method and
/// refuses `*` with credentials, where API Gateway answers 204, only for an allowed method, and
/// mirrors the origin.
#[derive(Debug, Clone, Default)]
pub struct Cors {
    allow_origins: Vec<String>,
    allow_headers: Vec<String>,
    allow_methods: Vec<String>,
    expose_headers: Vec<String>,
    max_age: Option<u64>,
    allow_credentials: bool,
}

impl Cors {
    fn from_json(configuration: &Json) -> Self {
        let list = |name: &str| text_list(configuration.get(name));
        Self {
            allow_origins: list("AllowOrigins"),
            allow_headers: list("AllowHeaders"),
            allow_methods: list("AllowMethods"),
            expose_headers: list("ExposeHeaders"),
            max_age: configuration
                .get("MaxAge")
                .and_then(|age| as_text(age).parse().ok()),
            allow_credentials: configuration
                .get("AllowCredentials")
                .is_some_and(|flag| as_text(flag) == "true"),
        }
    }

    /// The `Access-Control-Allow-Origin` value for a request's origin, if it is allowed.
    fn allowed_origin(&self, origin: &str) -> Option<String> {
        if self.allow_origins.iter().any(|allowed| allowed == "*") {
            return Some(if self.allow_credentials {
                origin.to_owned()
            } else {
                "*".to_owned()
            });
        }
        self.allow_origins
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(origin))
            .then(|| origin.to_owned())
    }

    fn preflight(&self, headers: &HeaderMap) -> Response {
        let mut builder = Response::builder().status(StatusCode::NO_CONTENT);
        let origin = header_text(headers, "origin");
        let requested_method = header_text(headers, "access-control-request-method");
        let method_allowed = requested_method.is_some_and(|method| {
            self.allow_methods
                .iter()
                .any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(method))
        });
        if let (Some(origin), true) = (origin.and_then(|o| self.allowed_origin(o)), method_allowed)
        {
            builder = builder
                .header("access-control-allow-origin", origin)
                .header("access-control-allow-methods", self.allow_methods.join(","));
            if !self.allow_headers.is_empty() {
                builder =
                    builder.header("access-control-allow-headers", self.allow_headers.join(","));
            }
            if let Some(age) = self.max_age {
                builder = builder.header("access-control-max-age", age.to_string());
            }
            if self.allow_credentials {
                builder = builder.header("access-control-allow-credentials", "true");
            }
        }
        finish(builder, Body::empty())
    }

    fn decorate(&self, request_headers: &HeaderMap, response: &mut Response) {
        let Some(origin) =
            header_text(request_headers, "origin").and_then(|origin| self.allowed_origin(origin))
        else {
            return;
        };
        let headers = response.headers_mut();
        if let Ok(origin) = HeaderValue::from_str(&origin) {
            headers.insert("access-control-allow-origin", origin);
        }
        if !self.expose_headers.is_empty() {
            if let Ok(exposed) = HeaderValue::from_str(&self.expose_headers.join(",")) {
                headers.insert("access-control-expose-headers", exposed);
            }
        }
        if self.allow_credentials {
            headers.insert(
                "access-control-allow-credentials",
                HeaderValue::from_static("true"),
            );
        }
    }
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// The emulated HTTP API.
pub struct HttpApi {
    /// `httpapi`: the lowercase logical id, the local `apiId`.
    pub api_id: String,
    /// `/_apis/httpapi` on the gateway.
    pub base_path: String,
    pub routes: Vec<HttpRoute>,
    authorizer: Option<JwtAuthorizer>,
    cors: Option<Cors>,
    domain_name: String,
}

impl HttpApi {
    /// The first `AWS::Serverless::HttpApi` of the template with the routes of the functions'
    /// `HttpApi` events that name it; `None` when the template has none.
    pub fn from_template(
        template: &Template,
        layout: &Layout<'_>,
        gateway_port: u16,
        dev_secret: &str,
    ) -> Result<Option<Self>, LocalError> {
        let Some((logical_id, resource)) = template.of_kind("AWS::Serverless::HttpApi").next()
        else {
            return Ok(None);
        };
        let api_id = layout
            .names()
            .get(logical_id)
            .map(|names| names.reference.clone())
            .unwrap_or_else(|| logical_id.to_ascii_lowercase());
        let properties = layout
            .resolver
            .resolve(&resource.properties)?
            .unwrap_or(Json::Null);
        let authorizer = properties
            .pointer("/Auth/DefaultAuthorizer")
            .and_then(Json::as_str)
            .and_then(|name| properties.pointer(&format!("/Auth/Authorizers/{name}")))
            .map(|authorizer| jwt_authorizer(authorizer, dev_secret))
            .transpose()?;
        let cors = properties.get("CorsConfiguration").map(Cors::from_json);
        let mut routes = Vec::new();
        for function in &layout.functions {
            for (event_name, event) in &function.events {
                if event.get("Type").and_then(Json::as_str) != Some("HttpApi") {
                    continue;
                }
                let event_properties = event.get("Properties").cloned().unwrap_or(Json::Null);
                let Some(event_api) = event_properties.get("ApiId").map(as_text) else {
                    tracing::warn!(function = %function.name, event = %event_name, "HttpApi event of the implicit API is not emulated");
                    continue;
                };
                if event_api != api_id {
                    continue;
                }
                let method = event_properties
                    .get("Method")
                    .map(as_text)
                    .unwrap_or_else(|| "ANY".to_owned());
                let path = event_properties
                    .get("Path")
                    .map(as_text)
                    .unwrap_or_else(|| "/{proxy+}".to_owned());
                let opted_out = event_properties
                    .pointer("/Auth/Authorizer")
                    .is_some_and(|name| as_text(name) == "NONE");
                routes.push(HttpRoute::new(
                    &method,
                    &path,
                    &function.name,
                    authorizer.is_some() && !opted_out,
                )?);
            }
        }
        Ok(Some(Self {
            base_path: format!("/_apis/{api_id}"),
            domain_name: format!("127.0.0.1:{gateway_port}"),
            api_id,
            routes,
            authorizer,
            cors,
        }))
    }

    /// The route for a request and its path parameters: the most specific match.
    pub fn route(
        &self,
        method: &Method,
        path: &str,
    ) -> Option<(&HttpRoute, HashMap<String, String>)> {
        self.routes
            .iter()
            .filter_map(|route| {
                route
                    .matches(method, path)
                    .map(|(rank, parameters)| (rank, route, parameters))
            })
            .max_by(|left, right| left.0.cmp(&right.0))
            .map(|(_, route, parameters)| (route, parameters))
    }

    /// The payload format 2.0 event for a request that matched `route`.
    #[allow(clippy::too_many_arguments)]
    pub fn event(
        &self,
        route: &HttpRoute,
        path_parameters: HashMap<String, String>,
        request: &IncomingRequest<'_>,
        claims: Option<HashMap<String, String>>,
        request_id: &str,
        epoch_millis: i64,
    ) -> ApiGatewayV2httpRequest {
        let mut headers = HeaderMap::new();
        let mut cookies = Vec::new();
        for name in request.headers.keys() {
            let values: Vec<&str> = request
                .headers
                .get_all(name)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .collect();
            if name.as_str() == "cookie" {
                cookies.extend(
                    values
                        .iter()
                        .flat_map(|value| value.split(';'))
                        .map(|cookie| cookie.trim().to_owned())
                        .filter(|cookie| !cookie.is_empty()),
                );
                continue;
            }
            if let Ok(joined) = HeaderValue::from_str(&values.join(",")) {
                headers.insert(name.clone(), joined);
            }
        }
        let mut query: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in form_urlencoded::parse(request.query.unwrap_or_default().as_bytes()) {
            query
                .entry(name.into_owned())
                .or_default()
                .push(value.into_owned());
        }
        let (body, is_base64_encoded) = if request.body.is_empty() {
            (None, false)
        } else {
            match std::str::from_utf8(request.body) {
                Ok(text) if is_text_content(request.headers) => (Some(text.to_owned()), false),
                _ => (Some(BASE64.encode(request.body)), true),
            }
        };

        let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
        http.method = request.method.clone();
        http.path = Some(request.path.to_owned());
        http.protocol = Some("HTTP/1.1".to_owned());
        http.source_ip = Some(SOURCE_IP.to_owned());
        http.user_agent = header_text(request.headers, "user-agent").map(str::to_owned);

        let authorizer = claims.map(|claims| {
            let scopes = claims
                .get("scope")
                .or_else(|| claims.get("scp"))
                .map(|scope| scope.split_whitespace().map(str::to_owned).collect());
            let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
            jwt.claims = claims;
            jwt.scopes = scopes;
            let mut authorizer = ApiGatewayRequestAuthorizer::default();
            authorizer.jwt = Some(jwt);
            authorizer
        });

        let mut context = ApiGatewayV2httpRequestContext::default();
        context.route_key = Some(route.key.clone());
        context.account_id = Some(ACCOUNT_ID.to_owned());
        context.stage = Some("$default".to_owned());
        context.request_id = Some(request_id.to_owned());
        context.authorizer = authorizer;
        context.apiid = Some(self.api_id.clone());
        context.domain_name = Some(self.domain_name.clone());
        context.domain_prefix = Some(self.api_id.clone());
        context.time = Some(request_time(epoch_millis));
        context.time_epoch = epoch_millis;
        context.http = http;

        let mut event = ApiGatewayV2httpRequest::default();
        event.version = Some("2.0".to_owned());
        event.route_key = Some(route.key.clone());
        event.raw_path = Some(request.path.to_owned());
        event.raw_query_string = Some(request.query.unwrap_or_default().to_owned());
        event.cookies = (!cookies.is_empty()).then_some(cookies);
        event.headers = headers;
        event.query_string_parameters = QueryMap::from(query);
        event.path_parameters = path_parameters;
        event.request_context = context;
        event.body = body;
        event.is_base64_encoded = is_base64_encoded;
        event
    }
}

fn jwt_authorizer(authorizer: &Json, dev_secret: &str) -> Result<JwtAuthorizer, LocalError> {
    let configuration = authorizer
        .get("JwtConfiguration")
        .ok_or_else(|| LocalError::Template("the HttpApi authorizer is not a JWT one".into()))?;
    let issuer = configuration
        .get("issuer")
        .map(as_text)
        .ok_or_else(|| LocalError::Template("the JWT authorizer has no issuer".into()))?;
    let audiences: Vec<String> = match configuration.get("audience") {
        Some(Json::Array(items)) => items.iter().map(as_text).collect(),
        Some(single) => vec![as_text(single)],
        None => Vec::new(),
    };
    let header = authorizer
        .get("IdentitySource")
        .map(as_text)
        .and_then(|source| source.strip_prefix("$request.header.").map(str::to_owned))
        .unwrap_or_else(|| "authorization".to_owned());
    Ok(JwtAuthorizer::new(&header, &issuer, &audiences, dev_secret))
}

/// API Gateway passes text bodies as they are and everything else base64-encoded.
fn is_text_content(headers: &HeaderMap) -> bool {
    match header_text(headers, "content-type") {
        None => true,
        Some(kind) => {
            let kind = kind.to_ascii_lowercase();
            kind.starts_with("text/")
                || kind.contains("json")
                || kind.contains("xml")
                || kind.contains("javascript")
                || kind.starts_with("application/x-www-form-urlencoded")
        }
    }
}

/// The parts of an HTTP request the event is built from.
pub struct IncomingRequest<'a> {
    pub method: &'a Method,
    /// The path within the API (`/jobs/abc/start`).
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// `{"message": ...}` with a status, as API Gateway answers on its own.
pub fn gateway_message(status: StatusCode, message: &str) -> Response {
    let builder = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    finish(
        builder,
        Body::from(json!({ "message": message }).to_string()),
    )
}

fn finish(builder: axum::http::response::Builder, body: Body) -> Response {
    builder.body(body).unwrap_or_else(|_| {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        response
    })
}

/// API Gateway's mapping of a function's result (payload format 2.0). A result with a
/// `statusCode` is a response document; any other JSON is a 200 `application/json` body.
pub fn map_result(payload: &[u8]) -> Response {
    let Ok(document) = serde_json::from_slice::<Json>(payload) else {
        tracing::warn!("the function's result is not JSON");
        return gateway_message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };
    let Some(status) = document.get("statusCode") else {
        let builder = Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json");
        return finish(builder, Body::from(payload.to_vec()));
    };
    let Some(status) = status
        .as_u64()
        .and_then(|code| u16::try_from(code).ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
    else {
        tracing::warn!("the function's statusCode is not an HTTP status");
        return gateway_message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };
    let mut builder = Response::builder().status(status);
    if let Some(headers) = document.get("headers").and_then(Json::as_object) {
        for (name, value) in headers {
            let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&as_text(value)),
            ) else {
                tracing::warn!("the function returned an invalid header");
                return gateway_message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
            };
            builder = builder.header(name, value);
        }
    }
    if let Some(cookies) = document.get("cookies").and_then(Json::as_array) {
        for cookie in cookies {
            if let Ok(value) = HeaderValue::from_str(&as_text(cookie)) {
                builder = builder.header("set-cookie", value);
            }
        }
    }
    let body = document.get("body").map(as_text).unwrap_or_default();
    let body = if document.get("isBase64Encoded") == Some(&Json::Bool(true)) {
        match BASE64.decode(body.as_bytes()) {
            Ok(bytes) => bytes,
            Err(_) => {
                tracing::warn!("the function's base64 body does not decode");
                return gateway_message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
            }
        }
    } else {
        body.into_bytes()
    };
    finish(builder, Body::from(body))
}

/// The HTTP API's routes on the gateway (none when the template has no HTTP API).
pub fn routes(state: &GatewayState) -> Router<GatewayState> {
    let Some(api) = &state.http_api else {
        return Router::new();
    };
    Router::new()
        .route(&api.base_path, any(handle))
        .route(&format!("{}/{{*path}}", api.base_path), any(handle))
        .layer(DefaultBodyLimit::max(PAYLOAD_LIMIT))
}

async fn handle(
    State(state): State<GatewayState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(api) = state.http_api.clone() else {
        return gateway_message(StatusCode::NOT_FOUND, "Not Found");
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut response = answer(&state, &api, &method, &uri, &headers, &body, &request_id).await;
    if let Some(cors) = &api.cors {
        cors.decorate(&headers, &mut response);
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("apigw-requestid", value);
    }
    response
}

async fn answer(
    state: &GatewayState,
    api: &HttpApi,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    request_id: &str,
) -> Response {
    let path = uri
        .path()
        .strip_prefix(&api.base_path)
        .filter(|path| !path.is_empty())
        .unwrap_or("/");
    if method == Method::OPTIONS && headers.contains_key("access-control-request-method") {
        if let Some(cors) = &api.cors {
            return cors.preflight(headers);
        }
    }
    let Some((route, path_parameters)) = api.route(method, path) else {
        return gateway_message(StatusCode::NOT_FOUND, "Not Found");
    };
    let claims = match (&api.authorizer, route.authorized) {
        (Some(authorizer), true) => match authorizer.authorize(headers).await {
            Ok(claims) => Some(claims),
            Err(Refusal::Unauthorized) => {
                tracing::info!(route = %route.key, "request refused by the JWT authorizer");
                return gateway_message(StatusCode::UNAUTHORIZED, "Unauthorized");
            }
        },
        _ => None,
    };
    let request = IncomingRequest {
        method,
        path,
        query: uri.query(),
        headers,
        body,
    };
    let event = api.event(
        route,
        path_parameters,
        &request,
        claims,
        request_id,
        now_millis(),
    );
    let payload = match serde_json::to_vec(&event) {
        Ok(payload) => payload,
        Err(error) => {
            tracing::error!(%error, "cannot serialise the HTTP API event");
            return gateway_message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
        }
    };
    let Some(binary) = state
        .functions
        .binary_for(&route.function)
        .map(str::to_owned)
    else {
        tracing::warn!(function = %route.function, "the route's function is not running");
        return gateway_message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };
    let invoked = tokio::time::timeout(
        INTEGRATION_TIMEOUT,
        state.functions.invoke(&binary, Bytes::from(payload)),
    )
    .await;
    match invoked {
        Ok(Ok(invocation)) if !invocation.function_error => map_result(&invocation.payload),
        Ok(Ok(_)) => {
            tracing::info!(function = %binary, route = %route.key, "function error");
            gateway_message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
        Ok(Err(error)) => {
            tracing::warn!(function = %binary, %error, "invocation failed");
            gateway_message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
        Err(_) => {
            tracing::warn!(function = %binary, "integration timed out");
            gateway_message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use narratix_auth::mint_dev_token;

    const SECRET: &str = "a-test-secret-of-the-local-identity";
    const ISSUER: &str = "http://127.0.0.1:4566/_identity";

    fn api() -> HttpApi {
        let routes = [
            ("POST", "/jobs"),
            ("POST", "/jobs/{id}/start"),
            ("GET", "/jobs/{id}"),
            ("GET", "/jobs"),
            ("GET", "/jobs/latest"),
            ("ANY", "/files/{path+}"),
        ]
        .into_iter()
        .map(|(method, path)| HttpRoute::new(method, path, "api", true).expect("route"))
        .collect();
        HttpApi {
            api_id: "httpapi".into(),
            base_path: "/_apis/httpapi".into(),
            routes,
            authorizer: Some(JwtAuthorizer::new(
                "Authorization",
                ISSUER,
                &["narratix-local".to_owned()],
                SECRET,
            )),
            cors: Some(Cors::from_json(&json!({
                "AllowOrigins": "*",
                "AllowHeaders": ["authorization", "content-type"],
                "AllowMethods": ["GET", "POST", "OPTIONS"],
                "MaxAge": 600
            }))),
            domain_name: "127.0.0.1:4566".into(),
        }
    }

    #[test]
    fn routes_match_the_most_specific_pattern_with_their_parameters() {
        let api = api();
        let (route, parameters) = api.route(&Method::POST, "/jobs/abc/start").expect("match");
        assert_eq!(route.key, "POST /jobs/{id}/start");
        assert_eq!(parameters["id"], "abc");
        let (route, _) = api.route(&Method::GET, "/jobs/latest").expect("match");
        assert_eq!(route.key, "GET /jobs/latest", "a literal beats a variable");
        let (route, parameters) = api.route(&Method::GET, "/jobs/a%20b").expect("match");
        assert_eq!(route.key, "GET /jobs/{id}");
        assert_eq!(parameters["id"], "a b");
        let (_, parameters) = api.route(&Method::GET, "/jobs/a+b%2Bc").expect("match");
        assert_eq!(parameters["id"], "a+b+c", "a path's + is not a space");
        let (route, parameters) = api.route(&Method::DELETE, "/files/a/b.pdf").expect("match");
        assert_eq!(route.key, "ANY /files/{path+}");
        assert_eq!(parameters["path"], "a/b.pdf");
        assert_eq!(
            api.route(&Method::GET, "/jobs/")
                .map(|r| r.0.key.clone())
                .as_deref(),
            Some("GET /jobs")
        );
        assert!(api.route(&Method::DELETE, "/jobs/abc").is_none());
        assert!(api.route(&Method::POST, "/jobs/abc/stop").is_none());
        assert!(api.route(&Method::GET, "/files").is_none());
    }

    fn token(secret: &str, audience: &str) -> String {
        mint_dev_token(secret, ISSUER, audience, "alice", Duration::from_secs(60)).expect("token")
    }

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
        );
        headers
    }

    #[tokio::test]
    async fn the_authorizer_accepts_the_dev_issuer_only() {
        let api = api();
        let authorizer = api.authorizer.as_ref().expect("authorizer");
        let claims = authorizer
            .authorize(&bearer(&token(SECRET, "narratix-local")))
            .await
            .expect("valid");
        assert_eq!(claims["sub"], "alice");
        assert_eq!(claims["iss"], ISSUER);
        assert_eq!(claims["aud"], "narratix-local");
        assert!(claims["exp"].parse::<u64>().is_ok());
        for headers in [
            HeaderMap::new(),
            bearer("garbage"),
            bearer(&token("another-secret", "narratix-local")),
            bearer(&token(SECRET, "another-audience")),
        ] {
            assert_eq!(
                authorizer.authorize(&headers).await,
                Err(Refusal::Unauthorized)
            );
        }
        let mut without_prefix = HeaderMap::new();
        without_prefix.insert(
            "authorization",
            HeaderValue::from_str(&token(SECRET, "narratix-local")).expect("header"),
        );
        assert!(authorizer.authorize(&without_prefix).await.is_ok());
    }

    #[test]
    fn claims_render_as_api_gateway_renders_them() {
        assert_eq!(claim_text(&json!(["a", "b"])), "[a b]");
        assert_eq!(claim_text(&json!(17)), "17");
        assert_eq!(claim_text(&json!(true)), "true");
        assert_eq!(claim_text(&json!("x")), "x");
    }

    #[test]
    fn the_event_is_payload_format_2() {
        let api = api();
        let (route, parameters) = api.route(&Method::POST, "/jobs/j1/start").expect("match");
        let mut headers = HeaderMap::new();
        headers.insert("Content-Type", HeaderValue::from_static("application/json"));
        headers.append("X-Many", HeaderValue::from_static("a"));
        headers.append("X-Many", HeaderValue::from_static("b"));
        headers.insert("Cookie", HeaderValue::from_static("a=1; b=2"));
        let request = IncomingRequest {
            method: &Method::POST,
            path: "/jobs/j1/start",
            query: Some("limit=5&tag=x&tag=y"),
            headers: &headers,
            body: br#"{"x":1}"#,
        };
        let claims = HashMap::from([("sub".to_owned(), "alice".to_owned())]);
        let event = api.event(
            route,
            parameters,
            &request,
            Some(claims),
            "req-1",
            1_795_615_688_123,
        );
        let document = serde_json::to_value(&event).expect("json");
        assert_eq!(document["version"], "2.0");
        assert_eq!(document["routeKey"], "POST /jobs/{id}/start");
        assert_eq!(document["rawPath"], "/jobs/j1/start");
        assert_eq!(document["rawQueryString"], "limit=5&tag=x&tag=y");
        assert_eq!(document["headers"]["content-type"], "application/json");
        assert_eq!(document["headers"]["x-many"], "a,b");
        assert!(document["headers"].get("cookie").is_none());
        assert_eq!(document["cookies"], json!(["a=1", "b=2"]));
        assert_eq!(document["queryStringParameters"]["limit"], "5");
        assert_eq!(document["queryStringParameters"]["tag"], "x,y");
        assert_eq!(document["pathParameters"], json!({"id": "j1"}));
        assert_eq!(document["body"], r#"{"x":1}"#);
        assert_eq!(document["isBase64Encoded"], false);
        let context = &document["requestContext"];
        assert_eq!(context["http"]["method"], "POST");
        assert_eq!(context["http"]["path"], "/jobs/j1/start");
        assert_eq!(context["http"]["sourceIp"], "127.0.0.1");
        assert_eq!(context["requestId"], "req-1");
        assert_eq!(context["stage"], "$default");
        assert_eq!(context["apiId"], "httpapi");
        assert_eq!(context["time"], "25/Nov/2026:14:08:08 +0000");
        assert_eq!(context["timeEpoch"], 1_795_615_688_123_i64);
        assert_eq!(context["authorizer"]["jwt"]["claims"]["sub"], "alice");

        // The API function reads it back as its own event type.
        let read: ApiGatewayV2httpRequest =
            serde_json::from_value(document).expect("the function's event type");
        assert_eq!(read.request_context.http.method, Method::POST);

        let binary_headers = HeaderMap::from_iter([(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/pdf"),
        )]);
        let request = IncomingRequest {
            method: &Method::POST,
            path: "/jobs",
            query: None,
            headers: &binary_headers,
            body: b"%PDF-\xff",
        };
        let (route, parameters) = api.route(&Method::POST, "/jobs").expect("match");
        let event = api.event(route, parameters, &request, None, "req-2", 0);
        assert!(event.is_base64_encoded);
        assert_eq!(
            BASE64.decode(event.body.expect("body")).expect("base64"),
            b"%PDF-\xff"
        );
    }

    async fn body_of(response: Response) -> Vec<u8> {
        to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body")
            .to_vec()
    }

    #[tokio::test]
    async fn results_map_like_api_gateway_v2() {
        let response = map_result(
            br#"{"statusCode":201,"headers":{"content-type":"application/json","x-n":1},"body":"{\"a\":1}","cookies":["s=1"]}"#,
        );
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.headers()["x-n"], "1");
        assert_eq!(response.headers()["set-cookie"], "s=1");
        assert_eq!(body_of(response).await, br#"{"a":1}"#);

        let response =
            map_result(br#"{"statusCode":200,"body":"JVBERg==","isBase64Encoded":true}"#);
        assert_eq!(body_of(response).await, b"%PDF");

        let response = map_result(br#"{"jobs":[]}"#);
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(body_of(response).await, br#"{"jobs":[]}"#);

        for broken in [
            &b"not json"[..],
            br#"{"statusCode":"teapot"}"#,
            br#"{"statusCode":99}"#,
        ] {
            let response = map_result(broken);
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(
                body_of(response).await,
                br#"{"message":"Internal Server Error"}"#
            );
        }
    }

    #[tokio::test]
    async fn preflight_answers_from_the_cors_configuration() {
        let api = api();
        let cors = api.cors.as_ref().expect("cors");
        let mut headers = HeaderMap::new();
        headers.insert("origin", HeaderValue::from_static("http://localhost:5173"));
        headers.insert(
            "access-control-request-method",
            HeaderValue::from_static("POST"),
        );
        let response = cors.preflight(&headers);
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        assert_eq!(
            response.headers()["access-control-allow-methods"],
            "GET,POST,OPTIONS"
        );
        assert_eq!(
            response.headers()["access-control-allow-headers"],
            "authorization,content-type"
        );
        assert_eq!(response.headers()["access-control-max-age"], "600");

        headers.insert(
            "access-control-request-method",
            HeaderValue::from_static("DELETE"),
        );
        let response = cors.preflight(&headers);
        assert!(response
            .headers()
            .get("access-control-allow-origin")
            .is_none());

        let only = Cors::from_json(
            &json!({"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET"]}),
        );
        assert_eq!(
            only.allowed_origin("https://app.example").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(only.allowed_origin("https://evil.example"), None);
    }
}
