//! Loading and walking the deployable system's definitions, for the offline checks in
//! `static_checks.rs` and `template_functions.rs`: the `LabelJob` state machine (Amazon States
//! Language, JSONPath) and the SAM template (YAML with CloudFormation tags such as `!Ref`).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

/// The state machine definition, relative to the repository root.
pub const STATE_MACHINE_PATH: &str = "statemachine/label-job.asl.json";
/// The SAM template, relative to the repository root.
pub const TEMPLATE_PATH: &str = "template.yaml";
/// The template's logical id of the `LabelJob` state machine.
pub const STATE_MACHINE_RESOURCE: &str = "LabelJobStateMachine";

/// The Map state that runs one iteration per file.
pub const PER_FILE_MAP: &str = "Process each file";
/// The states every file iteration must pass through: one of them records the file's outcome.
pub const SAVE_FILE: &str = "Save file result";
pub const RECORD_FILE_FAILURE: &str = "Record file failure";
/// The write of a file's failure, after [`RECORD_FILE_FAILURE`] made sure it has a cause.
pub const STORE_FILE_FAILURE: &str = "Store file failure";
/// Where every top-level failure goes.
pub const MARK_JOB_FAILED: &str = "Mark job failed";

/// Error-name prefixes owned by AWS services (Step Functions, Lambda, DynamoDB, SQS); every
/// other name in a `Retry` or `Catch` must be one of the project's wire names.
pub const SERVICE_ERROR_PREFIXES: &[&str] = &["States", "Lambda", "Sandbox", "DynamoDB", "SQS"];

/// Lambda service errors that every Lambda task retries.
pub const LAMBDA_SERVICE_ERRORS: &[&str] = &[
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
];
/// DynamoDB throttling and server errors, as the optimized integration names them.
pub const DYNAMODB_TRANSIENT_ERRORS: &[&str] = &[
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.RequestLimitExceeded",
    "DynamoDB.InternalServerErrorException",
];
/// SQS errors as the optimized integration names them: every service-side failure (throttling
/// included) is `SQS.AmazonSQSException`, every client-side one `SQS.SdkClientException`.
pub const SQS_TRANSIENT_ERRORS: &[&str] = &["SQS.AmazonSQSException", "SQS.SdkClientException"];

/// Names that mean "took too long": retried at most once, and never in one retrier with throttles.
pub const TIMEOUT_ERRORS: &[&str] = &[
    "States.Timeout",
    "States.HeartbeatTimeout",
    "Sandbox.Timedout",
    "Label.Timeout",
];
/// Names that mean "slow down": retried with backoff, never in one retrier with timeouts.
pub const THROTTLE_ERRORS: &[&str] = &[
    "Lambda.TooManyRequestsException",
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.RequestLimitExceeded",
    "SQS.AmazonSQSException",
    "Label.RateLimited",
];

/// `MaxAttempts` when a retrier does not say (Amazon States Language default).
pub const DEFAULT_MAX_ATTEMPTS: u64 = 3;

/// The repository root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(
        &std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned()),
    )
    .parent()
    .expect("tests/ has a parent")
    .to_path_buf()
}

/// Reads a file under the repository root.
pub fn read_repo_file(relative: &str) -> String {
    let path = repo_root().join(relative);
    fs::read_to_string(&path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}

/// The state machine definition as JSON.
pub fn load_state_machine() -> StateMachine {
    let text = read_repo_file(STATE_MACHINE_PATH);
    let definition = serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("{STATE_MACHINE_PATH} is not JSON: {err}"));
    StateMachine { text, definition }
}

/// The SAM template; CloudFormation tags (`!Ref`, `!GetAtt`, `!Sub`, …) are kept as tagged values.
pub fn load_template() -> Template {
    let text = read_repo_file(TEMPLATE_PATH);
    let root = serde_norway::from_str(&text)
        .unwrap_or_else(|err| panic!("{TEMPLATE_PATH} is not YAML: {err}"));
    Template { root }
}

/// The state machine: raw text (for placeholders) and parsed definition.
pub struct StateMachine {
    pub text: String,
    pub definition: Json,
}

/// One `States` block: the top level, or a Map's item processor / a Parallel branch.
pub struct Scope<'a> {
    /// `""` for the top level, else the name of the Map or Parallel state that holds it.
    pub owner: String,
    pub start_at: &'a str,
    pub states: &'a serde_json::Map<String, Json>,
}

/// A state and the scope it belongs to.
pub struct StateRef<'a> {
    pub scope: String,
    pub name: &'a str,
    pub state: &'a Json,
}

impl StateRef<'_> {
    /// Where this state is, for messages: `Scope / State`.
    pub fn label(&self) -> String {
        if self.scope.is_empty() {
            self.name.to_owned()
        } else {
            format!("{} / {}", self.scope, self.name)
        }
    }
}

impl StateMachine {
    /// Every `States` block, outermost first.
    pub fn scopes(&self) -> Vec<Scope<'_>> {
        let mut scopes = Vec::new();
        collect_scopes("", &self.definition, &mut scopes);
        scopes
    }

    /// The `States` block run by the named Map state.
    pub fn scope_of(&self, owner: &str) -> Scope<'_> {
        self.scopes()
            .into_iter()
            .find(|scope| scope.owner == owner)
            .unwrap_or_else(|| panic!("no Map or Parallel state named {owner:?}"))
    }

    /// Every state in every scope.
    pub fn states(&self) -> Vec<StateRef<'_>> {
        self.scopes()
            .into_iter()
            .flat_map(|scope| {
                let owner = scope.owner.clone();
                scope.states.iter().map(move |(name, state)| StateRef {
                    scope: owner.clone(),
                    name,
                    state,
                })
            })
            .collect()
    }

    /// Every Task state in every scope.
    pub fn tasks(&self) -> Vec<StateRef<'_>> {
        self.states()
            .into_iter()
            .filter(|s| state_type(s.state) == "Task")
            .collect()
    }

    /// Every `${Name}` placeholder in the definition text.
    pub fn placeholders(&self) -> BTreeSet<String> {
        placeholders(&self.text)
    }
}

fn collect_scopes<'a>(owner: &str, block: &'a Json, scopes: &mut Vec<Scope<'a>>) {
    let start_at = block["StartAt"]
        .as_str()
        .unwrap_or_else(|| panic!("states block of {owner:?} has no StartAt"));
    let states = block["States"]
        .as_object()
        .unwrap_or_else(|| panic!("states block of {owner:?} has no States"));
    scopes.push(Scope {
        owner: owner.to_owned(),
        start_at,
        states,
    });
    for (name, state) in states {
        match state_type(state) {
            "Map" => {
                let processor = state
                    .get("ItemProcessor")
                    .or_else(|| state.get("Iterator"))
                    .unwrap_or_else(|| panic!("Map {name:?} has no ItemProcessor"));
                collect_scopes(name, processor, scopes);
            }
            "Parallel" => {
                for branch in state["Branches"].as_array().into_iter().flatten() {
                    collect_scopes(name, branch, scopes);
                }
            }
            _ => {}
        }
    }
}

/// A state's `Type`.
pub fn state_type(state: &Json) -> &str {
    state["Type"].as_str().unwrap_or("")
}

/// A state's `Retry` list (empty if none).
pub fn retriers(state: &Json) -> &[Json] {
    state["Retry"].as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// A state's `Catch` list (empty if none).
pub fn catchers(state: &Json) -> &[Json] {
    state["Catch"].as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// The `ErrorEquals` names of a retrier or catcher.
pub fn error_names(rule: &Json) -> Vec<&str> {
    rule["ErrorEquals"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .collect()
}

/// A retrier's `MaxAttempts`, with the language default.
pub fn max_attempts(retrier: &Json) -> u64 {
    retrier["MaxAttempts"]
        .as_u64()
        .unwrap_or(DEFAULT_MAX_ATTEMPTS)
}

/// Whether a name belongs to an AWS service rather than to the project's wire error table.
pub fn is_service_error(name: &str) -> bool {
    name.split_once('.')
        .is_some_and(|(prefix, _)| SERVICE_ERROR_PREFIXES.contains(&prefix))
}

/// How control leaves a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Next,
    Default,
    Choice,
    Catch,
}

/// Every state this one can hand over to, with how.
pub fn successors(state: &Json) -> Vec<(&str, Edge)> {
    let mut next = Vec::new();
    if let Some(name) = state["Next"].as_str() {
        next.push((name, Edge::Next));
    }
    if let Some(name) = state["Default"].as_str() {
        next.push((name, Edge::Default));
    }
    for choice in state["Choices"].as_array().into_iter().flatten() {
        if let Some(name) = choice["Next"].as_str() {
            next.push((name, Edge::Choice));
        }
    }
    for catcher in catchers(state) {
        if let Some(name) = catcher["Next"].as_str() {
            next.push((name, Edge::Catch));
        }
    }
    next
}

/// Whether a state can end its scope: `End: true`, `Succeed` or `Fail`.
pub fn is_terminal(state: &Json) -> bool {
    state["End"].as_bool() == Some(true) || matches!(state_type(state), "Succeed" | "Fail")
}

/// Every path from `StartAt` to a terminal state of the scope (following Next, Default, Choices
/// and Catch). A cycle is an error: these workflows have none, so each path is finite.
pub fn all_paths<'a>(scope: &Scope<'a>) -> Result<Vec<Vec<&'a str>>, String> {
    let mut paths = Vec::new();
    let mut current = Vec::new();
    walk(scope, scope.start_at, &mut current, &mut paths)?;
    Ok(paths)
}

fn walk<'a>(
    scope: &Scope<'a>,
    name: &'a str,
    current: &mut Vec<&'a str>,
    paths: &mut Vec<Vec<&'a str>>,
) -> Result<(), String> {
    if current.contains(&name) {
        return Err(format!("cycle through {name:?}: {current:?}"));
    }
    let state = scope
        .states
        .get(name)
        .ok_or_else(|| format!("{current:?} leads to missing state {name:?}"))?;
    current.push(name);
    if is_terminal(state) {
        paths.push(current.clone());
    }
    for (next, _) in successors(state) {
        walk(scope, next, current, paths)?;
    }
    current.pop();
    Ok(())
}

/// The states reachable from `StartAt` within a scope.
pub fn reachable<'a>(scope: &Scope<'a>) -> BTreeSet<&'a str> {
    let mut seen = BTreeSet::new();
    let mut queue = vec![scope.start_at];
    while let Some(name) = queue.pop() {
        if !seen.insert(name) {
            continue;
        }
        if let Some(state) = scope.states.get(name) {
            queue.extend(successors(state).into_iter().map(|(next, _)| next));
        }
    }
    seen
}

/// Every `${Name}` in a text (CloudFormation `DefinitionSubstitutions` syntax).
pub fn placeholders(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                found.insert(after[..end].to_owned());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    found
}

/// Every JSON object key anywhere under a value (e.g. the field names of a payload).
pub fn object_keys(value: &Json) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    collect_keys(value, &mut keys);
    keys
}

fn collect_keys(value: &Json, keys: &mut BTreeSet<String>) {
    match value {
        Json::Object(map) => {
            for (key, inner) in map {
                keys.insert(key.clone());
                collect_keys(inner, keys);
            }
        }
        Json::Array(items) => items.iter().for_each(|item| collect_keys(item, keys)),
        _ => {}
    }
}

/// The SAM template.
pub struct Template {
    pub root: Yaml,
}

/// A resource of the template.
pub struct Resource<'a> {
    pub logical_id: &'a str,
    pub body: &'a Yaml,
}

impl Resource<'_> {
    pub fn resource_type(&self) -> &str {
        self.body["Type"].as_str().unwrap_or("")
    }

    /// A property, with any CloudFormation tag removed.
    pub fn property(&self, name: &str) -> Option<&Yaml> {
        self.body.get("Properties")?.get(name).map(untag)
    }
}

impl Template {
    /// Every resource, in file order.
    pub fn resources(&self) -> Vec<Resource<'_>> {
        self.root["Resources"]
            .as_mapping()
            .expect("template has Resources")
            .iter()
            .map(|(id, body)| Resource {
                logical_id: id.as_str().expect("logical ids are strings"),
                body,
            })
            .collect()
    }

    /// The resource with this logical id.
    pub fn resource(&self, logical_id: &str) -> Resource<'_> {
        self.resources()
            .into_iter()
            .find(|r| r.logical_id == logical_id)
            .unwrap_or_else(|| panic!("template has no resource {logical_id}"))
    }

    /// Every resource of one type.
    pub fn resources_of_type(&self, resource_type: &str) -> Vec<Resource<'_>> {
        self.resources()
            .into_iter()
            .filter(|r| r.resource_type() == resource_type)
            .collect()
    }

    /// `Globals.Function.<name>`, if set.
    pub fn function_global(&self, name: &str) -> Option<&Yaml> {
        self.root.get("Globals")?.get("Function")?.get(name)
    }

    /// The keys of the state machine's `DefinitionSubstitutions`.
    pub fn definition_substitutions(&self) -> BTreeSet<String> {
        self.resource(STATE_MACHINE_RESOURCE)
            .property("DefinitionSubstitutions")
            .and_then(Yaml::as_mapping)
            .map(|map| {
                map.keys()
                    .filter_map(Yaml::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A YAML value without its CloudFormation tag (`!Ref X` → `X`).
pub fn untag(value: &Yaml) -> &Yaml {
    match value {
        Yaml::Tagged(tagged) => untag(&tagged.value),
        other => other,
    }
}

/// A workspace package: its name, its binaries, and the directory it lives in.
#[derive(Debug)]
pub struct Package {
    pub dir: PathBuf,
    pub name: String,
    pub binaries: BTreeSet<String>,
}

/// Reads the package at `dir` (relative to the repository root): `[package].name` and its
/// binaries — explicit `[[bin]]` names, plus the package name for an implicit `src/main.rs`.
pub fn read_package(dir: &str) -> Result<Package, String> {
    let root = repo_root();
    let manifest_path = root.join(dir).join("Cargo.toml");
    let text = fs::read_to_string(&manifest_path)
        .map_err(|err| format!("no crate at {dir}/ ({}: {err})", manifest_path.display()))?;
    let manifest: toml::Table =
        toml::from_str(&text).map_err(|err| format!("{dir}/Cargo.toml is not TOML: {err}"))?;
    let name = manifest
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(toml::Value::as_str)
        .ok_or_else(|| format!("{dir}/Cargo.toml has no [package] name"))?
        .to_owned();
    let mut binaries: BTreeSet<String> = manifest
        .get("bin")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|bin| bin.get("name").and_then(toml::Value::as_str))
        .map(str::to_owned)
        .collect();
    let autobins = manifest
        .get("package")
        .and_then(|p| p.get("autobins"))
        .and_then(toml::Value::as_bool)
        .unwrap_or(true);
    if autobins && root.join(dir).join("src/main.rs").is_file() {
        binaries.insert(name.clone());
    }
    Ok(Package {
        dir: root.join(dir),
        name,
        binaries,
    })
}

/// The root manifest's `[workspace] members` patterns.
pub fn workspace_members() -> Vec<String> {
    let text = read_repo_file("Cargo.toml");
    let manifest: toml::Table = toml::from_str(&text).expect("root Cargo.toml is TOML");
    manifest["workspace"]["members"]
        .as_array()
        .expect("workspace members")
        .iter()
        .filter_map(toml::Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Whether `dir` matches a workspace member pattern (`dir` exactly, or `parent/*`).
pub fn is_workspace_member(dir: &str, members: &[String]) -> bool {
    let dir = dir.trim_end_matches('/');
    members
        .iter()
        .any(|pattern| match pattern.strip_suffix("/*") {
            Some(parent) => Path::new(dir).parent() == Some(Path::new(parent)),
            None => pattern == dir,
        })
}

/// Groups items by a key, for readable failure messages.
pub fn group_by<K: Ord, V>(items: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, Vec<V>> {
    let mut groups: BTreeMap<K, Vec<V>> = BTreeMap::new();
    for (key, value) in items {
        groups.entry(key).or_default().push(value);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_once_each() {
        let found =
            placeholders(r#"{"a": "${TableName}", "b": "${TableName}/${Queue}", "c": "$.x"}"#);
        assert_eq!(
            found,
            BTreeSet::from(["Queue".to_owned(), "TableName".to_owned()])
        );
    }

    #[test]
    fn service_errors_are_told_from_wire_names() {
        assert!(is_service_error("States.ALL"));
        assert!(is_service_error("Lambda.ServiceException"));
        assert!(is_service_error("DynamoDB.ThrottlingException"));
        assert!(!is_service_error("Extract.NotPdf"));
        assert!(!is_service_error("Storage.Unavailable"));
    }

    #[test]
    fn paths_follow_catches_and_reject_cycles() {
        let block: Json = serde_json::json!({
            "StartAt": "A",
            "States": {
                "A": {"Type": "Task", "Next": "B", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}]},
                "B": {"Type": "Pass", "End": true},
                "C": {"Type": "Fail"}
            }
        });
        let mut scopes = Vec::new();
        collect_scopes("", &block, &mut scopes);
        let paths = all_paths(&scopes[0]).expect("acyclic");
        assert_eq!(paths, vec![vec!["A", "B"], vec!["A", "C"]]);

        let cyclic: Json = serde_json::json!({
            "StartAt": "A",
            "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}
        });
        let mut scopes = Vec::new();
        collect_scopes("", &cyclic, &mut scopes);
        assert!(all_paths(&scopes[0]).is_err());
    }

    #[test]
    fn member_patterns_match_like_cargo() {
        let members = vec![
            "crates/*".to_owned(),
            "functions/*".to_owned(),
            "tests".to_owned(),
        ];
        assert!(is_workspace_member("functions/extract", &members));
        assert!(is_workspace_member("tests", &members));
        assert!(!is_workspace_member("functions/extract/src", &members));
        assert!(!is_workspace_member("lambdas/extract", &members));
    }

    #[test]
    fn tags_are_removed_from_template_values() {
        let doc: Yaml =
            serde_norway::from_str("a: !Ref Table\nb: !GetAtt [X, Arn]\n").expect("yaml");
        assert_eq!(untag(&doc["a"]).as_str(), Some("Table"));
        assert!(untag(&doc["b"]).is_sequence());
    }
}
