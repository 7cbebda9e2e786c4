//! skillet: code mode for MCP. It turns the user's MCP servers into a typed TypeScript API that an
//! agent reads on demand, and keeps what the agent learned as reviewed, searchable skills.
//!
//! The operations (`ops`) are the library's entry points; the command line (`cli`) and the MCP
//! server (`serve`) are thin adapters over them. See ARCHITECTURE.md for the map.
//!
//! Modules are public where benches and tests drive them in-process (the engines: codegen,
//! sandbox, search, signing, privacy, ...); the adapters and the glue between them are
//! crate-private, so the compiler finds what nothing uses.

pub mod api;
pub mod audit;
mod cli;
pub mod codegen;
pub mod config;
pub(crate) mod demo;
pub mod error;
pub(crate) mod fsutil;
pub mod inputs;
pub(crate) mod js_position;
pub(crate) mod lock;
pub mod ops;
pub(crate) mod oxc_stack;
pub(crate) mod par;
pub mod policy;
pub mod privacy;
pub mod registry;
pub mod review;
pub mod runs;
pub(crate) mod samples;
pub mod sandbox;
pub mod search;
pub(crate) mod serve;
pub mod signing;
pub mod skill;
pub(crate) mod timing;
pub mod tokens;
pub mod tool;
pub mod upstream;

/// The `skillet` command line (the binary's `main`).
pub use cli::main;
