//! What S3 answers for a key that is not there depends on the caller's rights: with
//! `s3:ListBucket` on the bucket a GET or HEAD of a missing key is 404 `NoSuchKey`; without it,
//! 403 `AccessDenied`, so that a caller cannot learn which keys exist. moto answers 404 to
//! everyone; the gateway answers 403 instead to a function whose template policies grant it no
//! listing of that bucket (for a key under a `s3:prefix` condition's patterns, when the grant has
//! one). Callers the template does not describe (tests, tools, moto itself) keep moto's answer.
//!
//! Each function signs with an access key id of its own ([`access_key_id`]), which is how the
//! gateway knows who is asking.

use std::collections::HashMap;

use axum::http::header::AUTHORIZATION;
use axum::http::HeaderMap;
use serde_json::Value as Json;
use wildmatch::WildMatch;

const BUCKET_ARN_PREFIX: &str = "arn:aws:s3:::";

/// The access key id a function's SDK clients sign with.
pub fn access_key_id(function_name: &str) -> String {
    format!("local-{function_name}")
}

/// One `s3:ListBucket` grant: a bucket (or `*`), and the key patterns of its `s3:prefix`
/// condition (`None`: any key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingGrant {
    pub bucket: String,
    pub prefixes: Option<Vec<String>>,
}

impl ListingGrant {
    fn covers(&self, bucket: &str, key: &str) -> bool {
        if self.bucket != "*" && self.bucket != bucket {
            return false;
        }
        match &self.prefixes {
            None => true,
            Some(patterns) => patterns
                .iter()
                .any(|pattern| WildMatch::new(pattern).matches(key)),
        }
    }
}

/// The `s3:ListBucket` grants in a function's resolved `Policies`: inline statements and the
/// SAM policy templates that include listing.
pub fn listing_grants(policies: &Json) -> Vec<ListingGrant> {
    let mut grants = Vec::new();
    for policy in policies.as_array().into_iter().flatten() {
        for template in ["S3ReadPolicy", "S3CrudPolicy", "S3FullAccessPolicy"] {
            if let Some(bucket) = policy.pointer(&format!("/{template}/BucketName")) {
                grants.push(ListingGrant {
                    bucket: text(bucket),
                    prefixes: None,
                });
            }
        }
        for statement in as_list(policy.get("Statement")) {
            let allows = statement.get("Effect").and_then(Json::as_str) == Some("Allow");
            let lists = as_list(statement.get("Action")).iter().any(|action| {
                matches!(
                    action.as_str(),
                    Some("s3:ListBucket" | "s3:List*" | "s3:*" | "*")
                )
            });
            if !allows || !lists {
                continue;
            }
            let prefixes = statement
                .pointer("/Condition/StringLike/s3:prefix")
                .or_else(|| statement.pointer("/Condition/StringEquals/s3:prefix"))
                .map(|patterns| as_list(Some(patterns)).into_iter().map(text).collect());
            for resource in as_list(statement.get("Resource")) {
                let resource = text(resource);
                let bucket = if resource == "*" {
                    Some("*".to_owned())
                } else {
                    resource
                        .strip_prefix(BUCKET_ARN_PREFIX)
                        .filter(|bucket| !bucket.contains('/'))
                        .map(str::to_owned)
                };
                if let Some(bucket) = bucket {
                    grants.push(ListingGrant {
                        bucket,
                        prefixes: prefixes.clone(),
                    });
                }
            }
        }
    }
    grants
}

fn as_list(value: Option<&Json>) -> Vec<&Json> {
    match value {
        Some(Json::Array(items)) => items.iter().collect(),
        Some(Json::Null) | None => Vec::new(),
        Some(one) => vec![one],
    }
}

fn text(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Who may list which bucket, by access key id.
#[derive(Debug, Default)]
pub struct S3Access {
    grants: HashMap<String, Vec<ListingGrant>>,
}

impl S3Access {
    pub fn new(grants: impl IntoIterator<Item = (String, Vec<ListingGrant>)>) -> Self {
        Self {
            grants: grants.into_iter().collect(),
        }
    }

    /// Whether S3 would answer this caller's GET or HEAD of a missing object with 403: the
    /// request is a signed S3 object request (path-style) from a function the template
    /// describes, and none of its grants lists the key.
    pub fn hides_missing_key(&self, headers: &HeaderMap, path: &str) -> bool {
        let Some(access_key) = s3_access_key(headers) else {
            return false;
        };
        let Some(grants) = self.grants.get(access_key) else {
            return false;
        };
        let path = path.split('?').next().unwrap_or_default();
        let Some((bucket, key)) = path.trim_start_matches('/').split_once('/') else {
            return false;
        };
        !key.is_empty() && !grants.iter().any(|grant| grant.covers(bucket, key))
    }
}

/// The access key id of a SigV4 `Authorization` header whose credential scope is S3.
fn s3_access_key(headers: &HeaderMap) -> Option<&str> {
    let authorization = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let credential = authorization
        .split([' ', ','])
        .find_map(|part| part.strip_prefix("Credential="))?;
    let mut scope = credential.split('/');
    let access_key = scope.next()?;
    let service = scope.nth(2)?;
    (service == "s3").then_some(access_key)
}

/// S3's body for a refused GET (a HEAD answer has none).
pub fn access_denied_body() -> &'static str {
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn signed_by(access_key: &str, service: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!(
            "AWS4-HMAC-SHA256 Credential={access_key}/20261207/us-east-1/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=00"
        );
        headers.insert(AUTHORIZATION, value.parse().expect("header"));
        headers
    }

    fn access() -> S3Access {
        let api = listing_grants(&json!([{"Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::uploads/uploads/*"}
        ]}]));
        let worker = listing_grants(&json!([{"Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::uploads",
             "Condition": {"StringLike": {"s3:prefix": ["text/*", "results/*"]}}}
        ]}]));
        let reader = listing_grants(&json!([{"S3ReadPolicy": {"BucketName": "uploads"}}]));
        S3Access::new([
            ("local-api".to_owned(), api),
            ("local-worker".to_owned(), worker),
            ("local-reader".to_owned(), reader),
        ])
    }

    #[test]
    fn a_caller_without_listing_cannot_tell_a_missing_key() {
        let access = access();
        assert!(access.hides_missing_key(&signed_by("local-api", "s3"), "/uploads/uploads/f1"));
        assert!(access.hides_missing_key(
            &signed_by("local-api", "s3"),
            "/uploads/uploads/f1?partNumber=1"
        ));
    }

    #[test]
    fn listing_under_a_prefix_condition_covers_only_those_keys() {
        let access = access();
        let worker = signed_by("local-worker", "s3");
        assert!(!access.hides_missing_key(&worker, "/uploads/text/j1/f1.txt"));
        assert!(access.hides_missing_key(&worker, "/uploads/uploads/f1"));
        assert!(access.hides_missing_key(&worker, "/another-bucket/text/f1"));
    }

    #[test]
    fn sam_read_policies_list_the_whole_bucket() {
        let access = access();
        assert!(!access.hides_missing_key(&signed_by("local-reader", "s3"), "/uploads/any/key"));
    }

    #[test]
    fn unknown_callers_other_services_and_bucket_requests_keep_motos_answer() {
        let access = access();
        assert!(!access.hides_missing_key(&signed_by("local", "s3"), "/uploads/uploads/f1"));
        assert!(
            !access.hides_missing_key(&signed_by("local-api", "dynamodb"), "/uploads/uploads/f1")
        );
        assert!(!access.hides_missing_key(&signed_by("local-api", "s3"), "/uploads"));
        assert!(!access.hides_missing_key(&signed_by("local-api", "s3"), "/uploads/"));
        assert!(!access.hides_missing_key(&HeaderMap::new(), "/uploads/uploads/f1"));
    }

    #[test]
    fn denials_and_object_arns_grant_no_listing() {
        let grants = listing_grants(&json!([{"Statement": [
            {"Effect": "Deny", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::uploads"},
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::uploads/text/*"}
        ]}, "AWSLambdaBasicExecutionRole"]));
        assert!(grants.is_empty(), "{grants:?}");
    }
}
