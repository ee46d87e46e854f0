//! Mooring: a connector host for accounting integrations.
//!
//! The host owns OAuth grants, tokens, schedules and synced records; each provider is a
//! sandboxed WebAssembly component implementing `mooring:connector@0.1.0` (see `wit/`).
//! The host never names a provider: every provider fact lives in its plugin.
//!
//! - [`config`]: settings from defaults, a TOML file and `MOORING_*` variables.
//! - [`runtime`]: the wasmtime engine, plugin loading and the capability imports.
//! - [`app`]: one host instance wired together; [`api`]: its HTTP surface.

pub mod api;
pub mod app;
pub mod auth;
pub mod backends;
pub mod clock;
pub mod config;
pub mod plugins;
pub mod retention;
pub mod runtime;
pub mod sync;
pub mod validate;
