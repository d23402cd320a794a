//! `narratix token --user NAME [--stack PATH] [--ttl-minutes N]`: a bearer token of the running
//! local stack's dev issuer, accepted by its HTTP API (`Authorization: Bearer …`) and WebSocket
//! API (`?token=…`). The issuer, audience and signing secret come from the stack's `stack.json`,
//! or from `NARRATIX_DEV_JWT_SECRET`, `JWT_ISSUER` and `JWT_AUDIENCE` when all three are set.

use std::path::{Path, PathBuf};
use std::time::Duration;

use narratix_domain::{ErrorKind, WireError};
use serde::Deserialize;

use crate::output::print_text;

/// Where `narratix-local up` writes its manifest, under the repository.
const DEFAULT_MANIFEST: &str = ".local/stack/stack.json";

#[derive(clap::Args)]
pub struct Args {
    /// The token's subject: the user whose jobs and connections it reaches.
    #[arg(long, value_name = "NAME")]
    user: String,
    /// The stack's manifest (default: .local/stack/stack.json of the nearest directory holding
    /// template.yaml).
    #[arg(long, value_name = "PATH")]
    stack: Option<PathBuf>,
    /// Minutes until the token expires.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=24 * 60))]
    ttl_minutes: u64,
}

/// The part of `stack.json` a token needs.
#[derive(Debug, Deserialize)]
struct Manifest {
    identity: Identity,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Identity {
    issuer: String,
    audience: String,
    dev_secret: String,
}

pub fn run(args: Args) -> Result<(), WireError> {
    let identity = match (&args.stack, from_env(|name| std::env::var(name).ok())) {
        (None, Some(identity)) => identity,
        (Some(path), _) => read_manifest(path)?,
        (None, None) => {
            let path = default_manifest().ok_or_else(|| {
                not_running("no template.yaml here or above, so no stack manifest to read")
            })?;
            read_manifest(&path)?
        }
    };
    let token = narratix_auth::mint_dev_token(
        &identity.dev_secret,
        &identity.issuer,
        &identity.audience,
        &args.user,
        Duration::from_secs(args.ttl_minutes * 60),
    )
    .map_err(|error| ErrorKind::InputInvalid.with_cause(error.to_string()))?;
    print_text(&token)
}

fn not_running(detail: &str) -> WireError {
    ErrorKind::InputInvalid.with_cause(format!(
        "{detail}; is the local stack running? Start it with ./scripts/demo --keep or \
         narratix-local up (or pass --stack PATH)"
    ))
}

/// The identity from `NARRATIX_DEV_JWT_SECRET`, `JWT_ISSUER` and `JWT_AUDIENCE`, when all set.
fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Option<Identity> {
    let value = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
    Some(Identity {
        dev_secret: value("NARRATIX_DEV_JWT_SECRET")?,
        issuer: value("JWT_ISSUER")?,
        audience: value("JWT_AUDIENCE")?,
    })
}

fn default_manifest() -> Option<PathBuf> {
    let current = std::env::current_dir().ok()?;
    current
        .ancestors()
        .find(|dir| dir.join("template.yaml").is_file())
        .map(|root| root.join(DEFAULT_MANIFEST))
}

fn read_manifest(path: &Path) -> Result<Identity, WireError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| not_running(&format!("cannot read {}: {error}", path.display())))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|error| {
        ErrorKind::InputInvalid.with_cause(format!(
            "{} is not a local stack manifest with an identity: {error}",
            path.display()
        ))
    })?;
    Ok(manifest.identity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_counts_only_when_complete() {
        let all = |name: &str| {
            Some(
                match name {
                    "NARRATIX_DEV_JWT_SECRET" => "s",
                    "JWT_ISSUER" => "http://127.0.0.1:4566/_identity",
                    _ => "narratix-local",
                }
                .to_owned(),
            )
        };
        assert_eq!(
            from_env(all),
            Some(Identity {
                issuer: "http://127.0.0.1:4566/_identity".into(),
                audience: "narratix-local".into(),
                dev_secret: "s".into(),
            })
        );
        assert_eq!(
            from_env(|name| all(name).filter(|_| name != "JWT_AUDIENCE")),
            None
        );
    }

    #[test]
    fn a_manifest_gives_its_identity_and_a_missing_one_says_how_to_start() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("stack.json");
        std::fs::write(
            &path,
            r#"{"endpoint":"http://127.0.0.1:4566","identity":{"issuer":"i","audience":"a","devSecret":"s"}}"#,
        )
        .expect("write");
        assert_eq!(read_manifest(&path).expect("identity").dev_secret, "s");
        let error = read_manifest(&dir.path().join("absent.json")).expect_err("missing");
        assert!(error.to_string().contains("./scripts/demo"), "{error}");
        assert!(error.to_string().contains("narratix-local up"), "{error}");
        std::fs::write(&path, r#"{"endpoint":"x"}"#).expect("write");
        assert!(read_manifest(&path).is_err());
    }
}
