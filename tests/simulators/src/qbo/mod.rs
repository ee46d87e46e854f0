//! QuickBooks Online: token and revocation endpoints, discovery, CompanyInfo,
//! Preferences, the query API, reads by id, CDC and the four reports over generated
//! companies (chart of accounts plus a double-entry ledger), with QuickBooks' per-realm
//! throttle (500 per minute, 10 in progress).

pub(crate) mod api;
pub mod cdc;
pub(crate) mod company;
mod control;
pub(crate) mod control_routes;
pub mod data;
pub(crate) mod discovery;
pub(crate) mod entities;
pub mod errors;
pub mod ledger;
pub mod ledger_control;
pub mod query;
pub mod ratelimit;
pub mod reports;
pub(crate) mod token;
pub mod xml;
