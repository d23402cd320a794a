//! The function binaries, run the way Lambda runs them: prebuilt (no compiling on the first
//! call), each with its own environment from the template, a fixed number of instances per
//! function polling the emulator's Runtime API, and a fresh instance whenever one exits (as Lambda
//! replaces a crashed execution environment). cargo-lambda (`--only-lambda-apis`) provides the
//! Runtime and Invoke APIs: queueing, request ids, deadlines.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::process::Command;
use tokio::task::JoinHandle;

use crate::layout::FunctionSpec;
use crate::processes::ChildGroup;

const FIRST_RESTART_DELAY: Duration = Duration::from_millis(500);
const LONGEST_RESTART_DELAY: Duration = Duration::from_secs(10);
/// An instance that ran this long was healthy: its next restart is immediate-ish again.
const HEALTHY_RUN: Duration = Duration::from_secs(30);

/// The debug binary of a function in the shared target dir.
pub fn binary_path(target_dir: &Path, function: &str) -> PathBuf {
    target_dir.join("debug").join(function)
}

/// The target dir the binaries were built in (as scripts/setup-local builds them).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".cache/narratix/target")
        })
}

/// Starts `instances` supervised instances of the function; aborting the returned tasks kills
/// them (each task owns its instance's process group).
pub fn start(
    spec: &FunctionSpec,
    binary: &Path,
    runtime_api: &str,
    instances: usize,
    log: &Path,
) -> Vec<JoinHandle<()>> {
    (0..instances)
        .map(|instance| {
            let spec = spec.clone();
            let binary = binary.to_path_buf();
            let runtime_api = runtime_api.to_owned();
            let log = log.to_path_buf();
            tokio::spawn(async move {
                supervise(spec, binary, runtime_api, instance, log).await;
            })
        })
        .collect()
}

async fn supervise(
    spec: FunctionSpec,
    binary: PathBuf,
    runtime_api: String,
    instance: usize,
    log: PathBuf,
) {
    let label = format!("{}#{instance}", spec.name);
    let mut delay = FIRST_RESTART_DELAY;
    loop {
        let started = std::time::Instant::now();
        let command = instance_command(&spec, &binary, &runtime_api);
        let mut child = match ChildGroup::spawn(&label, command, &log) {
            Ok(child) => child,
            Err(error) => {
                tracing::error!(function = %spec.name, %error, "cannot start the function");
                return;
            }
        };
        let status = child.wait().await;
        if started.elapsed() > HEALTHY_RUN {
            delay = FIRST_RESTART_DELAY;
        }
        tracing::warn!(function = %spec.name, instance, status = %status, retry_in_ms = delay.as_millis() as u64, "function instance exited; starting a new one");
        tokio::time::sleep(delay).await;
        // A function that cannot start (a missing setting) should not flood its log.
        delay = (delay * 2).min(LONGEST_RESTART_DELAY);
    }
}

fn instance_command(spec: &FunctionSpec, binary: &Path, runtime_api: &str) -> Command {
    let mut command = Command::new(binary);
    // Only what Lambda would give: the template's environment and the runtime's variables.
    command.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
    command
        .envs(&spec.environment)
        .env("AWS_LAMBDA_FUNCTION_NAME", &spec.name)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            spec.memory_megabytes.to_string(),
        )
        .env(
            "AWS_LAMBDA_RUNTIME_API",
            format!("{runtime_api}/{}", spec.name),
        );
    command
}
