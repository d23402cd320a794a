//! The HTTP API (payload v2): routes a request, finds the caller, and answers with what the
//! job use cases (`narratix_app::jobs`) return. Every route is scoped to the caller's JWT
//! subject: another user's job answers 404, exactly like a job that does not exist.
//!
//! - `POST /jobs` `{files: [{name, sizeBytes}]}` → a `CREATED` job and presigned PUT URLs;
//! - `POST /jobs/{id}/start` → checks every upload, then starts the execution named by the
//!   job id; a repeated start answers the same job and never starts a second execution;
//! - `GET /jobs/{id}` → status, files, pairs and token usage;
//! - `GET /jobs` → the caller's recent jobs;
//! - `DELETE /jobs/{id}` → the job's items and objects are deleted, open sockets told.
//!
//! Creating and starting are bounded by the caller's quotas (`Quota.Exceeded`, 429 with
//! `Retry-After`).

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderValue, Method};
use narratix_app::jobs::{ApiError, JobService, Quotas};
use narratix_auth::{bearer_token, Verifier, VerifierConfig};
use narratix_domain::api::CreateJobRequest;
use narratix_domain::config::Env;
use narratix_domain::JobId;
use narratix_store::aws::AwsSettings;
use narratix_store::ports::{
    ConnectionPoster, ConnectionStore, DailyQuota, Executions, JobEraser, JobReader, JobWriter,
    ObjectCopier, ObjectEraser, ObjectReader, UploadUrls,
};
use narratix_store::Moment;
use serde::Serialize;

pub use narratix_app::jobs::{MAGIC_WINDOW, UNSTARTED_JOB_TTL_SECONDS, UPLOAD_URL_TTL};
pub use narratix_domain::api::MAX_UPLOAD_BYTES as MAX_FILE_BYTES;

const DEFAULT_LIST_LIMIT: u32 = 20;
const MAX_LIST_LIMIT: u32 = 50;

/// The function's configuration, read once at start.
pub struct Config {
    pub table: String,
    pub bucket: String,
    pub state_machine_arn: String,
    /// The WebSocket stage's `@connections` endpoint (a deleted job is announced there).
    pub websocket_endpoint: String,
    pub quotas: Quotas,
    /// Set when the function verifies bearer tokens itself (`JWT_VERIFY_IN_FUNCTION=true`);
    /// otherwise the HTTP API's JWT authorizer did and its claims are read.
    pub verifier: Option<VerifierConfig>,
    pub aws: AwsSettings,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Config, lambda_runtime::Error> {
        let verifier = if env.flag("JWT_VERIFY_IN_FUNCTION", false)? {
            Some(VerifierConfig::from_env(env)?)
        } else {
            None
        };
        Ok(Config {
            table: env.required("TABLE_NAME")?,
            bucket: env.required("BUCKET_NAME")?,
            state_machine_arn: env.required("STATE_MACHINE_ARN")?,
            websocket_endpoint: env.required("WEBSOCKET_ENDPOINT")?,
            quotas: Quotas::from_env(env)?,
            verifier,
            aws: AwsSettings::from_env(env)?,
        })
    }
}

/// The API over its ports.
pub struct Api<J, O, E, P> {
    pub jobs: J,
    pub objects: O,
    pub executions: E,
    /// Tells the owner's sockets that a job was deleted.
    pub poster: P,
    /// The upload bucket, for the execution input.
    pub bucket: String,
    pub quotas: Quotas,
    pub verifier: Option<Verifier>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Jobs,
    Job,
    StartJob,
}

/// The routes, as the template declares them.
fn router() -> matchit::Router<Route> {
    let mut router = matchit::Router::new();
    for (path, route) in [
        ("/jobs", Route::Jobs),
        ("/jobs/{id}", Route::Job),
        ("/jobs/{id}/start", Route::StartJob),
    ] {
        // The paths are distinct literals: inserting them cannot conflict.
        let _ = router.insert(path, route);
    }
    router
}

fn no_content() -> ApiGatewayV2httpResponse {
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = 204;
    response
}

fn json_response<T: Serialize>(status: u16, body: &T) -> ApiGatewayV2httpResponse {
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = i64::from(status);
    response
        .headers
        .insert("content-type", HeaderValue::from_static("application/json"));
    response.body = Some(Body::Text(serde_json::to_string(body).unwrap_or_default()));
    response
}

fn parse_job_id(id: &str) -> Result<JobId, ApiError> {
    JobId::parse(id).map_err(|_| ApiError::JobNotFound)
}

impl<J, O, E, P> Api<J, O, E, P>
where
    J: JobReader + JobWriter + DailyQuota + JobEraser + ConnectionStore,
    O: UploadUrls + ObjectReader + ObjectCopier + ObjectEraser,
    E: Executions,
    P: ConnectionPoster,
{
    fn service(&self) -> JobService<'_, J, O, E> {
        JobService {
            jobs: &self.jobs,
            objects: &self.objects,
            executions: &self.executions,
            bucket: &self.bucket,
            quotas: self.quotas,
        }
    }

    /// Answers one request; every failure becomes an `{error, message}` response.
    pub async fn handle(
        &self,
        request: ApiGatewayV2httpRequest,
        now: Moment,
    ) -> ApiGatewayV2httpResponse {
        match self.dispatch(&request, now).await {
            Ok(response) => response,
            Err(error) => {
                let name = error.name();
                match std::error::Error::source(&error) {
                    Some(_) => tracing::warn!(
                        error = name.name(),
                        cause = narratix_domain::error_chain(&error),
                        "request failed"
                    ),
                    None => tracing::info!(error = name.name(), "request refused"),
                }
                let mut response = json_response(name.status(), &error.body());
                if let Some(seconds) = error.retry_after_seconds() {
                    response
                        .headers
                        .insert("retry-after", HeaderValue::from(seconds));
                }
                response
            }
        }
    }

    async fn dispatch(
        &self,
        request: &ApiGatewayV2httpRequest,
        now: Moment,
    ) -> Result<ApiGatewayV2httpResponse, ApiError> {
        let method = &request.request_context.http.method;
        let path = request
            .raw_path
            .as_deref()
            .or(request.request_context.http.path.as_deref())
            .unwrap_or("/");
        let no_route = || ApiError::InvalidRequest(format!("no route {method} {path}"));
        let router = router();
        let matched = router.at(path).map_err(|_| no_route())?;
        let id = matched.params.get("id");
        let route = *matched.value;
        let owner = self.caller(request).await?;
        let service = self.service();
        match (method, route, id) {
            (&Method::POST, Route::Jobs, _) => {
                let body = parse_body(request)?;
                let job_id = JobId::parse(&uuid::Uuid::new_v4().simple().to_string())
                    .map_err(|_| ApiError::Internal(None))?;
                Ok(json_response(
                    201,
                    &service.create_job(&owner, body, job_id, &now).await?,
                ))
            }
            (&Method::GET, Route::Jobs, _) => {
                let limit = match request.query_string_parameters.first("limit") {
                    None => DEFAULT_LIST_LIMIT,
                    Some(text) => text
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_LIST_LIMIT).contains(n))
                        .ok_or_else(|| {
                            ApiError::InvalidRequest(format!("limit must be 1..={MAX_LIST_LIMIT}"))
                        })?,
                };
                Ok(json_response(200, &service.list_jobs(&owner, limit).await?))
            }
            (&Method::GET, Route::Job, Some(id)) => Ok(json_response(
                200,
                &service.get_job(&owner, &parse_job_id(id)?).await?,
            )),
            (&Method::DELETE, Route::Job, Some(id)) => {
                service
                    .delete_job(&owner, &parse_job_id(id)?, &self.jobs, &self.poster, &now)
                    .await?;
                Ok(no_content())
            }
            (&Method::POST, Route::StartJob, Some(id)) => Ok(json_response(
                202,
                &service.start_job(&owner, &parse_job_id(id)?, &now).await?,
            )),
            _ => Err(no_route()),
        }
    }

    /// The JWT subject of the caller.
    async fn caller(&self, request: &ApiGatewayV2httpRequest) -> Result<String, ApiError> {
        if let Some(verifier) = &self.verifier {
            let header = request
                .headers
                .get("authorization")
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            let token = bearer_token(header)
                .ok_or_else(|| ApiError::Unauthorized("missing bearer token".into()))?;
            return match verifier.verify(token).await {
                Ok(claims) => Ok(claims.sub),
                Err(error) if error.is_rejection() => {
                    Err(ApiError::Unauthorized(error.to_string()))
                }
                Err(error) => {
                    let cause = narratix_domain::error_chain(&error);
                    tracing::error!(cause, "cannot verify tokens");
                    Err(ApiError::Unavailable(None))
                }
            };
        }
        request
            .request_context
            .authorizer
            .as_ref()
            .and_then(|authorizer| authorizer.jwt.as_ref())
            .and_then(|jwt| jwt.claims.get("sub"))
            .filter(|sub| !sub.is_empty())
            .cloned()
            .ok_or_else(|| ApiError::Unauthorized("no verified subject".into()))
    }
}

fn parse_body(request: &ApiGatewayV2httpRequest) -> Result<CreateJobRequest, ApiError> {
    if request.is_base64_encoded {
        return Err(ApiError::InvalidRequest(
            "send the body as JSON (content-type application/json)".into(),
        ));
    }
    let body = request.body.as_deref().unwrap_or_default();
    serde_json::from_str(body).map_err(|err| {
        ApiError::InvalidRequest(format!(
            "expected {{\"files\": [{{\"name\", \"sizeBytes\"}}]}}: {}",
            narratix_domain::one_line(&err.to_string())
        ))
    })
}
