//! Helpers shared by the commands: usage messages, argument checks, "did you mean",
//! time arguments, plurals and aligned tables.

use super::help;
use crate::sim::{Duration, Time};

/// The usage message of a command: `run: expected 'run until <time>', e.g. 'run until 90s'`.
pub(super) fn usage(cmd: &str) -> String {
    match help::command(cmd) {
        Some(c) => format!("{cmd}: expected '{}', e.g. '{}'", c.usage, c.example),
        None => format!("{cmd}: bad arguments"),
    }
}

pub(super) fn no_args(cmd: &str, args: &[&str]) -> Result<(), String> {
    if args.is_empty() {
        Ok(())
    } else {
        Err(format!("{}; it takes no arguments", usage(cmd)))
    }
}

pub(super) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> String {
    match help::closest(word, candidates) {
        Some(c) => format!(" (did you mean `{c}`?)"),
        None => String::new(),
    }
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Parses a time argument: a bare integer (milliseconds) or a duration (`3000ms`, `3s`,
/// `1min`, also `3000 ms` as times are printed).
pub(super) fn parse_time(cmd: &str, text: &str) -> Result<Time, String> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<u64>() {
        return Ok(Time(ms));
    }
    Duration::parse(text)
        .map(|d| Time(d.ms()))
        .map_err(|e| format!("{cmd}: bad time `{text}`: {e}; write e.g. 3000, 3000ms, 3s or 1min"))
}

/// Aligns rows into columns (two spaces apart), trimming trailing spaces.
pub(super) fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|r| {
            let mut line = String::new();
            for (c, cell) in r.iter().enumerate() {
                line.push_str(cell);
                if c + 1 < r.len() {
                    let pad = widths[c].saturating_sub(cell.chars().count()) + 2;
                    line.push_str(&" ".repeat(pad));
                }
            }
            line.trim_end().to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
