//! `connection.expiring`: a grant whose refresh token dies within one of the configured
//! thresholds (7 and 1 days by default) and that keep-alive cannot save: the token has a
//! hard expiry, the plugin declares no keep-alive, or keep-alive is overdue (its
//! refresh failed). Each warning is recorded once per grant, expiry time and threshold.

use mooring_store::{Event, EventKind, Grant};

use super::WebhookService;
use crate::clock::rfc3339;
use crate::config::webhooks::DAY_MS;
use crate::store_io::db;

/// One refresh-token deadline of a grant that nothing will push back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doom {
    /// When the refresh token dies (ms).
    pub at: u64,
    /// Why keep-alive cannot help, for people.
    pub why: String,
}

/// The deadlines of `grant` that keep-alive cannot move, given the plugin's
/// `keep_alive_after` (seconds) and the keep-alive period (seconds), at `now`.
pub fn dooms(
    grant: &Grant,
    keep_alive_after: Option<u64>,
    keep_alive_secs: u64,
    now: u64,
) -> Vec<Doom> {
    let mut out = Vec::new();
    if let Some(at) = grant.refresh_hard_expires_at {
        out.push(Doom {
            at,
            why:
                "the provider's absolute limit on the refresh token; refreshing does not extend it"
                    .into(),
        });
    }
    if let Some(at) = grant.refresh_expires_at {
        let period = keep_alive_secs.saturating_mul(1000);
        let why = match keep_alive_after {
            None => Some("the connector declares no keep-alive for idle grants".to_owned()),
            Some(after) => {
                let due = grant
                    .last_refreshed_at
                    .unwrap_or(0)
                    .saturating_add(after.saturating_mul(1000));
                if now > due.saturating_add(period.saturating_mul(2)) {
                    Some("keep-alive could not refresh it (see the host log)".to_owned())
                } else if due.saturating_add(period) >= at {
                    Some("the next keep-alive comes too late".to_owned())
                } else {
                    None
                }
            }
        };
        if let Some(why) = why
            && grant.refresh_hard_expires_at.is_none_or(|hard| at < hard)
        {
            out.push(Doom {
                at,
                why: format!("it dies unused; {why}"),
            });
        }
    }
    out
}

/// The smallest of `thresholds` (days) that `remaining` (ms) is within, if any.
pub fn crossed(thresholds: &[u64], remaining: u64) -> Option<u64> {
    thresholds
        .iter()
        .copied()
        .filter(|d| remaining <= d.saturating_mul(DAY_MS))
        .min()
}

impl WebhookService {
    /// Record `connection.expiring` for every live connection whose refresh token dies
    /// within a threshold and cannot be saved by keep-alive. Returns how many warnings
    /// were recorded now.
    pub async fn expiry_pass(&self) -> usize {
        let now = self.clock().now_millis();
        let mut warned = 0usize;
        for live in self.connections.live_grants().await {
            let (connection, grant) = (&live.connection, &live.grant);
            let grant_id = grant.id.clone();
            let keep_alive_after = live.plugin.info.manifest.token_policy.keep_alive_after;
            for doom in dooms(grant, keep_alive_after, self.keep_alive_secs, now) {
                if doom.at <= now {
                    continue;
                }
                let Some(days) = crossed(&self.settings.expiring_days, doom.at.saturating_sub(now))
                else {
                    continue;
                };
                let event = Event {
                    seq: 0,
                    at: now,
                    connection: connection.id.clone(),
                    kind: EventKind::ConnectionExpiring,
                    from: None,
                    to: None,
                    reason: Some(format!(
                        "the refresh token dies at {} (within {days} day{}): {}; reconnect before then",
                        rfc3339(doom.at),
                        if days == 1 { "" } else { "s" },
                        doom.why
                    )),
                    cause: None,
                    run: None,
                };
                let (grant_key, at) = (grant_id.clone(), doom.at);
                match db(self.store(), move |s| {
                    s.record_expiry_warning(&grant_key, at, days, &event)
                })
                .await
                {
                    Ok(Some(_)) => warned = warned.saturating_add(1),
                    Ok(None) => {}
                    Err(error) => tracing::error!(%error, "cannot record an expiry warning"),
                }
            }
        }
        if warned > 0 {
            self.wake();
        }
        warned
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mooring_store::{Cipher, SecretKey};

    fn grant(idle: Option<u64>, hard: Option<u64>, refreshed: u64) -> Grant {
        let cipher = Cipher::new(&SecretKey::generate());
        Grant {
            id: "g".into(),
            integration: "i".into(),
            access_token: cipher.seal("a", b"x").expect("seal"),
            refresh_token: None,
            previous_refresh_token: None,
            previous_rotated_at: None,
            access_expires_at: None,
            refresh_expires_at: idle,
            refresh_hard_expires_at: hard,
            last_refreshed_at: Some(refreshed),
            last_used_at: None,
            scopes: vec![],
            extra: vec![],
        }
    }

    #[test]
    fn only_deadlines_keep_alive_cannot_move_count() {
        let day = DAY_MS;
        // Keep-alive after 30 days, hourly passes, refreshed at 0, idle death at 60 days.
        let g = grant(Some(60 * day), None, 0);
        assert!(dooms(&g, Some(30 * 86_400), 3600, day).is_empty());
        // Overdue by more than two passes: keep-alive failed.
        let late = dooms(&g, Some(30 * 86_400), 3600, 31 * day);
        assert_eq!(late.len(), 1);
        assert!(late[0].why.contains("could not refresh"), "{late:?}");
        // No keep-alive declared.
        assert_eq!(dooms(&g, None, 3600, day).len(), 1);
        // A hard expiry always counts; an idle one after it does not.
        let h = grant(Some(90 * day), Some(80 * day), 0);
        let both = dooms(&h, None, 3600, day);
        assert_eq!(both.len(), 1);
        assert_eq!(both[0].at, 80 * day);
        assert_eq!(crossed(&[7, 1], 3 * day), Some(7));
        assert_eq!(crossed(&[7, 1], day / 2), Some(1));
        assert_eq!(crossed(&[7, 1], 8 * day), None);
    }
}
