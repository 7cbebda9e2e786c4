//! The terminal asks a person to approve a call the tool policy marks `approve`
//! (`skillet run`, when stdin and stderr are terminals).

use std::sync::Arc;

use futures::future::BoxFuture;

use crate::policy::{ApprovalRequest, Approver};

pub(super) struct TerminalApprover;

impl TerminalApprover {
    /// `Some` when there is a terminal to ask on.
    pub(super) fn if_interactive() -> Option<Arc<dyn Approver>> {
        use std::io::IsTerminal as _;
        (std::io::stdin().is_terminal() && std::io::stderr().is_terminal())
            .then(|| Arc::new(TerminalApprover) as Arc<dyn Approver>)
    }
}

impl Approver for TerminalApprover {
    fn approve(&self, request: ApprovalRequest) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                use std::io::Write as _;
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "{}\nAllow this call? [y/N] ", request.describe());
                let _ = err.flush();
                let mut answer = String::new();
                std::io::stdin()
                    .read_line(&mut answer)
                    .map_err(|e| format!("cannot read the answer: {e}"))?;
                Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
            })
            .await
            .map_err(|e| e.to_string())?
        })
    }
}
