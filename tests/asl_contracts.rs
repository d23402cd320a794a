//! The state machine writes the table and talks to the functions with its own JSON; these
//! checks hold it to the storage crate's schema (`narratix_store::schema`) and the domain's
//! message types (`narratix_domain::messages`), so an attribute or field renamed on one side
//! fails here instead of in a running job.

use std::collections::BTreeSet;

use narratix_domain::messages::{
    AggregateRequest, ExecutionInput, ExtractRequest, ExtractResult, LabelMessage, LabelTaskOutput,
    NotifyRequest,
};
use narratix_domain::{FileStatus, JobStatus, ObjectKey};
use narratix_store::schema::{self, attr};
use narratix_system_tests::{load_state_machine, load_template, untag, StateRef};
use serde_json::{json, Value as Json};

/// The item kind a task's `Key` addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ItemKind {
    Job,
    File,
}

fn dynamodb_updates<'a>(tasks: &[StateRef<'a>]) -> Vec<(String, &'a Json)> {
    tasks
        .iter()
        .filter(|task| task.state["Resource"] == "arn:aws:states:::dynamodb:updateItem")
        .map(|task| (task.label(), &task.state["Parameters"]))
        .collect()
}

/// The item a `Key` addresses, if it is built exactly as the schema builds keys.
fn key_kind(key: &Json) -> Result<ItemKind, String> {
    let pk = key[schema::PK]["S.$"].as_str().unwrap_or_default();
    if pk != format!("States.Format('{}{{}}', $.jobId)", schema::JOB_PREFIX) {
        return Err(format!("pk {pk:?} is not the schema's job partition"));
    }
    let sk = &key[schema::SK];
    if sk["S"] == schema::JOB_SK {
        return Ok(ItemKind::Job);
    }
    if sk["S.$"] == format!("States.Format('{}{{}}', $.fileId)", schema::FILE_PREFIX) {
        return Ok(ItemKind::File);
    }
    Err(format!(
        "sk {sk} is neither the job item's nor a file item's"
    ))
}

/// The attribute names an update or condition expression touches, with `#name` placeholders
/// resolved: words before `=` in `SET`, the list after `REMOVE`, and function arguments.
fn attributes(expression: &str, names: &Json) -> Result<BTreeSet<String>, String> {
    let resolve = |token: &str| -> Result<Option<String>, String> {
        let token = token.trim().trim_matches(|c| c == '(' || c == ')');
        if token.is_empty() || token.starts_with(':') {
            return Ok(None);
        }
        if let Some(placeholder) = token.strip_prefix('#') {
            return names[format!("#{placeholder}")]
                .as_str()
                .map(|name| Some(name.to_owned()))
                .ok_or_else(|| format!("#{placeholder} has no ExpressionAttributeNames entry"));
        }
        Ok(Some(token.to_owned()))
    };
    let mut found = BTreeSet::new();
    let mut clause = "";
    for word in expression
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|word| !word.is_empty())
    {
        match word {
            "SET" | "REMOVE" | "AND" | "OR" | "NOT" | "IN" | "=" | "<>" => {
                if matches!(word, "SET" | "REMOVE") {
                    clause = word;
                }
                continue;
            }
            _ => {}
        }
        // Function calls: attribute_exists(x), if_not_exists(x, :v).
        let word = match word.split_once('(') {
            Some((function, argument))
                if function.chars().all(|c| c.is_ascii_lowercase() || c == '_') =>
            {
                argument
            }
            _ => word,
        };
        if clause == "SET" && word.starts_with(':') {
            continue;
        }
        if let Some(name) = resolve(word)? {
            found.insert(name);
        }
    }
    Ok(found)
}

#[test]
fn every_dynamodb_write_of_the_state_machine_uses_the_schemas_keys_and_attributes() {
    let machine = load_state_machine();
    let tasks = machine.tasks();
    let updates = dynamodb_updates(&tasks);
    assert!(
        updates.len() >= 6,
        "the state machine writes the table in six states"
    );
    let mut problems = Vec::new();
    for (label, parameters) in updates {
        let kind = match key_kind(&parameters["Key"]) {
            Ok(kind) => kind,
            Err(problem) => {
                problems.push(format!("{label}: {problem}"));
                continue;
            }
        };
        let known: &[&str] = match kind {
            ItemKind::Job => attr::JOB,
            ItemKind::File => attr::FILE,
        };
        let names = &parameters["ExpressionAttributeNames"];
        for field in ["UpdateExpression", "ConditionExpression"] {
            let Some(expression) = parameters[field].as_str() else {
                continue;
            };
            match attributes(expression, names) {
                Ok(found) => {
                    for attribute in found {
                        if !known.contains(&attribute.as_str()) {
                            problems.push(format!(
                                "{label}: {field} names {attribute:?}, not an attribute of a {kind:?} item"
                            ));
                        }
                    }
                }
                Err(problem) => problems.push(format!("{label}: {problem}")),
            }
        }
        // Every status written or compared is one the store reads back.
        let statuses: Vec<&str> = match kind {
            ItemKind::Job => JobStatus::ALL.iter().map(|s| s.as_str()).collect(),
            ItemKind::File => FileStatus::ALL.iter().map(|s| s.as_str()).collect(),
        };
        let update = parameters["UpdateExpression"].as_str().unwrap_or_default();
        let condition = parameters["ConditionExpression"]
            .as_str()
            .unwrap_or_default();
        let values = parameters["ExpressionAttributeValues"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (placeholder, value) in &values {
            let status_like = format!("#status = {placeholder}");
            let compared = update.contains(&status_like)
                || condition.contains(&status_like)
                || (condition.contains("#status IN") && condition.contains(placeholder.as_str()));
            if compared {
                match value["S"].as_str() {
                    Some(status) if statuses.contains(&status) => {}
                    other => problems.push(format!(
                        "{label}: {placeholder} = {other:?} is not a {kind:?} status"
                    )),
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_expression_reader_finds_names_placeholders_and_function_arguments() {
    let names = json!({"#status": "status", "#error": "error"});
    let found = attributes(
        "SET #status = :s, startedAt = if_not_exists(startedAt, :t) REMOVE expiresAt",
        &names,
    )
    .expect("read");
    assert_eq!(
        found,
        ["expiresAt", "startedAt", "status"]
            .map(str::to_owned)
            .into()
    );
    let found = attributes("attribute_exists(pk) AND #status IN (:a, :b)", &names).expect("read");
    assert_eq!(found, ["pk", "status"].map(str::to_owned).into());
    assert!(attributes("SET #nope = :x", &names).is_err());
}

/// A task's payload with every `.$` path replaced by a plausible value of its field.
fn sample(payload: &Json) -> Json {
    let value_for = |field: &str| -> Json {
        match field {
            "jobId" => json!("job-1"),
            "fileId" => json!("f1"),
            "bucket" => json!("narratix-bucket"),
            "key" => json!("uploads/job-1/f1.pdf"),
            "textKey" => json!("text/job-1/f1.txt"),
            "taskToken" => json!("token"),
            other => json!(other),
        }
    };
    let mut out = serde_json::Map::new();
    for (key, value) in payload.as_object().into_iter().flatten() {
        match key.strip_suffix(".$") {
            Some(field) => out.insert(field.to_owned(), value_for(field)),
            None => out.insert(key.clone(), value.clone()),
        };
    }
    Json::Object(out)
}

fn task<'a>(tasks: &'a [StateRef<'a>], name: &str) -> &'a Json {
    tasks
        .iter()
        .find(|task| task.name == name)
        .map(|task| task.state)
        .unwrap_or_else(|| panic!("no task {name:?}"))
}

#[test]
fn every_task_payload_is_the_domains_message_for_it() {
    let machine = load_state_machine();
    let tasks = machine.tasks();
    let payload = |name: &str| sample(&task(&tasks, name)["Parameters"]["Payload"]);
    let extract: ExtractRequest = serde_json::from_value(payload("Extract text"))
        .expect("the extract payload is an ExtractRequest");
    assert_eq!(
        extract.key,
        ObjectKey::upload(&extract.job_id, &extract.file_id)
    );
    let message = sample(&task(&tasks, "Label questions and answers")["Parameters"]["MessageBody"]);
    let message: LabelMessage =
        serde_json::from_value(message).expect("the label message is a LabelMessage");
    assert_eq!(
        message.text_key,
        ObjectKey::text(&message.job_id, &message.file_id)
    );
    let _: AggregateRequest = serde_json::from_value(payload("Aggregate job result"))
        .expect("the aggregate payload is an AggregateRequest");
    for name in [
        "Tell owner extraction started",
        "Tell owner labeling started",
        "Tell owner the file is done",
        "Tell owner the job is done",
        "Tell owner the job failed",
    ] {
        let _: NotifyRequest = serde_json::from_value(payload(name))
            .unwrap_or_else(|error| panic!("{name}: not a NotifyRequest: {error}"));
    }
}

#[test]
fn what_the_state_machine_reads_back_is_what_the_functions_return() {
    let machine = load_state_machine();
    let tasks = machine.tasks();
    let selected = |name: &str| -> BTreeSet<String> {
        task(&tasks, name)["ResultSelector"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(_, path)| {
                path.as_str()
                    .unwrap_or_default()
                    .trim_start_matches("$.Payload.")
                    .trim_start_matches("$.")
                    .to_owned()
            })
            .collect()
    };
    let fields = |value: Json| -> BTreeSet<String> {
        value
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.clone())
            .collect()
    };
    let job = narratix_domain::JobId::parse("j").expect("id");
    let file = narratix_domain::FileId::at_position(0);
    let extract = serde_json::to_value(ExtractResult {
        text_key: ObjectKey::text(&job, &file),
        pages: 1,
        chars: 1,
        truncated: false,
    })
    .expect("json");
    assert!(selected("Extract text").is_subset(&fields(extract)));
    let labeled = serde_json::to_value(LabelTaskOutput {
        pair_count: 1,
        input_tokens: 1,
        output_tokens: 1,
    })
    .expect("json");
    assert!(selected("Label questions and answers").is_subset(&fields(labeled)));
    let tally = serde_json::to_value(narratix_domain::messages::JobTally {
        job_id: job,
        status: JobStatus::Succeeded,
        succeeded: 1,
        failed: 0,
    })
    .expect("json");
    assert!(selected("Aggregate job result").is_subset(&fields(tally)));
}

#[test]
fn the_execution_input_is_what_the_map_reads() {
    let machine = load_state_machine();
    let map = &machine.scopes()[0].states["Process each file"];
    let input = ExecutionInput {
        job_id: narratix_domain::JobId::parse("job-1").expect("id"),
        owner: "alice".into(),
        bucket: "b".into(),
        files: vec![],
    };
    let input = serde_json::to_value(input).expect("json");
    assert_eq!(
        map["ItemsPath"], "$.files",
        "the Map iterates the input's files"
    );
    for (_, path) in map["ItemSelector"].as_object().into_iter().flatten() {
        let path = path.as_str().unwrap_or_default();
        if let Some(field) = path.strip_prefix("$.") {
            assert!(
                input.get(field).is_some(),
                "the Map reads {path}, which the input lacks"
            );
        }
    }
}

#[test]
fn the_buckets_lifecycle_rules_expire_the_prefixes_the_pipeline_writes() {
    let template = load_template();
    let bucket = template.resource("Bucket");
    let rules = untag(
        bucket
            .property("LifecycleConfiguration")
            .expect("the bucket has lifecycle rules"),
    );
    let text = format!("{rules:?}");
    for prefix in ObjectKey::PREFIXES {
        assert!(
            text.contains(prefix),
            "no lifecycle rule for {prefix}: {text}"
        );
    }
}
