//! Dates without a date library: RFC 3339, ISO 8601 whole-second and IMF-fixdate
//! formatting of epoch milliseconds, RFC 3339 parsing, and Microsoft JSON dates
//! (`/Date(1539993600000+0000)/`, as Xero sends them).
//!
//! All functions work in the proleptic Gregorian calendar on UTC epoch milliseconds
//! (`i64`, negative before 1970) and are pure. Formatting is exact for years
//! 0000–9999, the range RFC 3339 can express.

/// Days since 1970-01-01 → (year, month 1–12, day 1–31). Howard Hinnant's
/// `civil_from_days`.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month 1–12, day 1–31) → days since 1970-01-01. Inverse of
/// [`civil_from_days`]; does not validate its input.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

const MS_PER_DAY: i64 = 86_400_000;

/// `ms` truncated to the whole second, towards the past (`1999` → `1000`, `-1` →
/// `-1000`): the precision of `If-Modified-Since` and of many providers' timestamps.
pub fn floor_second(ms: i64) -> i64 {
    ms - ms.rem_euclid(1000)
}

/// The UTC `yyyy-mm-ddThh:mm:ss` of `ms` and the milliseconds left over. Written
/// digit by digit (no `format!`): record pages convert several dates per record.
fn date_time(ms: i64) -> (String, i64) {
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (y, mo, d) = civil_from_days(days);
    let mut out = String::with_capacity(24);
    if (0..=9999).contains(&y) {
        push_digits(&mut out, y, 4);
    } else {
        out = format!("{y:04}");
    }
    for (sep, n) in [
        ('-', i64::from(mo)),
        ('-', i64::from(d)),
        ('T', in_day / 3_600_000),
        (':', in_day / 60_000 % 60),
        (':', in_day / 1000 % 60),
    ] {
        out.push(sep);
        push_digits(&mut out, n, 2);
    }
    (out, in_day % 1000)
}

/// Appends `n` (`0 <= n < 10^width`) zero-padded to `width` digits.
fn push_digits(out: &mut String, n: i64, width: u32) {
    let mut div = 10i64.pow(width.saturating_sub(1));
    while div > 0 {
        let digit = u32::try_from(n / div % 10).unwrap_or(0);
        out.push(char::from_digit(digit, 10).unwrap_or('0'));
        div /= 10;
    }
}

/// Epoch milliseconds → RFC 3339 in UTC: `2018-10-20T00:00:00Z`, with `.mmm` only
/// when the milliseconds are not zero (`2018-10-20T00:00:00.250Z`).
pub fn rfc3339_from_millis(ms: i64) -> String {
    let (mut text, milli) = date_time(ms);
    if milli != 0 {
        text.push('.');
        push_digits(&mut text, milli, 3);
    }
    text.push('Z');
    text
}

/// Epoch milliseconds → ISO 8601 UTC date and time to the whole second, without an
/// offset: `2018-11-02T16:31:30` (milliseconds truncated towards the past). For a
/// provider that reads a bare timestamp as UTC (Xero's `If-Modified-Since`) or wants
/// its own offset appended (QuickBooks' `2015-06-30T22:09:07+00:00`).
pub fn iso8601_seconds_from_millis(ms: i64) -> String {
    date_time(ms).0
}

/// Epoch milliseconds → IMF-fixdate, the HTTP date format used by
/// `If-Modified-Since`: `Sat, 20 Oct 2018 00:00:00 GMT`. Milliseconds are dropped.
pub fn http_date_from_millis(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = ms.div_euclid(MS_PER_DAY);
    let secs = ms.rem_euclid(MS_PER_DAY) / 1000;
    let (y, mo, d) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let wd = DAYS[(days + 4).rem_euclid(7) as usize];
    format!(
        "{wd}, {d:02} {} {y:04} {:02}:{:02}:{:02} GMT",
        MONTHS[(mo - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Parses RFC 3339 / ISO 8601 date-times into epoch milliseconds:
/// `2018-10-20T00:00:00Z`, `2018-10-20T13:00:00.5+13:00`, `2018-10-20t00:00:00z`,
/// `2018-10-20 00:00:00`, and, leniently, a missing offset (read as UTC, as Xero's
/// `UpdatedDateUTC` comes) or a date alone (midnight UTC). Fractions beyond
/// milliseconds are truncated. `None` when it is not such a date.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(part.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let year = num(0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = num(5, 2)? as u32;
    let day = num(8, 2)? as u32;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut ms = days_from_civil(year, month, day) * MS_PER_DAY;
    if b.len() == 10 {
        return Some(ms);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (h, mi, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    ms += (h * 3600 + mi * 60 + sec) * 1000;
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        let mut frac = 0i64;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if i - start < 3 {
                frac = frac * 10 + i64::from(d - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..3 {
            frac *= 10;
        }
        ms += frac;
    }
    match b.get(i) {
        None => Some(ms),
        Some(b'Z' | b'z') if i + 1 == b.len() => Some(ms),
        Some(&sign @ (b'+' | b'-')) => {
            let oh = num(i + 1, 2)?;
            let om = match (b.get(i + 3), b.len() - i) {
                (Some(b':'), 6) => num(i + 4, 2)?,
                (_, 5) => num(i + 3, 2)?,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let offset = (oh * 60 + om) * 60_000;
            Some(if sign == b'+' {
                ms - offset
            } else {
                ms + offset
            })
        }
        _ => None,
    }
}

/// Parses a Microsoft JSON date, `/Date(1539993600000+0000)/`, into epoch
/// milliseconds. The number is already UTC; the optional `±hhmm` only says which
/// offset the sender's clock had, so it does not change the instant. Also accepts
/// the JSON-escaped form `\/Date(...)\/` and a missing offset.
pub fn parse_ms_json_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let inner = s
        .strip_prefix("/Date(")
        .or_else(|| s.strip_prefix("\\/Date("))?;
    let inner = inner
        .strip_suffix(")/")
        .or_else(|| inner.strip_suffix(")\\/"))?;
    // Split off the offset: a sign that is not the leading one.
    let split = inner
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c == '+' || c == '-')
        .map(|(i, _)| i);
    let (millis, offset) = match split {
        Some(i) => inner.split_at(i),
        None => (inner, ""),
    };
    if !offset.is_empty() && (offset.len() != 5 || !offset[1..].bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let digits = millis.strip_prefix('-').unwrap_or(millis);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    millis.parse().ok()
}

/// Converts a Microsoft JSON date to RFC 3339 in UTC:
/// `/Date(1539993600000+0000)/` → `2018-10-20T00:00:00Z`. `None` when `s` is not an
/// MS-JSON date.
pub fn ms_json_date_to_rfc3339(s: &str) -> Option<String> {
    parse_ms_json_date(s).map(rfc3339_from_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_over_a_wide_range() {
        for days in (-800_000..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert!((1..=12).contains(&m));
            assert!(d >= 1 && d <= days_in_month(y, m));
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn formatting_matches_format_macro() {
        let reference = |ms: i64| {
            let days = ms.div_euclid(MS_PER_DAY);
            let in_day = ms.rem_euclid(MS_PER_DAY);
            let (y, mo, d) = civil_from_days(days);
            let (h, mi, s) = (in_day / 3_600_000, in_day / 60_000 % 60, in_day / 1000 % 60);
            let text = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
            match in_day % 1000 {
                0 => format!("{text}Z"),
                milli => format!("{text}.{milli:03}Z"),
            }
        };
        let mut ms: i64 = -70_000_000_000_000;
        while ms < 260_000_000_000_000 {
            assert_eq!(rfc3339_from_millis(ms), reference(ms), "{ms}");
            ms += 7_777_777_777;
        }
        for ms in [
            i64::MIN / 2,
            -62_167_219_200_001,
            -1,
            0,
            1,
            999,
            i64::MAX / 2,
        ] {
            assert_eq!(rfc3339_from_millis(ms), reference(ms), "{ms}");
        }
    }

    #[test]
    fn rfc3339_formatting() {
        assert_eq!(rfc3339_from_millis(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_from_millis(1_539_993_600_000),
            "2018-10-20T00:00:00Z"
        );
        assert_eq!(
            rfc3339_from_millis(1_539_993_600_250),
            "2018-10-20T00:00:00.250Z"
        );
        assert_eq!(rfc3339_from_millis(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_from_millis(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(
            rfc3339_from_millis(253_402_300_799_000),
            "9999-12-31T23:59:59Z"
        );
        assert_eq!(
            rfc3339_from_millis(-62_135_596_800_000),
            "0001-01-01T00:00:00Z"
        );
    }

    #[test]
    fn whole_seconds() {
        assert_eq!(floor_second(1_999), 1_000);
        assert_eq!(floor_second(1_000), 1_000);
        assert_eq!(floor_second(-1), -1_000);
        assert_eq!(
            iso8601_seconds_from_millis(1_541_176_290_160),
            "2018-11-02T16:31:30"
        );
        assert_eq!(
            iso8601_seconds_from_millis(1_541_176_290_000),
            "2018-11-02T16:31:30"
        );
        assert_eq!(iso8601_seconds_from_millis(-1), "1969-12-31T23:59:59");
        assert_eq!(iso8601_seconds_from_millis(0), "1970-01-01T00:00:00");
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            http_date_from_millis(784_111_777_000),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(http_date_from_millis(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            http_date_from_millis(1_539_993_600_999),
            "Sat, 20 Oct 2018 00:00:00 GMT"
        );
    }

    #[test]
    fn rfc3339_parsing() {
        assert_eq!(
            parse_rfc3339("2018-10-20T00:00:00Z"),
            Some(1_539_993_600_000)
        );
        assert_eq!(
            parse_rfc3339("2018-10-20t00:00:00z"),
            Some(1_539_993_600_000)
        );
        assert_eq!(
            parse_rfc3339("2018-10-20T00:00:00"),
            Some(1_539_993_600_000)
        );
        assert_eq!(
            parse_rfc3339("2018-10-20 00:00:00"),
            Some(1_539_993_600_000)
        );
        assert_eq!(parse_rfc3339("2018-10-20"), Some(1_539_993_600_000));
        assert_eq!(
            parse_rfc3339("2018-10-20T13:00:00+13:00"),
            Some(1_539_993_600_000)
        );
        assert_eq!(
            parse_rfc3339("2018-10-19T16:00:00-0800"),
            Some(1_539_993_600_000)
        );
        assert_eq!(
            parse_rfc3339("2018-10-20T00:00:00.25Z"),
            Some(1_539_993_600_250)
        );
        assert_eq!(
            parse_rfc3339("2018-10-20T00:00:00.1239999Z"),
            Some(1_539_993_600_123)
        );
        assert_eq!(
            parse_rfc3339("  2018-10-20T00:00:00Z "),
            Some(1_539_993_600_000)
        );
        for bad in [
            "",
            "2018-10-2",
            "2018/10/20",
            "2018-13-01",
            "2019-02-29",
            "2018-10-20T24:00:00Z",
            "2018-10-20T00:00Z",
            "2018-10-20T00:00:00.Z",
            "2018-10-20T00:00:00+1",
            "2018-10-20T00:00:00Zjunk",
            "2018-10-20X00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
        assert_eq!(parse_rfc3339("2020-02-29"), Some(1_582_934_400_000));
    }

    #[test]
    fn rfc3339_round_trip() {
        for ms in [0, 1, 999, 1_539_993_600_250, -86_400_001, 4_102_444_800_000] {
            assert_eq!(parse_rfc3339(&rfc3339_from_millis(ms)), Some(ms));
        }
    }

    #[test]
    fn ms_json_dates() {
        assert_eq!(
            parse_ms_json_date("/Date(1539993600000+0000)/"),
            Some(1_539_993_600_000)
        );
        assert_eq!(
            parse_ms_json_date("/Date(1539993600000)/"),
            Some(1_539_993_600_000)
        );
        assert_eq!(
            parse_ms_json_date("/Date(1539993600000+1300)/"),
            Some(1_539_993_600_000)
        );
        assert_eq!(
            parse_ms_json_date("\\/Date(1539993600000-0500)\\/"),
            Some(1_539_993_600_000)
        );
        assert_eq!(
            parse_ms_json_date("/Date(-86400000+0000)/"),
            Some(-86_400_000)
        );
        assert_eq!(
            ms_json_date_to_rfc3339("/Date(1539993600000+0000)/").as_deref(),
            Some("2018-10-20T00:00:00Z")
        );
        assert_eq!(
            ms_json_date_to_rfc3339("/Date(1222340661833+0000)/").as_deref(),
            Some("2008-09-25T11:04:21.833Z")
        );
        for bad in [
            "",
            "2018-10-20",
            "/Date()/",
            "/Date(abc)/",
            "/Date(1539993600000+00)/",
            "/Date(1539993600000+00a0)/",
            "/Date(1539993600000",
            "Date(1539993600000)",
        ] {
            assert_eq!(parse_ms_json_date(bad), None, "{bad}");
        }
    }
}
