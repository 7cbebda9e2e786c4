//! Hostile queries for the query limits' tests and benchmark. Deterministic: no clock, no OS
//! randomness.

/// Hostile queries of about `size` bytes, for the query limits' tests and
/// benchmark: many distinct words, one word repeated, one
/// huge token, many long fuzzy-eligible misspellings, a huge camelCase
/// identifier, stop words only.
pub fn huge_queries(size: usize) -> Vec<(&'static str, String)> {
    let fill_with = |sep: &str, next: &dyn Fn(usize) -> String| {
        let mut q = String::new();
        let mut i = 0;
        while q.len() < size {
            q.push_str(&next(i));
            q.push_str(sep);
            i += 1;
        }
        q
    };
    let fill = |next: &dyn Fn(usize) -> String| fill_with(" ", next);
    // Deterministic pseudo-random letters (an LCG), so runs compare.
    let word = |i: usize, len: usize| -> String {
        let mut x = (i as u64)
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..len)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                char::from(b'a' + ((x >> 33) % 26) as u8)
            })
            .collect()
    };
    vec![
        ("random words", fill(&|i| word(i, 3 + i % 9))),
        ("one word repeated", fill(&|_| "export".into())),
        ("one huge token", "x".repeat(size)),
        ("long misspellings", fill(&|i| word(i, 16 + i % 4))),
        (
            "huge identifier",
            fill_with("", &|i| {
                let w = word(i, 6);
                w[..1].to_uppercase() + &w[1..]
            }),
        ),
        ("stop words", fill(&|i| STOP_WORDS_SAMPLE[i % 8].into())),
    ]
}

const STOP_WORDS_SAMPLE: [&str; 8] = ["the", "and", "of", "to", "with", "for", "a", "in"];
