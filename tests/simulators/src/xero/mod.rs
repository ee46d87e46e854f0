//! Xero: identity (token, revocation), the `/connections` API, and the Accounting API
//! data endpoints over generated organisations.

pub(crate) mod api;
pub(crate) mod connections;
mod control;
pub(crate) mod control_routes;
pub mod data;
pub mod dates;
pub mod errors;
pub(crate) mod json;
pub mod ratelimit;
pub(crate) mod token;
