//! Picking the parts of a bench to run: `cargo bench --bench NAME -- part ...`.

/// Whether the part `name` was asked for: every part when no name was given.
pub fn wanted(name: &str) -> bool {
    let picked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    picked.is_empty() || picked.iter().any(|p| p == name)
}
