//! Mooring: a connector host for accounting integrations.
//!
//! The host owns OAuth grants, tokens, schedules and synced records; each provider is a
//! sandboxed WebAssembly component implementing `mooring:connector@0.1.0` (see `wit/`).
//! The host never names a provider: every provider fact lives in its plugin.
//!
//! See `ARCHITECTURE.md` for the rules and the module map. In dependency order:
//!
//! - [`clock`], [`validate`], [`store_io`], [`metrics`]: leaves.
//! - [`runtime`]: the wasmtime engine, plugin loading and the capability imports.
//! - [`plugins`]: the plugin lifecycle (upload, approve, activate, canary, pin).
//! - [`auth`]: OAuth only: tokens, grants, flows, integrations, secrets.
//! - [`connections`]: the connection lifecycle, the only writer of connection states.
//! - [`sync`]: running and scheduling streams; asks [`connections`] to change states.
//! - [`retention`], [`backends`], [`config`]: housekeeping and settings.
//! - [`app`]: one host instance wired together; [`api`]: its HTTP surface (the `mooring`
//!   binary adds the CLI).

pub mod api;
pub mod app;
pub mod auth;
pub mod backends;
pub mod clock;
pub mod config;
pub mod connections;
pub mod heap_trim;
pub mod metrics;
pub mod plugins;
pub mod reconnect_links;
pub mod retention;
pub mod runtime;
pub mod store_io;
pub mod sync;
pub mod validate;
pub mod webhooks;
