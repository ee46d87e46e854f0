//! Xero: identity (token, revocation) and the `/connections` API.

pub(crate) mod connections;
pub mod errors;
pub(crate) mod token;
