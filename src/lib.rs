//! skillet: code mode for MCP. It turns the user's MCP servers into a typed TypeScript API that an
//! agent reads on demand, and keeps what the agent learned as reviewed, searchable skills.
//!
//! The CLI (`cli`) is a thin layer over the operations here; see ARCHITECTURE.md for the map.

pub mod api;
pub mod audit;
pub mod cli;
pub mod codegen;
pub mod config;
pub mod demo;
pub mod fsutil;
pub mod lock;
pub mod policy;
pub mod privacy;
pub mod registry;
pub mod review;
pub mod runs;
pub mod samples;
pub mod sandbox;
pub mod search;
pub mod serve;
pub mod signing;
pub mod skill;
pub mod tokens;
pub mod tool;
pub mod upstream;
