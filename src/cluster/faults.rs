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
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// The named worker's machine fails.
    KillWorker(String),
    /// The named worker's machine comes back (empty).
    RestartWorker(String),
    /// The driver fails (and every executor with it).
    KillDriver,
    /// Network: block the nodes of the first list from those of the second (and back,
    /// unless one-way): `partition worker-1 | driver`, `partition worker-1 -> driver`.
    Partition(Vec<String>, Vec<String>, bool),
    /// Network: remove every partition.
    Heal,
    /// Network: a message is lost with this probability.
    Loss(f64),
    /// Network: latency of each message drawn from this range (ms).
    Latency(u64, u64),
    /// Protocol point: the named stream's receiver dies right after it stores its next
    /// block, before the acknowledgement leaves.
    KillReceiverAfterStore(String),
    /// Protocol point: the driver dies right after writing the next batch's metadata
    /// checkpoint, before the batch runs.
    KillDriverAfterCheckpoint,
    /// Protocol point: the next write of a block to the write-ahead log fails (the receiver
    /// reports the error and restarts).
    FailWalWrite,
    /// Protocol point: the tracker's next write of a batch allocation to its log fails
    /// (the blocks stay queued for the next batch).
    FailAllocationWrite,
    /// `ssc.stop(stopSparkContext = true, stopGracefully)`: `stop graceful` processes all
    /// received data first (`JobScheduler.stop(processAllReceivedData = true)`); `stop`
    /// does not.
    Stop {
        /// `stopGracefully`.
        graceful: bool,
    },
    /// Protocol point: a task of the next batch that runs fails this many times in a row
    /// (`fail task 2`); at `spark.task.maxFailures` attempts its job aborts.
    FailTask(u32),
    /// Protocol point: a task of the next batch's first output operation fails this many
    /// times after writing half of its partition (`fail output half-way`, `... half-way 4`).
    FailOutput(u32),
    /// Protocol point: the next metadata checkpoint write fails (`fail checkpoint-write`);
    /// `CheckpointWriter` logs it and goes on.
    FailCheckpointWrite,
    /// Reliable storage full (`fail storage`): every checkpoint write fails until
    /// `heal storage`.
    StorageFull(bool),
    /// Reliable storage slow (`slow storage 3s`): each checkpoint write takes this long
    /// (`slow storage 0s` heals it).
    SlowStorage(u64),
    /// A straggler (`slow worker-2 4x`): the worker's tasks take this many times longer
    /// (`slow worker-2 1x` heals it).
    SlowWorker(String, f64),
}

impl Fault {
    /// True for faults that wait for a protocol point instead of striking at their time.
    pub fn is_protocol_point(&self) -> bool {
        matches!(
            self,
            Fault::KillReceiverAfterStore(_)
                | Fault::KillDriverAfterCheckpoint
                | Fault::FailWalWrite
                | Fault::FailAllocationWrite
                | Fault::FailTask(_)
                | Fault::FailOutput(_)
                | Fault::FailCheckpointWrite
        )
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fault::KillWorker(w) => write!(f, "kill {w}"),
            Fault::RestartWorker(w) => write!(f, "restart {w}"),
            Fault::KillDriver => f.write_str("kill driver"),
            Fault::KillReceiverAfterStore(s) => write!(f, "kill receiver {s} after-store"),
            Fault::KillDriverAfterCheckpoint => f.write_str("kill driver after-checkpoint"),
            Fault::FailWalWrite => f.write_str("fail wal-write"),
            Fault::FailAllocationWrite => f.write_str("fail allocation-write"),
            Fault::Partition(a, b, one_way) => write!(
                f,
                "partition {} {} {}",
                a.join(","),
                if *one_way { "->" } else { "|" },
                b.join(",")
            ),
            Fault::Heal => f.write_str("heal"),
            Fault::Loss(p) => write!(f, "loss {p}"),
            Fault::Latency(lo, hi) => write!(f, "latency {lo}ms..{hi}ms"),
            Fault::Stop { graceful: true } => f.write_str("stop graceful"),
            Fault::Stop { graceful: false } => f.write_str("stop"),
            Fault::FailTask(n) => write!(f, "fail task {n}"),
            Fault::FailOutput(1) => f.write_str("fail output half-way"),
            Fault::FailOutput(n) => write!(f, "fail output half-way {n}"),
            Fault::FailCheckpointWrite => f.write_str("fail checkpoint-write"),
            Fault::StorageFull(true) => f.write_str("fail storage"),
            Fault::StorageFull(false) => f.write_str("heal storage"),
            Fault::SlowStorage(ms) => write!(f, "slow storage {ms}ms"),
            Fault::SlowWorker(w, x) => write!(f, "slow {w} {x}x"),
        }
    }
}

/// Rates of random faults (`[cluster] random_faults`), per virtual minute.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FaultRates {
    /// Worker failures per minute.
    pub worker_kills_per_min: f64,
    /// Driver failures per minute.
    pub driver_kills_per_min: f64,
    /// How long a failed worker stays down.
    pub worker_downtime: Duration,
}

/// Faults at exact virtual times.
#[derive(Clone, Debug, Default, PartialEq)]
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
            let expected = "expected `at <time>` then `kill worker-N`, `restart worker-N`, `kill driver`, `kill driver after-checkpoint`, `kill receiver <stream> after-store`, `fail wal-write`, `fail allocation-write`, `fail task N`, `fail output half-way [N]`, `fail checkpoint-write`, `fail storage`, `heal storage`, `slow storage 3s`, `slow worker-N 4x`, `stop`, `stop graceful`, `partition A | B`, `partition A -> B`, `heal`, `loss P` or `latency 10ms..200ms`";
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
            let rest: Vec<&str> = words[2..].to_vec();
            let fault = match rest.as_slice() {
                ["kill", "driver"] => Fault::KillDriver,
                ["kill", "driver", "after-checkpoint"] => Fault::KillDriverAfterCheckpoint,
                ["kill", "receiver", stream, "after-store"] => {
                    Fault::KillReceiverAfterStore(stream.to_string())
                }
                ["kill", w] if w.starts_with("worker-") => Fault::KillWorker(w.to_string()),
                ["restart", w] if w.starts_with("worker-") => Fault::RestartWorker(w.to_string()),
                ["fail", "wal-write"] => Fault::FailWalWrite,
                ["fail", "allocation-write"] => Fault::FailAllocationWrite,
                ["heal"] => Fault::Heal,
                ["stop"] => Fault::Stop { graceful: false },
                ["stop", "graceful"] => Fault::Stop { graceful: true },
                ["fail", "task", n] => match n.parse::<u32>() {
                    Ok(k) if (1..=100).contains(&k) => Fault::FailTask(k),
                    _ => return bad(n, format!("fail task needs a number of failed attempts between 1 and 100, e.g. `fail task 2`, found `{n}`")),
                },
                ["fail", "output", "half-way"] => Fault::FailOutput(1),
                ["fail", "output", "half-way", n] => match n.parse::<u32>() {
                    Ok(k) if (1..=100).contains(&k) => Fault::FailOutput(k),
                    _ => return bad(n, format!("fail output half-way takes a number of failed attempts between 1 and 100, e.g. `fail output half-way 4`, found `{n}`")),
                },
                ["fail", "checkpoint-write"] => Fault::FailCheckpointWrite,
                ["fail", "storage"] => Fault::StorageFull(true),
                ["heal", "storage"] => Fault::StorageFull(false),
                ["slow", "storage", d] => match Duration::parse(d) {
                    Ok(d) if d.ms() <= 3_600_000 => Fault::SlowStorage(d.ms()),
                    _ => return bad(d, format!("slow storage needs a write time up to 1h, e.g. `slow storage 3s`, found `{d}`")),
                },
                ["slow", w, x] if w.starts_with("worker-") => {
                    match x.strip_suffix('x').and_then(|v| v.parse::<f64>().ok()) {
                        Some(k) if (1.0..=1000.0).contains(&k) => Fault::SlowWorker(w.to_string(), k),
                        _ => return bad(x, format!("slow {w} needs a slowdown factor between 1x and 1000x, e.g. `slow {w} 4x`, found `{x}`")),
                    }
                }
                ["loss", p] => match p.parse::<f64>() {
                    Ok(x) if (0.0..=1.0).contains(&x) => Fault::Loss(x),
                    _ => return bad(p, format!("loss needs a probability between 0 and 1, e.g. `loss 0.1`, found `{p}`")),
                },
                ["latency", range] => {
                    let (lo, hi) = range.split_once("..").unwrap_or((range, range));
                    match (Duration::parse(lo), Duration::parse(hi)) {
                        (Ok(lo), Ok(hi)) if lo <= hi => Fault::Latency(lo.ms(), hi.ms()),
                        _ => return bad(range, format!("latency needs a duration or a range, e.g. `latency 50ms` or `latency 10ms..200ms`, found `{range}`")),
                    }
                }
                ["partition", spec @ ..] => {
                    let joined = spec.join(" ");
                    let (one_way, sides) = if let Some((a, b)) = joined.split_once("->") {
                        (true, (a.to_string(), b.to_string()))
                    } else if let Some((a, b)) = joined.split_once('|') {
                        (false, (a.to_string(), b.to_string()))
                    } else {
                        return bad("partition", format!("partition needs two sides, e.g. `partition worker-1 | driver` or `partition worker-1 -> driver`, found `{joined}`"));
                    };
                    let list = |s: &str| -> Vec<String> { s.split(|c: char| c == ',' || c.is_whitespace()).filter(|x| !x.is_empty()).map(str::to_string).collect() };
                    let (a, b) = (list(&sides.0), list(&sides.1));
                    if a.is_empty() || b.is_empty() {
                        return bad("partition", format!("partition needs nodes on both sides (driver, worker-N, source), found `{joined}`"));
                    }
                    for n in a.iter().chain(&b) {
                        if n != "driver" && n != "source" && !n.starts_with("worker-") {
                            return bad(n, format!("unknown node `{n}`; nodes are driver, source and worker-N"));
                        }
                    }
                    Fault::Partition(a, b, one_way)
                }
                [] => {
                    return bad(
                        when,
                        format!("{expected}: the fault is missing after the time"),
                    )
                }
                [first, ..] => {
                    return bad(first, format!("{expected}, found `{}`", rest.join(" ")))
                }
            };
            faults.push((at, fault));
        }
        Ok(FaultPlan { faults })
    }

    /// Faults drawn from the seed's `faults/rates` stream as Poisson processes over
    /// `[from, until)`: worker failures (each hits a uniformly chosen worker, which restarts
    /// `worker_downtime` later) and driver failures, at the given rates per virtual minute.
    pub fn at_rates(
        seeds: &SeedTree,
        rates: &FaultRates,
        workers: usize,
        from: Time,
        until: Time,
    ) -> FaultPlan {
        let mut rng = seeds.rng("faults/rates");
        let mut faults = Vec::new();
        let draw = |per_min: f64, rng: &mut rand_chacha::ChaCha8Rng| -> Vec<Time> {
            let mut times = Vec::new();
            if per_min <= 0.0 {
                return times;
            }
            let mean_ms = 60_000.0 / per_min;
            let mut t = from.ms() as f64;
            loop {
                // Exponential inter-arrival times: -ln(U) * mean.
                let u: f64 = rng.random_range(f64::EPSILON..1.0);
                t += -u.ln() * mean_ms;
                if t >= until.ms() as f64 || times.len() >= 1000 {
                    return times;
                }
                times.push(Time(t as u64));
            }
        };
        for at in draw(rates.worker_kills_per_min, &mut rng) {
            let w = format!("worker-{}", rng.random_range(1..=workers.max(1)));
            faults.push((at, Fault::KillWorker(w.clone())));
            faults.push((at.plus(rates.worker_downtime), Fault::RestartWorker(w)));
        }
        for at in draw(rates.driver_kills_per_min, &mut rng) {
            faults.push((at, Fault::KillDriver));
        }
        faults.sort_by_key(|(t, _)| *t);
        FaultPlan { faults }
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
        // The mechanisms' lines read back as they print.
        for line in [
            "stop",
            "stop graceful",
            "fail task 3",
            "fail output half-way",
            "fail output half-way 4",
            "fail checkpoint-write",
            "fail storage",
            "heal storage",
            "slow storage 3000ms",
            "slow worker-2 4x",
        ] {
            let plan = FaultPlan::parse(&format!("at 1s {line}")).unwrap();
            assert_eq!(plan.faults[0].1.to_string(), line);
        }
        let (_, col, msg) = FaultPlan::parse("at 1s slow worker-2 fast").unwrap_err();
        assert_eq!(col, 21);
        assert!(msg.contains("slowdown factor"), "{msg}");
        assert!(FaultPlan::parse("at 2 kill driver")
            .unwrap_err()
            .2
            .contains("no unit"));
    }
}
