//! Fair scheduling across tenants and the timetable (issue 9 item 5, issue 11), against
//! the Xero simulator on the injectable clock:
//!
//! - a tenant throttled hard by its provider waits for its budget without a scheduler
//!   slot: with a single slot, nineteen other tenants sync completely while it waits,
//!   and it carries on when its window frees up, without a 429;
//! - over a simulated day every stream is fetched at its own interval (the per-endpoint
//!   call counts of the simulator prove it), not every stream at the shortest one;
//! - due times survive a restart, and streams that fell due while the host was down
//!   are spread instead of all running at once.
//!
//! Nothing here waits for time to pass: the clock moves when the test moves it, and the
//! test waits (polling) for the scheduler to have nothing left to do at that time.

use std::collections::BTreeMap;
use std::time::Duration;

use mooring::sync::{SchedulerOptions, SchedulerStatus};
use mooring_simulators::{Provider, RateLimits};

use crate::harness::{Host, USER, XERO_SETTINGS_SCOPES, until};

const DAY_MS: u64 = 86_400_000;

fn now(host: &Host) -> u64 {
    host.sim.clock().now_ms().max(0) as u64
}

fn status(host: &Host) -> SchedulerStatus {
    host.app().sync.scheduler_status()
}

/// Nothing queued, due or syncing at the current time.
fn idle(s: &SchedulerStatus) -> bool {
    s.queued == 0 && s.due == 0 && s.syncing == 0
}

/// Streams of `connection` with a succeeded run.
fn synced_streams(host: &Host, connection: &str) -> usize {
    let runs = host
        .app()
        .store
        .list_sync_runs(connection, 10_000)
        .expect("runs");
    let mut streams: Vec<&str> = runs
        .iter()
        .filter(|r| r.finished_at.is_some() && r.error.is_none())
        .map(|r| r.stream.as_str())
        .collect();
    streams.sort_unstable();
    streams.dedup();
    streams.len()
}

/// Xero calls admitted for `tenant`, per endpoint path.
fn endpoint_calls(host: &Host, tenant: &str) -> BTreeMap<String, u64> {
    host.sim
        .counters()
        .xero_endpoint_calls
        .get(tenant)
        .cloned()
        .unwrap_or_default()
}

/// Move the clock by `by` and let the scheduler and budget waiters see it.
fn advance(host: &Host, by: Duration) {
    host.advance(by);
    host.app().sync.wake_scheduler();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hard_throttled_tenant_does_not_hold_up_nineteen_others() {
    let host = Host::start().await;
    host.sim.clock().freeze();
    // The throttled tenant connects first and gets the only slot.
    let throttled = host
        .connect("xero", &[&host.uk], Some(XERO_SETTINGS_SCOPES.to_vec()))
        .await;
    let streams = host
        .app()
        .sync
        .syncable_streams(&throttled)
        .await
        .expect("streams")
        .len();
    assert_eq!(streams, 4);
    host.sim.set_xero_tenant_rate_limits(
        &host.uk,
        Some(RateLimits {
            per_minute: 1,
            ..RateLimits::default()
        }),
    );
    let scheduler = host.app().sync.spawn_scheduler_with(SchedulerOptions {
        on_interval: true,
        slots: 1,
    });
    // Its first call tells the host the tenant's minute is spent: the host waits for
    // the window without asking again, and without the slot.
    until("the throttled tenant to wait for its budget", || {
        status(&host).waiting_on_budget == 1
    })
    .await;
    assert_eq!(host.sim.counters().data_calls(&host.uk), 1);
    let started = now(&host);

    let mut others = Vec::new();
    for i in 0..19 {
        let org = host
            .sim
            .add_org(Provider::Xero, &format!("Tenant {i:02} Ltd"));
        host.sim.grant_user_access(USER, &org).expect("access");
        let id = host
            .connect("xero", &[&org], Some(XERO_SETTINGS_SCOPES.to_vec()))
            .await;
        others.push((id, org));
    }
    // With one slot between twenty tenants, the nineteen sync every stream while the
    // throttled one is still waiting, on a clock that has not moved.
    until("the nineteen tenants to sync every stream", || {
        others
            .iter()
            .all(|(id, _)| synced_streams(&host, id) == streams)
    })
    .await;
    assert_eq!(now(&host), started, "no time passed");
    let s = status(&host);
    assert_eq!(s.waiting_on_budget, 1, "{s:?}");
    assert!(s.budget_wait_until.is_some_and(|at| at > started), "{s:?}");
    assert_eq!(
        synced_streams(&host, &throttled),
        1,
        "only its first stream"
    );
    let counters = host.sim.counters();
    assert_eq!(counters.data_calls(&host.uk), 1, "nothing more was asked");
    for (_, org) in &others {
        assert!(counters.data_calls(org) >= streams as u64, "{org}");
    }
    assert_eq!(counters.rate_limited(None), 0, "no tenant was refused");

    // Its window frees up a minute later (its plan is back to the common limits): it
    // carries on from where it was and syncs every stream.
    host.sim.set_xero_tenant_rate_limits(&host.uk, None);
    advance(&host, Duration::from_secs(61));
    until("the throttled tenant to sync every stream", || {
        synced_streams(&host, &throttled) == streams
    })
    .await;
    assert_eq!(host.sim.counters().rate_limited(None), 0);
    scheduler.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_a_simulated_day_each_stream_is_fetched_at_its_own_interval() {
    let host = Host::start().await;
    host.sim.clock().freeze();
    // Hourly settings streams and the trial balance; invoices and credit notes every
    // 15 minutes.
    let mut scopes = XERO_SETTINGS_SCOPES.to_vec();
    scopes.extend([
        "accounting.invoices.read",
        "accounting.reports.trialbalance.read",
    ]);
    let id = host.connect("xero", &[&host.uk], Some(scopes)).await;
    let scheduler = host.app().sync.spawn_scheduler(true);
    until("the first sync", || idle(&status(&host))).await;
    let first = endpoint_calls(&host, &host.uk);
    let start = now(&host);
    // Step the clock from one due time to the next for a day, each time waiting until
    // the scheduler has run everything due.
    let mut steps = 0;
    loop {
        let s = status(&host);
        let next = match (s.next_due, s.budget_wait_until) {
            (Some(due), Some(wait)) => due.min(wait),
            (Some(due), None) => due,
            (None, _) => panic!("nothing scheduled: {s:?}"),
        };
        if next > start + DAY_MS {
            break;
        }
        advance(
            &host,
            Duration::from_millis(next.saturating_sub(now(&host))),
        );
        until("the streams due to sync", || {
            let s = status(&host);
            idle(&s) || (s.due == 0 && s.waiting_on_budget == s.syncing && s.syncing > 0)
        })
        .await;
        steps += 1;
        assert!(steps < 1_000, "too many steps");
    }
    scheduler.abort();
    let day = endpoint_calls(&host, &host.uk);
    let calls = |path: &str| {
        day.get(path)
            .copied()
            .unwrap_or(0)
            .saturating_sub(first.get(path).copied().unwrap_or(0))
    };
    // Runs per stream over the day, from the host's run history.
    let runs = host.app().store.list_sync_runs(&id, 100_000).expect("runs");
    let mut per_stream: BTreeMap<&str, u64> = BTreeMap::new();
    for run in runs.iter().filter(|r| r.started_at > start) {
        *per_stream.entry(run.stream.as_str()).or_default() += 1;
        assert!(run.error.is_none(), "{run:?}");
    }
    let plugin = host
        .app()
        .registry
        .resolve("xero", None)
        .expect("xero plugin");
    let syncable = host
        .app()
        .sync
        .syncable_streams(&id)
        .await
        .expect("streams");
    assert_eq!(syncable.len(), 7, "{syncable:?}");
    for stream in plugin
        .info
        .manifest
        .streams
        .iter()
        .filter(|s| syncable.contains(&s.name))
    {
        let expected = DAY_MS / (u64::from(stream.interval) * 1000);
        assert_eq!(
            per_stream.get(stream.name.as_str()).copied().unwrap_or(0),
            expected,
            "{}: runs in a day at {} s",
            stream.name,
            stream.interval
        );
    }
    // Provider calls per endpoint follow: an endpoint of a 15-minute stream is called
    // 96 times a day (one page each), the trial balance and the tracking categories 24.
    for path in ["/Invoices", "/CreditNotes"] {
        assert_eq!(calls(path), 96, "{path}: {day:?}");
    }
    for path in ["/Reports/TrialBalance", "/TrackingCategories"] {
        assert_eq!(calls(path), 24, "{path}: {day:?}");
    }
    // Every hourly endpoint (several streams may share one) is called a multiple of 24
    // times, no more often than its first sync did every hour.
    for path in ["/Organisation", "/Accounts"] {
        let first = first.get(path).copied().unwrap_or(0);
        assert!(
            calls(path) <= 24 * first.max(1) && calls(path) >= 24,
            "{path}: {} calls in a day, {first} in the first sync",
            calls(path)
        );
    }
    assert_eq!(host.sim.counters().rate_limited(None), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_times_survive_a_restart_and_missed_ones_are_spread() {
    let mut host = Host::start().await;
    host.sim.clock().freeze();
    let id = host
        .connect("xero", &[&host.uk], Some(XERO_SETTINGS_SCOPES.to_vec()))
        .await;
    let scheduler = host.app().sync.spawn_scheduler(true);
    until("the first sync", || idle(&status(&host))).await;
    scheduler.abort();
    let persisted = host.app().store.stream_schedule().expect("schedule");
    let streams = host
        .app()
        .sync
        .syncable_streams(&id)
        .await
        .expect("streams");
    assert_eq!(persisted.len(), streams.len(), "{persisted:?}");
    for (connection, stream, due) in &persisted {
        assert_eq!(connection, &id);
        assert_eq!(host.app().sync.next_due(&id, stream), Some(*due));
        assert!(*due > now(&host), "{stream} is due later");
    }

    // A restart keeps every due time: nothing runs again.
    host.restart().await;
    let calls = host.sim.counters().data_calls(&host.uk);
    let scheduler = host.app().sync.spawn_scheduler(true);
    until("the timetable to load", || {
        status(&host).scheduled == persisted.len()
    })
    .await;
    for (_, stream, due) in &persisted {
        assert_eq!(
            host.app().sync.next_due(&id, stream),
            Some(*due),
            "{stream}"
        );
    }
    host.app().sync.wake_scheduler();
    until("the scheduler to settle", || idle(&status(&host))).await;
    assert_eq!(host.sim.counters().data_calls(&host.uk), calls);
    scheduler.abort();

    // Down for two hours: every stream fell due meanwhile. The restarted scheduler
    // spreads them over the next few minutes instead of running them all at once.
    host.advance(Duration::from_secs(2 * 3600));
    host.restart().await;
    let restarted = now(&host);
    let scheduler = host.app().sync.spawn_scheduler(true);
    until("the timetable to load", || {
        status(&host).scheduled + status(&host).syncing > 0
    })
    .await;
    let spread = 5 * 60 * 1000;
    let mut dues: Vec<u64> = streams
        .iter()
        .filter_map(|s| host.app().sync.next_due(&id, s))
        .collect();
    assert_eq!(dues.len(), streams.len());
    for due in &dues {
        // At most one may have drawn no delay at all and run already.
        assert!(
            (restarted..restarted + spread).contains(due) || *due >= restarted + 900_000,
            "{due} vs {restarted}"
        );
    }
    dues.sort_unstable();
    dues.dedup();
    assert!(dues.len() > streams.len() / 2, "spread: {dues:?}");
    // Five minutes later every stream has run once more.
    let calls = host.sim.counters().data_calls(&host.uk);
    advance(&host, Duration::from_millis(spread));
    until("the missed streams to sync", || {
        let s = status(&host);
        idle(&s) && s.next_due.is_some_and(|at| at > restarted + spread)
    })
    .await;
    assert!(host.sim.counters().data_calls(&host.uk) >= calls + streams.len() as u64);
    scheduler.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_degraded_connection_resumes_at_its_resume_time_and_not_before() {
    let host = Host::start().await;
    host.sim.clock().freeze();
    let id = host
        .connect("xero", &[&host.uk], Some(XERO_SETTINGS_SCOPES.to_vec()))
        .await;
    // The organisation's plan allows two calls a day: the third stream finds the day
    // spent and the connection waits, every stream of it, until the provider's reset.
    host.sim.set_xero_tenant_rate_limits(
        &host.uk,
        Some(RateLimits {
            per_day: 2,
            ..RateLimits::default()
        }),
    );
    let scheduler = host.app().sync.spawn_scheduler(true);
    until("the connection to degrade", || {
        idle(&status(&host)) && host.app().sync.resume_at(&id).is_some()
    })
    .await;
    assert_eq!(host.connection(&id).await["state"], "degraded");
    let resume = host.app().sync.resume_at(&id).expect("resume time");
    assert!(
        resume > now(&host) + 3_600_000,
        "the daily reset is hours away"
    );
    let streams = host
        .app()
        .sync
        .syncable_streams(&id)
        .await
        .expect("streams");
    for stream in &streams {
        let due = host.app().sync.next_due(&id, stream).expect("scheduled");
        assert!(due >= resume, "{stream} is due at {due}, before {resume}");
    }
    let persisted = host.app().store.stream_schedule().expect("schedule");
    assert_eq!(persisted.len(), streams.len(), "{persisted:?}");
    assert!(persisted.iter().all(|(_, _, due)| *due >= resume));

    // Just before the resume time nothing is asked of the provider.
    let calls = host.sim.counters().api_calls.clone();
    advance(&host, Duration::from_millis(resume - 1_000 - now(&host)));
    until("the scheduler to settle", || idle(&status(&host))).await;
    assert_eq!(host.sim.counters().api_calls, calls);
    assert_eq!(host.connection(&id).await["state"], "degraded");

    // At the resume time every stream syncs and the connection is active again.
    host.sim.set_xero_tenant_rate_limits(&host.uk, None);
    advance(&host, Duration::from_secs(2));
    until("the connection to recover", || {
        idle(&status(&host)) && host.app().sync.resume_at(&id).is_none()
    })
    .await;
    assert_eq!(host.connection(&id).await["state"], "active");
    scheduler.abort();
}
