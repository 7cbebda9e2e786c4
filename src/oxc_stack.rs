//! Running oxc on untrusted source: its parser and visitors recurse, so each use runs on a
//! thread with a stack sized from the source (`stack_budget`), and a panic inside it is caught
//! and reported (`panic_message`). Shared by the sandbox's transpiler and `inputs`.

use std::any::Any;

/// Bytes of stack a thread needs to parse, walk and transform `source` with oxc: an upper
/// bound on what oxc can use.
///
/// Each level of nesting costs oxc some stack and needs at least one token of source. The
/// budget charges `per_opener` for every byte that can open a level on its own (`(` `[` `{` `<`
/// `` ` `` `@`) and `per_token` for every other token: a run of identifier or number characters
/// counts as two, any other non-blank byte as one (strings and comments are counted too, which
/// only overestimates). Measured worst cases, over parse, checks, transform and codegen:
/// 1.8 KiB for a level opened by one bracket (`[[[[…` as a type, `((((…`) with oxc optimised
/// (opt-level 1 or 3), 3.7 KiB unoptimised (4.7 KiB for `(a=(a=…`, which has two more
/// tokens); about 1 KiB for a level without a bracket (`x=>x=>…`, `a=a=…`), which has at least
/// two tokens. The constants are at least twice those.
/// Whether oxc's work on `source` fits the stack of an ordinary thread (an async worker's, of
/// at least 1 MiB), so that a shallow script need not pay for a thread of its own.
pub(crate) fn fits_ordinary_stack(source: &str) -> bool {
    const ORDINARY_STACK: usize = 1 << 20;
    const BASE: usize = 16 << 20;
    stack_budget(source).saturating_sub(BASE) <= ORDINARY_STACK / 2
}

pub(crate) fn stack_budget(source: &str) -> usize {
    const BASE: usize = 16 << 20;
    let (per_opener, per_token): (usize, usize) = if cfg!(debug_assertions) {
        (8 << 10, 2 << 10)
    } else {
        (4 << 10, 1 << 10)
    };
    let mut openers = 0usize;
    let mut tokens = 0usize;
    let mut in_word = false;
    for &byte in source.as_bytes() {
        match byte {
            b'(' | b'[' | b'{' | b'<' | b'`' | b'@' => {
                openers += 1;
                in_word = false;
            }
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => in_word = false,
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'$' => {
                if !in_word {
                    tokens += 2;
                    in_word = true;
                }
            }
            _ => {
                tokens += 1;
                in_word = false;
            }
        }
    }
    openers
        .saturating_mul(per_opener)
        .saturating_add(tokens.saturating_mul(per_token))
        .saturating_add(BASE)
}

pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("panic")
}
