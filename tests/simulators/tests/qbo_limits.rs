//! QuickBooks throttling of the ledger endpoints: 10 calls in progress per realm (429
//! XML 3001 beyond), the per-minute limit on reports and CDC, and unlimited mode.

mod common;

use common::*;
use mooring_simulators::QboRateLimits;

#[tokio::test]
async fn concurrent_calls_beyond_the_limit_are_throttled_in_xml() {
    let w = world().await;
    let at = w.qbo_at(&w.realm).await;
    w.sim.set_qbo_rate_limits(QboRateLimits {
        concurrent: 3,
        latency_ms: 400,
        ..QboRateLimits::default()
    });
    let calls = (0..6).map(|_| w.qbo_get(&at, &w.realm, "reports/TrialBalance"));
    let answers = futures_join(calls).await;
    let ok = answers.iter().filter(|a| a.status == 200).count();
    let throttled: Vec<_> = answers.iter().filter(|a| a.status == 429).collect();
    assert_eq!(
        ok,
        3,
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert_eq!(throttled.len(), 3);
    for t in throttled {
        assert!(
            t.header("content-type")
                .unwrap()
                .starts_with("application/xml")
        );
        assert!(t.text.contains("<Error code=\"3001\">"));
    }
    // Once they finish, calls are admitted again.
    assert_eq!(w.qbo_get(&at, &w.realm, "preferences").await.status, 200);
    assert_eq!(w.sim.qbo_rate_usage()[0].in_flight, 0);
}

async fn futures_join<F: std::future::Future<Output = Answer>>(
    calls: impl Iterator<Item = F>,
) -> Vec<Answer> {
    let handles: Vec<_> = calls.collect();
    let mut out = Vec::new();
    let mut pinned: Vec<_> = handles.into_iter().map(Box::pin).collect();
    // Poll all together.
    let all = std::future::poll_fn(|cx| {
        let mut done = true;
        for (i, f) in pinned.iter_mut().enumerate() {
            if out.len() <= i {
                out.resize_with(i + 1, || None);
            }
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(a) => out[i] = Some(a),
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    });
    all.await;
    out.into_iter().flatten().collect()
}

#[tokio::test]
async fn minute_limit_covers_reports_and_cdc_and_can_be_lifted() {
    let w = world().await;
    let at = w.qbo_at(&w.realm).await;
    w.sim.set_qbo_rate_limits(QboRateLimits {
        per_minute: 3,
        ..QboRateLimits::default()
    });
    assert_eq!(
        w.qbo_get(&at, &w.realm, "reports/BalanceSheet")
            .await
            .status,
        200
    );
    assert_eq!(w.qbo_get(&at, &w.realm, "preferences").await.status, 200);
    assert_eq!(
        w.qbo_get(&at, &w.realm, &format!("companyinfo/{}", w.realm))
            .await
            .status,
        200
    );
    let t = w
        .qbo_get(
            &at,
            &w.realm,
            "cdc?entities=Invoice&changedSince=2026-11-21",
        )
        .await;
    assert_eq!(t.status, 429);
    w.advance(60);
    assert_eq!(
        w.qbo_get(
            &at,
            &w.realm,
            "cdc?entities=Invoice&changedSince=2026-11-21"
        )
        .await
        .status,
        200
    );
    w.sim.set_qbo_rate_limits(QboRateLimits::unlimited());
    for _ in 0..600 {
        assert_eq!(w.qbo_get(&at, &w.realm, "preferences").await.status, 200);
    }
}
