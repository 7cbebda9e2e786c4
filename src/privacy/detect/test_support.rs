//! Helpers shared by the unit tests of the detectors. Test-only; never compiled into the crate.

use super::Detector;

pub(super) fn found(text: &str) -> Vec<(String, &str)> {
    Detector::builtin()
        .find(text)
        .into_iter()
        .map(|s| (s.kind.label().to_owned(), &text[s.start..s.end]))
        .collect()
}

/// Asserts that `sample`, in a sentence, is found whole as `kind`.
#[track_caller]
pub(super) fn assert_found(kind: &str, sample: &str) {
    for text in [
        sample.to_owned(),
        format!("Contact: {sample}."),
        format!("({sample})"),
        format!("\"{sample}\","),
        format!("x {sample}\ny"),
    ] {
        let spans = found(&text);
        assert_eq!(
            spans,
            vec![(kind.to_owned(), sample)],
            "in {text:?}: expected {kind} {sample:?}"
        );
    }
}

#[track_caller]
pub(super) fn assert_none(text: &str) {
    assert_eq!(found(text), vec![], "expected nothing in {text:?}");
}
