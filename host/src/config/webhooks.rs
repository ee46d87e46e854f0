//! Webhook and reconnect-link settings: endpoints named in the configuration
//! (`[[webhooks]]` or `MOORING_WEBHOOKS`) and the `[notifications]` section.
//!
//! | variable | TOML key | default |
//! |---|---|---|
//! | `MOORING_WEBHOOKS` | `[[webhooks]]` | none (JSON array of `{id, url, secret, event_types?, description?}`) |
//! | `MOORING_WEBHOOK_RETRY_HOURS` | `retry_hours` under `[notifications]` | `24` |
//! | `MOORING_WEBHOOK_DEAD_AFTER` | `dead_after_exhausted` under `[notifications]` | `3` |
//! | `MOORING_EXPIRING_DAYS` | `expiring_days` under `[notifications]` | `7,1` |
//! | `MOORING_RECONNECT_LINK_DAYS` | `reconnect_link_days` under `[notifications]` | `7` |

use serde::Deserialize;

use super::ConfigError;

/// One day in milliseconds.
pub const DAY_MS: u64 = 86_400_000;

/// A webhook endpoint named in the configuration. Its `Debug` hides the secret.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSpec {
    /// Stable id (kept across restarts).
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// The signing secret, `whsec_` + base64 (the receiver holds the same).
    pub secret: String,
    /// Event types delivered; empty: all.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// What it is for.
    #[serde(default)]
    pub description: Option<String>,
}

impl std::fmt::Debug for WebhookSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSpec")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("secret", &"***")
            .field("event_types", &self.event_types)
            .finish()
    }
}

/// `[notifications]` as written in the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotificationsSection {
    retry_hours: Option<u64>,
    dead_after_exhausted: Option<u32>,
    expiring_days: Option<Vec<u64>>,
    reconnect_link_days: Option<u64>,
}

/// Resolved webhook and reconnect-link settings.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSettings {
    /// Endpoints created or updated at start.
    pub endpoints: Vec<WebhookSpec>,
    /// How long a delivery is retried (ms); an endpoint failing every attempt for this
    /// long is disabled.
    pub retry_window_ms: u64,
    /// An endpoint is also disabled after this many deliveries in a row used up their
    /// retries.
    pub dead_after_exhausted: u32,
    /// Warn (`connection.expiring`) when a refresh token that keep-alive cannot renew
    /// dies within this many days; one warning per threshold, largest first.
    pub expiring_days: Vec<u64>,
    /// How long a reconnect link works unless asked otherwise (ms).
    pub link_ttl_ms: u64,
}

impl PartialEq for WebhookSpec {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.url == other.url && self.event_types == other.event_types
    }
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            endpoints: Vec::new(),
            retry_window_ms: DAY_MS,
            dead_after_exhausted: 3,
            expiring_days: vec![7, 1],
            link_ttl_ms: 7 * DAY_MS,
        }
    }
}

fn invalid(name: &'static str, message: String) -> ConfigError {
    ConfigError::Invalid { name, message }
}

fn number(
    env: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
    file: Option<u64>,
    default: u64,
) -> Result<u64, ConfigError> {
    match env(name) {
        Some(text) => text
            .trim()
            .parse()
            .map_err(|_| invalid(name, format!("{text:?} is not a whole number"))),
        None => Ok(file.unwrap_or(default)),
    }
}

/// Resolve the settings from the file's `[[webhooks]]` and `[notifications]` and the
/// environment (which wins, and whose `MOORING_WEBHOOKS` endpoints are added).
pub fn resolve(
    mut endpoints: Vec<WebhookSpec>,
    section: NotificationsSection,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<WebhookSettings, ConfigError> {
    if let Some(text) = env("MOORING_WEBHOOKS") {
        let listed: Vec<WebhookSpec> = serde_json::from_str(&text).map_err(|e| {
            invalid(
                "MOORING_WEBHOOKS",
                format!("expected a JSON array of {{id, url, secret}}: {e}"),
            )
        })?;
        endpoints.extend(listed);
    }
    let defaults = WebhookSettings::default();
    let retry_hours = number(env, "MOORING_WEBHOOK_RETRY_HOURS", section.retry_hours, 24)?;
    if !(1..=24 * 14).contains(&retry_hours) {
        return Err(invalid(
            "MOORING_WEBHOOK_RETRY_HOURS",
            format!("{retry_hours} is not between 1 and 336 hours"),
        ));
    }
    let dead_after = number(
        env,
        "MOORING_WEBHOOK_DEAD_AFTER",
        section.dead_after_exhausted.map(u64::from),
        u64::from(defaults.dead_after_exhausted),
    )?;
    let dead_after_exhausted = u32::try_from(dead_after.max(1)).unwrap_or(u32::MAX);
    let mut expiring_days = match env("MOORING_EXPIRING_DAYS") {
        Some(text) => text
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| {
                t.parse::<u64>().map_err(|_| {
                    invalid(
                        "MOORING_EXPIRING_DAYS",
                        format!("{t:?} is not a whole number of days"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => section.expiring_days.unwrap_or(defaults.expiring_days),
    };
    expiring_days.retain(|d| *d > 0 && *d <= 365);
    expiring_days.sort_unstable_by(|a, b| b.cmp(a));
    expiring_days.dedup();
    let link_days = number(
        env,
        "MOORING_RECONNECT_LINK_DAYS",
        section.reconnect_link_days,
        7,
    )?;
    if !(1..=90).contains(&link_days) {
        return Err(invalid(
            "MOORING_RECONNECT_LINK_DAYS",
            format!("{link_days} is not between 1 and 90 days"),
        ));
    }
    Ok(WebhookSettings {
        endpoints,
        retry_window_ms: retry_hours.saturating_mul(3_600_000),
        dead_after_exhausted,
        expiring_days,
        link_ttl_ms: link_days.saturating_mul(DAY_MS),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_environment() {
        let none = |_: &str| None;
        let s = resolve(vec![], NotificationsSection::default(), &none).expect("ok");
        assert_eq!(s, WebhookSettings::default());
        let env = |name: &str| {
            match name {
            "MOORING_WEBHOOKS" => Some(
                r#"[{"id":"ops","url":"https://hooks.example.com/m","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}]"#
                    .to_owned(),
            ),
            "MOORING_EXPIRING_DAYS" => Some("1, 14,3".to_owned()),
            "MOORING_RECONNECT_LINK_DAYS" => Some("2".to_owned()),
            _ => None,
        }
        };
        let s = resolve(vec![], NotificationsSection::default(), &env).expect("ok");
        assert_eq!(s.endpoints.len(), 1);
        assert!(
            !format!("{s:?}").contains("MfKQ9r8"),
            "Debug hides the secret"
        );
        assert_eq!(s.expiring_days, vec![14, 3, 1]);
        assert_eq!(s.link_ttl_ms, 2 * DAY_MS);
        let bad = |name: &str| (name == "MOORING_WEBHOOK_RETRY_HOURS").then(|| "0".to_owned());
        let err = resolve(vec![], NotificationsSection::default(), &bad).expect_err("bad");
        assert!(
            err.to_string().contains("MOORING_WEBHOOK_RETRY_HOURS"),
            "{err}"
        );
    }
}
