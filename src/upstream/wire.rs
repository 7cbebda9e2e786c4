//! The rmcp transport of a stdio upstream: JSON lines from the child's stdout ([`JsonLines`])
//! and messages written to its stdin.
//!
//! It exists for the answers to `tools/call`, the messages a run waits on. rmcp's generic
//! parse reads every message into serde's buffer, then tries the variants of two untagged
//! enums in turn (`ServerResult` has `CallToolResult` sixteenth); for a tool's answer that was
//! most of the client's cost of a call. This transport remembers the ids of the `tools/call`
//! requests it sent, and reads an answer to one of them straight into a `CallToolResult`.
//! Everything else, and any answer that does not read as one, goes through rmcp's own parse,
//! so rmcp decides what it means, as before.
//!
//! What is not a message: a line that is not JSON is ignored (as rmcp and the other SDKs do), a
//! notification that does not read is dropped (it asks for no answer), and other JSON that is
//! no message is answered with an Invalid Request error, as rmcp's own transport does.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolResult, ClientJsonRpcMessage, ClientNotification, ClientRequest, ErrorData,
    JsonRpcMessage, JsonRpcResponse, JsonRpcVersion2_0, RequestId, ServerJsonRpcMessage,
    ServerResult,
};
use rmcp::service::RoleClient;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _};

use super::stdio::JsonLines;

/// The most `tools/call` requests remembered as out at once. Answers remove theirs; this bounds
/// what a server that never answers can make the client keep.
const MAX_OUT: usize = 4096;

pub(crate) struct LineTransport<R, W> {
    lines: JsonLines<R>,
    write: Arc<tokio::sync::Mutex<Option<W>>>,
    /// Ids of `tools/call` requests sent and not yet answered.
    calls: Arc<Mutex<HashSet<RequestId>>>,
    /// A message that was JSON but no message came in: an Invalid Request error is owed
    /// (kept here so that a `receive` dropped while sending it still sends it next time).
    owe_error: bool,
}

impl<R, W> LineTransport<R, W> {
    pub(crate) fn new(lines: JsonLines<R>, write: W) -> Self {
        Self {
            lines,
            write: Arc::new(tokio::sync::Mutex::new(Some(write))),
            calls: Arc::default(),
            owe_error: false,
        }
    }
}

/// The parts of a message looked at before choosing how to read it.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    jsonrpc: Option<&'a str>,
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    result: Option<&'a RawValue>,
    method: Option<serde::de::IgnoredAny>,
    error: Option<serde::de::IgnoredAny>,
}

/// What one line is.
#[derive(Debug)]
pub(crate) enum Read {
    Message(Box<ServerJsonRpcMessage>),
    /// Not JSON, or a notification no one knows: nothing to do.
    Ignored,
    /// JSON, and no message: a request that cannot be read is owed an Invalid Request error.
    Invalid,
}

/// Reads one line: an answer to a `tools/call` in `calls` straight into a `CallToolResult`,
/// anything else as rmcp reads it.
pub(crate) fn read(line: &[u8], calls: &Mutex<HashSet<RequestId>>) -> Read {
    if let Some(message) = read_call_answer(line, calls) {
        return Read::Message(Box::new(message));
    }
    match serde_json::from_slice::<ServerJsonRpcMessage>(line) {
        Ok(message) => {
            if let JsonRpcMessage::Response(JsonRpcResponse { id, .. })
            | JsonRpcMessage::Error(rmcp::model::JsonRpcError { id: Some(id), .. }) = &message
                && let Ok(mut calls) = calls.lock()
            {
                calls.remove(id);
            }
            Read::Message(Box::new(message))
        }
        Err(e) if e.is_syntax() || e.is_eof() => {
            tracing::debug!("ignoring a line that is not JSON: {e}");
            Read::Ignored
        }
        Err(e) => {
            // A notification (no id) that does not read is one skillet does not know (or a
            // malformed one): it asks for no answer, and gets none.
            let notification = serde_json::from_slice::<Head<'_>>(line)
                .is_ok_and(|head| head.method.is_some() && head.id.is_none());
            tracing::debug!("a message that does not read: {e}");
            if notification {
                Read::Ignored
            } else {
                Read::Invalid
            }
        }
    }
}

/// The answer to a `tools/call` this transport sent, read as one; `None` when the line is
/// anything else or does not read as a `CallToolResult` (rmcp's parse then decides).
fn read_call_answer(
    line: &[u8],
    calls: &Mutex<HashSet<RequestId>>,
) -> Option<ServerJsonRpcMessage> {
    let head: Head<'_> = serde_json::from_slice(line).ok()?;
    let (Some(id), Some(result)) = (head.id, head.result) else {
        return None;
    };
    if head.jsonrpc != Some("2.0") || head.method.is_some() || head.error.is_some() {
        return None;
    }
    let id: RequestId = serde_json::from_str(id.get()).ok()?;
    if !calls.lock().ok()?.contains(&id) {
        return None;
    }
    let result: CallToolResult = serde_json::from_str(result.get()).ok()?;
    if let Ok(mut calls) = calls.lock() {
        calls.remove(&id);
    }
    Some(JsonRpcMessage::Response(JsonRpcResponse {
        jsonrpc: JsonRpcVersion2_0,
        id,
        result: ServerResult::CallToolResult(result),
    }))
}

impl<R, W> rmcp::transport::Transport<RoleClient> for LineTransport<R, W>
where
    R: AsyncRead + Unpin + Send,
    W: AsyncWrite + Unpin + Send + 'static,
{
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: ClientJsonRpcMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        if let Ok(mut calls) = self.calls.lock() {
            match &item {
                JsonRpcMessage::Request(request)
                    if matches!(request.request, ClientRequest::CallToolRequest(_))
                        && calls.len() < MAX_OUT =>
                {
                    calls.insert(request.id.clone());
                }
                // A call given up on (its timeout) may never be answered: forget it now.
                JsonRpcMessage::Notification(notification) => {
                    if let ClientNotification::CancelledNotification(cancelled) =
                        &notification.notification
                        && let Some(id) = &cancelled.params.request_id
                    {
                        calls.remove(id);
                    }
                }
                _ => {}
            }
        }
        let line = serde_json::to_vec(&item).map(|mut line| {
            line.push(b'\n');
            line
        });
        let write = Arc::clone(&self.write);
        async move {
            let line = line.map_err(std::io::Error::other)?;
            let mut write = write.lock().await;
            let Some(write) = write.as_mut() else {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotConnected,
                    "the transport is closed",
                ));
            };
            write.write_all(&line).await?;
            write.flush().await
        }
    }

    async fn receive(&mut self) -> Option<ServerJsonRpcMessage> {
        loop {
            if self.owe_error {
                let error = ClientJsonRpcMessage::error(
                    ErrorData::invalid_request("Invalid request", None),
                    None,
                );
                let mut line = serde_json::to_vec(&error).ok()?;
                line.push(b'\n');
                let mut write = self.write.lock().await;
                let write = write.as_mut()?;
                if write.write_all(&line).await.is_err() || write.flush().await.is_err() {
                    return None;
                }
                self.owe_error = false;
            }
            let line = self.lines.next_line().await?;
            match read(&line, &self.calls) {
                Read::Message(message) => return Some(*message),
                Read::Ignored => {}
                Read::Invalid => self.owe_error = true,
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        drop(self.write.lock().await.take());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::stdio::LogFile;
    use super::*;

    fn calls(ids: &[i64]) -> Mutex<HashSet<RequestId>> {
        Mutex::new(ids.iter().map(|id| RequestId::Number(*id)).collect())
    }

    /// rmcp's own reading of a line, for comparison.
    fn rmcp_reads(line: &str) -> ServerJsonRpcMessage {
        serde_json::from_str(line).expect("rmcp reads it")
    }

    fn json(message: &ServerJsonRpcMessage) -> serde_json::Value {
        serde_json::to_value(message).unwrap()
    }

    fn message(read: Read) -> ServerJsonRpcMessage {
        match read {
            Read::Message(m) => *m,
            other => panic!("not a message: {other:?}"),
        }
    }

    #[test]
    fn an_answer_to_a_call_reads_as_rmcp_reads_it() {
        for line in [
            r#"{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"hi"}]}}"#,
            r#"{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":"{\"a\":1}"}],"structuredContent":{"a":1},"isError":false}}"#,
            r#"{"id":3,"jsonrpc":"2.0","result":{"content":[],"isError":true,"_meta":{"k":"v"}}}"#,
            r#"{"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"image","data":"AAAA","mimeType":"image/png"},{"type":"resource_link","uri":"file:///a","name":"a"}]}}"#,
            r#"{"jsonrpc":"2.0","id":3,"result":{"structuredContent":null}}"#,
        ] {
            let out = calls(&[3]);
            let fast = message(read(line.as_bytes(), &out));
            assert_eq!(json(&fast), json(&rmcp_reads(line)), "{line}");
            assert!(
                matches!(&fast, JsonRpcMessage::Response(r) if matches!(r.result, ServerResult::CallToolResult(_))),
                "{line}"
            );
            assert!(
                out.lock().unwrap().is_empty(),
                "the answered call is forgotten"
            );
        }
    }

    #[test]
    fn anything_else_is_left_to_rmcp() {
        // An answer to another request (not a call) with a call's shape, a call answer with a
        // result type that is not `complete`, an error, a request and a notification.
        for line in [
            r#"{"jsonrpc":"2.0","id":4,"result":{"content":[]}}"#,
            r#"{"jsonrpc":"2.0","id":3,"result":{"resultType":"input_required","inputRequests":{}}}"#,
            r#"{"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"no such tool"}}"#,
            r#"{"jsonrpc":"2.0","id":"s1","method":"ping"}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#,
        ] {
            let out = calls(&[3]);
            if let Ok(expected) = serde_json::from_str::<ServerJsonRpcMessage>(line) {
                assert_eq!(
                    json(&message(read(line.as_bytes(), &out))),
                    json(&expected),
                    "{line}"
                );
            } else {
                assert!(
                    !matches!(read(line.as_bytes(), &out), Read::Message(_)),
                    "{line}"
                );
            }
        }
        // An error answer to a call forgets the call too.
        let out = calls(&[3]);
        read(
            br#"{"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"no such tool"}}"#,
            &out,
        );
        assert!(out.lock().unwrap().is_empty());
    }

    #[test]
    fn what_is_no_message_is_ignored_or_refused() {
        let out = calls(&[]);
        assert!(matches!(read(b"{not json", &out), Read::Ignored));
        // A notification that does not read asks for no answer; a method no one knows is
        // rmcp's custom request or notification, for the handler to turn down.
        assert!(matches!(
            read(
                br#"{"jsonrpc":"2.0","method":"notifications/progress","params":7}"#,
                &out
            ),
            Read::Ignored
        ));
        assert!(matches!(
            read(
                br#"{"jsonrpc":"2.0","method":"notifications/made_up"}"#,
                &out
            ),
            Read::Message(_)
        ));
        assert!(matches!(
            read(br#"{"jsonrpc":"2.0","id":9,"method":"made/up"}"#, &out),
            Read::Message(_)
        ));
        assert!(matches!(read(br#"{"hello":1}"#, &out), Read::Invalid));
    }

    #[tokio::test]
    async fn a_call_goes_out_as_one_line_and_its_answer_comes_back() {
        use rmcp::transport::Transport as _;
        let (to_server, mut server_in) = tokio::io::duplex(64 * 1024);
        let (mut server_out, from_server) = tokio::io::duplex(64 * 1024);
        let log_dir = tempfile::tempdir().unwrap();
        let lines = JsonLines::new(
            "s".into(),
            from_server,
            Arc::new(LogFile::open(&log_dir.path().join("s.log")).unwrap()),
        );
        let mut transport = LineTransport::new(lines, to_server);
        let request: ClientJsonRpcMessage = serde_json::from_str(
            r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"x":1}}}"#,
        )
        .unwrap();
        transport.send(request).await.unwrap();
        assert!(
            transport
                .calls
                .lock()
                .unwrap()
                .contains(&RequestId::Number(7))
        );
        let mut sent = vec![0u8; 1024];
        let n = tokio::io::AsyncReadExt::read(&mut server_in, &mut sent)
            .await
            .unwrap();
        let sent = std::str::from_utf8(&sent[..n]).unwrap();
        assert!(
            sent.ends_with('\n') && sent.matches('\n').count() == 1,
            "{sent:?}"
        );
        // A banner line, a blank line and the answer, split across writes.
        server_out
            .write_all(b"starting up\n\n{\"jsonrpc\":\"2.0\",\"id\":7,\"res")
            .await
            .unwrap();
        server_out
            .write_all(b"ult\":{\"content\":[{\"type\":\"text\",\"text\":\"1\"}]}}\n")
            .await
            .unwrap();
        let answer = transport.receive().await.expect("an answer");
        assert!(matches!(
            answer,
            JsonRpcMessage::Response(JsonRpcResponse {
                result: ServerResult::CallToolResult(_),
                ..
            })
        ));
        // JSON that is no message is answered with an Invalid Request error.
        server_out
            .write_all(b"{\"hello\":1}\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n")
            .await
            .unwrap();
        let ping = transport.receive().await.expect("the ping");
        assert!(matches!(ping, JsonRpcMessage::Request(_)));
        let mut owed = vec![0u8; 1024];
        let n = tokio::io::AsyncReadExt::read(&mut server_in, &mut owed)
            .await
            .unwrap();
        let owed: serde_json::Value = serde_json::from_slice(&owed[..n]).unwrap();
        assert_eq!(owed["error"]["code"], -32600, "{owed}");
        // A call given up on is forgotten when its cancellation goes out.
        let call: ClientJsonRpcMessage = serde_json::from_str(
            r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"slow"}}"#,
        )
        .unwrap();
        transport.send(call).await.unwrap();
        let cancel: ClientJsonRpcMessage = serde_json::from_str(
            r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":8}}"#,
        )
        .unwrap();
        transport.send(cancel).await.unwrap();
        assert!(transport.calls.lock().unwrap().is_empty());
        transport.close().await.unwrap();
        drop(server_out);
        assert!(
            transport.receive().await.is_none(),
            "the end of the output ends the stream"
        );
    }
}
