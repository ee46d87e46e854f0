//! Xero accounts in the common model (`common.accounts`). Pure.
//!
//! The classification is Xero's `Class` when it sends one (ASSET, EQUITY, EXPENSE,
//! LIABILITY, REVENUE); otherwise it follows `Type`:
//!
//! | `Type` | classification |
//! |---|---|
//! | BANK, CURRENT, FIXED, INVENTORY, NONCURRENT, PREPAYMENT | asset |
//! | CURRLIAB, LIABILITY, TERMLIAB, PAYG | liability |
//! | EQUITY | equity |
//! | REVENUE, SALES, OTHERINCOME | revenue |
//! | EXPENSE, DIRECTCOSTS, OVERHEADS, DEPRECIATN | expense |
//!
//! Status: ACTIVE → `active`, ARCHIVED → `archived`, DELETED → `deleted`. Xero has
//! no sub-accounts (`parent` is always null); the currency is the account's
//! `CurrencyCode`, else the organisation's base currency. The retained-earnings
//! account is the one with `SystemAccount` RETAINEDEARNINGS.

use mooring_plugin_sdk::common::{Classification, CommonAccount};
use mooring_plugin_sdk::serde_json::Value;
use mooring_plugin_sdk::types::ConnectorError;

use crate::records::id_of;

/// `Type` → classification (see the [module docs](self)).
pub fn from_type(account_type: &str) -> Option<Classification> {
    Some(match account_type.trim().to_ascii_uppercase().as_str() {
        "BANK" | "CURRENT" | "FIXED" | "INVENTORY" | "NONCURRENT" | "PREPAYMENT" => {
            Classification::Asset
        }
        "CURRLIAB" | "LIABILITY" | "TERMLIAB" | "PAYG" => Classification::Liability,
        "EQUITY" => Classification::Equity,
        "REVENUE" | "SALES" | "OTHERINCOME" => Classification::Revenue,
        "EXPENSE" | "DIRECTCOSTS" | "OVERHEADS" | "DEPRECIATN" => Classification::Expense,
        _ => return None,
    })
}

/// `Class` → classification.
pub fn from_class(class: &str) -> Option<Classification> {
    Some(match class.trim().to_ascii_uppercase().as_str() {
        "ASSET" => Classification::Asset,
        "LIABILITY" => Classification::Liability,
        "EQUITY" => Classification::Equity,
        "REVENUE" => Classification::Revenue,
        "EXPENSE" => Classification::Expense,
        _ => return None,
    })
}

fn text<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The classification of a Xero `Account`.
pub fn classify(account: &Value) -> Option<Classification> {
    text(account, "Class")
        .and_then(from_class)
        .or_else(|| text(account, "Type").and_then(from_type))
}

/// A Xero `Account` in the common model; `base_currency` when it names none.
pub fn common_account(
    account: &Value,
    base_currency: Option<&str>,
) -> Result<CommonAccount, ConnectorError> {
    let id = id_of(account, "AccountID")
        .ok_or_else(|| ConnectorError::InvalidData("a Xero account has no AccountID".into()))?;
    let classification = classify(account).ok_or_else(|| {
        ConnectorError::InvalidData(format!("Xero account {id} has an unknown Class/Type"))
    })?;
    let status = match text(account, "Status")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("ARCHIVED") => "archived",
        Some("DELETED") => "deleted",
        _ => "active",
    };
    Ok(CommonAccount {
        code: text(account, "Code").map(str::to_string),
        name: text(account, "Name").unwrap_or("").to_string(),
        classification,
        provider_type: text(account, "Type").unwrap_or("").to_string(),
        provider_subtype: text(account, "SystemAccount")
            .or_else(|| text(account, "BankAccountType"))
            .map(str::to_string),
        status: status.to_string(),
        currency: text(account, "CurrencyCode")
            .or(base_currency)
            .map(str::to_string),
        parent: None,
        id,
    })
}

/// The retained-earnings account's id (`SystemAccount` RETAINEDEARNINGS).
pub fn retained_earnings(accounts: &[Value]) -> Option<String> {
    accounts
        .iter()
        .find(|a| text(a, "SystemAccount") == Some("RETAINEDEARNINGS"))
        .and_then(|a| id_of(a, "AccountID"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mooring_plugin_sdk::serde_json::json;

    #[test]
    fn every_type_and_class() {
        use Classification::*;
        let table = [
            ("BANK", "ASSET", Asset),
            ("CURRENT", "ASSET", Asset),
            ("FIXED", "ASSET", Asset),
            ("INVENTORY", "ASSET", Asset),
            ("NONCURRENT", "ASSET", Asset),
            ("PREPAYMENT", "ASSET", Asset),
            ("CURRLIAB", "LIABILITY", Liability),
            ("LIABILITY", "LIABILITY", Liability),
            ("TERMLIAB", "LIABILITY", Liability),
            ("PAYG", "LIABILITY", Liability),
            ("EQUITY", "EQUITY", Equity),
            ("REVENUE", "REVENUE", Revenue),
            ("SALES", "REVENUE", Revenue),
            ("OTHERINCOME", "REVENUE", Revenue),
            ("EXPENSE", "EXPENSE", Expense),
            ("DIRECTCOSTS", "EXPENSE", Expense),
            ("OVERHEADS", "EXPENSE", Expense),
            ("DEPRECIATN", "EXPENSE", Expense),
        ];
        for (t, class, c) in table {
            assert_eq!(from_type(t), Some(c), "{t}");
            assert_eq!(from_class(class), Some(c), "{class}");
            let a = json!({"AccountID": "a", "Type": t, "Class": class});
            assert_eq!(classify(&a), Some(c));
            let typeless = json!({"AccountID": "a", "Type": t});
            assert_eq!(classify(&typeless), Some(c), "Type alone decides");
        }
        assert_eq!(from_type("WHAT"), None);
    }

    #[test]
    fn documented_account() {
        let a = json!({"AccountID": "99ce6032", "Code": "200", "Name": "Sales", "Status": "ACTIVE",
            "Type": "REVENUE", "Class": "REVENUE", "SystemAccount": "", "CurrencyCode": "NZD"});
        let c = common_account(&a, Some("USD")).unwrap();
        assert_eq!(c.classification, Classification::Revenue);
        assert_eq!(c.code.as_deref(), Some("200"));
        assert_eq!(c.status, "active");
        assert_eq!(c.currency.as_deref(), Some("NZD"));
        assert_eq!(c.provider_subtype, None);
        assert_eq!(c.parent, None);
        let archived =
            json!({"AccountID": "x", "Name": "Old", "Status": "ARCHIVED", "Type": "EXPENSE"});
        let c = common_account(&archived, Some("USD")).unwrap();
        assert_eq!(
            (c.status.as_str(), c.currency.as_deref()),
            ("archived", Some("USD"))
        );
        assert!(common_account(&json!({"Name": "x", "Type": "BANK"}), None).is_err());
        assert!(common_account(&json!({"AccountID": "x", "Type": "??"}), None).is_err());
        let chart = vec![
            json!({"AccountID": "r", "SystemAccount": "RETAINEDEARNINGS"}),
            json!({"AccountID": "d", "SystemAccount": "DEBTORS"}),
        ];
        assert_eq!(retained_earnings(&chart).as_deref(), Some("r"));
        assert_eq!(retained_earnings(&chart[1..]), None);
    }
}
