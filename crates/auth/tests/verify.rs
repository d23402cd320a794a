use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use narratix_auth::{
    bearer_token, mint_dev_token, AuthError, JwksRefresh, KeySource, Verifier, VerifierConfig,
};
use narratix_domain::config::Env;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ISSUER: &str = "https://issuer.narratix.test";
const AUDIENCE: &str = "narratix-api";
const SECRET: &str = "a-dev-secret-of-reasonable-length-0123456789";
const PRIVATE_PEM: &[u8] = include_bytes!("keys/rs256-test-private.pem");
const JWKS: &str = include_str!("keys/jwks.json");

fn dev_verifier() -> Verifier {
    Verifier::new(VerifierConfig {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        keys: KeySource::DevSecret(SECRET.into()),
    })
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

fn rs256_token(kid: &str, claims: serde_json::Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_rsa_pem(PRIVATE_PEM).expect("test key");
    jsonwebtoken::encode(&header, &claims, &key).expect("sign")
}

fn good_claims(sub: &str) -> serde_json::Value {
    json!({"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "iat": now(), "exp": now() + 600})
}

fn hs256_token(secret: &str, claims: serde_json::Value) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("sign")
}

#[tokio::test]
async fn minted_dev_token_verifies_with_its_subject() {
    let token =
        mint_dev_token(SECRET, ISSUER, AUDIENCE, "alice", Duration::from_secs(3600)).expect("mint");
    let claims = dev_verifier().verify(&token).await.expect("valid");
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.iss, ISSUER);
    assert!(claims.exp >= now() + 3500);
}

#[tokio::test]
async fn minting_refuses_an_empty_secret_or_subject() {
    let no_secret = mint_dev_token("", ISSUER, AUDIENCE, "alice", Duration::from_secs(60));
    assert!(matches!(no_secret, Err(AuthError::Unusable(_))));
    let no_subject = mint_dev_token(SECRET, ISSUER, AUDIENCE, " ", Duration::from_secs(60));
    assert!(matches!(no_subject, Err(AuthError::Unusable(_))));
}

#[tokio::test]
async fn expired_token_is_rejected_as_expired() {
    let token = hs256_token(
        SECRET,
        json!({"sub": "alice", "iss": ISSUER, "aud": AUDIENCE, "exp": now() - 3600}),
    );
    assert!(matches!(
        dev_verifier().verify(&token).await,
        Err(AuthError::Expired)
    ));
}

#[tokio::test]
async fn wrong_issuer_audience_secret_and_missing_subject_are_rejected() {
    let verifier = dev_verifier();
    let cases = [
        hs256_token(
            SECRET,
            json!({"sub": "a", "iss": "https://evil.test", "aud": AUDIENCE, "exp": now() + 60}),
        ),
        hs256_token(
            SECRET,
            json!({"sub": "a", "iss": ISSUER, "aud": "other-api", "exp": now() + 60}),
        ),
        hs256_token("another-secret", good_claims("a")),
        hs256_token(
            SECRET,
            json!({"iss": ISSUER, "aud": AUDIENCE, "exp": now() + 60}),
        ),
        "not.a.token".to_owned(),
    ];
    for token in cases {
        let error = verifier.verify(&token).await.expect_err("rejected");
        assert!(error.is_rejection(), "{error:?}");
        assert!(
            matches!(error, AuthError::Rejected(_) | AuthError::Malformed(_)),
            "{error:?}"
        );
    }
    assert!(matches!(
        verifier.verify("  ").await,
        Err(AuthError::Missing)
    ));
    // Not a JWT at all: the parser's error stays the cause.
    let error = verifier.verify("not.a.token").await.expect_err("rejected");
    assert!(matches!(error, AuthError::Malformed(_)), "{error:?}");
    assert!(std::error::Error::source(&error).is_some());
}

#[tokio::test]
async fn rs256_token_verifies_against_the_jwks() {
    let keys: JwkSet = serde_json::from_str(JWKS).expect("jwks");
    let verifier = Verifier::with_jwk_set(ISSUER, AUDIENCE, keys);
    let claims = verifier
        .verify(&rs256_token("test-key-1", good_claims("bob")))
        .await
        .expect("valid");
    assert_eq!(claims.sub, "bob");
}

#[tokio::test]
async fn jwks_verifier_refuses_hs256_and_unknown_keys() {
    let keys: JwkSet = serde_json::from_str(JWKS).expect("jwks");
    let verifier = Verifier::with_jwk_set(ISSUER, AUDIENCE, keys);
    // An HS256 token must not be checked against a public key (algorithm confusion).
    let confused = hs256_token(SECRET, good_claims("mallory"));
    assert!(matches!(
        verifier.verify(&confused).await,
        Err(AuthError::Rejected(_))
    ));
    let unknown = rs256_token("rotated-away", good_claims("bob"));
    assert!(matches!(
        verifier.verify(&unknown).await,
        Err(AuthError::UnknownKey)
    ));
}

#[tokio::test]
async fn dev_verifier_refuses_rs256() {
    let token = rs256_token("test-key-1", good_claims("bob"));
    assert!(matches!(
        dev_verifier().verify(&token).await,
        Err(AuthError::Rejected(_))
    ));
}

#[tokio::test]
async fn jwks_is_fetched_from_the_url_and_cached() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/.well-known/jwks.json"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(JWKS, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let verifier = Verifier::new(VerifierConfig {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        keys: KeySource::JwksUrl(format!("{}/.well-known/jwks.json", server.uri())),
    });
    for user in ["carol", "dave"] {
        let claims = verifier
            .verify(&rs256_token("test-key-1", good_claims(user)))
            .await
            .expect("valid");
        assert_eq!(claims.sub, user);
    }
}

#[tokio::test]
async fn jwks_endpoint_failure_is_not_a_rejection() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let verifier = Verifier::new(VerifierConfig {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        keys: KeySource::JwksUrl(format!("{}/jwks", server.uri())),
    });
    let error = verifier
        .verify(&rs256_token("test-key-1", good_claims("erin")))
        .await
        .expect_err("keys unavailable");
    assert!(matches!(error, AuthError::KeysUnavailable { .. }));
    assert!(!error.is_rejection());
}

#[test]
fn config_prefers_jwks_and_requires_issuer_audience_and_keys() {
    let both = VerifierConfig::from_env(&Env::from_pairs(&[
        ("JWT_ISSUER", ISSUER),
        ("JWT_AUDIENCE", AUDIENCE),
        ("JWKS_URL", "https://issuer/jwks"),
        ("NARRATIX_DEV_JWT_SECRET", SECRET),
    ]))
    .expect("config");
    assert_eq!(both.keys, KeySource::JwksUrl("https://issuer/jwks".into()));
    let dev = VerifierConfig::from_env(&Env::from_pairs(&[
        ("JWT_ISSUER", ISSUER),
        ("JWT_AUDIENCE", AUDIENCE),
        ("NARRATIX_DEV_JWT_SECRET", SECRET),
    ]))
    .expect("config");
    assert_eq!(dev.keys, KeySource::DevSecret(SECRET.into()));
    for missing in [
        &[
            ("JWT_AUDIENCE", AUDIENCE),
            ("NARRATIX_DEV_JWT_SECRET", SECRET),
        ][..],
        &[("JWT_ISSUER", ISSUER), ("NARRATIX_DEV_JWT_SECRET", SECRET)][..],
        &[("JWT_ISSUER", ISSUER), ("JWT_AUDIENCE", AUDIENCE)][..],
    ] {
        assert!(matches!(
            VerifierConfig::from_env(&Env::from_pairs(missing)),
            Err(AuthError::Config(_))
        ));
    }
}

#[test]
fn bearer_header_parsing() {
    assert_eq!(bearer_token("Bearer abc.def.ghi"), Some("abc.def.ghi"));
    assert_eq!(bearer_token("bearer   tok "), Some("tok"));
    assert_eq!(bearer_token("Basic abc"), None);
    assert_eq!(bearer_token("Bearer "), None);
    assert_eq!(bearer_token(""), None);
}

#[tokio::test]
async fn a_token_not_valid_yet_is_rejected() {
    let mut claims = good_claims("frank");
    claims["nbf"] = json!(now() + 3600);
    assert!(matches!(
        dev_verifier().verify(&hs256_token(SECRET, claims)).await,
        Err(AuthError::Rejected("token not valid yet"))
    ));
    let mut claims = good_claims("frank");
    claims["nbf"] = json!(now() - 10);
    assert!(dev_verifier()
        .verify(&hs256_token(SECRET, claims))
        .await
        .is_ok());
}

fn jwks_verifier(server: &MockServer, refresh: JwksRefresh) -> Verifier {
    Verifier::new(VerifierConfig {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        keys: KeySource::JwksUrl(format!("{}/jwks", server.uri())),
    })
    .with_refresh(refresh)
}

#[tokio::test]
async fn unknown_key_ids_do_not_fetch_the_jwks_on_every_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(JWKS, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let verifier = jwks_verifier(&server, JwksRefresh::default());
    for i in 0..20 {
        let token = rs256_token(&format!("made-up-{i}"), good_claims("mallory"));
        assert!(matches!(
            verifier.verify(&token).await,
            Err(AuthError::UnknownKey)
        ));
    }
    // The one fetch still serves real keys.
    assert!(verifier
        .verify(&rs256_token("test-key-1", good_claims("carol")))
        .await
        .is_ok());
}

#[tokio::test]
async fn a_key_the_issuer_removed_is_not_trusted_past_the_ttl() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(JWKS, "application/json"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(r#"{"keys": []}"#, "application/json"),
        )
        .mount(&server)
        .await;
    let verifier = jwks_verifier(
        &server,
        JwksRefresh {
            ttl: Duration::ZERO,
            min_refetch: Duration::ZERO,
        },
    );
    let token = || rs256_token("test-key-1", good_claims("carol"));
    assert!(verifier.verify(&token()).await.is_ok());
    assert!(matches!(
        verifier.verify(&token()).await,
        Err(AuthError::UnknownKey)
    ));
}
