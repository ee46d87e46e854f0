//! Memory after a burst of bad input (`cargo bench -p mooring --bench burst`), issue 11
//! item 4: the host in this process (admin API on loopback), then 460 bad requests, 16
//! at a time: 60 uploads of 32 MiB of garbage (`POST /api/plugins`, refused at the
//! upload limit or as not a component) and 400 malformed JSON bodies of 2 MB
//! (`POST /api/integrations`). Prints the process's RSS before, right after, and 20 s
//! later without the heap trim, then 20 s after starting it ([`mooring::heap_trim`], as
//! `mooring serve` does).
//!
//! Needs the plugins: `cargo xtask build-plugins`.

#[path = "../tests/it/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "common/measure.rs"]
#[allow(dead_code)]
mod measure;
#[path = "../tests/it/support.rs"]
#[allow(dead_code)]
mod support;

use std::time::Duration;

use futures_util::StreamExt as _;

/// Requests in flight at once.
const CONCURRENCY: usize = 16;

async fn burst(host: &harness::Host) -> (usize, usize) {
    let http = reqwest::Client::new();
    let garbage: Vec<u8> = (0..32usize << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut malformed = String::from("{\"provider\": \"");
    malformed.push_str(&"x".repeat(2_000_000));
    let requests = (0..460usize).map(|i| {
        let (path, body) = if i % 23 < 3 {
            ("/api/plugins", garbage.clone())
        } else {
            ("/api/integrations", malformed.clone().into_bytes())
        };
        http.post(format!("{}{path}", host.base))
            .bearer_auth(harness::ADMIN)
            .header("content-type", "application/json")
            .body(body)
            .send()
    });
    let statuses: Vec<u16> = futures_util::stream::iter(requests)
        .buffer_unordered(CONCURRENCY)
        .map(|r| r.map(|r| r.status().as_u16()).unwrap_or(0))
        .collect()
        .await;
    let refused = statuses.iter().filter(|s| (400..500).contains(*s)).count();
    (statuses.len(), refused)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let host = harness::Host::start_with(&[("MOORING_LOG", "warn")]).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let before = measure::rss_mb();
        let (sent, refused) = burst(&host).await;
        let after = measure::rss_mb();
        tokio::time::sleep(Duration::from_secs(20)).await;
        let settled = measure::rss_mb();
        let _trim = mooring::heap_trim::spawn();
        tokio::time::sleep(Duration::from_secs(20)).await;
        let trimmed = measure::rss_mb();
        println!(
            "burst: {sent} bad requests ({refused} answered 4xx), 16 at a time; RSS before {before:.1} MB, right after {after:.1} MB, 20 s later {settled:.1} MB without the heap trim, {trimmed:.1} MB 20 s after it started"
        );
    });
}
