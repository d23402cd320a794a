//! Extraction in a child process — a forked copy of a single-threaded caller, or a fresh
//! exec of the current executable — where the parser runs under an address-space cap, a
//! CPU-time cap and a kill timer, and whatever kills it becomes a named error instead of
//! taking the caller down.

use std::io::{PipeWriter, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::resource::{setrlimit, Resource};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{dup2_stderr, dup2_stdout, fork, ForkResult, Pid};
use serde::{Deserialize, Serialize};

use crate::{extract, pdf, ExtractError, Extracted, Limits};

/// Set (to the child's limits as JSON) in the environment of an extraction child.
const CHILD_MARKER: &str = "NARRATIX_EXTRACT_CHILD";
/// Time the child gets on top of the budget to start up and report its own timeout.
const KILL_GRACE: Duration = Duration::from_millis(1500);
/// Bytes of reply beyond which the child is not believed (the text is capped by max_chars).
const REPLY_SLACK: u64 = 1024 * 1024;

/// The limits, as they travel to the child.
#[derive(Serialize, Deserialize)]
struct ChildLimits {
    max_bytes: usize,
    max_pages: usize,
    max_chars: usize,
    max_decompressed_bytes: u64,
    time_budget_ms: u64,
    memory_cap_bytes: u64,
}

impl From<&Limits> for ChildLimits {
    fn from(limits: &Limits) -> Self {
        ChildLimits {
            max_bytes: limits.max_bytes,
            max_pages: limits.max_pages,
            max_chars: limits.max_chars,
            max_decompressed_bytes: limits.max_decompressed_bytes,
            time_budget_ms: u64::try_from(limits.time_budget.as_millis()).unwrap_or(u64::MAX),
            memory_cap_bytes: limits.memory_cap_bytes,
        }
    }
}

impl From<ChildLimits> for Limits {
    fn from(child: ChildLimits) -> Self {
        Limits {
            max_bytes: child.max_bytes,
            max_pages: child.max_pages,
            max_chars: child.max_chars,
            max_decompressed_bytes: child.max_decompressed_bytes,
            time_budget: Duration::from_millis(child.time_budget_ms),
            memory_cap_bytes: child.memory_cap_bytes,
        }
    }
}

type Reply = Result<Extracted, ExtractError>;

/// Call first thing in `main` of every binary that uses [`extract_isolated`]. In an
/// extraction child it reads the PDF from stdin, extracts it under the limits, writes the
/// JSON result to stdout and exits; in any other process it returns at once.
pub fn run_child_if_requested() {
    let Some(marker) = std::env::var_os(CHILD_MARKER) else {
        return;
    };
    // Panic messages may quote document bytes: keep them out of every log.
    std::panic::set_hook(Box::new(|_| {}));
    let reply = catch_unwind(AssertUnwindSafe(|| serve_child(&marker.to_string_lossy())))
        .unwrap_or_else(|_| Err(parser_panicked()));
    let code = match serde_json::to_writer(std::io::stdout().lock(), &reply) {
        Ok(()) => 0,
        Err(_) => 3,
    };
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}

fn serve_child(marker: &str) -> Reply {
    let limits: Limits = serde_json::from_str::<ChildLimits>(marker)
        .map_err(|e| ExtractError::Isolation(format!("unreadable limits from parent: {e}")))?
        .into();
    apply_resource_limits(&limits);
    keep_freed_memory_for_reuse();
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limits.max_bytes as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ExtractError::Isolation(format!("reading the PDF from the parent: {e}")))?;
    extract(&bytes, &limits)
}

/// Caps the child's address space and CPU time; the kernel enforces them even when the
/// parser is stuck in a loop or allocating without bound.
fn apply_resource_limits(limits: &Limits) {
    let cpu_seconds = limits.time_budget.as_secs() + 1;
    set_rlimit(Resource::RLIMIT_CPU, cpu_seconds, cpu_seconds + 1);
    set_rlimit(
        Resource::RLIMIT_AS,
        limits.memory_cap_bytes,
        limits.memory_cap_bytes,
    );
    set_rlimit(Resource::RLIMIT_CORE, 0, 0);
}

/// Lets the short-lived child reuse the memory it frees instead of handing it back to the
/// kernel. The parser copies and inflates every embedded font and content stream: with
/// glibc's defaults each buffer over 128 KiB is a fresh `mmap` (every page faulted in and
/// zeroed again) and the heap top is trimmed after each large free. All of it stays inside
/// the address-space cap set before this. On the corpus: ~15% fewer page faults, 2-5% less CPU.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory_for_reuse() {
    /// glibc's largest accepted mmap threshold on 64-bit (`DEFAULT_MMAP_THRESHOLD_MAX`).
    const SERVE_FROM_HEAP_BELOW: libc::c_int = 32 * 1024 * 1024;
    const KEEP_FREED_TOP_UP_TO: libc::c_int = 64 * 1024 * 1024;
    const GROW_HEAP_BY_AT_LEAST: libc::c_int = 8 * 1024 * 1024;
    for (parameter, value) in [
        (libc::M_MMAP_THRESHOLD, SERVE_FROM_HEAP_BELOW),
        (libc::M_TRIM_THRESHOLD, KEEP_FREED_TOP_UP_TO),
        (libc::M_TOP_PAD, GROW_HEAP_BY_AT_LEAST),
    ] {
        // nix has no mallopt (it is glibc's own). SAFETY: mallopt only changes glibc
        // malloc's tuning parameters; this child is single-threaded (a fork of a
        // single-threaded caller, or a fresh exec).
        if unsafe { libc::mallopt(parameter, value) } != 1 {
            tracing::debug!(parameter, "mallopt refused a value in the extraction child");
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_freed_memory_for_reuse() {}

fn set_rlimit(resource: Resource, soft: u64, hard: u64) {
    if let Err(errno) = setrlimit(resource, soft, hard) {
        tracing::warn!(?resource, %errno, "setrlimit failed in the extraction child");
    }
}

/// Extracts in a child process (see the module docs). The parent checks size and header
/// itself, so obvious rejects cost no process.
///
/// A caller that is the only thread in its process (the `narratix` CLI) gets a forked copy
/// of itself as the child: no second program load, and the PDF is already in the child's
/// memory. A multi-threaded caller (the Lambda's tokio runtime) gets a fresh exec of the
/// current executable, as [`extract_isolated_by_exec`]: a fork would copy locks held by
/// threads that do not exist in the child. Both children run under the same limits.
pub fn extract_isolated(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    pdf::check_envelope(bytes, limits)?;
    if is_only_thread_in_process() {
        extract_in_fork(bytes, limits)
    } else {
        extract_in_exec_child(bytes, limits)
    }
}

/// Like [`extract_isolated`], always in a fresh exec of the current executable, whatever
/// the number of threads (how a multi-threaded caller such as the Lambda extracts).
pub fn extract_isolated_by_exec(bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    pdf::check_envelope(bytes, limits)?;
    extract_in_exec_child(bytes, limits)
}

/// True when the calling thread is the process's only thread. With one thread, no other
/// can start one between this check and a fork, so the fork copies no lock held elsewhere.
fn is_only_thread_in_process() -> bool {
    std::fs::read_dir("/proc/self/task").is_ok_and(|tasks| tasks.count() == 1)
}

fn extract_in_exec_child(bytes: &[u8], limits: &Limits) -> Reply {
    let exe = std::env::current_exe().map_err(|e| {
        ExtractError::Isolation(format!("cannot locate the current executable: {e}"))
    })?;
    let marker = serde_json::to_string(&ChildLimits::from(limits))
        .map_err(|e| ExtractError::Isolation(format!("cannot encode limits: {e}")))?;
    let mut command = Command::new(exe);
    command.env(CHILD_MARKER, marker);
    run_in_child(command, bytes, limits)
}

/// Extracts in a forked copy of this single-threaded process; the reply comes back on a
/// pipe of its own.
fn extract_in_fork(bytes: &[u8], limits: &Limits) -> Reply {
    let (reply_reader, reply_writer) = std::io::pipe()
        .map_err(|e| ExtractError::Isolation(format!("cannot create the reply pipe: {e}")))?;
    // SAFETY: the caller checked that this is the process's only thread, so the child is a
    // complete copy (no lock is held by a thread missing from it); the child never returns
    // from `serve_forked_child`.
    match unsafe { fork() } {
        Err(errno) => Err(ExtractError::Isolation(format!(
            "cannot fork the extraction child: {errno}"
        ))),
        Ok(ForkResult::Child) => {
            drop(reply_reader);
            serve_forked_child(bytes, limits, reply_writer)
        }
        Ok(ForkResult::Parent { child }) => {
            drop(reply_writer);
            supervise(child, reply_reader, move || reap(child), limits)
        }
    }
}

/// The forked child: the same limits and reply as an exec'd child, then `_exit`.
fn serve_forked_child(bytes: &[u8], limits: &Limits, mut reply_pipe: PipeWriter) -> ! {
    // Whatever the parser or a stack-overflow report prints must not reach the user's
    // terminal or the caller's output.
    silence_standard_output();
    std::panic::set_hook(Box::new(|_| {}));
    apply_resource_limits(limits);
    keep_freed_memory_for_reuse();
    let reply = catch_unwind(AssertUnwindSafe(|| extract(bytes, limits)))
        .unwrap_or_else(|_| Err(parser_panicked()));
    let code = match serde_json::to_vec(&reply) {
        Ok(json) if reply_pipe.write_all(&json).is_ok() => 0,
        _ => 3,
    };
    // nix has no _exit. SAFETY: _exit ends the child at once, without running the parent's
    // exit handlers or flushing the parent's buffered output that the fork copied.
    unsafe { libc::_exit(code) }
}

/// Points the child's stdout and stderr at /dev/null.
fn silence_standard_output() {
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        let _ = dup2_stdout(&null);
        let _ = dup2_stderr(&null);
    }
}

/// Waits for a forked child; its end as the exit status `Command` children report.
fn reap(pid: Pid) -> std::io::Result<ExitStatus> {
    loop {
        match waitpid(pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(ExitStatus::from_raw(code << 8)),
            Ok(WaitStatus::Signaled(_, signal, _)) => {
                return Ok(ExitStatus::from_raw(signal as i32))
            }
            Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
            Err(errno) => return Err(errno.into()),
        }
    }
}

/// Runs `command` with the PDF on stdin, under the kill timer, and reads its reply.
fn run_in_child(mut command: Command, bytes: &[u8], limits: &Limits) -> Reply {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| ExtractError::Isolation(format!("cannot start the extraction child: {e}")))?;
    let Ok(pid) = i32::try_from(child.id()).map(Pid::from_raw) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(ExtractError::Isolation("child pid out of range".into()));
    };
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(ExtractError::Isolation("child pipes missing".into()));
    };
    std::thread::scope(|scope| {
        // A child that dies early closes its stdin: a broken pipe here is expected.
        scope.spawn(move || {
            let _ = stdin.write_all(bytes);
        });
        supervise(pid, stdout, move || child.wait(), limits)
    })
}

/// Reads the child's reply and reaps it, killing it when the time budget (plus grace)
/// runs out first.
fn supervise(
    pid: Pid,
    reply: impl Read + Send,
    reap: impl FnOnce() -> std::io::Result<ExitStatus> + Send,
    limits: &Limits,
) -> Reply {
    let reply_cap = (limits.max_chars as u64)
        .saturating_mul(8)
        .saturating_add(REPLY_SLACK);
    let (done_tx, done_rx) = mpsc::channel::<(std::io::Result<ExitStatus>, Vec<u8>)>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut buffer = Vec::new();
            let _ = reply.take(reply_cap).read_to_end(&mut buffer);
            let status = reap();
            let _ = done_tx.send((status, buffer));
        });
        let deadline = limits.time_budget + KILL_GRACE;
        match done_rx.recv_timeout(deadline) {
            Ok((status, buffer)) => interpret(status, &buffer, limits),
            Err(_) => {
                // Our own child, not reaped yet (the reaping thread has not returned), so the
                // pid is still its own.
                let _ = kill(pid, Signal::SIGKILL);
                let _ = done_rx.recv();
                Err(time_budget_exceeded(limits))
            }
        }
    })
}

fn parser_panicked() -> ExtractError {
    ExtractError::Corrupt("the PDF parser panicked on this file".into())
}

fn time_budget_exceeded(limits: &Limits) -> ExtractError {
    ExtractError::TooLarge(format!(
        "time budget of {} ms exceeded",
        limits.time_budget.as_millis()
    ))
}

fn interpret(status: std::io::Result<ExitStatus>, reply: &[u8], limits: &Limits) -> Reply {
    let status =
        status.map_err(|e| ExtractError::Isolation(format!("waiting for the child: {e}")))?;
    if let Some(signal) = status.signal() {
        return Err(match signal {
            libc::SIGXCPU | libc::SIGKILL => time_budget_exceeded(limits),
            libc::SIGSEGV | libc::SIGBUS => {
                ExtractError::Corrupt("the PDF parser crashed (stack overflow)".into())
            }
            libc::SIGABRT => ExtractError::Corrupt(
                "the PDF parser aborted (memory cap reached or stack overflow)".into(),
            ),
            other => ExtractError::Corrupt(format!("the PDF parser died by signal {other}")),
        });
    }
    match serde_json::from_slice::<Reply>(reply) {
        Ok(reply) => reply,
        Err(_) if !status.success() => Err(ExtractError::Corrupt(format!(
            "the PDF parser exited with {status} (memory cap reached?)"
        ))),
        Err(e) => Err(ExtractError::Isolation(format!(
            "unreadable reply from the child: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn shell(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.arg("-c").arg(script);
        command
    }

    fn quick() -> Limits {
        Limits {
            time_budget: Duration::from_millis(200),
            ..Limits::default()
        }
    }

    #[test]
    fn a_hanging_child_is_killed_at_the_time_budget() {
        let started = Instant::now();
        let err = run_in_child(shell("exec sleep 30"), b"%PDF-", &quick()).expect_err("killed");
        assert!(
            matches!(&err, ExtractError::TooLarge(c) if c.contains("time budget")),
            "{err}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_crashing_child_is_corrupt() {
        for signal in ["SEGV", "ABRT", "BUS"] {
            let err = run_in_child(shell(&format!("kill -{signal} $$")), b"%PDF-", &quick())
                .expect_err(signal);
            assert!(matches!(err, ExtractError::Corrupt(_)), "{signal}: {err}");
        }
    }

    #[test]
    fn a_child_over_its_cpu_limit_is_too_large() {
        let err = run_in_child(shell("kill -XCPU $$"), b"%PDF-", &quick()).expect_err("xcpu");
        assert!(matches!(err, ExtractError::TooLarge(_)), "{err}");
    }

    #[test]
    fn replies_are_passed_through_and_garbage_is_not_believed() {
        let ok = r#"{"Ok":{"text":"가","pages":1,"chars":1,"truncated":false}}"#;
        let reply = run_in_child(
            shell(&format!("cat >/dev/null; printf '%s' '{ok}'")),
            b"%PDF-",
            &quick(),
        );
        assert_eq!(reply.expect("ok").text, "가");
        let err = run_in_child(shell(r#"printf '{"Err":"Encrypted"}'"#), b"", &quick());
        assert_eq!(err, Err(ExtractError::Encrypted));
        let garbage = run_in_child(shell("echo nonsense"), b"", &quick());
        assert!(
            matches!(garbage, Err(ExtractError::Isolation(_))),
            "{garbage:?}"
        );
        let died = run_in_child(shell("exit 101"), b"", &quick());
        assert!(matches!(died, Err(ExtractError::Corrupt(_))), "{died:?}");
    }

    #[test]
    fn limits_survive_the_trip_to_the_child() {
        let limits = Limits {
            max_bytes: 1,
            max_pages: 2,
            max_chars: 3,
            max_decompressed_bytes: 4,
            time_budget: Duration::from_millis(5),
            memory_cap_bytes: 6,
        };
        let json = serde_json::to_string(&ChildLimits::from(&limits)).expect("encode");
        let back: Limits = serde_json::from_str::<ChildLimits>(&json)
            .expect("decode")
            .into();
        assert_eq!(back, limits);
    }
}
