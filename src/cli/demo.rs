use super::{CliResult, Context, output};
use crate::demo::DemoReport;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Keep the demo registry in DIR (default: a temporary folder, removed afterwards).
    #[arg(long, value_name = "DIR")]
    keep: Option<std::path::PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub(super) async fn run(ctx: &Context, args: Args) -> CliResult {
    let exe = std::env::current_exe()?;
    let tmp = tempfile::Builder::new().prefix("skillet-demo-").tempdir()?;
    let workdir = match &args.keep {
        Some(dir) => ctx.start_dir()?.join(dir),
        None => tmp.path().to_owned(),
    };
    let bar = output::progress(3, "starting the sample servers");
    let report = crate::demo::run(&exe, &workdir).await?;
    bar.finish_and_clear();
    if args.json {
        return Ok(output::json(&report)?);
    }
    Ok(output::print(&render(&report))?)
}

fn render(r: &DemoReport) -> String {
    let n = crate::tokens::thousands;
    let mut t = format!(
        "skillet demo: what an agent's context holds to use {} MCP servers ({} tools), in o200k tokens\n\n",
        r.servers.len(),
        r.tools
    );
    t.push_str("Direct tool calling (every definition, loaded up front)\n");
    t.push_str(&format!(
        "  {:<44} {:>8}\n\n",
        r.direct.what,
        n(r.direct.tokens)
    ));
    t.push_str("Code mode (the agent lists the tree and reads the two files its task needs)\n");
    for p in &r.code_mode {
        t.push_str(&format!("  {:<44} {:>8}\n", p.what, n(p.tokens)));
    }
    t.push_str(&format!("  {:<44} {:>8}\n", "total", n(r.code_mode_total)));
    if r.code_mode_total > 0 {
        t.push_str(&format!(
            "  {:.1}x less than direct calling; the gap grows with every server you add\n\n",
            r.direct.tokens as f64 / r.code_mode_total as f64
        ));
    }
    for w in &r.workflows {
        t.push_str(&format!(
            "\nWorkflow: {} (run {})\n  sandbox output: {}\n",
            w.name,
            w.run_id,
            w.output.trim_end()
        ));
        t.push_str("  direct tool calling\n");
        for p in &w.direct {
            t.push_str(&format!("    {:<52} {:>9}\n", p.what, n(p.tokens)));
        }
        t.push_str(&format!("    {:<52} {:>9}\n", "total", n(w.direct_total)));
        t.push_str("  code mode\n");
        for p in &w.code_mode {
            t.push_str(&format!("    {:<52} {:>9}\n", p.what, n(p.tokens)));
        }
        t.push_str(&format!(
            "    {:<52} {:>9}\n",
            "total",
            n(w.code_mode_total)
        ));
        t.push_str(&format!(
            "  code mode costs {:.2}% of direct calling\n",
            w.percent
        ));
        if let Some(p) = &w.privacy {
            t.push_str(&format!(
                "  personal data: the script read the transcript with {} tokens in place of names, emails and phone numbers; the CRM got the real values\n    script saw  {}\n    CRM got     {}\n",
                p.tokens, p.script_saw, p.crm_got
            ));
        }
    }
    t.push_str(&format!(
        "\nSaved the first workflow as skill `{}` v{} (commit {}).\nSearch \"{}\" finds: {}\n",
        r.skill.name,
        r.skill.version,
        &r.skill.commit[..r.skill.commit.len().min(12)],
        r.skill.query,
        if r.skill.found.is_empty() {
            "nothing".to_owned()
        } else {
            r.skill.found.join(", ")
        }
    ));
    t.push_str(&format!(
        "Signed with a throwaway reviewer key; `skillet verify`: signed by {} ({}).\n",
        if r.skill.signed_by.is_empty() {
            "nobody".to_owned()
        } else {
            r.skill.signed_by.join(", ")
        },
        if r.skill.meets_policy {
            "meets the review policy"
        } else {
            "does not meet the review policy"
        }
    ));
    t.push_str(&format!(
        "`skillet review --base {}`: the change {} the pull-request gate.\n",
        &r.skill.review_base[..r.skill.review_base.len().min(12)],
        if r.skill.review_passes {
            "passes"
        } else {
            "does NOT pass"
        }
    ));
    t.push_str(&format!(
        "\nThe skill takes a typed input ({}) lifted from the run's literals. Reused by name with a new one:\n  skillet run --skill {} --input '{}'\n  {} ({} tool calls, run {})\n",
        r.skill.inputs.join(", "),
        r.skill.name,
        r.skill.reused.input,
        r.skill.reused.output.trim_end(),
        r.skill.reused.tool_calls,
        r.skill.reused.run_id,
    ));
    t.push_str(&format!(
        "Exported the reviewed skills to {}/ (where Claude Code reads them): {}\n",
        r.skill.exported_to,
        r.skill.exported.join(", ")
    ));
    t.push_str(SERVE_HELP);
    t
}

/// How to give an agent all of this: `skillet serve` in the common MCP clients.
const SERVE_HELP: &str = r#"
Give your agent code mode and the skills registry with `skillet serve` (in a registry made by
`skillet init`, with your servers in its .mcp.json):
  Claude Code     claude mcp add skillet -- skillet -C /path/to/registry serve
  Claude Desktop  claude_desktop_config.json, and Cursor  ~/.cursor/mcp.json:
                  {"mcpServers": {"skillet": {"command": "skillet", "args": ["-C", "/path/to/registry", "serve"]}}}
  Over HTTP       skillet serve --http 127.0.0.1:8808   (then http://127.0.0.1:8808/mcp)
"#;
