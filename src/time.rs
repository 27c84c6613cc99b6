//! Points in time, to the millisecond, as payloads and CodeDeploy write them.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A point in time: milliseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(i64);

impl Time {
    pub fn from_millis(millis: i64) -> Time {
        Time(millis)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// The system clock now.
    pub fn now() -> Time {
        Time::from(SystemTime::now())
    }

    /// This time moved by `seconds` (negative: earlier).
    pub fn plus_secs(self, seconds: i64) -> Time {
        Time(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    /// Whole seconds from `earlier` to this time (negative when `earlier` is later).
    pub fn secs_since(self, earlier: Time) -> i64 {
        (self.0 - earlier.0) / 1000
    }

    /// Reads the forms AWS writes: RFC 3339 (`2024-02-17T11:53:08.431+0000`,
    /// `2019-10-02T17:04:40Z`, `…+00:00`), the CodeDeploy trigger's `Wed Aug 10 18:39:05 UTC 2016`,
    /// and epoch seconds as text (`1446744207.564`). Anything else is `None`.
    pub fn parse(text: &str) -> Option<Time> {
        let text = text.trim();
        rfc3339(text)
            .or_else(|| java_date(text))
            .or_else(|| epoch_seconds(text))
    }
}

impl From<SystemTime> for Time {
    fn from(time: SystemTime) -> Time {
        match time.duration_since(UNIX_EPOCH) {
            Ok(after) => Time(i64::try_from(after.as_millis()).unwrap_or(i64::MAX)),
            Err(before) => Time(-i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX)),
        }
    }
}

/// As its [`Display`](fmt::Display) form.
impl serde::Serialize for Time {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// RFC 3339 in UTC with milliseconds: `2026-11-30T10:15:00.000Z`.
impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400_000);
        let in_day = self.0.rem_euclid(86_400_000);
        let (year, month, day) = civil_from_days(days);
        let (seconds, millis) = (in_day / 1000, in_day % 1000);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        )
    }
}

fn number(text: &str) -> Option<i64> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// Milliseconds of a fraction of a second given as its digits (`431` → 431, `5` → 500).
fn fraction_millis(digits: &str) -> Option<i64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let padded: String = digits.chars().chain("000".chars()).take(3).collect();
    padded.parse().ok()
}

/// The epoch milliseconds of a date and time of day in UTC, when each part is in range.
fn utc(year: i64, month: i64, day: i64, hms: (i64, i64, i64), millis: i64) -> Option<i64> {
    let (hour, minute, second) = hms;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let valid = (1..=12).contains(&month)
        && (1..=month_days[(month - 1) as usize]).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61; // a leap second reads as the next
    valid.then(|| {
        let days = days_from_civil(year, month, day);
        ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis
    })
}

fn time_of_day(text: &str) -> Option<(i64, i64, i64)> {
    let mut parts = text.split(':');
    let hms = (
        number(parts.next()?)?,
        number(parts.next()?)?,
        number(parts.next()?)?,
    );
    parts.next().is_none().then_some(hms)
}

fn rfc3339(text: &str) -> Option<Time> {
    let (date, rest) = text.split_once(['T', 't'])?;
    let mut ymd = date.split('-');
    let (year, month, day) = (ymd.next()?, ymd.next()?, ymd.next()?);
    if ymd.next().is_some() || year.len() != 4 {
        return None;
    }
    let (clock, offset_minutes) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else {
        let at = rest.rfind(['+', '-'])?;
        let (clock, offset) = rest.split_at(at);
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let digits = offset[1..].replace(':', "");
        if digits.len() != 4 {
            return None;
        }
        let (hours, minutes) = (number(&digits[..2])?, number(&digits[2..])?);
        (clock, sign * (hours * 60 + minutes))
    };
    let (clock, millis) = match clock.split_once('.') {
        Some((clock, fraction)) => (clock, fraction_millis(fraction)?),
        None => (clock, 0),
    };
    let millis = utc(
        number(year)?,
        number(month)?,
        number(day)?,
        time_of_day(clock)?,
        millis,
    )?;
    Some(Time(millis - offset_minutes * 60_000))
}

/// `Wed Aug 10 18:39:05 UTC 2016`, as Java's `Date.toString` writes it in UTC.
fn java_date(text: &str) -> Option<Time> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_weekday, month, day, clock, zone, year] = parts.as_slice() else {
        return None;
    };
    if !matches!(*zone, "UTC" | "GMT") || year.len() != 4 {
        return None;
    }
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let millis = utc(number(year)?, month, number(day)?, time_of_day(clock)?, 0)?;
    Some(Time(millis))
}

/// `1446744207.564`: seconds since the epoch, as CodeDeploy triggers write them.
fn epoch_seconds(text: &str) -> Option<Time> {
    let (seconds, millis) = match text.split_once('.') {
        Some((seconds, fraction)) => (number(seconds)?, fraction_millis(fraction)?),
        None => (number(text)?, 0),
    };
    seconds.checked_mul(1000)?.checked_add(millis).map(Time)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ms(text: &str) -> i64 {
        Time::parse(text)
            .unwrap_or_else(|| panic!("{text} parses"))
            .millis()
    }

    #[test]
    fn reads_every_form_aws_writes() {
        // 2024-02-17T11:53:08.431Z is 1708170788431 ms after the epoch.
        assert_eq!(ms("2024-02-17T11:53:08.431+0000"), 1_708_170_788_431);
        assert_eq!(ms("2024-02-17T11:53:08.431Z"), 1_708_170_788_431);
        assert_eq!(ms("2024-02-17T12:53:08.431+01:00"), 1_708_170_788_431);
        assert_eq!(ms("2024-02-17T06:53:08.431-0500"), 1_708_170_788_431);
        assert_eq!(ms("2019-10-02T17:04:40Z"), 1_570_035_880_000);
        assert_eq!(ms("2024-02-17T11:53:08.4312345Z"), 1_708_170_788_431);
        assert_eq!(ms("2024-02-17T11:53:08.5Z"), 1_708_170_788_500);
        assert_eq!(ms("Wed Aug 10 18:39:05 UTC 2016"), 1_470_854_345_000);
        assert_eq!(ms("1446744207.564"), 1_446_744_207_564);
        assert_eq!(ms("1446744207"), 1_446_744_207_000);
        assert_eq!(ms("1970-01-01T00:00:00Z"), 0);
        assert_eq!(ms("1969-12-31T23:59:59Z"), -1000);
        assert_eq!(ms("2000-02-29T00:00:00Z"), 951_782_400_000);
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        for bad in [
            "",
            "yesterday",
            "2023-08-04T12: 56: 46.138+0000",
            "2024-02-17T11:53:08",
            "2024-02-17 11:53:08Z",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-02-17T24:00:00Z",
            "2024-02-17T11:53:08.Z",
            "2024-02-17T11:53:08+1",
            "Wed Aug 10 18:39:05 PDT 2016",
            "Wed Aug 10 18:39:05 UTC 99999999999999999",
            "-5",
            "1.2.3",
        ] {
            assert_eq!(Time::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn displays_as_rfc3339_utc_and_round_trips() {
        for text in [
            "2024-02-17T11:53:08.431Z",
            "1970-01-01T00:00:00.000Z",
            "1969-12-31T23:59:59.999Z",
            "2000-02-29T23:59:59.000Z",
            "2026-11-30T00:10:12.123Z",
        ] {
            let time = Time::parse(text).unwrap();
            assert_eq!(time.to_string(), text);
        }
    }

    #[test]
    fn converts_from_the_system_clock() {
        let now = Time::now();
        let later = SystemTime::now() + Duration::from_secs(5);
        assert!((5..=6).contains(&Time::from(later).secs_since(now)));
        assert_eq!(now.plus_secs(60).secs_since(now), 60);
        assert_eq!(now.secs_since(now.plus_secs(90)), -90);
    }
}
