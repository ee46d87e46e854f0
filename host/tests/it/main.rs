//! Mooring's integration tests: one binary, real plugin components, real loopback
//! servers. Modules group the situations by subsystem.

mod at_rest;
mod binary;
mod bounds;
mod cli;
mod common_model;
mod crash;
mod crash_restarts;
mod egress;
mod guest_time;
mod harness;
mod lifecycle;
mod page;
mod plugin_lifecycle;
mod quickbooks_sync;
mod reconnect;
mod refresh_ahead;
mod runtime;
mod support;
mod sync;
mod transient;
mod wit_versions;
