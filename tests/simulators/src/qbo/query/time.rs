//! DateTime literals of `MetaData.CreateTime` / `MetaData.LastUpdatedTime` conditions.
//!
//! Accepted: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff]]`, each with an optional zone
//! `Z`, `±HH:MM` or `±HHMM`. Without a zone the company's time zone applies (the
//! simulator's companies are on a fixed `-07:00`, like every documented sample). A value
//! is an instant: `2015-06-30T22:09:07+00:00` and `2015-06-30T15:09:07-07:00` are equal.
//!
//! An unencoded `+` in a URL is decoded to a space before QuickBooks sees it, so
//! `…07+00:00` arrives as `…07 00:00` and is refused ("Unparseable date", quickeebooks#26
//! and #87): clients must send `%2B`.

use crate::clock::Millis;
use crate::timefmt::{civil, days_from_civil};

/// The company's UTC offset in minutes (fixed `-07:00`).
pub const COMPANY_OFFSET_MIN: i64 = -7 * 60;

fn num(s: &str, len: usize) -> Option<i64> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn zone(z: &str) -> Option<i64> {
    if z.is_empty() {
        return Some(COMPANY_OFFSET_MIN);
    }
    if z == "Z" || z == "z" {
        return Some(0);
    }
    let sign = match z.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &z[1..];
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (num(h, 2)?, num(m, 2)?),
        None if rest.len() == 4 => (num(rest.get(..2)?, 2)?, num(rest.get(2..)?, 2)?),
        None => return None,
    };
    (h <= 14 && m < 60).then_some(sign * (h * 60 + m))
}

/// Parses a DateTime literal into epoch milliseconds.
pub fn parse_datetime(s: &str) -> Option<Millis> {
    let s = s.trim();
    let date = s.get(..10)?;
    let mut parts = date.split('-');
    let (y, mo, d) = (
        num(parts.next()?, 4)?,
        num(parts.next()?, 2)?,
        num(parts.next()?, 2)?,
    );
    let (mo, d) = (u32::try_from(mo).ok()?, u32::try_from(d).ok()?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let day_ms = days_from_civil(y, mo, d) * 86_400_000;
    // Reject dates that roll over (2015-02-30).
    let c = civil(day_ms);
    if (c.month, c.day) != (mo, d) {
        return None;
    }
    let rest = &s[10..];
    let (clock, z) = match rest.strip_prefix('T') {
        None => ("", rest),
        Some(t) => {
            let split = t.find(['Z', 'z', '+', '-']).unwrap_or(t.len());
            (&t[..split], &t[split..])
        }
    };
    let mut time_ms = 0;
    if rest.starts_with('T') {
        let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
        let f: Vec<&str> = hms.split(':').collect();
        if !(2..=3).contains(&f.len()) {
            return None;
        }
        let h = num(f[0], 2)?;
        let mi = num(f[1], 2)?;
        let sec = if f.len() == 3 { num(f[2], 2)? } else { 0 };
        if h > 23 || mi > 59 || sec > 59 {
            return None;
        }
        let milli = if frac.is_empty() {
            0
        } else {
            if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let padded = format!("{frac:0<3}");
            padded[..3].parse::<i64>().ok()?
        };
        time_ms = ((h * 60 + mi) * 60 + sec) * 1_000 + milli;
    }
    let offset = zone(z)?;
    Some(day_ms + time_ms - offset * 60_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Millis = 1_435_702_147_000; // 2015-06-30T22:09:07Z

    #[test]
    fn instants() {
        assert_eq!(parse_datetime("2015-06-30T22:09:07+00:00"), Some(T));
        assert_eq!(parse_datetime("2015-06-30T22:09:07Z"), Some(T));
        assert_eq!(parse_datetime("2015-06-30T15:09:07-07:00"), Some(T));
        assert_eq!(parse_datetime("2015-06-30T15:09:07-0700"), Some(T));
        assert_eq!(parse_datetime("2015-06-30T15:09:07"), Some(T));
        assert_eq!(parse_datetime("2015-06-30T22:09:07.5+00:00"), Some(T + 500));
        assert_eq!(parse_datetime("2015-06-30T22:09Z"), Some(T - 7_000));
        assert_eq!(
            parse_datetime("2015-06-30"),
            Some(T - (22 * 3600 + 9 * 60 + 7) * 1_000 + 7 * 3_600_000)
        );
    }

    #[test]
    fn refusals() {
        for bad in [
            "",
            "yesterday",
            "2015-06-30T22:09:07 00:00",
            "2015-02-30",
            "2015-13-01",
            "2015-06-30T25:00:00Z",
            "2015-06-30T22:09:07+2",
            "2015-6-30",
            "2015-06-30 22:09:07",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }
}
