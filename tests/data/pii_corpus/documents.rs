//! Documents: sentences, tables and JSON records of prose and look-alikes, with or without
//! personal data, and the truth of where the personal data is.

use super::{Generator, capitalize};
use crate::privacy::detect::{Kind, Span};

/// A generated document and the personal data in it.
#[derive(Debug, Clone)]
pub struct Document {
    pub text: String,
    /// Where each piece of personal data is, sorted by start.
    pub truth: Vec<Span>,
}

const PROSE: &[&str] = &[
    "the",
    "report",
    "was",
    "updated",
    "after",
    "review",
    "and",
    "shipped",
    "to",
    "customer",
    "please",
    "check",
    "status",
    "of",
    "order",
    "invoice",
    "payment",
    "received",
    "pending",
    "team",
    "meeting",
    "scheduled",
    "for",
    "build",
    "deployed",
    "on",
    "server",
    "cluster",
    "latency",
    "improved",
    "by",
    "release",
    "notes",
    "mention",
    "fix",
    "in",
    "module",
    "warehouse",
    "stock",
    "level",
    "dropped",
    "below",
    "threshold",
    "ticket",
    "closed",
    "migration",
    "completed",
    "without",
    "errors",
    "backup",
    "finished",
    "at",
    "total",
    "items",
    "processed",
    "average",
    "response",
    "time",
    "ms",
    "a",
    "new",
    "version",
    "is",
    "available",
    "schedule",
    "starts",
    "ends",
    "we",
    "expect",
    "delivery",
    "between",
    "weekly",
    "summary",
    "retry",
    "failed",
    "job",
    "queue",
    "length",
    "was",
    "measured",
    "commit",
    "tagged",
    "as",
    "Kunde",
    "Bestellung",
    "über",
    "naïve",
    "café",
    "état",
    "résumé",
    "日本",
    "データ",
];

impl Generator {
    fn words(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| *self.rng.pick(PROSE))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A sentence of prose with a look-alike or two in it.
    fn clean_sentence(&mut self) -> String {
        match self.rng.range(0, 5) {
            0 => {
                let (id, ts, amount, v) = (
                    self.rng.range(100_000_000, 999_999_999),
                    self.distractor(),
                    self.distractor(),
                    self.distractor(),
                );
                format!(
                    r#"{{"id": {id}, "status": "shipped", "created_at": "{ts}", "total": "{amount}", "ref": "{v}"}}"#
                )
            }
            1 => {
                let (a, b) = (self.distractor(), self.distractor());
                format!("| {} | {a} | {b} |", self.words(2))
            }
            _ => {
                let lead = self.rng.range(2, 8) as usize;
                let tail = self.rng.range(1, 6) as usize;
                let (a, b) = (self.distractor(), self.distractor());
                let (w1, w2, w3) = (self.words(lead), self.words(tail), self.words(2));
                if self.rng.chance(50) {
                    format!("{} {w1} {a} {w2}.", capitalize(&w3))
                } else {
                    format!("{} {w1} {a}, {w2} {b}.", capitalize(&w3))
                }
            }
        }
    }

    /// A document without personal data: prose, tables and JSON full of look-alikes.
    pub fn clean_document(&mut self) -> String {
        let n = self.rng.range(2, 6);
        let sentences: Vec<String> = (0..n).map(|_| self.clean_sentence()).collect();
        let sep = if self.rng.chance(50) { " " } else { "\n" };
        sentences.join(sep)
    }

    /// A document with one to six pieces of personal data among clean sentences.
    pub fn pii_document(&mut self) -> Document {
        let mut doc = Builder::default();
        let n = self.rng.range(1, 3);
        for i in 0..n {
            if i > 0 {
                doc.text(if self.rng.chance(50) { " " } else { "\n" });
            }
            if self.rng.chance(40) {
                let s = self.clean_sentence();
                doc.text(&s);
                doc.text(" ");
            }
            self.pii_sentence(&mut doc);
        }
        doc.finish()
    }

    /// A sentence (or record) with personal data in a context typical for its kind.
    fn pii_sentence(&mut self, doc: &mut Builder) {
        let (kind, value) = self.sample();
        let r = &mut self.rng;
        let generic: &[(&str, &str)] = &[
            ("Please contact ", " for details."),
            ("", ""),
            ("Customer record: ", ", created yesterday."),
            ("- ", "\n"),
            ("| Jane Doe | ", " | active |"),
            ("<", ">"),
            ("'", "'"),
            ("(", ")"),
            ("[", "]"),
            ("\"", "\""),
            ("Kontakt: ", " — danke."),
            ("連絡先: ", " です"),
            ("Updated to ", "; previous value removed."),
            ("value=", "&next=1"),
            ("\t", "\t"),
        ];
        let specific: &[(&str, &str)] = match kind {
            Kind::Email => &[
                ("mailto:", "?subject=Hello"),
                ("From: Jane Doe <", ">"),
                ("Reply-To: ", "\n"),
                ("Sent from ", " at noon."),
            ],
            Kind::Phone => &[
                ("tel:", ""),
                ("Tel.: ", ""),
                ("Call me at ", " tomorrow."),
                ("Fax ", " (office)"),
                ("Mobil: ", ", Festnetz folgt."),
            ],
            Kind::Card => &[
                ("Charged to card ", " yesterday."),
                ("card_number: ", "\n"),
                ("PAN ", " exp 12/27"),
            ],
            Kind::Iban => &[
                ("IBAN: ", "\n"),
                ("Please transfer the amount to ", "."),
                ("Kontonummer ", ", BIC DEUTDEFF"),
            ],
            Kind::Ssn => &[("SSN: ", "\n"), ("SSN ", " on file"), ("ssn=", ";")],
            Kind::Ip => &[
                ("Login from ", " failed."),
                ("client_ip: ", "\n"),
                ("GET /index.html from ", " 200"),
            ],
            Kind::Name | Kind::Custom(_) => &[],
        };
        let is_v4 = kind == Kind::Ip && !value.contains(':');
        let is_v6 = kind == Kind::Ip && value.contains(':');
        match r.range(0, 9) {
            // A JSON record with a second piece of data and a look-alike.
            0 => {
                let (kind2, value2) = self.sample();
                let ts = self.distractor();
                doc.text(r#"{"contact": ""#);
                doc.pii(kind, &value);
                doc.text(r#"", "created_at": ""#);
                doc.text(&ts);
                doc.text(r#"", "backup": ""#);
                doc.pii(kind2, &value2);
                doc.text(r#"", "id": 100234567}"#);
            }
            // CSV
            1 => {
                let d = self.distractor().replace(',', ";");
                doc.text(&format!("{},", self.rng.range(1, 9999)));
                doc.pii(kind, &value);
                doc.text(&format!(",{d},ok"));
            }
            2 if is_v4 => {
                doc.text("http://");
                doc.pii(kind, &value);
                doc.text(&format!(":{}/health", r.range(1024, 65535)));
            }
            2 if is_v6 => {
                doc.text("https://[");
                doc.pii(kind, &value);
                doc.text("]:443/");
            }
            3 | 4 if !specific.is_empty() => {
                let &(before, after) = r.pick(specific);
                doc.text(before);
                doc.pii(kind, &value);
                doc.text(after);
            }
            // Two of a kind in one sentence.
            5 => {
                let other = self.sample_of(&kind);
                doc.text("Old: ");
                doc.pii(kind.clone(), &value);
                doc.text(", new: ");
                doc.pii(kind, &other);
                doc.text(".");
            }
            _ => {
                let &(before, after) = r.pick(generic);
                doc.text(before);
                doc.pii(kind, &value);
                doc.text(after);
            }
        }
    }
}

/// Builds a document's text and records where the personal data went.
#[derive(Default)]
struct Builder {
    text: String,
    truth: Vec<Span>,
}

impl Builder {
    fn text(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn pii(&mut self, kind: Kind, value: &str) {
        let start = self.text.len();
        self.text.push_str(value);
        self.truth.push(Span {
            start,
            end: self.text.len(),
            kind,
        });
    }

    fn finish(self) -> Document {
        Document {
            text: self.text,
            truth: self.truth,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truth_spans_point_at_the_values() {
        let mut g = Generator::new(3);
        for _ in 0..200 {
            let doc = g.pii_document();
            for span in &doc.truth {
                assert!(
                    doc.text
                        .get(span.start..span.end)
                        .is_some_and(|s| !s.is_empty())
                );
            }
        }
    }
}
