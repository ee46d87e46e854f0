//! Diagnostics through the host, which tags each line with the plugin, its version
//! and the connection.
//!
//! ```ignore
//! use mooring_plugin_sdk::log;
//! log::info!("fetched {} invoices for {}", n, tenant.id);
//! log::emit(Level::Warn, "raw line");
//! ```
//!
//! Never log a body that might carry personal data in full; see
//! [`crate::error::excerpt`].

pub use crate::bindings::mooring::connector::log::emit;
pub use crate::types::Level;

#[doc(hidden)]
#[macro_export]
macro_rules! __mooring_log {
    ($level:expr, $($arg:tt)+) => {
        $crate::log::emit($level, &::std::format!($($arg)+))
    };
}

/// `log::trace!("...", args)`: one line at trace level.
#[doc(hidden)]
#[macro_export]
macro_rules! __mooring_trace {
    ($($arg:tt)+) => { $crate::__mooring_log!($crate::types::Level::Trace, $($arg)+) };
}

/// `log::debug!("...", args)`: one line at debug level.
#[doc(hidden)]
#[macro_export]
macro_rules! __mooring_debug {
    ($($arg:tt)+) => { $crate::__mooring_log!($crate::types::Level::Debug, $($arg)+) };
}

/// `log::info!("...", args)`: one line at info level.
#[doc(hidden)]
#[macro_export]
macro_rules! __mooring_info {
    ($($arg:tt)+) => { $crate::__mooring_log!($crate::types::Level::Info, $($arg)+) };
}

/// `log::warn!("...", args)`: one line at warn level.
#[doc(hidden)]
#[macro_export]
macro_rules! __mooring_warn {
    ($($arg:tt)+) => { $crate::__mooring_log!($crate::types::Level::Warn, $($arg)+) };
}

/// `log::error!("...", args)`: one line at error level.
#[doc(hidden)]
#[macro_export]
macro_rules! __mooring_error {
    ($($arg:tt)+) => { $crate::__mooring_log!($crate::types::Level::Error, $($arg)+) };
}

/// Emits one line at debug level, `format!`-style.
pub use crate::__mooring_debug as debug;
/// Emits one line at error level, `format!`-style.
pub use crate::__mooring_error as error;
/// Emits one line at info level, `format!`-style.
pub use crate::__mooring_info as info;
/// Emits one line at trace level, `format!`-style.
pub use crate::__mooring_trace as trace;
/// Emits one line at warn level, `format!`-style.
pub use crate::__mooring_warn as warn;
