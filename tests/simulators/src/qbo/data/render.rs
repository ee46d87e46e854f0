//! The wire JSON of an `Account`, as in Intuit's documented query response
//! (`reference/quickbooks/intuitdocs_Account_query_response.json`): `Id`/`SyncToken` as
//! strings, `MetaData` stamps with a `-07:00` offset and no fraction, `domain: "QBO"`,
//! `sparse: false`, money as JSON numbers (`0`, `-1091.23`). `ParentRef` only on
//! sub-accounts; no `AcctNum` (the generated companies do not use account numbers).

use std::collections::HashMap;

use serde_json::{Map, Number, Value, json};

use super::{QboAccount, QboCompanyData};
use crate::timefmt::qbo_meta_time;

/// Cents as QuickBooks writes amounts: `0`, `1200`, `-1091.23`, `12.5`.
pub fn money(cents: i64) -> Value {
    if cents % 100 == 0 {
        Value::Number(Number::from(cents / 100))
    } else {
        Number::from_f64(cents as f64 / 100.0).map_or(Value::Null, Value::Number)
    }
}

/// One account as the API returns it; `totals` from
/// [`QboCompanyData::balances_with_sub_accounts`].
pub fn account(d: &QboCompanyData, totals: &HashMap<u64, i64>, a: &QboAccount) -> Value {
    let mut m = Map::new();
    m.insert("Name".into(), json!(a.name));
    m.insert("SubAccount".into(), json!(a.parent.is_some()));
    if let Some(p) = a.parent {
        m.insert("ParentRef".into(), json!({"value": p.to_string()}));
    }
    if let Some(text) = &a.description {
        m.insert("Description".into(), json!(text));
    }
    m.insert(
        "FullyQualifiedName".into(),
        json!(d.fully_qualified_name(a)),
    );
    m.insert("Active".into(), json!(a.active));
    m.insert("Classification".into(), json!(a.kind.classification()));
    m.insert("AccountType".into(), json!(a.kind.display()));
    m.insert("AccountSubType".into(), json!(a.sub_type));
    m.insert("CurrentBalance".into(), money(a.balance_cents));
    m.insert(
        "CurrentBalanceWithSubAccounts".into(),
        money(totals.get(&a.id).copied().unwrap_or(a.balance_cents)),
    );
    m.insert(
        "CurrencyRef".into(),
        json!({"value": "USD", "name": "United States Dollar"}),
    );
    m.insert("domain".into(), json!("QBO"));
    m.insert("sparse".into(), json!(false));
    m.insert("Id".into(), json!(a.id.to_string()));
    m.insert("SyncToken".into(), json!(a.sync_token.to_string()));
    m.insert(
        "MetaData".into(),
        json!({
            "CreateTime": qbo_meta_time(a.created),
            "LastUpdatedTime": qbo_meta_time(a.updated),
        }),
    );
    Value::Object(m)
}

/// Every account (inactive ones too), in `Id` order: the ground truth a full sync must
/// reproduce.
pub fn truth(d: &QboCompanyData) -> Vec<Value> {
    let totals = d.balances_with_sub_accounts();
    d.accounts.iter().map(|a| account(d, &totals, a)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qbo::data::generate_accounts;

    #[test]
    fn money_shapes() {
        assert_eq!(money(0).to_string(), "0");
        assert_eq!(money(-109_123).to_string(), "-1091.23");
        assert_eq!(money(1_250).to_string(), "12.5");
        assert_eq!(money(120_000).to_string(), "1200");
    }

    /// The keys of every account in Intuit's documented query response
    /// (reference/quickbooks/intuitdocs_Account_query_response.json).
    const SAMPLE_KEYS: &[&str] = &[
        "FullyQualifiedName",
        "domain",
        "Name",
        "Classification",
        "AccountSubType",
        "CurrencyRef",
        "CurrentBalanceWithSubAccounts",
        "sparse",
        "MetaData",
        "AccountType",
        "CurrentBalance",
        "Active",
        "SyncToken",
        "Id",
        "SubAccount",
    ];

    #[test]
    fn same_keys_as_the_documented_sample() {
        let d = generate_accounts(30, 3, 1_795_000_000_000);
        let top = d
            .accounts
            .iter()
            .find(|a| a.parent.is_none() && a.description.is_none());
        let totals = d.balances_with_sub_accounts();
        let v = account(&d, &totals, top.unwrap());
        let got = v.as_object().unwrap();
        for k in SAMPLE_KEYS {
            assert!(got.contains_key(*k), "missing {k}");
        }
        assert_eq!(got.len(), SAMPLE_KEYS.len());
        assert_eq!(v["domain"], "QBO");
        assert_eq!(
            v["CurrencyRef"],
            json!({"name": "United States Dollar", "value": "USD"})
        );
        assert!(v["Id"].is_string() && v["SyncToken"].is_string());
        assert!(s(&v["MetaData"]["LastUpdatedTime"]).ends_with("-07:00"));
        let sub = d.accounts.iter().find(|a| a.parent.is_some()).unwrap();
        let v = account(&d, &totals, sub);
        assert_eq!(v["SubAccount"], true);
        assert_eq!(v["ParentRef"]["value"], sub.parent.unwrap().to_string());
        assert!(s(&v["FullyQualifiedName"]).ends_with(&format!(":{}", sub.name)));
    }

    fn s(v: &Value) -> &str {
        v.as_str().unwrap_or_default()
    }
}
