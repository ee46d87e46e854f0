//! QuickBooks accounts in the common model (`common.accounts`). Pure.
//!
//! The classification is QuickBooks' own `Classification` when it sends one
//! (Asset, Liability, Equity, Revenue, Expense); otherwise it follows `AccountType`:
//!
//! | `AccountType` | classification |
//! |---|---|
//! | Bank, Accounts Receivable, Other Current Asset, Fixed Asset, Other Asset | asset |
//! | Accounts Payable, Credit Card, Other Current Liability, Long Term Liability | liability |
//! | Equity | equity |
//! | Income, Other Income | revenue |
//! | Expense, Other Expense, Cost of Goods Sold | expense |
//!
//! `AccountSubType` never changes the class; it is kept as the provider subtype.
//! Status: `Active` true → `active`, false → `archived` (QuickBooks never deletes
//! an account). The retained-earnings account is the one with `AccountSubType`
//! `RetainedEarnings`.

use mooring_plugin_sdk::common::{Classification, CommonAccount};
use mooring_plugin_sdk::serde_json::Value;
use mooring_plugin_sdk::types::ConnectorError;

use crate::query;

/// `AccountType` → classification (see the [module docs](self)).
pub fn from_account_type(account_type: &str) -> Option<Classification> {
    let t: String = account_type
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    Some(match t.as_str() {
        "bank" | "accountsreceivable" | "othercurrentasset" | "fixedasset" | "otherasset" => {
            Classification::Asset
        }
        "accountspayable" | "creditcard" | "othercurrentliability" | "longtermliability" => {
            Classification::Liability
        }
        "equity" => Classification::Equity,
        "income" | "otherincome" => Classification::Revenue,
        "expense" | "otherexpense" | "costofgoodssold" => Classification::Expense,
        _ => return None,
    })
}

/// QuickBooks' `Classification` value → classification.
pub fn from_classification(value: &str) -> Option<Classification> {
    Some(match value.trim().to_ascii_lowercase().as_str() {
        "asset" => Classification::Asset,
        "liability" => Classification::Liability,
        "equity" => Classification::Equity,
        "revenue" | "income" => Classification::Revenue,
        "expense" => Classification::Expense,
        _ => return None,
    })
}

fn text<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The classification of a QuickBooks `Account` object.
pub fn classify(account: &Value) -> Option<Classification> {
    text(account, "/Classification")
        .and_then(from_classification)
        .or_else(|| text(account, "/AccountType").and_then(from_account_type))
}

/// A QuickBooks `Account` in the common model.
pub fn common_account(account: &Value) -> Result<CommonAccount, ConnectorError> {
    let id = query::id_of(account)
        .ok_or_else(|| ConnectorError::InvalidData("a QuickBooks Account has no Id".into()))?;
    let classification = classify(account).ok_or_else(|| {
        ConnectorError::InvalidData(format!(
            "QuickBooks account {id} has an unknown Classification/AccountType"
        ))
    })?;
    let active = account
        .get("Active")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    Ok(CommonAccount {
        code: text(account, "/AcctNum").map(str::to_string),
        name: text(account, "/Name").unwrap_or("").to_string(),
        classification,
        provider_type: text(account, "/AccountType").unwrap_or("").to_string(),
        provider_subtype: text(account, "/AccountSubType").map(str::to_string),
        status: if active { "active" } else { "archived" }.to_string(),
        currency: text(account, "/CurrencyRef/value").map(str::to_string),
        parent: text(account, "/ParentRef/value").map(str::to_string),
        id,
    })
}

/// The retained-earnings account among `accounts` (`AccountSubType`
/// `RetainedEarnings`; else an equity account named "Retained Earnings").
pub fn retained_earnings(accounts: &[Value]) -> Option<String> {
    let by_subtype = accounts
        .iter()
        .find(|a| text(a, "/AccountSubType") == Some("RetainedEarnings"));
    let by_name = || {
        accounts.iter().find(|a| {
            classify(a) == Some(Classification::Equity)
                && text(a, "/Name").is_some_and(|n| n.eq_ignore_ascii_case("retained earnings"))
        })
    };
    by_subtype.or_else(by_name).and_then(query::id_of)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mooring_plugin_sdk::serde_json::{self, json};

    const ACCOUNTS: &str = include_str!("../testdata/intuitdocs_Account_query_response.json");

    #[test]
    fn every_account_type() {
        use Classification::*;
        let table = [
            ("Bank", Asset),
            ("Accounts Receivable", Asset),
            ("Other Current Asset", Asset),
            ("Fixed Asset", Asset),
            ("Other Asset", Asset),
            ("Accounts Payable", Liability),
            ("Credit Card", Liability),
            ("Other Current Liability", Liability),
            ("Long Term Liability", Liability),
            ("Equity", Equity),
            ("Income", Revenue),
            ("Other Income", Revenue),
            ("Expense", Expense),
            ("Other Expense", Expense),
            ("Cost of Goods Sold", Expense),
        ];
        for (t, c) in table {
            assert_eq!(from_account_type(t), Some(c), "{t}");
            // The type alone decides when Classification is missing.
            let a = json!({"Id": "1", "Name": "x", "AccountType": t});
            assert_eq!(classify(&a), Some(c), "{t}");
        }
        assert_eq!(from_account_type("AccountsReceivable"), Some(Asset));
        assert_eq!(from_account_type("Mystery"), None);
        for (v, c) in [
            ("Asset", Asset),
            ("Liability", Liability),
            ("Equity", Equity),
            ("Revenue", Revenue),
            ("Expense", Expense),
        ] {
            assert_eq!(from_classification(v), Some(c));
        }
    }

    #[test]
    fn documented_accounts() {
        let body: Value = serde_json::from_str(ACCOUNTS).unwrap();
        let items = query::entities(body, "Account").unwrap();
        for item in &items {
            let c = common_account(item).unwrap();
            assert_eq!(Some(c.classification), classify(item));
            assert_eq!(c.provider_type, item["AccountType"].as_str().unwrap());
        }
        let a = common_account(
            &json!({"Id": "33", "Name": "A/P", "Classification": "Liability",
            "AccountType": "Accounts Payable", "AccountSubType": "AccountsPayable", "Active": false,
            "AcctNum": "2000", "CurrencyRef": {"value": "USD"}, "ParentRef": {"value": "30"}}),
        )
        .unwrap();
        assert_eq!(a.status, "archived");
        assert_eq!(a.code.as_deref(), Some("2000"));
        assert_eq!(a.parent.as_deref(), Some("30"));
        assert_eq!(a.currency.as_deref(), Some("USD"));
        assert!(common_account(&json!({"Id": "1", "AccountType": "Mystery"})).is_err());
        assert!(common_account(&json!({"Name": "x"})).is_err());
    }

    #[test]
    fn finds_retained_earnings() {
        let accounts = vec![
            json!({"Id": "1", "Name": "Opening Balance Equity", "Classification": "Equity", "AccountSubType": "OpeningBalanceEquity"}),
            json!({"Id": "2", "Name": "Retained Earnings", "Classification": "Equity", "AccountSubType": "RetainedEarnings"}),
        ];
        assert_eq!(retained_earnings(&accounts).as_deref(), Some("2"));
        let by_name =
            vec![json!({"Id": "9", "Name": "Retained earnings", "AccountType": "Equity"})];
        assert_eq!(retained_earnings(&by_name).as_deref(), Some("9"));
        assert_eq!(retained_earnings(&[]), None);
    }
}
