//! Time travel commands: `back [n]` and `goto <time>`, restoring a snapshot of the
//! history ([`travel`](super::travel)) and replaying batches from it.

use super::args::{parse_time, usage};
use super::session::{Session, MAX_BATCHES, MAX_TIME_MS};
use crate::models::dstream::State;
use crate::sim::Time;

impl Session {
    pub(super) fn back(&mut self, args: &[&str]) -> Result<String, String> {
        let n = match args {
            [] => 1,
            [n] => n.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                format!(
                    "back: expected a number of batches, at least 1, found `{n}`; e.g. 'back 2'"
                )
            })?,
            _ => return Err(usage("back")),
        };
        let last = self.last_batch("back")?;
        let k = self.history.batch_number(last);
        if n > k {
            return Err(format!(
                "back: the last batch is batch {k} ({last}); back {k} goes to before the first batch"
            ));
        }
        let target = self.history.batch_time(k - n).unwrap_or(Time::ZERO);
        self.travel("back", target)
    }

    /// `goto <batch|time>`.
    pub(super) fn goto(&mut self, args: &[&str]) -> Result<String, String> {
        if args.is_empty() {
            return Err(usage("goto"));
        }
        let text = args.join(" ");
        let target = match text.parse::<u64>() {
            Ok(k) => self
                .history
                .batch_time(k)
                .filter(|t| t.ms() <= MAX_TIME_MS)
                .ok_or_else(|| format!("goto: batch {k} is too far away"))?,
            Err(_) => parse_time("goto", &text)?,
        };
        if target.ms() > MAX_TIME_MS {
            return Err(format!("goto: {target} is too far away"));
        }
        let ssc = &self.built.ssc;
        if target > ssc.now() {
            self.check_active("goto")?;
            let batch = ssc.config().batch_interval.ms().max(1);
            let ahead = (target.ms() - ssc.now().ms()) / batch;
            if ahead > MAX_BATCHES {
                return Err(format!(
                    "goto: {target} is {ahead} batches away; at most {MAX_BATCHES} run at a time"
                ));
            }
            self.check_horizon("goto", target)?;
        }
        let note = self.past_run_for(target);
        let out = self.travel("goto", target)?;
        Ok(match note {
            Some(n) => format!("{n}\n{out}"),
            None => out,
        })
    }

    /// A note when `target` lies past the scenario's `run_for` (`goto 999` is batch 999,
    /// which a student may not expect to be far past the end of `run`).
    fn past_run_for(&self, target: Time) -> Option<String> {
        let end = self.built.default_until;
        (target > end).then(|| {
            let batch = self.built.ssc.config().batch_interval.ms().max(1);
            format!(
                "goto: note: {target} (batch {}) is past the scenario's run_for, which ends at {end} (batch {}); a bare number is a batch number, a time needs a unit (e.g. goto 30s)",
                target.ms() / batch,
                end.ms() / batch
            )
        })
    }

    /// Puts the session at `target`: the state after every event at or before it.
    pub(super) fn travel(&mut self, cmd: &str, target: Time) -> Result<String, String> {
        let started = std::time::Instant::now();
        let ssc = self.built.ssc.clone();
        let now = ssc.now();
        let now_before = now;
        // Backwards: the nearest snapshot at or before the target. Forwards: one of those
        // too if it is later than now (the timeline's future is kept), else step on.
        let mut how = String::new();
        let not_before = (target >= now).then_some(now);
        self.forget_batch_log();
        match self.history.restore_before(&ssc, target, not_before) {
            Some(key) => how = format!("restored the snapshot of {key}, "),
            None if target < now => {
                return Err(format!("{cmd}: no snapshot at or before {target}"))
            }
            None => {}
        }
        let mut replayed = 0u64;
        let mut failed = None;
        let mut interrupted = None;
        while ssc.next_batch_time().is_some_and(|t| t <= target) {
            if self.interrupted() {
                let done = format!(
                    "replaying {replayed} batch{}",
                    if replayed == 1 { "" } else { "es" }
                );
                interrupted = Some(self.interrupted_at(cmd, &done));
                break;
            }
            let r = ssc.step();
            self.history.record(&ssc, target);
            replayed += 1;
            if let Err(e) = r {
                failed = Some(e);
                break;
            }
        }
        if failed.is_none()
            && interrupted.is_none()
            && ssc.state() == State::Active
            && target > ssc.now()
        {
            if let Err(e) = ssc.run_until(target) {
                failed = Some(e);
            }
        }
        let at = match ssc.last_batch() {
            Some(t) => format!("at batch {} ({t})", self.history.batch_number(t)),
            None => "before the first batch".into(),
        };
        let mut text = format!(
            "{cmd}: now {at}, clock {}; {how}replayed {replayed} batch{}",
            ssc.now(),
            if replayed == 1 { "" } else { "es" }
        );
        if let Some(e) = failed {
            text.push_str(&format!("\nthe context failed on the way: {e}"));
        }
        let now = ssc.now();
        let kept: Vec<String> = self
            .history
            .injected_faults()
            .iter()
            .filter(|(at, _)| *at > now)
            .map(|(at, f)| format!("at {at} {f}"))
            .collect();
        if !kept.is_empty() && target < now_before {
            text.push_str(&format!(
                "\nkept {} fault{} typed at the prompt, still to come: {} (`faults` lists every fault)",
                kept.len(),
                if kept.len() == 1 { "" } else { "s" },
                kept.join(", ")
            ));
        }
        if let Some(line) = interrupted {
            text.push('\n');
            text.push_str(&line);
        }
        if std::env::var("STREAM_SIM_TIMING").is_ok_and(|v| v == "1") {
            text.push_str(&format!(
                "\n({cmd} took {:.1} ms wall time)",
                started.elapsed().as_secs_f64() * 1000.0
            ));
        }
        Ok(text)
    }
}
