//! What users see of the command line: every command's `--help`, as one snapshot, so that a
//! change of a flag or its wording shows in review.

use crate::support::*;

/// The subcommands listed in a help text's `Commands:` section (`help` itself left out).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_command_help() {
    let env = TestEnv::new();
    let mut out = String::new();
    let mut queue: Vec<Vec<String>> = vec![Vec::new()];
    let mut seen = 0;
    while let Some(path) = queue.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = env.run(&args).success().stdout;
        out.push_str(&format!("==== skillet {}\n{help}\n", args.join(" ")));
        seen += 1;
        for sub in subcommands(&help).into_iter().rev() {
            let mut next = path.clone();
            next.push(sub);
            queue.push(next);
        }
    }
    assert!(seen > 20, "only {seen} help texts:\n{out}");
    insta::assert_snapshot!(out);
}

/// The main error messages, each with its exit status: what went wrong, where, and the hint
/// that fixes it. Paths of the test's folder are shown as `[TMP]`.
#[test]
fn main_error_messages() {
    let env = TestEnv::new();
    let tmp = env.tmp.path().to_string_lossy().into_owned();
    let mut out = String::new();
    let mut case = |what: &str, args: &[&str]| {
        let run = env.run(args);
        out.push_str(&format!(
            "==== {what}: skillet {}\nexit {}\n{}\n",
            args.join(" "),
            run.code(),
            run.stderr.replace(&tmp, "[TMP]").trim_end()
        ));
    };
    // Before there is a registry.
    case("no registry", &["search", "weekly report"]);
    case("a limit of zero", &["run", "--timeout-ms", "0", "x.ts"]);
    case("no script", &["run"]);
    env.registry(serde_json::json!({ "docs": sample("docs") }));
    case("no such skill", &["show", "weekly-report"]);
    case("a bad skill name", &["show", "Weekly_Report"]);
    case(
        "no such run",
        &["save", "--run", "nope", "--name", "a", "--description", "b"],
    );
    case("no such server", &["call", "nowhere", "tool"]);
    case(
        "arguments that are not an object",
        &["call", "docs", "get_document", "[1]"],
    );
    case(
        "a revision that does not exist",
        &["show", "weekly-report@v9"],
    );
    case(
        "an install source skillet cannot read",
        &["install", "not a source"],
    );
    case("an install source without skills", &["install", "."]);
    case(
        "updating a skill that was not installed",
        &["update", "weekly-report"],
    );
    env.write("skillet.toml", "[run]\ntimeout_ms = \"soon\"\n");
    case("invalid settings", &["runs"]);
    env.write("skillet.toml", "");
    env.write(".mcp.json", r#"{"mcpServrs": {}}"#);
    case("a misspelled configuration", &["servers"]);
    env.write(".mcp.json", r#"{"mcpServers": {"a": {"args": ["x"]}}}"#);
    case("a server without a command", &["servers"]);
    env.write(
        ".mcp.json",
        r#"{"mcpServers": {"a": {"command": "definitely-not-installed-skillet-test"}}}"#,
    );
    case("a command that is not installed", &["servers"]);
    env.write("skillet.lock", "{ not json");
    case("a corrupt lock", &["gen", "--check"]);
    insta::assert_snapshot!(out);
}
