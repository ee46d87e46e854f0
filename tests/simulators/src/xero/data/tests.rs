//! Generator invariants: determinism, balanced journals, document totals, numbering.

use super::*;

const NOW: i64 = 1_795_000_000_000;

fn small(seed: u64) -> OrgData {
    generate::generate(
        "t-1",
        "Demo",
        &GenerateOptions::new(OrgSize::small(), seed),
        NOW,
    )
    .expect("generate")
}

#[test]
fn same_seed_same_data() {
    let a = XeroTruth::of(&small(7), NOW);
    let b = XeroTruth::of(&small(7), NOW);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    let c = XeroTruth::of(&small(8), NOW);
    assert_ne!(a.invoices, c.invoices);
}

#[test]
fn ledger_invariants() {
    let d = small(3);
    assert!(ledger::all_balanced(&d.journals));
    let mut prev = (0, i64::MIN);
    let mut gaps = 0;
    for j in &d.journals {
        assert!(j.number > prev.0 && j.created > prev.1);
        gaps += usize::from(j.number > prev.0 + 1);
        assert!(j.created < NOW);
        prev = (j.number, j.created);
    }
    assert!(gaps > 0, "journal numbers must not be contiguous");
    for inv in &d.invoices {
        assert_eq!(inv.sub_total + inv.total_tax, inv.total);
        if inv.status != "VOIDED" {
            assert_eq!(inv.amount_due(), inv.total - inv.amount_paid());
        }
        assert!(inv.updated < NOW + 1_000 && inv.date < NOW);
    }
    let statuses: std::collections::BTreeSet<&str> = d.invoices.iter().map(|i| i.status).collect();
    for s in ["AUTHORISED", "PAID", "DRAFT"] {
        assert!(statuses.contains(s), "{statuses:?}");
    }
    let s = d.summary();
    println!(
        "small: {s:?} est {}",
        OrgSize::small().estimated_journal_lines()
    );
}

#[test]
fn medium_generation_and_estimate() {
    let t = std::time::Instant::now();
    let d = generate::generate("t", "M", &GenerateOptions::new(OrgSize::medium(), 1), NOW).unwrap();
    let s = d.summary();
    let est = OrgSize::medium().estimated_journal_lines() as f64;
    println!("medium: {s:?} est {est} in {:?}", t.elapsed());
    assert!(ledger::all_balanced(&d.journals));
    let ratio = s.journal_lines as f64 / est;
    assert!((0.9..1.1).contains(&ratio), "{ratio}");
}

/// The benchmark organisation: ~100k journal lines. Ignored (slow in debug builds);
/// run `cargo test -p mooring-simulators --release --lib large_preset -- --ignored --nocapture`.
#[test]
#[ignore]
fn large_preset_has_about_100k_journal_lines() {
    let t = std::time::Instant::now();
    let d = generate::generate("t", "L", &GenerateOptions::new(OrgSize::large(), 1), NOW).unwrap();
    let generated = t.elapsed();
    let s = d.summary();
    let t = std::time::Instant::now();
    let truth = XeroTruth::of(&d, NOW);
    println!(
        "large: {s:?} (estimate {}) generated in {generated:?}, rendered in {:?}",
        OrgSize::large().estimated_journal_lines(),
        t.elapsed()
    );
    assert!((90_000..115_000).contains(&s.journal_lines), "{s:?}");
    assert_eq!(truth.journal_line_count(), s.journal_lines);
    assert!(ledger::all_balanced(&d.journals));
}

#[test]
fn credit_notes_post_balanced_journals_and_reverse_on_void() {
    let mut d = small(5);
    let journals = d.journals.len();
    let sale = d
        .add_credit_note("ACCRECCREDIT", None, 5_000, "AUTHORISED", NOW)
        .expect("sale credit");
    let bill = d
        .add_credit_note(
            "ACCPAYCREDIT",
            Some("New Supplier Ltd"),
            2_500,
            "AUTHORISED",
            NOW,
        )
        .expect("bill credit");
    let draft = d
        .add_credit_note("ACCREC", None, 100, "DRAFT", NOW)
        .expect("draft");
    assert_eq!(d.journals.len(), journals + 2);
    assert!(ledger::all_balanced(&d.journals));
    let cn = &d.credit_notes[d.credit_note_index(&sale).unwrap()];
    assert_eq!(cn.number, "CN-0001");
    assert_eq!(cn.total, cn.sub_total + cn.total_tax);
    assert!(cn.updated > NOW);
    let last = d.journals.last().unwrap();
    assert_eq!(last.source_type, "ACCPAYCREDIT");
    assert!(d.contacts.iter().any(|c| c.name == "New Supplier Ltd"));

    let voided = d.void_credit_note(&sale, NOW + 1_000).expect("void");
    assert!(voided > NOW + 1_000);
    assert_eq!(d.journals.len(), journals + 3);
    assert!(ledger::all_balanced(&d.journals));
    assert!(d.void_credit_note(&sale, NOW + 2_000).is_err());
    assert!(d.delete_credit_note(&bill, NOW + 2_000).is_err());
    d.delete_credit_note(&draft, NOW + 2_000)
        .expect("delete draft");

    let truth = XeroTruth::of(&d, NOW + 3_000);
    let statuses: Vec<_> = truth
        .credit_notes
        .iter()
        .map(|c| {
            (
                c["CreditNoteID"].as_str().unwrap(),
                c["Status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (sale.as_str(), "VOIDED"),
            (bill.as_str(), "AUTHORISED"),
            (draft.as_str(), "DELETED")
        ]
    );
    let c = &truth.credit_notes[1];
    assert_eq!(c["Type"], "ACCPAYCREDIT");
    assert_eq!(c["Contact"]["Name"], "New Supplier Ltd");
    assert!(c["UpdatedDateUTC"].as_str().unwrap().starts_with("/Date("));
    assert_eq!(c["LineItems"].as_array().unwrap().len(), 1);
}
