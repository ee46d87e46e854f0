//! The date formats the providers put on the wire, without a calendar dependency.

use crate::clock::Millis;

/// Broken-down UTC time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    /// Year, e.g. 2026.
    pub year: i64,
    /// Month 1–12.
    pub month: u32,
    /// Day of month 1–31.
    pub day: u32,
    /// Hour 0–23.
    pub hour: u32,
    /// Minute 0–59.
    pub minute: u32,
    /// Second 0–59.
    pub second: u32,
    /// Millisecond 0–999.
    pub milli: u32,
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since the epoch of midnight UTC on the given date.
pub fn date_ms(year: i64, month: u32, day: u32) -> Millis {
    days_from_civil(year, month, day) * 86_400_000
}

/// Splits milliseconds since the epoch into UTC calendar fields.
pub fn civil(ms: Millis) -> Civil {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: (rem / 3_600_000) as u32,
        minute: (rem / 60_000 % 60) as u32,
        second: (rem / 1_000 % 60) as u32,
        milli: (rem % 1_000) as u32,
    }
}

/// `2026-11-22T11:05:57.123Z`: ISO-8601 UTC, for the simulators' own control output.
pub fn iso_utc(ms: Millis) -> String {
    let c = civil(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.milli
    )
}

/// Xero `/connections` dates: `2019-12-07T18:46:19.5165400` (7 fractional digits, no `Z`),
/// from microseconds since the epoch.
pub fn xero_connection_date(micros: i64) -> String {
    let c = civil(micros.div_euclid(1_000));
    let frac = micros.rem_euclid(1_000_000) * 10;
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}",
        c.year, c.month, c.day, c.hour, c.minute, c.second, frac
    )
}

/// The instant in Xero's `TokenExpired: token expired at 04/09/2023 05:16:59` detail
/// (`MM/DD/YYYY HH:MM:SS`, UTC).
pub fn xero_expired_at(ms: Millis) -> String {
    let c = civil(ms);
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}:{:02}",
        c.month, c.day, c.year, c.hour, c.minute, c.second
    )
}

/// QuickBooks' `time` stamps: `2015-07-10T09:38:58.155-07:00` (Pacific time as in every
/// documented sample; the simulator uses a fixed `-07:00` offset).
pub fn qbo_time(ms: Millis) -> String {
    let c = civil(ms - 7 * 3_600_000);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}-07:00",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.milli
    )
}

/// QuickBooks `MetaData` stamps: `2015-06-05T13:55:54-07:00` (no fraction).
pub fn qbo_meta_time(ms: Millis) -> String {
    let c = civil(ms - 7 * 3_600_000);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}-07:00",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// A calendar date `YYYY-MM-DD` (UTC).
pub fn ymd(ms: Millis) -> String {
    let c = civil(ms);
    format!("{:04}-{:02}-{:02}", c.year, c.month, c.day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_known_dates() {
        // 2023-04-09T05:16:59Z
        let ms = 1_681_017_419_000;
        assert_eq!(xero_expired_at(ms), "04/09/2023 05:16:59");
        assert_eq!(iso_utc(ms + 7), "2023-04-09T05:16:59.007Z");
        assert_eq!(date_ms(2023, 4, 9), 1_680_998_400_000);
        assert_eq!(civil(date_ms(2000, 2, 29)).day, 29);
        assert_eq!(civil(-1).year, 1969);
    }

    #[test]
    fn seven_fraction_digits() {
        // 2019-12-07T18:46:19.516540
        let micros = 1_575_744_379_516_540;
        assert_eq!(xero_connection_date(micros), "2019-12-07T18:46:19.5165400");
    }

    #[test]
    fn pacific_offset() {
        assert_eq!(qbo_time(1_681_017_419_155), "2023-04-08T22:16:59.155-07:00");
        assert_eq!(
            qbo_meta_time(1_681_017_419_155),
            "2023-04-08T22:16:59-07:00"
        );
    }
}
