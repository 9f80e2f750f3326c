//! Faults: what breaks, and when.
//!
//! In a scenario, faults are lines of a `faults` string, one per line:
//!
//! ```text
//! at 12.5s kill worker-2
//! at 20s restart worker-2
//! at 30s kill driver
//! ```
//!
//! A dead driver is restarted by the deployment after the cluster's `driver_restart_delay`
//! and recovers with `StreamingContext.getOrCreate` from its checkpoint, if it has one.
//! Random faults come from the seed ([`FaultPlan::random`]).

use crate::sim::rng::SeedTree;
use crate::sim::{Duration, Time};
use rand::Rng;

/// One fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// The named worker's machine fails.
    KillWorker(String),
    /// The named worker's machine comes back (empty).
    RestartWorker(String),
    /// The driver fails (and every executor with it).
    KillDriver,
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::KillWorker(w) => write!(f, "kill {w}"),
            Fault::RestartWorker(w) => write!(f, "restart {w}"),
            Fault::KillDriver => f.write_str("kill driver"),
        }
    }
}

/// Faults at exact virtual times.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// `(when, what)`, in the order given.
    pub faults: Vec<(Time, Fault)>,
}

/// Which kind of failure a random plan injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// One worker (the first receiver's) fails once.
    Worker,
    /// The driver fails once.
    Driver,
}

impl FaultPlan {
    /// Parses fault lines (`at 12.5s kill worker-2`, `at 30s kill driver`,
    /// `at 40s restart worker-2`); `#` starts a comment. Errors give the line (1-based) and
    /// column within `text` and say what would be valid.
    ///
    /// # Errors
    /// `(line, column, message)` of the first bad line.
    pub fn parse(text: &str) -> Result<FaultPlan, (u32, u32, String)> {
        let mut faults = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("");
            if line.trim().is_empty() {
                continue;
            }
            let col = |word: &str| raw.find(word).map_or(1, |c| c as u32 + 1);
            let words: Vec<&str> = line.split_whitespace().collect();
            let bad = |word: &str, msg: String| Err((i as u32 + 1, col(word), msg));
            let expected = "expected `at <time> kill worker-N`, `at <time> restart worker-N` or `at <time> kill driver`";
            if words.first() != Some(&"at") {
                return bad(words[0], format!("{expected}, found `{}`", words[0]));
            }
            let Some(when) = words.get(1) else {
                return bad("at", format!("{expected}: the time is missing"));
            };
            let at = match Duration::parse(when) {
                Ok(d) => Time::ZERO.plus(d),
                Err(m) => return bad(when, m),
            };
            let fault = match (words.get(2).copied(), words.get(3).copied()) {
                (Some("kill"), Some("driver")) => Fault::KillDriver,
                (Some("kill"), Some(w)) if w.starts_with("worker-") => {
                    Fault::KillWorker(w.to_string())
                }
                (Some("restart"), Some(w)) if w.starts_with("worker-") => {
                    Fault::RestartWorker(w.to_string())
                }
                (Some(verb), Some(target)) => {
                    return bad(verb, format!("{expected}, found `{verb} {target}`"));
                }
                _ => {
                    return bad(
                        when,
                        format!("{expected}: the fault is missing after the time"),
                    )
                }
            };
            if words.len() > 4 {
                return bad(
                    words[4],
                    format!("unexpected `{}` after the fault; {expected}", words[4]),
                );
            }
            faults.push((at, fault));
        }
        Ok(FaultPlan { faults })
    }

    /// One failure of `kind` at a time drawn uniformly (whole milliseconds) from
    /// `[from, until)`, from the seed's `faults` stream. Worker failures hit `worker-1`, where
    /// the first receiver runs.
    pub fn random(seeds: &SeedTree, kind: FailureKind, from: Time, until: Time) -> FaultPlan {
        let mut rng = seeds.rng("faults");
        let at = Time(rng.random_range(from.ms()..until.ms().max(from.ms() + 1)));
        let fault = match kind {
            FailureKind::Worker => Fault::KillWorker("worker-1".into()),
            FailureKind::Driver => Fault::KillDriver,
        };
        FaultPlan {
            faults: vec![(at, fault)],
        }
    }

    /// True when there is nothing to inject.
    pub fn is_empty(&self) -> bool {
        self.faults.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fault_lines_and_points_at_mistakes() {
        let plan = FaultPlan::parse(
            "at 12.5s kill worker-2\n# comment\nat 30s kill driver\nat 40s restart worker-2",
        )
        .unwrap();
        assert_eq!(
            plan.faults,
            vec![
                (Time(12_500), Fault::KillWorker("worker-2".into())),
                (Time(30_000), Fault::KillDriver),
                (Time(40_000), Fault::RestartWorker("worker-2".into())),
            ]
        );
        let (line, col, msg) =
            FaultPlan::parse("at 1s kill driver\nat 2s smash worker-1").unwrap_err();
        assert_eq!((line, col), (2, 7));
        assert!(msg.contains("found `smash worker-1`"), "{msg}");
        assert!(FaultPlan::parse("at 2 kill driver")
            .unwrap_err()
            .2
            .contains("no unit"));
    }
}
