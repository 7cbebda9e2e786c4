use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{CliResult, Context, output};
use crate::ops::auth as ops;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: AuthCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AuthCommand {
    /// Log in to an HTTP server with OAuth: prints the authorization URL on stderr, opens it
    /// with $BROWSER (or xdg-open/open when there is a display), and waits for the redirect to
    /// a loopback address. A server whose `oauth.grant` is `client_credentials` or `enterprise`
    /// gets its token without a browser. Tokens are stored for you, outside the registry.
    Login(LoginArgs),
    /// Which HTTP servers you are logged in to: expiry and scopes (never a token).
    Status(StatusArgs),
    /// Forget the tokens of a server.
    Logout(LogoutArgs),
}

#[derive(Debug, clap::Args)]
struct LoginArgs {
    /// The configured HTTP server.
    server: String,
    /// A scope to request besides those the server asks for (repeatable).
    #[arg(long = "scope", value_name = "SCOPE")]
    scopes: Vec<String>,
    /// Seconds to wait for the authorization to complete.
    #[arg(long, default_value_t = 300, value_name = "SECS")]
    timeout: u64,
    /// Print what the login got as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct StatusArgs {
    /// Print the status as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct LogoutArgs {
    /// The configured HTTP server.
    server: String,
}

pub(super) async fn run(ctx: &Context, args: Args) -> CliResult {
    let registry = ctx.registry()?;
    let servers = registry.servers(ctx.mcp_config()?.as_deref())?;
    match args.command {
        AuthCommand::Login(args) => {
            let on_url = |url: &str| {
                eprintln!(
                    "Open this URL to authorize skillet for `{}`:\n\n  {url}\n",
                    args.server
                );
            };
            let report = ops::login(
                &servers,
                ops::LoginOptions {
                    server: &args.server,
                    scopes: args.scopes.clone(),
                    timeout: Duration::from_secs(args.timeout),
                    browser: browser(),
                    on_url: &on_url,
                },
            )
            .await?;
            if args.json {
                output::json(&report)?;
            } else {
                let scopes = if report.scopes.is_empty() {
                    String::new()
                } else {
                    format!(" (scopes: {})", report.scopes.join(" "))
                };
                if report.grant == "authorization_code" {
                    output::print(&format!("logged in to `{}`{scopes}", report.server))?;
                } else {
                    output::print(&format!(
                        "got a token for `{}` with the {} grant{scopes}",
                        report.server, report.grant
                    ))?;
                }
            }
        }
        AuthCommand::Status(args) => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let rows = ops::status(&servers, now)?;
            if args.json {
                output::json(&rows)?;
            } else if rows.is_empty() {
                output::note("no HTTP servers are configured");
            } else {
                let mut text = String::new();
                for row in rows {
                    let machine = row.grant != "authorization_code";
                    let state = match (row.logged_in, row.expired, row.refreshable) {
                        (false, ..) if machine => "no token yet (fetched at next use)".to_owned(),
                        (false, ..) => "not logged in".to_owned(),
                        (true, true, _) if machine => {
                            "token expired; a new one is fetched at next use".into()
                        }
                        (true, true, true) => {
                            "logged in (token expired; refreshed at next use)".into()
                        }
                        (true, true, false) => "login expired".into(),
                        (true, false, _) => match row.expires_at {
                            Some(at) => format!(
                                "logged in, expires in {}",
                                fmt_secs(at.saturating_sub(now))
                            ),
                            None => "logged in".into(),
                        },
                    };
                    text.push_str(&format!("{}\t{state}", row.server));
                    if machine {
                        text.push_str(&format!("\tgrant: {}", row.grant));
                    }
                    if !row.scopes.is_empty() {
                        text.push_str(&format!("\tscopes: {}", row.scopes.join(" ")));
                    }
                    if !row.pending_scopes.is_empty() {
                        text.push_str(&format!(
                            "\tnext login adds: {}",
                            row.pending_scopes.join(" ")
                        ));
                    }
                    text.push('\n');
                }
                output::print(text.trim_end())?;
            }
        }
        AuthCommand::Logout(args) => {
            let report = ops::logout(&servers, &args.server)?;
            if report.removed {
                output::print(&format!("logged out of `{}`", report.server))?;
            } else {
                output::note(&format!("no tokens were stored for `{}`", report.server));
            }
        }
    }
    Ok(())
}

/// `$BROWSER`, else the desktop's opener when a display is there; else nothing (the URL is
/// printed either way).
/// Logs in again from the command line when a server refuses a call of `run` or `call` for
/// want of a scope (OAuth step-up): the URL on stderr, the browser opened when there is one.
pub(super) struct CliLogin {
    servers: Vec<crate::config::ServerConfig>,
    /// Whether a person can take part (a browser login is possible).
    person: bool,
}

impl CliLogin {
    /// Where a person can take part: stderr is a terminal (to show the URL), or a browser
    /// command is configured or can be opened; or for the servers with a machine grant
    /// (`oauth.grant`), which get a new token without anyone.
    pub(super) fn if_possible(
        servers: &[crate::config::ServerConfig],
    ) -> Option<std::sync::Arc<dyn crate::upstream::Login>> {
        use std::io::IsTerminal as _;
        let person = std::io::stderr().is_terminal() || browser().is_some();
        (person || servers.iter().any(machine_grant)).then(|| {
            std::sync::Arc::new(CliLogin {
                servers: servers.to_vec(),
                person,
            }) as std::sync::Arc<dyn crate::upstream::Login>
        })
    }
}

fn machine_grant(server: &crate::config::ServerConfig) -> bool {
    matches!(&server.transport, crate::config::Transport::Http { oauth, .. } if oauth.is_machine_grant())
}

impl crate::upstream::Login for CliLogin {
    fn login<'a>(
        &'a self,
        server: &'a str,
        scope: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<(), crate::upstream::UpstreamError>> {
        Box::pin(async move {
            let machine = self
                .servers
                .iter()
                .any(|s| s.name == server && machine_grant(s));
            if machine {
                eprintln!("`{server}` asks for the scope `{scope}`: getting a token with it");
            } else if !self.person {
                // Nobody to log in: the refusal stands, with its hint.
                return Err(crate::upstream::auth::AuthFailure::InsufficientScope {
                    server: server.to_owned(),
                    scope: scope.to_owned(),
                }
                .into());
            } else {
                eprintln!("`{server}` asks for the scope `{scope}`: logging in again to grant it");
            }
            let on_url = |url: &str| {
                eprintln!("Open this URL to authorize skillet for `{server}`:\n\n  {url}\n");
            };
            ops::login(
                &self.servers,
                ops::LoginOptions {
                    server,
                    scopes: scope.split_whitespace().map(str::to_owned).collect(),
                    timeout: Duration::from_secs(300),
                    browser: browser(),
                    on_url: &on_url,
                },
            )
            .await
            .map(|_| ())
        })
    }
}

fn browser() -> Option<String> {
    crate::config::env::browser().or_else(|| {
        crate::config::env::has_display().then(|| {
            if cfg!(target_os = "macos") {
                "open".to_owned()
            } else {
                "xdg-open".to_owned()
            }
        })
    })
}

fn fmt_secs(secs: u64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 2 * 3600 => format!("{} min", s / 60),
        s => format!("{} h", s / 3600),
    }
}
