//! Child processes (moto, the function emulator) each in its own process group, so stopping one
//! stops everything it started; dropping a handle kills the group (no orphans on any exit path).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

use crate::error::LocalError;

pub struct ChildGroup {
    name: String,
    child: Option<Child>,
    group: Option<i32>,
}

impl ChildGroup {
    /// Starts `command` in a new process group, with stdout and stderr appended to `log`.
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Result<Self, LocalError> {
        let failure = |reason: String| LocalError::Process {
            name: name.to_owned(),
            reason,
        };
        let output = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|error| failure(format!("log {}: {error}", log.display())))?;
        let errors = output
            .try_clone()
            .map_err(|error| failure(format!("log {}: {error}", log.display())))?;
        command
            .process_group(0)
            .kill_on_drop(true)
            .stdin(Stdio::null())
            .stdout(Stdio::from(output))
            .stderr(Stdio::from(errors));
        let child = command
            .spawn()
            .map_err(|error| failure(format!("cannot start: {error}")))?;
        let group = child.id().and_then(|pid| i32::try_from(pid).ok());
        tracing::info!(process = name, pid = ?group, log = %log.display(), "started");
        Ok(Self {
            name: name.to_owned(),
            child: Some(child),
            group,
        })
    }

    /// Whether the process has exited (with its status), without waiting.
    pub fn exited(&mut self) -> Option<String> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(error) => Some(error.to_string()),
        }
    }

    /// Waits for the process to exit; its exit status as text.
    pub async fn wait(&mut self) -> String {
        match self.child.as_mut() {
            Some(child) => match child.wait().await {
                Ok(status) => status.to_string(),
                Err(error) => error.to_string(),
            },
            None => "not running".to_owned(),
        }
    }

    /// SIGTERM to the whole group, then SIGKILL after `grace` if it is still there.
    pub async fn stop(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(group) = self.group {
            signal_group(group, Signal::SIGTERM);
        }
        match tokio::time::timeout(grace, child.wait()).await {
            Ok(_) => tracing::info!(process = %self.name, "stopped"),
            Err(_) => {
                tracing::warn!(process = %self.name, "did not stop on SIGTERM; killing");
                if let Some(group) = self.group {
                    signal_group(group, Signal::SIGKILL);
                }
                let _ = child.wait().await;
            }
        }
        // Whatever the group leader left behind goes too.
        if let Some(group) = self.group.take() {
            signal_group(group, Signal::SIGKILL);
        }
    }
}

impl Drop for ChildGroup {
    fn drop(&mut self) {
        if self.child.is_some() {
            if let Some(group) = self.group {
                signal_group(group, Signal::SIGKILL);
            }
        }
    }
}

fn signal_group(group: i32, signal: Signal) {
    // A group that no longer exists yields ESRCH: nothing is left to stop.
    let _ = killpg(Pid::from_raw(group), signal);
}
