//! Xero's date formats: MS-JSON `/Date(ms+0000)/`, the ISO "twins" (`DateString`,
//! `UpdatedDateUTCString`), report dates, and parsing of `If-Modified-Since` and
//! report `date` parameters.

use crate::clock::{DAY, Millis};
use crate::timefmt::{civil, date_ms, days_from_civil};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `/Date(1539993600000+0000)/`: the form of dates inside records.
pub fn ms_date(ms: Millis) -> String {
    format!("/Date({ms}+0000)/")
}

/// `/Date(1552326816230)/`: the envelope's `DateTimeUTC` (no offset).
pub fn ms_date_plain(ms: Millis) -> String {
    format!("/Date({ms})/")
}

/// `2018-10-20T00:00:00`: `DateString` / `DueDateString` (no zone, no fraction).
pub fn date_string(ms: Millis) -> String {
    let c = civil(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `2018-11-02T16:31:30Z`: `UpdatedDateUTCString` (seconds, `Z`).
pub fn utc_string(ms: Millis) -> String {
    date_string(ms) + "Z"
}

/// `24 April 2019`: report dates.
pub fn report_date(ms: Millis) -> String {
    let c = civil(ms);
    format!("{} {} {}", c.day, MONTHS[(c.month - 1) as usize], c.year)
}

/// `12/31/2018`: the `toDate` attribute of report cells.
pub fn us_date(ms: Millis) -> String {
    let c = civil(ms);
    format!("{:02}/{:02}/{:04}", c.month, c.day, c.year)
}

/// Midnight UTC of the day containing `ms`.
pub fn midnight(ms: Millis) -> Millis {
    ms.div_euclid(DAY) * DAY
}

/// Parses an `If-Modified-Since` value and drops the milliseconds, as Xero does.
///
/// Accepted: ISO-8601 `YYYY-MM-DD[(T| )HH:MM[:SS[.fff]]][Z|±HH:MM|±HHMM]` (no zone =
/// UTC) and RFC 1123 `Sun, 06 Nov 1994 08:49:37 GMT`. `None` for anything else (the
/// caller then ignores the header, which is what Xero does with values it cannot read).
pub fn parse_if_modified_since(value: &str) -> Option<Millis> {
    let v = value.trim();
    let ms = parse_iso(v).or_else(|| parse_rfc1123(v))?;
    Some(ms.div_euclid(1_000) * 1_000)
}

/// Parses a report `date` (`YYYY-MM-DD`, a time part is tolerated) to midnight UTC.
pub fn parse_ymd(value: &str) -> Option<Millis> {
    parse_iso(value.trim()).map(midnight)
}

fn num(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn valid_date(y: i64, m: u32, d: u32) -> bool {
    if !(1..=12).contains(&m) || d == 0 || !(1..=9999).contains(&y) {
        return false;
    }
    let next = if m == 12 {
        days_from_civil(y + 1, 1, 1)
    } else {
        days_from_civil(y, m + 1, 1)
    };
    i64::from(d) <= next - days_from_civil(y, m, 1)
}

fn parse_iso(v: &str) -> Option<Millis> {
    let (date, rest) = if v.len() > 10 {
        (v.get(..10)?, v.get(10..)?)
    } else {
        (v, "")
    };
    let mut it = date.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d) = (i64::from(num(y)?), num(m)?, num(d)?);
    if !valid_date(y, m, d) {
        return None;
    }
    let day = date_ms(y, m, d);
    if rest.is_empty() {
        return Some(day);
    }
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(zone_at);
    let (hms, frac) = match time.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (time, None),
    };
    let mut parts = hms.split(':');
    let h = num(parts.next()?)?;
    let mi = num(parts.next()?)?;
    let s = parts.next().map(num).unwrap_or(Some(0))?;
    if parts.next().is_some() || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let frac_ms = match frac {
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => {
            let f3: String = f.chars().chain("000".chars()).take(3).collect();
            i64::from(num(&f3)?)
        }
        Some(_) => return None,
        None => 0,
    };
    let offset = parse_zone(zone)?;
    Some(
        day + i64::from(h) * 3_600_000 + i64::from(mi) * 60_000 + i64::from(s) * 1_000 + frac_ms
            - offset,
    )
}

/// The zone suffix as milliseconds east of UTC.
fn parse_zone(z: &str) -> Option<Millis> {
    if z.is_empty() || z.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = match z.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &z[1..];
    let (h, m) = match body.split_once(':') {
        Some((h, m)) => (h, m),
        None if body.len() == 4 => body.split_at(2),
        None if body.len() == 2 => (body, "00"),
        None => return None,
    };
    let (h, m) = (num(h)?, num(m)?);
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (i64::from(h) * 3_600_000 + i64::from(m) * 60_000))
}

fn parse_rfc1123(v: &str) -> Option<Millis> {
    // "Sun, 06 Nov 1994 08:49:37 GMT" (the weekday is optional).
    let v = match v.split_once(',') {
        Some((_, rest)) => rest.trim(),
        None => v,
    };
    let mut it = v.split_whitespace();
    let d = num(it.next()?)?;
    let mon = it.next()?;
    let m = MONTHS
        .iter()
        .position(|name| name[..3].eq_ignore_ascii_case(mon))? as u32
        + 1;
    let y = i64::from(num(it.next()?)?);
    let time = it.next()?;
    let zone = it.next()?;
    if it.next().is_some() || !(zone.eq_ignore_ascii_case("GMT") || zone == "UTC" || zone == "Z") {
        return None;
    }
    if !valid_date(y, m, d) {
        return None;
    }
    let mut t = time.split(':');
    let (h, mi, s) = (num(t.next()?)?, num(t.next()?)?, num(t.next()?)?);
    if t.next().is_some() || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(
        date_ms(y, m, d) + i64::from(h) * 3_600_000 + i64::from(mi) * 60_000 + i64::from(s) * 1_000,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Millis = 1_541_176_290_000; // 2018-11-02T16:31:30Z

    #[test]
    fn formats() {
        assert_eq!(ms_date(1_539_993_600_000), "/Date(1539993600000+0000)/");
        assert_eq!(ms_date_plain(5), "/Date(5)/");
        assert_eq!(date_string(1_539_993_600_000), "2018-10-20T00:00:00");
        assert_eq!(utc_string(T + 160), "2018-11-02T16:31:30Z");
        assert_eq!(report_date(date_ms(2019, 4, 24)), "24 April 2019");
        assert_eq!(us_date(date_ms(2018, 12, 31)), "12/31/2018");
    }

    #[test]
    fn if_modified_since_forms_and_precision() {
        let p = parse_if_modified_since;
        assert_eq!(p("2018-11-02T16:31:30"), Some(T));
        assert_eq!(p("2018-11-02T16:31:30Z"), Some(T));
        assert_eq!(p("2018-11-02T16:31:30.999Z"), Some(T));
        assert_eq!(p("2018-11-02T16:31:30.1234567"), Some(T));
        assert_eq!(p("2018-11-02T08:31:30.202-08:00"), Some(T));
        assert_eq!(p("2018-11-02T18:31:30+0200"), Some(T));
        assert_eq!(p("2018-11-02 16:31:30"), Some(T));
        assert_eq!(p("Fri, 02 Nov 2018 16:31:30 GMT"), Some(T));
        assert_eq!(p("02 Nov 2018 16:31:30 GMT"), Some(T));
        assert_eq!(p("2018-11-02"), Some(date_ms(2018, 11, 2)));
        for bad in [
            "",
            "yesterday",
            "2018-13-01T00:00:00",
            "2018-02-30",
            "2018-11-02T25:00",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
        assert_eq!(parse_ymd("2019-04-24"), Some(date_ms(2019, 4, 24)));
        assert_eq!(parse_ymd("24/04/2019"), None);
    }
}
