//! Offline token counts (o200k, the encoding of current OpenAI models) for the context reports.

use serde::{Deserialize, Serialize};

use crate::sandbox::ToolCallRecord;
use crate::tool::ToolSpec;

/// Tokens of `text` in the o200k encoding. The first call loads the encoding (about 150 ms).
pub fn count(text: &str) -> usize {
    tiktoken_rs::o200k_base_singleton()
        .encode_with_special_tokens(text)
        .len()
}

/// Counts many texts with a bounded amount of exact work: the first [`Self::EXACT_BYTES`] are
/// counted exactly, and each text after that by an exact count of its first
/// [`Self::SAMPLE_BYTES`], scaled to its length. A run's report must not take longer than the
/// run: tokenizing runs at tens of megabytes a second, and a run may read a gigabyte.
#[derive(Debug)]
pub struct BoundedCounter {
    exact_left: usize,
    /// Whether some text was estimated.
    pub estimated: bool,
}

impl Default for BoundedCounter {
    fn default() -> Self {
        Self {
            exact_left: Self::EXACT_BYTES,
            estimated: false,
        }
    }
}

impl BoundedCounter {
    pub const EXACT_BYTES: usize = 4 << 20;
    pub const SAMPLE_BYTES: usize = 16 << 10;

    pub fn count(&mut self, text: &str) -> usize {
        if let Some(left) = self.exact_left.checked_sub(text.len()) {
            self.exact_left = left;
            return count_remembered(text);
        }
        self.estimated = true;
        let sample = &text[..text.floor_char_boundary(Self::SAMPLE_BYTES)];
        let tokens = count(sample);
        if sample.len() == text.len() || sample.is_empty() {
            return tokens;
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let scaled = (tokens as f64 * text.len() as f64 / sample.len() as f64).round() as usize;
        scaled
    }
}

/// [`count`], remembered by content for texts long enough to be worth it: a long-lived
/// process (`serve`) counts the same tool results again and again (an agent re-running a
/// script it is fixing gets the same answers), and hashing is a hundred times quicker than
/// tokenizing.
fn count_remembered(text: &str) -> usize {
    use std::collections::HashMap;
    use std::hash::{BuildHasher as _, BuildHasherDefault, DefaultHasher};
    use std::sync::{LazyLock, Mutex};
    /// Shorter texts are counted each time (about as quick as looking them up).
    const REMEMBERED_FROM: usize = 512;
    /// Counts kept at most; the table starts over beyond.
    const MAX_REMEMBERED: usize = 16_384;
    static COUNTS: LazyLock<Mutex<HashMap<(u64, usize), usize>>> = LazyLock::new(Default::default);
    if text.len() < REMEMBERED_FROM {
        return count(text);
    }
    let key = (
        BuildHasherDefault::<DefaultHasher>::default().hash_one(text),
        text.len(),
    );
    if let Some(n) = COUNTS.lock().ok().and_then(|c| c.get(&key).copied()) {
        return n;
    }
    let n = count(text);
    if let Ok(mut counts) = COUNTS.lock() {
        if counts.len() >= MAX_REMEMBERED {
            counts.clear();
        }
        counts.insert(key, n);
    }
    n
}

/// Tokens of tool definitions as `tools/list` gives them to a model. Counts are remembered
/// by content, since every run's report counts the whole catalog.
pub fn definitions(tools: &[&ToolSpec]) -> usize {
    use std::collections::HashMap;
    use std::hash::{BuildHasher as _, BuildHasherDefault, DefaultHasher};
    use std::sync::{LazyLock, Mutex};
    static COUNTS: LazyLock<Mutex<HashMap<u64, usize>>> = LazyLock::new(Default::default);
    let hasher = BuildHasherDefault::<DefaultHasher>::default();
    tools
        .iter()
        .map(|t| {
            let json = serde_json::to_string(t).unwrap_or_default();
            let key = hasher.hash_one(&json);
            if let Some(n) = COUNTS.lock().ok().and_then(|c| c.get(&key).copied()) {
                return n;
            }
            let n = count(&json);
            if let Ok(mut counts) = COUNTS.lock() {
                if counts.len() > 100_000 {
                    counts.clear();
                }
                counts.insert(key, n);
            }
            n
        })
        .sum()
}

/// What a run's record keeps so that its [`TokenReport`] can be counted when someone reads it
/// (`skillet runs show`) rather than on the run's path: everything else the report needs is in
/// the record (its calls, result, limits) and its output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenBasis {
    /// The digest of the tool catalog the run saw (`api::catalog_digest`). A report counted
    /// against a different catalog is marked `estimated`.
    pub catalog: String,
}

/// Loads the encoding, so that the first [`count`] after it is quick (`serve` does this at
/// start, off the path of its first run).
pub fn warm_up() {
    let _ = tiktoken_rs::o200k_base_singleton();
}

/// What a run cost the model in code mode, against doing the same work by direct tool calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenReport {
    /// Tokens returned to the model: the (cut) output and the default export's JSON.
    pub returned: usize,
    /// Tokens of every call's arguments and result, which direct calling passes through the
    /// model.
    pub passed_through: usize,
    /// Definitions of the distinct tools the run called.
    pub used_definitions: usize,
    /// Definitions of every upstream tool (what a client loads up front).
    pub all_definitions: usize,
    pub tools_used: usize,
    pub tools_total: usize,
    /// Whether the report is partly estimated: `passed_through` of runs that moved more than a
    /// few megabytes (see [`BoundedCounter`]), or definitions counted later against a catalog
    /// that changed since the run (see [`TokenBasis`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub estimated: bool,
}

impl TokenReport {
    /// Direct calling with only the used tools' definitions loaded.
    pub fn direct_used(&self) -> usize {
        self.used_definitions + self.passed_through
    }

    /// Direct calling with every definition loaded.
    pub fn direct_all(&self) -> usize {
        self.all_definitions + self.passed_through
    }

    /// Counts a run. `returned` is the text the model got back; `catalog` every upstream tool
    /// by server, and `all_definitions` the tokens of all their definitions (counted once per
    /// catalog by the caller: a big catalog costs milliseconds to count).
    pub fn measure(
        returned: &str,
        calls: &[ToolCallRecord],
        catalog: &std::collections::BTreeMap<String, Vec<ToolSpec>>,
        all_definitions: usize,
    ) -> Self {
        let mut passed_through = 0;
        let mut counter = BoundedCounter::default();
        let mut used = std::collections::BTreeSet::new();
        for call in calls {
            used.insert((call.server.as_str(), call.tool.as_str()));
            passed_through +=
                counter.count(&serde_json::to_string(&call.arguments).unwrap_or_default());
            if let Some(result) = &call.result {
                passed_through += match &result.structured_content {
                    Some(v) => counter.count(&serde_json::to_string(v).unwrap_or_default()),
                    None => {
                        counter.count(&serde_json::to_string(&result.content).unwrap_or_default())
                    }
                };
            }
        }
        let used_specs: Vec<&ToolSpec> = catalog
            .iter()
            .flat_map(|(server, tools)| tools.iter().map(move |t| (server, t)))
            .filter(|(server, t)| used.contains(&(server.as_str(), t.name.as_str())))
            .map(|(_, t)| t)
            .collect();
        Self {
            returned: count(returned),
            passed_through,
            used_definitions: definitions(&used_specs),
            all_definitions,
            tools_used: used.len(),
            tools_total: catalog.values().map(Vec::len).sum(),
            estimated: counter.estimated,
        }
    }

    /// One line for people: `412 tokens returned; direct calling: 88,310 (only the 3 tools
    /// used) to 90,022 (all 7 tools)`.
    pub fn summary(&self) -> String {
        format!(
            "{} tokens returned to the model; direct calling would take {}{} (definitions of the {} tools used) to {} (all {} tools)",
            thousands(self.returned),
            if self.estimated { "about " } else { "" },
            thousands(self.direct_used()),
            self.tools_used,
            thousands(self.direct_all()),
            self.tools_total
        )
    }
}

/// `12345` as `12,345`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_stable() {
        assert_eq!(count(""), 0);
        assert_eq!(count("hello world"), 2);
    }

    #[test]
    fn long_texts_are_estimated_from_a_sample() {
        let mut counter = BoundedCounter::default();
        let small = "The quick brown fox jumps over the lazy dog. ".repeat(100);
        assert_eq!(counter.count(&small), count(&small));
        assert!(!counter.estimated);
        // Past the exact budget: a sample, scaled, within a few percent for regular text.
        let big = "Ünïcode prose, with numbers 12345 and words. ".repeat(200_000);
        let estimate = counter.count(&big);
        assert!(counter.estimated);
        let exact = count(&big);
        let error = estimate.abs_diff(exact) as f64 / exact as f64;
        assert!(error < 0.05, "estimate {estimate}, exact {exact}");
        // Cut on a character boundary, whatever the bytes.
        let mut counter = BoundedCounter {
            exact_left: 0,
            estimated: false,
        };
        assert!(counter.count(&"é".repeat(BoundedCounter::SAMPLE_BYTES)) > 0);
        assert_eq!(counter.count(""), 0);
    }

    #[test]
    fn remembered_counts_match_fresh_ones() {
        let long = "A result a script reads again: 2024-01-15, id doc-42. ".repeat(40);
        let first = count_remembered(&long);
        assert_eq!(first, count(&long));
        assert_eq!(count_remembered(&long), first);
        // Same length, other text: counted, not taken for the first.
        let other = long.replace("again", "AGAIN");
        assert_eq!(other.len(), long.len());
        assert_eq!(count_remembered(&other), count(&other));
        assert_eq!(count_remembered("short"), count("short"));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn a_report_counts_each_part() {
        let spec: ToolSpec = serde_json::from_value(serde_json::json!({
            "name": "echo", "description": "Echo the message", "inputSchema": {"type": "object"}
        }))
        .unwrap();
        let other: ToolSpec = serde_json::from_value(serde_json::json!({
            "name": "other", "inputSchema": {"type": "object"}
        }))
        .unwrap();
        let catalog = std::collections::BTreeMap::from([("s".to_owned(), vec![spec, other])]);
        let call: ToolCallRecord = serde_json::from_value(serde_json::json!({
            "index": 0, "server": "s", "tool": "echo", "arguments": {"message": "hello world"},
            "result": {"content": [{"type": "text", "text": "Echo: hello world"}], "isError": false},
            "started_ms": 0.0, "duration_ms": 1.0, "source": "live"
        }))
        .unwrap();
        let all: Vec<&ToolSpec> = catalog.values().flatten().collect();
        let report = TokenReport::measure("done", &[call], &catalog, definitions(&all));
        assert_eq!(report.returned, 1);
        assert_eq!(report.tools_used, 1);
        assert_eq!(report.tools_total, 2);
        assert!(report.passed_through > 5);
        assert!(report.used_definitions < report.all_definitions);
        assert_eq!(
            report.direct_used(),
            report.used_definitions + report.passed_through
        );
    }
}
