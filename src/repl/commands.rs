//! Command lines: [`Session::execute`] splits a line into a command and its arguments and
//! dispatches it to the steppers, the fault injections, the inspectors (`inspect.rs`,
//! `cluster.rs`), time travel, files, `whatif`, `predict` and `help`.

use super::args::{did_you_mean, no_args, parse_time, usage};
use super::session::Session;
use super::{cluster, help, inspect, whatif};

impl Session {
    /// Runs one command line and returns the text to print: the command's output, or a
    /// message naming the command and what was expected. Never panics; a bad command
    /// changes nothing.
    pub fn execute(&mut self, line: &str) -> String {
        match self.try_execute(line) {
            Ok(text) => text,
            Err(text) => self.paint(super::session::Paint::Error, &text),
        }
    }

    /// As [`Session::execute`], telling errors apart.
    ///
    /// # Errors
    /// The message for a bad command (unknown command, stream or time, wrong arguments).
    pub fn try_execute(&mut self, line: &str) -> Result<String, String> {
        self.try_execute_inner(line)
            .map_err(|e| self.fit_examples(&e))
    }

    /// Rewrites the help's examples (written for `wordcount`-like names: `counts`,
    /// `windowed`, `totals`, `lines`, `wordCounts`) with streams of the loaded scenario,
    /// so that an example can be typed as shown.
    pub(super) fn fit_examples(&self, text: &str) -> String {
        let ssc = &self.built.ssc;
        let (printed, windowed, stateful) = ssc.with_graph(|g| {
            let named = |n: &crate::models::dstream::Node| !n.label().starts_with('#');
            let printed = ssc
                .outputs()
                .iter()
                .map(|(id, _)| g.node(*id).label())
                .find(|l| !l.starts_with('#'));
            let windowed = g
                .nodes()
                .iter()
                .filter(|n| named(n) && n.op.describe().contains("indow"))
                .map(|n| n.label())
                .next();
            let stateful = g
                .nodes()
                .iter()
                .filter(|n| named(n) && n.op.describe().starts_with("updateStateByKey"))
                .map(|n| n.label())
                .next();
            (printed, windowed, stateful)
        });
        let source = self
            .scenario
            .as_ref()
            .and_then(|sc| sc.sources.first().map(|s| s.name.clone()));
        let mut out = text.to_string();
        let mut swap = |from: &str, name: &Option<String>, to: &dyn Fn(&str) -> String| {
            if let Some(n) = name {
                out = out.replace(from, &to(n));
            }
        };
        swap("show counts 3s", &printed, &|n| format!("show {n} 3s"));
        swap("lineage counts", &printed, &|n| format!("lineage {n}"));
        swap("predict wordCounts", &printed, &|n| format!("predict {n}"));
        swap("window windowed 30s", &windowed, &|n| {
            format!("window {n} 30s")
        });
        swap("state totals hello", &stateful, &|n| {
            format!("state {n} hello")
        });
        swap("ledger lines 42", &source, &|n| format!("ledger {n} 42"));
        out
    }

    fn try_execute_inner(&mut self, line: &str) -> Result<String, String> {
        if let Some(stream) = self.predict.take() {
            let answer = line.trim();
            // A command typed instead of an answer (`step 10`) is run as a command, not
            // graded as the records "step" and "10"; `=` before an answer forces records.
            let first = answer.split_whitespace().next().unwrap_or_default();
            // A bare `cancel` cancels the prediction (as before `cancel N` was a command).
            if answer != "cancel" && help::COMMANDS.iter().any(|c| c.name == first) {
                let ran = self.try_execute_inner(answer);
                let note = format!("predict: cancelled: `{first}` is a command, so it ran as one (to answer with records that begin with a command's name, start the answer with `=`)");
                return match ran {
                    Ok(text) if text.is_empty() => Ok(note),
                    Ok(text) => Ok(format!("{note}\n{text}")),
                    Err(text) => Err(format!("{note}\n{text}")),
                };
            }
            let answer = answer.strip_prefix('=').unwrap_or(answer).trim();
            return self.grade(stream, answer);
        }
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            return Ok(String::new());
        }
        let mut words = line.split_whitespace();
        let cmd = words.next().unwrap_or_default();
        let args: Vec<&str> = words.collect();
        match cmd {
            "step" => self.step(&args),
            "run" => self.run_until(&args),
            "time" => self.time(&args),
            "streams" => {
                no_args("streams", &args)?;
                Ok(inspect::streams(&self.built.ssc))
            }
            "show" => {
                let (id, t) = self.stream_and_time("show", &args)?;
                inspect::show(&self.built.ssc, id, t)
            }
            "lineage" => {
                let (id, t) = self.stream_and_time("lineage", &args)?;
                inspect::lineage(&self.built.ssc, id, t)
            }
            "window" => {
                let (id, t) = self.stream_and_time("window", &args)?;
                // Without a time, the latest window (the last batch may be off the slide).
                inspect::window(&self.built.ssc, id, t, args.len() == 1)
            }
            "state" => {
                let Some((name, key)) = args.split_first() else {
                    return Err(usage("state"));
                };
                let id = self.find_stream("state", name)?;
                let key = if key.is_empty() {
                    None
                } else {
                    Some(key.join(" "))
                };
                inspect::state(&self.built.ssc, id, key.as_deref())
            }
            "blocks" => {
                let t = match args.as_slice() {
                    [] => self.last_batch("blocks")?,
                    rest => parse_time("blocks", &rest.join(" "))?,
                };
                inspect::blocks(&self.built.ssc, t)
            }
            "trace" => self.trace(&args),
            "restart" if args.is_empty() => self.restart_context(),
            "reload" => self.reload(&args),
            "cancel" => self.cancel(&args),
            "kill" | "restart" | "partition" | "heal" | "loss" | "latency" | "fail" | "slow"
            | "stop" => self.inject_now(cmd, &args),
            "at" => self.inject_at(&args),
            "cluster" => {
                no_args("cluster", &args)?;
                Ok(cluster::cluster(&self.built.ssc))
            }
            "wal" => {
                no_args("wal", &args)?;
                Ok(cluster::wal(&self.built.ssc))
            }
            "checkpoint" => {
                no_args("checkpoint", &args)?;
                Ok(cluster::checkpoint(&self.built.ssc))
            }
            "metrics" => self.metrics(&args),
            "faults" => self.faults(&args),
            "labels" => self.labels_command(&args),
            "ledger" => cluster::ledger(&self.built.ssc, &args),
            "back" => self.back(&args),
            "goto" => self.goto(&args),
            "save" => self.save(&args),
            "load" => self.load(&args),
            "plot" => self.plot(&args),
            "whatif" => match (args.as_slice(), &self.effective_scenario()) {
                ([knob, value], Some(sc)) => whatif::whatif(
                    sc,
                    &self.options,
                    &self.built.ssc,
                    knob,
                    value,
                    &self.interrupt,
                ),
                ([_, _], None) => {
                    Err("whatif: this session was not built from a scenario file".into())
                }
                _ => Err(usage("whatif")),
            },
            "predict" => self.ask(&args),
            "help" => match args.as_slice() {
                [] => Ok(help::overview()),
                [topic] => match help::command(topic) {
                    Some(c) => Ok(self.fit_examples(&help::detail(c))),
                    None => Err(format!(
                        "help: no command `{topic}`{}; commands are: {}",
                        did_you_mean(topic, help::COMMANDS.iter().map(|c| c.name)),
                        help::names()
                    )),
                },
                _ => Err(usage("help")),
            },
            "quit" | "exit" => {
                no_args(cmd, &args)?;
                self.quit = true;
                Ok(String::new())
            }
            _ if super::define::looks_like_statement(line) => self.define(line),
            other => Err(format!(
                "unknown command `{other}`{}; commands are: {} (type `help`)",
                did_you_mean(other, help::COMMANDS.iter().map(|c| c.name)),
                help::names()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::RunOptions;
    use std::sync::atomic::Ordering;

    fn wordcount() -> Session {
        let path = crate::scenario::resolve("wordcount").unwrap_or_else(|e| panic!("{e}"));
        let sc = crate::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        Session::new(&sc, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn interrupt_flag_stops_batch_loops_and_keeps_the_session() {
        // Proves the flag Ctrl-C sets stops `run until`, `step n`, `goto` replays and
        // `whatif`'s rerun before their next batch, with a message naming the command and
        // the clock, and leaves a session that works once the flag is cleared.
        let mut s = wordcount();
        let flag = s.interrupt_flag();
        s.execute("step 3");
        assert_eq!(s.context().now().ms(), 3000);
        flag.store(true, Ordering::SeqCst);
        let out = s.execute("run until 1900s");
        assert!(
            out.ends_with(
                "run: interrupted at 3000 ms (Ctrl-C) after 0 batches; the session continues"
            ),
            "{out}"
        );
        let out = s.execute("step 5");
        assert!(
            out.ends_with(
                "step: interrupted at 3000 ms (Ctrl-C) after 0 of 5 batches; the session continues"
            ),
            "{out}"
        );
        let out = s.execute("goto 20s");
        assert!(
            out.contains("goto: interrupted at 3000 ms (Ctrl-C)"),
            "{out}"
        );
        let out = s.execute("whatif wal on");
        assert!(out.starts_with("whatif: interrupted at "), "{out}");
        assert_eq!(s.context().now().ms(), 3000);
        s.clear_interrupt();
        let out = s.execute("run until 5s");
        assert!(out.ends_with("clock at 5000 ms; 2 batches run"), "{out}");
    }
}
