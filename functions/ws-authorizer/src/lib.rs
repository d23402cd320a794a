//! The WebSocket `$connect` REQUEST authorizer. Browsers cannot set headers on a WebSocket,
//! so the JWT comes in the `token` query parameter. A valid token → an IAM policy allowing
//! this `$connect` with `principalId` = the token's subject and context `{sub, exp}` (`exp`
//! the token's expiry, epoch seconds), which API Gateway hands to every route of the
//! connection: `ws-connect` stores `exp` so that nothing is posted to the connection after it.
//! A bad or missing token → Deny (403).

use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayCustomAuthorizerResponse,
};
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use narratix_auth::Verifier;
use narratix_domain::{ErrorKind, WireError};

/// The principal of a denied request.
pub const ANONYMOUS: &str = "anonymous";

/// The policy; `verified` is the token's subject and `exp` when it was allowed.
pub fn policy(
    principal: &str,
    effect: IamPolicyEffect,
    method_arn: &str,
    verified: Option<(&str, u64)>,
) -> ApiGatewayCustomAuthorizerResponse {
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_owned()];
    statement.effect = effect;
    statement.resource = vec![method_arn.to_owned()];
    let mut document = ApiGatewayCustomAuthorizerPolicy::default();
    document.version = Some("2012-10-17".to_owned());
    document.statement = vec![statement];
    let mut response = ApiGatewayCustomAuthorizerResponse::default();
    response.principal_id = Some(principal.to_owned());
    response.policy_document = document;
    response.context = match verified {
        Some((sub, exp)) => serde_json::json!({ "sub": sub, "exp": exp }),
        None => serde_json::json!({}),
    };
    response
}

pub async fn handle(
    verifier: &Verifier,
    request: ApiGatewayCustomAuthorizerRequestTypeRequest,
) -> Result<ApiGatewayCustomAuthorizerResponse, WireError> {
    let method_arn = request.method_arn.clone().ok_or_else(|| {
        ErrorKind::InputInvalid.with_cause("authorizer request without methodArn")
    })?;
    let token = request
        .query_string_parameters
        .first("token")
        .unwrap_or_default();
    match verifier.verify(token).await {
        Ok(claims) => {
            tracing::info!(
                principal = claims.sub,
                exp = claims.exp,
                "connection allowed"
            );
            Ok(policy(
                &claims.sub,
                IamPolicyEffect::Allow,
                &method_arn,
                Some((&claims.sub, claims.exp)),
            ))
        }
        Err(error) if error.is_rejection() => {
            tracing::info!(%error, "connection denied");
            Ok(policy(ANONYMOUS, IamPolicyEffect::Deny, &method_arn, None))
        }
        Err(error) => {
            tracing::error!(%error, "cannot verify tokens");
            Err(WireError::from_error(error.kind(), &error))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use narratix_auth::{mint_dev_token, KeySource, VerifierConfig};
    use serde_json::json;
    use std::time::Duration;

    const SECRET: &str = "dev-secret-for-the-authorizer-tests";
    const ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:abc123/live/$connect";

    fn verifier(keys: KeySource) -> Verifier {
        Verifier::new(VerifierConfig {
            issuer: "narratix-dev".into(),
            audience: "narratix".into(),
            keys,
        })
    }

    fn request(token: Option<&str>) -> ApiGatewayCustomAuthorizerRequestTypeRequest {
        let query = match token {
            Some(token) => json!({ "token": token }),
            None => json!({}),
        };
        serde_json::from_value(json!({
            "type": "REQUEST",
            "methodArn": ARN,
            "headers": {"Host": "abc123.execute-api.eu-west-1.amazonaws.com"},
            "queryStringParameters": query,
            "requestContext": {"routeKey": "$connect", "eventType": "CONNECT", "connectionId": "c1", "apiId": "abc123", "stage": "live"}
        }))
        .expect("authorizer request")
    }

    #[tokio::test]
    async fn a_valid_token_is_allowed_with_its_subject_and_expiry() {
        let token = mint_dev_token(
            SECRET,
            "narratix-dev",
            "narratix",
            "alice",
            Duration::from_secs(60),
        )
        .expect("token");
        let response = handle(
            &verifier(KeySource::DevSecret(SECRET.into())),
            request(Some(&token)),
        )
        .await
        .expect("policy");
        let exp = narratix_auth::Verifier::new(VerifierConfig {
            issuer: "narratix-dev".into(),
            audience: "narratix".into(),
            keys: KeySource::DevSecret(SECRET.into()),
        })
        .verify(&token)
        .await
        .expect("valid")
        .exp;
        assert_eq!(
            serde_json::to_value(&response).expect("json"),
            json!({
                "principalId": "alice",
                "policyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Action": ["execute-api:Invoke"], "Effect": "Allow", "Resource": [ARN]}
                ]},
                "context": {"sub": "alice", "exp": exp},
                "usageIdentifierKey": null
            })
        );
    }

    #[tokio::test]
    async fn missing_or_bad_tokens_are_denied() {
        let verifier = verifier(KeySource::DevSecret(SECRET.into()));
        let wrong_secret = mint_dev_token(
            "other",
            "narratix-dev",
            "narratix",
            "eve",
            Duration::from_secs(60),
        )
        .expect("token");
        for token in [None, Some("garbage"), Some(wrong_secret.as_str())] {
            let response = handle(&verifier, request(token)).await.expect("policy");
            assert_eq!(response.principal_id.as_deref(), Some(ANONYMOUS));
            assert_eq!(
                response.policy_document.statement[0].effect,
                IamPolicyEffect::Deny
            );
            assert_eq!(response.context, json!({}));
        }
    }

    #[tokio::test]
    async fn unreachable_keys_and_malformed_requests_are_errors() {
        let unreachable = verifier(KeySource::JwksUrl("http://127.0.0.1:9/jwks".into()));
        let token = jsonwebtoken_rs256_like();
        let error = handle(&unreachable, request(Some(&token)))
            .await
            .expect_err("keys unavailable");
        assert_eq!(error.name(), "Input.Invalid");
        let mut no_arn = request(Some("x"));
        no_arn.method_arn = None;
        let error = handle(&verifier(KeySource::DevSecret(SECRET.into())), no_arn)
            .await
            .expect_err("no arn");
        assert_eq!(error.name(), "Input.Invalid");
    }

    /// A syntactically valid RS256 token (header `{"alg":"RS256","kid":"k"}`); its signature
    /// is never checked because the keys cannot be fetched.
    fn jsonwebtoken_rs256_like() -> String {
        "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJzdWIiOiJhIn0.c2ln".to_owned()
    }
}
