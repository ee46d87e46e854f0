//! Wall-clock time as the host sees it (tests may move it). Use this, not
//! `std::time::SystemTime`, so a plugin follows the host's clock.

pub use crate::bindings::mooring::connector::clock::now_millis;

/// The host's time as RFC 3339 in UTC (`2018-10-20T00:00:00.250Z`).
pub fn now_rfc3339() -> String {
    crate::time::rfc3339_from_millis(now_millis() as i64)
}
