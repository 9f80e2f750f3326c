//! The console sink's printing: `ConsoleWriter` (`sql/core/.../execution/streaming/sources/ConsoleWrite.scala`)
//! prints a header per micro-batch and then `Dataset.show(numRows, truncate)`
//! (`Dataset.showString`): column widths at least 3, cells cut to 17 characters and `...`
//! past 20 when truncating, right-aligned when truncating and left-aligned otherwise, and
//! `only showing top 20 rows` when there are more.

use super::types::{Row, Schema};
use std::fmt::Write;

/// The header `ConsoleWriter` prints before a batch.
pub fn batch_header(batch_id: u64) -> String {
    let dashes = "-".repeat(43);
    format!("{dashes}\nBatch: {batch_id}\n{dashes}\n")
}

fn cut(s: String, truncate: usize) -> String {
    let n = s.chars().count();
    if truncate > 0 && n > truncate {
        if truncate < 4 {
            s.chars().take(truncate).collect()
        } else {
            let mut t: String = s.chars().take(truncate - 3).collect();
            t.push_str("...");
            t
        }
    } else {
        s
    }
}

/// `Dataset.showString(numRows, truncate)` followed by the newline `show` adds.
pub fn show(schema: &Schema, rows: &[Row], num_rows: usize, truncate: usize) -> String {
    let mut table: Vec<Vec<String>> = vec![schema
        .fields
        .iter()
        .map(|f| cut(f.name.clone(), truncate))
        .collect()];
    for r in rows.iter().take(num_rows) {
        table.push(r.iter().map(|c| cut(c.to_string(), truncate)).collect());
    }
    let ncols = schema.fields.len();
    let mut widths = vec![3usize; ncols];
    for row in &table {
        for (i, c) in row.iter().enumerate().take(ncols) {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let sep: String = {
        let mut s = String::from("+");
        for w in &widths {
            s.push_str(&"-".repeat(*w));
            s.push('+');
        }
        s.push('\n');
        s
    };
    out.push_str(&sep);
    for (k, row) in table.iter().enumerate() {
        out.push('|');
        for (i, c) in row.iter().enumerate().take(ncols) {
            let pad = widths[i].saturating_sub(c.chars().count());
            if truncate > 0 {
                let _ = write!(out, "{}{c}|", " ".repeat(pad));
            } else {
                let _ = write!(out, "{c}{}|", " ".repeat(pad));
            }
        }
        out.push('\n');
        if k == 0 {
            out.push_str(&sep);
        }
    }
    out.push_str(&sep);
    if rows.len() > num_rows {
        let _ = writeln!(
            out,
            "only showing top {num_rows} {}",
            if num_rows == 1 { "row" } else { "rows" }
        );
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_time::{EventTime, TimeWindow};
    use crate::models::structured::types::{Cell, DataType, Field};

    #[test]
    fn windows_are_cut_as_the_console_sink_cuts_them() {
        let schema = Schema {
            fields: vec![
                Field::new("window", DataType::Window),
                Field::new("count", DataType::Long),
            ],
        };
        let t = EventTime::parse("2016-04-17 08:00:00").unwrap().0;
        let rows = vec![vec![
            Cell::Window(TimeWindow::new(t, t + 600_000)),
            Cell::Long(3),
        ]];
        assert_eq!(
            show(&schema, &rows, 20, 20),
            "+--------------------+-----+\n\
             |              window|count|\n\
             +--------------------+-----+\n\
             |{2016-04-17 08:00...|    3|\n\
             +--------------------+-----+\n\n"
        );
        assert!(show(&schema, &rows, 20, 0)
            .contains("|{2016-04-17 08:00:00, 2016-04-17 08:10:00}|3    |"));
        assert!(show(&schema, &[], 20, 20).ends_with("+------+-----+\n+------+-----+\n\n"));
    }
}
