//! The reasons a person reads when a consent leaves a connection short: missing scopes,
//! the wrong organisation. Each names what to do about it.

/// Why a connection needs more scopes.
pub fn missing_scopes(missing: &[String]) -> String {
    format!(
        "missing scope{} {}: reconnect with scopes {:?} to grant {}",
        if missing.len() == 1 { "" } else { "s" },
        missing.join(", "),
        missing,
        if missing.len() == 1 { "it" } else { "them" }
    )
}

/// Why a reconnect picked the wrong organisation.
pub fn wrong_tenant(selected: &[String], expected: &str) -> String {
    let selected = match selected {
        [] => "no organisation".to_owned(),
        [one] => format!("'{one}'"),
        many => many
            .iter()
            .map(|n| format!("'{n}'"))
            .collect::<Vec<_>>()
            .join(", "),
    };
    format!(
        "you selected {selected}; this connection belongs to '{expected}'. Nothing was changed: reconnect and choose '{expected}'"
    )
}

/// Longest part of a provider's `error_description` kept in a reason (it is the
/// provider's text, shown to people; it never holds a secret, but it is untrusted).
const MAX_DESCRIPTION_CHARS: usize = 200;

/// A callback's `error=` (RFC 6749 §4.1.2.1), told apart for the person who reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRefusal {
    error: String,
    description: String,
}

impl ProviderRefusal {
    /// From the callback's `error` and `error_description` (control characters dropped,
    /// the description shortened).
    pub fn new(error: &str, description: &str) -> Self {
        let clean = |text: &str, limit: usize| -> String {
            text.chars()
                .filter(|c| !c.is_control())
                .take(limit)
                .collect::<String>()
                .trim()
                .to_owned()
        };
        Self {
            error: clean(error, 64),
            description: clean(description, MAX_DESCRIPTION_CHARS),
        }
    }

    /// Whether the person declined (`access_denied`).
    pub fn declined(&self) -> bool {
        self.error == "access_denied"
    }

    /// What happened and what to do.
    pub fn reason(&self) -> String {
        let detail = if self.description.is_empty() {
            self.error.clone()
        } else {
            format!("{}: {}", self.error, self.description)
        };
        match self.error.as_str() {
            "access_denied" => format!(
                "the person declined at the provider ({detail}); nothing changed: start again and choose Allow to connect"
            ),
            "invalid_scope" => format!(
                "the provider refused the requested scopes ({detail}); nothing changed: check the scopes of the integration or the reconnect"
            ),
            "server_error" | "temporarily_unavailable" => format!(
                "the provider failed while authorizing ({detail}); nothing changed: try again in a few minutes"
            ),
            "unauthorized_client" | "invalid_request" | "unsupported_response_type" => format!(
                "the provider refused this app's authorization request ({detail}); nothing changed: check the integration's client id and redirect URI"
            ),
            _ => format!("the provider refused the authorization ({detail}); nothing changed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_errors_are_told_apart() {
        let declined = ProviderRefusal::new("access_denied", "");
        assert!(declined.declined());
        assert!(declined.reason().starts_with("the person declined"));
        let scope = ProviderRefusal::new("invalid_scope", "unknown scope: accounting.x");
        assert!(!scope.declined());
        assert!(
            scope.reason().contains("refused the requested scopes")
                && scope.reason().contains("accounting.x"),
            "{}",
            scope.reason()
        );
        let down = ProviderRefusal::new("server_error", "");
        assert!(down.reason().contains("try again"), "{}", down.reason());
        let odd = ProviderRefusal::new("weird\u{7}", &"x".repeat(5_000));
        assert!(odd.reason().len() < 400 && !odd.reason().contains('\u{7}'));
    }

    #[test]
    fn wrong_tenant_names_both() {
        assert_eq!(
            wrong_tenant(&["UK Ltd".into()], "USA Inc"),
            "you selected 'UK Ltd'; this connection belongs to 'USA Inc'. Nothing was changed: reconnect and choose 'USA Inc'"
        );
    }
}
