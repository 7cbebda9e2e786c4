//! A pool of upstream connections, started lazily on first use and shared by everyone holding
//! the pool. Each server's tool list is fetched once and kept.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::OnceCell;

use super::{ToolResult, Upstream, UpstreamError};
use crate::codegen::ToolSpec;
use crate::config::{ServerConfig, UpstreamSettings};

/// One server's slot: connected at most once, on first use.
struct Slot {
    config: ServerConfig,
    connection: OnceCell<Result<Arc<Connected>, UpstreamError>>,
}

struct Connected {
    upstream: Upstream,
    tools: Vec<ToolSpec>,
}

pub struct UpstreamPool {
    slots: HashMap<String, Slot>,
    timeouts: UpstreamSettings,
    logs_dir: PathBuf,
    base_dir: PathBuf,
}

impl UpstreamPool {
    pub fn new(
        servers: &[ServerConfig],
        timeouts: UpstreamSettings,
        logs_dir: PathBuf,
        base_dir: PathBuf,
    ) -> Self {
        Self {
            slots: servers
                .iter()
                .map(|s| {
                    (
                        s.name.clone(),
                        Slot {
                            config: s.clone(),
                            connection: OnceCell::new(),
                        },
                    )
                })
                .collect(),
            timeouts,
            logs_dir,
            base_dir,
        }
    }

    pub fn server_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.slots.keys().cloned().collect();
        names.sort();
        names
    }

    async fn connected(&self, server: &str) -> Result<Arc<Connected>, UpstreamError> {
        let Some(slot) = self.slots.get(server) else {
            return Err(UpstreamError::NotConfigured {
                server: server.to_owned(),
                configured: self.server_names(),
            });
        };
        slot.connection
            .get_or_init(|| async {
                let upstream =
                    Upstream::connect(&slot.config, &self.timeouts, &self.logs_dir, &self.base_dir)
                        .await?;
                let tools = match upstream.list_tools().await {
                    Ok(tools) => tools,
                    Err(e) => {
                        upstream.shutdown().await;
                        return Err(e);
                    }
                };
                Ok(Arc::new(Connected { upstream, tools }))
            })
            .await
            .clone()
    }

    /// The tool's definition, connecting to the server if needed. `None`: no such tool.
    pub async fn tool(&self, server: &str, tool: &str) -> Result<Option<ToolSpec>, UpstreamError> {
        let connected = self.connected(server).await?;
        Ok(connected.tools.iter().find(|t| t.name == tool).cloned())
    }

    /// Calls a tool (the result may have `is_error` set).
    pub async fn call(
        &self,
        server: &str,
        tool: &str,
        arguments: serde_json::Map<String, serde_json::Value>,
    ) -> Result<ToolResult, UpstreamError> {
        let connected = self.connected(server).await?;
        connected.upstream.call_tool(tool, arguments).await
    }

    /// Ends every connection this pool opened (stdin closed, SIGTERM, SIGKILL), concurrently.
    pub async fn shutdown(self) {
        let upstreams =
            self.slots
                .into_values()
                .filter_map(|slot| match slot.connection.into_inner() {
                    Some(Ok(connected)) => Arc::try_unwrap(connected).ok().map(|c| c.upstream),
                    _ => None,
                });
        // A connection still shared elsewhere is dropped instead, which kills its process group.
        super::shutdown_all(upstreams.collect()).await;
    }
}
