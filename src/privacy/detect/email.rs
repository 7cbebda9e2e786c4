//! Email addresses.

use std::sync::LazyLock;

use regex::Regex;

use super::scan::{is_word, scan_regex};

/// Characters of an address's local part and domain labels, besides `_%+-`: ASCII letters
/// and digits, and the letters (with combining marks) of Latin, Greek and Cyrillic scripts, so
/// that `josé@exämple.de` is found but a run of CJK text before an address is not taken in.
const EMAIL_LETTERS: &str = r"0-9A-Za-z\x{00C0}-\x{024F}\x{0300}-\x{036F}\x{0370}-\x{03FF}\x{0400}-\x{04FF}\x{1E00}-\x{1EFF}";

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    let l = EMAIL_LETTERS;
    Regex::new(&format!(
        r"(?x)
        [{l}_%+-]{{1,64}} (?:[.'][{l}_%+-]{{1,64}}){{0,16}}
        @
        (?:[{l}](?:[{l}-]{{0,61}}[{l}])?\.){{1,8}}
        [A-Za-z]{{2,24}}"
    ))
    .expect("email pattern compiles")
});

/// Whether `c` could continue an address (see [`EMAIL_LETTERS`]).
fn is_email_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(c, '_' | '-' | '%' | '+')
        || matches!(c, '\u{00C0}'..='\u{024F}'
            | '\u{0300}'..='\u{036F}'
            | '\u{0370}'..='\u{03FF}'
            | '\u{0400}'..='\u{04FF}'
            | '\u{1E00}'..='\u{1EFF}')
}

/// Endings that make `logo@2x.png` a file name, not an address.
const FILE_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff", "js", "mjs", "ts",
    "tsx", "jsx", "css", "json", "txt", "html", "htm", "md", "pdf", "yaml", "yml", "toml", "lock",
];

pub(super) fn emails(text: &str) -> Vec<(usize, usize)> {
    scan_regex(&EMAIL, text, |start, end| {
        let s = &text[start..end];
        let local_len = s.find('@').unwrap_or(0);
        let tld = s.rsplit('.').next().unwrap_or("");
        let before = text[..start].chars().next_back();
        let mut after = text[end..].chars();
        let (next, next2) = (after.next(), after.next());
        let glued = before.is_some_and(|c| is_email_char(c) || c == '@')
            || next.is_some_and(|c| is_email_char(c) || c == '@');
        // `a@b.com.x` is cut short; `git@github.com:org/repo` is an scp-style remote.
        let cut_short = next == Some('.') && next2.is_some_and(is_word);
        let remote = next == Some(':') && next2.is_some_and(|c| !c.is_whitespace());
        let file_name = FILE_EXTENSIONS
            .iter()
            .any(|ext| tld.eq_ignore_ascii_case(ext));
        let ok = local_len <= 64 && !(glued || cut_short || remote || file_name);
        ok.then_some((start, end))
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_found, assert_none, found};

    #[test]
    fn emails_of_varied_shapes() {
        for email in [
            "jane.doe@example.com",
            "j.doe+newsletter@mail.example.co.uk",
            "JOHN_SMITH@EXAMPLE.ORG",
            "o'brien@example.ie",
            "user-42@sub-domain.example.io",
            "x@y.de",
            "first.middle.last@uni-berlin.de",
            "1234567@students.example.edu",
            "josé.garcía@example.es",
            "jane@exämple.de",
        ] {
            assert_found("EMAIL", email);
        }
        assert_eq!(
            found("メールはann@example.comです"),
            vec![("EMAIL".into(), "ann@example.com")]
        );
        assert_eq!(
            found("mailto:ana@example.com?subject=hi"),
            vec![("EMAIL".into(), "ana@example.com")]
        );
        assert_eq!(
            found("<ana@example.com>, bob@example.net"),
            vec![
                ("EMAIL".into(), "ana@example.com"),
                ("EMAIL".into(), "bob@example.net")
            ]
        );
    }

    #[test]
    fn email_negatives() {
        for text in [
            "logo@2x.png",
            "icon@3x.svg",
            "lodash@4.17.21",
            "@scope/package",
            "follow @jane on",
            "user@localhost",
            "a@b.c",
            "name@example.com1",
            "name@example.com-foo",
            "éclair@",
            "git@github.com:org/repo.git",
        ] {
            assert_none(text);
        }
    }
}
