//! The `skillet` command line: parses arguments, calls one library operation, prints the result.
//! Data goes to stdout (`--json` for machines); logs, progress and errors go to stderr.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod approve;
mod audit;
mod auth;
mod call;
mod demo;
mod elicit;
mod export;
mod generate;
mod init;
mod install;
mod output;
mod run;
mod runs;
mod sample_server;
mod schema;
mod serve;
mod servers;
mod signing;
mod skills;
mod watch;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::registry::Registry;

/// Code mode for MCP: a typed TypeScript API over your MCP servers, and a registry of the skills
/// your agents write with it.
#[derive(Debug, Parser)]
#[command(name = "skillet", version, about, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: Global,

    #[command(subcommand)]
    pub command: Command,
}

/// The options every command takes.
#[derive(Debug, clap::Args)]
pub(crate) struct Global {
    /// Run as if skillet was started in DIR.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,

    /// Read MCP servers from FILE (`mcpServers` JSON) instead of the registry's `.mcp.json`.
    #[arg(long, global = true, value_name = "FILE")]
    pub mcp_config: Option<PathBuf>,

    /// More logs on stderr (-v: info, -vv: debug). `SKILLET_LOG` takes a full filter.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl Cli {
    /// The command line, parsed. The commands run most often, one after another by agents and
    /// scripts (`search`, `run`, `test`), are first parsed by a parser of that one command:
    /// building the parser of all thirty commands was most of a parse (0.4 of 0.5 ms, mostly
    /// the first touch of their code). Anything else, and anything that parser refuses (help,
    /// a mistake), goes to the whole parser, so help and errors read the same.
    fn parse_args() -> Result<Self, clap::Error> {
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        if let Some(cli) = Self::quick_parse(&args) {
            return Ok(cli);
        }
        Self::try_parse_from(args)
    }

    fn quick_parse(args: &[std::ffi::OsString]) -> Option<Self> {
        use clap::{Args as _, FromArgMatches as _};
        let sub = match args.get(1)?.to_str()? {
            "search" => skills::SearchArgs::augment_args(clap::Command::new("search")),
            "run" => run::Args::augment_args(clap::Command::new("run")),
            "test" => skills::TestArgs::augment_args(clap::Command::new("test")),
            _ => return None,
        };
        let command = Global::augment_args(clap::Command::new("skillet")).subcommand(sub);
        let matches = command.try_get_matches_from(args).ok()?;
        Self::from_arg_matches(&matches).ok()
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Make a registry: a git repository with skillet.toml, skills/, signing/ and .mcp.json.
    Init(init::Args),
    /// Connect to the configured MCP servers and show their status.
    Servers(servers::Args),
    /// Generate the TypeScript API (`.skillet/servers/...`) and update skillet.lock.
    #[command(name = "gen")]
    Gen(generate::Args),
    /// Call one tool of a configured server and print its result.
    Call(call::Args),
    /// OAuth logins for HTTP servers: login, status, logout.
    Auth(auth::Args),
    /// Run a TypeScript module in the sandbox against the generated API.
    Run(run::Args),
    /// List recorded runs, show one, or prune old ones.
    Runs(runs::Args),
    /// The tool calls scripts made: decision, sizes and digests, timing (.skillet/audit.jsonl).
    Audit(audit::Args),
    /// Be an MCP server for agents: tool search, the API tree, run_code and the skills registry
    /// (stdio, or streamable HTTP with --http).
    Serve(serve::Args),
    /// Save a run that ended ok as a skill (validated, committed to git).
    Save(skills::SaveArgs),
    /// Check skill folders against the Agent Skills rules (and skillet's own).
    Validate(skills::ValidateArgs),
    /// Show a skill (NAME or NAME@REV).
    Show(skills::ShowArgs),
    /// A skill's versions, from git.
    Log(skills::LogArgs),
    /// What changed in a skill between revisions.
    Diff(skills::DiffArgs),
    /// Replay skills' recordings and check their tools for interface drift.
    Test(skills::TestArgs),
    /// Install skills from where they live (a folder, owner/repo, a git URL), with their
    /// provenance locked.
    Install(install::InstallArgs),
    /// What changed upstream for installed skills (changes nothing).
    Outdated(install::OutdatedArgs),
    /// Install what changed upstream for installed skills, showing the diff.
    Update(install::UpdateArgs),
    /// Write the registry's skills into an agent's skills folder (.claude/skills, ~/.claude/skills,
    /// .agents/skills, any folder), as copies or links.
    Export(export::Args),
    /// Find skills by what they do.
    Search(skills::SearchArgs),
    /// Follow skills/ and tell other skillet processes which skills changed, so `search`
    /// sees a hand edit at once (runs until Ctrl-C; `serve` does this too).
    Watch(watch::Args),
    /// Print the exact bytes a review signature covers for a skill.
    Manifest(signing::ManifestArgs),
    /// Make an ed25519 SSH key for signing reviews.
    Keygen(signing::KeygenArgs),
    /// Sign skills you reviewed (SSH signature over their manifest).
    Sign(signing::SignArgs),
    /// Check who signed which skills, and whether each meets the review policy.
    Verify(signing::VerifyArgs),
    /// The pull-request gate: are the skills changed between two revisions signed by enough
    /// reviewers trusted at the base?
    Review(signing::ReviewArgs),
    /// Show, offline, what an agent's context holds with direct tool calls and with code mode.
    Demo(demo::Args),
    /// Print a JSON Schema of one of skillet's files.
    Schema(schema::Args),
    /// Run a bundled sample MCP server (used by `demo` and the tests).
    #[command(hide = true)]
    SampleServer(sample_server::Args),
}

/// How a command ended, beyond success.
#[derive(Debug)]
pub(crate) enum Failure {
    /// An error to print (with its chain) and exit 1.
    Error(anyhow::Error),
    /// The command printed its findings already; exit with this code.
    Exit(u8),
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    fn from(e: E) -> Self {
        Self::Error(e.into())
    }
}

pub(crate) type CliResult = Result<(), Failure>;

pub fn main() -> ExitCode {
    let parse_start = std::time::Instant::now();
    let cli = match Cli::parse_args() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let parsed = parse_start.elapsed();
    init_logging(
        cli.global.verbose,
        matches!(cli.command, Command::SampleServer(_)),
    );
    tracing::trace!(target: "skillet::timing", phase = "cli.parse", us = parsed.as_secs_f64() * 1e6);
    // `search` does no async work: a runtime without worker threads saves the process
    // starting and ending them (most of a query's time is process start). `watch` only waits
    // for a signal (its keeper runs on a thread of its own).
    let mut builder = if matches!(cli.command, Command::Search(_) | Command::Watch(_)) {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            output::error(&anyhow::anyhow!("cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli));
    // Children and tasks still running are ended with the runtime; do not wait on stragglers.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Exit(code)) => ExitCode::from(code),
        Err(Failure::Error(e)) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            ExitCode::from(output::error(&e))
        }
    }
}

async fn run(cli: Cli) -> CliResult {
    let ctx = Context {
        directory: cli.global.directory,
        mcp_config: cli.global.mcp_config,
    };
    match cli.command {
        Command::Init(args) => init::run(&ctx, args),
        Command::Servers(args) => servers::run(&ctx, args).await,
        Command::Gen(args) => generate::run(&ctx, args).await,
        Command::Call(args) => call::run(&ctx, args).await,
        Command::Auth(args) => auth::run(&ctx, args).await,
        Command::Run(args) => run::run(&ctx, args).await,
        Command::Runs(args) => runs::run(&ctx, args),
        Command::Audit(args) => audit::run(&ctx, args),
        Command::Serve(args) => serve::run(&ctx, args).await,
        Command::Save(args) => skills::save(&ctx, args),
        Command::Validate(args) => skills::validate(&ctx, args),
        Command::Show(args) => skills::show(&ctx, args),
        Command::Log(args) => skills::log(&ctx, args),
        Command::Diff(args) => skills::diff(&ctx, args),
        Command::Test(args) => skills::test(&ctx, args).await,
        Command::Install(args) => install::install(&ctx, args),
        Command::Outdated(args) => install::outdated(&ctx, args),
        Command::Update(args) => install::update(&ctx, args),
        Command::Export(args) => export::run(&ctx, args),
        Command::Search(args) => skills::search(&ctx, args),
        Command::Watch(args) => watch::run(&ctx, args).await,
        Command::Manifest(args) => signing::manifest(&ctx, args),
        Command::Keygen(args) => signing::keygen(&ctx, args),
        Command::Sign(args) => signing::sign(&ctx, args),
        Command::Verify(args) => signing::verify(&ctx, args),
        Command::Review(args) => signing::review(&ctx, args),
        Command::Demo(args) => demo::run(&ctx, args).await,
        Command::Schema(args) => schema::run(&args),
        Command::SampleServer(args) => sample_server::run(args).await,
    }
}

/// What every command may need from the global flags.
pub(crate) struct Context {
    directory: Option<PathBuf>,
    mcp_config: Option<PathBuf>,
}

impl Context {
    /// The folder the command acts in: `-C DIR`, else the working directory.
    fn start_dir(&self) -> anyhow::Result<PathBuf> {
        let cwd = std::env::current_dir()?;
        Ok(match &self.directory {
            Some(dir) => cwd.join(dir),
            None => cwd,
        })
    }

    fn registry(&self) -> anyhow::Result<Registry> {
        Ok(Registry::discover(&self.start_dir()?)?)
    }

    /// `--mcp-config`, resolved against the working directory.
    fn mcp_config(&self) -> anyhow::Result<Option<PathBuf>> {
        Ok(match &self.mcp_config {
            Some(p) => Some(std::env::current_dir()?.join(p)),
            None => None,
        })
    }
}

fn init_logging(verbose: u8, quiet_stdout_server: bool) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn,rmcp=off",
        1 => "info,skillet=info,rmcp=warn",
        // rmcp logs the single-use authorization code at debug level.
        _ => "debug,rmcp::transport::auth=info",
    };
    let filter = crate::config::env::log_filter()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(default));
    let ansi = !quiet_stdout_server && output::stderr_color();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(false)
        .without_time()
        .try_init();
}

/// stdout closed by the reader (`skillet runs --json | head`): not an error, as in ripgrep. JSON
/// output fails with a `serde_json::Error` that wraps the I/O error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(line: &str) -> Vec<std::ffi::OsString> {
        line.split_whitespace().map(Into::into).collect()
    }

    #[test]
    fn the_quick_parse_reads_a_command_line_as_the_whole_parser_does() {
        for line in [
            "skillet search invoices",
            "skillet search x --limit 3 --json --tools",
            "skillet search x -v -C /tmp --mcp-config m.json",
            "skillet run a.ts",
            "skillet run a.ts --json --timeout-ms 5000 --input {} -vv",
            "skillet run --skill forty-two",
            "skillet test",
            "skillet test one two --json",
        ] {
            let args = argv(line);
            let quick = Cli::quick_parse(&args).unwrap_or_else(|| panic!("{line}: not parsed"));
            let whole = Cli::try_parse_from(&args).unwrap();
            assert_eq!(format!("{quick:?}"), format!("{whole:?}"), "{line}");
        }
    }

    #[test]
    fn what_the_quick_parse_refuses_goes_to_the_whole_parser() {
        for line in [
            "skillet search --help",
            "skillet search",
            "skillet search two words",
            "skillet run --limit 3",
            "skillet run a.ts --skill x",
            "skillet -C /tmp search x",
            "skillet show x",
            "skillet",
        ] {
            assert!(Cli::quick_parse(&argv(line)).is_none(), "{line}");
        }
    }
}
