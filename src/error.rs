//! Errors as data. Every error skillet reports has a [`Kind`], which decides the command line's
//! exit status, and hints, which say how to fix it. Hints are kept apart from the message so each
//! front end shows them its way: the CLI as styled `hint:` lines on stderr, `serve` as plain
//! `hint:` lines an agent reads.
//!
//! Library errors are `thiserror` enums per module that implement [`Diagnose`];
//! `ops::diagnose` finds them in an error chain.

use std::fmt;

/// What kind of failure an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The command line is wrong (a flag, a missing or malformed argument).
    Usage,
    /// Something the user can fix: a name, a file, a setting, a revision, a server that fails.
    User,
}

impl Kind {
    /// The exit status of a command that fails with this kind of error: 2 for usage (as clap
    /// and most Unix tools), 1 for the rest. (A panic, a bug, exits 101.)
    pub fn exit_code(self) -> u8 {
        match self {
            Self::Usage => 2,
            Self::User => 1,
        }
    }
}

/// An error's kind and hints.
pub trait Diagnose: std::error::Error {
    fn error_kind(&self) -> Kind {
        Kind::User
    }

    /// How to fix it, one line each (without the `hint: ` label).
    fn hints(&self) -> Vec<String> {
        Vec::new()
    }
}

/// An error made where it happens: a message, a kind, and hints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: Kind,
    message: String,
    hints: Vec<String>,
}

impl Error {
    pub fn user(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::User,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            kind: Kind::Usage,
            ..Self::user(message)
        }
    }

    /// The error with one more hint.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl Diagnose for Error {
    fn error_kind(&self) -> Kind {
        self.kind
    }

    fn hints(&self) -> Vec<String> {
        self.hints.clone()
    }
}

/// An error as an agent reads it: its message, then each hint on a `hint: ` line.
pub fn describe<E: Diagnose + ?Sized>(error: &E) -> String {
    plain(&error.to_string(), &error.hints())
}

/// `message` with each hint on its own `hint: ` line: how an agent reads an error.
pub fn plain(message: &str, hints: &[String]) -> String {
    let mut text = message.to_owned();
    for hint in hints {
        text.push_str("\nhint: ");
        text.push_str(hint);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_are_data_and_plain_text_puts_each_on_its_line() {
        let e = Error::usage("no script given")
            .hint("`skillet run script.ts`")
            .hint("`skillet run -` reads stdin");
        assert_eq!(e.to_string(), "no script given");
        assert_eq!(e.error_kind().exit_code(), 2);
        assert_eq!(
            plain(&e.to_string(), &e.hints()),
            "no script given\nhint: `skillet run script.ts`\nhint: `skillet run -` reads stdin"
        );
        assert_eq!(Error::user("x").error_kind().exit_code(), 1);
    }
}
