//! Record storage cost (`cargo bench -p mooring-store --bench records`): plain timings,
//! no framework, on generated journal-like records of about 1.5 KB (the size of a Xero
//! journal with a dozen lines).
//!
//! Prints, per record:
//! - `zstd`: compressing and decompressing alone, with the store's settings (level 1, a
//!   16 KiB dictionary trained on 64 records) and without a dictionary;
//! - `commit`: CPU time of [`Store::commit_page`] in pages of 100, for new records (the
//!   full-sync path: compress and insert) and for the same records again (the
//!   incremental path: decompress and compare); CPU time of the calling thread, so the
//!   fsync wait per page is not counted;
//! - `read`: CPU time of [`Store::records_after`] over the whole stream;
//! - `disk`: the file's allocated size (`st_blocks × 512`) per record.

use std::os::unix::fs::MetadataExt as _;
use std::time::{Duration, Instant};

use mooring_store::{IncomingRecord, SecretKey, Store};

const RECORDS: usize = 20_000;
const PAGE: usize = 100;

/// A journal of about 1.5 KB, different for every `i`.
fn journal(i: usize) -> String {
    let lines: Vec<String> = (0..12)
        .map(|l| {
            format!(
                r#"{{"JournalLineID":"{i:08x}-{l:04x}-4f2a-8c1d-{:012x}","AccountID":"{:08x}-3248-49da-b0f4-d125cc0d694a","AccountCode":"{}","AccountType":"{}","AccountName":"Account {}","Description":"Line {l} of journal {i}","NetAmount":{}.{:02},"GrossAmount":{}.{:02},"TaxAmount":0.00,"TaxType":"NONE","TaxName":"No GST"}}"#,
                i.wrapping_mul(2_654_435_761) % 0xffff_ffff_ffff,
                (i + l) % 50,
                200 + (i + l) % 50,
                ["REVENUE", "EXPENSE", "CURRENT", "BANK"][(i + l) % 4],
                (i + l) % 50,
                (i * 37 + l * 101) % 10_000,
                (i + l) % 100,
                (i * 37 + l * 101) % 10_000,
                (i + l) % 100,
            )
        })
        .collect();
    format!(
        r#"{{"JournalID":"{i:08x}-0000-4000-8000-{:012x}","JournalDate":"/Date({}+0000)/","JournalNumber":{i},"CreatedDateUTC":"/Date({}+0000)/","SourceID":"{:08x}-1111-4000-8000-000000000000","SourceType":"{}","JournalLines":[{}]}}"#,
        i.wrapping_mul(40_503) % 0xffff_ffff_ffff,
        1_700_000_000_000u64 + i as u64 * 86_400_000,
        1_700_000_000_000u64 + i as u64 * 86_400_123,
        i.wrapping_mul(7919),
        ["ACCREC", "ACCPAY", "CASHREC", "MANJOURNAL"][i % 4],
        lines[..1 + i % 8].join(",")
    )
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let nanos = text
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Duration::from_nanos(nanos)
}

fn per_record(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e6 / n as f64
}

fn zstd_alone(data: &[String]) {
    let samples: Vec<&[u8]> = data.iter().take(64).map(|d| d.as_bytes()).collect();
    let dict = zstd::dict::from_samples(&samples, 16 * 1024).expect("train");
    for (name, dict) in [
        ("16 KiB dictionary", dict.as_slice()),
        ("no dictionary", &[]),
    ] {
        let mut c = zstd::bulk::Compressor::with_dictionary(1, dict).expect("compressor");
        let mut d = zstd::bulk::Decompressor::with_dictionary(dict).expect("decompressor");
        let started = Instant::now();
        let frames: Vec<Vec<u8>> = data
            .iter()
            .map(|r| c.compress(r.as_bytes()).expect("compress"))
            .collect();
        let compress = started.elapsed();
        let started = Instant::now();
        for (frame, r) in frames.iter().zip(data) {
            let out = d.decompress(frame, r.len()).expect("decompress");
            assert_eq!(out.len(), r.len());
        }
        let decompress = started.elapsed();
        let bytes: usize = frames.iter().map(Vec::len).sum();
        println!(
            "zstd level 1, {name}: {:.0} B/record, compress {:.2} µs/record, decompress {:.2} µs/record",
            bytes as f64 / data.len() as f64,
            per_record(compress, data.len()),
            per_record(decompress, data.len()),
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let data: Vec<String> = (0..RECORDS).map(journal).collect();
    let json: usize = data.iter().map(String::len).sum();
    println!(
        "{RECORDS} records, {:.0} B of JSON each on average",
        json as f64 / RECORDS as f64
    );
    zstd_alone(&data);

    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("bench.redb");
    let store = Store::open(&path, SecretKey::generate()).expect("open");
    let pages: Vec<Vec<IncomingRecord>> = data
        .chunks(PAGE)
        .enumerate()
        .map(|(p, chunk)| {
            chunk
                .iter()
                .enumerate()
                .map(|(i, d)| IncomingRecord {
                    id: format!("{:08x}-3248-49da-b0f4-{:012x}", p * PAGE + i, p),
                    data: d.clone(),
                    deleted: false,
                })
                .collect()
        })
        .collect();
    for (label, expect_added) in [("new records", true), ("same records again", false)] {
        let cpu = thread_cpu();
        let wall = Instant::now();
        for page in &pages {
            let stats = store
                .commit_page("c1", "journals", page, None)
                .expect("commit");
            assert_eq!(stats.added == page.len() as u64, expect_added);
        }
        println!(
            "commit, {label}: {:.2} µs CPU/record ({:.2} µs wall with an fsync per page of {PAGE})",
            per_record(thread_cpu() - cpu, RECORDS),
            per_record(wall.elapsed(), RECORDS),
        );
    }
    let cpu = thread_cpu();
    let mut after = 0;
    let mut read = 0;
    loop {
        let (page, next) = store
            .records_after("c1", "journals", after, 500)
            .expect("read");
        read += page.len();
        match next {
            Some(n) => after = n,
            None => break,
        }
    }
    assert_eq!(read, RECORDS);
    println!(
        "read (records_after, pages of 500): {:.2} µs CPU/record",
        per_record(thread_cpu() - cpu, RECORDS)
    );
    let blocks = std::fs::metadata(&path).expect("metadata").blocks();
    println!(
        "disk: {:.0} B allocated/record",
        blocks.saturating_mul(512) as f64 / RECORDS as f64
    );
}
