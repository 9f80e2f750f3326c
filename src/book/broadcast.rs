//! Chapter 7's broadcast variables after recovery: `broadcast-recovery` (a broadcast captured
//! by a checkpointed function fails in the recovered driver, as Spark 3.5.3 fails:
//! `tests/fixtures/broadcast/`), its fixed twin with the guide's singleton, and the exercise
//! whose captured broadcast is `broadcast_5`.

use super::{edited, load, options, secs, Make};
use crate::scenario::Scenario;
use crate::sim::Time;
use std::fmt::Write as _;

/// The snippets, by file name.
pub(super) fn snippets() -> Vec<(&'static str, Make)> {
    vec![
        (
            "ch07-broadcast.txt",
            Box::new(|| run_from(load("broadcast-recovery")?, secs(12), 5000)),
        ),
        (
            "ch07-broadcast-fixed.txt",
            Box::new(|| run_from(load("broadcast-recovery-fixed")?, secs(12), 5000)),
        ),
        (
            "ch07-ex5.txt",
            Box::new(|| {
                let sc = edited(
                    "broadcast-recovery",
                    &[(
                        "excluded = sc.broadcast(",
                        "b0 = sc.broadcast(0); b1 = sc.broadcast(1); b2 = sc.broadcast(2)\nb3 = sc.broadcast(3); b4 = sc.broadcast(4)\nexcluded = sc.broadcast(",
                    )],
                )?;
                let text = run_from(sc, secs(12), 6000)?;
                Ok(text
                    .lines()
                    .skip_while(|l| !l.starts_with("stream-sim: job failed"))
                    .map(|l| format!("{l}\n"))
                    .collect())
            }),
        ),
    ]
}

/// What `stream-sim run` prints from batch `from_ms` on (stdout), then the failed job's line
/// (stderr, wrapped) or the batch summary's first line.
fn run_from(sc: Scenario, until: Time, from_ms: u64) -> Result<String, String> {
    use crate::models::dstream::Event;
    let built = sc.build(&options()).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let failed = built
        .run_printing(until, &mut buf)
        .map_err(|e| e.to_string())?
        .err();
    let text = String::from_utf8(buf).map_err(|e| e.to_string())?;
    let mut out = String::new();
    let mut keeping = false;
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("----") {
            if let Some(ms) = lines
                .get(i + 1)
                .and_then(|n| n.strip_prefix("Time: "))
                .and_then(|r| r.strip_suffix(" ms"))
                .and_then(|r| r.parse::<u64>().ok())
            {
                keeping = ms >= from_ms;
            }
        }
        if keeping && !line.is_empty() {
            out.push_str(line);
            out.push('\n');
        }
    }
    let restarts: Vec<String> = built
        .ssc
        .trace()
        .into_iter()
        .filter_map(|e| match e {
            Event::DriverKilled { time, .. } => Some(format!("(driver killed at {time})")),
            Event::DriverRestarted { time, rerun, .. } => Some(format!(
                "(driver restarted from the checkpoint at {time}; re-runs {} batches from {})",
                rerun.len(),
                rerun.first().map_or("-".into(), |t| t.to_string())
            )),
            _ => None,
        })
        .collect();
    built.ssc.stop();
    if let Some(e) = failed {
        let _ = writeln!(out, "{}", wrap(&format!("stream-sim: job failed: {e}"), 96));
    }
    if restarts.is_empty() {
        return Err("no driver restart in the run".into());
    }
    Ok(format!("{}\n{out}", restarts.join("\n")))
}

/// `line` broken at spaces into lines of at most `width` characters, continuations indented.
fn wrap(line: &str, width: usize) -> String {
    let mut out = String::new();
    let mut current = String::new();
    for word in line.split(' ') {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&current);
            out.push('\n');
            current = String::from("   ");
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    out.push_str(&current);
    out
}
