//! The WebSocket API as the template's `AWS::ApiGatewayV2::*` resources declare it: `$connect`
//! through the REQUEST authorizer (the token from the query string), then the `$connect`
//! integration; frames routed by the route selection expression (`$request.body.action`);
//! `$disconnect` when the socket closes. Every call uses API Gateway's event shapes and goes
//! through `Functions::invoke`. The open connections are what the `@connections` management API
//! (`connections.rs`) posts to.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequestTypeRequest, ApiGatewayCustomAuthorizerResponse,
    ApiGatewayRequestAuthorizer, ApiGatewayRequestIdentity, ApiGatewayWebsocketProxyRequest,
    ApiGatewayWebsocketProxyRequestContext,
};
use aws_lambda_events::iam::IamPolicyEffect;
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE as BASE64_URL;
use base64::Engine as _;
use serde_json::{json, Map, Value as Json};
use tokio::sync::mpsc;

use super::http_api::gateway_message;
use super::lambda::Functions;
use super::timestamps::{iso8601, now_millis, request_time};
use super::GatewayState;
use crate::error::LocalError;
use crate::layout::{Layout, ACCOUNT_ID};
use crate::template::{as_text, Template};

const SOURCE_IP: &str = "127.0.0.1";

/// Where a REQUEST authorizer's identity comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySource {
    /// `route.request.querystring.NAME`
    Query(String),
    /// `route.request.header.NAME`
    Header(String),
}

impl IdentitySource {
    fn parse(expression: &str) -> Option<Self> {
        if let Some(name) = expression.strip_prefix("route.request.querystring.") {
            return Some(Self::Query(name.to_owned()));
        }
        expression
            .strip_prefix("route.request.header.")
            .map(|name| Self::Header(name.to_ascii_lowercase()))
    }

    fn present(&self, query: &HashMap<String, Vec<String>>, headers: &HeaderMap) -> bool {
        match self {
            Self::Query(name) => query
                .get(name)
                .is_some_and(|values| values.iter().any(|value| !value.is_empty())),
            Self::Header(name) => headers
                .get(name.as_str())
                .is_some_and(|value| !value.is_empty()),
        }
    }
}

/// A REQUEST authorizer: its function (ARN) and identity sources.
#[derive(Debug, Clone)]
pub struct RequestAuthorizer {
    pub function_arn: String,
    pub identity_sources: Vec<IdentitySource>,
}

/// One route: its Lambda proxy integration and, for `$connect`, its authorizer.
#[derive(Debug, Clone)]
pub struct WebSocketRoute {
    pub function_arn: String,
    pub authorizer: Option<RequestAuthorizer>,
}

/// What a connection holds after `$connect`.
#[derive(Debug)]
pub struct OpenConnection {
    pub principal_id: Option<String>,
    pub connected_at_millis: i64,
    pub last_active_millis: i64,
    pub user_agent: Option<String>,
    outbound: mpsc::UnboundedSender<Outbound>,
}

/// What the gateway tells a connection's task.
#[derive(Debug)]
pub enum Outbound {
    Text(String),
    /// Close the socket (a close frame), then `$disconnect`.
    Close,
    /// Drop the socket without a close frame and without `$disconnect`.
    Cut,
}

/// A closed socket's `$disconnect` details.
struct Disconnection {
    status_code: i64,
    reason: String,
}

/// The emulated WebSocket API and its open connections.
pub struct WebSocketApi {
    /// `websocketapi`: the lowercase logical id, the local `apiId`.
    pub api_id: String,
    pub stage: String,
    /// `/_apis/websocketapi/live` on the gateway.
    pub base_path: String,
    /// The body's field path of `$request.body.…`.
    selection_path: Vec<String>,
    pub routes: HashMap<String, WebSocketRoute>,
    region: String,
    domain_name: String,
    connections: Mutex<HashMap<String, OpenConnection>>,
}

impl WebSocketApi {
    /// The template's first `AWS::ApiGatewayV2::Api` with `ProtocolType: WEBSOCKET`, its stage,
    /// routes, integrations and authorizers; `None` when the template has none.
    pub fn from_template(
        template: &Template,
        layout: &Layout<'_>,
        region: &str,
        gateway_port: u16,
    ) -> Result<Option<Self>, LocalError> {
        let resolve = |id: &str, kind: &str| -> Result<Option<(String, Json)>, LocalError> {
            let Some(resource) = template.resources.get(id).filter(|r| r.kind == kind) else {
                return Ok(None);
            };
            Ok(Some((
                id.to_owned(),
                layout
                    .resolver
                    .resolve(&resource.properties)?
                    .unwrap_or(Json::Null),
            )))
        };
        let mut api = None;
        for (id, _) in template.of_kind("AWS::ApiGatewayV2::Api") {
            if let Some((id, properties)) = resolve(id, "AWS::ApiGatewayV2::Api")? {
                if properties.get("ProtocolType").map(as_text).as_deref() == Some("WEBSOCKET") {
                    api = Some((id, properties));
                    break;
                }
            }
        }
        let Some((api_logical_id, api_properties)) = api else {
            return Ok(None);
        };
        let api_id = layout
            .names()
            .get(&api_logical_id)
            .map(|names| names.reference.clone())
            .unwrap_or_else(|| api_logical_id.to_ascii_lowercase());
        let selection = api_properties
            .get("RouteSelectionExpression")
            .map(as_text)
            .unwrap_or_default();
        let selection_path: Vec<String> = selection
            .strip_prefix("$request.body.")
            .map(|path| path.split('.').map(str::to_owned).collect())
            .ok_or_else(|| {
                LocalError::Template(format!(
                    "WebSocket route selection {selection:?} is not $request.body.…"
                ))
            })?;
        let of_this_api = |properties: &Json| {
            properties.get("ApiId").map(as_text).as_deref() == Some(api_id.as_str())
        };

        let mut stage = None;
        for (id, _) in template.of_kind("AWS::ApiGatewayV2::Stage") {
            if let Some((_, properties)) = resolve(id, "AWS::ApiGatewayV2::Stage")? {
                if of_this_api(&properties) {
                    stage = properties.get("StageName").map(as_text);
                }
            }
        }
        let stage = stage.ok_or_else(|| {
            LocalError::Template(format!("the WebSocket API {api_logical_id} has no stage"))
        })?;

        let lambda_arn = |uri: &str| -> Option<String> {
            let (_, rest) = uri.split_once(":lambda:path/2015-03-31/functions/")?;
            rest.strip_suffix("/invocations").map(str::to_owned)
        };
        let mut routes = HashMap::new();
        for (id, _) in template.of_kind("AWS::ApiGatewayV2::Route") {
            let Some((_, route)) = resolve(id, "AWS::ApiGatewayV2::Route")? else {
                continue;
            };
            if !of_this_api(&route) {
                continue;
            }
            let route_key = route.get("RouteKey").map(as_text).unwrap_or_default();
            let target = route.get("Target").map(as_text).unwrap_or_default();
            let integration_id = target.strip_prefix("integrations/").ok_or_else(|| {
                LocalError::Template(format!(
                    "route {id}: target {target:?} is not an integration"
                ))
            })?;
            let (_, integration) = resolve(integration_id, "AWS::ApiGatewayV2::Integration")?
                .ok_or_else(|| {
                    LocalError::Template(format!("route {id}: no integration {integration_id}"))
                })?;
            if integration.get("IntegrationType").map(as_text).as_deref() != Some("AWS_PROXY") {
                tracing::warn!(route = %route_key, "only Lambda proxy integrations are emulated");
                continue;
            }
            let function_arn = integration
                .get("IntegrationUri")
                .map(as_text)
                .and_then(|uri| lambda_arn(&uri))
                .ok_or_else(|| {
                    LocalError::Template(format!("integration {integration_id} is not a Lambda"))
                })?;
            let authorizer = match route.get("AuthorizationType").map(as_text).as_deref() {
                Some("CUSTOM") => {
                    let authorizer_id = route.get("AuthorizerId").map(as_text).unwrap_or_default();
                    let (_, authorizer) = resolve(&authorizer_id, "AWS::ApiGatewayV2::Authorizer")?
                        .ok_or_else(|| {
                            LocalError::Template(format!(
                                "route {id}: no authorizer {authorizer_id}"
                            ))
                        })?;
                    if authorizer.get("AuthorizerType").map(as_text).as_deref() != Some("REQUEST") {
                        return Err(LocalError::Template(format!(
                            "authorizer {authorizer_id}: only REQUEST authorizers are emulated"
                        )));
                    }
                    let function_arn = authorizer
                        .get("AuthorizerUri")
                        .map(as_text)
                        .and_then(|uri| lambda_arn(&uri))
                        .ok_or_else(|| {
                            LocalError::Template(format!(
                                "authorizer {authorizer_id} is not a Lambda"
                            ))
                        })?;
                    let identity_sources = match authorizer.get("IdentitySource") {
                        Some(Json::Array(items)) => items.iter().map(as_text).collect(),
                        Some(single) => vec![as_text(single)],
                        None => Vec::new(),
                    }
                    .iter()
                    .filter_map(|source| IdentitySource::parse(source))
                    .collect();
                    Some(RequestAuthorizer {
                        function_arn,
                        identity_sources,
                    })
                }
                _ => None,
            };
            routes.insert(
                route_key,
                WebSocketRoute {
                    function_arn,
                    authorizer,
                },
            );
        }
        Ok(Some(Self {
            base_path: format!("/_apis/{api_id}/{stage}"),
            domain_name: format!("127.0.0.1:{gateway_port}"),
            api_id,
            stage,
            selection_path,
            routes,
            region: region.to_owned(),
            connections: Mutex::new(HashMap::new()),
        }))
    }

    fn registry(&self) -> MutexGuard<'_, HashMap<String, OpenConnection>> {
        // A panic while holding the lock leaves a usable map: recover it.
        self.connections
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// `(connectionId, principalId, connectedAt ms)` of the open connections.
    pub fn list(&self) -> Vec<(String, Option<String>, i64)> {
        let mut listed: Vec<_> = self
            .registry()
            .iter()
            .map(|(id, connection)| {
                (
                    id.clone(),
                    connection.principal_id.clone(),
                    connection.connected_at_millis,
                )
            })
            .collect();
        listed.sort_by_key(|entry| entry.2);
        listed
    }

    /// `(connectedAt, lastActiveAt, userAgent)` of an open connection.
    pub fn describe(&self, connection_id: &str) -> Option<(i64, i64, Option<String>)> {
        self.registry().get(connection_id).map(|connection| {
            (
                connection.connected_at_millis,
                connection.last_active_millis,
                connection.user_agent.clone(),
            )
        })
    }

    /// Sends one text frame; false when the connection is gone.
    pub fn post(&self, connection_id: &str, text: String) -> bool {
        let registry = self.registry();
        registry
            .get(connection_id)
            .is_some_and(|connection| connection.outbound.send(Outbound::Text(text)).is_ok())
    }

    /// Forgets the connection and tells its task to end it; false when it is gone.
    pub fn end(&self, connection_id: &str, how: Outbound) -> bool {
        let removed = self.registry().remove(connection_id);
        removed.is_some_and(|connection| connection.outbound.send(how).is_ok())
    }

    fn touch(&self, connection_id: &str) {
        if let Some(connection) = self.registry().get_mut(connection_id) {
            connection.last_active_millis = now_millis();
        }
    }

    fn method_arn(&self, route_key: &str) -> String {
        format!(
            "arn:aws:execute-api:{}:{ACCOUNT_ID}:{}/{}/{route_key}",
            self.region, self.api_id, self.stage
        )
    }

    /// The route key of a frame: the selection expression's value, else `$default`.
    pub fn route_key(&self, body: &str) -> Option<String> {
        let selected = serde_json::from_str::<Json>(body)
            .ok()
            .and_then(|document| {
                let mut value = &document;
                for field in &self.selection_path {
                    value = value.get(field)?;
                }
                value.as_str().map(str::to_owned)
            });
        match selected {
            Some(key) if self.routes.contains_key(&key) => Some(key),
            _ => self
                .routes
                .contains_key("$default")
                .then(|| "$default".to_owned()),
        }
    }

    /// The `requestContext` every event of a connection shares.
    fn context(
        &self,
        connection: &ConnectionFacts,
        route_key: &str,
        event_type: &str,
        authorizer: &Map<String, Json>,
    ) -> ApiGatewayWebsocketProxyRequestContext {
        let now = now_millis();
        let request_id = uuid::Uuid::new_v4().to_string();
        let mut identity = ApiGatewayRequestIdentity::default();
        identity.source_ip = Some(SOURCE_IP.to_owned());
        identity.user_agent = connection.user_agent.clone();
        let mut authorizer_fields = ApiGatewayRequestAuthorizer::default();
        authorizer_fields.fields = authorizer
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let mut context = ApiGatewayWebsocketProxyRequestContext::default();
        context.route_key = Some(route_key.to_owned());
        context.event_type = Some(event_type.to_owned());
        context.extended_request_id = Some(request_id.clone());
        context.request_id = Some(request_id);
        context.request_time = Some(request_time(now));
        context.request_time_epoch = now;
        context.message_direction = Some("IN".to_owned());
        context.stage = Some(self.stage.clone());
        context.connected_at = connection.connected_at_millis;
        context.identity = identity;
        context.domain_name = Some(self.domain_name.clone());
        context.connection_id = Some(connection.connection_id.clone());
        context.apiid = Some(self.api_id.clone());
        context.account_id = Some(ACCOUNT_ID.to_owned());
        context.authorizer = authorizer_fields;
        context
    }

    /// The `$connect` event.
    pub fn connect_event(
        &self,
        connection: &ConnectionFacts,
        authorizer: &Map<String, Json>,
    ) -> Result<Json, LocalError> {
        let mut event = ApiGatewayWebsocketProxyRequest::default();
        event.headers = single_valued(&connection.headers);
        event.multi_value_headers = connection.headers.clone();
        event.request_context = self.context(connection, "$connect", "CONNECT", authorizer);
        let mut document = serde_json::to_value(&event)
            .map_err(|error| LocalError::Http(format!("$connect event: {error}")))?;
        with_query(&mut document, &connection.query);
        Ok(document)
    }

    /// API Gateway's REQUEST authorizer event for `$connect`.
    pub fn authorizer_event(&self, connection: &ConnectionFacts) -> Result<Json, LocalError> {
        let mut request = ApiGatewayCustomAuthorizerRequestTypeRequest::default();
        request.type_ = Some("REQUEST".to_owned());
        request.method_arn = Some(self.method_arn("$connect"));
        request.headers = single_valued(&connection.headers);
        request.multi_value_headers = connection.headers.clone();
        let mut document = serde_json::to_value(&request)
            .map_err(|error| LocalError::Http(format!("authorizer event: {error}")))?;
        with_query(&mut document, &connection.query);
        // The WebSocket context (connectionId, routeKey, eventType…), which the typed request
        // context does not model, without an authorizer yet.
        let mut context =
            serde_json::to_value(self.context(connection, "$connect", "CONNECT", &Map::new()))
                .map_err(|error| LocalError::Http(format!("authorizer event: {error}")))?;
        if let Some(context) = context.as_object_mut() {
            context.remove("authorizer");
        }
        document["requestContext"] = context;
        Ok(document)
    }

    pub fn message_event(
        &self,
        connection: &ConnectionFacts,
        route_key: &str,
        authorizer: &Map<String, Json>,
        body: &str,
    ) -> ApiGatewayWebsocketProxyRequest {
        let mut event = ApiGatewayWebsocketProxyRequest::default();
        event.request_context = self.context(connection, route_key, "MESSAGE", authorizer);
        event.request_context.message_id = Some(uuid::Uuid::new_v4().simple().to_string());
        event.body = Some(body.to_owned());
        event
    }

    fn disconnect_event(
        &self,
        connection: &ConnectionFacts,
        authorizer: &Map<String, Json>,
        disconnection: &Disconnection,
    ) -> ApiGatewayWebsocketProxyRequest {
        let mut event = ApiGatewayWebsocketProxyRequest::default();
        let mut headers = HeaderMap::new();
        if let Ok(host) = HeaderValue::from_str(&self.domain_name) {
            headers.insert("host", host);
        }
        event.headers = headers.clone();
        event.multi_value_headers = headers;
        event.request_context = self.context(connection, "$disconnect", "DISCONNECT", authorizer);
        event.request_context.disconnect_status_code = Some(disconnection.status_code);
        event.request_context.disconnect_reason = Some(disconnection.reason.clone());
        event
    }
}

/// What API Gateway knows of a connection when it builds an event.
#[derive(Debug, Clone)]
pub struct ConnectionFacts {
    pub connection_id: String,
    pub connected_at_millis: i64,
    pub headers: HeaderMap,
    pub query: HashMap<String, Vec<String>>,
    pub user_agent: Option<String>,
}

/// API Gateway's v1 query parameters: the last value of each name, and all values.
fn with_query(document: &mut Json, query: &HashMap<String, Vec<String>>) {
    let Some(document) = document.as_object_mut() else {
        return;
    };
    let last: Map<String, Json> = query
        .iter()
        .filter_map(|(name, values)| Some((name.clone(), Json::from(values.last()?.clone()))))
        .collect();
    let all: Map<String, Json> = query
        .iter()
        .map(|(name, values)| (name.clone(), Json::from(values.clone())))
        .collect();
    let (last, all) = if query.is_empty() {
        (Json::Null, Json::Null)
    } else {
        (Json::Object(last), Json::Object(all))
    };
    document.insert("queryStringParameters".to_owned(), last);
    document.insert("multiValueQueryStringParameters".to_owned(), all);
}

/// Multi-valued headers joined with commas (the single-valued `headers` of an event).
fn single_valued(headers: &HeaderMap) -> HeaderMap {
    let mut joined = HeaderMap::new();
    for name in headers.keys() {
        let values: Vec<&str> = headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        if let Ok(value) = HeaderValue::from_str(&values.join(",")) {
            joined.insert(name.clone(), value);
        }
    }
    joined
}

/// A connection id shaped like API Gateway's (`L0SM9cOFvHcCIhw=`).
pub fn new_connection_id() -> String {
    let random = uuid::Uuid::new_v4();
    BASE64_URL.encode(&random.as_bytes()[..11])
}

/// Whether an IAM-style pattern (`*`, `?`) matches.
fn glob_matches(pattern: &str, text: &str) -> bool {
    wildmatch::WildMatch::new(pattern).matches(text)
}

/// The authorizer's decision for `method_arn`: an explicit Deny wins, else an Allow is needed.
pub fn policy_allows(response: &ApiGatewayCustomAuthorizerResponse, method_arn: &str) -> bool {
    let applies = |actions: &[String], resources: &[String]| {
        actions
            .iter()
            .any(|action| glob_matches(&action.to_ascii_lowercase(), "execute-api:invoke"))
            && resources
                .iter()
                .any(|resource| glob_matches(resource, method_arn))
    };
    let statements = &response.policy_document.statement;
    let denied = statements.iter().any(|statement| {
        statement.effect == IamPolicyEffect::Deny && applies(&statement.action, &statement.resource)
    });
    let allowed = statements.iter().any(|statement| {
        statement.effect == IamPolicyEffect::Allow
            && applies(&statement.action, &statement.resource)
    });
    allowed && !denied
}

/// `requestContext.authorizer` of an allowed connection: the principal and the context.
fn authorizer_fields(response: &ApiGatewayCustomAuthorizerResponse) -> Map<String, Json> {
    let mut fields = Map::new();
    if let Some(context) = response.context.as_object() {
        fields.extend(context.clone());
    }
    if let Some(principal) = &response.principal_id {
        fields.insert("principalId".to_owned(), Json::String(principal.clone()));
    }
    fields
}

/// How an invocation of an API Gateway integration ended.
enum Integration {
    /// The function's result document.
    Result(Json),
    Failed,
}

async fn invoke(
    functions: &Functions,
    function_arn: &str,
    event: &impl serde::Serialize,
) -> Integration {
    let Some(binary) = functions.binary_for(function_arn).map(str::to_owned) else {
        tracing::warn!(function = %function_arn, "the integration's function is not running");
        return Integration::Failed;
    };
    let payload = match serde_json::to_vec(event) {
        Ok(payload) => payload,
        Err(error) => {
            tracing::error!(%error, "cannot serialise the WebSocket event");
            return Integration::Failed;
        }
    };
    match functions.invoke(&binary, Bytes::from(payload)).await {
        Ok(invocation) if !invocation.function_error => {
            Integration::Result(serde_json::from_slice(&invocation.payload).unwrap_or(Json::Null))
        }
        Ok(_) => {
            tracing::info!(function = %binary, "function error");
            Integration::Failed
        }
        Err(error) => {
            tracing::warn!(function = %binary, %error, "invocation failed");
            Integration::Failed
        }
    }
}

/// The WebSocket endpoint (none when the template has no WebSocket API).
pub fn routes(state: &GatewayState) -> Router<GatewayState> {
    let Some(api) = &state.websocket else {
        return Router::new();
    };
    Router::new().route(&api.base_path, get(upgrade))
}

async fn upgrade(
    State(state): State<GatewayState>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Some(api) = state.websocket.clone() else {
        return gateway_message(StatusCode::NOT_FOUND, "Not Found");
    };
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return axum::response::IntoResponse::into_response(rejection),
    };
    let mut query: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        query
            .entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    let facts = ConnectionFacts {
        connection_id: new_connection_id(),
        connected_at_millis: now_millis(),
        user_agent: headers
            .get("user-agent")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        headers,
        query,
    };
    let started = std::time::Instant::now();
    let authorizer = match admit(&state.functions, &api, &facts).await {
        Ok(authorizer) => authorizer,
        Err(refusal) => return refusal,
    };
    let (outbound, receiver) = mpsc::unbounded_channel();
    api.registry().insert(
        facts.connection_id.clone(),
        OpenConnection {
            principal_id: authorizer
                .get("principalId")
                .and_then(Json::as_str)
                .map(str::to_owned),
            connected_at_millis: facts.connected_at_millis,
            last_active_millis: facts.connected_at_millis,
            user_agent: facts.user_agent.clone(),
            outbound,
        },
    );
    tracing::info!(
        connection_id = %facts.connection_id,
        admitted_ms = started.elapsed().as_millis() as u64,
        "WebSocket connected"
    );
    let failed_id = facts.connection_id.clone();
    let failed_api = api.clone();
    let functions = state.functions.clone();
    upgrade
        .on_failed_upgrade(move |error| {
            tracing::warn!(connection_id = %failed_id, %error, "WebSocket upgrade failed");
            failed_api.registry().remove(&failed_id);
        })
        .on_upgrade(move |socket| run(socket, api, functions, facts, authorizer, receiver))
}

/// `$connect`: the authorizer, then the integration. The connection's authorizer fields, or
/// the refusal.
async fn admit(
    functions: &Functions,
    api: &WebSocketApi,
    facts: &ConnectionFacts,
) -> Result<Map<String, Json>, Response> {
    let Some(route) = api.routes.get("$connect") else {
        return Ok(Map::new());
    };
    let mut fields = Map::new();
    if let Some(authorizer) = &route.authorizer {
        if !authorizer
            .identity_sources
            .iter()
            .all(|source| source.present(&facts.query, &facts.headers))
        {
            tracing::info!(connection_id = %facts.connection_id, "no identity: refused");
            return Err(gateway_message(StatusCode::UNAUTHORIZED, "Unauthorized"));
        }
        let event = api.authorizer_event(facts).map_err(|_| {
            gateway_message(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
        })?;
        let Integration::Result(document) =
            invoke(functions, &authorizer.function_arn, &event).await
        else {
            return Err(gateway_message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal server error",
            ));
        };
        let Ok(response) = serde_json::from_value::<ApiGatewayCustomAuthorizerResponse>(document)
        else {
            tracing::warn!("the authorizer's answer is not a policy");
            return Err(gateway_message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal server error",
            ));
        };
        if !policy_allows(&response, &api.method_arn("$connect")) {
            tracing::info!(connection_id = %facts.connection_id, "the authorizer denied the connection");
            return Err(gateway_message(StatusCode::FORBIDDEN, "Forbidden"));
        }
        fields = authorizer_fields(&response);
    }
    let event = api.connect_event(facts, &fields).map_err(|error| {
        tracing::error!(%error, "cannot build the $connect event");
        gateway_message(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    })?;
    match invoke(functions, &route.function_arn, &event).await {
        Integration::Result(document) => {
            let status = document
                .get("statusCode")
                .and_then(Json::as_u64)
                .unwrap_or(200);
            if (200..300).contains(&status) {
                Ok(fields)
            } else {
                tracing::info!(connection_id = %facts.connection_id, status, "$connect refused the connection");
                let status = u16::try_from(status)
                    .ok()
                    .and_then(|status| StatusCode::from_u16(status).ok())
                    .unwrap_or(StatusCode::FORBIDDEN);
                Err(gateway_message(status, "Forbidden"))
            }
        }
        Integration::Failed => Err(gateway_message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
        )),
    }
}

/// One connection's life: frames in, posts out, until either side ends it.
async fn run(
    mut socket: WebSocket,
    api: Arc<WebSocketApi>,
    functions: Arc<Functions>,
    facts: ConnectionFacts,
    authorizer: Map<String, Json>,
    mut outbound: mpsc::UnboundedReceiver<Outbound>,
) {
    let connection_id = facts.connection_id.clone();
    let disconnection = loop {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(frame @ (Message::Text(_) | Message::Binary(_)))) => {
                    let body = match frame {
                        Message::Text(text) => text.as_str().to_owned(),
                        other => String::from_utf8_lossy(&other.into_data()).into_owned(),
                    };
                    api.touch(&connection_id);
                    tokio::spawn(route_frame(
                        api.clone(),
                        functions.clone(),
                        facts.clone(),
                        authorizer.clone(),
                        body,
                    ));
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => api.touch(&connection_id),
                Some(Ok(Message::Close(frame))) => {
                    let status_code = frame.as_ref().map(|frame| i64::from(frame.code)).unwrap_or(1005);
                    api.registry().remove(&connection_id);
                    break Some(Disconnection {
                        status_code,
                        reason: format!("Client-side close frame status code: {status_code}"),
                    });
                }
                Some(Err(_)) | None => {
                    api.registry().remove(&connection_id);
                    break Some(Disconnection {
                        status_code: 1006,
                        reason: "Going away".to_owned(),
                    });
                }
            },
            instruction = outbound.recv() => match instruction {
                Some(Outbound::Text(text)) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        api.registry().remove(&connection_id);
                        break Some(Disconnection {
                            status_code: 1006,
                            reason: "Going away".to_owned(),
                        });
                    }
                }
                Some(Outbound::Close) => {
                    let frame = CloseFrame { code: 1000, reason: "Goodbye".into() };
                    let _closed = socket.send(Message::Close(Some(frame))).await;
                    break Some(Disconnection {
                        status_code: 1000,
                        reason: "Server-side close via the management API".to_owned(),
                    });
                }
                // Cut: dropping the socket closes the TCP connection without a close frame.
                Some(Outbound::Cut) | None => break None,
            },
        }
    };
    drop(socket);
    let Some(disconnection) = disconnection else {
        tracing::info!(%connection_id, "WebSocket cut without $disconnect");
        return;
    };
    tracing::info!(%connection_id, status = disconnection.status_code, "WebSocket disconnected");
    if let Some(route) = api.routes.get("$disconnect") {
        let event = api.disconnect_event(&facts, &authorizer, &disconnection);
        // `$disconnect` is best effort in API Gateway too: its failure reaches nobody.
        let _ = invoke(&functions, &route.function_arn, &event).await;
    }
}

/// Routes one frame to its integration; API Gateway's own answers for no route or a failure.
async fn route_frame(
    api: Arc<WebSocketApi>,
    functions: Arc<Functions>,
    facts: ConnectionFacts,
    authorizer: Map<String, Json>,
    body: String,
) {
    let request_id = uuid::Uuid::new_v4().to_string();
    let answer = |message: &str| {
        json!({"message": message, "connectionId": facts.connection_id, "requestId": request_id})
            .to_string()
    };
    let Some(route_key) = api.route_key(&body) else {
        api.post(&facts.connection_id, answer("Forbidden"));
        return;
    };
    let Some(route) = api.routes.get(&route_key) else {
        api.post(&facts.connection_id, answer("Forbidden"));
        return;
    };
    let event = api.message_event(&facts, &route_key, &authorizer, &body);
    if let Integration::Failed = invoke(&functions, &route.function_arn, &event).await {
        api.post(&facts.connection_id, answer("Internal server error"));
    }
}

/// An open connection as the fault routes list it.
pub fn listing(api: &WebSocketApi) -> Json {
    Json::Array(
        api.list()
            .into_iter()
            .map(|(connection_id, principal_id, connected_at)| {
                json!({
                    "connectionId": connection_id,
                    "principalId": principal_id,
                    "connectedAt": iso8601(connected_at),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::apigw::ApiGatewayCustomAuthorizerPolicy;
    use aws_lambda_events::iam::IamPolicyStatement;

    fn api() -> WebSocketApi {
        let route = |function: &str, authorizer: Option<RequestAuthorizer>| WebSocketRoute {
            function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{function}"),
            authorizer,
        };
        WebSocketApi {
            api_id: "websocketapi".into(),
            stage: "live".into(),
            base_path: "/_apis/websocketapi/live".into(),
            selection_path: vec!["action".into()],
            routes: HashMap::from([
                (
                    "$connect".to_owned(),
                    route(
                        "ws-connect",
                        Some(RequestAuthorizer {
                            function_arn:
                                "arn:aws:lambda:us-east-1:123456789012:function:ws-authorizer"
                                    .into(),
                            identity_sources: vec![IdentitySource::Query("token".into())],
                        }),
                    ),
                ),
                ("$disconnect".to_owned(), route("ws-disconnect", None)),
                ("subscribe".to_owned(), route("ws-subscribe", None)),
            ]),
            region: "us-east-1".into(),
            domain_name: "127.0.0.1:4566".into(),
            connections: Mutex::new(HashMap::new()),
        }
    }

    fn facts() -> ConnectionFacts {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("127.0.0.1:4566"));
        headers.insert("user-agent", HeaderValue::from_static("test-agent"));
        ConnectionFacts {
            connection_id: "Abc123-_xyz=".into(),
            connected_at_millis: 1_795_615_688_123,
            headers,
            query: HashMap::from([("token".to_owned(), vec!["T0K".to_owned()])]),
            user_agent: Some("test-agent".into()),
        }
    }

    #[test]
    fn frames_route_by_their_action_and_nothing_else() {
        let api = api();
        assert_eq!(
            api.route_key(r#"{"action":"subscribe","jobId":"j"}"#)
                .as_deref(),
            Some("subscribe")
        );
        assert_eq!(api.route_key(r#"{"action":"unknown"}"#), None);
        assert_eq!(api.route_key("not json"), None);
        assert_eq!(api.route_key(r#"{"action":7}"#), None);
        let mut with_default = api;
        with_default.routes.insert(
            "$default".into(),
            WebSocketRoute {
                function_arn: "arn:aws:lambda:r:1:function:fallback".into(),
                authorizer: None,
            },
        );
        assert_eq!(
            with_default.route_key("not json").as_deref(),
            Some("$default")
        );
    }

    #[test]
    fn the_authorizer_event_is_api_gateways_request_event() {
        let api = api();
        let document = api.authorizer_event(&facts()).expect("event");
        assert_eq!(document["type"], "REQUEST");
        assert_eq!(
            document["methodArn"],
            "arn:aws:execute-api:us-east-1:123456789012:websocketapi/live/$connect"
        );
        assert_eq!(document["queryStringParameters"]["token"], "T0K");
        let context = &document["requestContext"];
        assert_eq!(context["connectionId"], "Abc123-_xyz=");
        assert_eq!(context["routeKey"], "$connect");
        assert_eq!(context["eventType"], "CONNECT");
        assert_eq!(context["stage"], "live");
        assert_eq!(context["apiId"], "websocketapi");
        assert_eq!(context["domainName"], "127.0.0.1:4566");
        assert!(context.get("authorizer").is_none());
        // What ws-authorizer reads.
        let request: ApiGatewayCustomAuthorizerRequestTypeRequest =
            serde_json::from_value(document).expect("the authorizer's event type");
        assert_eq!(request.query_string_parameters.first("token"), Some("T0K"));
        assert_eq!(
            request.method_arn.as_deref(),
            Some("arn:aws:execute-api:us-east-1:123456789012:websocketapi/live/$connect")
        );
    }

    #[test]
    fn connect_message_and_disconnect_events_carry_the_authorizer_context() {
        let api = api();
        let authorizer = Map::from_iter([
            ("principalId".to_owned(), json!("alice")),
            ("sub".to_owned(), json!("alice")),
        ]);
        let connect = api.connect_event(&facts(), &authorizer).expect("event");
        assert_eq!(connect["requestContext"]["eventType"], "CONNECT");
        assert_eq!(
            connect["requestContext"]["authorizer"]["principalId"],
            "alice"
        );
        assert_eq!(connect["requestContext"]["authorizer"]["sub"], "alice");
        assert_eq!(
            connect["requestContext"]["connectedAt"],
            1_795_615_688_123_i64
        );
        assert_eq!(
            connect["requestContext"]["identity"]["sourceIp"],
            "127.0.0.1"
        );
        assert_eq!(connect["queryStringParameters"]["token"], "T0K");
        assert_eq!(
            connect["multiValueQueryStringParameters"]["token"],
            json!(["T0K"])
        );
        assert_eq!(connect["headers"]["user-agent"], "test-agent");
        let read: ApiGatewayWebsocketProxyRequest =
            serde_json::from_value(connect).expect("ws-connect's event type");
        assert_eq!(read.query_string_parameters.first("token"), Some("T0K"));
        assert_eq!(read.request_context.authorizer.fields["sub"], "alice");

        let message = api.message_event(
            &facts(),
            "subscribe",
            &authorizer,
            r#"{"action":"subscribe"}"#,
        );
        let read: ApiGatewayWebsocketProxyRequest =
            serde_json::from_value(serde_json::to_value(&message).expect("json"))
                .expect("the functions' event type");
        assert_eq!(read.request_context.event_type.as_deref(), Some("MESSAGE"));
        assert_eq!(read.request_context.route_key.as_deref(), Some("subscribe"));
        assert_eq!(
            read.request_context.connection_id.as_deref(),
            Some("Abc123-_xyz=")
        );
        assert_eq!(read.request_context.authorizer.fields["sub"], "alice");
        assert_eq!(read.body.as_deref(), Some(r#"{"action":"subscribe"}"#));

        let disconnect = api.disconnect_event(
            &facts(),
            &authorizer,
            &Disconnection {
                status_code: 1001,
                reason: "Going away".into(),
            },
        );
        assert_eq!(
            disconnect.request_context.event_type.as_deref(),
            Some("DISCONNECT")
        );
        assert_eq!(
            disconnect.request_context.disconnect_status_code,
            Some(1001)
        );
    }

    fn policy(statements: &[(IamPolicyEffect, &str)]) -> ApiGatewayCustomAuthorizerResponse {
        let mut document = ApiGatewayCustomAuthorizerPolicy::default();
        document.statement = statements
            .iter()
            .map(|(effect, resource)| {
                let mut statement = IamPolicyStatement::default();
                statement.action = vec!["execute-api:Invoke".into()];
                statement.effect = effect.clone();
                statement.resource = vec![(*resource).to_owned()];
                statement
            })
            .collect();
        let mut response = ApiGatewayCustomAuthorizerResponse::default();
        response.principal_id = Some("alice".into());
        response.policy_document = document;
        response.context = json!({"sub": "alice"});
        response
    }

    #[test]
    fn only_an_allow_without_a_deny_admits() {
        let arn = "arn:aws:execute-api:us-east-1:123456789012:websocketapi/live/$connect";
        assert!(policy_allows(
            &policy(&[(IamPolicyEffect::Allow, arn)]),
            arn
        ));
        assert!(policy_allows(
            &policy(&[(
                IamPolicyEffect::Allow,
                "arn:aws:execute-api:us-east-1:123456789012:websocketapi/*"
            )]),
            arn
        ));
        assert!(!policy_allows(
            &policy(&[(IamPolicyEffect::Deny, arn)]),
            arn
        ));
        assert!(!policy_allows(&policy(&[]), arn));
        assert!(!policy_allows(
            &policy(&[(IamPolicyEffect::Allow, "*"), (IamPolicyEffect::Deny, arn)]),
            arn
        ));
        assert!(!policy_allows(
            &policy(&[(
                IamPolicyEffect::Allow,
                "arn:aws:execute-api:us-east-1:123456789012:other/live/$connect"
            )]),
            arn
        ));
        let fields = authorizer_fields(&policy(&[(IamPolicyEffect::Allow, arn)]));
        assert_eq!(
            Json::Object(fields),
            json!({"principalId": "alice", "sub": "alice"})
        );
    }

    #[test]
    fn globs_match_like_iam() {
        assert!(glob_matches("a*c", "abbbc"));
        assert!(glob_matches("a?c", "abc"));
        assert!(glob_matches("*", ""));
        assert!(!glob_matches("a*d", "abc"));
        assert!(!glob_matches("abc", "abcd"));
    }

    #[test]
    fn the_registry_posts_lists_and_ends_connections() {
        let api = api();
        let (outbound, mut receiver) = mpsc::unbounded_channel();
        api.registry().insert(
            "c1".into(),
            OpenConnection {
                principal_id: Some("alice".into()),
                connected_at_millis: 5,
                last_active_millis: 5,
                user_agent: None,
                outbound,
            },
        );
        assert!(api.post("c1", "hello".into()));
        assert!(matches!(receiver.try_recv(), Ok(Outbound::Text(text)) if text == "hello"));
        assert!(!api.post("c2", "hello".into()));
        assert_eq!(
            api.list(),
            vec![("c1".to_owned(), Some("alice".to_owned()), 5)]
        );
        assert!(api.end("c1", Outbound::Cut));
        assert!(matches!(receiver.try_recv(), Ok(Outbound::Cut)));
        assert!(!api.post("c1", "late".into()), "gone after the cut");
        assert!(!api.end("c1", Outbound::Close));
    }

    #[test]
    fn connection_ids_look_like_api_gateways() {
        let id = new_connection_id();
        assert_eq!(id.len(), 16);
        assert!(id.ends_with('='));
        assert_ne!(id, new_connection_id());
    }
}

#[cfg(test)]
mod template_tests {
    use super::*;
    use crate::gateway::http_api::HttpApi;
    use crate::layout::Endpoints;

    #[test]
    fn both_apis_and_the_identity_come_from_the_template() {
        let root = &crate::testing::repository_root();
        let template = Template::load(&root.join("template.yaml")).expect("template");
        let endpoints = Endpoints {
            region: "us-east-1".into(),
            gateway_port: 4566,
        };
        let mut layout = Layout::new(&template, root, &endpoints).expect("layout");
        layout.use_dev_identity("dev-secret");

        let http = HttpApi::from_template(&template, &layout, 4566, "dev-secret")
            .expect("reads")
            .expect("an HTTP API");
        assert_eq!(http.base_path, "/_apis/httpapi");
        let mut keys: Vec<&str> = http.routes.iter().map(|route| route.key.as_str()).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "DELETE /jobs/{id}",
                "GET /jobs",
                "GET /jobs/{id}",
                "POST /jobs",
                "POST /jobs/{id}/start"
            ]
        );
        assert!(http
            .routes
            .iter()
            .all(|route| route.function == "api" && route.authorized));

        let websocket = WebSocketApi::from_template(&template, &layout, "us-east-1", 4566)
            .expect("reads")
            .expect("a WebSocket API");
        assert_eq!(websocket.base_path, "/_apis/websocketapi/live");
        let mut keys: Vec<&str> = websocket.routes.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["$connect", "$disconnect", "subscribe"]);
        let connect = &websocket.routes["$connect"];
        assert!(connect.function_arn.ends_with(":function:ws-connect"));
        let authorizer = connect
            .authorizer
            .as_ref()
            .expect("the $connect authorizer");
        assert!(authorizer.function_arn.ends_with(":function:ws-authorizer"));
        assert_eq!(
            authorizer.identity_sources,
            [IdentitySource::Query("token".into())]
        );
        assert!(websocket.routes["subscribe"]
            .function_arn
            .ends_with(":function:ws-subscribe"));

        let authorizer_function = layout
            .functions
            .iter()
            .find(|function| function.name == "ws-authorizer")
            .expect("ws-authorizer");
        assert_eq!(
            authorizer_function
                .environment
                .get("NARRATIX_DEV_JWT_SECRET")
                .map(String::as_str),
            Some("dev-secret")
        );
        assert!(!authorizer_function.environment.contains_key("JWKS_URL"));
        assert_eq!(
            authorizer_function
                .environment
                .get("JWT_ISSUER")
                .map(String::as_str),
            Some("http://127.0.0.1:4566/_identity")
        );
    }
}
