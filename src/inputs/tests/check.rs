use serde_json::json;

use super::of_type;
use crate::error::{Diagnose, Kind};
use crate::inputs::{InputError, MAX_INPUT_BYTES, check, parse_arg};

fn problems(schema: &serde_json::Value, value: &serde_json::Value) -> Vec<String> {
    match check(schema, value) {
        Err(InputError::Mismatch { problems, more }) => {
            let mut all = problems;
            if more > 0 {
                all.push(format!("and {more} more"));
            }
            all
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
}

#[test]
fn a_matching_input_passes() {
    let schema = of_type("", "{ id: string; tags?: string[] }");
    check(&schema, &json!({"id": "t-1"})).unwrap();
    check(&schema, &json!({"id": "t-1", "tags": ["a"]})).unwrap();
}

#[test]
fn each_problem_is_named_by_its_path_from_input() {
    let schema = of_type(
        "",
        "{ transcriptId: string; items: { n: number }[]; 'odd key': boolean; '0': string }",
    );
    let found = problems(
        &schema,
        &json!({"transcriptId": 42, "items": [{"n": 1}, {"n": "two"}], "odd key": 1, "0": 0, "extra": true}),
    );
    assert!(
        found.contains(&"input.transcriptId: 42 is not of type \"string\"".to_owned()),
        "{found:?}"
    );
    assert!(
        found.contains(&"input.items[1].n: \"two\" is not of type \"number\"".to_owned()),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("input[\"odd key\"]: 1 is not of type")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("input[\"0\"]: 0 is not of type")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("input: ") && p.contains("extra")),
        "{found:?}"
    );
    let missing = problems(&schema, &json!({}));
    assert!(
        missing
            .iter()
            .any(|p| p.contains("\"transcriptId\" is a required property")),
        "{missing:?}"
    );
}

#[test]
fn at_most_ten_problems_then_a_count() {
    let schema = of_type("", "number[]");
    let value = json!([
        "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"
    ]);
    let found = problems(&schema, &value);
    assert_eq!(found.len(), 11, "{found:?}");
    assert_eq!(found[0], "input[0]: \"a\" is not of type \"number\"");
    assert_eq!(found[10], "and 3 more");
    let message = check(&schema, &value).unwrap_err().to_string();
    assert!(
        message.starts_with("the input does not match the script's input type:\n  input[0]: ")
            && message.ends_with("\n  and 3 more"),
        "{message}"
    );
}

#[test]
fn an_invalid_schema_is_its_own_error() {
    let error = check(&json!({"type": 12}), &json!(1)).unwrap_err();
    assert!(matches!(error, InputError::Schema(_)), "{error:?}");
}

#[test]
fn an_argument_is_json_text() {
    let base = std::path::Path::new("/nonexistent");
    assert_eq!(parse_arg("{\"id\": 1}", base).unwrap(), json!({"id": 1}));
    assert_eq!(parse_arg("\"text\"", base).unwrap(), json!("text"));
    assert_eq!(parse_arg("[1, 2]", base).unwrap(), json!([1, 2]));

    let bare = parse_arg("hello", base).unwrap_err();
    assert!(
        bare.to_string()
            .starts_with("the input given is not JSON: "),
        "{bare}"
    );
    assert_eq!(bare.error_kind(), Kind::Usage);
    assert!(
        bare.hints()[0].contains("--input '\"text\"'"),
        "{:?}",
        bare.hints()
    );
    let broken = parse_arg("{\"id\": ", base).unwrap_err();
    assert!(
        broken.hints()[0].contains("@file.json"),
        "{:?}",
        broken.hints()
    );

    let huge = format!("\"{}\"", "x".repeat(MAX_INPUT_BYTES));
    let error = parse_arg(&huge, base).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "the input given is {} bytes; an input may have at most 1048576 bytes (1 MiB)",
            MAX_INPUT_BYTES + 2
        )
    );
}

#[test]
fn an_at_argument_reads_a_file_relative_to_base() {
    let dir = tempfile::tempdir().unwrap();
    fs_err::write(dir.path().join("in.json"), "{\"id\": \"t-1\"}").unwrap();
    assert_eq!(
        parse_arg("@in.json", dir.path()).unwrap(),
        json!({"id": "t-1"})
    );
    let absolute = format!("@{}", dir.path().join("in.json").display());
    assert_eq!(
        parse_arg(&absolute, std::path::Path::new("/elsewhere")).unwrap(),
        json!({"id": "t-1"})
    );

    let missing = parse_arg("@nope.json", dir.path()).unwrap_err();
    assert!(
        missing
            .to_string()
            .starts_with("cannot read the input file ")
            && missing.to_string().contains("nope.json"),
        "{missing}"
    );
    let empty = parse_arg("@", dir.path()).unwrap_err();
    assert!(empty.to_string().contains("`@` names no file"), "{empty}");

    fs_err::write(dir.path().join("bad.json"), "{oops").unwrap();
    let bad = parse_arg("@bad.json", dir.path()).unwrap_err().to_string();
    assert!(
        bad.starts_with("the input file `") && bad.contains("bad.json` is not JSON: "),
        "{bad}"
    );
}

#[test]
fn a_file_over_the_limit_is_refused_from_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.json");
    // 50 MB, sparse: refused from its length, never read.
    std::fs::File::create(&path)
        .unwrap()
        .set_len(50_000_000)
        .unwrap();
    let error = parse_arg("@big.json", dir.path()).unwrap_err();
    assert!(matches!(
        error,
        InputError::TooLarge {
            size: Some(50_000_000),
            ..
        }
    ));
    assert!(
        error
            .to_string()
            .ends_with("is 50000000 bytes; an input may have at most 1048576 bytes (1 MiB)"),
        "{error}"
    );
    assert_eq!(error.error_kind(), Kind::Usage);
}
