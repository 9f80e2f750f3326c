//! What `stream-sim sweep` prints: the runs and their speed, the reference runs reused, the
//! verdicts' labels, runs with loss and duplicates, and against the scenario's declared
//! guarantee (`expect`) the violations grouped by cause, each with its replay command and
//! shrunk fault schedule, and the first failing seeds.

use super::{replay_command, FailMode, SweepResult};
use crate::cluster::Guarantee;
use std::fmt::Write as _;

/// The sweep's report as text, one finding a line (ends with a newline).
///
/// `name` is the scenario's name, `expect` its declared guarantee, `scenario` the argument
/// the user gave (so the replay commands can be pasted), `fail` the failure drawn per seed
/// and `secs` the wall-clock seconds the sweep took (the only figure that is not
/// deterministic; it is printed, never used).
pub fn render(
    r: &SweepResult,
    name: &str,
    expect: Option<Guarantee>,
    scenario: &str,
    fail: FailMode,
    secs: f64,
) -> String {
    let mut out = String::new();
    let mut say = |line: String| {
        let _ = writeln!(out, "{line}");
    };
    say(format!(
        "{} runs of {} with a random {:?} failure each ({:.1} s, {:.0} seeds/s)",
        r.runs,
        name,
        fail,
        secs,
        r.runs as f64 / secs.max(1e-9)
    ));
    say(match &r.reuse_refused {
        None => format!(
            "  reference runs: {} for {} seeds (reused across seeds with the same block interval, rate and cost: without faults the run cannot depend on the seed)",
            r.reference_runs, r.runs
        ),
        Some(why) => format!("  reference runs: {} ({why})", r.reference_runs),
    });
    for (label, n) in &r.labels {
        say(format!("  {label:<14} {n}"));
    }
    say(format!(
        "  runs with loss: {}, runs with duplicates: {}",
        r.with_loss, r.with_duplicates
    ));
    let replay = |seed: u64| {
        r.knobs.get(&seed).map_or_else(
            || {
                format!(
                    "stream-sim run {scenario} --seed {seed} --random-fault {} --check",
                    format!("{fail:?}").to_lowercase()
                )
            },
            |k| replay_command(scenario, seed, k),
        )
    };
    if let Some(g) = expect {
        say(format!(
            "violations of the declared guarantee (expect = \"{}\"): {} of {} runs",
            g.name(),
            r.violations,
            r.runs
        ));
        if r.undecided.0 > 0 {
            say(format!(
                "  undecided: {} runs lost only records in batches still queued after the input stopped at the horizon and the backlog drained for up to {}x the checked length (verify::SETTLE_LIMIT_FACTOR): delay or loss\n    first: {}",
                r.undecided.0,
                crate::check::verify::SETTLE_LIMIT_FACTOR,
                replay(r.undecided.1)
            ));
        }
        for (cause, (n, seed)) in &r.violation_causes {
            say(format!(
                "  {n} runs: {cause}\n    replay: {}",
                replay(*seed)
            ));
            if let Some(s) = r.shrunk.get(cause) {
                say(format!(
                    "    shrunk ({} runs): {}\n    replay shrunk: {}",
                    s.runs,
                    s.knobs.schedule(),
                    replay_command(scenario, s.seed, &s.knobs)
                ));
            }
        }
    }
    for (seed, summary) in &r.first_failing {
        say(format!(
            "seed {seed}: {summary}\n  replay: {}",
            replay(*seed)
        ));
    }
    out
}
