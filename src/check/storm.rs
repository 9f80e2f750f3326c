//! `stream-sim storm SCENARIO [--check]`: a Storm scenario run, and judged record by
//! record against the same run without faults, by the same verdict as the DStream model.

use super::verdict::Verdict;
use crate::ledger::{Ledger, RecordId};
use crate::models::storm::StormEvent;
use crate::scenario::storm::{load, resolve};
use crate::scenario::ScenarioError;
use crate::sim::Time;
use std::collections::BTreeMap;
use std::fmt;

/// `stream-sim storm SCENARIO`: runs it and returns what to print: the trace's fault and
/// timeout events, the report (emitted, acked, failed, timed out, latency, throughput), the
/// 10 largest counts, and with `check` the per-record verdict against the same run without
/// faults (state updated twice shows as duplicates). With `trace`, also every trace event
/// as JSON lines.
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
    if sc.trident.is_some() {
        return Ok(trident_command(&sc, check));
    }
    let c = sc.run(seed, true);
    let mut out = vec![format!("storm scenario `{}`: {}", sc.name, sc.description)];
    for e in c.trace() {
        let show = trace
            || matches!(
                e,
                StormEvent::WorkerKilled { .. }
                    | StormEvent::WorkerRestarted { .. }
                    | StormEvent::NimbusKilled { .. }
                    | StormEvent::NetworkChanged { .. }
                    | StormEvent::TreesTimedOut { .. }
            );
        if show {
            out.push(serde_json::to_string(e).unwrap_or_default());
        }
    }
    let r = c.report();
    out.push(format!(
        "trees: {} emitted, {} acked, {} failed, {} timed out, {} pending; {} state updates",
        r.emitted, r.acked, r.failed, r.timed_out, r.pending, r.state_updates
    ));
    out.push(format!(
        "complete latency p50 {} ms, p99 {} ms; throughput {:.1} trees acked per virtual second",
        r.complete_latency_ms.0, r.complete_latency_ms.1, r.throughput_per_s
    ));
    out.extend(super::verdict::top_counts(&c.state()));
    if check {
        let reference = sc.run(seed, false);
        let cutoff = Time::ZERO.plus(sc.run_for);
        let v = Verdict::compare(reference.ledger(), c.ledger(), cutoff);
        match state_loss(c.ledger()) {
            None => out.push(format!(
                "{v} (a duplicate is a record whose tuples updated state in two trees)"
            )),
            Some(loss) => {
                out.push(format!(
                    "{}, not exactly-once: the state lost updates (processing alone: {v})",
                    state_label(&v, &loss)
                ));
                out.push(loss.to_string());
            }
        }
        let (expected, got) = (reference.state(), c.state());
        let differ = expected
            .iter()
            .filter(|(k, n)| got.get(*k) != Some(n))
            .count();
        out.push(format!(
            "counts: {differ} of {} keys differ from the run without faults",
            expected.len()
        ));
    }
    Ok(out.join("\n"))
}

/// A `[trident]` scenario: batches committed and replayed, latency, the counts, and with
/// `check` the verdict against the run without faults.
fn trident_command(sc: &crate::scenario::storm::StormScenario, check: bool) -> String {
    let mut out = vec![format!(
        "storm scenario `{}` (Trident): {}",
        sc.name, sc.description
    )];
    let Some(r) = sc.run_trident(true) else {
        return out.join("\n");
    };
    out.push(format!(
        "batches: {} committed, {} replayed; arrival to commit p50 {} ms, p99 {} ms",
        r.committed, r.replayed, r.latency_ms.0, r.latency_ms.1
    ));
    let mut top: Vec<_> = r.state.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let shown: Vec<String> = top
        .iter()
        .take(10)
        .map(|(k, v)| format!("({k},{v})"))
        .collect();
    out.push(format!(
        "state (top 10 of {}): {}",
        top.len(),
        shown.join(" ")
    ));
    if check {
        if let Some(reference) = sc.run_trident(false) {
            let v = Verdict::compare(&reference.ledger, &r.ledger, Time::ZERO.plus(sc.run_for));
            out.push(format!(
                "{v} (a duplicate is a record whose words entered the state twice)"
            ));
            let differ = reference
                .state
                .iter()
                .filter(|(k, n)| r.state.get(*k) != Some(n))
                .count();
            out.push(format!(
                "state: {differ} of {} keys differ from the run without faults",
                reference.state.len()
            ));
        }
    }
    out.join("\n")
}

/// Records whose state updates died with a worker and were never replayed (a Storm bolt's
/// counts live in its worker's memory; acking only replays trees still pending), grouped by
/// what destroyed them (the worker and the bolt task's keys).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateLoss {
    /// The records, in id order.
    pub records: Vec<RecordId>,
    /// Per cause (`"worker-1 died with the in-memory counts of count[1] (keys ...)"`), how
    /// many records.
    pub causes: BTreeMap<String, usize>,
}

/// The state loss a run's ledger records ([`Ledger::states_lost`]), or `None` without one.
pub fn state_loss(ledger: &Ledger) -> Option<StateLoss> {
    let lost = ledger.states_lost();
    if lost.is_empty() {
        return None;
    }
    let mut causes = BTreeMap::new();
    for (_, _, why) in &lost {
        *causes.entry(why.clone()).or_insert(0) += 1;
    }
    Some(StateLoss {
        records: lost.into_iter().map(|(id, _, _)| id).collect(),
        causes,
    })
}

/// The guarantee the state kept, given the per-record verdict on processing and the state
/// loss: lost updates are a loss (`at-most-once` without duplicates, `none` with them).
pub fn state_label(v: &Verdict, loss: &StateLoss) -> &'static str {
    if loss.records.is_empty() {
        v.label()
    } else if v.duplicated.is_empty() {
        "at-most-once for the state"
    } else {
        "none for the state"
    }
}

impl fmt::Display for StateLoss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first: Vec<String> = self
            .records
            .iter()
            .take(5)
            .map(|(_, o)| o.to_string())
            .collect();
        write!(
            f,
            "state lost: the updates of {} records (offsets {}{}) are gone and no replay restores them (their trees were acked): not exactly-once, not even at-least-once for the state;",
            self.records.len(),
            first.join(", "),
            if self.records.len() > 5 { ", ..." } else { "" }
        )?;
        for (why, n) in &self.causes {
            write!(f, " {why}: {n} records;")?;
        }
        Ok(())
    }
}
