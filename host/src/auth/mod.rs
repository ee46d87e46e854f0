//! OAuth on the host side: integrations, flows, grants and refresh. The connection
//! lifecycle that uses them is `crate::connections`; this module never changes a
//! connection's state (a refused grant is reported through
//! [`grants::GrantRefusals`]). Plugins never see a secret: the host performs every
//! token request and injects credentials; plugins get only non-secret facts.
//!
//! - [`tokens`]: token-endpoint requests (oauth2 crate; RFC 7009 revocation);
//!   [`token_extras`]: a plugin's extra parameters, as headers or form fields.
//! - [`grants`]: the [`GrantService`]: grants, single-flight refresh; [`broker`]: its
//!   [`GrantBroker`](crate::runtime::capabilities::GrantBroker) face for the runtime.
//! - [`flows`]: `state`, PKCE and authorize URLs (a flow being completed is one
//!   record in [`crate::runtime::capabilities::flows::FlowsInFlight`]).
//! - [`integrations`], [`reasons`], [`secrets`].

pub mod broker;
pub mod flows;
pub mod grants;
pub mod integrations;
pub mod reasons;
pub mod secrets;
pub mod token_extras;
pub mod tokens;

pub use grants::GrantService;
