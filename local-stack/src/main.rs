//! `narratix-local up`: starts the local stack and keeps it running until Ctrl-C or SIGTERM.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use narratix_local::{up, AiMode, StackConfig};
use tokio::signal::unix::{signal, SignalKind};

#[derive(Parser)]
#[command(
    name = "narratix-local",
    about = "The Narratix pipeline on one machine (moto + cargo-lambda + gateway)"
)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Subcommand)]
enum Commands {
    /// Start moto, the function emulator and the gateway, provision template.yaml, and run until stopped.
    Up {
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
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let Commands::Up {
        root,
        port,
        moto_port,
        lambda_port,
        region,
        concurrency,
        state_dir,
        ai,
        faults,
    } = Cli::parse().command;
    let Some(root) = root.or_else(find_root) else {
        eprintln!("narratix-local: no template.yaml here or above; pass --root");
        return ExitCode::FAILURE;
    };
    let mut config = StackConfig::with_defaults(root);
    config.gateway_port = port;
    config.moto_port = moto_port;
    config.lambda_port = lambda_port;
    config.region = region;
    config.lambda_concurrency = concurrency.max(1);
    config.ai = ai;
    config.faults = faults;
    if let Some(state_dir) = state_dir {
        config.state_dir = state_dir;
    }
    if !config.venv.join("bin/moto_server").is_file() {
        eprintln!(
            "narratix-local: no venv at {}; run scripts/setup-local",
            config.venv.display()
        );
        return ExitCode::FAILURE;
    }
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        eprintln!("narratix-local: cannot install signal handlers");
        return ExitCode::FAILURE;
    };
    let starting = up(&config);
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
    let mut health = tokio::time::interval(std::time::Duration::from_secs(1));
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
