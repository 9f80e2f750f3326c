//! Virtual time: instants (`Time`) and lengths (`Duration`), both in virtual milliseconds.
//!
//! Nothing in the simulator reads the wall clock; every instant is one of these. They mirror
//! Spark's `org.apache.spark.streaming.{Time, Duration}`: a `Time` is a point on the virtual
//! clock (milliseconds since the clock started at 0), a `Duration` is a non-negative length.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A point on the virtual clock, in virtual milliseconds since the clock started (0).
///
/// Printed as Spark prints it in `print()` headers: `1000 ms`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct Time(pub u64);

/// A length of virtual time in milliseconds.
///
/// Printed in the shortest exact unit: `200ms`, `30s`, `2min`, `1h` (the scenario syntax).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(transparent)]
pub struct Duration(pub u64);

impl Time {
    /// The start of the virtual clock.
    pub const ZERO: Time = Time(0);

    /// Milliseconds since the clock started.
    pub fn ms(self) -> u64 {
        self.0
    }

    /// `self + d`.
    pub fn plus(self, d: Duration) -> Time {
        Time(self.0 + d.0)
    }

    /// `self - d`, or `None` if that would be before the clock started.
    pub fn checked_minus(self, d: Duration) -> Option<Time> {
        self.0.checked_sub(d.0).map(Time)
    }

    /// The length from `earlier` to `self` (zero if `earlier` is later).
    pub fn since(self, earlier: Time) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }

    /// True when `self - zero` is a whole number of `d` (Spark's `(t - zeroTime).isMultipleOf(d)`).
    /// A zero `d` is never a multiple.
    pub fn is_aligned(self, zero: Time, d: Duration) -> bool {
        d.0 != 0 && self.0 >= zero.0 && (self.0 - zero.0).is_multiple_of(d.0)
    }
}

impl Duration {
    /// Zero milliseconds.
    pub const ZERO: Duration = Duration(0);

    /// A duration of `ms` milliseconds.
    pub const fn from_ms(ms: u64) -> Duration {
        Duration(ms)
    }

    /// A duration of `s` seconds.
    pub const fn from_secs(s: u64) -> Duration {
        Duration(s * 1000)
    }

    /// The length in milliseconds.
    pub fn ms(self) -> u64 {
        self.0
    }

    /// True when `self` is a whole, non-zero number of `other` (Spark's `Duration.isMultipleOf`).
    pub fn is_multiple_of(self, other: Duration) -> bool {
        other.0 != 0 && self.0.is_multiple_of(other.0)
    }

    /// Parses the scenario syntax: an integer followed by `ms`, `s`, `min` or `h`
    /// (`200ms`, `30s`, `2min`, `1h`). Also accepts a decimal number of seconds such as `2.5s`
    /// when it is a whole number of milliseconds.
    ///
    /// # Errors
    /// A message naming what was found and what would be valid.
    pub fn parse(text: &str) -> Result<Duration, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let factor: u64 = match unit.trim() {
            "ms" => 1,
            "s" => 1000,
            "min" | "m" => 60_000,
            "h" => 3_600_000,
            "" => return Err(format!("duration `{text}` has no unit; valid units are ms, s, min, h (e.g. `200ms`, `30s`, `2min`)")),
            other => return Err(format!("unknown duration unit `{other}` in `{text}`; valid units are ms, s, min, h")),
        };
        if number.is_empty() {
            return Err(format!(
                "duration `{text}` has no number; write e.g. `200ms`, `30s`, `2min`"
            ));
        }
        if let Ok(n) = number.parse::<u64>() {
            return n
                .checked_mul(factor)
                .map(Duration)
                .ok_or_else(|| format!("duration `{text}` is too long"));
        }
        match number.parse::<f64>() {
            Ok(x)
                if x.is_finite()
                    && x >= 0.0
                    && x * (factor as f64) < 1.8e19
                    && (x * factor as f64).fract() == 0.0 =>
            {
                Ok(Duration((x * factor as f64) as u64))
            }
            _ => Err(format!(
                "duration `{text}` is not a whole number of milliseconds"
            )),
        }
    }
}

impl std::ops::Add<Duration> for Time {
    type Output = Time;
    fn add(self, d: Duration) -> Time {
        Time(self.0 + d.0)
    }
}

impl std::ops::Add for Duration {
    type Output = Duration;
    fn add(self, d: Duration) -> Duration {
        Duration(self.0 + d.0)
    }
}

impl std::ops::Mul<u64> for Duration {
    type Output = Duration;
    fn mul(self, k: u64) -> Duration {
        Duration(self.0 * k)
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.0)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        if ms != 0 && ms.is_multiple_of(3_600_000) {
            write!(f, "{}h", ms / 3_600_000)
        } else if ms != 0 && ms.is_multiple_of(60_000) {
            write!(f, "{}min", ms / 60_000)
        } else if ms != 0 && ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_the_scenario_syntax() {
        for (text, ms, shown) in [
            ("200ms", 200, "200ms"),
            ("30s", 30_000, "30s"),
            ("2min", 120_000, "2min"),
            ("1h", 3_600_000, "1h"),
            ("2.5s", 2500, "2500ms"),
            ("60s", 60_000, "1min"),
        ] {
            let d = Duration::parse(text).unwrap();
            assert_eq!(d.ms(), ms, "{text}");
            assert_eq!(d.to_string(), shown);
        }
        assert!(Duration::parse("10").unwrap_err().contains("no unit"));
        assert!(Duration::parse("10 parsecs")
            .unwrap_err()
            .contains("unknown duration unit"));
        assert!(Duration::parse("0.5ms").is_err());
    }
}
