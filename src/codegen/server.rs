//! Generating one server's part of the tree.

use std::collections::BTreeMap;

use super::{
    CodegenError, GeneratedFile, GeneratedTool, ServerApi, ToolSpec, description_hash, emit, names,
    schema_hash,
};

/// Generates `servers/<folder>/` for one server: a file per tool and an `index.ts`.
///
/// `previous` maps tool names to the function names an earlier generation gave them (from
/// `skillet.lock`); they are kept while still valid and unique, so names are stable across
/// runs. The same input always gives byte-identical output. Fails when the server lists a
/// tool name twice.
pub fn generate_server(
    server: &str,
    tools: &[ToolSpec],
    previous: &BTreeMap<String, String>,
) -> Result<ServerApi, CodegenError> {
    let mut sorted: Vec<&ToolSpec> = tools.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let duplicate = sorted.windows(2).find_map(|pair| match pair {
        [a, b] if a.name == b.name => Some(a.name.clone()),
        _ => None,
    });
    if let Some(tool) = duplicate {
        return Err(CodegenError::DuplicateTool {
            server: server.to_owned(),
            tool,
        });
    }
    let tool_names: Vec<&str> = sorted.iter().map(|t| t.name.as_str()).collect();
    let functions = names::assign_function_names(&tool_names, previous);
    let folder = crate::tool::safe_segment(server);
    let file_of = |function: &str| format!("servers/{folder}/{function}.ts");

    let generated = sorted
        .iter()
        .zip(&functions)
        .map(|(tool, function)| GeneratedTool {
            tool: tool.name.clone(),
            function: function.clone(),
            file: file_of(function),
            schema_hash: schema_hash(tool),
            description_hash: description_hash(tool),
        })
        .collect();

    let mut by_function: Vec<(&ToolSpec, &str)> = sorted
        .iter()
        .copied()
        .zip(functions.iter().map(String::as_str))
        .collect();
    by_function.sort_by(|a, b| a.1.cmp(b.1));
    let mut files: Vec<GeneratedFile> = by_function
        .iter()
        .map(|(tool, function)| GeneratedFile {
            path: file_of(function),
            contents: emit::tool_file(server, tool, function),
        })
        .collect();
    files.push(GeneratedFile {
        path: format!("servers/{folder}/index.ts"),
        contents: emit::server_index(server, &by_function),
    });
    files.sort_by(|a, b| a.path.cmp(&b.path));

    Ok(ServerApi {
        server: server.to_owned(),
        namespace: crate::tool::names::namespace_name(server),
        folder,
        tools: generated,
        files,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tool(name: &str) -> ToolSpec {
        ToolSpec {
            name: name.into(),
            title: None,
            description: None,
            input_schema: json!({"type": "object"}),
            output_schema: None,
            annotations: None,
        }
    }

    #[test]
    fn duplicate_tool_names_are_an_error_naming_them() {
        let err = generate_server("docs", &[tool("a"), tool("b"), tool("a")], &BTreeMap::new())
            .expect_err("duplicate");
        assert!(
            matches!(&err, CodegenError::DuplicateTool { server, tool } if server == "docs" && tool == "a")
        );
        assert!(err.to_string().contains("\"a\" more than once"), "{err}");
    }

    #[test]
    fn layout_and_lock_entries() {
        let api = generate_server(
            "Google Drive",
            &[tool("get_document"), tool("delete"), tool("get-document")],
            &BTreeMap::new(),
        )
        .expect("generates");
        assert_eq!(api.folder, "Google-Drive");
        assert_eq!(api.namespace, "googleDrive");
        let tools: Vec<_> = api
            .tools
            .iter()
            .map(|t| (t.tool.as_str(), t.function.as_str(), t.file.as_str()))
            .collect();
        assert_eq!(
            tools,
            [
                ("delete", "delete_", "servers/Google-Drive/delete_.ts"),
                (
                    "get-document",
                    "getDocument",
                    "servers/Google-Drive/getDocument.ts"
                ),
                (
                    "get_document",
                    "getDocument_e6fc",
                    "servers/Google-Drive/getDocument_e6fc.ts"
                ),
            ]
        );
        let paths: Vec<_> = api.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "servers/Google-Drive/delete_.ts",
                "servers/Google-Drive/getDocument.ts",
                "servers/Google-Drive/getDocument_e6fc.ts",
                "servers/Google-Drive/index.ts",
            ]
        );
        assert_eq!(api.tools[0].schema_hash, schema_hash(&tool("delete")));
    }

    #[test]
    fn previous_names_are_honoured() {
        let previous = BTreeMap::from([("get_document".to_owned(), "getDocument".to_owned())]);
        let api = generate_server(
            "d",
            &[tool("get_document"), tool("get-document")],
            &previous,
        )
        .expect("generates");
        assert_eq!(api.tools[1].function, "getDocument");
        assert_ne!(api.tools[0].function, "getDocument");
    }

    #[test]
    fn output_is_deterministic_whatever_the_input_order() {
        let tools = [tool("b"), tool("a"), tool("c_d"), tool("C-D")];
        let mut reversed = tools.clone();
        reversed.reverse();
        let first = generate_server("s", &tools, &BTreeMap::new()).expect("generates");
        let second = generate_server("s", &reversed, &BTreeMap::new()).expect("generates");
        assert_eq!(first, second);
    }
}
