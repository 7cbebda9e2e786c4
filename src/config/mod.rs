//! Configuration files: `skillet.toml` (the registry's settings) and the `mcpServers` JSON.

pub mod env;
pub mod mcp;
pub mod settings;

pub use mcp::{McpConfigError, OAuthConfig, ServerConfig, Transport};
pub use settings::{
    MarketplaceSettings, RetryOverride, RetrySettings, ReviewSettings, RunSettings, Settings,
    SettingsError, UpstreamSettings,
};
