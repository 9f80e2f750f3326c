//! The REPL for the record-at-a-time models: step a Storm topology or a Flink job by virtual
//! time and look at what is in flight.
//!
//! `stream-sim repl SCENARIO` opens this REPL when the scenario's `model` is `storm` or
//! `flink` (bundled ones live in `scenarios/storm/` and `scenarios/flink/`). Commands:
//! `step [DURATION]` (100 ms by default), `run until TIME`, `time`, `state`, `trace [n]`,
//! `report`, `help`, `quit`; for Storm `tuples` (pending tuple trees per spout task, by
//! record offset) and `acks` (each acker's pending trees and their XOR values: a tree is
//! complete when its value is back to 0); for Flink `barriers` (per keyed subtask: the
//! barriers received for the pending checkpoint, the channels blocked for alignment, what is
//! queued per channel, the watermarks) and `checkpoint` (the pending checkpoint and which
//! subtasks have snapshotted, the last completed checkpoint and savepoint, the sink's
//! transactions). `step record [N]` steps until the sources have emitted N more records
//! (Storm: spout emissions, replays included; Flink: source records read) and shows what
//! each did. Faults come from the scenario and from the session: `kill worker-N` (a Storm
//! worker or a Flink task manager, also `kill taskmanager-N`), `kill driver` (Nimbus, the
//! JobManager), and for Flink the protocol points `fail after-barrier CHECKPOINT_ID
//! keyed[K]` (the subtask dies after the barrier reached it, before its snapshot: the
//! checkpoint is aborted, recovery restores the previous one and the sinks abort what they
//! pre-committed for it) and `fail after-precommit CHECKPOINT_ID` (the checkpoint completes
//! but the job dies before `notifyCheckpointComplete`: recovery commits the pre-committed
//! transactions, `recoverAndCommit`). `step` and `run until` list the failures, restarts,
//! recoveries and watermark status changes they went through; `ledger` sums the per-record
//! ledger (written out once, more than once, not yet, state lost). Every command's answer
//! depends only on the session and the line, so tests drive [`RatSession::execute`]
//! directly.

use crate::cluster::Fault;
use crate::models::flink::{FlinkEvent, MiniCluster, ProtocolFault};
use crate::models::storm::{LocalCluster, StormEvent};
use crate::scenario::{flink, storm};
use crate::sim::{Duration, Time};
use std::io::{BufRead, Write};

/// Most records one `step record N` may step.
pub const MAX_STEP_RECORDS: u64 = 10_000;

/// The longest virtual time one session may run (a limit, so a typo cannot run for days).
pub const MAX_SESSION_TIME: Duration = Duration::from_ms(3_600_000);

/// The model a scenario file declares, if it is one of the record-at-a-time models:
/// `"storm"` or `"flink"` (a bundled name of either, or a path to a file with that `model`).
pub fn model_of(name: &str) -> Option<&'static str> {
    for (model, path) in [
        ("flink", flink::resolve(name).ok()),
        ("storm", storm::resolve(name).ok()),
    ] {
        let declared = path
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|text| text.parse::<toml::Table>().ok())
            .and_then(|v| v.get("model").and_then(|m| m.as_str()).map(String::from));
        if declared.as_deref() == Some(model) {
            return Some(model);
        }
    }
    None
}

enum Job {
    Storm(Box<LocalCluster>),
    Flink(Box<MiniCluster>),
}

/// A REPL session over a Storm or Flink run.
pub struct RatSession {
    name: String,
    job: Job,
    now: Time,
}

impl RatSession {
    /// Loads the Storm or Flink scenario `name` and starts it at time zero with `seed`.
    ///
    /// # Errors
    /// The scenario's load error (`file:line:col: message`).
    pub fn new(name: &str, seed: u64) -> Result<RatSession, String> {
        let job = match model_of(name) {
            Some("flink") => {
                let sc = flink::load(&flink::resolve(name).map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
                Job::Flink(Box::new(sc.execute(seed)))
            }
            _ => {
                let sc = storm::load(&storm::resolve(name).map_err(|e| e.to_string())?)
                    .map_err(|e| e.to_string())?;
                if sc.trident.is_some() {
                    return Err(format!(
                        "{name} is a Trident scenario; the REPL steps Storm bolts and Flink jobs (run it with `stream-sim storm {name}`)"
                    ));
                }
                Job::Storm(Box::new(sc.submit(seed)))
            }
        };
        Ok(RatSession {
            name: name.to_string(),
            job,
            now: Time::ZERO,
        })
    }

    /// The banner printed when the session opens.
    pub fn banner(&self) -> String {
        let model = match self.job {
            Job::Storm(_) => "Storm",
            Job::Flink(_) => "Flink",
        };
        format!(
            "{model} scenario `{}` at 0 ms; `help` lists the commands",
            self.name
        )
    }

    fn trace_len(&self) -> usize {
        match &self.job {
            Job::Storm(c) => c.trace().len(),
            Job::Flink(c) => c.trace().len(),
        }
    }

    /// The failures, restarts, recoveries and status changes in the trace from `from` on,
    /// one JSON line each.
    fn notable_since(&self, from: usize) -> Vec<String> {
        match &self.job {
            Job::Storm(c) => c.trace()[from.min(c.trace().len())..]
                .iter()
                .filter(|e| {
                    matches!(
                        e,
                        StormEvent::WorkerKilled { .. }
                            | StormEvent::WorkerRestarted { .. }
                            | StormEvent::NimbusKilled { .. }
                            | StormEvent::NetworkChanged { .. }
                            | StormEvent::TreesTimedOut { .. }
                    )
                })
                .map(|e| serde_json::to_string(e).unwrap_or_default())
                .collect(),
            Job::Flink(c) => c.trace()[from.min(c.trace().len())..]
                .iter()
                .filter(|e| {
                    matches!(
                        e,
                        FlinkEvent::JobFailed { .. }
                            | FlinkEvent::JobRestarted { .. }
                            | FlinkEvent::JobStopped { .. }
                            | FlinkEvent::CheckpointAborted { .. }
                            | FlinkEvent::ProtocolFault { .. }
                            | FlinkEvent::TransactionsRecovered { .. }
                            | FlinkEvent::WatermarkStatus { .. }
                            | FlinkEvent::NetworkChanged { .. }
                    )
                })
                .map(|e| serde_json::to_string(e).unwrap_or_default())
                .collect(),
        }
    }

    fn advance(&mut self, to: Time) -> Result<String, String> {
        if to > Time::ZERO.plus(MAX_SESSION_TIME) {
            return Err(format!(
                "a session runs at most {MAX_SESSION_TIME} of virtual time (the limit MAX_SESSION_TIME)"
            ));
        }
        let from = self.trace_len();
        match &mut self.job {
            Job::Storm(c) => c.run_until(to),
            Job::Flink(c) => c.run_until(to),
        }
        self.now = self.now.max(to);
        let mut out = vec![format!("time {} ms", self.now.ms())];
        out.extend(self.notable_since(from));
        Ok(out.join("\n"))
    }

    /// `step record [N]`: runs until N more source records were emitted (at most
    /// [`MAX_STEP_RECORDS`], and not past [`MAX_SESSION_TIME`]), listing what each did.
    fn step_records(&mut self, n: u64) -> Result<String, String> {
        if n == 0 || n > MAX_STEP_RECORDS {
            return Err(format!(
                "step record: N must be 1..={MAX_STEP_RECORDS} (the limit MAX_STEP_RECORDS)"
            ));
        }
        let limit = Time::ZERO.plus(MAX_SESSION_TIME);
        let from = self.trace_len();
        let (done, log, now) = match &mut self.job {
            Job::Storm(c) => {
                c.set_record_log(true);
                let done = c.run_records(n, limit);
                let log = c.take_record_log();
                c.set_record_log(false);
                (done, log, c.now())
            }
            Job::Flink(c) => {
                c.set_record_log(true);
                let done = c.run_records(n, limit);
                let log = c.take_record_log();
                c.set_record_log(false);
                (done, log, c.now())
            }
        };
        self.now = self.now.max(now);
        let mut out = log;
        out.extend(self.notable_since(from));
        out.push(if done < n {
            format!(
                "time {} ms: {done} of {n} records; no more records come within the session's limit",
                self.now.ms()
            )
        } else {
            format!("time {} ms", self.now.ms())
        });
        Ok(out.join("\n"))
    }

    /// `kill worker-N` / `kill taskmanager-N` / `kill driver` (`jobmanager`, `nimbus`).
    fn kill(&mut self, what: Option<&str>) -> Result<String, String> {
        let (workers, model_names) = match &self.job {
            Job::Storm(c) => (c.workers(), "worker-N or driver (Nimbus)"),
            Job::Flink(c) => (
                c.task_managers(),
                "worker-N (taskmanager-N) or driver (jobmanager)",
            ),
        };
        let fault = match what {
            Some("driver" | "jobmanager" | "nimbus") => Fault::KillDriver,
            Some(w) => {
                let n = w
                    .strip_prefix("worker-")
                    .or_else(|| w.strip_prefix("taskmanager-"))
                    .and_then(|k| k.parse::<usize>().ok())
                    .filter(|k| (1..=workers).contains(k))
                    .ok_or_else(|| {
                        format!(
                            "kill: there is no `{w}`; write kill {model_names}, N in 1..={workers}"
                        )
                    })?;
                Fault::KillWorker(format!("worker-{n}"))
            }
            None => return Err(format!("kill: write kill {model_names}")),
        };
        let from = self.trace_len();
        match &mut self.job {
            Job::Storm(c) => c.inject_now(&fault),
            Job::Flink(c) => c.inject_now(&fault),
        }
        let mut out = vec![format!("at {} ms: {fault}", self.now.ms())];
        let notable = self.notable_since(from);
        if notable.is_empty() {
            out.push("nothing happened (the job is not running, or nothing runs there)".into());
        }
        out.extend(notable);
        Ok(out.join("\n"))
    }

    /// `ledger`: the per-record ledger summed.
    fn ledger(&self) -> String {
        let ledger = match &self.job {
            Job::Storm(c) => c.ledger().clone(),
            Job::Flink(c) => c.ledger(),
        };
        let (mut read, mut once, mut more, mut none, mut state_lost) = (0, 0, 0, 0, 0);
        for (id, l) in ledger.records() {
            if l.received.is_empty() {
                continue;
            }
            read += 1;
            match l.outputs {
                0 => none += 1,
                1 => once += 1,
                _ => more += 1,
            }
            state_lost += usize::from(ledger.state_lost_for_good(id));
        }
        let written = match &self.job {
            Job::Storm(_) => "state updated",
            Job::Flink(_) => "written out (committed by a 2PC sink, else in the keyed state)",
        };
        let mut out = format!(
            "ledger: {read} records read; {written} once: {once}, more than once: {more}, not (yet): {none}"
        );
        if state_lost > 0 {
            out.push_str(&format!(
                "; state lost for good: {state_lost} (updates kept in a dead worker's memory, never replayed)"
            ));
        }
        out
    }

    /// Runs one command line and returns what to print (errors are returned as text too).
    pub fn execute(&mut self, line: &str) -> String {
        self.try_execute(line).unwrap_or_else(|e| e)
    }

    fn try_execute(&mut self, line: &str) -> Result<String, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let duration = |w: &str, what: &str| Duration::parse(w).map_err(|m| format!("{what}: {m}"));
        match (words.first().copied().unwrap_or(""), &self.job) {
            ("", _) => Ok(String::new()),
            ("help", _) => Ok(HELP.to_string()),
            ("time", _) => Ok(format!("time {} ms", self.now.ms())),
            ("step", _) if words.get(1) == Some(&"record") => {
                let n = match words.get(2) {
                    Some(w) => w.parse::<u64>().map_err(|_| {
                        format!("step record: `{w}` is not a count; write `step record 5`")
                    })?,
                    None => 1,
                };
                self.step_records(n)
            }
            ("kill", _) => self.kill(words.get(1).copied()),
            ("ledger", _) => Ok(self.ledger()),
            ("fail", Job::Storm(_)) => Err(
                "fail: the protocol points after-barrier and after-precommit are Flink's; for Storm write `kill worker-N`".into(),
            ),
            ("fail", Job::Flink(_)) => {
                let keyed = match &self.job {
                    Job::Flink(c) => c.keyed_view().len(),
                    Job::Storm(_) => 0,
                };
                let f = ProtocolFault::parse(&words[1..], keyed)?;
                if let Job::Flink(c) = &mut self.job {
                    c.arm(f)?;
                }
                Ok(match f {
                    ProtocolFault::AfterBarrier { checkpoint, subtask } => format!(
                        "armed: when barrier {checkpoint} reaches keyed[{subtask}], the subtask dies before its snapshot (checkpoint {checkpoint} is aborted; recovery restores the last completed one)"
                    ),
                    ProtocolFault::AfterPrecommit { checkpoint } => format!(
                        "armed: checkpoint {checkpoint} completes (every sink pre-commits), then the job dies before notifyCheckpointComplete (recovery commits the pre-committed transactions)"
                    ),
                })
            }
            ("step", _) => {
                let d = match words.get(1) {
                    Some(w) => duration(w, "step")?,
                    None => Duration::from_ms(100),
                };
                self.advance(self.now.plus(d))
            }
            ("run", _) => match (words.get(1), words.get(2)) {
                (Some(&"until"), Some(t)) => {
                    let t = Time::ZERO.plus(duration(t, "run until")?);
                    self.advance(t)
                }
                _ => Err("run: write `run until TIME`, e.g. `run until 5s`".into()),
            },
            ("trace", _) => {
                let n: usize = match words.get(1) {
                    Some(w) => w
                        .parse()
                        .map_err(|_| format!("trace: `{w}` is not a count; write `trace 20`"))?,
                    None => 10,
                };
                let lines: Vec<String> = match &self.job {
                    Job::Storm(c) => tail(c.trace(), n),
                    Job::Flink(c) => tail(c.trace(), n),
                };
                Ok(lines.join("\n"))
            }
            ("state", _) => {
                let state = match &self.job {
                    Job::Storm(c) => c.state(),
                    Job::Flink(c) => c.state(),
                };
                let mut top: Vec<_> = state.into_iter().collect();
                top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                let shown: Vec<String> = top
                    .iter()
                    .take(20)
                    .map(|(k, v)| format!("({k},{v})"))
                    .collect();
                Ok(format!("{} keys; top 20: {}", top.len(), shown.join(" ")))
            }
            ("report", Job::Storm(c)) => Ok(format!("{:?}", c.report())),
            ("report", Job::Flink(c)) => Ok(format!("{:?}", c.report())),
            ("tuples", Job::Storm(c)) => {
                let (spouts, _) = c.pending_trees();
                let mut out = Vec::new();
                for (task, offsets) in spouts {
                    let shown: Vec<String> =
                        offsets.iter().take(20).map(u64::to_string).collect();
                    out.push(format!(
                        "{task}: {} pending trees (record offsets {}{})",
                        offsets.len(),
                        shown.join(", "),
                        if offsets.len() > 20 { ", ..." } else { "" }
                    ));
                }
                Ok(out.join("\n"))
            }
            ("acks", Job::Storm(c)) => {
                let (_, ackers) = c.pending_trees();
                let mut out = Vec::new();
                for (task, trees) in ackers {
                    out.push(format!("{task}: {} trees pending", trees.len()));
                    for (root, xor) in trees.iter().take(20) {
                        out.push(format!("  root {root:016x}  xor {xor:016x}"));
                    }
                }
                Ok(out.join("\n"))
            }
            ("barriers", Job::Flink(c)) => {
                let mut out = Vec::new();
                for (k, v) in c.keyed_view().iter().enumerate() {
                    let idle: Vec<usize> = (0..v.idle_channels.len())
                        .filter(|c| v.idle_channels[*c])
                        .collect();
                    out.push(format!(
                        "keyed[{k}]: barriers from channels {:?}, blocked {:?}, queued {:?}, watermark {} (channels {:?}){}",
                        v.barriers_received,
                        v.blocked,
                        v.queued,
                        wm(v.watermark),
                        v.channel_watermarks.iter().map(|w| wm(*w)).collect::<Vec<_>>(),
                        if idle.is_empty() {
                            String::new()
                        } else {
                            format!(", idle channels {idle:?} (left out of the minimum)")
                        }
                    ));
                }
                Ok(out.join("\n"))
            }
            ("checkpoint", Job::Flink(c)) => {
                let v = c.checkpoint_view();
                let pending = match &v.pending {
                    Some((id, sp, acked)) => format!(
                        "{} {id} pending; snapshotted: {:?}",
                        if *sp { "savepoint" } else { "checkpoint" },
                        acked
                    ),
                    None => "no checkpoint pending".into(),
                };
                let armed: Vec<String> = c.armed().iter().map(ToString::to_string).collect();
                Ok(format!(
                    "{pending}\nlast completed: {}\nlast savepoint: {}\nsink: pre-committed records {:?}, open transaction {:?}{}",
                    v.completed
                        .map_or("none".into(), |(id, o)| format!("{id} (source offsets {o:?})")),
                    v.savepoint.map_or("none".into(), |id| id.to_string()),
                    v.precommitted,
                    v.open_transaction,
                    if armed.is_empty() {
                        String::new()
                    } else {
                        format!("\narmed: {}", armed.join("; "))
                    }
                ))
            }
            ("tuples" | "acks", Job::Flink(_)) => Err(format!(
                "{}: a Storm view; this is a Flink job (try `barriers` or `checkpoint`)",
                words[0]
            )),
            ("barriers" | "checkpoint", Job::Storm(_)) => Err(format!(
                "{}: a Flink view; this is a Storm topology (try `tuples` or `acks`)",
                words[0]
            )),
            (other, _) => Err(format!(
                "unknown command `{other}`; the commands are step, step record, run until, time, state, trace, report, ledger, kill, fail, tuples, acks, barriers, checkpoint, help, quit"
            )),
        }
    }
}

fn wm(w: i64) -> String {
    match w {
        i64::MIN => "-inf".into(),
        i64::MAX => "+inf".into(),
        w => crate::event_time::EventTime(w).to_string(),
    }
}

fn tail<T: serde::Serialize>(events: &[T], n: usize) -> Vec<String> {
    events[events.len().saturating_sub(n)..]
        .iter()
        .map(|e| serde_json::to_string(e).unwrap_or_default())
        .collect()
}

const HELP: &str = "step [DURATION]     advance virtual time (default 100ms)
step record [N]     advance until the sources emit N more records (default 1), showing each
run until TIME      advance to TIME
time                the virtual time
state               the keyed counts (top 20)
trace [n]           the last n trace events (default 10)
report              the run's counters
ledger              the per-record ledger: written out once, more than once, not yet, state lost
kill worker-N       kill a Storm worker / Flink task manager now (also taskmanager-N)
kill driver         kill Nimbus (Storm) / the JobManager (Flink) now
fail after-barrier CHECKPOINT_ID keyed[K]
                    Flink: keyed[K] dies after barrier CHECKPOINT_ID reached it, before its snapshot
fail after-precommit CHECKPOINT_ID
                    Flink: the job dies after the checkpoint completed, before notifyCheckpointComplete
tuples              Storm: pending tuple trees per spout task (record offsets)
acks                Storm: each acker's pending trees and their XOR values (0 = complete)
barriers            Flink: per keyed subtask, barriers received, blocked channels, queues, watermarks
checkpoint          Flink: the pending checkpoint and who snapshotted, the last completed one, the sink
quit                leave";

/// Runs the session over `input` line by line, writing the banner and each command after
/// `> ` with its answer to `output`, until `quit` / `exit` or the end of input.
///
/// # Errors
/// A failure to read or write.
pub fn run_script(
    session: &mut RatSession,
    input: impl BufRead,
    output: impl Write,
) -> Result<(), String> {
    let banner = session.banner();
    super::script::run_lines(&banner, |cmd| session.execute(cmd), input, output)
}

/// Opens the session for `name` on stdin and stdout.
///
/// # Errors
/// The scenario's load error, or an I/O failure.
pub fn run(name: &str, seed: u64) -> Result<(), String> {
    let mut s = RatSession::new(name, seed)?;
    run_script(&mut s, std::io::stdin().lock(), std::io::stdout().lock())
}
