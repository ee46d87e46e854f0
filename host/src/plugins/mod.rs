//! Plugin versions as the operator manages them: what each asks for
//! ([`capabilities`]), and the lifecycle that uploads, approves, activates, rolls back,
//! canaries and pins them ([`lifecycle`]). The in-memory side is
//! [`crate::runtime::PluginRegistry`]; this module decides and persists.

pub mod capabilities;
mod install;
pub mod lifecycle;
pub mod primary_key;

pub use lifecycle::{PluginLifecycle, PluginLifecycleError, Uploaded};
