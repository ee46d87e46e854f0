//! Mooring's integration tests: one binary, real plugin components, real loopback
//! servers. Modules group the situations by subsystem.

mod at_rest;
mod binary;
mod cli;
mod common_model;
mod crash;
mod egress;
mod harness;
mod lifecycle;
mod page;
mod plugin_lifecycle;
mod quickbooks_sync;
mod reconnect;
mod runtime;
mod support;
mod sync;
mod wit_versions;
