//! Stepping: `step [n]`, `run until <time>` (batch by batch, stopping on Ctrl-C or a failed
//! job), `time` and `trace [n]`.

use super::announce::{announce, changed_batches};
use super::args::{no_args, parse_time, plural, usage};
use super::session::{Lines, Paint, Session, MAX_BATCHES};
use crate::check::batches::BatchState;
use crate::check::BatchLog;
use crate::models::dstream::{Event, State};
use crate::sim::Time;
use std::collections::BTreeMap;

impl Session {
    pub(super) fn step(&mut self, args: &[&str]) -> Result<String, String> {
        let n = match args {
            [] => 1,
            [n] => match n.parse::<u64>() {
                Ok(n) if (1..=MAX_BATCHES).contains(&n) => n,
                _ => {
                    return Err(format!(
                        "step: expected a number of batches between 1 and {MAX_BATCHES}, found `{n}`; e.g. 'step 3'"
                    ))
                }
            },
            _ => return Err(usage("step")),
        };
        self.check_active("step")?;
        let mut out = Lines::new();
        let batch = self.built.ssc.config().batch_interval.ms();
        let horizon = Time(
            self.built
                .ssc
                .now()
                .ms()
                .saturating_add(n.saturating_mul(batch)),
        );
        self.check_horizon("step", horizon)?;
        for i in 0..n {
            if self.interrupted() {
                let done = format!("{i} of {n} batch{}", if n == 1 { "" } else { "es" });
                out.push(self.interrupted_at("step", &done));
                break;
            }
            if !self.run_batch(&mut out, horizon) {
                break;
            }
        }
        Ok(out.into_text())
    }

    pub(super) fn run_until(&mut self, args: &[&str]) -> Result<String, String> {
        let until = match args {
            // A bare number is ambiguous here (`run until 40`: 40 ms, 40 s or 40 batches?).
            ["until", n] if n.parse::<u64>().is_ok() => {
                let batch = self.built.ssc.config().batch_interval;
                return Err(format!(
                    "run: `{n}` has no unit: write `run until {n}s` ({n} seconds) or `run until {n}ms`, or `step {n}` for {n} batches of {batch}"
                ));
            }
            ["until", rest @ ..] if !rest.is_empty() => parse_time("run", &rest.join(" "))?,
            _ => return Err(usage("run")),
        };
        self.check_active("run")?;
        let ssc = self.built.ssc.clone();
        let now = ssc.now();
        if until <= now {
            return Err(format!(
                "run: the clock is already at {now}; `run until` needs a later time, e.g. 'run until {}'",
                ssc.next_batch_time().unwrap_or(now)
            ));
        }
        let batch = ssc.config().batch_interval.ms().max(1);
        let batches = match ssc.next_batch_time() {
            Some(next) if next <= until => (until.ms() - next.ms()) / batch + 1,
            _ => 0,
        };
        if batches > MAX_BATCHES {
            return Err(format!(
                "run: {until} is {batches} batches away; at most {MAX_BATCHES} run at a time"
            ));
        }
        self.check_horizon("run", until)?;
        let mut out = Lines::new();
        let mut ran = 0u64;
        let mut ok = true;
        while ssc.next_batch_time().is_some_and(|t| t <= until) {
            if self.interrupted() {
                let done = format!("{ran} batch{}", if ran == 1 { "" } else { "es" });
                out.push(self.interrupted_at("run", &done));
                ok = false;
                break;
            }
            ran += 1;
            if !self.run_batch(&mut out, until) {
                ok = false;
                break;
            }
        }
        if ok {
            if let Err(e) = self.built.ssc.run_until(until) {
                out.push(format!("run: the context failed: {e}"));
            }
            out.push(format!(
                "clock at {}; {ran} batch{} run",
                self.built.ssc.now(),
                if ran == 1 { "" } else { "es" }
            ));
        }
        Ok(out.into_text())
    }

    /// Runs the next batch, appending to `out` its output, the faults and recoveries that
    /// happened on the way, and every batch whose state changed (completed, queued and why,
    /// re-run, never run); false when the context stopped (a job failed) or was not active.
    pub(super) fn run_batch(&mut self, out: &mut Lines, horizon: Time) -> bool {
        let ssc = self.built.ssc.clone();
        let from = ssc.trace_len();
        // Rows before `settled` were all completed when last compared and, with no event
        // since, only an event naming them (a re-run) can change them: compare from there
        // (comparing the whole history made every step cost its length).
        let settled = match self.settled {
            Some((len, t)) if len == from && self.batch_log.is_some() => t,
            _ => Time::ZERO,
        };
        let now0 = ssc.now();
        let queue0 = ssc.job_queue();
        let mut before = self.batch_log().rows_from(settled, now0, &queue0);
        let result = ssc.step();
        self.history.record(&ssc, horizon);
        let events = ssc.trace_since(from);
        let mut blocks: BTreeMap<Time, usize> = BTreeMap::new();
        let mut files: BTreeMap<Time, usize> = BTreeMap::new();
        let mut lost_messages = 0usize;
        let label = self.labels;
        for e in &events {
            match e {
                Event::Output {
                    op, stream, lines, ..
                } => {
                    if op == "print" {
                        out.extend(lines.iter().enumerate().map(|(i, l)| {
                            if label && i == 1 && l.starts_with("Time: ") {
                                self.paint(Paint::Header, &format!("{l} [{stream}]"))
                            } else if i <= 2 && (l.starts_with("Time: ") || l.starts_with("----")) {
                                self.paint(Paint::Header, l)
                            } else {
                                l.clone()
                            }
                        }));
                    } else {
                        out.extend(lines.iter().map(|l| format!("{op}({stream}): {l}")));
                    }
                }
                Event::BatchAllocation { time, blocks: b } => {
                    *blocks.entry(*time).or_default() += b.len()
                }
                Event::FileSelected { time, .. } => *files.entry(*time).or_default() += 1,
                Event::Warning { message, .. } => out.push(format!("warning: {message}")),
                Event::MessageLost { .. } => lost_messages += 1,
                e => {
                    if let Some(line) = announce(e, &ssc) {
                        out.push(self.paint(Paint::Fault, &line));
                    }
                }
            }
        }
        if lost_messages > 0 {
            out.push(self.paint(
                Paint::Fault,
                &format!(
                    "FAULT: {lost_messages} message{} lost on the network (`trace` lists them)",
                    plural(lost_messages)
                ),
            ));
        }
        let touched = events
            .iter()
            .flat_map(|e| match e {
                Event::BatchCompleted { time, .. } => vec![*time],
                Event::DriverRestarted { rerun, .. } => rerun.clone(),
                _ => Vec::new(),
            })
            .filter(|t| *t < settled)
            .min();
        let lo = match touched {
            Some(t) => {
                // A settled batch ran again: compare from it, with its rows as they were
                // before this batch (the listener rebuilt from the trace up to then).
                let mut log = BatchLog::new();
                ssc.for_each_event(0, |e| {
                    if log.seen() < from {
                        log.observe(e)
                    }
                });
                before = log.rows_from(t, now0, &queue0);
                t
            }
            None => settled,
        };
        let (now, queue) = (ssc.now(), ssc.job_queue());
        let after = self.batch_log().rows_from(lo, now, &queue);
        let next_settled = after
            .iter()
            .find(|r| r.state != BatchState::Completed)
            .map(|r| r.time)
            .or_else(|| after.last().map(|r| Time(r.time.ms() + 1)))
            .unwrap_or(lo);
        self.settled = Some((ssc.trace_len(), next_settled));
        for line in changed_batches(&before, &after, &blocks, &files) {
            if line.contains(": queued: ") || line.contains(": never run: ") {
                out.push(self.paint(Paint::Fault, &line));
            } else {
                out.push(line);
            }
        }
        match result {
            Ok(Some(_)) => true,
            Ok(None) => {
                out.push("the context is not active; no batch ran");
                false
            }
            Err(e) => {
                let at = events
                    .iter()
                    .find_map(|e| match e {
                        Event::JobFailed { time, .. } => Some(time.to_string()),
                        _ => None,
                    })
                    .unwrap_or_else(|| "?".into());
                out.push(self.paint(
                    Paint::Error,
                    &format!(
                        "batch {at} failed: {e}{}\nthe context is stopped; inspection commands still work",
                        self.built.locate(&e)
                    ),
                ));
                false
            }
        }
    }

    pub(super) fn check_active(&self, cmd: &str) -> Result<(), String> {
        let ssc = &self.built.ssc;
        match ssc.state() {
            State::Active => Ok(()),
            State::Initialized => Err(format!("{cmd}: the context has not been started")),
            State::Stopped => Err(match ssc.failure() {
                Some(e) => format!(
                    "{cmd}: the context is stopped (a job failed: {e}); inspection commands still work"
                ),
                None => format!("{cmd}: the context is stopped"),
            }),
        }
    }

    pub(super) fn time(&self, args: &[&str]) -> Result<String, String> {
        no_args("time", args)?;
        let ssc = &self.built.ssc;
        let c = ssc.config();
        let last = match ssc.last_batch() {
            Some(t) => {
                let k = t.ms() / c.batch_interval.ms().max(1);
                format!("{t} (batch {k})")
            }
            None => "none yet".into(),
        };
        let next = match ssc.next_batch_time() {
            Some(t) => t.to_string(),
            None => "none (the context is not active)".into(),
        };
        let rows = [
            ("clock", ssc.now().to_string()),
            ("last batch", last),
            ("next batch", next),
            ("batch interval", c.batch_interval.to_string()),
            ("block interval", c.block_interval.to_string()),
            ("state", format!("{:?}", ssc.state())),
            ("scenario runs until", self.built.default_until.to_string()),
        ];
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 2;
        Ok(rows
            .iter()
            .map(|(k, v)| format!("{:<width$}{v}", format!("{k}:")))
            .collect::<Vec<_>>()
            .join("\n"))
    }

    pub(super) fn trace(&self, args: &[&str]) -> Result<String, String> {
        let n = match args {
            [] => 20,
            [n] => n.parse::<usize>().map_err(|_| {
                format!("trace: expected a number of events, found `{n}`; e.g. 'trace 5'")
            })?,
            _ => return Err(usage("trace")),
        };
        let ssc = &self.built.ssc;
        let from = ssc.trace_len().saturating_sub(n);
        Ok(ssc
            .trace_since(from)
            .iter()
            .map(Event::to_json)
            .collect::<Vec<_>>()
            .join("\n"))
    }
}
