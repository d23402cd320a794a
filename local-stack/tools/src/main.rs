//! `narratix-local`: `up` starts the local stack and keeps it running until Ctrl-C or SIGTERM;
//! `demo` runs one job through it as a user sees it; `bench` measures the orchestration
//! overhead of a warm job; `bench-load` sends a burst of jobs against a rate-limited AI.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use narratix_domain::JobStatus;
use narratix_local::bench::{self, BenchOptions};
use narratix_local::demo::{self, DemoError, DemoOptions};
use narratix_local::load::{self, LoadError, LoadOptions};
use narratix_local::{up, AiMode, StackConfig};
use tokio::signal::unix::{signal, SignalKind};

/// A demo's job ended PARTIAL or FAILED (the demo itself worked).
const EXIT_JOB_NOT_SUCCEEDED: u8 = 3;
/// A bad command-line argument.
const EXIT_BAD_ARGUMENT: u8 = 2;

#[derive(Parser)]
#[command(
    name = "narratix-local",
    about = "The Narratix pipeline on one machine (moto + cargo-lambda + gateway)"
)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Args, Clone)]
struct StackArgs {
    /// The repository (holding template.yaml); default: the nearest one above the current directory.
    #[arg(long)]
    root: Option<PathBuf>,
    /// The AWS endpoint port (the gateway).
    #[arg(long, default_value_t = 4566)]
    port: u16,
    #[arg(long, default_value_t = 4567)]
    moto_port: u16,
    #[arg(long, default_value_t = 4568)]
    lambda_port: u16,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    /// Instances per function (the label worker gets its MaximumConcurrency if larger).
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Where logs and stack.json go; default ROOT/.local/stack.
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Who labels: the gateway's OpenAI-compatible mock (faults can be injected) or the
    /// worker's built-in offline labeler.
    #[arg(long, value_enum, default_value_t = AiMode::Mock)]
    ai: AiMode,
    /// A JSON faults file applied at start: {"ai": {...}, "aiScript": {...}, "failNext": {...}}
    /// (the control API's shapes at G/_local).
    #[arg(long)]
    faults: Option<PathBuf>,
    /// A template parameter override, NAME=VALUE (repeatable), e.g. QuotaJobsPerDay=5000.
    #[arg(long = "parameter", value_name = "NAME=VALUE", value_parser = parse_parameter)]
    parameters: Vec<(String, String)>,
}

fn parse_parameter(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
        _ => Err(format!("{text}: expected NAME=VALUE")),
    }
}

#[derive(Subcommand)]
enum Commands {
    /// Start moto, the function emulator and the gateway, provision template.yaml, and run until stopped.
    Up {
        #[command(flatten)]
        stack: StackArgs,
    },
    /// Run one job through the stack: upload the PDFs through the HTTP API, follow it over the
    /// WebSocket, print the labeled pairs, the final status and the execution history.
    /// Exit status: 0 SUCCEEDED, 3 PARTIAL or FAILED, 2 bad arguments, 1 any other error.
    Demo {
        /// Up to three PDFs; default: the samples in tests/fixtures/samples.txt.
        #[arg(value_name = "PDF")]
        pdfs: Vec<PathBuf>,
        /// Keep the stack running after the job (Ctrl-C stops it) to inspect it.
        #[arg(long)]
        keep: bool,
        /// Keep the stack running and open the web page on the job (http://127.0.0.1:PORT/).
        #[arg(long)]
        web: bool,
        /// Seconds the job may take.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
        #[command(flatten)]
        stack: StackArgs,
    },
    /// Time warm jobs through the stack (HTTP start → final WebSocket notice) against the same
    /// extract + label work in-process; prints median, p90 and the difference.
    Bench {
        /// Up to three PDFs; default: the samples in tests/fixtures/samples.txt.
        #[arg(value_name = "PDF")]
        pdfs: Vec<PathBuf>,
        /// Measured jobs after one warm-up (at least 5).
        #[arg(long, default_value_t = 7)]
        runs: usize,
        #[command(flatten)]
        stack: StackArgs,
    },
    /// A burst of N jobs × the sample PDFs against the mock AI limited to R requests (and T
    /// tokens) per minute, each job on its own WebSocket, on a stack of its own with the rate
    /// governor on, then (unless --no-compare) off. Prints a table per run and, last,
    /// `load: jobs=N succeeded=N … p95_s=…` for the governor-on run.
    /// Exit status: 0 when that run lost no job and sent no duplicate final notice, 1 otherwise.
    BenchLoad {
        /// Jobs in the burst (3 files each).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        jobs: u32,
        /// The AI's requests-per-minute limit (the mock's and AiRequestsPerMinute).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        rpm: u32,
        /// The AI's tokens-per-minute limit (the mock's and AiTokensPerMinute); default none.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        tpm: Option<u32>,
        /// Only the governor-on run.
        #[arg(long)]
        no_compare: bool,
        /// Seconds a run may take from the first start; default 3 × the floor + 300.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        timeout: Option<u64>,
        /// Use --port, --moto-port and --lambda-port instead of free ports for each run's stack.
        #[arg(long)]
        fixed_ports: bool,
        #[command(flatten)]
        stack: StackArgs,
    },
}

fn main() -> ExitCode {
    // The benchmark extracts in isolated children of this executable, as the functions do.
    narratix_extract::run_child_if_requested();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("narratix-local: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(Cli::parse().command))
}

async fn run(command: Commands) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                // The demo and the benchmark print their own story; only warnings from the stack.
                let level = if matches!(command, Commands::Up { .. }) {
                    "info"
                } else {
                    "warn"
                };
                tracing_subscriber::EnvFilter::new(level)
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    match command {
        Commands::Up { stack } => match stack_config(&stack) {
            Ok(config) => run_up(&config).await,
            Err(code) => code,
        },
        Commands::Demo {
            pdfs,
            keep,
            web,
            timeout,
            stack,
        } => {
            let config = match stack_config(&stack) {
                Ok(config) => config,
                Err(code) => return code,
            };
            let pdfs = match pdfs_or_samples(pdfs, &config.root) {
                Ok(pdfs) => pdfs,
                Err(code) => return code,
            };
            let options = DemoOptions {
                pdfs,
                keep: keep || web,
                open_page: web,
                job_timeout: Duration::from_secs(timeout.max(1)),
            };
            match demo::run(&config, &options).await {
                Ok(outcome) if outcome.status == JobStatus::Succeeded => ExitCode::SUCCESS,
                Ok(_) => ExitCode::from(EXIT_JOB_NOT_SUCCEEDED),
                Err(error) => demo_failure(&error),
            }
        }
        Commands::Bench { pdfs, runs, stack } => {
            let config = match stack_config(&stack) {
                Ok(config) => config,
                Err(code) => return code,
            };
            let pdfs = match pdfs_or_samples(pdfs, &config.root) {
                Ok(pdfs) => pdfs,
                Err(code) => return code,
            };
            match bench::run(&config, &BenchOptions { pdfs, runs }).await {
                Ok(report) => {
                    print!("{}", report.table());
                    if report.overhead_within_budget() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(bench::BenchError::Demo(error)) => demo_failure(&error),
                Err(error) => {
                    eprintln!("narratix-local bench: {error}");
                    ExitCode::FAILURE
                }
            }
        }
        Commands::BenchLoad {
            jobs,
            rpm,
            tpm,
            no_compare,
            timeout,
            fixed_ports,
            stack,
        } => {
            let mut config = match stack_config(&stack) {
                Ok(config) => config,
                Err(code) => return code,
            };
            if stack.state_dir.is_none() {
                // Not the state of a stack `up` may be running.
                config.state_dir = config.root.join(".local/load");
            }
            let pdfs = match pdfs_or_samples(Vec::new(), &config.root) {
                Ok(pdfs) => pdfs,
                Err(code) => return code,
            };
            let options = LoadOptions {
                jobs: jobs as usize,
                rpm,
                tpm,
                compare: !no_compare,
                timeout: timeout.map(Duration::from_secs),
                pdfs,
                free_ports: !fixed_ports,
            };
            match load::run(&config, &options).await {
                Ok(reports) => {
                    // The comparison first: the governor-on line is the last one printed.
                    for report in reports.iter().skip(1) {
                        println!("{}", report.summary_line("load (governor off)"));
                    }
                    match reports.first() {
                        Some(report) => {
                            println!("{}", report.summary_line("load"));
                            if report.clean() {
                                ExitCode::SUCCESS
                            } else {
                                ExitCode::FAILURE
                            }
                        }
                        None => ExitCode::FAILURE,
                    }
                }
                Err(LoadError::Demo(error)) => demo_failure(&error),
                Err(error) => {
                    eprintln!("narratix-local bench-load: {error}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn demo_failure(error: &DemoError) -> ExitCode {
    eprintln!("narratix-local: {error}");
    match error {
        DemoError::BadArgument(_) => ExitCode::from(EXIT_BAD_ARGUMENT),
        _ => ExitCode::FAILURE,
    }
}

fn pdfs_or_samples(pdfs: Vec<PathBuf>, root: &Path) -> Result<Vec<PathBuf>, ExitCode> {
    let pdfs = if pdfs.is_empty() {
        demo::sample_pdfs(root).map_err(|error| demo_failure(&error))?
    } else {
        pdfs
    };
    demo::check_pdfs(&pdfs).map_err(|error| demo_failure(&error))?;
    Ok(pdfs)
}

fn stack_config(args: &StackArgs) -> Result<StackConfig, ExitCode> {
    let Some(root) = args.root.clone().or_else(find_root) else {
        eprintln!("narratix-local: no template.yaml here or above; pass --root");
        return Err(ExitCode::FAILURE);
    };
    // Child processes run in other directories: a relative root would not name the venv there.
    let root = match std::fs::canonicalize(&root) {
        Ok(root) => root,
        Err(error) => {
            eprintln!("narratix-local: --root {}: {error}", root.display());
            return Err(ExitCode::FAILURE);
        }
    };
    let mut config = StackConfig::with_defaults(root);
    config.gateway_port = args.port;
    config.moto_port = args.moto_port;
    config.lambda_port = args.lambda_port;
    config.region = args.region.clone();
    config.lambda_concurrency = args.concurrency.max(1);
    config.ai = args.ai;
    config.faults = args.faults.clone();
    config.parameters = args.parameters.iter().cloned().collect();
    if let Some(state_dir) = &args.state_dir {
        config.state_dir = state_dir.clone();
    }
    if !config.venv.join("bin/moto_server").is_file() {
        eprintln!(
            "narratix-local: no venv at {}; run scripts/setup-local",
            config.venv.display()
        );
        return Err(ExitCode::FAILURE);
    }
    Ok(config)
}

async fn run_up(config: &StackConfig) -> ExitCode {
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        eprintln!("narratix-local: cannot install signal handlers");
        return ExitCode::FAILURE;
    };
    let starting = up(config);
    let mut stack = tokio::select! {
        started = starting => match started {
            Ok(stack) => stack,
            Err(error) => {
                eprintln!("narratix-local: {error}");
                return ExitCode::FAILURE;
            }
        },
        // Dropping the unfinished start kills the process groups it had started.
        _ = interrupt.recv() => return ExitCode::FAILURE,
        _ = terminate.recv() => return ExitCode::FAILURE,
    };
    println!(
        "narratix-local: ready in {:.1} s at {} (stack: {})",
        stack.manifest.started_in_seconds,
        stack.manifest.endpoint,
        stack.manifest_path.display()
    );
    let mut health = tokio::time::interval(Duration::from_secs(1));
    let code = loop {
        tokio::select! {
            _ = interrupt.recv() => break ExitCode::SUCCESS,
            _ = terminate.recv() => break ExitCode::SUCCESS,
            _ = health.tick() => {
                if let Some(status) = stack.crashed() {
                    eprintln!("narratix-local: a child process exited ({status}); stopping");
                    break ExitCode::FAILURE;
                }
            }
        }
    };
    stack.stop().await;
    code
}

fn find_root() -> Option<PathBuf> {
    let current = std::env::current_dir().ok()?;
    current
        .ancestors()
        .find(|dir| dir.join("template.yaml").is_file())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_name_equals_value() {
        assert_eq!(
            parse_parameter("QuotaJobsPerDay=5000"),
            Ok(("QuotaJobsPerDay".to_owned(), "5000".to_owned()))
        );
        assert_eq!(
            parse_parameter("AiModel=a=b"),
            Ok(("AiModel".to_owned(), "a=b".to_owned()))
        );
        assert!(parse_parameter("QuotaJobsPerDay").is_err());
        assert!(parse_parameter("=5000").is_err());
    }
}
