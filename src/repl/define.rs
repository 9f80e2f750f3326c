//! spark-shell habits: streams defined at the prompt (`counts = words.map(pair(1))
//! .reduceByKey(sum)`, `counts.print()`), `restart` (replay from zero with the new graph,
//! same seed, same faults), `reload` (the edited scenario file), and `cancel N` (a pending
//! fault), all by rebuilding the session and replaying it to where it was.
//!
//! As in Spark (`StreamingContext.scala`: `DStreamGraph` refuses new streams once the
//! context started), a statement typed after the first batch is refused with Spark's
//! message; it is kept, and `restart` builds the graph with it.

use super::session::Session;
use super::travel::History;
use crate::cluster::Fault;
use crate::scenario::parse::parse_program;
use crate::scenario::Scenario;
use crate::sim::Time;

/// Spark's message for a stream added after start (`StreamingContext.validate` /
/// `DStream.validateAtInit`).
pub const ADD_AFTER_START: &str = "java.lang.IllegalStateException: Adding new inputs, transformations, and output operations after starting a context is not supported";

/// True when `line` reads as a program statement rather than a command: `name = ...` or
/// `name.method(...)`.
pub(super) fn looks_like_statement(line: &str) -> bool {
    let head: String = line
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if head.is_empty() || head.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return false;
    }
    let rest = line[head.len()..].trim_start();
    (rest.starts_with('=') && !rest.starts_with("==")) || rest.starts_with('.')
}

impl Session {
    /// The faults typed at the prompt so far.
    fn typed_faults(&self) -> Vec<(Time, Fault)> {
        self.history.injected_faults().to_vec()
    }

    /// The scenario the running graph was built from: the file's, plus the statements
    /// typed at the prompt that joined the graph.
    pub(super) fn effective_scenario(&self) -> Option<Scenario> {
        let mut sc = self.scenario.clone()?;
        sc.program.statements.extend(self.typed.iter().cloned());
        Some(sc)
    }

    /// A statement typed at the prompt: before the first batch it joins the graph (the
    /// session is rebuilt with it); after, Spark's refusal, and `restart` will use it.
    pub(super) fn define(&mut self, line: &str) -> Result<String, String> {
        let Some(mut next) = self.effective_scenario() else {
            return Err(
                "this session was not built from a scenario file: streams cannot be added".into(),
            );
        };
        let program = parse_program(line).map_err(|e| format!("{line}: {e}"))?;
        let names: Vec<String> = program
            .statements
            .iter()
            .filter_map(|s| s.target.as_ref().map(|t| format!("`{}`", t.name)))
            .collect();
        next.program.statements.extend(
            self.pending
                .iter()
                .cloned()
                .chain(program.statements.clone()),
        );
        // Build it now, so that a bad statement is refused now (Spark validates at start).
        next.build(&self.options).map_err(|e| e.to_string())?;
        let what = if names.is_empty() {
            "the output operation".to_string()
        } else {
            names.join(", ")
        };
        if self.batch_rows().is_empty() && self.pending.is_empty() {
            self.typed.extend(program.statements);
            let now = self.built.ssc.now();
            let replay = self.rebuild(self.typed_faults(), now)?;
            return Ok(format!(
                "{what} joins the graph (no batch has run yet){}",
                if replay.is_empty() {
                    String::new()
                } else {
                    format!("; {replay}")
                }
            ));
        }
        self.pending.extend(program.statements);
        Err(format!(
            "{ADD_AFTER_START}\n(the context started with the first batch; {what} is kept: `restart` replays from zero with the new graph, same seed and faults)"
        ))
    }

    /// `restart`: a new context from zero with the graph and the statements typed at the
    /// prompt, the same seed and the same faults, replayed to the current time.
    pub(super) fn restart_context(&mut self) -> Result<String, String> {
        if self.scenario.is_none() {
            return Err("restart: this session was not built from a scenario file".into());
        }
        let added = self.pending.len();
        self.typed.append(&mut self.pending);
        let now = self.built.ssc.now();
        let replay = self.rebuild(self.typed_faults(), now)?;
        Ok(format!(
            "restart: a new context from zero ({added} statement(s) added to the graph), the same seed and faults{}",
            if replay.is_empty() {
                String::new()
            } else {
                format!("; {replay}")
            }
        ))
    }

    /// `reload`: the scenario file read again (edited since?), the statements typed at the
    /// prompt kept, replayed to the current time with the same seed and typed faults.
    pub(super) fn reload(&mut self, args: &[&str]) -> Result<String, String> {
        super::args::no_args("reload", args)?;
        let Some(old) = self.scenario.clone() else {
            return Err("reload: this session was not built from a scenario file".into());
        };
        let sc = crate::scenario::load(&old.path).map_err(|e| format!("reload: {e}"))?;
        self.scenario = Some(sc);
        let now = self.built.ssc.now();
        match self.rebuild(self.typed_faults(), now) {
            Ok(replay) => Ok(format!(
                "reload: read {} again; a new context from zero, the same seed and typed faults{}",
                old.path.display(),
                if replay.is_empty() {
                    String::new()
                } else {
                    format!("; {replay}")
                }
            )),
            Err(e) => {
                self.scenario = Some(old);
                Err(format!("reload: {e}; the session is unchanged"))
            }
        }
    }

    /// `cancel N`: removes pending fault N of `faults` (the scenario's or one typed) and
    /// replays the session to now without it.
    pub(super) fn cancel(&mut self, args: &[&str]) -> Result<String, String> {
        let [n] = args else {
            return Err(
                "cancel: expected the number of a fault, as `faults` lists them; e.g. 'cancel 1'"
                    .into(),
            );
        };
        let plan = self.built.ssc.cluster().config.faults.faults;
        let i = n
            .parse::<usize>()
            .ok()
            .filter(|i| (1..=plan.len()).contains(i))
            .ok_or_else(|| {
                format!(
                    "cancel: `{n}` is not a fault number; `faults` lists {} fault(s)",
                    plan.len()
                )
            })?
            - 1;
        let now = self.built.ssc.now();
        let (at, fault) = plan[i].clone();
        if at <= now {
            return Err(format!(
                "cancel: fault {n} (at {at} {fault}) already happened; go back before it first (e.g. 'goto {}ms'), then cancel it",
                at.ms().saturating_sub(1)
            ));
        }
        let Some(old) = self.scenario.clone() else {
            return Err("cancel: this session was not built from a scenario file".into());
        };
        let mut typed = self.typed_faults();
        let from_file = plan.len().saturating_sub(typed.len());
        if i < from_file {
            let mut sc = old.clone();
            if let Some(k) = sc
                .cluster
                .faults
                .faults
                .iter()
                .position(|(t, f)| *t == at && *f == fault)
            {
                sc.cluster.faults.faults.remove(k);
            }
            self.scenario = Some(sc);
        } else {
            typed.remove(i - from_file);
        }
        match self.rebuild(typed, now) {
            Ok(replay) => Ok(format!(
                "cancel: removed at {at} {fault}{}",
                if replay.is_empty() {
                    String::new()
                } else {
                    format!("; {replay}")
                }
            )),
            Err(e) => {
                self.scenario = Some(old);
                Err(format!("cancel: {e}"))
            }
        }
    }

    /// Builds the effective scenario anew, schedules `typed` faults, and replays to `to`
    /// (snapshots kept for going back). Returns what was replayed.
    fn rebuild(&mut self, typed: Vec<(Time, Fault)>, to: Time) -> Result<String, String> {
        let sc = self
            .effective_scenario()
            .ok_or("this session was not built from a scenario file")?;
        let built = sc.build(&self.options).map_err(|e| e.to_string())?;
        self.built = built;
        self.history = History::new(&self.built.ssc);
        self.batch_log = None;
        self.predict = None;
        self.predict_at = None;
        for (at, fault) in typed {
            self.schedule("restart", at, fault)?;
        }
        let ssc = self.built.ssc.clone();
        let mut batches = 0u64;
        while ssc.next_batch_time().is_some_and(|t| t <= to) {
            let r = ssc.step();
            self.history.record(&ssc, to);
            batches += 1;
            if let Err(e) = r {
                return Ok(format!(
                    "replayed {batches} batch(es); the context failed on the way: {e}"
                ));
            }
        }
        if ssc.now() < to {
            ssc.run_until(to)
                .map_err(|e| format!("the context failed on the way: {e}"))?;
        }
        Ok(if batches == 0 {
            String::new()
        } else {
            format!("replayed {batches} batch(es) to {}", ssc.now())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_statement;

    #[test]
    fn statements_are_told_from_commands() {
        assert!(looks_like_statement("counts = words.map(pair(1))"));
        assert!(looks_like_statement("counts.print()"));
        assert!(!looks_like_statement("step 3"));
        assert!(!looks_like_statement("show counts"));
        assert!(!looks_like_statement("a == b"));
        assert!(!looks_like_statement("3 = x"));
    }
}
