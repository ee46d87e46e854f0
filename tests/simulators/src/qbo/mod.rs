//! QuickBooks Online: token and revocation endpoints, discovery, CompanyInfo, and the
//! query API over generated charts of accounts (with QuickBooks' per-realm throttle).

pub(crate) mod api;
pub(crate) mod company;
mod control;
pub(crate) mod control_routes;
pub mod data;
pub(crate) mod discovery;
pub mod errors;
pub mod query;
pub mod ratelimit;
pub(crate) mod token;
pub mod xml;
