//! Derivation tests on a small ledger that crosses a fiscal year end: the reports are
//! built from the ledger the way a provider builds them (natural signs, P&L by month,
//! balance sheet with retained earnings rolled at the year start and the current
//! year's earnings on a line of its own), then the actuals must give back the ledger.

use super::*;
use crate::common::Classification::*;

fn m(s: &str) -> Month {
    Month::parse(s).unwrap()
}

fn d(s: &str) -> Decimal {
    Decimal::parse(s).unwrap()
}

/// (month, account, debit-positive amount): every month's lines balance.
const LEDGER: &[(&str, &str, &str)] = &[
    ("2023-11", "bank", "1000.00"),
    ("2023-11", "capital", "-1000.00"),
    ("2023-12", "ar", "250.10"),
    ("2023-12", "sales", "-250.10"),
    ("2023-12", "rent", "100.05"),
    ("2023-12", "bank", "-100.05"),
    ("2024-01", "bank", "250.10"),
    ("2024-01", "ar", "-250.10"),
    ("2024-01", "sales", "-10.00"),
    ("2024-01", "bank", "10.00"),
    ("2024-02", "re", "5.00"),
    ("2024-02", "bank", "-5.00"),
];

fn chart() -> Vec<ChartEntry> {
    [
        ("bank", Asset),
        ("ar", Asset),
        ("capital", Equity),
        ("re", Equity),
        ("sales", Revenue),
        ("rent", Expense),
    ]
    .iter()
    .map(|(id, c)| ChartEntry {
        id: id.to_string(),
        classification: *c,
    })
    .collect()
}

fn class(id: &str) -> Classification {
    chart()
        .into_iter()
        .find(|e| e.id == id)
        .unwrap()
        .classification
}

fn natural(id: &str, debit_positive: Decimal) -> Decimal {
    if class(id).debit_normal() {
        debit_positive
    } else {
        debit_positive.checked_neg().unwrap()
    }
}

/// Reports for months `first.prev()..=last`, fiscal year starting in January.
fn reports(first: Month, last: Month) -> Figures {
    let mut f = Figures::default();
    for month in first.prev().through(last) {
        let fy = month.fiscal_year_start(1);
        for e in chart() {
            let posted = |pred: &dyn Fn(Month) -> bool| {
                Decimal::sum(
                    LEDGER
                        .iter()
                        .filter(|(mo, a, _)| *a == e.id && pred(m(mo)))
                        .map(|(_, _, v)| d(v)),
                )
                .unwrap()
            };
            if e.classification.balance_sheet() {
                let mut bal = posted(&|mo| mo <= month);
                if e.id == "re" {
                    // The roll: every P&L posting before this fiscal year.
                    let before: Decimal = Decimal::sum(
                        LEDGER
                            .iter()
                            .filter(|(mo, a, _)| !class(a).balance_sheet() && m(mo) < fy)
                            .map(|(_, _, v)| d(v)),
                    )
                    .unwrap();
                    bal = bal.checked_add(before).unwrap();
                }
                f.add_balance(&e.id, month, natural(&e.id, bal)).unwrap();
            } else if month >= first {
                let v = posted(&|mo| mo == month);
                f.add_pnl(&e.id, month, natural(&e.id, v)).unwrap();
            }
        }
    }
    f
}

#[test]
fn gives_back_the_ledger_across_a_year_end() {
    let chart = chart();
    let window = Window {
        chart: &chart,
        retained_earnings: Some("re"),
        first: m("2023-12"),
        last: m("2024-03"),
        currency: Some("USD"),
    };
    let actuals = derive(&window, &reports(window.first, window.last)).unwrap();
    // Each group sums to zero.
    let mut groups: BTreeMap<(String, bool), Decimal> = BTreeMap::new();
    for a in &actuals {
        let key = (a.period.clone(), a.kind == ActualKind::Opening);
        let slot = groups.entry(key).or_default();
        *slot = slot.checked_add(d(&a.net)).unwrap();
        assert_eq!(
            d(&a.net),
            d(&a.debit).checked_sub(d(&a.credit)).unwrap(),
            "{a:?}"
        );
        assert!(!d(&a.debit).is_negative() && !d(&a.credit).is_negative());
        assert_eq!(a.currency.as_deref(), Some("USD"));
    }
    assert_eq!(groups.len(), 5, "opening + four months");
    assert!(groups.values().all(Decimal::is_zero), "{groups:?}");
    // Movements are the ledger's postings, retained earnings included.
    let get = |id: &str, p: &str| {
        actuals
            .iter()
            .find(|a| a.account_id == id && a.period == p && a.kind == ActualKind::Movement)
            .map(|a| a.net.clone())
            .unwrap()
    };
    assert_eq!(get("sales", "2023-12"), "-250.10");
    assert_eq!(get("sales", "2024-01"), "-10.00");
    assert_eq!(
        get("re", "2024-01"),
        "0.00",
        "the year-end roll is not a posting"
    );
    assert_eq!(get("re", "2024-02"), "5.00");
    assert_eq!(get("bank", "2024-01"), "260.10");
    assert_eq!(get("rent", "2024-03"), "0.00", "zeros are written too");
    // The opening carries the balances at the end of 2023-11.
    let opening: Vec<_> = actuals
        .iter()
        .filter(|a| a.kind == ActualKind::Opening)
        .collect();
    assert_eq!(opening.len(), 4, "balance-sheet accounts only");
    assert!(opening.iter().all(|a| a.period == "2023-11"));
    let bank = opening.iter().find(|a| a.account_id == "bank").unwrap();
    assert_eq!(
        (bank.debit.as_str(), bank.credit.as_str()),
        ("1000.00", "0.00")
    );
    // 6 accounts × 4 months + 4 openings.
    assert_eq!(actuals.len(), 28);
}

#[test]
fn opening_absorbs_current_year_earnings_into_retained_earnings() {
    let chart = chart();
    let window = Window {
        chart: &chart,
        retained_earnings: Some("re"),
        first: m("2024-01"),
        last: m("2024-01"),
        currency: None,
    };
    let actuals = derive(&window, &reports(window.first, window.last)).unwrap();
    let re = actuals
        .iter()
        .find(|a| a.account_id == "re" && a.kind == ActualKind::Opening)
        .unwrap();
    // At the end of 2023-12: earnings of 250.10 − 100.05 = 150.05, a credit.
    assert_eq!(re.net, "-150.05");
    assert_eq!(re.credit, "150.05");
}

#[test]
fn an_unbalanced_month_without_retained_earnings_is_refused() {
    let chart = chart();
    let window = Window {
        chart: &chart,
        retained_earnings: None,
        first: m("2024-01"),
        last: m("2024-01"),
        currency: None,
    };
    let err = derive(&window, &reports(window.first, window.last)).unwrap_err();
    assert!(err.contains("retained-earnings"), "{err}");
    let mut f = Figures::default();
    let big = Decimal::new(i128::MAX, 0).unwrap();
    f.add_pnl("sales", m("2024-01"), big).unwrap();
    assert!(f.add_pnl("sales", m("2024-01"), big).is_err());
}
