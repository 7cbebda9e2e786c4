//! The measure: recall on documents with personal data, false positives on documents without.

use std::collections::BTreeMap;
use std::fmt;

use super::{Generator, SAMPLE_KINDS};
use crate::privacy::detect::Detector;

/// Found / expected for one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KindRecall {
    pub expected: usize,
    pub found: usize,
}

impl KindRecall {
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.expected)
    }
}

/// What [`evaluate`] measured.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityReport {
    pub seed: u64,
    /// Documents with personal data (there are as many PII-free ones).
    pub documents: usize,
    /// Ground-truth items, and how many a span of the same kind covered exactly.
    pub expected: usize,
    pub found: usize,
    pub recall: f64,
    /// By kind label.
    pub per_kind: BTreeMap<String, KindRecall>,
    /// Spans found in the PII-free documents.
    pub false_positives: usize,
    /// Words (whitespace-separated) in the PII-free documents.
    pub words_clean: usize,
    pub false_positives_per_10k_words: f64,
    /// Spans in the documents with personal data that match no ground-truth item exactly.
    pub spurious: usize,
    /// A few misses and false positives (kind, text), for the report.
    pub missed_samples: Vec<(String, String)>,
    pub false_positive_samples: Vec<(String, String)>,
}

const SAMPLES: usize = 10;

/// Generates `documents` documents with personal data and as many without from `seed`, runs
/// the built-in detectors over them, and reports recall and false positives.
pub fn evaluate(seed: u64, documents: usize) -> QualityReport {
    let detector = Detector::builtin();
    let mut generator = Generator::new(seed);
    let mut per_kind: BTreeMap<String, KindRecall> = SAMPLE_KINDS
        .iter()
        .map(|k| (k.label().to_owned(), KindRecall::default()))
        .collect();
    let (mut expected, mut found, mut spurious) = (0, 0, 0);
    let mut missed_samples = Vec::new();
    for _ in 0..documents {
        let doc = generator.pii_document();
        let spans = detector.find(&doc.text);
        for truth in &doc.truth {
            let entry = per_kind.entry(truth.kind.label().to_owned()).or_default();
            entry.expected += 1;
            expected += 1;
            if spans.contains(truth) {
                entry.found += 1;
                found += 1;
            } else if missed_samples.len() < SAMPLES {
                missed_samples.push((truth.kind.label().to_owned(), doc.text.clone()));
            }
        }
        spurious += spans.iter().filter(|s| !doc.truth.contains(s)).count();
    }

    let (mut false_positives, mut words_clean) = (0, 0);
    let mut false_positive_samples = Vec::new();
    for _ in 0..documents {
        let text = generator.clean_document();
        words_clean += text.split_whitespace().count();
        for span in detector.find(&text) {
            false_positives += 1;
            if false_positive_samples.len() < SAMPLES {
                let piece = text.get(span.start..span.end).unwrap_or("").to_owned();
                false_positive_samples.push((span.kind.label().to_owned(), piece));
            }
        }
    }

    QualityReport {
        seed,
        documents,
        expected,
        found,
        recall: ratio(found, expected),
        per_kind,
        false_positives,
        words_clean,
        false_positives_per_10k_words: if words_clean == 0 {
            0.0
        } else {
            false_positives as f64 * 10_000.0 / words_clean as f64
        },
        spurious,
        missed_samples,
        false_positive_samples,
    }
}

/// `found / expected`, 1 when nothing was expected.
fn ratio(found: usize, expected: usize) -> f64 {
    if expected == 0 {
        1.0
    } else {
        found as f64 / expected as f64
    }
}

impl fmt::Display for QualityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "PII detection quality: seed {}, {} documents with PII + {} without",
            self.seed, self.documents, self.documents
        )?;
        writeln!(
            f,
            "{:<8} {:>9} {:>9} {:>9}",
            "kind", "expected", "found", "recall"
        )?;
        for (kind, r) in &self.per_kind {
            writeln!(
                f,
                "{kind:<8} {:>9} {:>9} {:>8.2}%",
                r.expected,
                r.found,
                r.recall() * 100.0
            )?;
        }
        writeln!(
            f,
            "{:<8} {:>9} {:>9} {:>8.2}%",
            "all",
            self.expected,
            self.found,
            self.recall * 100.0
        )?;
        writeln!(
            f,
            "false positives: {} in {} PII-free words ({:.2} per 10k words)",
            self.false_positives, self.words_clean, self.false_positives_per_10k_words
        )?;
        write!(f, "spurious spans in documents with PII: {}", self.spurious)?;
        for (kind, text) in &self.missed_samples {
            write!(f, "\nmissed {kind}: {text:?}")?;
        }
        for (kind, text) in &self.false_positive_samples {
            write!(f, "\nfalse positive {kind}: {text:?}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_meets_targets() {
        let report = evaluate(0x5EED, 2_000);
        println!("{report}");
        assert!(report.recall >= 0.99, "recall too low:\n{report}");
        assert!(
            report.false_positives_per_10k_words <= 5.0,
            "too many false positives:\n{report}"
        );
        for (kind, r) in &report.per_kind {
            assert!(r.expected > 100, "{kind} under-sampled:\n{report}");
        }
    }

    #[test]
    fn evaluation_is_deterministic() {
        assert_eq!(evaluate(7, 50), evaluate(7, 50));
        let a = Generator::new(1).pii_document().text;
        let b = Generator::new(2).pii_document().text;
        assert_ne!(a, b);
    }
}
