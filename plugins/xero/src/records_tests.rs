//! Record extraction: behaviour per stream, and the differential proof that the
//! streaming path ([`extract_page`]) gives the records of the `Value` path it replaced
//! ([`legacy`]) byte for byte, on the spec's examples, simulator pages and generated
//! pages. The `#[ignore]`d `bench_record_paths` times both:
//!
//! ```sh
//! cargo test --release -p mooring-xero --target x86_64-unknown-linux-gnu -- \
//!     --ignored --nocapture bench_record_paths
//! ```

use super::*;
use crate::streams::{STREAMS, find};
use mooring_plugin_sdk::serde_json::{self, json};

/// The `Value` path this module replaced, kept as the reference.
mod legacy {
    use super::*;

    /// A page as the old `sync::entities` read it.
    pub fn page(def: &StreamDef, body: &[u8]) -> Result<Vec<Extracted>, ConnectorError> {
        let mut body: Value = serde_json::from_slice(body)
            .map_err(|e| ConnectorError::InvalidData(format!("not JSON: {e}")))?;
        take_collection(&mut body, def)?
            .into_iter()
            .map(|v| extract(def, v))
            .collect()
    }

    /// The old `records::extract`.
    pub fn extract(def: &StreamDef, mut value: Value) -> Result<Extracted, ConnectorError> {
        let id = id_of(&value, def.primary_key).ok_or_else(|| {
            ConnectorError::InvalidData(format!(
                "a record of stream `{}` has no `{}`",
                def.name, def.primary_key
            ))
        })?;
        let updated = def
            .cursor_field
            .and_then(|f| value.get(f))
            .and_then(dates::parse_xero_date);
        let number = value.get("JournalNumber").and_then(Value::as_u64);
        let status = def
            .status_field
            .and_then(|f| value.get(f))
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase);
        let is = |list: &[&str]| status.as_deref().is_some_and(|s| list.contains(&s));
        let record = if is(def.erased_statuses) {
            let mut kept = Map::new();
            kept.insert(def.primary_key.to_string(), Value::String(id.clone()));
            if let (Some(field), Some(s)) = (def.status_field, &status) {
                kept.insert(field.to_string(), Value::String(s.clone()));
            }
            SyncRecord {
                id,
                data: to_json(&Value::Object(kept))?,
                deleted: true,
            }
        } else {
            dates::convert_ms_dates(&mut value);
            SyncRecord {
                id,
                data: to_json(&value)?,
                deleted: is(def.deleted_statuses),
            }
        };
        Ok(Extracted {
            record,
            updated,
            number,
        })
    }
}

fn def(name: &str) -> &'static StreamDef {
    find(name).expect("stream")
}

fn answer(body: &[u8]) -> Response {
    Response {
        status: 200,
        headers: Vec::new(),
        body: body.to_vec(),
    }
}

/// The streaming path on `body`.
fn page(def: &StreamDef, body: &[u8]) -> Result<Vec<Extracted>, ConnectorError> {
    extract_page(def, &answer(body))
}

/// One entity through the streaming path.
fn one(def: &StreamDef, entity: Value) -> Result<Extracted, ConnectorError> {
    let body = json!({ def.collection: [entity] }).to_string();
    page(def, body.as_bytes()).map(|mut v| v.remove(0))
}

/// Asserts both paths agree on `body` (records, cursor data, or both failing); returns
/// how many records they gave.
fn same(def: &StreamDef, body: &[u8]) -> usize {
    let old = legacy::page(def, body);
    let new = page(def, body);
    let shown = String::from_utf8_lossy(body);
    match (old, new) {
        (Ok(old), Ok(new)) => {
            assert_eq!(old, new, "{} {shown}", def.name);
            new.len()
        }
        (Err(_), Err(_)) => 0,
        (old, new) => panic!("{} {shown}\nold: {old:?}\nnew: {new:?}", def.name),
    }
}

#[test]
fn live_invoice_with_dates_converted() {
    let inv = json!({"InvoiceID": "d4956132", "Status": "AUTHORISED",
        "Date": "/Date(1539993600000+0000)/", "UpdatedDateUTC": "/Date(1541176290160+0000)/",
        "LineItems": [{"LineAmount": 40.00, "UnitAmount": 123.45}]});
    let e = one(def("invoices"), inv).unwrap();
    assert_eq!(e.record.id, "d4956132");
    assert!(!e.record.deleted);
    assert_eq!(e.updated, Some(1_541_176_290_160));
    let data: Value = serde_json::from_str(&e.record.data).unwrap();
    assert_eq!(data["Date"], "2018-10-20T00:00:00Z");
    assert_eq!(data["UpdatedDateUTC"], "2018-11-02T16:31:30.160Z");
    assert!(e.record.data.contains("123.45"), "{}", e.record.data);
    assert!(!e.record.data.contains("123.4500000"), "{}", e.record.data);
}

#[test]
fn deletion_statuses_per_stream() {
    let cases = [
        ("invoices", "Status", "VOIDED", true),
        ("invoices", "Status", "DELETED", true),
        ("invoices", "Status", "PAID", false),
        ("manual_journals", "Status", "VOIDED", true),
        ("manual_journals", "Status", "ARCHIVED", false),
        ("bank_transactions", "Status", "DELETED", true),
        ("accounts", "Status", "ARCHIVED", false),
        ("accounts", "Status", "DELETED", true),
        ("tracking_categories", "Status", "DELETED", true),
        ("contacts", "ContactStatus", "ARCHIVED", false),
    ];
    for (stream, field, status, deleted) in cases {
        let d = def(stream);
        let v = json!({ d.primary_key: "id-1", field: status, "Name": "x" });
        let e = one(d, v).unwrap();
        assert_eq!(e.record.deleted, deleted, "{stream} {status}");
        assert!(e.record.data.contains(status), "tombstones keep their data");
    }
}

#[test]
fn gdpr_request_erases_personal_data() {
    let v = json!({"ContactID": "c-1", "ContactStatus": "gdprRequest",
        "Name": "Jane Doe", "EmailAddress": "jane@example.com"});
    let e = one(def("contacts"), v).unwrap();
    assert!(e.record.deleted);
    assert_eq!(
        e.record.data,
        r#"{"ContactID":"c-1","ContactStatus":"GDPRREQUEST"}"#
    );
}

#[test]
fn journals_carry_their_number_and_missing_ids_are_refused() {
    let j = json!({"JournalID": "j-1", "JournalNumber": 30,
        "CreatedDateUTC": "/Date(1541176243467+0000)/"});
    let e = one(def("journals"), j).unwrap();
    assert_eq!(e.number, Some(30));
    assert!(e.record.data.contains("2018-11-02T16:30:43.467Z"));
    assert!(matches!(
        one(def("journals"), json!({"JournalNumber": 1})),
        Err(ConnectorError::InvalidData(m)) if m.contains("JournalID")
    ));
    assert_eq!(
        one(def("journals"), json!({"JournalID": 7}))
            .unwrap()
            .record
            .id,
        "7"
    );
    assert!(one(def("journals"), json!({"JournalID": " "})).is_err());
    assert_eq!(id_of(&json!({"n": 7}), "n").as_deref(), Some("7"));
    assert_eq!(id_of(&json!({"n": " "}), "n"), None);
}

#[test]
fn collections() {
    let d = def("invoices");
    let mut body = json!({"Status": "OK", "Invoices": [{"InvoiceID": "a"}]});
    assert_eq!(take_collection(&mut body, d).unwrap().len(), 1);
    assert!(take_collection(&mut json!({"Status": "OK"}), d).is_err());
    assert!(take_collection(&mut json!({"Invoices": {}}), d).is_err());
    let t = vanished("x".into());
    assert!(t.deleted && t.data == "null");
    let refused = |body: &str| match page(d, body.as_bytes()) {
        Err(ConnectorError::InvalidData(m)) => m,
        other => panic!("{other:?}"),
    };
    assert!(refused(r#"{"Status":"OK"}"#).contains("has no `Invoices` array"));
    assert!(refused(r#"{"Invoices":null}"#).contains("has no `Invoices` array"));
    assert!(refused(r#"{"Invoices":{}}"#).contains("is not an array"));
    let m = refused(r#"{"Invoices":[{"InvoiceID":"a"}"#);
    assert!(
        m.starts_with("HTTP 200 body is not the expected JSON"),
        "{m}"
    );
}

/// `(stream, body)` of every example in `testdata/spec_examples.tsv`.
fn spec_examples() -> Vec<(&'static StreamDef, String)> {
    include_str!("../testdata/spec_examples.tsv")
        .lines()
        .map(|line| {
            let (stream, body) = line.split_once('\t').expect("stream<TAB>body");
            (
                def(stream),
                serde_json::from_str(body).expect("a JSON string"),
            )
        })
        .collect()
}

/// `(stream, body)` of the simulator pages in `testdata/simulator/`.
fn simulator_pages() -> Vec<(&'static StreamDef, &'static str)> {
    vec![
        (
            def("organisation"),
            include_str!("../testdata/simulator/organisation.json"),
        ),
        (
            def("accounts"),
            include_str!("../testdata/simulator/accounts.json"),
        ),
        (
            def("tracking_categories"),
            include_str!("../testdata/simulator/tracking_categories.json"),
        ),
        (
            def("contacts"),
            include_str!("../testdata/simulator/contacts.json"),
        ),
        (
            def("invoices"),
            include_str!("../testdata/simulator/invoices.json"),
        ),
        (
            def("bank_transactions"),
            include_str!("../testdata/simulator/bank_transactions.json"),
        ),
        (
            def("manual_journals"),
            include_str!("../testdata/simulator/manual_journals.json"),
        ),
        (
            def("journals"),
            include_str!("../testdata/simulator/journals.json"),
        ),
    ]
}

#[test]
fn spec_examples_match_the_value_path() {
    let examples = spec_examples();
    assert_eq!(examples.len(), 17);
    let mut records = 0;
    for (d, body) in &examples {
        records += same(d, body.as_bytes());
        // Under every other stream's definition too (other keys, fields, statuses).
        for other in STREAMS {
            same(other, body.as_bytes());
        }
    }
    assert!(records >= 25, "{records}");
}

#[test]
fn simulator_pages_match_the_value_path() {
    for (d, body) in simulator_pages() {
        let n = same(d, body.as_bytes());
        assert!(n > 0, "{}", d.name);
    }
}

/// A small deterministic generator (xorshift64*) of Xero-like pages.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    /// A JSON value for a field: the entity fields Xero sends, and what it should not.
    fn value(&mut self, depth: u32) -> String {
        const SCALARS: &[&str] = &[
            r#""\/Date(1573755038314+0000)\/""#,
            r#""/Date(1539993600000)/""#,
            r#""2018-10-20T00:00:00""#,
            r#""AUTHORISED""#,
            r#""VOIDED""#,
            r#""voided""#,
            r#""DELETED""#,
            r#""ARCHIVED""#,
            r#""GDPRREQUEST""#,
            r#""VOI\u0044ED""#,
            r#""""#,
            r#"" ""#,
            r#""id-\"1\"""#,
            r#""caf\u00e9 \uD83D\uDE00 \/ \\""#,
            "\"é\"",
            "30",
            "-30",
            "30.0",
            "3e1",
            "1.10",
            "40.00",
            "-0",
            "18446744073709551616",
            "0.1",
            "true",
            "false",
            "null",
            "[]",
            "{}",
        ];
        if depth == 0 || !self.next().is_multiple_of(3) {
            return self.pick(SCALARS).to_string();
        }
        let items: Vec<String> = (0..self.next() % 4)
            .map(|_| self.value(depth - 1))
            .collect();
        if self.next().is_multiple_of(2) {
            format!("[{}]", items.join(","))
        } else {
            let members: Vec<String> = items
                .into_iter()
                .map(|v| format!(r#""{}":{v}"#, self.pick(&["b", "a", "Date", "a"])))
                .collect();
            format!("{{{}}}", members.join(", "))
        }
    }

    fn page(&mut self, def: &StreamDef) -> String {
        let keys = [
            def.primary_key,
            def.cursor_field.unwrap_or("UpdatedDateUTC"),
            def.status_field.unwrap_or("Status"),
            "JournalNumber",
            "Name",
            "LineItems",
            "Date",
            "Total",
        ];
        let entities: Vec<String> = (0..self.next() % 5)
            .map(|_| {
                let mut members = Vec::new();
                if !self.next().is_multiple_of(8) {
                    members.push(format!(r#""{}":"id-{}""#, def.primary_key, self.next() % 9));
                }
                for _ in 0..self.next() % 9 {
                    let v = self.value(3);
                    members.push(format!(r#""{}": {v}"#, self.pick(&keys)));
                }
                format!("{{{}}}", members.join(","))
            })
            .collect();
        format!(
            r#"{{"Id":"x","Status":"OK","{}":[{}]}}"#,
            def.collection,
            entities.join(",\n ")
        )
    }
}

#[test]
fn generated_pages_match_the_value_path() {
    let mut g = Gen(0x0123_4567_89AB_CDEF);
    let mut records = 0;
    for round in 0..400 {
        let d = &STREAMS[round % STREAMS.len()];
        let body = g.page(d);
        serde_json::from_str::<Value>(&body).expect("valid JSON");
        records += same(d, body.as_bytes());
    }
    assert!(records > 200, "{records}");
}

/// Fastest µs per record of `f` over `runs` runs of a page of `n` records (the
/// minimum, not the median: the least disturbed by other work on the machine).
fn time_per_record(n: usize, runs: usize, mut f: impl FnMut() -> usize) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = std::time::Instant::now();
            assert_eq!(f(), n);
            start.elapsed().as_secs_f64() * 1e6 / n as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[0]
}

#[test]
#[ignore = "benchmark: run with --release -- --ignored --nocapture"]
fn bench_record_paths() {
    let pages = simulator_pages();
    let invoices = pages
        .iter()
        .find(|p| p.0.name == "invoices")
        .expect("page")
        .1;
    // 100 invoices: the 20 of the fixture page, five times over.
    let one: Value = serde_json::from_str(invoices).expect("JSON");
    let items = one["Invoices"].as_array().expect("array");
    let repeated: Vec<&str> = (0..5)
        .flat_map(|_| invoices.split_once("\"Invoices\":[").map(|(_, rest)| rest))
        .collect();
    assert_eq!(items.len(), 20);
    let tail = repeated[0].rsplit_once(']').expect("end").0;
    let invoices100 = format!(
        r#"{{"Id":"x","Status":"OK","Invoices":[{}]}}"#,
        [tail; 5].join(",")
    );
    let journals = pages
        .iter()
        .find(|p| p.0.name == "journals")
        .expect("page")
        .1;
    // MOORING_BENCH_STREAM=invoices|journals: one page only.
    let only = std::env::var("MOORING_BENCH_STREAM").unwrap_or_default();
    for (name, body) in [("invoices", invoices100.as_str()), ("journals", journals)] {
        if !only.is_empty() && only != name {
            continue;
        }
        let d = def(name);
        let n = same(d, body.as_bytes());
        // MOORING_BENCH_RUNS (default 200) and MOORING_BENCH_PATH=old|new (default
        // both), e.g. to count instructions of one path with `valgrind --tool=callgrind`.
        let runs = std::env::var("MOORING_BENCH_RUNS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(200);
        let path = std::env::var("MOORING_BENCH_PATH").unwrap_or_default();
        let old = if path == "new" {
            f64::NAN
        } else {
            time_per_record(n, runs, || legacy::page(d, body.as_bytes()).unwrap().len())
        };
        let new = if path == "old" {
            f64::NAN
        } else {
            time_per_record(n, runs, || page(d, body.as_bytes()).unwrap().len())
        };
        let bytes = body.len() / n;
        eprintln!(
            "{name}: {n} records, {bytes} B/record: Value path {old:.2} µs/record, streaming {new:.2} µs/record ({:.1}x)",
            old / new
        );
    }
}
