//! Xero's dates: MS-JSON (`/Date(1539993600000+0000)/`) in records, the
//! `If-Modified-Since` format Xero expects, and the report date.

use mooring_plugin_sdk::serde_json::Value;
use mooring_plugin_sdk::time;

/// Rewrites, in place and at any depth, every string that is exactly an MS-JSON date
/// into RFC 3339 UTC (`2018-10-20T00:00:00Z`). Other strings, including Xero's ISO
/// twins such as `DateString`, are left alone.
pub fn convert_ms_dates(value: &mut Value) {
    match value {
        Value::String(s) => {
            if let Some(rfc) = time::ms_json_date_to_rfc3339(s) {
                *s = rfc;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(convert_ms_dates),
        Value::Object(map) => map.values_mut().for_each(convert_ms_dates),
        _ => {}
    }
}

/// The RFC 3339 UTC form of `s` when it is exactly an MS-JSON date, else `None`: the
/// string hook of record pages (the same conversion as [`convert_ms_dates`]). Every
/// MS-JSON date holds `(` (`/Date(`), so most strings are turned away by one byte
/// search before the parser looks at them.
pub fn convert_ms_date(s: &str) -> Option<String> {
    if !s.as_bytes().contains(&b'(') {
        return None;
    }
    time::ms_json_date_to_rfc3339(s)
}

/// Epoch milliseconds of a Xero date value: MS-JSON, or ISO 8601 (offset-less read as
/// UTC). `None` for anything else.
pub fn parse_xero_date(value: &Value) -> Option<i64> {
    parse_xero_date_text(value.as_str()?)
}

/// [`parse_xero_date`] of a string.
pub fn parse_xero_date_text(s: &str) -> Option<i64> {
    time::parse_ms_json_date(s).or_else(|| time::parse_rfc3339(s))
}

/// The `If-Modified-Since` value for `ms`: UTC `yyyy-mm-ddThh:mm:ss`, seconds
/// precision, no offset — the form Xero documents (PROVIDERS.md A3/A5.7), not HTTP's
/// IMF-fixdate.
pub fn if_modified_since(ms: i64) -> String {
    time::iso8601_seconds_from_millis(ms)
}

/// The UTC calendar date of `ms` as `YYYY-MM-DD` (the trial balance `date`).
pub fn ymd(ms: i64) -> String {
    let (y, m, d) = time::civil_from_days(ms.div_euclid(86_400_000));
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use mooring_plugin_sdk::serde_json::json;

    #[test]
    fn converts_every_ms_date_at_any_depth() {
        let mut v = json!({
            "Date": "/Date(1539993600000+0000)/",
            "DateString": "2018-10-20T00:00:00",
            "UpdatedDateUTC": "/Date(1541176290160+0000)/",
            "Payments": [{"Date": "/Date(1552326816230)/", "Amount": 46.0}],
            "Reference": "Paid /Date(1)/ later",
            "Total": 46.0,
            "HasErrors": false,
            "Nothing": null
        });
        convert_ms_dates(&mut v);
        assert_eq!(v["Date"], "2018-10-20T00:00:00Z");
        assert_eq!(v["DateString"], "2018-10-20T00:00:00");
        assert_eq!(v["UpdatedDateUTC"], "2018-11-02T16:31:30.160Z");
        assert_eq!(v["Payments"][0]["Date"], "2019-03-11T17:53:36.230Z");
        assert_eq!(v["Reference"], "Paid /Date(1)/ later");
        assert_eq!(v["Total"], 46.0);
    }

    #[test]
    fn parses_both_date_forms() {
        assert_eq!(
            parse_xero_date(&json!("/Date(1539993600000+0000)/")),
            Some(1_539_993_600_000)
        );
        assert_eq!(
            parse_xero_date(&json!("2018-10-20T00:00:00")),
            Some(1_539_993_600_000)
        );
        assert_eq!(parse_xero_date(&json!("soon")), None);
        assert_eq!(parse_xero_date(&json!(5)), None);
    }

    #[test]
    fn if_modified_since_has_second_precision() {
        assert_eq!(if_modified_since(1_541_176_290_160), "2018-11-02T16:31:30");
        assert_eq!(if_modified_since(1_541_176_290_000), "2018-11-02T16:31:30");
    }

    #[test]
    fn report_date() {
        assert_eq!(ymd(1_556_129_558_724), "2019-04-24");
        assert_eq!(ymd(0), "1970-01-01");
    }
}
