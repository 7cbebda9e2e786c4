use crate::support::*;

#[test]
fn demo_runs_offline_and_code_mode_is_smaller() {
    let env = TestEnv::new();
    let report = env.run(&["demo", "--json"]).success().json();
    assert_eq!(report["servers"], serde_json::json!(["docs", "crm"]));
    let direct = report["direct"]["tokens"].as_u64().unwrap();
    let code = report["code_mode_total"].as_u64().unwrap();
    assert!(
        code > 0 && code < direct,
        "code mode {code} vs direct {direct}"
    );
    assert!(
        report["transcript"]["tokens"].as_u64().unwrap() > 5_000,
        "{report}"
    );
    let parts: Vec<&str> = report["code_mode"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["what"].as_str().unwrap())
        .collect();
    assert!(parts.contains(&"servers/docs/getDocument.ts"), "{parts:?}");
    assert!(parts.contains(&"servers/crm/updateRecord.ts"), "{parts:?}");

    let workflows = report["workflows"].as_array().unwrap();
    assert_eq!(workflows.len(), 2);
    let doc_to_crm = &workflows[0];
    assert!(
        doc_to_crm["output"]
            .as_str()
            .unwrap()
            .starts_with("Attached the transcript"),
        "{doc_to_crm}"
    );
    // The target: code mode (searching the API, then one script) costs at most 1% of direct
    // calling. The sample data is fixed, so the figure is too.
    assert!(
        doc_to_crm["percent"].as_f64().unwrap() <= 1.0,
        "{doc_to_crm}"
    );
    let discovery: Vec<&str> = doc_to_crm["code_mode"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["what"].as_str().unwrap())
        .filter(|w| w.starts_with("search: "))
        .collect();
    assert_eq!(discovery.len(), 2, "{doc_to_crm}");
    // The script saw tokens in place of personal data; the CRM got the real values.
    let privacy = &doc_to_crm["privacy"];
    let saw = privacy["script_saw"].as_str().unwrap();
    let got = privacy["crm_got"].as_str().unwrap();
    assert!(
        saw.contains("[EMAIL_1]") && !saw.contains("@example.com"),
        "{privacy}"
    );
    assert!(got.contains("jordan.ellis@example.com"), "{privacy}");
    assert!(
        doc_to_crm["output"]
            .as_str()
            .unwrap()
            .ends_with("to [NAME_1]\n"),
        "{doc_to_crm}"
    );
    let filter = &workflows[1];
    assert!(
        filter["output"]
            .as_str()
            .unwrap()
            .contains("of 10000 activities"),
        "{filter}"
    );
    assert!(filter["percent"].as_f64().unwrap() < 1.0, "{filter}");
    // The runs are real, recorded runs.
    assert!(doc_to_crm["run_id"].as_str().unwrap().len() > 10);

    // The workflow is saved as a skill and found by a search that does not use its name.
    assert_eq!(report["skill"]["version"], 1);
    let name = report["skill"]["name"].as_str().unwrap();
    let query = report["skill"]["query"].as_str().unwrap();
    let query_words: Vec<&str> = query.split_whitespace().collect();
    assert!(
        name.split('-').all(|word| !query_words.contains(&word)),
        "{query} uses the name {name}"
    );
    assert_eq!(report["skill"]["found"][0], name, "{report}");
    assert_eq!(
        report["skill"]["signed_by"],
        serde_json::json!(["reviewer@example.com"])
    );
    assert_eq!(report["skill"]["meets_policy"], true);
    assert_eq!(report["skill"]["review_passes"], true);
    // Saved with a typed input lifted from the run's literals, and reused with a new one.
    assert_eq!(
        report["skill"]["inputs"],
        serde_json::json!(["documentId", "contactEmail"])
    );
    let reused = &report["skill"]["reused"];
    assert_eq!(reused["input"]["contactEmail"], "maya.chen@example.com");
    assert_eq!(reused["tool_calls"], 3, "{reused}");
    assert!(
        reused["output"]
            .as_str()
            .unwrap()
            .starts_with("Attached the transcript"),
        "{reused}"
    );
    assert_ne!(reused["run_id"], doc_to_crm["run_id"]);
    // Exported where Claude Code reads skills.
    assert_eq!(report["skill"]["exported_to"], ".claude/skills");
    assert_eq!(report["skill"]["exported"], serde_json::json!([name]));

    let text = env.run(&["demo"]).success();
    assert!(
        text.stdout.contains("Direct tool calling"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("Code mode"), "{}", text.stdout);
    assert!(
        text.stdout
            .contains("skillet run --skill attach-transcript-to-contact --input"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .contains("claude mcp add skillet -- skillet -C /path/to/registry serve"),
        "{}",
        text.stdout
    );
}
