//! The delivery worker: fan each event out of the outbox into one delivery per
//! endpoint that wants it, POST due deliveries signed, retry failures with exponential
//! backoff and jitter until the retry window (24 h) has passed, and disable an endpoint
//! that stayed dead (every attempt failing for the whole window, or
//! `dead_after_exhausted` deliveries in a row giving up), with a
//! `webhook.endpoint_disabled` event. Times come from the host's injectable clock.

use std::time::{Duration, Instant};

use mooring_store::{
    Delivery, DeliveryAttempt, DeliveryStatus, Event, EventKind, ReconnectLink, StoreError,
    WebhookEndpoint, WriteTx,
};

use super::payload::{self, LinkRef};
use super::{WebhookError, WebhookService, open_secret};
use crate::clock::rfc3339;
use crate::store_io::db;

/// How long one attempt may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
/// The first retry comes about this long after the first failure (ms).
pub const RETRY_BASE_MS: u64 = 10_000;
/// Retries are at most this far apart (ms): two hours.
pub const RETRY_CAP_MS: u64 = 2 * 3_600_000;
/// Attempts kept in a delivery's log.
const MAX_LOGGED_ATTEMPTS: usize = 200;
/// Events fanned out per write transaction.
const FAN_OUT_BATCH: usize = 200;
/// Deliveries attempted per pass.
const DUE_BATCH: usize = 256;
/// Attempts in flight at once.
const CONCURRENCY: usize = 8;
/// How often the background task looks for work when not woken.
const POLL: Duration = Duration::from_secs(1);

/// What one [`WebhookService::run_once`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Events taken off the outbox.
    pub fanned_out: usize,
    /// Attempts made.
    pub attempted: usize,
    /// Attempts answered 2xx.
    pub succeeded: usize,
}

/// The delay before retry number `attempt` (1 = after the first failure): 10 s doubling
/// up to 2 h, times `jitter` (0.0–1.0 mapped to ×0.75–×1.25).
pub fn retry_delay_ms(attempt: u32, jitter: f64) -> u64 {
    let doublings = attempt.saturating_sub(1).min(20);
    let base = RETRY_BASE_MS
        .saturating_mul(1u64 << doublings)
        .min(RETRY_CAP_MS);
    let factor = 0.75 + 0.5 * jitter.clamp(0.0, 1.0);
    // Bounded by RETRY_CAP_MS × 1.25: no overflow.
    (base as f64 * factor) as u64
}

/// Cancel `endpoint`'s pending deliveries inside `tx`.
pub(crate) fn cancel_pending(
    tx: &WriteTx<'_>,
    endpoint: &str,
    now: u64,
) -> Result<u64, StoreError> {
    let mut cancelled = 0u64;
    for mut delivery in tx.pending_deliveries(endpoint)? {
        delivery.status = DeliveryStatus::Cancelled;
        delivery.next_attempt_at = None;
        delivery.attempts.push(DeliveryAttempt {
            at: now,
            status_code: None,
            error: Some("cancelled: the endpoint was disabled".into()),
            duration_ms: 0,
        });
        tx.put_delivery(&delivery)?;
        cancelled = cancelled.saturating_add(1);
    }
    Ok(cancelled)
}

fn new_delivery(endpoint: &str, seq: u64, link: Option<&ReconnectLink>, now: u64) -> Delivery {
    Delivery {
        endpoint: endpoint.to_owned(),
        event: seq,
        status: DeliveryStatus::Pending,
        attempts: Vec::new(),
        next_attempt_at: Some(now),
        window_start: now,
        series_attempts: 0,
        link: link.map(|l| l.id.clone()),
        created_at: now,
    }
}

/// How one attempt ended.
struct Outcome {
    attempt: DeliveryAttempt,
    ok: bool,
}

impl WebhookService {
    /// One pass: fan out the outbox, then attempt every due delivery.
    pub async fn run_once(&self) -> PassReport {
        let mut report = PassReport::default();
        match self.fan_out().await {
            Ok(n) => report.fanned_out = n,
            Err(error) => tracing::error!(%error, "webhook fan-out failed"),
        }
        let due = match db(self.store(), {
            let now = self.clock().now_millis();
            move |s| s.due_deliveries(now, DUE_BATCH)
        })
        .await
        {
            Ok(due) => due,
            Err(error) => {
                tracing::error!(%error, "cannot read due webhook deliveries");
                return report;
            }
        };
        let mut tasks = tokio::task::JoinSet::new();
        for delivery in due {
            while tasks.len() >= CONCURRENCY {
                if let Some(Ok(ok)) = tasks.join_next().await {
                    report.succeeded = report.succeeded.saturating_add(usize::from(ok));
                }
            }
            let this = self.clone();
            tasks.spawn(async move { this.attempt(delivery).await });
            report.attempted = report.attempted.saturating_add(1);
        }
        while let Some(result) = tasks.join_next().await {
            if let Ok(ok) = result {
                report.succeeded = report.succeeded.saturating_add(usize::from(ok));
            }
        }
        report
    }

    /// Take events off the outbox, recording one delivery per enabled endpoint that
    /// wants each (and the reconnect link a payload carries), in one transaction per
    /// batch. Returns how many events.
    async fn fan_out(&self) -> Result<usize, StoreError> {
        let _one_at_a_time = self.fanning.lock().await;
        let mut total = 0usize;
        loop {
            let events = db(self.store(), |s| s.undelivered_events(FAN_OUT_BATCH)).await?;
            if events.is_empty() {
                return Ok(total);
            }
            let endpoints = db(self.store(), |s| s.list_webhook_endpoints()).await?;
            let now = self.clock().now_millis();
            let mut plan = Vec::with_capacity(events.len());
            for event in &events {
                let targets: Vec<&WebhookEndpoint> = endpoints
                    .iter()
                    .filter(|e| {
                        e.enabled && e.created_at <= event.at && e.wants(event.kind.as_str())
                    })
                    .collect();
                let link = (!targets.is_empty() && payload::wants_link(event)).then(|| {
                    self.links.build(
                        &event.connection,
                        Vec::new(),
                        None,
                        &format!("event {}", event.seq),
                    )
                });
                let deliveries: Vec<Delivery> = targets
                    .iter()
                    .map(|e| new_delivery(&e.id, event.seq, link.as_ref(), now))
                    .collect();
                plan.push((event.seq, link, deliveries));
            }
            let count = plan.len();
            db(self.store(), move |s| {
                s.write(|tx| {
                    for (seq, link, deliveries) in &plan {
                        if let Some(link) = link {
                            tx.put_reconnect_link(link)?;
                        }
                        tx.fan_out(*seq, deliveries)?;
                    }
                    Ok(())
                })
            })
            .await?;
            total = total.saturating_add(count);
            if count < FAN_OUT_BATCH {
                return Ok(total);
            }
        }
    }

    /// Attempt `delivery` once and record the outcome; true when it succeeded.
    async fn attempt(&self, delivery: Delivery) -> bool {
        let (key, seq) = (delivery.endpoint.clone(), delivery.event);
        let loaded = db(self.store(), move |s| {
            let endpoint = s.webhook_endpoint(&key)?;
            let event = s.event(seq)?;
            let link = match &delivery.link {
                Some(id) => s.reconnect_link(id)?,
                None => None,
            };
            Ok((endpoint, event, link, delivery))
        })
        .await;
        let (endpoint, event, link, delivery) = match loaded {
            Ok(loaded) => loaded,
            Err(error) => {
                tracing::error!(%error, "cannot load a webhook delivery");
                return false;
            }
        };
        let started = self.clock().now_millis();
        let outcome = match (endpoint, event) {
            (Some(endpoint), _) if !endpoint.enabled => Outcome {
                attempt: DeliveryAttempt {
                    at: started,
                    status_code: None,
                    error: Some("cancelled: the endpoint was disabled".into()),
                    duration_ms: 0,
                },
                ok: false,
            },
            (Some(endpoint), Some(event)) => self.post(&endpoint, &event, link, started).await,
            (None, _) => Outcome {
                attempt: DeliveryAttempt {
                    at: started,
                    status_code: None,
                    error: Some("cancelled: the endpoint was deleted".into()),
                    duration_ms: 0,
                },
                ok: false,
            },
            (Some(_), None) => Outcome {
                attempt: DeliveryAttempt {
                    at: started,
                    status_code: None,
                    error: Some("the event is no longer stored".into()),
                    duration_ms: 0,
                },
                ok: false,
            },
        };
        let ok = outcome.ok;
        if let Err(error) = self.record(delivery, outcome).await {
            tracing::error!(%error, "cannot record a webhook attempt");
        }
        ok
    }

    /// POST `event` to `endpoint`, signed.
    async fn post(
        &self,
        endpoint: &WebhookEndpoint,
        event: &Event,
        link: Option<ReconnectLink>,
        started: u64,
    ) -> Outcome {
        let fail = |error: String, code: Option<u16>, duration_ms: u64| Outcome {
            attempt: DeliveryAttempt {
                at: started,
                status_code: code,
                error: Some(error),
                duration_ms,
            },
            ok: false,
        };
        let secret = match open_secret(self.store(), endpoint) {
            Ok(secret) => secret,
            Err(error) => return fail(error, None, 0),
        };
        let link = link.and_then(|l| {
            let url = self.links.url(&l)?;
            Some(LinkRef {
                id: l.id,
                url,
                expires_at: l.expires_at,
            })
        });
        let body = payload::body(event, link.as_ref());
        let id = payload::message_id(event.seq);
        let timestamp = started / 1000;
        let signature = secret.sign(&id, timestamp, &body);
        let clock = Instant::now();
        let sent = self
            .http
            .post(&endpoint.url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
        let outcome = match sent {
            Ok(response) if response.status().is_success() => Outcome {
                attempt: DeliveryAttempt {
                    at: started,
                    status_code: Some(response.status().as_u16()),
                    error: None,
                    duration_ms,
                },
                ok: true,
            },
            Ok(response) => {
                let code = response.status().as_u16();
                fail(
                    format!("the endpoint answered {code}"),
                    Some(code),
                    duration_ms,
                )
            }
            Err(error) => {
                let text = if error.is_timeout() {
                    "timed out".to_owned()
                } else if error.is_connect() {
                    "could not connect".to_owned()
                } else {
                    "the request failed".to_owned()
                };
                fail(text, None, duration_ms)
            }
        };
        crate::metrics::webhook_delivery(if outcome.ok { "delivered" } else { "failed" });
        outcome
    }

    /// Record an attempt: the delivery's next step and the endpoint's health, in one
    /// transaction, disabling the endpoint when it stayed dead.
    async fn record(&self, delivery: Delivery, outcome: Outcome) -> Result<(), StoreError> {
        let settings = self.settings.clone();
        let jitter: f64 = rand::random();
        let now = self.clock().now_millis();
        let disabled = db(self.store(), move |s| {
            s.write(|tx| {
                let Some(mut d) = tx.delivery(&delivery.endpoint, delivery.event)? else {
                    return Ok(None);
                };
                let Some(mut endpoint) = tx.webhook_endpoint(&d.endpoint)? else {
                    // Deleted meanwhile: never due again.
                    d.status = DeliveryStatus::Cancelled;
                    d.next_attempt_at = None;
                    tx.put_delivery(&d)?;
                    return Ok(None);
                };
                d.attempts.push(outcome.attempt);
                if d.attempts.len() > MAX_LOGGED_ATTEMPTS {
                    let excess = d.attempts.len().saturating_sub(MAX_LOGGED_ATTEMPTS);
                    d.attempts.drain(..excess);
                }
                if d.status != DeliveryStatus::Pending {
                    tx.put_delivery(&d)?;
                    return Ok(None);
                }
                d.series_attempts = d.series_attempts.saturating_add(1);
                let mut exhausted = false;
                if outcome.ok {
                    d.status = DeliveryStatus::Succeeded;
                    d.next_attempt_at = None;
                    endpoint.failing_since = None;
                    endpoint.exhausted_in_a_row = 0;
                } else if !endpoint.enabled {
                    d.status = DeliveryStatus::Cancelled;
                    d.next_attempt_at = None;
                } else {
                    let next = now.saturating_add(retry_delay_ms(d.series_attempts, jitter));
                    if next > d.window_start.saturating_add(settings.retry_window_ms) {
                        d.status = DeliveryStatus::Failed;
                        d.next_attempt_at = None;
                        exhausted = true;
                        endpoint.exhausted_in_a_row =
                            endpoint.exhausted_in_a_row.saturating_add(1);
                    } else {
                        d.next_attempt_at = Some(next);
                    }
                    endpoint.failing_since.get_or_insert(now);
                }
                tx.put_delivery(&d)?;
                let failing_since = endpoint.failing_since.unwrap_or(now);
                let dead_for_window =
                    now.saturating_sub(failing_since) >= settings.retry_window_ms;
                let dead_series = exhausted && failing_since <= d.window_start;
                let dead_streak = endpoint.exhausted_in_a_row >= settings.dead_after_exhausted;
                let disable = endpoint.enabled
                    && !outcome.ok
                    && (dead_for_window || dead_series || dead_streak);
                if disable {
                    let why = format!(
                        "every attempt failed since {} ({} deliveries in a row gave up)",
                        rfc3339(failing_since),
                        endpoint.exhausted_in_a_row
                    );
                    endpoint.enabled = false;
                    endpoint.disabled_reason = Some(why.clone());
                    endpoint.updated_at = now;
                    let cancelled = cancel_pending(tx, &endpoint.id, now)?;
                    tx.append_event(&Event {
                        seq: 0,
                        at: now,
                        connection: String::new(),
                        kind: EventKind::WebhookEndpointDisabled,
                        from: None,
                        to: None,
                        reason: Some(format!(
                            "webhook endpoint {} was disabled: {why}; {cancelled} pending deliveries were cancelled. Enable it again with PATCH /api/webhooks/{} {{\"enabled\": true}}",
                            endpoint.id, endpoint.id
                        )),
                        cause: None,
                        run: None,
                    })?;
                }
                tx.put_webhook_endpoint(&endpoint)?;
                Ok(disable.then_some(endpoint.id))
            })
        })
        .await?;
        if let Some(id) = disabled {
            tracing::warn!(endpoint = %id, "webhook endpoint disabled: it stayed unreachable");
        }
        Ok(())
    }

    /// Deliver event `seq` again: to `endpoint` only, or to every enabled endpoint that
    /// wants it. Each delivery starts a new series of attempts (its log is kept).
    pub async fn redeliver(
        &self,
        seq: u64,
        endpoint: Option<String>,
    ) -> Result<Vec<Delivery>, WebhookError> {
        let event = db(self.store(), move |s| s.event(seq))
            .await?
            .ok_or_else(|| WebhookError::NotFound(format!("event {seq} does not exist")))?;
        // An event still in the outbox is fanned out first, so it is delivered once.
        self.fan_out().await?;
        let endpoints = db(self.store(), |s| s.list_webhook_endpoints()).await?;
        let targets: Vec<WebhookEndpoint> = match &endpoint {
            Some(id) => {
                let e = endpoints.into_iter().find(|e| &e.id == id).ok_or_else(|| {
                    WebhookError::NotFound(format!("webhook endpoint {id:?} does not exist"))
                })?;
                if !e.enabled {
                    return Err(WebhookError::Invalid(format!(
                        "webhook endpoint {id} is disabled; enable it first"
                    )));
                }
                vec![e]
            }
            None => endpoints
                .into_iter()
                .filter(|e| e.enabled && e.wants(event.kind.as_str()))
                .collect(),
        };
        let now = self.clock().now_millis();
        let fresh = (payload::wants_link(&event) && !targets.is_empty()).then(|| {
            self.links
                .build(&event.connection, Vec::new(), None, &format!("event {seq}"))
        });
        let written = db(self.store(), move |s| {
            s.write(|tx| {
                let mut out = Vec::with_capacity(targets.len());
                let mut fresh_used = false;
                for target in &targets {
                    let mut d = tx
                        .delivery(&target.id, seq)?
                        .unwrap_or_else(|| new_delivery(&target.id, seq, None, now));
                    d.status = DeliveryStatus::Pending;
                    d.next_attempt_at = Some(now);
                    d.window_start = now;
                    d.series_attempts = 0;
                    let current = match &d.link {
                        Some(id) => tx.reconnect_link(id)?,
                        None => None,
                    };
                    let usable = current.is_some_and(|l| {
                        l.expires_at > now && l.revoked_at.is_none() && l.used_at.is_none()
                    });
                    if let (false, Some(link)) = (usable, &fresh) {
                        d.link = Some(link.id.clone());
                        fresh_used = true;
                    }
                    tx.put_delivery(&d)?;
                    out.push(d);
                }
                if let (true, Some(link)) = (fresh_used, &fresh) {
                    tx.put_reconnect_link(link)?;
                }
                Ok(out)
            })
        })
        .await?;
        self.wake();
        Ok(written)
    }

    /// Forget finished deliveries older than the retention, expired reconnect links and
    /// old expiry warnings.
    async fn prune(&self) {
        let now = self.clock().now_millis();
        let month = 30 * crate::config::webhooks::DAY_MS;
        let keep = self
            .keep_days
            .saturating_mul(crate::config::webhooks::DAY_MS);
        let result = db(self.store(), move |s| {
            if keep > 0 {
                while s.prune_deliveries(now.saturating_sub(keep), 500)? >= 500 {}
            }
            s.prune_reconnect_links(now.saturating_sub(month))?;
            s.prune_expiry_warnings(now.saturating_sub(month))?;
            Ok(())
        })
        .await;
        if let Err(error) = result {
            tracing::error!(%error, "webhook pruning failed");
        }
    }

    /// Run the delivery task: a pass whenever woken or every second, the expiry check
    /// every keep-alive period, pruning hourly.
    pub fn spawn(&self) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let expiry_every = Duration::from_secs(this.keep_alive_secs.max(60));
            let prune_every = Duration::from_secs(3600);
            let mut last_expiry: Option<Instant> = None;
            let mut last_prune: Option<Instant> = None;
            loop {
                this.run_once().await;
                if last_expiry.is_none_or(|t| t.elapsed() >= expiry_every) {
                    let warned = this.expiry_pass().await;
                    if warned > 0 {
                        tracing::info!(warned, "refresh tokens expiring soon");
                    }
                    last_expiry = Some(Instant::now());
                }
                if last_prune.is_none_or(|t| t.elapsed() >= prune_every) {
                    this.prune().await;
                    last_prune = Some(Instant::now());
                }
                tokio::select! {
                    _ = this.wake.notified() => {}
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_with_bounded_jitter() {
        assert_eq!(retry_delay_ms(1, 0.5), 10_000);
        assert_eq!(retry_delay_ms(2, 0.5), 20_000);
        assert_eq!(retry_delay_ms(5, 0.5), 160_000);
        assert_eq!(retry_delay_ms(40, 0.5), RETRY_CAP_MS);
        assert_eq!(retry_delay_ms(1, 0.0), 7_500);
        assert_eq!(retry_delay_ms(1, 1.0), 12_500);
        assert_eq!(retry_delay_ms(u32::MAX, 1.0), RETRY_CAP_MS / 4 * 5);
        // Over 24 h a dead endpoint gets a bounded number of attempts.
        let (mut t, mut n) = (0u64, 0u32);
        while t <= 86_400_000 {
            n += 1;
            t += retry_delay_ms(n, 0.5);
        }
        assert!((15..=25).contains(&n), "{n} attempts in a day");
    }
}
