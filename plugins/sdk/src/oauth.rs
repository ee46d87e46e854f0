//! Token requests the host performs with the secrets it holds.
//!
//! Every function returns only non-secret facts ([`TokenInfo`]); map a [`TokenError`]
//! with `?` into a `ConnectorError` (see [`crate::error`] for the rules).
//!
//! ```ignore
//! fn refresh() -> Result<TokenInfo, ConnectorError> {
//!     Ok(oauth::refresh(&[])?)
//! }
//! fn complete_authorization(params: Fields) -> Result<Vec<Tenant>, ConnectorError> {
//!     oauth::exchange_code(fields::require(&params, "code")?, &[])?;
//!     /* discover tenants with Request::get(...).bearer() */
//! }
//! ```

pub use crate::bindings::mooring::connector::oauth::{exchange_code, refresh, revoke};
pub use crate::types::{RevokeFormat, TokenError, TokenInfo};
