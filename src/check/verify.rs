//! `verify`: one scenario run without and with its faults, compared record by record and
//! output batch by output batch.

use super::verdict::Verdict;
use crate::cluster::FaultPlan;
use crate::ledger::Ledger;
use crate::scenario::{RunOptions, Scenario};
use crate::sim::{Duration, Time};

/// The outcome of one faulty run compared with its reference run.
#[derive(Clone, Debug)]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// The faults injected.
    pub faults: FaultPlan,
    /// Lost / duplicated / delivered once.
    pub verdict: Verdict,
    /// For the first few lost and duplicated records: `(record, cause)`.
    pub causes: Vec<String>,
    /// The faulty run's ledger.
    pub ledger: Ledger,
    /// Output comparison, per (output operation, batch time) of the reference run.
    pub outputs: OutputDiff,
}

/// How the faulty run's output operations compare with the reference run's, batch by batch
/// (for `print`, the printed records; the last execution of a batch counts).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutputDiff {
    /// (operation, batch) pairs the reference produced.
    pub batches: usize,
    /// Of those, how many the faulty run produced with other records, or not at all.
    pub differ: usize,
    /// (operation, batch) pairs the faulty run executed more than once.
    pub repeated: usize,
    /// The first differing pair: `(operation index, batch time)`.
    pub first_difference: Option<(usize, Time)>,
}

type Outputs = std::collections::BTreeMap<(usize, Time), (Vec<String>, u32)>;

fn outputs_of(events: &[crate::models::dstream::Event], until: Time) -> Outputs {
    let mut out = Outputs::new();
    for e in events {
        if let crate::models::dstream::Event::Output {
            time, index, lines, ..
        } = e
        {
            if *time <= until {
                let entry = out.entry((*index, *time)).or_default();
                entry.0 = lines.clone();
                entry.1 += 1;
            }
        }
    }
    out
}

impl OutputDiff {
    fn compare(reference: &Outputs, faulty: &Outputs) -> OutputDiff {
        let mut d = OutputDiff {
            batches: reference.len(),
            ..OutputDiff::default()
        };
        for (key, (lines, _)) in reference {
            if faulty.get(key).map(|(l, _)| l) != Some(lines) {
                d.differ += 1;
                d.first_difference.get_or_insert(*key);
            }
        }
        d.repeated = faulty.values().filter(|(_, n)| *n > 1).count();
        d
    }
}

impl std::fmt::Display for OutputDiff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "outputs: {} of {} batches differ from the reference, {} written more than once",
            self.differ, self.batches, self.repeated
        )?;
        if let Some((op, t)) = self.first_difference {
            write!(f, " (first: output operation {op} at {t})")?;
        }
        Ok(())
    }
}

/// How long after `until` a run continues so replayed data can come through: the restart
/// delays plus three batches.
fn drain(sc: &Scenario) -> Duration {
    sc.cluster.driver_restart_delay + sc.cluster.receiver_restart_delay + sc.batch_interval * 3
}

fn run_ledger(
    sc: &Scenario,
    options: &RunOptions,
    until: Time,
) -> Result<(Ledger, Vec<crate::models::dstream::Event>), String> {
    let built = sc.build(options).map_err(|e| e.to_string())?;
    let mut sink = std::io::sink();
    built
        .run_printing(until, &mut sink)
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("job failed: {e}"))?;
    Ok((built.ssc.ledger(), built.ssc.trace()))
}

/// Runs `sc` without its faults (the reference) and with them, both with `options.seed`,
/// and compares what happened to every input record written out by `until`.
///
/// # Errors
/// A build error or a failed job, as text.
pub fn verify(sc: &Scenario, options: &RunOptions, until: Time) -> Result<Report, String> {
    let mut reference = sc.clone();
    reference.cluster.faults = FaultPlan::default();
    reference.cluster.random_faults = None;
    let end = until.plus(drain(sc));
    let (r, r_events) = run_ledger(&reference, options, end)?;
    let (f, f_events) = run_ledger(sc, options, end)?;
    let verdict = Verdict::compare(&r, &f, until);
    let outputs = OutputDiff::compare(&outputs_of(&r_events, until), &outputs_of(&f_events, until));
    let mut causes = Vec::new();
    for id in verdict.lost.iter().take(3) {
        causes.push(format!(
            "lost {}#{}: {}",
            id.0,
            id.1,
            Verdict::cause(&f, *id)
        ));
    }
    for id in verdict.duplicated.iter().take(3) {
        causes.push(format!(
            "duplicated {}#{}: {}",
            id.0,
            id.1,
            Verdict::cause(&f, *id)
        ));
    }
    Ok(Report {
        seed: options.seed,
        faults: sc.cluster.faults.clone(),
        verdict,
        causes,
        ledger: f,
        outputs,
    })
}
