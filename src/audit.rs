//! The audit log: one JSON line per tool call a script made (`.skillet/audit.jsonl`), with the
//! decision taken, sizes and SHA-256 digests of what went out and came back (never the values),
//! timing and outcome. Appended by every run, read by `skillet audit`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// What happened to a call before (or instead of) reaching its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allowed,
    Denied,
    Approved,
    /// A human said no, or nobody could be asked.
    Refused,
    FlowDenied,
    /// The run ended while the call waited to be decided (for its server to start, or for a
    /// person's approval): it was never sent.
    Undecided,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    pub run: String,
    pub server: String,
    pub tool: String,
    pub decision: Decision,
    /// Bytes and digest of the arguments as sent (after tokens were restored).
    pub args_bytes: usize,
    pub args_sha256: String,
    /// Bytes and digest of the result as received (before tokenization); absent when no result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_bytes: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_sha256: Option<String>,
    pub duration_ms: f64,
    /// `ok`, `tool_error` (the tool answered isError), `error` (no answer), or `not_called`.
    pub outcome: String,
    /// Where the answer came from: the live server, the run's cache, or a record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Something that happened during the call (its line's `outcome` is the event's kind):
    /// a retry, or the server asking a person for input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<Event>,
}

/// What happened during a call, beside its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// Attempt `attempt` (2 for the first retry) after a transient failure (`reason`:
    /// `connection_closed`, `timeout`, `http_503`, ...) and a wait of `wait_ms`.
    Retry {
        attempt: u32,
        reason: String,
        wait_ms: u64,
    },
    /// The server asked for input (`elicitation/create`): its message and what the person did
    /// (`accept`, `decline`, `cancel`); never what they answered. `answered: false` when
    /// nobody could be asked.
    Elicitation {
        message: String,
        action: String,
        answered: bool,
    },
}

impl Event {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Retry { .. } => "retry",
            Self::Elicitation { .. } => "elicitation",
        }
    }
}

/// Size and SHA-256 (hex) of a JSON value as compact text. The text is hashed as it is
/// written, in the serializer's small pieces, never built whole: this runs once or twice per
/// tool call, on the call's path.
pub fn digest(value: &impl Serialize) -> (usize, String) {
    struct Hashing {
        hasher: Sha256,
        bytes: usize,
    }
    impl std::io::Write for Hashing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.hasher.update(buf);
            self.bytes += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let fresh = || Hashing {
        hasher: Sha256::new(),
        bytes: 0,
    };
    // The serializer writes a few bytes at a time: the hasher takes them in 4 KiB pieces.
    let mut writer = std::io::BufWriter::with_capacity(4096, fresh());
    let hashing = match serde_json::to_writer(&mut writer, value)
        .map_err(std::io::Error::from)
        .and_then(|()| writer.into_inner().map_err(|e| e.into_error()))
    {
        Ok(hashing) => hashing,
        // As before: a value that does not serialize is digested as no text.
        Err(_) => fresh(),
    };
    (hashing.bytes, format!("{:x}", hashing.hasher.finalize()))
}

/// The audit log of one run (or session): lines are kept and written together, when the run
/// ends ([`AuditLog::flush`], or when the log is dropped) or once [`AuditLog::BUFFER_BYTES`]
/// are waiting; a write per call cost more than the rest of the call's governance. Each write
/// is whole lines in one `write` on a file opened for appending, so concurrent runs and
/// processes never interleave within a line.
pub struct AuditLog {
    path: PathBuf,
    state: Mutex<LogState>,
}

#[derive(Default)]
struct LogState {
    file: Option<std::fs::File>,
    pending: Vec<u8>,
}

impl AuditLog {
    pub const BUFFER_BYTES: usize = 64 * 1024;

    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            state: Mutex::new(LogState::default()),
        }
    }

    #[cfg(test)]
    fn path(&self) -> &Path {
        &self.path
    }

    /// Adds one entry as one line. A log that cannot be written is reported, not fatal to the
    /// call.
    pub fn append(&self, entry: &Entry) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if serde_json::to_writer(&mut state.pending, entry).is_err() {
            return;
        }
        state.pending.push(b'\n');
        if state.pending.len() >= Self::BUFFER_BYTES {
            self.write(&mut state);
        }
    }

    /// Writes the lines kept so far.
    pub fn flush(&self) {
        if let Ok(mut state) = self.state.lock() {
            self.write(&mut state);
        }
    }

    fn write(&self, state: &mut LogState) {
        if state.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut state.pending);
        if state.file.is_none() {
            if let Some(dir) = self.path.parent() {
                let _ = fs_err::create_dir_all(dir);
            }
            match std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
            {
                Ok(f) => state.file = Some(f),
                Err(e) => {
                    tracing::warn!("cannot open the audit log {}: {e}", self.path.display());
                    return;
                }
            }
        }
        if let Some(f) = state.file.as_mut()
            && let Err(e) = f.write_all(&pending)
        {
            tracing::warn!("cannot write the audit log {}: {e}", self.path.display());
        }
    }
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Reads the log, skipping (and counting) lines that do not parse, non-UTF-8 ones included: one
/// damaged line never hides the others.
pub fn read(path: &Path) -> std::io::Result<(Vec<Entry>, usize)> {
    let bytes = match fs_err::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(e),
    };
    let mut entries = Vec::new();
    let mut bad = 0;
    for line in bytes.split(|&b| b == b'\n') {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice(line) {
            Ok(entry) => entries.push(entry),
            Err(_) => bad += 1,
        }
    }
    Ok((entries, bad))
}

/// Parses `--since`: an RFC 3339 time, a date (`2026-11-25`), or an age (`30m`, `2h`, `7d`).
pub fn parse_since(text: &str, now: chrono::DateTime<chrono::Utc>) -> Result<String, String> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(t
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let t = d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
        if let Some(t) = t {
            return Ok(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
        }
    }
    let unit_at = text.char_indices().last().map_or(0, |(i, _)| i);
    let (number, unit) = text.split_at(unit_at);
    let seconds: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => 0,
    };
    let since = number
        .parse::<i64>()
        .ok()
        .filter(|n| seconds > 0 && *n >= 0)
        .and_then(|n| n.checked_mul(seconds))
        .and_then(chrono::Duration::try_seconds)
        .and_then(|age| now.checked_sub_signed(age));
    match since {
        Some(t) => Ok(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        None => Err(format!(
            "`{text}` is not a time: give an RFC 3339 time (2026-11-25T10:00:00Z), a date (2026-11-25) or an age (30m, 2h, 7d)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_that_of_the_compact_text() {
        for value in [
            serde_json::json!({"text": "x\"y".repeat(5000), "n": [1, 2.5, null]}),
            serde_json::json!("short"),
            serde_json::json!({}),
        ] {
            let text = serde_json::to_vec(&value).unwrap();
            assert_eq!(
                digest(&value),
                (text.len(), format!("{:x}", Sha256::digest(&text)))
            );
        }
    }

    fn entry(run: &str) -> Entry {
        let (args_bytes, args_sha256) = digest(&serde_json::json!({"a": 1}));
        Entry {
            time: "2026-11-25T10:00:00.000Z".into(),
            run: run.into(),
            server: "s".into(),
            tool: "t".into(),
            decision: Decision::Allowed,
            args_bytes,
            args_sha256,
            result_bytes: None,
            result_sha256: None,
            duration_ms: 1.0,
            outcome: "ok".into(),
            source: None,
            event: None,
        }
    }

    #[test]
    fn appends_and_reads_back() {
        let tmp = tempfile::tempdir().unwrap();
        let log = AuditLog::new(tmp.path().join("sub/audit.jsonl"));
        log.append(&entry("r1"));
        log.append(&entry("r2"));
        // Kept until the run's end (or a full buffer), then written whole.
        assert_eq!(read(log.path()).unwrap().0.len(), 0);
        log.flush();
        let (entries, bad) = read(log.path()).unwrap();
        assert_eq!(bad, 0);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].run, "r2");
        assert_eq!(entries[0].args_bytes, 7);
        assert_eq!(
            entries[0].args_sha256,
            "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"
        );
        // Dropping the log writes what is left; a full buffer is written at once.
        log.append(&entry("r3"));
        drop(log);
        let log = AuditLog::new(tmp.path().join("sub/audit.jsonl"));
        assert_eq!(read(log.path()).unwrap().0.len(), 3);
        while log.state.lock().unwrap().pending.len() < AuditLog::BUFFER_BYTES - 400 {
            log.append(&entry("r4"));
        }
        log.append(&entry("r4"));
        log.append(&entry("r4"));
        assert!(read(log.path()).unwrap().0.len() > 3);
    }

    #[test]
    fn since_accepts_times_dates_and_ages() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_since("2h", now).unwrap(), "2026-11-25T10:00:00.000Z");
        assert_eq!(
            parse_since("2026-11-24", now).unwrap(),
            "2026-11-24T00:00:00.000Z"
        );
        assert_eq!(
            parse_since("2026-11-25T11:00:00+01:00", now).unwrap(),
            "2026-11-25T10:00:00.000Z"
        );
        assert!(parse_since("soon", now).is_err());
        assert!(parse_since("5é", now).is_err());
        assert!(parse_since("é", now).is_err());
        assert!(parse_since("", now).is_err());
        assert!(parse_since("99999999999999999d", now).is_err());
    }
}
