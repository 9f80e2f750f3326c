//! The event-time challenges' checker ([`super::grade::Grader::Watermark`]): a Structured
//! Streaming scenario (`model = "structured"`) replayed on hidden days of the flights, graded
//! on the share of rows its watermark drops, how promptly its windows are written, and how
//! many are written (`check::structured::summarize`, the figures `stream-sim run` prints).
//!
//! The hidden days come from the challenge's id through the seed tree: the submission's
//! source must replay `2013-01-01` (its `from` and `until` as the starter has them), and the
//! checker replays the same hours of another day of January 2013 by putting that day's date
//! in their place.

use super::grade::Grade;
use crate::models::structured::unsupported_operation_checker::OutputMode;
use crate::scenario::structured::{parse, structured_dir, StructuredScenario};
use crate::sim::rng::SeedTree;
use rand::Rng;
use std::path::Path;

/// The date a submission's source must replay; each hidden day replaces it.
pub const SHOWN_DAY: &str = "2013-01-01";

/// The most hidden days one check replays (a bound on `runs`).
pub const MAX_DAYS: u64 = 30;

/// The thresholds of a watermark challenge.
#[derive(Clone, Copy, Debug)]
pub struct Thresholds {
    /// Hidden days to replay.
    pub runs: u64,
    /// The largest share of input rows the watermark may drop (0.005 = 0.5 %).
    pub max_dropped: f64,
    /// The largest mean emission delay after a window's last row, virtual ms.
    pub max_mean_delay_ms: u64,
    /// The fewest windows written.
    pub min_windows: usize,
}

/// Reads a submission as if it sat in `scenarios/structured/` (so `../data/...` names the
/// bundled data), naming `path` in errors.
///
/// # Errors
/// The scenario's positioned error, with `path` as the file.
pub fn parse_submission(id: u32, text: &str, path: &Path) -> Result<StructuredScenario, String> {
    let fake = structured_dir().join(format!("challenge-{id}.toml"));
    parse(text, &fake).map_err(|e| {
        e.to_string()
            .replace(&fake.display().to_string(), &path.display().to_string())
    })
}

/// Grades `text` (from `path`) for challenge `id`: the rules, then one criterion per hidden
/// day; `runs` overrides the number of days (fewer in tests).
///
/// # Errors
/// A positioned message when the submission does not parse.
pub fn grade(
    id: u32,
    t: Thresholds,
    text: &str,
    path: &Path,
    runs: Option<u64>,
) -> Result<Grade, String> {
    let sc = parse_submission(id, text, path)?;
    let mut grade = Grade::default();
    let file = path.display();
    if sc.config.output_mode != OutputMode::Append {
        grade.add(
            false,
            format!("{file}: outputMode must stay \"append\" (each window written once, final)"),
        );
    }
    for method in [".filter(", ".where(", ".dropDuplicates("] {
        if sc.query.contains(method) {
            grade.add(
                false,
                format!("{file}: the query may not use `{}`: count every departure, let only the watermark drop rows", method.trim_matches(|c| c == '.' || c == '('))
            );
        }
    }
    if !text.contains(&format!("from = \"{SHOWN_DAY} 05:00\""))
        || !text.contains(&format!("until = \"{SHOWN_DAY} 23:59\""))
    {
        grade.add(
            false,
            format!("{file}: keep the source's `from = \"{SHOWN_DAY} 05:00\"` and `until = \"{SHOWN_DAY} 23:59\"`: the checker replays the same hours of hidden days"),
        );
    }
    if !grade.criteria.is_empty() {
        return Ok(grade);
    }
    let seeds = SeedTree::new(0x5EED_0000 + u64::from(id));
    let mut draw = seeds.rng("challenge/seeds");
    let mut days: Vec<u32> = Vec::new();
    let wanted = runs.unwrap_or(t.runs).clamp(1, MAX_DAYS) as usize;
    while days.len() < wanted {
        let d = draw.random_range(2..=31u32);
        if !days.contains(&d) {
            days.push(d);
        }
    }
    for (i, d) in days.iter().enumerate() {
        let day = format!("2013-01-{d:02}");
        let sc = parse_submission(id, &text.replace(SHOWN_DAY, &day), path)?;
        let mut q = sc.start();
        q.run_until(sc.until);
        let s = crate::check::structured::summarize(&q);
        let share = s.dropped as f64 / (s.input_rows.max(1)) as f64;
        let ok_drop = share <= t.max_dropped;
        let ok_delay = s.mean_emission_delay_ms <= t.max_mean_delay_ms as f64;
        let ok_windows = s.windows_emitted >= t.min_windows;
        grade.add(
            ok_drop && ok_delay && ok_windows,
            format!(
                "hidden day #{}: {} of {} rows dropped by the watermark ({:.2} %, at most {} %); mean emission delay {:.0} ms (at most {}); {} windows written (at least {})",
                i + 1,
                s.dropped,
                s.input_rows,
                share * 100.0,
                t.max_dropped * 100.0,
                s.mean_emission_delay_ms,
                t.max_mean_delay_ms,
                s.windows_emitted,
                t.min_windows
            ),
        );
    }
    Ok(grade)
}
