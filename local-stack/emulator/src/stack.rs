//! `up`: moto and the function emulator as child process groups, the gateway, provisioning from
//! `template.yaml`, the event source mappings and EventBridge rules (`Schedule` events run on
//! demand through the control API), and `stack.json`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::process::Command;
use tokio::task::JoinHandle;

use crate::error::LocalError;
use crate::event_source::{self, SqsMapping};
use crate::eventbridge::{self, Rule};
use crate::functions;
use crate::gateway::http_api::HttpApi;
use crate::gateway::s3_access::{access_key_id, S3Access};
use crate::gateway::web::WebPage;
use crate::gateway::websocket::WebSocketApi;
use crate::gateway::{self, control::Faults, lambda::Functions, moto::MotoProxy, GatewayState};
use crate::identity::LocalIdentity;
use crate::layout::{Endpoints, FunctionSpec, Layout, ACCOUNT_ID, AI_SECRET_NAME};
use crate::mock_ai::{self, MockAi};
use crate::processes::ChildGroup;
use crate::provision::{self, Clients};
use crate::schedule::Schedule;
use crate::template::{LocalNames, Template};

const READY_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Who labels in the local stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AiMode {
    /// The label worker calls the gateway's OpenAI-compatible mock (`/_ai/v1`) with a key from
    /// Secrets Manager, as deployed with `AiProvider=openai`: AI faults can be injected.
    #[default]
    Mock,
    /// The template's defaults: the worker's built-in offline labeler, no AI calls.
    Offline,
}

#[derive(Debug, Clone)]
pub struct StackConfig {
    /// The repository: `template.yaml` and the workspace the emulator builds functions from.
    pub root: PathBuf,
    /// The pinned venv with moto and cargo-lambda (scripts/setup-local).
    pub venv: PathBuf,
    /// Logs and `stack.json`.
    pub state_dir: PathBuf,
    pub region: String,
    /// The AWS endpoint (the gateway).
    pub gateway_port: u16,
    pub moto_port: u16,
    pub lambda_port: u16,
    /// Instances per function (at least; an SQS mapping may need more). The Map runs three files
    /// at once.
    pub lambda_concurrency: usize,
    pub ai: AiMode,
    /// A faults file applied at start (the control API's shapes, see [`Faults`]).
    pub faults: Option<PathBuf>,
    /// Template parameter overrides (`--parameter Name=Value`), e.g. higher quotas for a
    /// fuzzer; they win over the template's defaults and the local ones.
    pub parameters: BTreeMap<String, String>,
    /// Resource properties set for this stack only, for tests that cannot wait for the
    /// deployed values (a queue's 6-minute visibility timeout, the reaper's 2-hour job
    /// timeout); see [`PropertyOverride`].
    pub property_overrides: Vec<PropertyOverride>,
    /// The state machine's `TimeoutSeconds`, for this stack only.
    pub execution_timeout_seconds: Option<u64>,
}

/// One resource property set locally: `path` below the resource's `Properties`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyOverride {
    pub resource: String,
    pub path: String,
    pub value: String,
}

impl PropertyOverride {
    pub fn new(resource: &str, path: &str, value: impl ToString) -> Self {
        Self {
            resource: resource.to_owned(),
            path: path.to_owned(),
            value: value.to_string(),
        }
    }
}

impl StackConfig {
    pub fn with_defaults(root: PathBuf) -> Self {
        Self {
            venv: root.join(".venv/local"),
            state_dir: root.join(".local/stack"),
            root,
            region: "us-east-1".to_owned(),
            gateway_port: 4566,
            moto_port: 4567,
            lambda_port: 4568,
            lambda_concurrency: 4,
            ai: AiMode::default(),
            faults: None,
            parameters: BTreeMap::new(),
            property_overrides: Vec::new(),
            execution_timeout_seconds: None,
        }
    }
}

/// What scripts and tests need to reach the stack (written as `stack.json`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub region: String,
    pub account_id: String,
    /// The AWS endpoint for every client (`AWS_ENDPOINT_URL`).
    pub endpoint: String,
    pub moto_endpoint: String,
    pub lambda_emulator_endpoint: String,
    pub bucket: Option<String>,
    pub table: Option<String>,
    pub state_machine_arn: Option<String>,
    /// Queue URLs by logical id.
    pub queues: BTreeMap<String, String>,
    /// `!Ref` and `!GetAtt` values by logical id.
    pub resources: BTreeMap<String, LocalNames>,
    pub functions: Vec<FunctionSpec>,
    /// The HTTP API's base URL (`{endpoint}/_apis/httpapi`).
    pub http_api_url: Option<String>,
    /// The WebSocket URL for clients (append `?token=JWT`).
    pub web_socket_url: Option<String>,
    /// The dev issuer whose tokens the APIs accept (`narratix token`).
    pub identity: LocalIdentity,
    /// The mock AI's base URL (`G/_ai/v1`); null when the AI is offline.
    pub ai_url: Option<String>,
    /// The control API (`G/_local`): faults at runtime.
    pub control_url: String,
    /// Seconds from start to ready.
    pub started_in_seconds: f64,
}

pub struct RunningStack {
    pub manifest: Manifest,
    pub manifest_path: PathBuf,
    processes: Vec<ChildGroup>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningStack {
    /// Stops the background tasks and every child process group.
    pub async fn stop(mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
        for process in self.processes.iter_mut().rev() {
            process.stop(STOP_GRACE).await;
        }
    }

    /// The first child that exited on its own, if any (with its exit status).
    pub fn crashed(&mut self) -> Option<String> {
        self.processes.iter_mut().find_map(ChildGroup::exited)
    }
}

impl Drop for RunningStack {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// The overrides, each naming a parameter the template declares (a misspelt name would
/// otherwise change nothing, silently).
fn parameter_overrides(
    template: &Template,
    overrides: &BTreeMap<String, String>,
) -> Result<HashMap<String, String>, LocalError> {
    match overrides
        .keys()
        .find(|name| !template.parameter_names.contains(*name))
    {
        Some(unknown) => Err(LocalError::Config(format!(
            "parameter {unknown}: template.yaml declares no such parameter"
        ))),
        None => Ok(overrides
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()),
    }
}

pub async fn up(config: &StackConfig) -> Result<RunningStack, LocalError> {
    let started = Instant::now();
    let template_path = config.root.join("template.yaml");
    let mut template = Template::load(&template_path)?;
    for local in &config.property_overrides {
        template.override_property(&local.resource, &local.path, &local.value)?;
        tracing::info!(resource = %local.resource, path = %local.path, value = %local.value, "local override");
    }
    let endpoints = Endpoints {
        region: config.region.clone(),
        gateway_port: config.gateway_port,
    };
    let faults = match &config.faults {
        Some(path) => Faults::load(path)?,
        None => Faults::default(),
    };
    let mut parameters = match config.ai {
        AiMode::Mock => endpoints.mock_ai_parameters(),
        AiMode::Offline => HashMap::new(),
    };
    parameters.extend(parameter_overrides(&template, &config.parameters)?);
    let mut layout = Layout::with_parameters(&template, &config.root, &endpoints, parameters)?;
    let ai = Arc::new(MockAi::new(
        MockAi::random_key(),
        mock_ai::Truth::load(&[&config.root.join("tests/fixtures/corpus")]),
    ));
    let identity = LocalIdentity::generate(&endpoints.gateway_url());
    layout.use_dev_identity(&identity.dev_secret);
    let http_api = HttpApi::from_template(
        &template,
        &layout,
        config.gateway_port,
        &identity.dev_secret,
    )?
    .map(Arc::new);
    let websocket =
        WebSocketApi::from_template(&template, &layout, &config.region, config.gateway_port)?
            .map(Arc::new);
    let web = WebPage::new(
        &config.root,
        http_api
            .as_ref()
            .map(|api| format!("{}{}", endpoints.gateway_url(), api.base_path)),
        websocket
            .as_ref()
            .map(|api| format!("ws://127.0.0.1:{}{}", config.gateway_port, api.base_path)),
        identity.clone(),
    )
    .map(Arc::new);
    let logs = config.state_dir.join("logs");
    std::fs::create_dir_all(&logs).map_err(|source| LocalError::Io {
        context: format!("creating {}", logs.display()),
        source,
    })?;

    // The gateway's port first: moto's interpreter is told to call it.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.gateway_port))
        .await
        .map_err(|source| LocalError::Io {
            context: format!("binding the gateway to 127.0.0.1:{}", config.gateway_port),
            source,
        })?;
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|error| LocalError::Http(error.to_string()))?;
    let moto_url = format!("http://127.0.0.1:{}", config.moto_port);
    let lambda_url = format!("http://127.0.0.1:{}", config.lambda_port);

    // A failure between the two drops the first, which kills its process group.
    let moto = start_moto(config, &logs)?;
    let processes = vec![
        moto,
        start_function_emulator(config, &layout.functions, &logs)?,
    ];
    let mut tasks = Vec::new();
    let outcome =
        async {
            wait_ready(&http, "moto", &format!("{moto_url}/moto-api/")).await?;
            enable_state_machine_execution(&http, &moto_url).await?;
            // Any HTTP request to the emulator is an invocation: readiness is its port accepting.
            wait_listening("function emulator", config.lambda_port).await?;
            tasks.extend(start_functions(config, &layout, &lambda_url, &logs));

            let functions = Arc::new(
                Functions::new(lambda_url.clone(), http.clone(), function_names(&layout))
                    .with_instances(instance_counts(config, &layout)),
            );
            let state =
                GatewayState {
                    functions: functions.clone(),
                    moto: Arc::new(MotoProxy {
                        base_url: moto_url.clone(),
                        http: http.clone(),
                        s3_access: S3Access::new(layout.functions.iter().map(|function| {
                            (access_key_id(&function.name), function.listing.clone())
                        })),
                    }),
                    http_api: http_api.clone(),
                    websocket: websocket.clone(),
                    ai: ai.clone(),
                    web: web.clone(),
                    schedules: Arc::new(schedules(&layout)),
                    region: config.region.clone(),
                };
            faults.apply(&ai, &functions)?;
            tasks.push(tokio::spawn(async move {
                if let Err(error) = axum::serve(listener, gateway::router(state)).await {
                    tracing::error!(%error, "gateway stopped");
                }
            }));

            let clients = Clients::new(&endpoints.gateway_url(), &config.region).await;
            if config.ai == AiMode::Mock {
                provision::create_secret(AI_SECRET_NAME, ai.api_key(), &clients.secrets).await?;
            }
            let queue_urls = provision::provision(
                &template,
                &layout,
                &config.root,
                &clients,
                config.execution_timeout_seconds,
            )
            .await?;
            tasks.extend(start_event_sources(
                &layout,
                &queue_urls,
                &clients,
                &functions,
                &config.region,
            )?);

            let mut manifest = manifest(
                config,
                &layout,
                &template,
                queue_urls,
                &moto_url,
                &lambda_url,
                identity.clone(),
            );
            manifest.http_api_url = http_api
                .as_ref()
                .map(|api| format!("{}{}", manifest.endpoint, api.base_path));
            manifest.web_socket_url = websocket
                .as_ref()
                .map(|api| format!("ws://127.0.0.1:{}{}", config.gateway_port, api.base_path));
            manifest.started_in_seconds = started.elapsed().as_secs_f64();
            Ok::<_, LocalError>(manifest)
        }
        .await;
    let manifest = match outcome {
        Ok(manifest) => manifest,
        Err(error) => {
            for task in tasks {
                task.abort();
            }
            for mut process in processes.into_iter().rev() {
                process.stop(STOP_GRACE).await;
            }
            return Err(error);
        }
    };
    let manifest_path = config.state_dir.join("stack.json");
    let document = serde_json::to_string_pretty(&manifest)
        .map_err(|error| LocalError::Http(error.to_string()))?;
    write_private(&manifest_path, document.as_bytes()).map_err(|source| LocalError::Io {
        context: format!("writing {}", manifest_path.display()),
        source,
    })?;
    Ok(RunningStack {
        manifest,
        manifest_path,
        processes,
        tasks,
    })
}

/// Writes a file readable by its owner only (`stack.json` holds the dev signing secret).
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // A file left by an earlier run keeps its mode on open: set it.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(contents)
}

/// moto's server with the local stack's fixes (see the file: SendTaskFailure's cause, one boto3
/// client per service in the state machine interpreter).
const MOTO_LAUNCHER: &str = include_str!("../moto_launcher.py");

fn start_moto(config: &StackConfig, logs: &Path) -> Result<ChildGroup, LocalError> {
    let mut command = Command::new(config.venv.join("bin/python"));
    command
        .args(["-c", MOTO_LAUNCHER])
        .args(["-H", "127.0.0.1", "-p", &config.moto_port.to_string()])
        // moto's state machine interpreter calls Lambda, DynamoDB and SQS at localhost:MOTO_PORT:
        // the gateway, which routes Invoke to the function emulator.
        .env("MOTO_PORT", config.gateway_port.to_string())
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_DEFAULT_REGION", &config.region)
        .current_dir(&config.state_dir);
    ChildGroup::spawn("moto", command, &logs.join("moto.log"))
}

/// cargo-lambda serving only the Runtime and Invoke APIs; [`start_functions`] runs the binaries.
fn start_function_emulator(
    config: &StackConfig,
    functions: &[FunctionSpec],
    logs: &Path,
) -> Result<ChildGroup, LocalError> {
    let longest_timeout = functions
        .iter()
        .map(|function| function.timeout_seconds)
        .max()
        .unwrap_or(30);
    let mut command = Command::new(config.venv.join("bin/cargo-lambda"));
    command
        .args([
            "lambda",
            "watch",
            "--only-lambda-apis",
            "-A",
            "127.0.0.1",
            "-P",
            &config.lambda_port.to_string(),
            "--timeout",
            &longest_timeout.to_string(),
        ])
        .current_dir(&config.root);
    ChildGroup::spawn("function emulator", command, &logs.join("emulator.log"))
}

/// Instances of every present, built function: at least `lambda_concurrency` each, and as many
/// as an event source mapping may run at once (up to a local cap).
fn start_functions(
    config: &StackConfig,
    layout: &Layout<'_>,
    lambda_url: &str,
    logs: &Path,
) -> Vec<JoinHandle<()>> {
    let target_dir = functions::target_dir();
    let runtime_api = format!("{lambda_url}/.rt");
    let counts = instance_counts(config, layout);
    let mut tasks = Vec::new();
    for spec in layout.functions.iter().filter(|spec| spec.present) {
        let binary = functions::binary_path(&target_dir, &spec.name);
        if !binary.is_file() {
            tracing::warn!(function = %spec.name, binary = %binary.display(), "not built; run scripts/setup-local");
            continue;
        }
        let instances = counts
            .get(&spec.name)
            .copied()
            .unwrap_or(config.lambda_concurrency);
        let log = logs.join(format!("{}.log", spec.name));
        tasks.extend(functions::start(
            spec,
            &binary,
            &runtime_api,
            instances,
            &log,
        ));
    }
    tasks
}

async fn wait_ready(http: &reqwest::Client, service: &str, url: &str) -> Result<(), LocalError> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if http.get(url).send().await.is_ok() {
            tracing::info!(service, "ready");
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(LocalError::NotReady {
                service: service.to_owned(),
                seconds: READY_TIMEOUT.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_listening(service: &str, port: u16) -> Result<(), LocalError> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            tracing::info!(service, "ready");
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(LocalError::NotReady {
                service: service.to_owned(),
                seconds: READY_TIMEOUT.as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Must precede creating state machines (moto forgets it on restart).
async fn enable_state_machine_execution(
    http: &reqwest::Client,
    moto_url: &str,
) -> Result<(), LocalError> {
    let response = http
        .post(format!("{moto_url}/moto-api/config"))
        .json(&serde_json::json!({"stepfunctions": {"execute_state_machine": true}}))
        .send()
        .await
        .map_err(|error| LocalError::Http(format!("moto config: {error}")))?;
    if !response.status().is_success() {
        return Err(LocalError::Http(format!(
            "moto config answered {}",
            response.status()
        )));
    }
    Ok(())
}

/// The `Schedule` events of the present functions (run on demand through the control API).
fn schedules(layout: &Layout<'_>) -> Vec<Schedule> {
    layout
        .functions
        .iter()
        .filter(|function| function.present)
        .flat_map(|function| {
            function.events.iter().filter_map(|(event_name, event)| {
                Schedule::from_event(event_name, &function.name, &function.logical_id, event)
            })
        })
        .collect()
}

/// Every name a caller may use for a present function: its name and its logical id.
/// Instances per present function (by binary name): at least `lambda_concurrency`, and as many
/// as an event source mapping may run at once (up to a local cap).
fn instance_counts(config: &StackConfig, layout: &Layout<'_>) -> HashMap<String, usize> {
    const MOST_INSTANCES: usize = 32;
    layout
        .functions
        .iter()
        .filter(|spec| spec.present)
        .map(|spec| {
            let mapped_concurrency = spec
                .events
                .iter()
                .filter_map(|(_, event)| {
                    event.pointer("/Properties/ScalingConfig/MaximumConcurrency")
                })
                .filter_map(|limit| crate::template::as_text(limit).parse::<usize>().ok())
                .max()
                .unwrap_or(0);
            let instances = config
                .lambda_concurrency
                .max(mapped_concurrency)
                .min(MOST_INSTANCES);
            (spec.name.clone(), instances)
        })
        .collect()
}

fn function_names(layout: &Layout<'_>) -> HashMap<String, String> {
    let mut names = HashMap::new();
    for function in layout.functions.iter().filter(|function| function.present) {
        names.insert(function.name.clone(), function.name.clone());
        names.insert(function.logical_id.clone(), function.name.clone());
    }
    names
}

fn start_event_sources(
    layout: &Layout<'_>,
    queue_urls: &BTreeMap<String, String>,
    clients: &Clients,
    functions: &Arc<Functions>,
    region: &str,
) -> Result<Vec<JoinHandle<()>>, LocalError> {
    let urls_by_arn: HashMap<String, String> = queue_urls
        .iter()
        .filter_map(|(id, url)| {
            let arn = layout.names().get(id)?.attributes.get("Arn")?.clone();
            Some((arn, url.clone()))
        })
        .collect();
    let mut rules = Vec::new();
    let mut tasks = Vec::new();
    for function in &layout.functions {
        for (event_name, event) in &function.events {
            if !function.present {
                if matches!(
                    event.get("Type").and_then(|kind| kind.as_str()),
                    Some("SQS" | "EventBridgeRule")
                ) {
                    tracing::warn!(function = %function.name, event = %event_name, "function not in the workspace yet; its event source is off");
                }
                continue;
            }
            if let Some(mapping) =
                SqsMapping::from_event(event_name, &function.name, event, &urls_by_arn)
            {
                tasks.push(tokio::spawn(event_source::run(
                    mapping,
                    clients.sqs.clone(),
                    functions.clone(),
                    region.to_owned(),
                )));
            } else if let Some(rule) = Rule::from_event(event_name, &function.name, event) {
                rules.push(rule);
            }
        }
    }
    if !rules.is_empty() {
        let state_machines: Vec<String> = layout
            .names()
            .values()
            .filter_map(|names| names.attributes.get("Arn"))
            .filter(|arn| arn.starts_with("arn:aws:states:"))
            .cloned()
            .collect();
        tasks.push(tokio::spawn(eventbridge::run(
            rules,
            state_machines,
            clients.sfn.clone(),
            functions.clone(),
            region.to_owned(),
        )));
    }
    Ok(tasks)
}

fn manifest(
    config: &StackConfig,
    layout: &Layout<'_>,
    template: &Template,
    queues: BTreeMap<String, String>,
    moto_url: &str,
    lambda_url: &str,
    identity: LocalIdentity,
) -> Manifest {
    let first_of = |kind: &str, pick: &dyn Fn(&LocalNames) -> Option<String>| {
        template
            .of_kind(kind)
            .next()
            .and_then(|(id, _)| layout.names().get(id))
            .and_then(pick)
    };
    let gateway = format!("http://127.0.0.1:{}", config.gateway_port);
    Manifest {
        region: config.region.clone(),
        account_id: ACCOUNT_ID.to_owned(),
        endpoint: gateway.clone(),
        moto_endpoint: moto_url.to_owned(),
        lambda_emulator_endpoint: lambda_url.to_owned(),
        bucket: first_of("AWS::S3::Bucket", &|names| Some(names.reference.clone())),
        table: first_of("AWS::DynamoDB::Table", &|names| {
            Some(names.reference.clone())
        }),
        state_machine_arn: first_of("AWS::Serverless::StateMachine", &|names| {
            names.attributes.get("Arn").cloned()
        }),
        queues,
        resources: layout
            .names()
            .iter()
            .map(|(id, names)| (id.clone(), names.clone()))
            .collect(),
        functions: layout.functions.clone(),
        http_api_url: None,
        web_socket_url: None,
        identity,
        ai_url: (config.ai == AiMode::Mock).then(|| format!("{gateway}/_ai/v1")),
        control_url: format!("{gateway}/_local"),
        started_in_seconds: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_overrides_reach_the_functions_and_unknown_names_are_refused() {
        let root = crate::testing::repository_root();
        let template = Template::load(&root.join("template.yaml")).expect("template.yaml");
        let endpoints = Endpoints {
            region: "us-east-1".into(),
            gateway_port: 4566,
        };
        let overrides = BTreeMap::from([
            ("QuotaJobsPerDay".to_owned(), "5000".to_owned()),
            ("QuotaActiveJobs".to_owned(), "50".to_owned()),
        ]);
        let parameters = parameter_overrides(&template, &overrides).expect("declared parameters");
        let layout =
            Layout::with_parameters(&template, &root, &endpoints, parameters).expect("layout");
        let api = layout
            .functions
            .iter()
            .find(|function| function.name == "api")
            .expect("the api function");
        assert_eq!(
            api.environment
                .get("NARRATIX_QUOTA_JOBS_PER_DAY")
                .map(String::as_str),
            Some("5000")
        );
        assert_eq!(
            api.environment
                .get("NARRATIX_QUOTA_ACTIVE_JOBS")
                .map(String::as_str),
            Some("50")
        );
        // Untouched parameters keep the template's defaults.
        assert_eq!(
            api.environment
                .get("NARRATIX_QUOTA_FILES_PER_DAY")
                .map(String::as_str),
            Some("40")
        );

        let misspelt = BTreeMap::from([("QuotaJobsPerDya".to_owned(), "5000".to_owned())]);
        let error = parameter_overrides(&template, &misspelt).expect_err("refused");
        assert!(error.to_string().contains("QuotaJobsPerDya"), "{error}");
    }
}
