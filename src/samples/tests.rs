//! In-process end-to-end tests of the sample servers over real MCP transports: an in-memory
//! duplex pipe (the same framing as stdio) and streamable HTTP.

use std::collections::BTreeSet;
use std::time::Duration;

use rmcp::{
    RoleClient, ServiceExt,
    model::{CallToolRequestParams, CallToolResult, Tool},
    service::RunningService,
    transport::StreamableHttpClientTransport,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{CrmServer, DocsServer, SampleServer, serve_http};

/// Generous upper bound so a hang fails the test instead of stalling the suite.
const DEADLINE: Duration = Duration::from_secs(20);

type Client = RunningService<RoleClient, ()>;

async fn connect_in_process<S: rmcp::ServerHandler>(
    server: S,
) -> anyhow::Result<(Client, tokio::task::JoinHandle<anyhow::Result<()>>)> {
    let (server_io, client_io) = tokio::io::duplex(64 * 1024);
    let handle = tokio::spawn(async move {
        server.serve(server_io).await?.waiting().await?;
        anyhow::Ok(())
    });
    let client = ().serve(client_io).await?;
    Ok((client, handle))
}

async fn call(client: &Client, name: &str, args: Value) -> anyhow::Result<CallToolResult> {
    let Value::Object(args) = args else {
        anyhow::bail!("arguments must be an object");
    };
    Ok(client
        .call_tool(CallToolRequestParams::new(name.to_owned()).with_arguments(args))
        .await?)
}

/// The structured content of a successful call.
fn structured(result: &CallToolResult) -> &Value {
    assert_ne!(
        result.is_error,
        Some(true),
        "unexpected tool error: {result:?}"
    );
    result
        .structured_content
        .as_ref()
        .unwrap_or_else(|| panic!("no structured content: {result:?}"))
}

/// The single text block of a result.
fn text(result: &CallToolResult) -> &str {
    assert_eq!(result.content.len(), 1, "{result:?}");
    result.content[0]
        .as_text()
        .map(|t| t.text.as_str())
        .unwrap_or_else(|| panic!("not text: {result:?}"))
}

/// Asserts the call failed as a tool error (not a protocol error) mentioning `needle`.
fn assert_tool_error(result: &CallToolResult, needle: &str) {
    assert_eq!(
        result.is_error,
        Some(true),
        "expected a tool error: {result:?}"
    );
    let message = text(result);
    assert!(message.contains(needle), "{message:?} lacks {needle:?}");
}

/// Checks names, descriptions, documented parameters and output schemas of a tool list.
fn check_tools(tools: &[Tool], expected: &[(&str, bool)]) {
    let names: BTreeSet<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    let wanted: BTreeSet<&str> = expected.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, wanted);
    for (name, has_output_schema) in expected {
        let tool = tools.iter().find(|t| t.name == *name).expect("listed");
        assert!(
            tool.description.as_deref().is_some_and(|d| d.len() > 20),
            "{name} lacks a description"
        );
        assert!(tool.title.is_some(), "{name} lacks a title");
        let annotations = tool.annotations.as_ref().expect("annotations");
        assert_eq!(annotations.open_world_hint, Some(false), "{name}");
        assert_eq!(
            tool.output_schema.is_some(),
            *has_output_schema,
            "{name} output schema"
        );
        if let Some(schema) = &tool.output_schema {
            assert_eq!(schema.get("type"), Some(&json!("object")), "{name}");
        }
        assert_eq!(tool.input_schema.get("type"), Some(&json!("object")));
        let properties = tool.input_schema["properties"]
            .as_object()
            .expect("properties");
        assert!(!properties.is_empty(), "{name} takes no arguments");
        for (field, schema) in properties {
            assert!(
                schema.get("description").and_then(Value::as_str).is_some(),
                "{name}.{field} has no description"
            );
        }
    }
}

#[tokio::test]
async fn docs_server_over_duplex() -> anyhow::Result<()> {
    let (client, server) = connect_in_process(DocsServer::new()).await?;

    let info = client.peer_info().expect("server info");
    assert_eq!(
        info.server_info.as_ref().map(|i| i.name.as_str()),
        Some("skillet-sample-docs")
    );
    assert!(
        info.instructions
            .as_deref()
            .is_some_and(|i| i.contains("search_documents"))
    );

    let tools = client.list_all_tools().await?;
    check_tools(
        &tools,
        &[
            ("list_documents", true),
            ("search_documents", true),
            ("get_document", false),
        ],
    );
    let read_only = |name: &str| {
        tools
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| t.annotations.as_ref())
            .and_then(|a| a.read_only_hint)
    };
    assert_eq!(read_only("get_document"), Some(true));

    let listed = call(&client, "list_documents", json!({"folder": "meetings"})).await?;
    let listed = structured(&listed);
    let documents = listed["documents"].as_array().expect("documents");
    assert_eq!(listed["total"], json!(documents.len()));
    assert!(documents.iter().all(|d| d["folder"] == "meetings"));
    let transcript = documents
        .iter()
        .find(|d| d["id"] == "meet-2025-q3-planning-call")
        .expect("transcript listed");
    let words = transcript["word_count"].as_u64().expect("word count");
    assert!((16_000..=24_000).contains(&words), "{words} words");

    let found = call(
        &client,
        "search_documents",
        json!({"query": "postmortem latency", "limit": 2}),
    )
    .await?;
    let found = structured(&found);
    assert_eq!(found["results"][0]["id"], "eng-postmortem-2025-05-14");
    assert!(found["results"].as_array().is_some_and(|r| r.len() <= 2));
    assert!(
        found["results"][0]["snippet"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );

    let document = call(
        &client,
        "get_document",
        json!({"id": "meet-2025-q3-planning-call"}),
    )
    .await?;
    assert_ne!(document.is_error, Some(true));
    assert!(document.structured_content.is_none());
    let body = text(&document);
    assert!(body.starts_with("---\nid: meet-2025-q3-planning-call\n"));
    assert!(body.contains("jordan.ellis@example.com") && body.contains("(415) 555-0187"));

    let missing = call(&client, "get_document", json!({"id": "no-such-doc"})).await?;
    assert_tool_error(&missing, "`no-such-doc`");
    assert_tool_error(&missing, "list_documents");
    let empty_query = call(&client, "search_documents", json!({"query": " ?! "})).await?;
    assert_tool_error(&empty_query, "at least one word");
    let bad_limit = call(&client, "list_documents", json!({"limit": 0})).await?;
    assert_tool_error(&bad_limit, "between 1 and 100");
    // Malformed arguments are reported as tool errors by rmcp, too.
    let bad_folder = call(&client, "list_documents", json!({"folder": "attic"})).await?;
    assert_eq!(bad_folder.is_error, Some(true));
    // An unknown tool is a protocol error.
    assert!(call(&client, "no_such_tool", json!({})).await.is_err());

    client.cancel().await?;
    tokio::time::timeout(DEADLINE, server).await???;
    Ok(())
}

#[tokio::test]
async fn crm_server_over_duplex() -> anyhow::Result<()> {
    let (client, server) = connect_in_process(CrmServer::new()).await?;

    let tools = client.list_all_tools().await?;
    check_tools(
        &tools,
        &[
            ("export_activities", true),
            ("find_records", true),
            ("get_record", true),
            ("update_record", true),
        ],
    );
    let update = tools
        .iter()
        .find(|t| t.name == "update_record")
        .expect("tool");
    let hints = update.annotations.as_ref().expect("annotations");
    assert_eq!(hints.read_only_hint, Some(false));
    assert_eq!(hints.destructive_hint, Some(true));

    let found = call(
        &client,
        "find_records",
        json!({"query": "jordan", "type": "contact"}),
    )
    .await?;
    let found = structured(&found);
    assert_eq!(found["total"], 1);
    assert_eq!(found["records"][0]["id"], "ct-001");
    assert_eq!(found["records"][0]["company"], "Northwind Traders");

    let record = call(&client, "get_record", json!({"id": "dl-001"})).await?;
    let record = structured(&record);
    assert_eq!(record["record"]["type"], "deal");
    assert_eq!(record["record"]["stage"], "proposal");

    let notes = "Q3 planning call: send the expansion proposal by 2025-07-18.";
    let updated = call(
        &client,
        "update_record",
        json!({"id": "dl-001", "fields": {"notes": notes, "stage": "negotiation"}}),
    )
    .await?;
    let updated = structured(&updated);
    assert_eq!(updated["changed_fields"], json!(["notes", "stage"]));
    assert_eq!(updated["record"]["notes"], notes);

    let again = call(&client, "get_record", json!({"id": "dl-001"})).await?;
    assert_eq!(structured(&again)["record"]["stage"], "negotiation");

    let missing = call(&client, "get_record", json!({"id": "dl-404"})).await?;
    assert_tool_error(&missing, "No record with id `dl-404`");
    let unknown_field = call(
        &client,
        "update_record",
        json!({"id": "ct-001", "fields": {"salary": 1}}),
    )
    .await?;
    assert_tool_error(
        &unknown_field,
        "Unknown field `salary` for a contact record",
    );
    let bad_type = call(
        &client,
        "update_record",
        json!({"id": "dl-001", "fields": {"amount": "a lot"}}),
    )
    .await?;
    assert_tool_error(&bad_type, "Field `amount` must be a non-negative integer");

    client.cancel().await?;
    tokio::time::timeout(DEADLINE, server).await???;
    Ok(())
}

/// Sends a raw HTTP request and returns the status code.
async fn raw_status(addr: std::net::SocketAddr, host: &str) -> anyhow::Result<u16> {
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "POST /mcp HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await?;
    let line = String::from_utf8_lossy(&head);
    Ok(line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0))
}

#[tokio::test]
async fn crm_over_streamable_http_shares_state_and_shuts_down() -> anyhow::Result<()> {
    let (bound_tx, bound_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_http(
        SampleServer::Crm,
        "127.0.0.1:0".parse()?,
        move |addr| {
            let _ = bound_tx.send(addr);
        },
        async move {
            let _ = stop_rx.await;
        },
    ));
    let addr = tokio::time::timeout(DEADLINE, bound_rx).await??;
    assert_ne!(addr.port(), 0);
    let url = format!("http://{addr}/mcp");

    let writer = ().serve(StreamableHttpClientTransport::from_uri(url.clone())).await?;
    let reader = ().serve(StreamableHttpClientTransport::from_uri(url)).await?;
    assert_eq!(writer.list_all_tools().await?.len(), 4);

    let updated = call(
        &writer,
        "update_record",
        json!({"id": "co-004", "fields": {"employees": 345}}),
    )
    .await?;
    assert_eq!(structured(&updated)["record"]["employees"], 345);
    // A second session of the same server process sees the update.
    let seen = call(&reader, "get_record", json!({"id": "co-004"})).await?;
    assert_eq!(structured(&seen)["record"]["employees"], 345);

    // DNS-rebinding protection: a foreign Host header is refused.
    assert_eq!(raw_status(addr, "evil.example.com").await?, 403);

    writer.cancel().await?;
    reader.cancel().await?;
    let _ = stop_tx.send(());
    tokio::time::timeout(DEADLINE, server).await???;
    Ok(())
}

#[test]
fn sample_server_names() {
    assert_eq!(SampleServer::Docs.name(), "docs");
    assert_eq!(SampleServer::Crm.name(), "crm");
    assert_eq!(SampleServer::Crm.to_string(), "crm");
    use clap::ValueEnum as _;
    assert_eq!(
        SampleServer::from_str("docs", false),
        Ok(SampleServer::Docs)
    );
}
