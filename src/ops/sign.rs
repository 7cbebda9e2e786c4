//! `sign`: a reviewer's SSH signature over skills' manifests (and the trust files), as the
//! principal `signing/allowed_signers` lists for their key. The plugin marketplace, when the
//! registry keeps one, is rewritten to list the skills that now meet the review policy.

use crate::registry::Registry;
use crate::review::{self, ReviewError, Signed};
use crate::signing::Signer;

/// What to sign, as whom, when.
pub struct SignOptions<'a> {
    /// Skills to sign.
    pub names: Vec<String>,
    /// Also sign the trust files as they are now.
    pub trust: bool,
    pub signer: &'a dyn Signer,
    /// Who signs; `None`: the principal allowed_signers lists for the signer's key at `now`.
    pub principal: Option<String>,
    pub now: std::time::SystemTime,
}

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("your key is not in signing/allowed_signers, so skillet cannot tell who you are")]
    UnknownSigner,
    #[error(transparent)]
    Review(#[from] ReviewError),
}

/// Signs `options.names` (and the trust files with `options.trust`). Returns one entry per
/// signature written.
pub fn sign(registry: &Registry, options: &SignOptions<'_>) -> Result<Vec<Signed>, SignError> {
    let principal = match &options.principal {
        Some(p) => p.clone(),
        None => review::Trust::load(registry)?
            .principal_for(
                &options.signer.public_key(),
                review::unix_seconds(options.now),
            )
            .ok_or(SignError::UnknownSigner)?,
    };
    let mut signed = review::sign(registry, &options.names, options.signer, &principal)?;
    if options.trust {
        signed.push(review::sign_trust(registry, options.signer, &principal)?);
    }
    // Which skills meet the review policy changed: the marketplace (when on) lists them. It is
    // not committed here, as the signatures are not; `export --marketplace --check` sees it.
    if let Err(e) = super::marketplace::sync(registry, options.now) {
        tracing::warn!(
            "{} was not brought up to date: {e:#} (`skillet export --marketplace` retries)",
            super::marketplace::MARKETPLACE_FILE
        );
    }
    Ok(signed)
}

impl crate::error::Diagnose for SignError {
    fn hints(&self) -> Vec<String> {
        match self {
            Self::UnknownSigner => vec![
                "pass --principal you@example.com (your signature counts once a trusted reviewer adds your key)".into(),
            ],
            Self::Review(e) => e.hints(),
        }
    }
}
