//! Offline checks of the `LabelJob` state machine and the SAM template: retries follow the wire
//! error table in `narratix_domain`, every file's iteration records its outcome, the graph is
//! whole, and the template supplies exactly the placeholders the definition uses.

use std::collections::BTreeSet;

use narratix_domain::{ErrorKind, RetryClass};
use narratix_system_tests::*;
use serde_json::Value as Json;

/// The transient service errors a task must retry (at least three attempts), by its resource.
fn required_transient_retry(resource: &str) -> Option<&'static [&'static str]> {
    if resource.starts_with("arn:aws:states:::lambda:invoke") {
        Some(LAMBDA_SERVICE_ERRORS)
    } else if resource.starts_with("arn:aws:states:::dynamodb:") {
        Some(DYNAMODB_TRANSIENT_ERRORS)
    } else if resource.starts_with("arn:aws:states:::sqs:") {
        Some(SQS_TRANSIENT_ERRORS)
    } else {
        None
    }
}

#[test]
fn every_task_retries_its_service_transient_errors_at_least_three_times() {
    let machine = load_state_machine();
    let mut problems = Vec::new();
    for task in machine.tasks() {
        let resource = task.state["Resource"].as_str().unwrap_or("");
        let Some(required) = required_transient_retry(resource) else {
            problems.push(format!(
                "{}: unexpected resource {resource:?}",
                task.label()
            ));
            continue;
        };
        let covered = retriers(task.state).iter().any(|retrier| {
            let names = error_names(retrier);
            required.iter().all(|name| names.contains(name)) && max_attempts(retrier) >= 3
        });
        if !covered {
            problems.push(format!(
                "{}: no retrier with >= 3 attempts on all of {required:?}",
                task.label()
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_retrier_backs_off_with_a_cap_and_full_jitter() {
    let machine = load_state_machine();
    let mut problems = Vec::new();
    for state in machine.states() {
        for retrier in retriers(state.state) {
            let names = error_names(retrier);
            let backoff = retrier["BackoffRate"].as_f64();
            if !backoff.is_some_and(|rate| rate >= 1.0) {
                problems.push(format!(
                    "{}: {names:?} has no BackoffRate >= 1",
                    state.label()
                ));
            }
            if retrier["MaxDelaySeconds"].as_u64().is_none() {
                problems.push(format!(
                    "{}: {names:?} has no MaxDelaySeconds",
                    state.label()
                ));
            }
            if retrier["JitterStrategy"].as_str() != Some("FULL") {
                problems.push(format!(
                    "{}: {names:?} lacks JitterStrategy FULL",
                    state.label()
                ));
            }
            if retrier["IntervalSeconds"].as_u64().is_none() {
                problems.push(format!(
                    "{}: {names:?} has no IntervalSeconds",
                    state.label()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn timeouts_are_retried_at_most_once_and_never_with_throttles() {
    let machine = load_state_machine();
    let mut problems = Vec::new();
    let mut timeout_retriers = 0;
    for state in machine.states() {
        for retrier in retriers(state.state) {
            let names = error_names(retrier);
            if !names.iter().any(|name| TIMEOUT_ERRORS.contains(name)) {
                continue;
            }
            timeout_retriers += 1;
            if max_attempts(retrier) > 1 {
                problems.push(format!(
                    "{}: timeout retrier {names:?} allows {} attempts",
                    state.label(),
                    max_attempts(retrier)
                ));
            }
            let throttles: Vec<_> = names
                .iter()
                .filter(|name| THROTTLE_ERRORS.contains(name) || name.contains("Throttl"))
                .collect();
            if !throttles.is_empty() {
                problems.push(format!(
                    "{}: timeout retrier {names:?} also retries throttles {throttles:?}",
                    state.label()
                ));
            }
            if names.contains(&"States.ALL") {
                problems.push(format!(
                    "{}: timeout retrier {names:?} uses States.ALL",
                    state.label()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(
        timeout_retriers > 0,
        "the Label task's States.Timeout is expected to be retried once"
    );
}

/// Every error name in a Retry or Catch, with where it is used.
fn used_error_names(machine: &StateMachine) -> Vec<(String, String)> {
    let mut used = Vec::new();
    for state in machine.states() {
        for rule in retriers(state.state).iter().chain(catchers(state.state)) {
            for name in error_names(rule) {
                used.push((name.to_owned(), state.label()));
            }
        }
    }
    used
}

#[test]
fn wire_error_names_in_retry_and_catch_equal_the_rust_table() {
    let machine = load_state_machine();
    let used = used_error_names(&machine);

    let unknown: BTreeSet<_> = used
        .iter()
        .filter(|(name, _)| !is_service_error(name) && ErrorKind::from_name(name).is_none())
        .map(|(name, at)| format!("{name} (in {at})"))
        .collect();
    assert!(
        unknown.is_empty(),
        "names that are neither AWS service errors nor in narratix_domain::ErrorKind: {unknown:#?}"
    );

    let used_names: BTreeSet<&str> = used.iter().map(|(name, _)| name.as_str()).collect();
    let missing: Vec<&str> = ErrorKind::ALL
        .iter()
        .map(|kind| kind.name())
        .filter(|name| !used_names.contains(name))
        .collect();
    assert!(
        missing.is_empty(),
        "wire errors the state machine neither retries nor catches by name: {missing:?}"
    );
}

#[test]
fn retry_attempts_follow_each_errors_retry_class() {
    let machine = load_state_machine();
    let mut problems = Vec::new();
    for kind in ErrorKind::ALL {
        let name = kind.name();
        let retried_by: Vec<(String, &Json)> = machine
            .states()
            .into_iter()
            .flat_map(|state| {
                let label = state.label();
                retriers(state.state)
                    .iter()
                    .filter(move |retrier| error_names(retrier).contains(&name))
                    .map(move |retrier| (label.clone(), retrier))
            })
            .collect();
        let class = kind.retry_class();
        if class == RetryClass::Never {
            for (at, _) in &retried_by {
                problems.push(format!("{name} is never retried, but {at} retries it"));
            }
            continue;
        }
        if retried_by.is_empty() {
            problems.push(format!("{name} ({class:?}) is retried nowhere"));
        }
        for (at, retrier) in &retried_by {
            let attempts = max_attempts(retrier);
            let fits = match class {
                RetryClass::Never => false,
                RetryClass::Once => attempts == 1,
                RetryClass::Patient => attempts >= 4 && retrier["MaxDelaySeconds"].is_u64(),
                RetryClass::Transient => attempts >= 3,
            };
            if !fits {
                problems.push(format!(
                    "{name} ({class:?}) gets {attempts} attempts in {at}: {retrier}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn every_path_through_a_file_records_its_outcome() {
    let machine = load_state_machine();
    let scope = machine.scope_of(PER_FILE_MAP);
    let paths = all_paths(&scope).unwrap_or_else(|err| panic!("{PER_FILE_MAP}: {err}"));
    assert!(!paths.is_empty(), "{PER_FILE_MAP} has no path to an end");
    let unrecorded: Vec<_> = paths
        .iter()
        .filter(|path| {
            !path
                .iter()
                .any(|name| *name == SAVE_FILE || *name == RECORD_FILE_FAILURE)
        })
        .collect();
    assert!(
        unrecorded.is_empty(),
        "paths that end without {SAVE_FILE:?} or {RECORD_FILE_FAILURE:?}: {unrecorded:#?}"
    );
    // Both outcomes are possible: the success path and at least one failure path exist.
    assert!(paths.iter().any(|path| path.contains(&SAVE_FILE)));
    assert!(paths.iter().any(|path| path.contains(&RECORD_FILE_FAILURE)));
}

#[test]
fn a_failing_file_is_caught_per_file_and_a_failing_job_is_marked_failed() {
    let machine = load_state_machine();
    let mut problems = Vec::new();
    let catches_all_to = |state: &Json, target: &str| {
        catchers(state)
            .iter()
            .any(|c| error_names(c).contains(&"States.ALL") && c["Next"] == target)
    };
    let file_scope = machine.scope_of(PER_FILE_MAP);
    for (name, state) in file_scope.states {
        // Recording the failure has its own catch (below); notices have theirs.
        let is_notice = state["Parameters"]["Payload"]["event"].is_string();
        if state_type(state) == "Task"
            && name != STORE_FILE_FAILURE
            && !is_notice
            && !catches_all_to(state, RECORD_FILE_FAILURE)
        {
            problems.push(format!(
                "{PER_FILE_MAP} / {name}: no States.ALL catch to {RECORD_FILE_FAILURE:?}"
            ));
        }
    }
    let top = &machine.scopes()[0];
    let failure_path: BTreeSet<&str> = reachable(&entered_at(top, MARK_JOB_FAILED));
    for (name, state) in top.states {
        let is_notice = state["Parameters"]["Payload"]["event"].is_string();
        let works = matches!(state_type(state), "Task" | "Map" | "Parallel");
        if works
            && !is_notice
            && !failure_path.contains(name.as_str())
            && !catches_all_to(state, MARK_JOB_FAILED)
        {
            problems.push(format!(
                "{name}: no States.ALL catch to {MARK_JOB_FAILED:?}"
            ));
        }
    }
    for state in machine.states() {
        for rules in [retriers(state.state), catchers(state.state)] {
            for (i, rule) in rules.iter().enumerate() {
                let names = error_names(rule);
                if names.contains(&"States.ALL") && (names.len() > 1 || i + 1 != rules.len()) {
                    problems.push(format!(
                        "{}: States.ALL must stand alone in the last rule",
                        state.label()
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The same scope, entered at another state (to list what the failure path reaches).
fn entered_at<'a>(scope: &Scope<'a>, start_at: &'a str) -> Scope<'a> {
    Scope {
        owner: scope.owner.clone(),
        start_at,
        states: scope.states,
    }
}

#[test]
fn every_transition_target_exists_and_every_state_is_reachable() {
    let machine = load_state_machine();
    let mut problems = Vec::new();
    for scope in machine.scopes() {
        if !scope.states.contains_key(scope.start_at) {
            problems.push(format!(
                "{:?}: StartAt {:?} does not exist",
                scope.owner, scope.start_at
            ));
        }
        for (name, state) in scope.states {
            for (next, edge) in successors(state) {
                if !scope.states.contains_key(next) {
                    problems.push(format!(
                        "{:?} / {name}: {edge:?} → missing {next:?}",
                        scope.owner
                    ));
                }
            }
            let leaves = !successors(state).is_empty() || is_terminal(state);
            if !leaves {
                problems.push(format!("{:?} / {name}: neither Next nor End", scope.owner));
            }
        }
        let reached = reachable(&scope);
        for name in scope.states.keys() {
            if !reached.contains(name.as_str()) {
                problems.push(format!("{:?} / {name}: unreachable", scope.owner));
            }
        }
        if let Err(err) = all_paths(&scope) {
            problems.push(format!("{:?}: {err}", scope.owner));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn state_names_read_as_sentences() {
    let machine = load_state_machine();
    let odd: Vec<String> = machine
        .states()
        .iter()
        .filter(|s| {
            let first_is_upper = s.name.chars().next().is_some_and(char::is_uppercase);
            !first_is_upper || !s.name.contains(' ') || s.name.chars().any(|c| c == '_')
        })
        .map(|s| s.label())
        .collect();
    assert!(
        odd.is_empty(),
        "state names that are not sentences: {odd:?}"
    );
}

#[test]
fn every_placeholder_has_a_substitution_and_every_substitution_is_used() {
    let machine = load_state_machine();
    let template = load_template();
    let used = machine.placeholders();
    let supplied = template.definition_substitutions();
    let unsupplied: Vec<_> = used.difference(&supplied).collect();
    let unused: Vec<_> = supplied.difference(&used).collect();
    assert!(
        unsupplied.is_empty(),
        "placeholders without a DefinitionSubstitutions entry: {unsupplied:?}"
    );
    assert!(
        unused.is_empty(),
        "substitutions the definition never uses: {unused:?}"
    );
    assert!(
        !used.is_empty(),
        "the definition is expected to use placeholders"
    );
}

#[test]
fn payloads_and_messages_carry_ids_and_keys_only() {
    // Execution history must hold no personal data: tasks pass ids, keys and counts, never text.
    let allowed: BTreeSet<&str> = [
        "jobId",
        "fileId",
        "bucket",
        "key",
        "textKey",
        "event",
        "stage",
        "taskToken",
    ]
    .into();
    let machine = load_state_machine();
    let mut problems = Vec::new();
    for task in machine.tasks() {
        let parameters = &task.state["Parameters"];
        for carried in [&parameters["Payload"], &parameters["MessageBody"]] {
            for key in object_keys(carried) {
                let field = key.trim_end_matches(".$");
                if !allowed.contains(field) {
                    problems.push(format!("{}: carries {field:?}", task.label()));
                }
            }
        }
    }
    let map = &machine.scopes()[0].states[PER_FILE_MAP];
    for key in object_keys(&map["ItemSelector"]) {
        let field = key.trim_end_matches(".$");
        if !allowed.contains(field) {
            problems.push(format!("{PER_FILE_MAP}: ItemSelector carries {field:?}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn files_run_three_at_a_time_and_the_label_task_cannot_wait_forever() {
    let machine = load_state_machine();
    let top = &machine.scopes()[0];
    let map = &top.states[PER_FILE_MAP];
    assert_eq!(map["MaxConcurrency"], 3);
    assert_eq!(map["ItemsPath"], "$.files");

    let label = machine
        .tasks()
        .into_iter()
        .find(|t| t.state["Resource"] == "arn:aws:states:::sqs:sendMessage.waitForTaskToken")
        .expect("a Label task that waits for the worker's task token");
    let heartbeat = label.state["HeartbeatSeconds"]
        .as_u64()
        .expect("HeartbeatSeconds");
    let timeout = label.state["TimeoutSeconds"]
        .as_u64()
        .expect("TimeoutSeconds");
    assert!(
        heartbeat < timeout,
        "heartbeat {heartbeat} s must be shorter than timeout {timeout} s"
    );
    assert_eq!(
        label.state["Parameters"]["MessageBody"]["taskToken.$"], "$$.Task.Token",
        "the worker needs the task token to answer"
    );
    assert!(
        machine.definition["TimeoutSeconds"].is_u64(),
        "the execution has an overall timeout (the reaper handles TIMED_OUT)"
    );
    assert!(
        machine
            .definition
            .get("QueryLanguage")
            .is_none_or(|q| q == "JSONPath"),
        "the definition uses JSONPath"
    );
}

/// The label step waits for the rate governor's backlog: every pickup heartbeats, a hand-back
/// holds a message at most `MAX_HANDBACK_DELAY`, a worker at most its Lambda timeout; a file
/// waits at most `MAX_BACKLOG` for its slot.
#[test]
fn the_label_steps_timeouts_are_sized_from_the_governor() {
    use narratix_domain::rate::{MAX_BACKLOG, MAX_HANDBACK_DELAY, REPAIR_MAX_WAIT};
    let machine = load_state_machine();
    let label = machine
        .tasks()
        .into_iter()
        .find(|t| t.state["Resource"] == "arn:aws:states:::sqs:sendMessage.waitForTaskToken")
        .expect("the label task");
    let heartbeat = label.state["HeartbeatSeconds"].as_u64().expect("heartbeat");
    let timeout = label.state["TimeoutSeconds"].as_u64().expect("timeout");
    let template = load_template();
    let worker_timeout = template
        .resource("LabelWorkerFunction")
        .property("Timeout")
        .and_then(|timeout| timeout.as_u64())
        .expect("the label worker's Timeout");
    let between_pickups = MAX_HANDBACK_DELAY.as_secs() + REPAIR_MAX_WAIT.as_secs() + worker_timeout;
    assert!(
        heartbeat > between_pickups,
        "HeartbeatSeconds {heartbeat} must exceed a hand-back plus a worker's run ({between_pickups} s)"
    );
    assert!(
        timeout > MAX_BACKLOG.as_secs() + worker_timeout,
        "TimeoutSeconds {timeout} must exceed the governor's longest backlog plus a worker's run"
    );
    let execution = machine.definition["TimeoutSeconds"]
        .as_u64()
        .expect("execution timeout");
    assert!(
        timeout < execution,
        "the label step ends before the execution does"
    );
    let visibility = template
        .resource("LabelQueue")
        .property("VisibilityTimeout")
        .and_then(|seconds| seconds.as_u64())
        .expect("the label queue's VisibilityTimeout");
    assert!(
        visibility >= worker_timeout,
        "Lambda requires visibility ≥ function timeout"
    );
}

#[test]
fn the_template_runs_the_state_machine_traced_and_logs_no_execution_data() {
    let template = load_template();
    let machine = template.resource(STATE_MACHINE_RESOURCE);
    assert_eq!(machine.resource_type(), "AWS::Serverless::StateMachine");
    assert_eq!(
        machine.property("DefinitionUri").and_then(|v| v.as_str()),
        Some(STATE_MACHINE_PATH)
    );
    assert_eq!(
        machine.property("Type").and_then(|v| v.as_str()),
        Some("STANDARD")
    );
    let tracing = machine.property("Tracing").expect("Tracing");
    assert_eq!(tracing["Enabled"].as_bool(), Some(true));
    let logging = machine.property("Logging").expect("Logging");
    assert_eq!(logging["Level"].as_str(), Some("ERROR"));
    assert_eq!(logging["IncludeExecutionData"].as_bool(), Some(false));
}

#[test]
fn every_function_runs_rust_on_al2023_arm64_built_by_one_cargo_lambda_run() {
    let template = load_template();
    let global = |name: &str| template.function_global(name).map(untag).cloned();
    let mut problems = Vec::new();
    for function in template.resources_of_type("AWS::Serverless::Function") {
        let runtime = function
            .property("Runtime")
            .cloned()
            .or_else(|| global("Runtime"));
        let architectures = function
            .property("Architectures")
            .cloned()
            .or_else(|| global("Architectures"));
        if runtime.as_ref().and_then(|r| r.as_str()) != Some("provided.al2023") {
            problems.push(format!("{}: runtime {runtime:?}", function.logical_id));
        }
        let arm64_only = architectures
            .as_ref()
            .and_then(|a| a.as_sequence())
            .is_some_and(|a| a.len() == 1 && a[0].as_str() == Some("arm64"));
        if !arm64_only {
            problems.push(format!(
                "{}: architectures {architectures:?}",
                function.logical_id
            ));
        }
        // functions/lambda.mk builds every function in one cargo-lambda run and copies the
        // binary named as the function's folder.
        let build_method = function.body["Metadata"]["BuildMethod"].as_str();
        if build_method != Some("makefile") {
            problems.push(format!(
                "{}: BuildMethod {build_method:?}",
                function.logical_id
            ));
        }
        let code_uri = function.property("CodeUri").and_then(|v| v.as_str());
        let binary = function.body["Metadata"]["BuildProperties"]["Binary"].as_str();
        let folder = code_uri.and_then(|uri| uri.trim_end_matches('/').rsplit('/').next());
        if folder.is_none() || folder != binary {
            problems.push(format!(
                "{}: binary {binary:?} is not named as its folder {code_uri:?}",
                function.logical_id
            ));
        }
        let makefile = code_uri
            .map(|uri| repo_root().join(uri).join("Makefile"))
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default();
        if !makefile
            .lines()
            .any(|line| line.trim() == "include ../lambda.mk")
        {
            problems.push(format!(
                "{}: {code_uri:?} has no Makefile including ../lambda.mk",
                function.logical_id
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn a_file_failure_that_cannot_be_written_ends_only_that_file() {
    // Without a catch, exhausted DynamoDB retries on this write failed the whole Map and
    // aborted the other files.
    let machine = load_state_machine();
    let scope = machine.scope_of(PER_FILE_MAP);
    let store = &scope.states[STORE_FILE_FAILURE];
    let last = catchers(store)
        .last()
        .expect("the failure write has a Catch");
    assert_eq!(error_names(last), ["States.ALL"]);
    assert_ne!(
        last["ResultPath"], "$.failure",
        "the caught error must not overwrite the file's failure"
    );
    let target = last["Next"].as_str().expect("a Next");
    assert!(
        is_terminal(&scope.states[target]) && state_type(&scope.states[target]) != "Fail",
        "{STORE_FILE_FAILURE} catches to {target:?}, which must end the iteration without failing it"
    );
}

/// Whether `state` guards against a missing `$.failure.Cause`: a Choice that sends a failure
/// without a cause to a state that sets one.
fn defaults_the_cause(scope: &Scope<'_>, state: &Json) -> bool {
    state_type(state) == "Choice"
        && state["Choices"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|choice| {
                choice["Variable"] == "$.failure.Cause"
                    && choice["IsPresent"] == false
                    && choice["Next"].as_str().is_some_and(|next| {
                        let pass = &scope.states[next];
                        state_type(pass) == "Pass"
                            && pass["ResultPath"] == "$.failure.Cause"
                            && pass["Result"].is_string()
                    })
            })
}

#[test]
fn a_caught_failure_gets_a_cause_before_anything_reads_it() {
    // AWS: a Catch's output usually, not always, carries `Cause`; reading `$.failure.Cause`
    // without one fails the state with States.Runtime.
    let machine = load_state_machine();
    let mut problems = Vec::new();
    for scope in machine.scopes() {
        let reads_cause = |state: &Json| state.to_string().contains("$.failure.Cause");
        for (name, state) in scope.states {
            for catcher in catchers(state) {
                if catcher["ResultPath"] != "$.failure" {
                    continue;
                }
                let Some(first) = catcher["Next"].as_str() else {
                    continue;
                };
                // Walk forward from the catch target until a guard; no reader on the way.
                let mut seen = BTreeSet::new();
                let mut todo = vec![first];
                while let Some(current) = todo.pop() {
                    if !seen.insert(current) {
                        continue;
                    }
                    let Some(next_state) = scope.states.get(current) else {
                        continue;
                    };
                    if defaults_the_cause(&scope, next_state) {
                        continue;
                    }
                    if reads_cause(next_state) {
                        problems.push(format!(
                            "{name} catches to {first:?}; {current:?} reads $.failure.Cause unguarded"
                        ));
                    }
                    todo.extend(successors(next_state).into_iter().map(|(next, _)| next));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
