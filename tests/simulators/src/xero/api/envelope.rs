//! The Accounting API response envelope:
//! `{"Id","Status":"OK","ProviderName","DateTimeUTC":"/Date(ms)/"[,"pagination"],"<Key>":[...]}`.

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use crate::clock::Millis;
use crate::ids::uuid_v4;
use crate::xero::dates::ms_date_plain;
use crate::xero::json::escape_into;

/// `ProviderName`: the name of the app the call is made by (the simulator does not model
/// app names).
pub const PROVIDER_NAME: &str = "Mooring Simulator";

/// Wraps `items` (a JSON array's text) under `key`, with an optional `pagination`
/// object's text.
pub(crate) fn envelope(now: Millis, pagination: Option<&str>, key: &str, items: &str) -> String {
    let mut out = String::with_capacity(items.len() + 200);
    out.push_str("{\"Id\":");
    escape_into(&mut out, &uuid_v4());
    out.push_str(",\"Status\":\"OK\",\"ProviderName\":");
    escape_into(&mut out, PROVIDER_NAME);
    out.push_str(",\"DateTimeUTC\":");
    escape_into(&mut out, &ms_date_plain(now));
    if let Some(p) = pagination {
        out.push_str(",\"pagination\":");
        out.push_str(p);
    }
    out.push(',');
    escape_into(&mut out, key);
    out.push(':');
    out.push_str(items);
    out.push('}');
    out
}

/// Items written by `write` as a JSON array's text.
pub(crate) fn array<T>(
    items: impl IntoIterator<Item = T>,
    mut write: impl FnMut(&mut String, T),
) -> String {
    let mut out = String::from("[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write(&mut out, item);
    }
    out.push(']');
    out
}

/// A 200 JSON answer.
pub(crate) fn json(body: String) -> Response {
    ([(CONTENT_TYPE, "application/json; charset=utf-8")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape() {
        let s = envelope(
            5,
            Some(r#"{"page":1}"#),
            "Invoices",
            &array([1, 2], |o, i| o.push_str(&i.to_string())),
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["Status"], "OK");
        assert_eq!(v["DateTimeUTC"], "/Date(5)/");
        assert_eq!(v["Invoices"], serde_json::json!([1, 2]));
        assert!(s.starts_with(r#"{"Id":""#));
    }
}
