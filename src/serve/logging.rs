//! `logging/setLevel` and the log messages a session gets: each `run_code` run, as it ends
//! (info when it succeeded, warning when it failed, with its report as data).
//!
//! Logging is deprecated by SEP-2577 but part of 2025-11-25, which skillet serves; a client
//! that never sets a level gets no log messages.
#![allow(deprecated)]

use std::sync::Mutex;

use rmcp::model::{LoggingLevel, LoggingMessageNotificationParam, SetLevelRequestParams};
use rmcp::{Peer, RoleServer};
use serde_json::Value;

/// One session's log level: `None` until the client sets one.
#[derive(Default)]
pub(crate) struct SessionLog {
    level: Mutex<Option<LoggingLevel>>,
}

impl SessionLog {
    pub(crate) fn set(&self, request: &SetLevelRequestParams) {
        if let Ok(mut level) = self.level.lock() {
            *level = Some(request.level);
        }
    }

    /// Tells the client a run ended, if its level admits the message.
    pub(crate) async fn run_ended(&self, peer: &Peer<RoleServer>, ok: bool, report: Value) {
        let level = if ok {
            LoggingLevel::Info
        } else {
            LoggingLevel::Warning
        };
        if !self.admits(level) {
            return;
        }
        let message = LoggingMessageNotificationParam::new(level, report).with_logger("run_code");
        if let Err(e) = peer.notify_logging_message(message).await {
            tracing::debug!("could not send a log message: {e}");
        }
    }

    fn admits(&self, level: LoggingLevel) -> bool {
        match self.level.lock() {
            Ok(set) => set.is_some_and(|min| rank(level) >= rank(min)),
            Err(_) => false,
        }
    }
}

/// Severity order (RFC 5424, as the specification lists the levels).
fn rank(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_level_admits_itself_and_above() {
        let log = SessionLog::default();
        assert!(
            !log.admits(LoggingLevel::Emergency),
            "nothing before a level is set"
        );
        log.set(&SetLevelRequestParams::new(LoggingLevel::Warning));
        assert!(log.admits(LoggingLevel::Warning) && log.admits(LoggingLevel::Error));
        assert!(!log.admits(LoggingLevel::Info));
        log.set(&SetLevelRequestParams::new(LoggingLevel::Debug));
        assert!(log.admits(LoggingLevel::Info));
    }
}
