//! Event time: milliseconds since 1970-01-01 00:00:00 UTC, as Spark's `TimestampType`
//! (microseconds there; milliseconds are enough for every model here), Beam's `Instant` and
//! Flink's `long` timestamps hold it.

use std::fmt;

/// An event-time instant in milliseconds since the Unix epoch (UTC). Negative values are
/// instants before 1970.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EventTime(pub i64);

impl EventTime {
    /// The instant `minutes` minutes after the epoch (the unit `io::sources::civil_minutes`
    /// returns).
    pub fn from_minutes(minutes: i64) -> EventTime {
        EventTime(minutes * 60_000)
    }

    /// Milliseconds since the epoch.
    pub fn ms(self) -> i64 {
        self.0
    }

    /// Parses `YYYY-MM-DD HH:MM:SS` (Spark's timestamp text, also with a `T`), or
    /// `YYYY-MM-DD HH:MM`, or `YYYY-MM-DD`, read as UTC.
    ///
    /// # Errors
    /// The text and the accepted forms.
    pub fn parse(text: &str) -> Result<EventTime, String> {
        let bad = || {
            format!(
                "`{text}` is not a timestamp: write `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD HH:MM` or `YYYY-MM-DD`"
            )
        };
        let t = text.trim();
        let (date, clock) = match t.split_once([' ', 'T']) {
            Some((d, c)) => (d, Some(c)),
            None => (t, None),
        };
        let mut parts = date.split('-');
        let mut num = |max: i64| -> Result<i64, String> {
            let v: i64 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
            if v < 0 || v > max {
                return Err(bad());
            }
            Ok(v)
        };
        let (y, m, d) = (num(9999)?, num(12)?, num(31)?);
        if m == 0 || d == 0 {
            return Err(bad());
        }
        let mut seconds = 0i64;
        if let Some(c) = clock {
            let fields: Vec<&str> = c.split(':').collect();
            if !(2..=3).contains(&fields.len()) {
                return Err(bad());
            }
            let limits = [23, 59, 59];
            for (i, f) in fields.iter().enumerate() {
                let v: i64 = f.parse().map_err(|_| bad())?;
                if v < 0 || v > limits[i] {
                    return Err(bad());
                }
                seconds += v * [3600, 60, 1][i];
            }
        }
        let days = days_from_civil(y, m, d);
        Ok(EventTime(days * 86_400_000 + seconds * 1000))
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `(year, month, day)` of a day count since 1970-01-01 (Hinnant's
/// `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Spark's text for a timestamp: `2013-01-01 05:10:00`, with `.SSS` only when the
/// milliseconds are not zero (as `Cast` to string prints a `TimestampType` in UTC).
impl fmt::Display for EventTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400_000);
        let in_day = self.0.rem_euclid(86_400_000);
        let (y, m, d) = civil_from_days(days);
        let (h, mi, s, ms) = (
            in_day / 3_600_000,
            in_day / 60_000 % 60,
            in_day / 1000 % 60,
            in_day % 1000,
        );
        write!(f, "{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}")?;
        if ms != 0 {
            write!(f, ".{ms:03}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_and_parses_like_spark() {
        let t = EventTime::parse("2013-01-01 05:10:00").unwrap();
        assert_eq!(t.to_string(), "2013-01-01 05:10:00");
        assert_eq!(EventTime(0).to_string(), "1970-01-01 00:00:00");
        assert_eq!(EventTime(-1).to_string(), "1969-12-31 23:59:59.999");
        assert_eq!(
            EventTime::parse("1970-01-02").unwrap(),
            EventTime(86_400_000)
        );
        assert_eq!(
            EventTime::parse("2013-01-01T05:10").unwrap(),
            EventTime::parse("2013-01-01 05:10:00").unwrap()
        );
        for bad in ["", "2013-13-01", "2013-01-01 25:00", "2013-01-01 05", "x"] {
            assert!(EventTime::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn civil_round_trips() {
        for z in [-800_000, -1, 0, 1, 15_706, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }
}
