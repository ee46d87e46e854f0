//! Running a parsed statement over a company's accounts.
//!
//! - Entity: [`run`] serves only `Account` (case-sensitive); anything else is the 4001
//!   fault QuickBooks gives an unknown entity, `QueryValidationError: Metadata not found
//!   for Entity: X` (quickbooks-ruby#628, #257). The query endpoint
//!   ([`crate::qbo::api::run_statement`]) sends the ledger's entities, `CompanyInfo` and
//!   `Preferences` to [`super::generic`] instead; entities not modelled get the fault.
//! - Properties (case-insensitive): `Id`, `Name`, `FullyQualifiedName`, `Description`,
//!   `Active`, `SubAccount`, `ParentRef`, `Classification`, `AccountType`,
//!   `CurrentBalance`, `MetaData.CreateTime`, `MetaData.LastUpdatedTime` (the Account
//!   reference's filterable ones). Others (`AcctNum`, `AccountSubType`, `SyncToken`, …)
//!   → 4001 `QueryValidationError: property 'AcctNum' is not queryable` (quickbooks-ruby
//!   #403, QuickBooks-V3-DotNET-SDK#163 — AcctNum on Account).
//! - `Active`: a statement without any `Active` condition sees only active accounts
//!   (name-list entities; PROVIDERS.md B3 "default queries return only active ones",
//!   QuickBooks-V3-Java-SDK#19: inactive ones via `active = false`).
//! - Text compares case-insensitively (QuickBooks names are unique regardless of case;
//!   unverified); `LIKE` knows only `%`. `Id`/`ParentRef` compare as numbers; times as
//!   instants.
//! - Order: `ORDERBY` items, then `Id`; without `ORDERBY`, by `Name` then `Id` (the
//!   documented sample returns 92, 93, 91 — in `Name` order).
//! - Paging: `STARTPOSITION` is 1-based (0 counts as 1); `MAXRESULTS` defaults to 100;
//!   above 1000 → 4001 `QueryValidationError: value 1500 is too large. Max allowed value
//!   is 1000` (quickbooks-ruby#24); 0 → 4001 (unverified wording).

use std::cmp::Ordering;

use serde_json::Value;

use super::time::parse_datetime;
use super::{Condition, Literal, Op, QueryError, Statement};
use crate::clock::Millis;
use crate::qbo::data::render::account;
use crate::qbo::data::{QboAccount, QboCompanyData};

/// `MAXRESULTS` when the statement has none.
pub const DEFAULT_MAX_RESULTS: u64 = 100;
/// Largest `MAXRESULTS`.
pub const MAX_MAX_RESULTS: u64 = 1_000;

/// A queryable Account property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Id,
    Name,
    FullyQualifiedName,
    Description,
    Active,
    SubAccount,
    ParentRef,
    Classification,
    AccountType,
    CurrentBalance,
    CreateTime,
    LastUpdatedTime,
}

fn field(property: &str) -> Result<Field, QueryError> {
    let f = match property.to_ascii_lowercase().as_str() {
        "id" => Field::Id,
        "name" => Field::Name,
        "fullyqualifiedname" => Field::FullyQualifiedName,
        "description" => Field::Description,
        "active" => Field::Active,
        "subaccount" => Field::SubAccount,
        "parentref" => Field::ParentRef,
        "classification" => Field::Classification,
        "accounttype" => Field::AccountType,
        "currentbalance" => Field::CurrentBalance,
        "metadata.createtime" => Field::CreateTime,
        "metadata.lastupdatedtime" => Field::LastUpdatedTime,
        _ => {
            return Err(QueryError::invalid(format!(
                "property '{property}' is not queryable"
            )));
        }
    };
    Ok(f)
}

/// A comparable value.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Text(String),
    Flag(bool),
    Int(Option<u64>),
    Cents(i64),
    Time(Millis),
}

impl Val {
    fn cmp(&self, other: &Val) -> Option<Ordering> {
        match (self, other) {
            (Val::Text(a), Val::Text(b)) => Some(a.cmp(b)),
            (Val::Flag(a), Val::Flag(b)) => Some(a.cmp(b)),
            (Val::Int(Some(a)), Val::Int(Some(b))) => Some(a.cmp(b)),
            (Val::Cents(a), Val::Cents(b)) => Some(a.cmp(b)),
            (Val::Time(a), Val::Time(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }

    /// Sort order: a missing value (no `ParentRef`) first.
    fn sort_cmp(&self, other: &Val) -> Ordering {
        match (self, other) {
            (Val::Int(None), Val::Int(None)) => Ordering::Equal,
            (Val::Int(None), _) => Ordering::Less,
            (_, Val::Int(None)) => Ordering::Greater,
            _ => self.cmp(other).unwrap_or(Ordering::Equal),
        }
    }
}

fn value_of(d: &QboCompanyData, a: &QboAccount, f: Field) -> Val {
    match f {
        Field::Id => Val::Int(Some(a.id)),
        Field::Name => Val::Text(a.name.to_lowercase()),
        Field::FullyQualifiedName => Val::Text(d.fully_qualified_name(a).to_lowercase()),
        Field::Description => Val::Text(a.description.clone().unwrap_or_default().to_lowercase()),
        Field::Active => Val::Flag(a.active),
        Field::SubAccount => Val::Flag(a.parent.is_some()),
        Field::ParentRef => Val::Int(a.parent),
        Field::Classification => Val::Text(a.kind.classification().to_lowercase()),
        Field::AccountType => Val::Text(a.kind.display().to_lowercase()),
        Field::CurrentBalance => Val::Cents(a.balance_cents),
        Field::CreateTime => Val::Time(a.created),
        Field::LastUpdatedTime => Val::Time(a.updated),
    }
}

/// Converts a literal to the property's type.
fn literal(f: Field, lit: &Literal) -> Result<Val, QueryError> {
    let text = lit.text();
    let bad = |kind: &str| QueryError::invalid(format!("value '{text}' is not a valid {kind}"));
    Ok(match f {
        Field::Id | Field::ParentRef => Val::Int(text.trim().parse().ok()),
        Field::Active | Field::SubAccount => match lit {
            Literal::Bool(b) => Val::Flag(*b),
            _ if text.eq_ignore_ascii_case("true") => Val::Flag(true),
            _ if text.eq_ignore_ascii_case("false") => Val::Flag(false),
            _ => return Err(bad("Boolean")),
        },
        Field::CurrentBalance => {
            let n: f64 = text.trim().parse().map_err(|_| bad("Decimal"))?;
            if !n.is_finite() {
                return Err(bad("Decimal"));
            }
            Val::Cents((n * 100.0).round() as i64)
        }
        Field::CreateTime | Field::LastUpdatedTime => {
            Val::Time(parse_datetime(&text).ok_or_else(|| bad("DateTime"))?)
        }
        _ => Val::Text(text.to_lowercase()),
    })
}

/// `LIKE` with `%` as the only wildcard (both sides already lower-case).
fn like(value: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split('%').collect();
    if parts.len() == 1 {
        return value == pattern;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !value.starts_with(first) || !value.ends_with(last) || value.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &value[first.len()..value.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// A validated condition.
struct Filter {
    field: Field,
    op: Op,
    values: Vec<Val>,
}

impl Filter {
    fn new(c: &Condition) -> Result<Self, QueryError> {
        let field = field(&c.property)?;
        let flag = matches!(field, Field::Active | Field::SubAccount);
        let text = matches!(
            field,
            Field::Name
                | Field::FullyQualifiedName
                | Field::Description
                | Field::Classification
                | Field::AccountType
        );
        if (flag && !matches!(c.op, Op::Eq | Op::In)) || (c.op == Op::Like && !text) {
            return Err(QueryError::invalid(format!(
                "operator '{}' is not supported for property '{}'",
                c.op.as_str(),
                c.property
            )));
        }
        let values = c
            .values
            .iter()
            .map(|l| literal(field, l))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            field,
            op: c.op,
            values,
        })
    }

    fn holds(&self, v: &Val) -> bool {
        let first = &self.values[0];
        match self.op {
            Op::In => self
                .values
                .iter()
                .any(|x| v.cmp(x) == Some(Ordering::Equal)),
            Op::Like => match (v, first) {
                (Val::Text(s), Val::Text(p)) => like(s, p),
                _ => false,
            },
            Op::Eq => v.cmp(first) == Some(Ordering::Equal),
            Op::Lt => v.cmp(first) == Some(Ordering::Less),
            Op::Gt => v.cmp(first) == Some(Ordering::Greater),
            Op::Le => matches!(v.cmp(first), Some(Ordering::Less | Ordering::Equal)),
            Op::Ge => matches!(v.cmp(first), Some(Ordering::Greater | Ordering::Equal)),
        }
    }
}

/// What a statement produced.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// `count(*)`: the number of matches.
    Count(usize),
    /// `*`: one page (possibly empty) and the position it starts at.
    Page {
        /// `startPosition`.
        start: u64,
        /// The accounts as the API renders them.
        items: Vec<Value>,
    },
}

/// Validates `st` and runs it over `d`.
pub fn run(st: &Statement, d: &QboCompanyData) -> Result<Outcome, QueryError> {
    if st.entity != "Account" {
        return Err(QueryError::invalid(format!(
            "Metadata not found for Entity: {}",
            st.entity
        )));
    }
    let mut filters: Vec<Filter> = st
        .conditions
        .iter()
        .map(Filter::new)
        .collect::<Result<_, _>>()?;
    if !filters.iter().any(|f| f.field == Field::Active) {
        filters.push(Filter {
            field: Field::Active,
            op: Op::Eq,
            values: vec![Val::Flag(true)],
        });
    }
    let order: Vec<(Field, bool)> = st
        .order
        .iter()
        .map(|o| field(&o.property).map(|f| (f, o.desc)))
        .collect::<Result<_, _>>()?;
    let max = st.max.unwrap_or(DEFAULT_MAX_RESULTS);
    if max > MAX_MAX_RESULTS {
        return Err(QueryError::invalid(format!(
            "value {max} is too large. Max allowed value is {MAX_MAX_RESULTS}"
        )));
    }
    if max == 0 {
        return Err(QueryError::invalid(
            "value 0 is too small. Min allowed value is 1",
        ));
    }
    let mut hits: Vec<&QboAccount> = d
        .accounts
        .iter()
        .filter(|a| filters.iter().all(|f| f.holds(&value_of(d, a, f.field))))
        .collect();
    if st.count {
        return Ok(Outcome::Count(hits.len()));
    }
    let keys: Vec<(Field, bool)> = if order.is_empty() {
        vec![(Field::Name, false)]
    } else {
        order
    };
    hits.sort_by(|a, b| {
        keys.iter()
            .map(|(f, desc)| {
                let o = value_of(d, a, *f).sort_cmp(&value_of(d, b, *f));
                if *desc { o.reverse() } else { o }
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or_else(|| a.id.cmp(&b.id))
    });
    let start = st.start.unwrap_or(1).max(1);
    let skip = usize::try_from(start - 1).unwrap_or(usize::MAX);
    let take = usize::try_from(max).unwrap_or(usize::MAX);
    let page: Vec<&QboAccount> = hits.into_iter().skip(skip).take(take).collect();
    let totals = if page.is_empty() {
        Default::default()
    } else {
        d.balances_with_sub_accounts()
    };
    let items = page.into_iter().map(|a| account(d, &totals, a)).collect();
    Ok(Outcome::Page { start, items })
}

#[cfg(test)]
#[path = "eval_tests.rs"]
mod tests;
