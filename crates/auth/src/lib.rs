//! JWT verification for the Narratix APIs and dev tokens for the local stack.
//!
//! Production tokens are RS256, verified with the issuer's JWKS: cached for [`JWKS_TTL`] (a key
//! the issuer removed stops being trusted then), refetched early when a token names an unknown
//! key id — at most once per [`JWKS_MIN_REFETCH`], so tokens with made-up key ids cannot make
//! every request fetch. The local stack's own issuer signs HS256 with a shared
//! secret (`NARRATIX_DEV_JWT_SECRET`); [`mint_dev_token`] makes such tokens. Every token must
//! carry the configured issuer and audience, a subject and an unexpired `exp`; an `nbf` in the
//! future is refused. The algorithm
//! is fixed by the key source, never taken from the token.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use narratix_domain::config::{ConfigError, Env, Problem};
use narratix_domain::ErrorKind;
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

/// Why a token was not accepted, or could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("token expired")]
    Expired,
    #[error("token rejected: {0}")]
    Rejected(&'static str),
    /// Not a JWT at all (bad base64, JSON or structure): jsonwebtoken's error says where.
    #[error("token rejected: malformed token")]
    Malformed(#[source] jsonwebtoken::errors::Error),
    #[error("token signed with an unknown key")]
    UnknownKey,
    #[error("signing keys unavailable: {what}")]
    KeysUnavailable {
        what: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("auth configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("cannot make a token: {0}")]
    Unusable(&'static str),
    #[error("cannot sign the token")]
    Sign(#[source] jsonwebtoken::errors::Error),
}

impl AuthError {
    /// The caller presented a bad or no token (as opposed to our keys or settings failing).
    pub fn is_rejection(&self) -> bool {
        matches!(
            self,
            AuthError::Missing
                | AuthError::Expired
                | AuthError::Rejected(_)
                | AuthError::Malformed(_)
                | AuthError::UnknownKey
        )
    }

    /// The wire name, for the CLI and logs. Rejections are answered 401 / Deny by the
    /// adapters and never cross a process boundary under this name.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::InputInvalid
    }
}

fn rejected(error: jsonwebtoken::errors::Error) -> AuthError {
    use jsonwebtoken::errors::ErrorKind as Jwt;
    match error.kind() {
        Jwt::ExpiredSignature => AuthError::Expired,
        Jwt::InvalidIssuer => AuthError::Rejected("wrong issuer"),
        Jwt::InvalidAudience => AuthError::Rejected("wrong audience"),
        Jwt::InvalidSignature => AuthError::Rejected("bad signature"),
        Jwt::InvalidAlgorithm => AuthError::Rejected("algorithm not accepted"),
        Jwt::ImmatureSignature => AuthError::Rejected("token not valid yet"),
        Jwt::MissingRequiredClaim(_) => AuthError::Rejected("a required claim is missing"),
        _ => AuthError::Malformed(error),
    }
}

/// The claims the system uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user: every job and connection is scoped to it.
    pub sub: String,
    pub iss: String,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
}

#[derive(Serialize)]
struct MintedClaims<'a> {
    sub: &'a str,
    iss: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// An HS256 token from the local dev issuer, valid for `ttl`.
pub fn mint_dev_token(
    secret: &str,
    issuer: &str,
    audience: &str,
    subject: &str,
    ttl: Duration,
) -> Result<String, AuthError> {
    if secret.is_empty() {
        return Err(AuthError::Unusable("the dev signing secret is empty"));
    }
    if subject.trim().is_empty() {
        return Err(AuthError::Unusable("the subject is empty"));
    }
    let iat = now_seconds();
    let claims = MintedClaims {
        sub: subject,
        iss: issuer,
        aud: audience,
        iat,
        exp: iat.saturating_add(ttl.as_secs()),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(AuthError::Sign)
}

/// Where the verification keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The issuer's JWKS document (RS256).
    JwksUrl(String),
    /// The local dev issuer's shared secret (HS256).
    DevSecret(String),
}

/// What a verifier checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierConfig {
    pub issuer: String,
    pub audience: String,
    pub keys: KeySource,
}

impl VerifierConfig {
    /// From `JWT_ISSUER`, `JWT_AUDIENCE` and either `JWKS_URL` or `NARRATIX_DEV_JWT_SECRET`
    /// (the JWKS wins when both are set).
    pub fn from_env(env: &Env) -> Result<VerifierConfig, AuthError> {
        let issuer = env.required("JWT_ISSUER")?;
        let audience = env.required("JWT_AUDIENCE")?;
        let keys = match (env.text("JWKS_URL"), env.text(ENV_DEV_SECRET)) {
            (Some(url), _) => KeySource::JwksUrl(url),
            (None, Some(secret)) => KeySource::DevSecret(secret),
            (None, None) => {
                return Err(AuthError::Config(ConfigError {
                    variable: "JWKS_URL",
                    problem: Problem::NotOneOf("a URL (or set NARRATIX_DEV_JWT_SECRET)"),
                }))
            }
        };
        Ok(VerifierConfig {
            issuer,
            audience,
            keys,
        })
    }
}

/// The local dev issuer's shared secret.
pub const ENV_DEV_SECRET: &str = "NARRATIX_DEV_JWT_SECRET";

/// How long a fetched JWKS is trusted before it is fetched again.
pub const JWKS_TTL: Duration = Duration::from_secs(600);
/// The least time between two fetches caused by unknown key ids.
pub const JWKS_MIN_REFETCH: Duration = Duration::from_secs(30);

/// When the JWKS is fetched again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JwksRefresh {
    /// A JWKS older than this is fetched again before use.
    pub ttl: Duration,
    /// An unknown key id fetches again only if the last fetch is at least this old.
    pub min_refetch: Duration,
}

impl Default for JwksRefresh {
    fn default() -> JwksRefresh {
        JwksRefresh {
            ttl: JWKS_TTL,
            min_refetch: JWKS_MIN_REFETCH,
        }
    }
}

struct CachedKeys {
    keys: JwkSet,
    /// The last successful fetch (the TTL runs from it); `None` for a fixed key set.
    fetched_at: Option<Instant>,
    /// The last fetch tried, successful or not (the rate limit runs from it).
    tried_at: Option<Instant>,
}

enum Keys {
    Shared(DecodingKey),
    Jwks {
        url: Option<String>,
        http: reqwest::Client,
        cached: RwLock<CachedKeys>,
        refresh: JwksRefresh,
    },
}

/// Verifies bearer tokens against one issuer and audience.
pub struct Verifier {
    issuer: String,
    audience: String,
    keys: Keys,
}

impl Verifier {
    pub fn new(config: VerifierConfig) -> Verifier {
        let keys = match config.keys {
            KeySource::DevSecret(secret) => {
                Keys::Shared(DecodingKey::from_secret(secret.as_bytes()))
            }
            KeySource::JwksUrl(url) => Keys::Jwks {
                url: Some(url),
                http: reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap_or_default(),
                cached: RwLock::new(CachedKeys {
                    keys: JwkSet { keys: Vec::new() },
                    fetched_at: None,
                    tried_at: None,
                }),
                refresh: JwksRefresh::default(),
            },
        };
        Verifier {
            issuer: config.issuer,
            audience: config.audience,
            keys,
        }
    }

    /// A verifier with a fixed key set (no fetching).
    pub fn with_jwk_set(issuer: &str, audience: &str, keys: JwkSet) -> Verifier {
        Verifier {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            keys: Keys::Jwks {
                url: None,
                http: reqwest::Client::new(),
                cached: RwLock::new(CachedKeys {
                    keys,
                    fetched_at: None,
                    tried_at: None,
                }),
                refresh: JwksRefresh::default(),
            },
        }
    }

    /// The same verifier with other JWKS refresh times (a dev-secret verifier is unchanged).
    pub fn with_refresh(mut self, times: JwksRefresh) -> Verifier {
        if let Keys::Jwks { refresh, .. } = &mut self.keys {
            *refresh = times;
        }
        self
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation
    }

    /// The token's claims, if it is valid for this issuer and audience.
    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(AuthError::Missing);
        }
        let header = jsonwebtoken::decode_header(token).map_err(rejected)?;
        let claims = match &self.keys {
            Keys::Shared(key) => {
                if header.alg != Algorithm::HS256 {
                    return Err(AuthError::Rejected("algorithm not accepted"));
                }
                jsonwebtoken::decode::<Claims>(token, key, &self.validation(Algorithm::HS256))
                    .map_err(rejected)?
                    .claims
            }
            Keys::Jwks {
                url,
                http,
                cached,
                refresh,
            } => {
                if header.alg != Algorithm::RS256 {
                    return Err(AuthError::Rejected("algorithm not accepted"));
                }
                let key = self
                    .jwks_key(header.kid.as_deref(), url.as_deref(), http, cached, refresh)
                    .await?;
                jsonwebtoken::decode::<Claims>(token, &key, &self.validation(Algorithm::RS256))
                    .map_err(rejected)?
                    .claims
            }
        };
        if claims.sub.trim().is_empty() {
            return Err(AuthError::Rejected("empty subject"));
        }
        Ok(claims)
    }

    async fn jwks_key(
        &self,
        kid: Option<&str>,
        url: Option<&str>,
        http: &reqwest::Client,
        cached: &RwLock<CachedKeys>,
        refresh: &JwksRefresh,
    ) -> Result<DecodingKey, AuthError> {
        let older_than =
            |at: Option<Instant>, age: Duration| at.is_none_or(|at| at.elapsed() >= age);
        let Some(url) = url else {
            // A fixed key set: never fetched, never stale.
            return find_key(&cached.read().await.keys, kid)?.ok_or(AuthError::UnknownKey);
        };
        {
            let cache = cached.read().await;
            let fresh = !older_than(cache.fetched_at, refresh.ttl);
            if fresh {
                if let Some(key) = find_key(&cache.keys, kid)? {
                    return Ok(key);
                }
            }
            if !older_than(cache.tried_at, refresh.min_refetch) {
                // Fetched (or tried) a moment ago: no fetch per request.
                return Err(if fresh {
                    AuthError::UnknownKey
                } else {
                    AuthError::KeysUnavailable {
                        what: "the JWKS is stale and its last fetch failed",
                        source: "retried after the refetch interval".into(),
                    }
                });
            }
        }
        let mut cache = cached.write().await;
        cache.tried_at = Some(Instant::now());
        let fresh = fetch_jwks(http, url).await?;
        let key = find_key(&fresh, kid)?;
        cache.keys = fresh;
        cache.fetched_at = Some(Instant::now());
        key.ok_or(AuthError::UnknownKey)
    }
}

fn find_key(keys: &JwkSet, kid: Option<&str>) -> Result<Option<DecodingKey>, AuthError> {
    let jwk = match kid {
        Some(kid) => keys.find(kid),
        // Without a key id, only an unambiguous single key is usable.
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    };
    jwk.map(|jwk| {
        DecodingKey::from_jwk(jwk).map_err(|err| AuthError::KeysUnavailable {
            what: "a JWK is unusable",
            source: err.into(),
        })
    })
    .transpose()
}

async fn fetch_jwks(http: &reqwest::Client, url: &str) -> Result<JwkSet, AuthError> {
    let response = http
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|err| AuthError::KeysUnavailable {
            what: "fetching the JWKS failed",
            source: err.into(),
        })?;
    response
        .json::<JwkSet>()
        .await
        .map_err(|err| AuthError::KeysUnavailable {
            what: "the JWKS is unreadable",
            source: err.into(),
        })
}

/// The token in an `Authorization: Bearer …` header value.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}
