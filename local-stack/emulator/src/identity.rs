//! The local identity: a dev issuer whose HS256 tokens the functions' own verifier accepts. A new
//! random secret at every start, so a token of an earlier stack is worthless.

use serde::Serialize;

use crate::layout::{local_issuer, LOCAL_AUDIENCE};

/// What `stack.json` tells token minters (`narratix token`) about the dev issuer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalIdentity {
    pub issuer: String,
    pub audience: String,
    /// The HS256 signing secret (why `stack.json` is written readable by its owner only).
    pub dev_secret: String,
}

impl LocalIdentity {
    /// A fresh identity for the stack whose gateway is at `gateway_url`.
    pub fn generate(gateway_url: &str) -> Self {
        // Two version-4 UUIDs: 244 random bits from the operating system's generator.
        let dev_secret = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        Self {
            issuer: local_issuer(gateway_url),
            audience: LOCAL_AUDIENCE.to_owned(),
            dev_secret,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use narratix_auth::{mint_dev_token, KeySource, Verifier, VerifierConfig};
    use std::time::Duration;

    #[tokio::test]
    async fn each_start_signs_with_a_new_secret_that_the_verifier_accepts() {
        let first = LocalIdentity::generate("http://127.0.0.1:4566");
        let second = LocalIdentity::generate("http://127.0.0.1:4566");
        assert_ne!(first.dev_secret, second.dev_secret);
        assert_eq!(first.issuer, "http://127.0.0.1:4566/_identity");
        assert_eq!(first.dev_secret.len(), 64);
        let token = mint_dev_token(
            &first.dev_secret,
            &first.issuer,
            &first.audience,
            "alice",
            Duration::from_secs(60),
        )
        .expect("token");
        let verifier = |identity: &LocalIdentity| {
            Verifier::new(VerifierConfig {
                issuer: identity.issuer.clone(),
                audience: identity.audience.clone(),
                keys: KeySource::DevSecret(identity.dev_secret.clone()),
            })
        };
        assert_eq!(
            verifier(&first).verify(&token).await.expect("valid").sub,
            "alice"
        );
        assert!(verifier(&second).verify(&token).await.is_err());
    }
}
