//! QuickBooks Online: token and revocation endpoints, discovery, CompanyInfo.

pub(crate) mod company;
pub(crate) mod discovery;
pub mod errors;
pub(crate) mod token;
pub mod xml;
