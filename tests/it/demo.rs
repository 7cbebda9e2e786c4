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

    let text = env.run(&["demo"]).success();
    assert!(
        text.stdout.contains("Direct tool calling"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("Code mode"), "{}", text.stdout);
}
