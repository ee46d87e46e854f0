//! Why the token endpoint refused a grant, as a person reads it on the connection:
//! the likely cause and what to do about it. (Lifecycle reasons, such as a wrong tenant,
//! are `crate::connections::reasons`.)

use crate::runtime::types::TokenPolicy;

const DAY_MS: u64 = 86_400_000;

/// Why a refresh ended in `invalid_grant`, judged from how long the grant sat unused.
pub fn invalid_grant(
    last_refreshed_at: u64,
    now: u64,
    policy: &TokenPolicy,
    detail: &str,
) -> String {
    let idle_ms = now.saturating_sub(last_refreshed_at);
    if let Some(limit) = policy.refresh_token_idle_lifetime
        && idle_ms >= limit.saturating_mul(1000)
    {
        return format!(
            "refresh token expired after {} days unused (the provider allows {} days); reconnect to restore access",
            idle_ms / DAY_MS,
            limit / 86_400
        );
    }
    format!(
        "the provider rejected the refresh token ({detail}): access was revoked or the app was disconnected at the provider, \
         or the connecting user's password changed; reconnect to restore access"
    )
}

/// Why a refresh ended in `invalid_client`.
pub fn invalid_client(detail: &str) -> String {
    format!(
        "the provider rejected this integration's client credentials ({detail}): the client secret was rotated or the app removed; \
         update the integration's credentials, then reconnect"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> TokenPolicy {
        TokenPolicy {
            refresh_ahead: 300,
            refresh_token_idle_lifetime: Some(60 * 86_400),
            keep_alive_after: Some(30 * 86_400),
            grace_window: 1800,
        }
    }

    #[test]
    fn idle_expiry_is_named_with_days() {
        let reason = invalid_grant(0, 61 * DAY_MS, &policy(), "invalid_grant");
        assert!(
            reason.starts_with("refresh token expired after 61 days unused"),
            "{reason}"
        );
        let reason = invalid_grant(0, 2 * DAY_MS, &policy(), "invalid_grant");
        assert!(
            reason.contains("revoked") && reason.contains("password"),
            "{reason}"
        );
    }
}
