//! Set-up shared by the test binaries that start a stack: where the repository is, whether the
//! stack can run here, and free ports for one stack per test binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::StackConfig;

/// The repository this crate was built from: the nearest folder above it with `template.yaml`.
pub fn repository_root() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir
        .ancestors()
        .find(|dir| dir.join("template.yaml").is_file())
        .unwrap_or(crate_dir)
        .to_path_buf()
}

/// Whether the stack can run here, running the set-up first when asked to.
pub fn stack_available(root: &Path) -> bool {
    let venv = root.join(".venv/local/bin/moto_server");
    if std::env::var("NARRATIX_LOCAL_SETUP").as_deref() == Ok("1") {
        let status = Command::new(root.join("scripts/setup-local"))
            .current_dir(root)
            .status()
            .expect("scripts/setup-local runs");
        assert!(status.success(), "scripts/setup-local failed");
    }
    if venv.is_file() {
        return true;
    }
    assert!(
        std::env::var("NARRATIX_REQUIRE_LOCAL_STACK").as_deref() != Ok("1"),
        "NARRATIX_REQUIRE_LOCAL_STACK=1 but there is no local-stack venv at {}",
        venv.display()
    );
    eprintln!(
        "SKIPPED: no local-stack venv at {}; run scripts/setup-local or set NARRATIX_LOCAL_SETUP=1",
        venv.display()
    );
    false
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// A stack of its own for one test binary: its state in `state_dir`, every port free.
pub fn isolated_config(root: &Path, state_dir: &Path) -> StackConfig {
    let mut config = StackConfig::with_defaults(root.to_path_buf());
    config.state_dir = state_dir.to_path_buf();
    config.gateway_port = free_port();
    config.moto_port = free_port();
    config.lambda_port = free_port();
    config
}
