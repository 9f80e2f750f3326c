//! Fault injection: `kill`, `restart`, the network's `partition`, `heal`, `loss` and
//! `latency`, protocol points (`fail`), now or scheduled with `at <time>`.

use super::args::{parse_time, plural, usage};
use super::session::{Session, MAX_TIME_MS};
use crate::cluster::{Fault, FaultPlan};
use crate::models::dstream::Event;
use crate::sim::Time;

impl Session {
    /// The workers' names, for messages.
    pub(super) fn worker_list(&self) -> String {
        let names: Vec<String> = self
            .built
            .ssc
            .cluster()
            .workers
            .iter()
            .map(|w| w.name.clone())
            .collect();
        names.join(", ")
    }

    /// Parses `kill worker-N`, `kill driver`, `restart worker-N` (the words after the time
    /// for `at`), and every other fault a scenario's `faults` may hold.
    pub(super) fn parse_fault(
        &self,
        cmd: &str,
        verb: &str,
        target: &[&str],
    ) -> Result<Fault, String> {
        let c = self.built.ssc.cluster();
        let bad_worker = |w: &str| {
            format!(
                "{cmd}: there is no worker `{w}`; the workers are {}{}",
                self.worker_list(),
                if verb == "kill" { " (or `driver`)" } else { "" }
            )
        };
        match (verb, target) {
            ("kill", ["driver"]) => Ok(Fault::KillDriver),
            ("restart", ["driver"]) => Err(format!(
                "{cmd}: the driver is restarted by the deployment {} after it fails (driver_restart_delay); only workers are restarted by hand",
                c.config.driver_restart_delay
            )),
            ("kill", [w]) if c.worker_index(w).is_some() => Ok(Fault::KillWorker(w.to_string())),
            ("restart", [w]) if c.worker_index(w).is_some() => {
                Ok(Fault::RestartWorker(w.to_string()))
            }
            ("kill" | "restart", [w]) if !w.contains(',') => Err(bad_worker(w)),
            ("kill" | "restart", []) => Err(usage(cmd)),
            // Everything else (the network: partition, heal, loss, latency; protocol
            // points) is read by the scenario format's own fault parser.
            (verb, rest) => {
                let line = format!("at 1ms {verb} {}", rest.join(" "));
                match FaultPlan::parse(&line) {
                    Ok(plan) => plan
                        .faults
                        .into_iter()
                        .next()
                        .map(|(_, f)| f)
                        .ok_or_else(|| usage(cmd)),
                    Err((_, _, msg)) => Err(format!("{cmd}: {msg}")),
                }
            }
        }
    }

    /// Schedules `fault` at `at` (later than now) and records it in the timeline.
    pub(super) fn schedule(&mut self, cmd: &str, at: Time, fault: Fault) -> Result<(), String> {
        let ssc = &self.built.ssc;
        ssc.inject(at, fault.clone())
            .map_err(|e| format!("{cmd}: {e}"))?;
        self.history.injected(ssc, at, fault);
        Ok(())
    }

    /// `kill ...` / `restart ...` / `partition ...` ...: the fault acts now (1 ms after what already happened at
    /// the current instant, so that a saved scenario replays it identically).
    pub(super) fn inject_now(&mut self, cmd: &str, args: &[&str]) -> Result<String, String> {
        let fault = self.parse_fault(cmd, cmd, args)?;
        self.check_active(cmd)?;
        let c = self.built.ssc.cluster();
        match &fault {
            Fault::KillDriver if !c.driver_alive => {
                return Err(format!("{cmd}: the driver is already down"))
            }
            Fault::KillWorker(w) if c.worker_index(w).is_some_and(|i| !c.workers[i].alive) => {
                return Err(format!("{cmd}: {w} is already down"))
            }
            Fault::RestartWorker(w) if c.worker_index(w).is_some_and(|i| c.workers[i].alive) => {
                return Err(format!("{cmd}: {w} is up; `kill {w}` first"))
            }
            _ => {}
        }
        let at = Time(self.built.ssc.now().ms() + 1);
        self.schedule(cmd, at, fault.clone())?;
        let ssc = &self.built.ssc;
        let from = ssc.trace_len();
        let result = ssc.run_until(at);
        let mut out = vec![format!("{fault}: injected at {at}")];
        for e in ssc.trace_since(from) {
            match e {
                Event::WorkerKilled {
                    time,
                    worker,
                    blocks_lost,
                    receivers,
                } => {
                    out.push(format!(
                        "{worker} killed at {time}: its executor's {blocks_lost} block{} are gone (replicas on other workers and the write-ahead log survive)",
                        plural(blocks_lost)
                    ));
                    if !receivers.is_empty() {
                        out.push(format!(
                            "receivers that died with it: {}; they restart on a live worker after {}",
                            receivers.join(", "),
                            c.config.receiver_restart_delay
                        ));
                    }
                }
                Event::WorkerRestarted { time, worker } => {
                    out.push(format!("{worker} restarted at {time}, with an empty executor"))
                }
                Event::DriverKilled { time, restart_at } => out.push(format!(
                    "driver killed at {time}: every executor died with it (all blocks in memory, every receiver); the deployment restarts it at {restart_at}"
                )),
                Event::Output { op, stream, lines, .. } => {
                    if op == "print" {
                        out.extend(lines);
                    } else {
                        out.extend(lines.iter().map(|l| format!("{op}({stream}): {l}")));
                    }
                }
                Event::BatchCompleted { time, .. } => out.push(format!("batch {time} ran")),
                Event::Warning { message, .. } => out.push(format!("warning: {message}")),
                _ => {}
            }
        }
        if let Err(e) = result {
            out.push(format!("the context failed: {e}"));
        }
        out.push(format!("clock at {}", ssc.now()));
        Ok(out.join("\n"))
    }

    /// `at <time> <fault>`.
    pub(super) fn inject_at(&mut self, args: &[&str]) -> Result<String, String> {
        let [when, verb, target @ ..] = args else {
            return Err(usage("at"));
        };
        let at = parse_time("at", when)?;
        let fault = self.parse_fault("at", verb, target)?;
        self.check_active("at")?;
        let now = self.built.ssc.now();
        if at <= now {
            return Err(format!(
                "at: {at} is not later than the clock ({now}); for a fault now, type it without `at`, e.g. '{fault}'"
            ));
        }
        if at.ms() > MAX_TIME_MS {
            return Err(format!(
                "at: {at} is too far away (at most {MAX_TIME_MS} ms)"
            ));
        }
        self.schedule("at", at, fault.clone())?;
        Ok(format!(
            "scheduled: at {at} {fault} (the clock is at {now}); `run until {}` gets there",
            at.ms()
        ))
    }
}
