//! Retention: a periodic background task that prunes delivered events older than
//! [`Retention::events_days`], finished sync runs beyond the newest
//! [`Retention::runs_per_stream`] of each stream, and expired OAuth flows. Each kind is
//! removed in batches of [`BATCH`], one short write transaction per batch, so pruning a
//! large backlog never holds the write lock that sync pages commit under for long.

use mooring_store::{Store, StoreError};

use crate::clock::SharedClock;
use crate::config::Retention;

/// Rows removed per write transaction.
pub const BATCH: usize = 500;

const DAY_MS: u64 = 86_400_000;

/// What one pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Delivered events.
    pub events: u64,
    /// Sync runs.
    pub runs: u64,
    /// Expired OAuth flows.
    pub flows: u64,
}

/// Repeat `batch` until it removes less than a full batch; the total removed.
fn drain(mut batch: impl FnMut() -> Result<u64, StoreError>) -> Result<u64, StoreError> {
    let mut total = 0u64;
    loop {
        let removed = batch()?;
        total = total.saturating_add(removed);
        if removed < BATCH as u64 {
            return Ok(total);
        }
    }
}

/// One pruning pass at `now` (ms since epoch). Blocking: run it off the async workers.
pub fn prune_once(store: &Store, now: u64, settings: &Retention) -> Result<Pruned, StoreError> {
    let mut pruned = Pruned::default();
    if settings.events_days > 0 {
        let before = now.saturating_sub(settings.events_days.saturating_mul(DAY_MS));
        pruned.events = drain(|| store.prune_delivered_events(before, BATCH))?;
    }
    if settings.runs_per_stream > 0 {
        let keep = usize::try_from(settings.runs_per_stream).unwrap_or(usize::MAX);
        pruned.runs = drain(|| store.prune_sync_runs(keep, BATCH))?;
    }
    pruned.flows = drain(|| store.prune_expired_flows_batch(now, BATCH))?;
    Ok(pruned)
}

/// Start the periodic pruning task (first pass right away).
pub fn spawn(store: Store, clock: SharedClock, settings: Retention) -> tokio::task::JoinHandle<()> {
    let every = std::time::Duration::from_secs(settings.interval_secs.max(1));
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let (store, now) = (store.clone(), clock.now_millis());
            match tokio::task::spawn_blocking(move || prune_once(&store, now, &settings)).await {
                Ok(Ok(pruned)) if pruned != Pruned::default() => {
                    tracing::info!(?pruned, "retention pruned old history");
                }
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::warn!(%error, "retention pass failed"),
                Err(error) => tracing::warn!(%error, "retention task failed"),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use mooring_store::{Event, Flow, FlowKind, SecretKey};

    #[test]
    fn a_pass_prunes_old_delivered_events_and_expired_flows() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = Store::open(&dir.path().join("m.redb"), SecretKey::generate()).expect("open");
        let now = 100 * DAY_MS;
        for (i, at) in [1, now - DAY_MS, now].into_iter().enumerate() {
            let seq = store
                .append_event(&Event {
                    seq: 0,
                    at,
                    connection: "c1".into(),
                    kind: mooring_store::EventKind::HostNote,
                    from: None,
                    to: None,
                    reason: None,
                    cause: None,
                    run: None,
                })
                .expect("event");
            if i != 2 {
                store.mark_delivered(seq).expect("delivered");
            }
        }
        for (state, expires_at) in [("old", now - 1), ("live", now + 1)] {
            store
                .put_flow(&Flow {
                    state: state.into(),
                    connection: "c1".into(),
                    kind: FlowKind::Connect,
                    pkce_verifier: None,
                    scopes: vec![],
                    created_at: 0,
                    expires_at,
                })
                .expect("flow");
        }
        let settings = Retention {
            events_days: 30,
            runs_per_stream: 10,
            interval_secs: 1,
        };
        let pruned = prune_once(&store, now, &settings).expect("prune");
        assert_eq!(
            pruned,
            Pruned {
                events: 1,
                runs: 0,
                flows: 1
            }
        );
        assert_eq!(
            store.events_for_connection("c1", 10).expect("events").len(),
            2
        );
        assert!(store.flow("live").expect("flow").is_some());
        let keep_all = Retention {
            events_days: 0,
            runs_per_stream: 0,
            interval_secs: 1,
        };
        assert_eq!(
            prune_once(&store, u64::MAX, &keep_all)
                .expect("prune")
                .events,
            0
        );
    }
}
