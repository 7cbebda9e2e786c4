//! Configuration files: `skillet.toml` (the registry's settings) and the `mcpServers` JSON.

pub mod env;
pub mod mcp;
pub mod oauth;
pub mod settings;

pub use mcp::{McpConfigError, ServerConfig, Transport};
pub use oauth::{Grant, IdTokenSource, IdentityProvider, OAuthConfig, PrivateKey, SigningAlg};
pub use settings::{
    MarketplaceSettings, RetryOverride, RetrySettings, ReviewSettings, RunSettings, Settings,
    SettingsError, UpstreamSettings,
};
