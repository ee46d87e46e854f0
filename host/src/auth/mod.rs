//! OAuth on the host side: integrations, flows, grants, refresh and the connection
//! lifecycle. Plugins never see a secret: the host performs every token request and
//! injects credentials; plugins get only non-secret facts.
//!
//! - [`tokens`]: token-endpoint requests (oauth2 crate; RFC 7009 revocation);
//!   [`token_extras`]: a plugin's extra parameters, as headers or form fields.
//! - [`grants`]: the [`GrantService`]: grants, single-flight refresh; [`broker`]: its
//!   [`GrantBroker`](crate::runtime::capabilities::GrantBroker) face for the runtime.
//! - [`flows`]: `state`, PKCE and authorize URLs.
//! - [`connections`]: the [`ConnectionService`] state machine; [`callback`]: consent completion.
//! - [`integrations`], [`reasons`], [`secrets`].

pub mod broker;
pub mod callback;
pub mod connections;
pub mod flows;
pub mod grants;
pub mod health;
pub mod integrations;
pub mod reasons;
pub mod secrets;
pub mod token_extras;
pub mod tokens;

pub use connections::{CallbackOutcome, ConnectionService, LifecycleError};
pub use grants::GrantService;
