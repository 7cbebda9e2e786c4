//! Printing: data to stdout, messages to stderr, colour only where wanted (`NO_COLOR`, terminals).

use std::io::{IsTerminal as _, Write as _};

use anstyle::{AnsiColor, Style};

const ERROR: Style = AnsiColor::Red.on_default().bold();
const HINT: Style = AnsiColor::Cyan.on_default().bold();
const WARN: Style = AnsiColor::Yellow.on_default().bold();
pub(super) const OK: Style = AnsiColor::Green.on_default();
pub(super) const BAD: Style = AnsiColor::Red.on_default();

/// Colour on stderr: a terminal, and `NO_COLOR` unset or empty.
pub(super) fn stderr_color() -> bool {
    !crate::config::env::no_color() && std::io::stderr().is_terminal()
}

/// Prints an error with its causes and its hints ([`crate::ops::diagnose`]); returns the exit
/// status its kind calls for.
pub(super) fn error(e: &anyhow::Error) -> u8 {
    let (kind, hints) = crate::ops::diagnose(e);
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(&format!("\n  caused by: {cause}"));
        }
    }
    message(ERROR, "error", &text, &hints);
    kind.exit_code()
}

/// Prints an error message with its hints.
pub(super) fn error_message(text: &str, hints: &[String]) {
    message(ERROR, "error", text, hints);
}

pub(super) fn warn(text: &str) {
    message(WARN, "warning", text, &[]);
}

/// Prints a note: something done on the user's behalf that is worth knowing.
pub(super) fn note(text: &str) {
    message(HINT, "note", text, &[]);
}

/// Prints a warning with its hints.
pub(super) fn warn_with(text: &str, hints: &[String]) {
    message(WARN, "warning", text, hints);
}

fn message(style: Style, label: &str, text: &str, hints: &[String]) {
    let mut stderr = anstream::stderr().lock();
    let _ = writeln!(stderr, "{style}{label}{style:#}: {text}");
    for hint in hints {
        let _ = writeln!(stderr, "{HINT}hint{HINT:#}: {hint}");
    }
}

/// Writes a value as pretty JSON on stdout.
pub(super) fn json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    // Buffered: stdout alone writes each line of pretty JSON with a system call of its own.
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut stdout, value)?;
    writeln!(stdout)?;
    stdout.flush()?;
    Ok(())
}

/// Writes text on stdout (styles stripped when stdout is not a colour terminal).
pub(super) fn print(text: &str) -> anyhow::Result<()> {
    let mut stdout = anstream::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        writeln!(stdout)?;
    }
    Ok(())
}

/// A progress bar of `len` steps on stderr; hidden when stderr is not a terminal.
pub(super) fn progress(len: usize, message: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let style = indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:24}] {pos}/{len}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(message.to_owned());
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    bar
}
