//! `stream-sim flink SCENARIO [--check] [--trace]`: a Flink scenario run, and judged record
//! by record against the same run without faults, by the same verdict as the other models.

use super::verdict::Verdict;
use crate::models::flink::{FlinkEvent, MiniCluster};
use crate::scenario::flink::{load, resolve};
use crate::scenario::ScenarioError;
use crate::sim::Time;

fn is_summary(e: &FlinkEvent) -> bool {
    matches!(
        e,
        FlinkEvent::JobFailed { .. }
            | FlinkEvent::ProtocolFault { .. }
            | FlinkEvent::CheckpointAborted { .. }
            | FlinkEvent::TransactionsRecovered { .. }
            | FlinkEvent::WatermarkStatus { .. }
            | FlinkEvent::JobRestarted { .. }
            | FlinkEvent::JobStopped { .. }
            | FlinkEvent::NetworkChanged { .. }
            | FlinkEvent::CheckpointCompleted {
                savepoint: true,
                ..
            }
    )
}

/// The window firings as `(key, window, count)` lines, sorted (what a print sink shows,
/// in an order that does not depend on the subtask).
fn firings(c: &MiniCluster) -> Vec<String> {
    let mut v: Vec<String> = c
        .firings()
        .iter()
        .map(|f| {
            format!(
                "({},{},{}){}",
                f.key,
                f.window,
                f.count,
                if f.late_firing { " late firing" } else { "" }
            )
        })
        .collect();
    v.sort();
    v
}

/// `stream-sim flink SCENARIO`: runs it and returns what to print: failures, restarts and
/// savepoints from the trace, the report (checkpoints, alignment, in-flight data persisted,
/// restarts, records, updates, commits, record latency), the 10 largest counts or the first
/// window firings, the late elements; with `check` the per-record verdict against the same
/// run without faults, and how many counts or firings differ. With `trace`, every trace
/// event as JSON lines.
///
/// # Errors
/// The scenario's load error.
pub fn run_command(
    name: &str,
    seed: u64,
    check: bool,
    trace: bool,
) -> Result<String, ScenarioError> {
    let sc = load(&resolve(name)?)?;
    let c = sc.run(seed, true);
    let mut out = vec![format!("flink scenario `{}`: {}", sc.name, sc.description)];
    for e in c.trace() {
        if trace || is_summary(e) {
            out.push(serde_json::to_string(e).unwrap_or_default());
        }
    }
    let r = c.report();
    let (p50, p99) = c.record_latency_ms();
    out.push(format!(
        "checkpoints: {} completed, longest alignment {} ms, {} in-flight records persisted; {} restarts",
        r.checkpoints_completed, r.alignment_ms_max, r.in_flight_persisted, r.restarts
    ));
    out.push(format!(
        "records: {} read, {} state updates, {} committed outputs; source to operator p50 {p50} ms, p99 {p99} ms",
        r.records_read, r.state_updates, r.committed_outputs
    ));
    out.extend(super::verdict::top_counts(&c.state()));
    if !c.firings().is_empty() || !c.late_elements().is_empty() {
        let f = firings(&c);
        out.push(format!(
            "window firings: {} ({} late firings); late elements to the side output: {}",
            f.len(),
            c.firings().iter().filter(|f| f.late_firing).count(),
            c.late_elements().len()
        ));
        for line in f.iter().take(10) {
            out.push(format!("  {line}"));
        }
    }
    if check {
        let reference = sc.run(seed, false);
        let cutoff = Time::ZERO.plus(sc.run_for);
        let v = Verdict::compare(&reference.ledger(), &c.ledger(), cutoff);
        out.push(format!(
            "{v} (a duplicate is a record whose words are in the state twice)"
        ));
        let (expected, got) = (reference.state(), c.state());
        if !expected.is_empty() {
            let differ = expected
                .iter()
                .filter(|(k, n)| got.get(*k) != Some(n))
                .count();
            out.push(format!(
                "counts: {differ} of {} keys differ from the run without faults",
                expected.len()
            ));
        }
        let (a, b) = (firings(&reference), firings(&c));
        if !a.is_empty() {
            let missing = a.iter().filter(|x| !b.contains(x)).count();
            let extra = b.len().saturating_sub(a.len() - missing);
            out.push(format!(
                "window firings: {missing} of {} missing, {extra} extra (fired again after a restore) against the run without faults",
                a.len()
            ));
        }
    }
    Ok(out.join("\n"))
}
