//! One JSON POST with every failure named: the part all providers share.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::StatusCode;
use serde_json::Value;

use crate::{HttpStatus, LabelConfig, LabelError, Misconfigured, Upstream};

/// A reqwest client with the configured timeout covering connect, request and response; a
/// call may be given less (what is left of the labeling's deadline).
#[derive(Debug, Clone)]
pub(crate) struct JsonClient {
    client: reqwest::Client,
}

impl JsonClient {
    pub(crate) fn new(config: &LabelConfig) -> Result<JsonClient, LabelError> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .build()
            .map_err(Misconfigured::HttpClient)?;
        Ok(JsonClient { client })
    }

    /// POSTs `body` as JSON and returns the response's JSON, or the named failure; the whole
    /// exchange gets at most `timeout`.
    pub(crate) async fn post(
        &self,
        url: &str,
        headers: &[(&'static str, &str)],
        body: &Value,
        timeout: Duration,
    ) -> Result<Value, LabelError> {
        let mut header_map = HeaderMap::new();
        for (name, value) in headers {
            let mut value =
                HeaderValue::from_str(value).map_err(|_| Misconfigured::Header(name))?;
            value.set_sensitive(true);
            header_map.insert(HeaderName::from_static(name), value);
        }
        let response = self
            .client
            .post(url)
            .headers(header_map)
            .json(body)
            .timeout(timeout)
            .send()
            .await
            .map_err(|err| transport_error(err, timeout))?;
        let status = response.status();
        let retry_after = retry_after_header(response.headers());
        let bytes = response
            .bytes()
            .await
            .map_err(|err| transport_error(err, timeout))?;
        let json: Result<Value, serde_json::Error> = serde_json::from_slice(&bytes);
        if !status.is_success() {
            return Err(status_error(status, retry_after, json.as_ref().ok()));
        }
        let json = json.map_err(|source| Upstream::NotJson {
            bytes: bytes.len(),
            source,
        })?;
        Ok(json)
    }
}

/// The URL is dropped from the kept error: it names the provider's endpoint, and some
/// providers accept a key in it.
fn transport_error(err: reqwest::Error, timeout: Duration) -> LabelError {
    let err = err.without_url();
    if err.is_timeout() {
        LabelError::Timeout(timeout)
    } else if err.is_connect() {
        Upstream::Connect(err).into()
    } else if err.is_body() || err.is_decode() {
        Upstream::BrokeOff(err).into()
    } else {
        Upstream::Transport(err).into()
    }
}

/// Maps a non-success status to its error.
fn status_error(
    status: StatusCode,
    retry_after: Option<Duration>,
    body: Option<&Value>,
) -> LabelError {
    let described = HttpStatus {
        status: status.as_u16(),
        code: body.and_then(error_code),
    };
    match status.as_u16() {
        429 => LabelError::RateLimited {
            retry_after: retry_after.or_else(|| body.and_then(google_retry_delay)),
        },
        401 | 403 => LabelError::Auth(described),
        408 => Upstream::ProviderTimeout(described).into(),
        500..=599 => Upstream::Status(described).into(),
        _ => Misconfigured::Refused(described).into(),
    }
}

/// A short machine-readable error code from the provider's error body (OpenAI `error.code`
/// or `error.type`, Anthropic `error.type`, Gemini `error.status`). Messages are not used:
/// they could quote the request.
fn error_code(body: &Value) -> Option<String> {
    let error = body.get("error")?;
    ["code", "type", "status"]
        .iter()
        .filter_map(|field| error.get(*field).and_then(Value::as_str))
        .find(|code| {
            !code.is_empty()
                && code.len() <= 48
                && code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
        })
        .map(str::to_owned)
}

/// `Retry-After` as delay-seconds or an HTTP date.
fn retry_after_header(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    parse_retry_after(value, SystemTime::now())
}

pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        if (0.0..1e9).contains(&seconds) {
            return Some(Duration::from_secs(seconds.ceil() as u64));
        }
        return None;
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Gemini puts the delay in the body: `error.details[].retryDelay = "20s"`.
fn google_retry_delay(body: &Value) -> Option<Duration> {
    body.get("error")?
        .get("details")?
        .as_array()?
        .iter()
        .filter_map(|detail| detail.get("retryDelay").and_then(Value::as_str))
        .find_map(|delay| {
            let seconds: f64 = delay.trim().strip_suffix('s')?.parse().ok()?;
            (0.0..1e9)
                .contains(&seconds)
                .then(|| Duration::from_secs(seconds.ceil() as u64))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn retry_after_as_seconds_or_date() {
        let now = httpdate::parse_http_date("Wed, 25 Nov 2026 10:00:00 GMT").expect("date");
        assert_eq!(parse_retry_after("20", now), Some(Duration::from_secs(20)));
        assert_eq!(parse_retry_after("1.5", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 10:00:42 GMT", now),
            Some(Duration::from_secs(42))
        );
        assert_eq!(
            parse_retry_after("Wed, 25 Nov 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("1e300", now), None);
    }

    #[test]
    fn gemini_retry_delay_from_the_body() {
        let body = json!({"error": {"details": [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure"},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"}
        ]}});
        assert_eq!(google_retry_delay(&body), Some(Duration::from_secs(17)));
        assert_eq!(google_retry_delay(&json!({"error": "x"})), None);
    }

    #[test]
    fn status_codes_map_to_errors_without_quoting_messages() {
        let body = json!({"error": {"message": "bad input: 저는 홍길동", "type": "invalid_request_error"}});
        let error = status_error(StatusCode::BAD_REQUEST, None, Some(&body));
        assert_eq!(
            error.cause_line(),
            "labeler misconfigured: the provider refused the request: HTTP 400 invalid_request_error"
        );
        assert!(!error.cause_line().contains("홍길동"));
        assert!(matches!(
            status_error(StatusCode::FORBIDDEN, None, None),
            LabelError::Auth(_)
        ));
        assert!(matches!(
            status_error(StatusCode::BAD_GATEWAY, None, None),
            LabelError::Upstream(_)
        ));
        assert!(matches!(
            status_error(
                StatusCode::TOO_MANY_REQUESTS,
                Some(Duration::from_secs(3)),
                None
            ),
            LabelError::RateLimited {
                retry_after: Some(wait)
            } if wait == Duration::from_secs(3)
        ));
    }
}
