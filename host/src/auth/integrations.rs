//! Integrations: a provider plus OAuth client credentials, default scopes and a
//! redirect URI. The client secret is sealed at rest and never returned.

use mooring_store::{Integration, Store, StoreError};
use serde::{Deserialize, Serialize};

use super::secrets::{Slot, new_id, seal};
use crate::validate;

/// An integration as it is configured or posted. `Debug` redacts the secret.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationSpec {
    /// Stable id; generated when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// Provider (plugin) id.
    pub provider: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret (stored sealed).
    pub client_secret: String,
    /// Scopes to request; the plugin's defaults when empty.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Redirect URI; `<public url>/oauth/callback` when absent.
    #[serde(default)]
    pub redirect_uri: Option<String>,
}

impl std::fmt::Debug for IntegrationSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrationSpec")
            .field("id", &self.id)
            .field("provider", &self.provider)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .field("scopes", &self.scopes)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// An integration as the API shows it (no secret).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IntegrationView {
    /// Id.
    pub id: String,
    /// Provider id.
    pub provider: String,
    /// OAuth client id.
    pub client_id: String,
    /// Scopes requested by default.
    pub scopes: Vec<String>,
    /// Redirect URI.
    pub redirect_uri: String,
    /// Creation time (ms since epoch).
    pub created_at: u64,
}

impl From<&Integration> for IntegrationView {
    fn from(i: &Integration) -> Self {
        Self {
            id: i.id.clone(),
            provider: i.provider.clone(),
            client_id: i.client_id.clone(),
            scopes: i.scopes.clone(),
            redirect_uri: i.redirect_uri.clone(),
            created_at: i.created_at,
        }
    }
}

/// Why an integration spec was refused.
#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    /// A field is empty or malformed.
    #[error("{0}")]
    Invalid(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Validate and store `spec` (replacing an integration with the same id). Fields are
/// size-limited and the redirect URI must be http(s) without user info (see
/// [`crate::validate`]).
pub fn upsert(
    store: &Store,
    spec: &IntegrationSpec,
    default_redirect: &str,
    now: u64,
) -> Result<Integration, IntegrationError> {
    let id = spec.id.clone().unwrap_or_else(|| new_id("int"));
    if !valid_id(&id) {
        return Err(IntegrationError::Invalid(format!(
            "integration id {id:?} must be 1-64 of a-z, A-Z, 0-9, '-', '_'"
        )));
    }
    let invalid = |e: validate::Invalid| IntegrationError::Invalid(e.0);
    validate::name("provider", &spec.provider).map_err(invalid)?;
    validate::name("client_id", &spec.client_id).map_err(invalid)?;
    validate::secret("client_secret", &spec.client_secret).map_err(invalid)?;
    validate::scopes(&spec.scopes).map_err(invalid)?;
    let redirect_uri = spec
        .redirect_uri
        .clone()
        .unwrap_or_else(|| default_redirect.to_owned());
    validate::redirect_uri(&redirect_uri).map_err(invalid)?;
    let created_at = store
        .integration(&id)?
        .map_or(now, |existing| existing.created_at);
    let integration = Integration {
        client_secret: seal(store, Slot::ClientSecret(&id), &spec.client_secret)?,
        id,
        provider: spec.provider.clone(),
        client_id: spec.client_id.clone(),
        scopes: spec.scopes.clone(),
        redirect_uri,
        created_at,
    };
    store.put_integration(&integration)?;
    Ok(integration)
}
