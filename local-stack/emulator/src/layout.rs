//! The local names of the template's resources (what `!Ref` and `!GetAtt` give locally), and
//! each function's local settings (name, ARN, environment), all derived from `template.yaml`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use regex::Regex;
use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use crate::error::LocalError;
use crate::gateway::s3_access::{access_key_id, listing_grants, ListingGrant};
use crate::template::{as_text, LocalNames, Resolver, Template};

pub const ACCOUNT_ID: &str = "123456789012";
pub const STACK_NAME: &str = "narratix-local";
pub const LOCAL_AUDIENCE: &str = "narratix-local";
/// The Secrets Manager secret holding the mock AI's key (mock AI mode).
pub const AI_SECRET_NAME: &str = "narratix-local-ai-api-key";

/// Where the stack listens and what it calls itself.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub region: String,
    pub gateway_port: u16,
}

/// The local dev issuer (the template's `JwtIssuer` locally).
pub fn local_issuer(gateway_url: &str) -> String {
    format!("{gateway_url}/_identity")
}

impl Endpoints {
    pub fn gateway_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.gateway_port)
    }

    /// The mock AI's base URL (OpenAI style: `{base}/chat/completions`).
    pub fn ai_url(&self) -> String {
        format!("{}/_ai/v1", self.gateway_url())
    }

    /// The AI key secret as a partial ARN (without the suffix Secrets Manager adds), which
    /// GetSecretValue accepts: known before the secret exists, so functions can start first.
    pub fn ai_secret_arn(&self) -> String {
        format!(
            "arn:aws:secretsmanager:{}:{ACCOUNT_ID}:secret:{AI_SECRET_NAME}",
            self.region
        )
    }

    /// The template parameters that point the label worker at the mock AI.
    pub fn mock_ai_parameters(&self) -> HashMap<String, String> {
        HashMap::from([
            ("AiProvider".to_owned(), "openai".to_owned()),
            ("AiBaseUrl".to_owned(), self.ai_url()),
            ("AiModel".to_owned(), crate::mock_ai::MOCK_MODEL.to_owned()),
            ("AiApiKeySecretArn".to_owned(), self.ai_secret_arn()),
        ])
    }
}

/// One function of the template as the local stack runs it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FunctionSpec {
    #[serde(skip)]
    pub logical_id: String,
    /// The binary name; also the local function name.
    pub name: String,
    pub arn: String,
    /// Whether its crate exists in the workspace (functions still to be written do not).
    pub present: bool,
    pub timeout_seconds: u64,
    pub memory_megabytes: u64,
    #[serde(skip)]
    pub environment: BTreeMap<String, String>,
    #[serde(skip)]
    pub events: Vec<(String, Json)>,
    /// Its `s3:ListBucket` grants: what S3 answers it for a missing key.
    #[serde(skip)]
    pub listing: Vec<ListingGrant>,
}

pub struct Layout<'t> {
    pub resolver: Resolver<'t>,
    pub functions: Vec<FunctionSpec>,
}

impl<'t> Layout<'t> {
    #[cfg(test)]
    pub fn new(
        template: &'t Template,
        root: &Path,
        endpoints: &Endpoints,
    ) -> Result<Self, LocalError> {
        Self::with_parameters(template, root, endpoints, HashMap::new())
    }

    /// As [`Layout::new`], with more template parameter overrides (they win over the local
    /// defaults too).
    pub fn with_parameters(
        template: &'t Template,
        root: &Path,
        endpoints: &Endpoints,
        parameters: HashMap<String, String>,
    ) -> Result<Self, LocalError> {
        let region = endpoints.region.as_str();
        let gateway = endpoints.gateway_url();
        let mut names = HashMap::new();
        for (id, resource) in &template.resources {
            let local = match resource.kind.as_str() {
                "AWS::S3::Bucket" => {
                    let bucket = format!("{STACK_NAME}-{}", id.to_ascii_lowercase());
                    named(
                        &bucket,
                        [
                            ("Arn", format!("arn:aws:s3:::{bucket}")),
                            ("DomainName", format!("{bucket}.s3.amazonaws.com")),
                        ],
                    )
                }
                "AWS::DynamoDB::Table" => {
                    let table = format!("{STACK_NAME}-{id}");
                    named(&table, [
                        ("Arn", format!("arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{table}")),
                        ("StreamArn", format!("arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{table}/stream/local")),
                    ])
                }
                "AWS::SQS::Queue" => {
                    let queue = format!("{STACK_NAME}-{id}");
                    LocalNames {
                        reference: format!("{gateway}/{ACCOUNT_ID}/{queue}"),
                        attributes: BTreeMap::from([
                            (
                                "Arn".to_owned(),
                                format!("arn:aws:sqs:{region}:{ACCOUNT_ID}:{queue}"),
                            ),
                            ("QueueName".to_owned(), queue.clone()),
                            (
                                "QueueUrl".to_owned(),
                                format!("{gateway}/{ACCOUNT_ID}/{queue}"),
                            ),
                        ]),
                    }
                }
                "AWS::Serverless::Function" | "AWS::Lambda::Function" => {
                    let function = function_name(id, &resource.metadata);
                    let arn = format!("arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{function}");
                    LocalNames {
                        reference: function,
                        attributes: BTreeMap::from([("Arn".to_owned(), arn)]),
                    }
                }
                "AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine" => {
                    let machine = format!("{STACK_NAME}-{id}");
                    let arn =
                        format!("arn:aws:states:{region}:{ACCOUNT_ID}:stateMachine:{machine}");
                    LocalNames {
                        reference: arn.clone(),
                        attributes: BTreeMap::from([
                            ("Arn".to_owned(), arn),
                            ("Name".to_owned(), machine),
                        ]),
                    }
                }
                "AWS::ApiGatewayV2::Api" | "AWS::Serverless::HttpApi" => {
                    let api = id.to_ascii_lowercase();
                    named(&api, [("ApiEndpoint", format!("{gateway}/_apis/{api}"))])
                }
                "AWS::ApiGatewayV2::Stage" => {
                    let stage = resource
                        .properties
                        .get("StageName")
                        .and_then(Yaml::as_str)
                        .unwrap_or(id)
                        .to_owned();
                    named(&stage, [])
                }
                _ => continue,
            };
            names.insert(id.clone(), local);
        }
        let pseudo = HashMap::from([
            ("AWS::Region", region.to_owned()),
            ("AWS::AccountId", ACCOUNT_ID.to_owned()),
            ("AWS::Partition", "aws".to_owned()),
            ("AWS::URLSuffix", "amazonaws.com".to_owned()),
            ("AWS::StackName", STACK_NAME.to_owned()),
            (
                "AWS::StackId",
                format!("arn:aws:cloudformation:{region}:{ACCOUNT_ID}:stack/{STACK_NAME}/local"),
            ),
        ]);
        let mut parameter_overrides = HashMap::from([
            ("JwtIssuer".to_owned(), local_issuer(&gateway)),
            ("JwtAudience".to_owned(), LOCAL_AUDIENCE.to_owned()),
            // Deployed, the default allows only the stack's CloudFront page; locally the page is
            // served from the gateway and, in the browser tests, from another origin on purpose.
            ("AllowedOrigins".to_owned(), "*".to_owned()),
        ]);
        parameter_overrides.extend(parameters);
        let resolver = Resolver::new(template, &parameter_overrides, pseudo, names);
        let functions = function_specs(template, &resolver, root, endpoints)?;
        Ok(Self {
            resolver,
            functions,
        })
    }

    pub fn names(&self) -> &HashMap<String, LocalNames> {
        self.resolver.names()
    }

    /// Functions that verify tokens (`JWT_ISSUER` set) verify the local dev issuer's: its secret
    /// and no `JWKS_URL` (which would win over the secret).
    pub fn use_dev_identity(&mut self, dev_secret: &str) {
        for function in &mut self.functions {
            if function.environment.contains_key("JWT_ISSUER") {
                function.environment.remove("JWKS_URL");
                function
                    .environment
                    .insert("NARRATIX_DEV_JWT_SECRET".to_owned(), dev_secret.to_owned());
            }
        }
    }
}

fn named<const N: usize>(reference: &str, attributes: [(&str, String); N]) -> LocalNames {
    LocalNames {
        reference: reference.to_owned(),
        attributes: attributes
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect(),
    }
}

/// `Metadata.BuildProperties.Binary`, else the logical id without `Function`, in kebab case.
fn function_name(logical_id: &str, metadata: &Yaml) -> String {
    if let Some(binary) = metadata
        .get("BuildProperties")
        .and_then(|properties| properties.get("Binary"))
        .and_then(Yaml::as_str)
    {
        return binary.to_owned();
    }
    let stem = logical_id.strip_suffix("Function").unwrap_or(logical_id);
    let mut name = String::new();
    for (index, character) in stem.chars().enumerate() {
        if character.is_ascii_uppercase() && index > 0 {
            name.push('-');
        }
        name.push(character.to_ascii_lowercase());
    }
    name
}

fn function_specs(
    template: &Template,
    resolver: &Resolver<'_>,
    root: &Path,
    endpoints: &Endpoints,
) -> Result<Vec<FunctionSpec>, LocalError> {
    let globals = resolver
        .resolve(&template.globals_function)?
        .unwrap_or(Json::Null);
    let execute_api = Regex::new(r"^https://([^./]+)\.execute-api\.[^/]+/(.*)$")
        .map_err(|error| LocalError::Template(error.to_string()))?;
    let gateway = endpoints.gateway_url();
    let mut functions = Vec::new();
    for (id, resource) in template.of_kind("AWS::Serverless::Function") {
        let properties = resolver
            .resolve(&resource.properties)?
            .unwrap_or(Json::Null);
        let names = resolver
            .names()
            .get(id)
            .ok_or_else(|| LocalError::Template(format!("function {id} has no local name")))?;
        let mut environment = BTreeMap::new();
        for source in [&globals, &properties] {
            if let Some(variables) = source
                .pointer("/Environment/Variables")
                .and_then(Json::as_object)
            {
                for (name, value) in variables {
                    let value = as_text(value);
                    // API Gateway endpoints become the gateway's emulation of them.
                    let value = match execute_api.captures(&value) {
                        Some(captures) => {
                            format!("{gateway}/_apis/{}/{}", &captures[1], &captures[2])
                        }
                        None => value,
                    };
                    environment.insert(name.clone(), value);
                }
            }
        }
        let region = endpoints.region.clone();
        for (name, value) in [
            ("AWS_ENDPOINT_URL", gateway.clone()),
            ("NARRATIX_S3_FORCE_PATH_STYLE", "true".to_owned()),
            ("AWS_ACCESS_KEY_ID", access_key_id(&names.reference)),
            ("AWS_SECRET_ACCESS_KEY", "local".to_owned()),
            ("AWS_REGION", region.clone()),
            ("AWS_DEFAULT_REGION", region),
        ] {
            environment.insert(name.to_owned(), value);
        }
        let timeout_seconds = properties
            .get("Timeout")
            .or_else(|| globals.get("Timeout"))
            .and_then(|timeout| as_text(timeout).parse().ok())
            .unwrap_or(3);
        let memory_megabytes = properties
            .get("MemorySize")
            .or_else(|| globals.get("MemorySize"))
            .and_then(|memory| as_text(memory).parse().ok())
            .unwrap_or(128);
        let code_uri = properties
            .get("CodeUri")
            .and_then(Json::as_str)
            .unwrap_or_default();
        let present = !code_uri.is_empty()
            && root.join(code_uri).join("Cargo.toml").is_file()
            && root.join(code_uri).join("src/main.rs").is_file();
        let events = properties
            .get("Events")
            .and_then(Json::as_object)
            .map(|events| {
                events
                    .iter()
                    .map(|(name, event)| (name.clone(), event.clone()))
                    .collect()
            })
            .unwrap_or_default();
        functions.push(FunctionSpec {
            logical_id: id.to_owned(),
            name: names.reference.clone(),
            arn: names.attributes.get("Arn").cloned().unwrap_or_default(),
            present,
            timeout_seconds,
            memory_megabytes,
            environment,
            events,
            listing: properties
                .get("Policies")
                .map(listing_grants)
                .unwrap_or_default(),
        });
    }
    Ok(functions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mock_ai_parameters_point_the_label_worker_at_the_gateway() {
        let root = &crate::testing::repository_root();
        let template = Template::load(&root.join("template.yaml")).expect("template.yaml");
        let endpoints = Endpoints {
            region: "us-east-1".into(),
            gateway_port: 4566,
        };
        let worker_environment = |layout: &Layout<'_>| {
            layout
                .functions
                .iter()
                .find(|function| function.name == "label-worker")
                .expect("the label worker")
                .environment
                .clone()
        };
        let mock =
            Layout::with_parameters(&template, root, &endpoints, endpoints.mock_ai_parameters())
                .expect("layout");
        let environment = worker_environment(&mock);
        for (name, value) in [
            ("NARRATIX_AI_PROVIDER", "openai"),
            ("NARRATIX_AI_BASE_URL", "http://127.0.0.1:4566/_ai/v1"),
            ("NARRATIX_AI_MODEL", crate::mock_ai::MOCK_MODEL),
            (
                "NARRATIX_AI_SECRET_ARN",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:narratix-local-ai-api-key",
            ),
        ] {
            assert_eq!(
                environment.get(name).map(String::as_str),
                Some(value),
                "{name}"
            );
        }
        let offline = Layout::new(&template, root, &endpoints).expect("layout");
        let environment = worker_environment(&offline);
        assert_eq!(
            environment.get("NARRATIX_AI_PROVIDER").map(String::as_str),
            Some("offline")
        );
        assert_eq!(
            environment
                .get("NARRATIX_AI_SECRET_ARN")
                .map(String::as_str),
            Some("")
        );
    }

    #[test]
    fn function_names_come_from_the_binary_or_the_logical_id() {
        let metadata: Yaml =
            serde_norway::from_str("BuildProperties:\n  Binary: label-worker\n").expect("yaml");
        assert_eq!(
            function_name("LabelWorkerFunction", &metadata),
            "label-worker"
        );
        assert_eq!(
            function_name("WsConnectFunction", &Yaml::Null),
            "ws-connect"
        );
    }
}
