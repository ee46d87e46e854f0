//! Mooring's integration tests: one binary, real plugin components, real loopback
//! servers. Modules group the situations by subsystem.

mod binary;
mod crash;
mod harness;
mod lifecycle;
mod page;
mod reconnect;
mod runtime;
mod support;
mod sync;
