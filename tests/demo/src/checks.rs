//! What the demo observes of the host: waiting for syncs and runs, the records'
//! live counts and change feed, and comparing them with the simulator's books.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use super::*;

/// (stream, the simulator's statuses that mean the record is gone)
pub(crate) const COMPARED: &[(&str, &[&str])] = &[
    ("accounts", &["DELETED"]),
    ("tracking_categories", &["DELETED"]),
    ("contacts", &["GDPRREQUEST"]),
    ("invoices", &["DELETED", "VOIDED"]),
    ("bank_transactions", &["DELETED", "VOIDED"]),
    ("manual_journals", &["DELETED", "VOIDED"]),
    ("journals", &[]),
];

/// The simulator's records of a compared stream, with their id and status fields.
pub(crate) fn truth_of<'a>(
    truth: &'a XeroTruth,
    stream: &str,
) -> (&'a [Value], &'static str, &'static str) {
    match stream {
        "accounts" => (&truth.accounts, "AccountID", "Status"),
        "tracking_categories" => (&truth.tracking_categories, "TrackingCategoryID", "Status"),
        "contacts" => (&truth.contacts, "ContactID", "ContactStatus"),
        "invoices" => (&truth.invoices, "InvoiceID", "Status"),
        "bank_transactions" => (&truth.bank_transactions, "BankTransactionID", "Status"),
        "manual_journals" => (&truth.manual_journals, "ManualJournalID", "Status"),
        _ => (&truth.journals, "JournalID", "-"),
    }
}

/// Poll `check` until it gives a value, with a growing pause, for at most `timeout`.
pub(crate) async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let started = Instant::now();
    let mut pause = Duration::from_millis(20);
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if started.elapsed() > timeout {
            bail!("gave up after {} waiting for {what}", secs(timeout));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

/// The newest run id of a connection (0 without runs).
pub(crate) async fn last_run(host: &Host, id: &str) -> Result<u64> {
    let runs = host
        .ok("GET", &format!("/api/connections/{id}/runs?limit=1"), None)
        .await?;
    Ok(runs[0]["id"].as_u64().unwrap_or(0))
}

/// Wait until the sync the host queued by itself (after a connect or reconnect) has
/// run every stream of the connection's plugin: runs newer than `after`, none still
/// running. Streams the grant cannot sync never get a run, so a quiet second with
/// nothing running also ends the wait. Returns the new runs.
pub(crate) async fn wait_for_sync(host: &Host, id: &str, after: u64) -> Result<Vec<Value>> {
    let view = host
        .ok("GET", &format!("/api/connections/{id}/streams"), None)
        .await?;
    let streams: BTreeSet<String> = view["streams"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["name"].as_str().map(str::to_owned))
        .collect();
    let started = Instant::now();
    let mut seen = 0;
    let mut quiet_since = Instant::now();
    loop {
        let runs = host
            .ok(
                "GET",
                &format!("/api/connections/{id}/runs?limit=1000"),
                None,
            )
            .await?;
        let new: Vec<Value> = runs
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["id"].as_u64().is_some_and(|run| run > after))
            .cloned()
            .collect();
        let running = new.iter().any(|r| r["status"] == "running");
        let done: BTreeSet<&str> = new
            .iter()
            .filter(|r| r["status"] != "running")
            .filter_map(|r| r["stream"].as_str())
            .collect();
        if !running && streams.iter().all(|s| done.contains(s.as_str())) {
            return Ok(new);
        }
        if new.len() != seen || running {
            seen = new.len();
            quiet_since = Instant::now();
        } else if seen > 0 && quiet_since.elapsed() > Duration::from_secs(1) {
            return Ok(new);
        }
        if started.elapsed() > SYNC_WAIT {
            let missing: Vec<&String> = streams
                .iter()
                .filter(|s| !done.contains(s.as_str()))
                .collect();
            bail!(
                "the sync of {id} did not finish within {}: no finished run yet for {missing:?}",
                secs(SYNC_WAIT)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) fn failed_runs(runs: &[Value]) -> Vec<String> {
    runs.iter()
        .filter_map(|r| {
            let error = r["error"].as_str()?;
            Some(format!("{}: {error}", r["stream"].as_str().unwrap_or("?")))
        })
        .collect()
}

/// Live records per stream, from the connection's stream view.
pub(crate) async fn live_counts(host: &Host, id: &str) -> Result<BTreeMap<String, usize>> {
    let view = host
        .ok("GET", &format!("/api/connections/{id}/streams"), None)
        .await?;
    Ok(view["streams"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| {
            let live = usize::try_from(s["live"].as_u64()?).ok()?;
            Some((s["name"].as_str()?.to_owned(), live))
        })
        .collect())
}

/// Every record of a stream read through the change feed: id → tombstone. An id that
/// appears twice is a duplicate and an error.
pub(crate) async fn feed(host: &Host, id: &str, stream: &str) -> Result<BTreeMap<String, bool>> {
    let mut out = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = host
            .ok(
                "GET",
                &format!("/api/connections/{id}/records/{stream}?after={after}&limit=1000"),
                None,
            )
            .await?;
        for record in page["records"].as_array().into_iter().flatten() {
            let key = record["id"].as_str().context("a record without id")?;
            let deleted = record["deleted"] == true;
            ensure!(
                out.insert(key.to_owned(), deleted).is_none(),
                "{stream}: record {key} appears twice"
            );
        }
        match page["next"].as_u64() {
            Some(next) if next > after => after = next,
            _ => return Ok(out),
        }
    }
}

/// Compare the host's records of the compared streams with the simulator's books, id for
/// id and deletion for deletion. Returns (streams, records) compared.
pub(crate) async fn compare_with_truth(story: &Story, id: &str) -> Result<(usize, usize)> {
    let truth = story.xero.xero_truth(&story.uk)?;
    let mut records = 0;
    for (stream, gone) in COMPARED {
        let (rows, id_field, status_field) = truth_of(&truth, stream);
        let expected: BTreeMap<String, bool> = rows
            .iter()
            .filter_map(|r| {
                let key = r[id_field].as_str()?.to_owned();
                let status = r[status_field].as_str().unwrap_or_default();
                Some((key, gone.contains(&status)))
            })
            .collect();
        let got = feed(&story.host, id, stream).await?;
        let missing = expected.keys().filter(|k| !got.contains_key(*k)).count();
        let extra = got.keys().filter(|k| !expected.contains_key(*k)).count();
        let flags = expected
            .iter()
            .filter(|(k, gone)| got.get(*k).is_some_and(|g| g != *gone))
            .count();
        ensure!(
            missing == 0 && extra == 0 && flags == 0,
            "{stream}: {missing} missing, {extra} not in the simulator, {flags} with the wrong deletion flag"
        );
        records += expected.len();
    }
    Ok((COMPARED.len(), records))
}
