//! Running a statement over the ledger's entities (every entity but `Account`, which
//! [`super::eval`] serves from its typed chart), reading properties from each record's
//! wire JSON.
//!
//! - Properties are paths into the JSON, case-insensitive per segment
//!   (`MetaData.LastUpdatedTime`, `Metadata.CreateTime`, `TxnDate`, `DocNumber`,
//!   `CustomerRef`, `TotalAmt`, `DisplayName`, `Active`, …). A reference
//!   (`CustomerRef`) compares its `value`. A property no record of the entity has →
//!   4001 `QueryValidationError: property 'X' is not queryable`.
//! - Types follow the JSON: booleans, numbers (`TotalAmt`), `Id`s and refs as numbers,
//!   `…Time` properties as instants (any offset, [`super::time::parse_datetime`]), other
//!   text case-insensitively (`TxnDate` compares as `YYYY-MM-DD` text, which orders
//!   like the date). `LIKE` (text only) knows `%`.
//! - Name lists (Customer, Vendor, Item) see only active records unless a condition
//!   names `Active`; deleted transactions are never seen.
//! - Order: the `ORDERBY` items, then `Id`; default `Id` ascending. Paging as for
//!   Account (1-based `STARTPOSITION`, `MAXRESULTS` 1–1000, default 100).

use std::cmp::Ordering;

use serde_json::Value;

use super::eval::{DEFAULT_MAX_RESULTS, MAX_MAX_RESULTS, Outcome};
use super::time::parse_datetime;
use super::{Literal, Op, QueryError, Statement};

/// A comparable property value.
#[derive(Clone, Debug, PartialEq)]
enum V {
    Num(f64),
    Text(String),
    Flag(bool),
    Time(i64),
}

impl V {
    fn cmp(&self, other: &V) -> Option<Ordering> {
        match (self, other) {
            (V::Num(a), V::Num(b)) => a.partial_cmp(b),
            (V::Text(a), V::Text(b)) => Some(a.cmp(b)),
            (V::Flag(a), V::Flag(b)) => Some(a.cmp(b)),
            (V::Time(a), V::Time(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// The JSON at a `.`-separated path (case-insensitive keys); a ref yields its `value`.
fn lookup<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    let mut cur = v;
    for seg in path.split('.') {
        let m = cur.as_object()?;
        cur = m.get(seg).or_else(|| {
            m.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(seg))
                .map(|(_, v)| v)
        })?;
    }
    match cur {
        Value::Object(m) => m.get("value"),
        other => Some(other),
    }
}

fn is_time(prop: &str) -> bool {
    prop.to_ascii_lowercase().ends_with("time")
}

fn is_numeric_id(prop: &str) -> bool {
    let p = prop.to_ascii_lowercase();
    p == "id" || p.ends_with("ref")
}

fn value_of(prop: &str, v: &Value) -> Option<V> {
    match v {
        Value::Bool(b) => Some(V::Flag(*b)),
        Value::Number(n) => n.as_f64().map(V::Num),
        Value::String(s) if is_time(prop) => parse_datetime(s).map(V::Time),
        Value::String(s) if is_numeric_id(prop) => match s.trim().parse::<f64>() {
            Ok(n) => Some(V::Num(n)),
            Err(_) => Some(V::Text(s.to_lowercase())),
        },
        Value::String(s) => Some(V::Text(s.to_lowercase())),
        _ => None,
    }
}

/// A literal converted to the type of `sample` (a value of the property).
fn literal(prop: &str, sample: &V, lit: &Literal) -> Result<V, QueryError> {
    let text = lit.text();
    let bad = |kind: &str| QueryError::invalid(format!("value '{text}' is not a valid {kind}"));
    Ok(match sample {
        V::Flag(_) => match lit {
            Literal::Bool(b) => V::Flag(*b),
            _ if text.eq_ignore_ascii_case("true") => V::Flag(true),
            _ if text.eq_ignore_ascii_case("false") => V::Flag(false),
            _ => return Err(bad("Boolean")),
        },
        V::Num(_) => match text.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => V::Num(n),
            _ if is_numeric_id(prop) => V::Text(text.to_lowercase()),
            _ => return Err(bad("Decimal")),
        },
        V::Time(_) => V::Time(parse_datetime(&text).ok_or_else(|| bad("DateTime"))?),
        V::Text(_) => V::Text(text.to_lowercase()),
    })
}

/// `LIKE` with `%` as the only wildcard (both sides lower-case).
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

struct Filter {
    prop: String,
    op: Op,
    values: Vec<V>,
}

impl Filter {
    fn holds(&self, record: &Value) -> bool {
        let Some(v) = lookup(record, &self.prop).and_then(|x| value_of(&self.prop, x)) else {
            return false;
        };
        let Some(first) = self.values.first() else {
            return false;
        };
        match self.op {
            Op::In => self
                .values
                .iter()
                .any(|x| v.cmp(x) == Some(Ordering::Equal)),
            Op::Like => match (&v, first) {
                (V::Text(s), V::Text(p)) => like(s, p),
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

fn sample(records: &[&Value], prop: &str) -> Option<V> {
    records
        .iter()
        .find_map(|r| lookup(r, prop).and_then(|v| value_of(prop, v)))
}

fn not_queryable(prop: &str) -> QueryError {
    QueryError::invalid(format!("property '{prop}' is not queryable"))
}

fn sort_key(r: &Value, prop: &str) -> Option<V> {
    lookup(r, prop).and_then(|v| value_of(prop, v))
}

fn id_of(r: &Value) -> u64 {
    r["Id"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Validates `st` and runs it over `records` (the live records of one entity, as the
/// API renders them). `name_list` applies the `Active` default.
pub fn run_json(
    st: &Statement,
    records: &[&Value],
    name_list: bool,
) -> Result<Outcome, QueryError> {
    let mut filters = Vec::with_capacity(st.conditions.len() + 1);
    for c in &st.conditions {
        let Some(s) = sample(records, &c.property) else {
            if records.is_empty() {
                continue;
            }
            return Err(not_queryable(&c.property));
        };
        if (matches!(s, V::Flag(_)) && !matches!(c.op, Op::Eq | Op::In))
            || (c.op == Op::Like && !matches!(s, V::Text(_)))
        {
            return Err(QueryError::invalid(format!(
                "operator '{}' is not supported for property '{}'",
                c.op.as_str(),
                c.property
            )));
        }
        let values = c
            .values
            .iter()
            .map(|l| literal(&c.property, &s, l))
            .collect::<Result<Vec<_>, _>>()?;
        filters.push(Filter {
            prop: c.property.clone(),
            op: c.op,
            values,
        });
    }
    if name_list
        && !st
            .conditions
            .iter()
            .any(|c| c.property.eq_ignore_ascii_case("active"))
    {
        filters.push(Filter {
            prop: "Active".into(),
            op: Op::Eq,
            values: vec![V::Flag(true)],
        });
    }
    for o in &st.order {
        if !records.is_empty() && sample(records, &o.property).is_none() {
            return Err(not_queryable(&o.property));
        }
    }
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
    let mut hits: Vec<&Value> = records
        .iter()
        .copied()
        .filter(|r| filters.iter().all(|f| f.holds(r)))
        .collect();
    if st.count {
        return Ok(Outcome::Count(hits.len()));
    }
    if !st.order.is_empty() {
        let keyed: Vec<(Vec<Option<V>>, &Value)> = hits
            .iter()
            .map(|r| {
                (
                    st.order.iter().map(|o| sort_key(r, &o.property)).collect(),
                    *r,
                )
            })
            .collect();
        let mut keyed = keyed;
        keyed.sort_by(|(ka, a), (kb, b)| {
            ka.iter()
                .zip(kb)
                .zip(&st.order)
                .map(|((x, y), o)| {
                    let ord = match (x, y) {
                        (None, None) => Ordering::Equal,
                        (None, _) => Ordering::Less,
                        (_, None) => Ordering::Greater,
                        (Some(x), Some(y)) => x.cmp(y).unwrap_or(Ordering::Equal),
                    };
                    if o.desc { ord.reverse() } else { ord }
                })
                .find(|o| *o != Ordering::Equal)
                .unwrap_or_else(|| id_of(a).cmp(&id_of(b)))
        });
        hits = keyed.into_iter().map(|(_, r)| r).collect();
    } else {
        hits.sort_by_key(|r| id_of(r));
    }
    let start = st.start.unwrap_or(1).max(1);
    let skip = usize::try_from(start - 1).unwrap_or(usize::MAX);
    let take = usize::try_from(max).unwrap_or(usize::MAX);
    let items = hits.into_iter().skip(skip).take(take).cloned().collect();
    Ok(Outcome::Page { start, items })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qbo::query::parser::parse;
    use serde_json::json;

    fn recs() -> Vec<Value> {
        (1..=30)
            .map(|i| {
                json!({"Id": i.to_string(), "DocNumber": format!("10{i:02}"),
                    "TxnDate": format!("2025-01-{i:02}"), "TotalAmt": i as f64 * 10.5,
                    "CustomerRef": {"value": (i % 3).to_string(), "name": "x"},
                    "Active": i % 5 != 0,
                    "MetaData": {"LastUpdatedTime": format!("2025-03-{i:02}T10:00:00-07:00")}})
            })
            .collect()
    }

    fn ids(st: &str, name_list: bool) -> Result<Vec<String>, QueryError> {
        let data = recs();
        let refs: Vec<&Value> = data.iter().collect();
        match run_json(&parse(st)?, &refs, name_list)? {
            Outcome::Page { items, .. } => Ok(items
                .iter()
                .map(|v| v["Id"].as_str().unwrap_or_default().to_owned())
                .collect()),
            Outcome::Count(n) => Ok(vec![n.to_string()]),
        }
    }

    #[test]
    fn operators() {
        let q = |w: &str| {
            ids(
                &format!("SELECT * FROM Invoice WHERE {w} MAXRESULTS 1000"),
                false,
            )
            .unwrap()
        };
        assert_eq!(q("Id = '7'"), ["7"]);
        assert_eq!(q("Id IN ('3', '4', '99')"), ["3", "4"]);
        assert_eq!(q("TotalAmt > 300").len(), 2);
        assert_eq!(q("TotalAmt <= 21").len(), 2);
        assert_eq!(q("TxnDate >= '2025-01-29'"), ["29", "30"]);
        assert_eq!(q("TxnDate < '2025-01-03' AND Id >= '2'"), ["2"]);
        assert_eq!(q("DocNumber LIKE '%5'"), ["5", "15", "25"]);
        assert_eq!(q("CustomerRef = '1'").len(), 10);
        assert_eq!(
            q("MetaData.LastUpdatedTime > '2025-03-28T17:00:00Z'"),
            ["29", "30"]
        );
        assert_eq!(
            q("Metadata.LastUpdatedTime >= '2025-03-28T10:00:00-07:00'"),
            ["28", "29", "30"]
        );
    }

    #[test]
    fn order_paging_count_and_active_default() {
        let all = ids(
            "SELECT * FROM Invoice ORDERBY TotalAmt DESC STARTPOSITION 2 MAXRESULTS 3",
            false,
        )
        .unwrap();
        assert_eq!(all, ["29", "28", "27"]);
        assert_eq!(ids("SELECT count(*) FROM Customer", true).unwrap(), ["24"]);
        assert_eq!(
            ids(
                "SELECT count(*) FROM Customer WHERE Active IN (true, false)",
                true
            )
            .unwrap(),
            ["30"]
        );
        assert_eq!(
            ids("SELECT * FROM Invoice STARTPOSITION 40", false).unwrap(),
            Vec::<String>::new()
        );
        assert!(matches!(
            ids("SELECT * FROM Invoice WHERE Nope = '1'", false),
            Err(QueryError::Invalid(_))
        ));
        assert!(matches!(
            ids("SELECT * FROM Invoice MAXRESULTS 1001", false),
            Err(QueryError::Invalid(_))
        ));
        assert!(matches!(
            ids("SELECT * FROM Invoice WHERE TotalAmt LIKE '1%'", false),
            Err(QueryError::Invalid(_))
        ));
    }
}
