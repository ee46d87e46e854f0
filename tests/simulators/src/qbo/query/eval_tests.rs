//! Evaluation tests over a generated chart.

use super::*;
use crate::qbo::data::generate_accounts;
use crate::qbo::query::parser::parse;

const NOW: Millis = 1_795_000_000_000;

fn data() -> QboCompanyData {
    generate_accounts(60, 11, NOW)
}

fn page(d: &QboCompanyData, q: &str) -> (u64, Vec<Value>) {
    match run(&parse(q).unwrap(), d) {
        Ok(Outcome::Page { start, items }) => (start, items),
        other => panic!("{q}: {other:?}"),
    }
}

fn count(d: &QboCompanyData, q: &str) -> usize {
    match run(&parse(q).unwrap(), d) {
        Ok(Outcome::Count(n)) => n,
        other => panic!("{q}: {other:?}"),
    }
}

fn invalid(d: &QboCompanyData, q: &str) -> String {
    match parse(q).and_then(|st| run(&st, d)) {
        Err(QueryError::Invalid(detail)) => detail,
        other => panic!("{q}: expected a 4001, got {other:?}"),
    }
}

fn ids(items: &[Value]) -> Vec<u64> {
    items
        .iter()
        .map(|v| v["Id"].as_str().unwrap().parse().unwrap())
        .collect()
}

#[test]
fn active_default_and_explicit() {
    let d = data();
    let s = d.summary();
    assert!(s.inactive > 0);
    assert_eq!(count(&d, "select count(*) from Account"), s.active);
    assert_eq!(
        count(
            &d,
            "select count(*) from Account where Active IN (true, false)"
        ),
        s.accounts
    );
    assert_eq!(
        count(&d, "select count(*) from Account where active = false"),
        s.inactive
    );
    let (_, items) = page(&d, "select * from Account maxresults 1000");
    assert!(items.iter().all(|v| v["Active"] == true));
}

#[test]
fn default_order_is_name_and_paging_is_one_based() {
    let d = data();
    let (start, all) = page(&d, "select * from Account maxresults 1000");
    assert_eq!(start, 1);
    let names: Vec<String> = all
        .iter()
        .map(|v| v["Name"].as_str().unwrap().to_lowercase())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let (_, p2) = page(&d, "select * from Account startposition 6 maxresults 5");
    assert_eq!(ids(&p2), ids(&all[5..10]));
    let (s0, p0) = page(&d, "select * from Account startposition 0 maxresults 5");
    assert_eq!((s0, ids(&p0)), (1, ids(&all[..5])));
    let (_, past) = page(&d, "select * from Account startposition 100000");
    assert!(past.is_empty());
    let (_, default) = page(&d, "select * from Account where Active in (true,false)");
    assert_eq!(default.len(), 60);
}

#[test]
fn conditions() {
    let d = data();
    let target = &d.accounts[3];
    let (_, one) = page(
        &d,
        &format!("select * from Account where Id = '{}'", target.id),
    );
    assert_eq!(ids(&one), vec![target.id]);
    let (_, two) = page(
        &d,
        &format!(
            "select * from Account where Id in ('{}', {}) orderby Id desc",
            d.accounts[0].id, d.accounts[1].id
        ),
    );
    assert_eq!(ids(&two), vec![d.accounts[1].id, d.accounts[0].id]);
    let (_, checking) = page(&d, "select * from Account where Name = 'CHECKING'");
    assert_eq!(checking[0]["Name"], "Checking");
    let (_, like) = page(&d, "select * from Account where Name like '%receivable%'");
    assert_eq!(like[0]["AccountType"], "Accounts Receivable");
    let (_, prefix) = page(&d, "select * from Account where Name like 'Undeposited%'");
    assert_eq!(prefix.len(), 1);
    assert_eq!(
        count(&d, "select count(*) from Account where Name like '%zzz%'"),
        0
    );
    let banks = count(
        &d,
        "select count(*) from Account where AccountType = 'Bank'",
    );
    assert!(banks >= 2);
    let subs = count(
        &d,
        "select count(*) from Account where SubAccount = true and Active in (true,false)",
    );
    assert_eq!(subs, d.summary().sub_accounts);
    assert!(
        count(
            &d,
            "select count(*) from Account where CurrentBalance > '0'"
        ) > 0
    );
}

#[test]
fn last_updated_time_is_an_instant() {
    let d = data();
    let (_, all) = page(
        &d,
        "select * from Account where Active in (true,false) orderby MetaData.LastUpdatedTime maxresults 1000",
    );
    let times: Vec<Millis> = all
        .iter()
        .map(|v| parse_datetime(v["MetaData"]["LastUpdatedTime"].as_str().unwrap()).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    let pivot = times[times.len() / 2];
    let utc = crate::timefmt::iso_utc(pivot).replace(".000Z", "+00:00");
    let q = |op: &str| {
        count(
            &d,
            &format!(
                "select count(*) from Account where Active in (true,false) and Metadata.LastUpdatedTime {op} '{utc}'"
            ),
        )
    };
    let ge = times.iter().filter(|t| **t >= pivot).count();
    assert_eq!(q(">="), ge);
    assert_eq!(q(">"), times.iter().filter(|t| **t > pivot).count());
    assert_eq!(q("<"), times.len() - ge);
    assert_eq!(q("<="), times.iter().filter(|t| **t <= pivot).count());
}

#[test]
fn validation_faults() {
    let d = data();
    assert_eq!(
        invalid(&d, "select * from account"),
        "QueryValidationError: Metadata not found for Entity: account"
    );
    assert_eq!(
        invalid(&d, "select * from Customer"),
        "QueryValidationError: Metadata not found for Entity: Customer"
    );
    assert_eq!(
        invalid(&d, "select * from Account where AcctNum = '1'"),
        "QueryValidationError: property 'AcctNum' is not queryable"
    );
    assert_eq!(
        invalid(&d, "select * from Account orderby SyncToken"),
        "QueryValidationError: property 'SyncToken' is not queryable"
    );
    assert_eq!(
        invalid(&d, "select * from Account maxresults 1500"),
        "QueryValidationError: value 1500 is too large. Max allowed value is 1000"
    );
    invalid(&d, "select * from Account maxresults 0");
    invalid(&d, "select * from Account where Active = 'maybe'");
    invalid(&d, "select * from Account where Active like 'x'");
    invalid(&d, "select * from Account where Active > true");
    invalid(
        &d,
        "select * from Account where MetaData.LastUpdatedTime > '2015-06-30T22:09:07 00:00'",
    );
    invalid(&d, "select * from Account where CurrentBalance > 'lots'");
    invalid(&d, "select * from Account where Id like '1%'");
}

#[test]
fn like_patterns() {
    assert!(like("checking", "%eck%"));
    assert!(like("checking", "check%"));
    assert!(like("checking", "%ing"));
    assert!(like("checking", "c%k%g"));
    assert!(like("checking", "%"));
    assert!(!like("checking", "%x%"));
    assert!(!like("ab", "a%b%b"));
    assert!(!like("é", "%x"));
}
