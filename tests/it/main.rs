//! Integration tests: the real `skillet` binary in a fresh temp folder with a fixed environment,
//! against real peers (npm MCP servers, tsc, git) and a scripted misbehaving server.

// Tests set up their own processes' environment (PATH for the peers, trial counts), and say
// what they measured.
#![allow(
    clippy::disallowed_methods,
    clippy::print_stdout,
    clippy::print_stderr,
    unreachable_pub
)]

mod support;

mod cli;
mod codegen;
mod conformance;
mod crash;
mod demo;
mod export;
mod gen_lock;
mod hardening;
mod init;
mod inputs;
mod install;
mod keeper;
mod marketplace;
mod modes;
mod oauth;
mod oauth_machine;
mod portable;
mod privacy;
mod real_servers;
mod review;
mod runs;
mod sandbox_security;
mod search_limits;
mod serve;
mod server_folders;
mod skills;
mod tidy;
mod upstream;
mod upstream_faults;
mod validate;
