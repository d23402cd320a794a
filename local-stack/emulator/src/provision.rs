//! Creates the template's bucket, tables, queues and state machines in moto (through the
//! gateway), from their resolved properties, so local and deployed resources cannot drift.

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ProvisionedThroughput, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_s3::types::{CorsConfiguration, CorsRule};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value as Json;

use crate::error::LocalError;
use crate::layout::{Layout, ACCOUNT_ID};
use crate::template::{as_text, text_list, Template};

pub struct Clients {
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub sfn: aws_sdk_sfn::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
}

impl Clients {
    pub async fn new(endpoint: &str, region: &str) -> Self {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(aws_config::Region::new(region.to_owned()))
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "local",
                "local",
                None,
                None,
                "narratix-local",
            ))
            .load()
            .await;
        let s3_config = aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build();
        Self {
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            sqs: aws_sdk_sqs::Client::new(&config),
            sfn: aws_sdk_sfn::Client::new(&config),
            secrets: aws_sdk_secretsmanager::Client::new(&config),
        }
    }
}

/// Provisions every supported resource; returns the actual queue URLs by logical id.
/// `execution_timeout_seconds` replaces the state machines' `TimeoutSeconds` (local only).
pub async fn provision(
    template: &Template,
    layout: &Layout<'_>,
    template_dir: &Path,
    clients: &Clients,
    execution_timeout_seconds: Option<u64>,
) -> Result<BTreeMap<String, String>, LocalError> {
    let resolver = &layout.resolver;
    for (id, resource) in template.of_kind("AWS::S3::Bucket") {
        let bucket = &layout.names()[id].reference;
        clients
            .s3
            .create_bucket()
            .bucket(bucket)
            .send()
            .await
            .map_err(|error| LocalError::provision(id, aws_message(&error)))?;
        let properties = resolver
            .resolve(&resource.properties)?
            .unwrap_or(Json::Null);
        if let Some(cors) = properties.get("CorsConfiguration") {
            // A browser's presigned PUT is checked against it (moto answers preflights from it).
            clients
                .s3
                .put_bucket_cors()
                .bucket(bucket)
                .cors_configuration(
                    bucket_cors(cors).map_err(|problem| LocalError::provision(id, problem))?,
                )
                .send()
                .await
                .map_err(|error| LocalError::provision(id, aws_message(&error)))?;
        }
        tracing::info!(resource = id, bucket = %bucket, "bucket created");
    }
    for (id, resource) in template.of_kind("AWS::DynamoDB::Table") {
        let properties = resolver.resolve_required(&resource.properties, id)?;
        create_table(
            id,
            &layout.names()[id].reference,
            &properties,
            &clients.dynamodb,
        )
        .await?;
    }
    // Dead-letter queues before the queues that redrive to them.
    let mut queues: Vec<(&str, Json)> = Vec::new();
    for (id, resource) in template.of_kind("AWS::SQS::Queue") {
        let properties = resolver
            .resolve(&resource.properties)?
            .unwrap_or(Json::Null);
        queues.push((id, properties));
    }
    queues.sort_by_key(|(_, properties)| properties.get("RedrivePolicy").is_some());
    let mut queue_urls = BTreeMap::new();
    for (id, properties) in &queues {
        let name = &layout.names()[*id].attributes["QueueName"];
        let url = create_queue(id, name, properties, &clients.sqs).await?;
        queue_urls.insert((*id).to_owned(), url);
    }
    for (id, resource) in template.of_kind("AWS::Serverless::StateMachine") {
        let properties = resolver.resolve_required(&resource.properties, id)?;
        let names = &layout.names()[id];
        create_state_machine(
            id,
            &names.attributes["Name"],
            &properties,
            template_dir,
            execution_timeout_seconds,
            &clients.sfn,
        )
        .await?;
    }
    Ok(queue_urls)
}

/// Stores `value` as the secret `name` (the mock AI's key, which the label worker reads through
/// `NARRATIX_AI_SECRET_ARN` as it would in AWS); its ARN.
pub async fn create_secret(
    name: &str,
    value: &str,
    secrets: &aws_sdk_secretsmanager::Client,
) -> Result<String, LocalError> {
    let created = secrets
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .map_err(|error| LocalError::provision(name, aws_message(&error)))?;
    let arn = created.arn().unwrap_or_default().to_owned();
    tracing::info!(secret = name, %arn, "secret created");
    Ok(arn)
}

async fn create_table(
    id: &str,
    table: &str,
    properties: &Json,
    dynamodb: &aws_sdk_dynamodb::Client,
) -> Result<(), LocalError> {
    let failure = |reason: String| LocalError::provision(id, reason);
    let mut request = dynamodb.create_table().table_name(table);
    for definition in array(properties, "AttributeDefinitions") {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(text(definition, "AttributeName"))
                .attribute_type(ScalarAttributeType::from(
                    text(definition, "AttributeType").as_str(),
                ))
                .build()
                .map_err(|error| failure(error.to_string()))?,
        );
    }
    for key in key_schema(properties).map_err(failure)? {
        request = request.key_schema(key);
    }
    let on_demand = properties.get("BillingMode").and_then(Json::as_str) == Some("PAY_PER_REQUEST");
    let throughput = ProvisionedThroughput::builder()
        .read_capacity_units(5)
        .write_capacity_units(5)
        .build()
        .map_err(|error| failure(error.to_string()))?;
    if on_demand {
        request = request.billing_mode(BillingMode::PayPerRequest);
    } else {
        request = request.provisioned_throughput(throughput.clone());
    }
    for index in array(properties, "GlobalSecondaryIndexes") {
        let projection_type = index
            .pointer("/Projection/ProjectionType")
            .and_then(Json::as_str)
            .unwrap_or("ALL");
        let mut projection =
            Projection::builder().projection_type(ProjectionType::from(projection_type));
        let non_key = index
            .pointer("/Projection/NonKeyAttributes")
            .and_then(Json::as_array);
        for attribute in non_key.into_iter().flatten().filter_map(Json::as_str) {
            projection = projection.non_key_attributes(attribute);
        }
        let mut builder = GlobalSecondaryIndex::builder()
            .index_name(text(index, "IndexName"))
            .projection(projection.build());
        for key in key_schema(index).map_err(failure)? {
            builder = builder.key_schema(key);
        }
        if !on_demand {
            builder = builder.provisioned_throughput(throughput.clone());
        }
        request = request.global_secondary_indexes(
            builder
                .build()
                .map_err(|error| failure(error.to_string()))?,
        );
    }
    request
        .send()
        .await
        .map_err(|error| failure(aws_message(&error)))?;
    if let Some(ttl) = properties.get("TimeToLiveSpecification") {
        let enabled = ttl.get("Enabled").map(as_text).as_deref() == Some("true");
        dynamodb
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(text(ttl, "AttributeName"))
                    .enabled(enabled)
                    .build()
                    .map_err(|error| failure(error.to_string()))?,
            )
            .send()
            .await
            .map_err(|error| failure(aws_message(&error)))?;
    }
    tracing::info!(resource = id, table, "table created");
    Ok(())
}

fn key_schema(properties: &Json) -> Result<Vec<KeySchemaElement>, String> {
    array(properties, "KeySchema")
        .into_iter()
        .map(|key| {
            KeySchemaElement::builder()
                .attribute_name(text(key, "AttributeName"))
                .key_type(KeyType::from(text(key, "KeyType").as_str()))
                .build()
                .map_err(|error| error.to_string())
        })
        .collect()
}

async fn create_queue(
    id: &str,
    name: &str,
    properties: &Json,
    sqs: &aws_sdk_sqs::Client,
) -> Result<String, LocalError> {
    let mut request = sqs.create_queue().queue_name(name);
    for (property, attribute) in [
        ("VisibilityTimeout", QueueAttributeName::VisibilityTimeout),
        (
            "MessageRetentionPeriod",
            QueueAttributeName::MessageRetentionPeriod,
        ),
        ("DelaySeconds", QueueAttributeName::DelaySeconds),
        ("MaximumMessageSize", QueueAttributeName::MaximumMessageSize),
        (
            "ReceiveMessageWaitTimeSeconds",
            QueueAttributeName::ReceiveMessageWaitTimeSeconds,
        ),
        ("FifoQueue", QueueAttributeName::FifoQueue),
    ] {
        if let Some(value) = properties.get(property) {
            request = request.attributes(attribute, as_text(value));
        }
    }
    if let Some(redrive) = properties.get("RedrivePolicy") {
        let policy = serde_json::json!({
            "deadLetterTargetArn": redrive.get("deadLetterTargetArn").map(as_text),
            "maxReceiveCount": redrive.get("maxReceiveCount").map(as_text),
        });
        request = request.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
    }
    let created = request
        .send()
        .await
        .map_err(|error| LocalError::provision(id, aws_message(&error)))?;
    let url = created
        .queue_url()
        .ok_or_else(|| LocalError::provision(id, "no queue URL in the answer"))?
        .to_owned();
    tracing::info!(resource = id, queue = name, "queue created");
    Ok(url)
}

async fn create_state_machine(
    id: &str,
    name: &str,
    properties: &Json,
    template_dir: &Path,
    execution_timeout_seconds: Option<u64>,
    sfn: &aws_sdk_sfn::Client,
) -> Result<(), LocalError> {
    let definition = match (
        properties.get("DefinitionUri"),
        properties.get("Definition"),
    ) {
        (Some(uri), _) => {
            let path = template_dir.join(as_text(uri));
            std::fs::read_to_string(&path).map_err(|source| LocalError::Io {
                context: format!("reading {}", path.display()),
                source,
            })?
        }
        (None, Some(inline)) => inline.to_string(),
        (None, None) => return Err(LocalError::provision(id, "no Definition or DefinitionUri")),
    };
    let substitutions: BTreeMap<String, String> = properties
        .get("DefinitionSubstitutions")
        .and_then(Json::as_object)
        .map(|map| {
            map.iter()
                .map(|(key, value)| (key.clone(), as_text(value)))
                .collect()
        })
        .unwrap_or_default();
    let mut definition = crate::template::substitute_definition(&definition, &substitutions)
        .map_err(|error| LocalError::provision(id, error))?;
    if let Some(seconds) = execution_timeout_seconds {
        definition =
            with_timeout(&definition, seconds).map_err(|error| LocalError::provision(id, error))?;
        tracing::info!(
            resource = id,
            seconds,
            "local override of the execution timeout"
        );
    }
    let kind = properties
        .get("Type")
        .and_then(Json::as_str)
        .unwrap_or("STANDARD");
    sfn.create_state_machine()
        .name(name)
        .definition(definition)
        .role_arn(format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}"))
        .r#type(aws_sdk_sfn::types::StateMachineType::from(kind))
        .send()
        .await
        .map_err(|error| LocalError::provision(id, aws_message(&error)))?;
    tracing::info!(resource = id, state_machine = name, "state machine created");
    Ok(())
}

/// The definition with its top-level `TimeoutSeconds` set to `seconds`.
fn with_timeout(definition: &str, seconds: u64) -> Result<String, String> {
    let mut parsed: Json =
        serde_json::from_str(definition).map_err(|error| format!("the definition: {error}"))?;
    let machine = parsed
        .as_object_mut()
        .ok_or("the definition is not a JSON object")?;
    machine.insert("TimeoutSeconds".to_owned(), Json::from(seconds));
    Ok(parsed.to_string())
}

/// A bucket's `CorsConfiguration` as the S3 API takes it.
fn bucket_cors(configuration: &Json) -> Result<CorsConfiguration, String> {
    let list = |rule: &Json, key: &str| text_list(rule.get(key));
    let rules = array(configuration, "CorsRules")
        .into_iter()
        .map(|rule| {
            CorsRule::builder()
                .set_allowed_methods(Some(list(rule, "AllowedMethods")))
                .set_allowed_origins(Some(list(rule, "AllowedOrigins")))
                .set_allowed_headers(Some(list(rule, "AllowedHeaders")).filter(|h| !h.is_empty()))
                .set_expose_headers(Some(list(rule, "ExposedHeaders")).filter(|h| !h.is_empty()))
                .set_max_age_seconds(rule.get("MaxAge").and_then(|age| as_text(age).parse().ok()))
                .build()
                .map_err(|error| format!("CorsRules: {error}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    CorsConfiguration::builder()
        .set_cors_rules(Some(rules))
        .build()
        .map_err(|error| format!("CorsConfiguration: {error}"))
}

fn array<'a>(value: &'a Json, key: &str) -> Vec<&'a Json> {
    value
        .get(key)
        .and_then(Json::as_array)
        .map(|items| items.iter().collect())
        .unwrap_or_default()
}

fn text(value: &Json, key: &str) -> String {
    value.get(key).map(as_text).unwrap_or_default()
}

/// An SDK error's service message (or its kind), one line.
pub fn aws_message<E, R>(error: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use std::error::Error as _;
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_execution_timeout_override_replaces_the_definitions() {
        let definition = r#"{"StartAt":"A","TimeoutSeconds":7200,"States":{}}"#;
        let changed: Json =
            serde_json::from_str(&with_timeout(definition, 30).expect("a definition"))
                .expect("JSON");
        assert_eq!(changed["TimeoutSeconds"], 30);
        assert_eq!(changed["StartAt"], "A");
        assert!(with_timeout("[]", 30).is_err());
    }
}
