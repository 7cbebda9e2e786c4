//! Retries of calls that failed for a transient reason.
//!
//! A call is retried only when its tool's annotations say `readOnlyHint: true` or
//! `idempotentHint: true` (sending it again cannot repeat an effect), and only for failures that
//! may pass: the connection closed (a crashed stdio server is started again), HTTP 5xx, HTTP 429
//! (after its `Retry-After` when the server gives one), and the call timeout. Waits grow
//! exponentially from `initial_backoff_ms`, with jitter (each wait is drawn between half and all
//! of its exponential step), capped at `max_backoff_ms`; a server's `Retry-After` longer than
//! the cap ends the retries. Each attempt gets the call timeout; no wait starts that would end
//! past the caller's deadline (a run's). Every retry is reported to the caller as a
//! [`CallEvent::Retry`] (the sandbox audits it).

use std::time::Duration;

use super::UpstreamError;
use crate::config::RetrySettings;
use crate::tool::ToolSpec;

/// Why a failure may pass on its own, as audited (`connection_closed`, `http_503`,
/// `http_429`, `timeout`), and how long the server asked to wait.
pub(crate) fn transient(error: &UpstreamError) -> Option<(String, Option<Duration>)> {
    match error {
        UpstreamError::ConnectionClosed { .. } => Some(("connection_closed".into(), None)),
        UpstreamError::CallTimeout { .. } => Some(("timeout".into(), None)),
        UpstreamError::HttpStatus {
            status,
            retry_after,
            ..
        } if *status == 429 || (500..600).contains(status) => {
            Some((format!("http_{status}"), *retry_after))
        }
        _ => None,
    }
}

/// Whether the tool says a repeated call has no further effect.
pub(crate) fn idempotent(spec: Option<&ToolSpec>) -> bool {
    let hint = |name: &str| {
        spec.and_then(|s| s.annotations.as_ref())
            .and_then(|a| a.get(name))
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    };
    hint("readOnlyHint") || hint("idempotentHint")
}

/// The wait before retry number `retry` (1 for the first retry): `Retry-After` when the server
/// gave one (`None` when it is past the cap), else the exponential step with jitter, capped.
pub(crate) fn wait(
    policy: &RetrySettings,
    retry: u32,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Option<Duration> {
    let cap = Duration::from_millis(policy.max_backoff_ms);
    if let Some(asked) = retry_after {
        return (asked <= cap).then_some(asked);
    }
    let step = Duration::from_millis(policy.initial_backoff_ms)
        .saturating_mul(1 << retry.saturating_sub(1).min(20))
        .min(cap);
    Some(step.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0)))
}

/// A number in [0, 1) for the jitter, from the OS's random source.
pub(crate) fn jitter() -> f64 {
    use rand_core::RngCore as _;
    f64::from(rand_core::OsRng.next_u32()) / (f64::from(u32::MAX) + 1.0)
}

/// A `Retry-After` value: delay-seconds, or an HTTP date (as the time left until it).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let left = at.signed_duration_since(chrono::Utc::now());
    Some(left.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetrySettings {
        RetrySettings {
            attempts: 5,
            initial_backoff_ms: 100,
            max_backoff_ms: 1_000,
            ..RetrySettings::default()
        }
    }

    #[test]
    fn waits_double_with_jitter_up_to_the_cap() {
        let p = policy();
        assert_eq!(wait(&p, 1, None, 1.0), Some(Duration::from_millis(100)));
        assert_eq!(wait(&p, 1, None, 0.0), Some(Duration::from_millis(50)));
        assert_eq!(wait(&p, 3, None, 1.0), Some(Duration::from_millis(400)));
        assert_eq!(wait(&p, 30, None, 1.0), Some(Duration::from_millis(1_000)));
        let j = jitter();
        assert!((0.0..1.0).contains(&j));
    }

    #[test]
    fn retry_after_is_taken_unless_past_the_cap() {
        let p = policy();
        let asked = Some(Duration::from_millis(700));
        assert_eq!(wait(&p, 1, asked, 0.3), asked);
        assert_eq!(wait(&p, 1, Some(Duration::from_secs(2)), 0.3), None);
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn only_transient_failures_of_idempotent_tools_qualify() {
        let closed = UpstreamError::ConnectionClosed {
            server: "s".into(),
            stderr_tail: Vec::new(),
            log: None,
        };
        assert_eq!(transient(&closed).unwrap().0, "connection_closed");
        let busy = UpstreamError::HttpStatus {
            server: "s".into(),
            status: 429,
            retry_after: Some(Duration::from_secs(1)),
            message: String::new(),
        };
        assert_eq!(
            transient(&busy),
            Some(("http_429".into(), Some(Duration::from_secs(1))))
        );
        let refused = UpstreamError::Protocol {
            server: "s".into(),
            message: "no".into(),
        };
        assert!(transient(&refused).is_none());
        let spec = |annotations: serde_json::Value| ToolSpec {
            annotations: Some(annotations),
            ..serde_json::from_value(serde_json::json!({"name": "t", "inputSchema": {}})).unwrap()
        };
        assert!(idempotent(Some(&spec(
            serde_json::json!({"readOnlyHint": true})
        ))));
        assert!(idempotent(Some(&spec(
            serde_json::json!({"idempotentHint": true})
        ))));
        assert!(!idempotent(Some(&spec(
            serde_json::json!({"destructiveHint": false})
        ))));
        assert!(!idempotent(None));
    }
}
