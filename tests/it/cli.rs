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
