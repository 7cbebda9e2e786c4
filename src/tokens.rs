//! Offline token counts (o200k, the encoding of current OpenAI models) for the context reports.

/// Tokens of `text` in the o200k encoding. The first call loads the encoding (about 150 ms).
pub fn count(text: &str) -> usize {
    tiktoken_rs::o200k_base_singleton()
        .encode_with_special_tokens(text)
        .len()
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_stable() {
        assert_eq!(super::count(""), 0);
        assert_eq!(super::count("hello world"), 2);
    }
}
