//! Signed review commands: manifest, keygen, sign, verify.

use std::io::Write as _;
use std::path::PathBuf;

use super::{CliResult, Context, Failure, output};
use crate::ops::{self, SignOptions};
use crate::review;
use crate::signing;

#[derive(Debug, clap::Args)]
pub(crate) struct ManifestArgs {
    /// The skill.
    name: String,
}

/// Prints exactly the bytes that are signed, so anyone can check a signature with OpenSSH:
/// `skillet manifest NAME | ssh-keygen -Y verify -f signing/allowed_signers -I WHO -n skillet-skill-review@skillet -s SIG`.
pub(super) fn manifest(ctx: &Context, args: ManifestArgs) -> CliResult {
    let registry = ctx.registry()?;
    let manifest = review::manifest(&registry, &args.name)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&manifest.to_bytes())?;
    stdout.flush()?;
    Ok(())
}

#[derive(Debug, clap::Args)]
pub(crate) struct KeygenArgs {
    /// Where to write the private key (`.pub` beside it). Default: ~/.ssh/id_ed25519.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// The key's comment (usually your email).
    #[arg(long, default_value = "skillet reviewer")]
    comment: String,
}

pub(super) fn keygen(ctx: &Context, args: KeygenArgs) -> CliResult {
    let path = match args.file {
        Some(p) => ctx.start_dir()?.join(p),
        None => signing::default_key_path(crate::config::env::home().as_deref()),
    };
    let public = signing::keygen(&path, &args.comment)?;
    let line = public.to_openssh().map_err(anyhow::Error::from)?;
    output::print(&format!(
        "wrote {} and {}.pub\nadd this line to signing/allowed_signers (with your email first):\n{} {line}\n",
        path.display(),
        path.display(),
        args.comment
    ))?;
    Ok(())
}

#[derive(Debug, clap::Args)]
pub(crate) struct SignArgs {
    /// Skills to sign.
    #[arg(required_unless_present = "trust")]
    names: Vec<String>,
    /// Sign the trust files (signing/allowed_signers and signing/revoked) as they are now; a
    /// change to them needs signatures from keys trusted before the change.
    #[arg(long)]
    trust: bool,
    /// Your OpenSSH ed25519 private key (default: ~/.ssh/id_ed25519). A passphrase-protected
    /// key reads its passphrase from SKILLET_SSH_PASSPHRASE.
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Who you are, as listed in signing/allowed_signers (default: the principal listed there
    /// for your key).
    #[arg(long, value_name = "ID")]
    principal: Option<String>,
    #[arg(long)]
    json: bool,
}

pub(super) fn sign(ctx: &Context, args: SignArgs) -> CliResult {
    let registry = ctx.registry()?;
    let key_path = match args.key {
        Some(p) => ctx.start_dir()?.join(p),
        None => signing::default_key_path(crate::config::env::home().as_deref()),
    };
    let passphrase = crate::config::env::var(signing::PASSPHRASE_ENV);
    let key = match signing::load_private_key(&key_path, passphrase.as_deref()) {
        // On a terminal, ask for the passphrase (never echoed) rather than fail.
        Err(signing::SigningError::NeedsPassphrase { .. })
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) =>
        {
            let entered =
                rpassword::prompt_password(format!("passphrase for {}: ", key_path.display()))?;
            signing::load_private_key(&key_path, Some(&entered))?
        }
        other => other?,
    };
    let signer = signing::SshKeySigner::new(key)?;
    let signed = ops::sign(
        &registry,
        &SignOptions {
            names: args.names,
            trust: args.trust,
            signer: &signer,
            principal: args.principal,
            now: std::time::SystemTime::now(),
        },
    )?;
    if args.json {
        return Ok(output::json(&signed)?);
    }
    let mut text = String::new();
    for s in &signed {
        text.push_str(&format!(
            "signed {} v{} as {} ({}{})\n",
            s.skill,
            s.version,
            s.principal,
            s.path,
            if s.replaced {
                ", replacing your earlier signature"
            } else {
                ""
            }
        ));
    }
    Ok(output::print(&text)?)
}

#[derive(Debug, clap::Args)]
pub(crate) struct VerifyArgs {
    /// Skills to verify (default: all).
    names: Vec<String>,
    #[arg(long)]
    json: bool,
}

pub(super) fn verify(ctx: &Context, args: VerifyArgs) -> CliResult {
    let registry = ctx.registry()?;
    let reviews = review::verify(&registry, &args.names, std::time::SystemTime::now())?;
    let failing = reviews
        .iter()
        .filter(|r| !r.meets_policy || r.signatures.iter().any(|s| s.status.is_broken()))
        .count();
    if args.json {
        output::json(&reviews)?;
    } else {
        let mut text = String::new();
        for r in &reviews {
            text.push_str(&format!(
                "{} v{}: {} of {} required signature{} ({})\n",
                r.skill,
                r.version,
                r.valid_principals.len(),
                r.required,
                if r.required == 1 { "" } else { "s" },
                if r.meets_policy {
                    "meets the policy"
                } else {
                    "does NOT meet the policy"
                }
            ));
            for s in &r.signatures {
                text.push_str(&format!(
                    "  {:<20} {}: {}\n",
                    s.status,
                    s.file,
                    s.message.replace('\n', " ")
                ));
            }
        }
        output::print(&text)?;
    }
    if failing > 0 {
        Err(Failure::Exit(1))
    } else {
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(super) enum Format {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ReviewArgs {
    /// The pull request's base revision: trust comes from its allowed_signers.
    #[arg(long, value_name = "REV")]
    base: String,
    /// The pull request's head revision.
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    head: String,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// The pull-request gate: exits 1 unless every added or changed skill (and any change to the
/// trust files) carries enough valid signatures from keys trusted at the base.
pub(super) fn review(ctx: &Context, args: ReviewArgs) -> CliResult {
    let registry = ctx.registry()?;
    let report = review::review(
        &registry,
        &args.base,
        &args.head,
        std::time::SystemTime::now(),
    )?;
    match args.format {
        Format::Json => output::json(&report)?,
        Format::Text | Format::Markdown => output::print(&render_review(
            &report,
            matches!(args.format, Format::Markdown),
        ))?,
    }
    if report.passes {
        Ok(())
    } else {
        Err(Failure::Exit(1))
    }
}

fn render_review(r: &review::ReviewReport, markdown: bool) -> String {
    let mut t = String::new();
    let verdict = if r.passes { "passes" } else { "does NOT pass" };
    if markdown {
        t.push_str(&format!(
            "## skillet review: {verdict}\n\n`{}`..`{}` by {}; {} trusted signature{} required (trust from the base revision{}).\n\n",
            &r.base[..12],
            &r.head[..12],
            r.author,
            r.required,
            if r.required == 1 { "" } else { "s" },
            if r.author_counts { "" } else { "; the author does not count" }
        ));
        t.push_str("| skill | change | files | lines | new capabilities | signatures | verdict |\n|---|---|---|---|---|---|---|\n");
        for s in &r.skills {
            let (added, removed) = s
                .files
                .iter()
                .fold((0, 0), |(a, d), f| (a + f.lines_added, d + f.lines_removed));
            t.push_str(&format!(
                "| `{}` | {} | {} | +{added} -{removed} | {} | {} | {} |\n",
                s.skill,
                s.change,
                s.files.len(),
                if s.new_capabilities.is_empty() {
                    "-".to_owned()
                } else {
                    s.new_capabilities
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                },
                s.review.as_ref().map_or("-".to_owned(), |v| format!(
                    "{}/{} ({})",
                    v.valid_principals.len(),
                    v.required,
                    v.valid_principals.join(", ")
                )),
                if s.passes { "ok" } else { "**needs review**" }
            ));
        }
        for s in r.skills.iter().filter(|s| !s.redescribed_tools.is_empty()) {
            t.push_str(&format!(
                "\n`{}` calls tools whose description changed since it was reviewed: {}. A changed description reaches the model; read it before accepting.\n",
                s.skill,
                s.redescribed_tools
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if let Some(trust) = &r.trust_change {
            t.push_str(&format!(
                "\nThe trust files changed: {}/{} signatures from keys trusted at base ({}).\n",
                trust.valid_principals.len(),
                trust.required,
                if trust.meets_policy {
                    "ok"
                } else {
                    "**needs review**"
                }
            ));
        }
        return t;
    }
    t.push_str(&format!(
        "review {}..{} by {}: {verdict}\n",
        &r.base[..12],
        &r.head[..12],
        r.author
    ));
    for s in &r.skills {
        t.push_str(&format!(
            "{} {} ({}):\n",
            if s.passes { "ok   " } else { "FAIL " },
            s.skill,
            s.change
        ));
        for f in &s.files {
            t.push_str(&format!(
                "  {} {} (+{} -{})\n",
                f.status, f.path, f.lines_added, f.lines_removed
            ));
        }
        if !s.new_capabilities.is_empty() {
            t.push_str(&format!(
                "  new capabilities: {}\n",
                s.new_capabilities.join(", ")
            ));
        }
        if !s.redescribed_tools.is_empty() {
            t.push_str(&format!(
                "  tools redescribed since review: {}\n  hint: read the new descriptions (git diff {} {} -- skillet.lock, and .skillet/servers/); to accept them, save the skill again (its new version pins them) and sign it\n",
                s.redescribed_tools.join(", "),
                &r.base[..12],
                &r.head[..12],
            ));
        }
        if let Some(v) = &s.review {
            t.push_str(&format!(
                "  signatures: {} of {} required\n",
                v.valid_principals.len(),
                v.required
            ));
            for sig in &v.signatures {
                t.push_str(&format!(
                    "    {:<20} {}: {}\n",
                    sig.status,
                    sig.file,
                    sig.message.replace('\n', " ")
                ));
            }
        }
    }
    if let Some(trust) = &r.trust_change {
        t.push_str(&format!(
            "{} trust files changed: {} of {} signatures from keys trusted at base\n",
            if trust.meets_policy { "ok   " } else { "FAIL " },
            trust.valid_principals.len(),
            trust.required
        ));
    }
    t
}
