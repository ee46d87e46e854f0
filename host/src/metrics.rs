//! Prometheus metrics, served at `GET /metrics`. Code records through the `metrics`
//! facade with the names and label values defined here; one process-wide recorder
//! renders them in the Prometheus text format.
//!
//! Label values are fixed words chosen by the host (a state, an outcome, an export
//! name), never text from a provider, a plugin or a person, so no secret or personal
//! data can reach a metric.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `mooring_connections` | gauge | `state` |
//! | `mooring_token_refreshes_total` | counter | `result` (`ok`, `discarded`, `failed`) |
//! | `mooring_token_errors_total` | counter | `reason` (`invalid_grant`, `invalid_client`, `invalid_scope`, `rejected`, `transient`, `denied`) |
//! | `mooring_sync_pages_total` | counter | — |
//! | `mooring_sync_records_total` | counter | `change` (`added`, `updated`, `deleted`) |
//! | `mooring_sync_run_duration_seconds` | histogram | `status` |
//! | `mooring_rate_limit_wait_seconds` | histogram | — (waits on a tenant's budget or a `Retry-After`) |
//! | `mooring_provider_throttled_total` | counter | — (429 answers received) |
//! | `mooring_plugin_call_duration_seconds` | histogram | `export` |
//! | `mooring_webhook_deliveries_total` | counter | `result` (`delivered`, `failed`) |

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use mooring_store::ConnectionState;

/// Connections by state (set when metrics are rendered).
pub const CONNECTIONS: &str = "mooring_connections";
/// Token refreshes by result.
pub const TOKEN_REFRESHES: &str = "mooring_token_refreshes_total";
/// Token endpoint errors by reason.
pub const TOKEN_ERRORS: &str = "mooring_token_errors_total";
/// Sync pages committed.
pub const SYNC_PAGES: &str = "mooring_sync_pages_total";
/// Records committed, by change.
pub const SYNC_RECORDS: &str = "mooring_sync_records_total";
/// Sync run durations, by final status.
pub const SYNC_RUN_SECONDS: &str = "mooring_sync_run_duration_seconds";
/// Waits on rate budgets (count and seconds).
pub const RATE_LIMIT_WAIT_SECONDS: &str = "mooring_rate_limit_wait_seconds";
/// 429 answers from providers.
pub const PROVIDER_THROTTLED: &str = "mooring_provider_throttled_total";
/// Plugin call durations, by export.
pub const PLUGIN_CALL_SECONDS: &str = "mooring_plugin_call_duration_seconds";
/// Webhook delivery attempts, by result.
pub const WEBHOOK_DELIVERIES: &str = "mooring_webhook_deliveries_total";

/// Histogram buckets, in seconds: 1 ms to 10 min.
const BUCKETS: [f64; 14] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0, 120.0, 600.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide recorder's handle, installing the recorder on first use. `None`
/// when another recorder was installed first (metrics then go there).
fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
                .ok()?;
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            Some(handle)
        })
        .as_ref()
}

/// Install the recorder (call once at start; later calls do nothing).
pub fn install() {
    let _ = handle();
}

/// The Prometheus text for the current values, with `connections` (how many are in
/// each state) set first.
pub fn render(connections: &[(ConnectionState, u64)]) -> String {
    let Some(handle) = handle() else {
        return String::new();
    };
    for state in ConnectionState::ALL {
        let count = connections
            .iter()
            .find(|(s, _)| *s == state)
            .map_or(0, |(_, n)| *n);
        metrics::gauge!(CONNECTIONS, "state" => state.as_str()).set(count as f64);
    }
    handle.run_upkeep();
    handle.render()
}

/// Count a token endpoint error by its OAuth class (`invalid_grant`, …).
pub fn token_error(reason: &'static str) {
    metrics::counter!(TOKEN_ERRORS, "reason" => reason).increment(1);
}

/// Count a refresh by result (`ok`, `discarded`, `failed`).
pub fn token_refresh(result: &'static str) {
    metrics::counter!(TOKEN_REFRESHES, "result" => result).increment(1);
}

/// Count a committed page and its records.
pub fn sync_page(added: u64, updated: u64, deleted: u64) {
    metrics::counter!(SYNC_PAGES).increment(1);
    for (change, n) in [("added", added), ("updated", updated), ("deleted", deleted)] {
        metrics::counter!(SYNC_RECORDS, "change" => change).increment(n);
    }
}

/// Record a finished run's duration.
pub fn sync_run(status: &'static str, took: Duration) {
    metrics::histogram!(SYNC_RUN_SECONDS, "status" => status).record(took.as_secs_f64());
}

/// Record a wait on a rate budget (or a `Retry-After`).
pub fn rate_limit_wait(waited: Duration) {
    metrics::histogram!(RATE_LIMIT_WAIT_SECONDS).record(waited.as_secs_f64());
}

/// Waits shorter than this are the budget letting a call through, not a wait.
pub const NOTABLE_WAIT: Duration = Duration::from_millis(5);

/// Count a 429 from a provider.
pub fn provider_throttled() {
    metrics::counter!(PROVIDER_THROTTLED).increment(1);
}

/// Record a plugin call's duration.
pub fn plugin_call(export: &'static str, took: Duration) {
    metrics::histogram!(PLUGIN_CALL_SECONDS, "export" => export).record(took.as_secs_f64());
}

/// Count a webhook delivery attempt (`delivered` or `failed`).
pub fn webhook_delivery(result: &'static str) {
    metrics::counter!(WEBHOOK_DELIVERIES, "result" => result).increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_metrics_carry_their_names_and_fixed_labels() {
        install();
        token_refresh("ok");
        token_error("invalid_grant");
        sync_page(3, 1, 0);
        plugin_call("sync", Duration::from_millis(12));
        let text = render(&[(ConnectionState::Active, 2)]);
        if text.is_empty() {
            return; // another test installed a different recorder first
        }
        assert!(
            text.contains("mooring_connections{state=\"active\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("mooring_connections{state=\"needs_reauth\"} 0"),
            "{text}"
        );
        assert!(text.contains("mooring_token_errors_total{reason=\"invalid_grant\"}"));
        assert!(text.contains("mooring_plugin_call_duration_seconds_bucket{export=\"sync\""));
    }
}
