//! Shrinking a violating run to a minimal fault schedule: delta debugging (Zeller and
//! Hildebrandt, "Simplifying and Isolating Failure-Inducing Input", IEEE TSE 28(2), 2002)
//! over the fault list, then over each fault's time and parameters, then over the knobs.
//!
//! A candidate still fails when its run breaks the declared guarantee with the same cause
//! group as the original (so shrinking does not slide to another failure). The result is
//! 1-minimal in the fault list: removing any one remaining fault makes the run keep the
//! guarantee (or fail otherwise).

use super::knobs::Knobs;
use crate::cluster::Fault;
use crate::sim::Time;

/// The most runs one shrink may take (each is a faulty run checked against its reference).
pub const MAX_SHRINK_RUNS: u32 = 60;

/// A shrunk violation.
#[derive(Clone, Debug, PartialEq)]
pub struct Shrunk {
    /// The seed (it still draws the in-run network and acknowledgement latencies).
    pub seed: u64,
    /// The knobs the seed drew.
    pub original: Knobs,
    /// The smallest knobs found that still fail the same way.
    pub knobs: Knobs,
    /// Runs the shrink took (at most [`MAX_SHRINK_RUNS`]).
    pub runs: u32,
}

/// Shrinks `start`: `fails(knobs)` runs a candidate and says whether it still fails the
/// same way (it is called at most [`MAX_SHRINK_RUNS`] times).
pub fn shrink(seed: u64, start: &Knobs, fails: &mut dyn FnMut(&Knobs) -> bool) -> Shrunk {
    let mut runs = 0u32;
    let mut best = start.clone();
    let mut test = |k: &Knobs, runs: &mut u32| -> bool {
        if *runs >= MAX_SHRINK_RUNS {
            return false;
        }
        *runs += 1;
        fails(k)
    };
    // 1. The fault list: ddmin on small lists reduces to removing one fault at a time
    //    until no single removal still fails (1-minimal).
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..best.faults.faults.len() {
            let mut cand = best.clone();
            cand.faults.faults.remove(i);
            if test(&cand, &mut runs) {
                best = cand;
                changed = true;
                break;
            }
        }
    }
    // 2. Each fault's parameters: halve network latency and loss while it still fails.
    for i in 0..best.faults.faults.len() {
        loop {
            let mut cand = best.clone();
            let f = &mut cand.faults.faults[i].1;
            match f {
                Fault::Latency(lo, hi) if *hi > 10 => {
                    *hi /= 2;
                    *lo = (*lo).min(*hi);
                }
                Fault::Loss(p) if *p > 0.001 => *p = (*p / 2.0 * 1e4).round() / 1e4,
                _ => break,
            }
            if !test(&cand, &mut runs) {
                break;
            }
            best = cand;
        }
    }
    // 3. Each fault's time: the roundest time near it that still fails (whole seconds,
    //    then tenths).
    for i in 0..best.faults.faults.len() {
        let t = best.faults.faults[i].0.ms();
        for step in [1000, 100] {
            let round = t / step * step;
            if round == t {
                break;
            }
            let mut cand = best.clone();
            cand.faults.faults[i].0 = Time(round);
            cand.faults.faults.sort_by_key(|(t, _)| *t);
            if test(&cand, &mut runs) {
                best = cand;
                break;
            }
        }
    }
    // 4. The knobs: back to the scenario's own setting, one at a time.
    let resets: [fn(&mut Knobs) -> bool; 4] = [
        |k| k.block_interval.take().is_some(),
        |k| k.ack_latency_ms.take().is_some(),
        |k| k.rate_factor.take().is_some(),
        |k| k.record_us.take().is_some(),
    ];
    for reset in resets {
        let mut cand = best.clone();
        if reset(&mut cand) && test(&cand, &mut runs) {
            best = cand;
        }
    }
    Shrunk {
        seed,
        original: start.clone(),
        knobs: best,
        runs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::FaultPlan;

    /// A failure that needs only the driver kill (at or after 6 s) is shrunk to that one
    /// fault at a whole second, with the latency and loss gone and the knobs reset.
    #[test]
    fn shrinks_to_the_one_fault_that_matters() {
        let start = Knobs {
            block_interval: Some(crate::sim::Duration::from_ms(100)),
            rate_factor: Some(2),
            faults: FaultPlan {
                faults: vec![
                    (Time(1000), Fault::Latency(0, 400)),
                    (Time(1000), Fault::Loss(0.05)),
                    (Time(6437), Fault::KillDriver),
                ],
            },
            ..Knobs::default()
        };
        let mut fails = |k: &Knobs| {
            k.faults
                .faults
                .iter()
                .any(|(t, f)| *f == Fault::KillDriver && t.ms() >= 6000)
        };
        let s = shrink(7, &start, &mut fails);
        assert_eq!(s.knobs.faults.faults, vec![(Time(6000), Fault::KillDriver)]);
        assert_eq!(s.knobs.block_interval, None);
        assert_eq!(s.knobs.rate_factor, None);
        assert!(s.runs <= MAX_SHRINK_RUNS);
        // A failure needing latency above 100 ms keeps the latency, halved down to 200 ms.
        let mut needs_latency = |k: &Knobs| {
            k.faults
                .faults
                .iter()
                .any(|(_, f)| matches!(f, Fault::Latency(_, hi) if *hi > 100))
        };
        let s = shrink(7, &start, &mut needs_latency);
        assert_eq!(
            s.knobs.faults.faults,
            vec![(Time(1000), Fault::Latency(0, 200))]
        );
    }
}
