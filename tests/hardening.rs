//! Offline checks of the SAM template for issue 13's findings: each function's logs are kept
//! only as long as promised, no function holds S3 rights it never uses, the pipeline reads only
//! the start's copies, the reaper's failures are kept and alarmed, and the sweep's index is the
//! one the store queries.

use narratix_store::schema;
use narratix_system_tests::*;
use serde_norway::Value as Yaml;

/// Every `Action` of a function's inline policies, with the resources they name (as text).
fn statements(function: &Resource<'_>) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    let Some(policies) = function.property("Policies").and_then(Yaml::as_sequence) else {
        return out;
    };
    for policy in policies {
        let Some(list) = untag(&policy["Statement"]).as_sequence() else {
            continue;
        };
        for statement in list {
            let actions = match untag(&statement["Action"]) {
                Yaml::String(one) => vec![one.clone()],
                Yaml::Sequence(many) => many
                    .iter()
                    .filter_map(|a| untag(a).as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            out.push((actions, format!("{:?}", statement["Resource"])));
        }
    }
    out
}

fn functions(template: &Template) -> Vec<Resource<'_>> {
    template.resources_of_type("AWS::Serverless::Function")
}

#[test]
fn every_function_has_a_log_group_with_a_retention() {
    let template = load_template();
    let groups = template.resources_of_type("AWS::Logs::LogGroup");
    for function in functions(&template) {
        let name = format!("/aws/lambda/${{{}}}", function.logical_id);
        let group = groups
            .iter()
            .find(|group| {
                group.property("LogGroupName").and_then(Yaml::as_str) == Some(name.as_str())
            })
            .unwrap_or_else(|| panic!("{} has no log group {name}", function.logical_id));
        assert!(
            group.property("RetentionInDays").is_some(),
            "{} keeps its logs forever",
            group.logical_id
        );
    }
}

#[test]
fn functions_that_never_read_objects_hold_no_s3_rights() {
    let template = load_template();
    for id in ["NotifyFunction", "WsSubscribeFunction", "ReaperFunction"] {
        let function = template.resource(id);
        for (actions, _) in statements(&function) {
            assert!(
                actions.iter().all(|action| !action.starts_with("s3:")),
                "{id} holds {actions:?}"
            );
        }
    }
}

#[test]
fn extraction_reads_only_the_starts_copies() {
    let template = load_template();
    let extract = template.resource("ExtractFunction");
    let reads: Vec<String> = statements(&extract)
        .into_iter()
        .filter(|(actions, _)| actions.iter().any(|a| a == "s3:GetObject"))
        .map(|(_, resource)| resource)
        .collect();
    assert!(!reads.is_empty(), "extract reads nothing");
    for resource in reads {
        assert!(
            resource.contains("/inputs/*") && !resource.contains("/uploads/"),
            "extract reads {resource}: an upload URL can still write there"
        );
    }
}

#[test]
fn a_failed_reaper_event_is_kept_and_alarmed_and_a_schedule_sweeps() {
    let template = load_template();
    let reaper = template.resource("ReaperFunction");
    let config = reaper
        .property("EventInvokeConfig")
        .expect("the reaper has an EventInvokeConfig");
    let on_failure = &config["DestinationConfig"]["OnFailure"];
    assert_eq!(untag(&on_failure["Type"]).as_str(), Some("SQS"));
    let destination = format!("{:?}", on_failure["Destination"]);
    assert!(
        destination.contains("ReaperDeadLetterQueue"),
        "{destination}"
    );
    let events = reaper.property("Events").expect("events");
    let schedules: Vec<&Yaml> = events
        .as_mapping()
        .expect("a mapping")
        .values()
        .filter(|event| untag(&event["Type"]).as_str() == Some("Schedule"))
        .collect();
    assert_eq!(schedules.len(), 1, "one sweep schedule");
    let alarms = template.resources_of_type("AWS::CloudWatch::Alarm");
    assert!(
        alarms.iter().any(|alarm| {
            format!("{:?}", alarm.property("Dimensions")).contains("ReaperDeadLetterQueue")
        }),
        "no alarm on the reaper's dead-letter queue"
    );
    assert!(
        alarms
            .iter()
            .any(|alarm| format!("{:?}", alarm.property("Metrics")).contains("InputTokens")),
        "no spending alarm on tokens"
    );
}

#[test]
fn the_sweeps_index_is_the_one_the_store_queries() {
    let template = load_template();
    let indexes = template
        .resource("Table")
        .property("GlobalSecondaryIndexes")
        .and_then(Yaml::as_sequence)
        .expect("indexes")
        .clone();
    let open = indexes
        .iter()
        .find(|index| untag(&index["IndexName"]).as_str() == Some(schema::OPEN_INDEX))
        .expect("the table has the sweep's index");
    let keys = format!("{:?}", open["KeySchema"]);
    assert!(keys.contains(schema::attr::OPEN_PK) && keys.contains(schema::attr::OPEN_SK));
    assert!(format!("{:?}", open["Projection"]).contains(schema::attr::JOB_ID));
}

#[test]
fn the_token_expiry_index_is_the_one_the_store_queries_and_only_the_reaper_reads_it() {
    let template = load_template();
    let indexes = template
        .resource("Table")
        .property("GlobalSecondaryIndexes")
        .and_then(Yaml::as_sequence)
        .expect("indexes")
        .clone();
    let tokens = indexes
        .iter()
        .find(|index| untag(&index["IndexName"]).as_str() == Some(schema::TOKEN_INDEX))
        .expect("the table has the token expiry index");
    let keys = format!("{:?}", tokens["KeySchema"]);
    assert!(
        keys.contains(schema::attr::TOKEN_PK) && keys.contains(schema::attr::TOKEN_EXPIRES_AT),
        "{keys}"
    );
    assert!(format!("{:?}", tokens["Projection"]).contains(schema::attr::CONNECTION_ID));
    let definitions = format!(
        "{:?}",
        template.resource("Table").property("AttributeDefinitions")
    );
    assert!(definitions.contains(schema::attr::TOKEN_EXPIRES_AT));
    let reaper = format!(
        "{:?}",
        template.resource("ReaperFunction").property("Policies")
    );
    assert!(
        reaper.contains(schema::TOKEN_INDEX),
        "the reaper may not query it"
    );
    for other in [
        "ApiFunction",
        "NotifyFunction",
        "WsSubscribeFunction",
        "WsConnectFunction",
    ] {
        let policies = format!("{:?}", template.resource(other).property("Policies"));
        assert!(
            !policies.contains(schema::TOKEN_INDEX),
            "{other} may query it"
        );
    }
}

#[test]
fn the_api_routes_delete_and_its_cors_allows_it() {
    let template = load_template();
    let api = template.resource("ApiFunction");
    let events = format!("{:?}", api.property("Events"));
    assert!(events.contains("DELETE"), "no DELETE /jobs/{{id}} route");
    let cors = template
        .resource("HttpApi")
        .property("CorsConfiguration")
        .expect("CORS")
        .clone();
    let methods = format!("{:?}", cors["AllowMethods"]);
    assert!(methods.contains("DELETE"), "{methods}");
    let quotas = format!("{:?}", api.property("Environment"));
    for name in [
        "NARRATIX_QUOTA_ACTIVE_JOBS",
        "NARRATIX_QUOTA_JOBS_PER_DAY",
        "NARRATIX_QUOTA_FILES_PER_DAY",
    ] {
        assert!(quotas.contains(name), "the api is not given {name}");
    }
}

/// The CORS origins a deployment gets when `AllowedOrigins` is left at its default.
fn default_origins(cors_origins: &Yaml) -> String {
    let choice = untag(cors_origins)
        .as_sequence()
        .expect("origins chosen with !If [condition, page origin, AllowedOrigins]");
    assert_eq!(choice.len(), 3, "{choice:?}");
    format!("{:?}", choice[1])
}

#[test]
fn cors_allows_only_the_stacks_own_page_unless_origins_are_given() {
    let template = load_template();
    let parameter = &template.root["Parameters"]["AllowedOrigins"];
    assert_eq!(
        parameter["Default"].as_str(),
        Some(""),
        "the deployed default must not be '*'"
    );
    let condition = format!("{:?}", template.root["Conditions"]["OnlyThePageOrigin"]);
    assert!(
        condition.contains("AllowedOrigins") && condition.contains("Equals"),
        "{condition}"
    );

    let api_cors = template
        .resource("HttpApi")
        .property("CorsConfiguration")
        .expect("the HTTP API's CORS")
        .clone();
    let bucket_cors = template
        .resource("Bucket")
        .property("CorsConfiguration")
        .expect("the upload bucket's CORS")
        .clone();
    let bucket_rule = &bucket_cors["CorsRules"][0];
    for (what, origins) in [
        ("HTTP API", &api_cors["AllowOrigins"]),
        ("upload bucket", &bucket_rule["AllowedOrigins"]),
    ] {
        let tagged = format!("{origins:?}");
        assert!(tagged.contains("OnlyThePageOrigin"), "{what}: {tagged}");
        let page = default_origins(origins);
        assert!(
            page.contains("https://${WebDistribution.DomainName}"),
            "{what}: by default only the page's CloudFront origin, not {page}"
        );
    }
}
