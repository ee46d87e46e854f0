//! Mooring's integration tests: one binary, real plugin components, real loopback
//! servers. Modules group the situations by subsystem.

mod app_budget;
mod at_rest;
mod binary;
mod bounds;
mod cli;
mod common_model;
mod consent_refusals;
mod crash;
mod crash_restarts;
mod egress;
mod guest_time;
mod harness;
mod lifecycle;
mod observability;
mod openapi;
mod pacing;
mod page;
mod page_browser;
mod plugin_lifecycle;
mod quickbooks_sync;
mod races;
mod reconnect;
mod reconnect_links;
mod refresh_ahead;
mod runtime;
mod scheduling;
mod serve_process;
mod stream_concurrency;
mod support;
mod sync;
mod transient;
mod webhooks;
mod wit_versions;
