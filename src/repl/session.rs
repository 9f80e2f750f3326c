//! The REPL session: its state (a built, started scenario, the time-travel history, the
//! interrupt flag), its accessors, and the stream and time lookups the commands share.

use super::args::{did_you_mean, parse_time, usage};
use super::travel::History;
use crate::models::dstream::{StreamId, StreamingContext};
use crate::scenario::{Built, RunOptions, Scenario};
use crate::sim::Time;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The most batches one `step` or `run until` may run.
pub const MAX_BATCHES: u64 = 100_000;

/// The farthest a session's clock may go, in batches from time zero, unless raised with
/// `stream-sim repl --max-batches N` ([`Session::set_max_batches`]): the REPL keeps every
/// batch for going back. Measured (release build, peak RSS after `step N`, issue 15):
/// `wordcount` 1,000 batches 197 MB, 10,000 160 MB, 100,000 599 MB, most of it the trace
/// (about 13 events per idle batch, kept for `trace` and the batch listener).
pub const MAX_SESSION_BATCHES: u64 = 2_000;

/// A REPL session: a built, started scenario and the commands that drive and inspect it.
pub struct Session {
    pub(super) built: Built,
    pub(super) name: String,
    pub(super) description: String,
    pub(super) quit: bool,
    /// The scenario behind the session (for `save` and `whatif`), when built from one.
    pub(super) scenario: Option<Scenario>,
    pub(super) options: RunOptions,
    pub(super) history: History,
    /// A `predict` waiting for its answer (the next line): the stream.
    pub(super) predict: Option<StreamId>,
    /// The batch time a pending `predict` asks about (the next batch when it was asked).
    pub(super) predict_at: Option<Time>,
    /// Set (by the terminal REPL's Ctrl-C handler) to stop the running command between
    /// two batches; see [`Session::interrupt_flag`].
    pub(super) interrupt: Arc<AtomicBool>,
    /// The farthest the clock may go, in batches ([`MAX_SESSION_BATCHES`] by default).
    pub(super) max_batches: u64,
    /// The batch listener over the trace so far (`None` after time travel: rebuilt).
    pub(super) batch_log: Option<crate::check::BatchLog>,
    /// `(trace length, time)`: after the last `step`, with the trace that long, every batch
    /// before `time` had completed (see `run_batch`).
    pub(super) settled: Option<(usize, Time)>,
    /// Whether `print()` headers name their stream (`Time: 5000 ms [counts]`).
    pub(super) labels: bool,
    /// Whether errors, faults and headers are coloured (ANSI).
    pub(super) color: bool,
    /// Statements typed at the prompt that joined the graph (rebuilt with the scenario's).
    pub(super) typed: Vec<crate::scenario::ast::Statement>,
    /// Statements typed after the first batch: refused as Spark refuses them, kept for
    /// `restart`.
    pub(super) pending: Vec<crate::scenario::ast::Statement>,
}

/// What a coloured piece of REPL output is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Paint {
    /// An error message (red).
    Error,
    /// A fault, a recovery, a queued or lost batch (yellow).
    Fault,
    /// A `print()` header (bold cyan).
    Header,
}

/// Whether to colour output written to a stream that `is_terminal`: yes unless `NO_COLOR`
/// is set to anything non-empty (<https://no-color.org>).
pub fn use_color(is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// The farthest time a fault or `goto` may name (about 31 years of virtual time).
pub(super) const MAX_TIME_MS: u64 = 1_000_000_000_000;

impl Session {
    /// Builds (and starts) `scenario`.
    ///
    /// # Errors
    /// The scenario's build error, as `file:line:col: message`.
    pub fn new(scenario: &Scenario, options: &RunOptions) -> Result<Session, String> {
        let built = scenario.build(options).map_err(|e| e.to_string())?;
        let mut s = Session::from_built(&scenario.name, &scenario.description, built);
        s.scenario = Some(scenario.clone());
        s.options = options.clone();
        Ok(s)
    }

    /// A session on an already built, started context (without a scenario, `save` and
    /// `whatif` are not available).
    pub fn from_built(name: &str, description: &str, built: Built) -> Session {
        let history = History::new(&built.ssc);
        Session {
            built,
            name: name.to_string(),
            description: description.to_string(),
            quit: false,
            scenario: None,
            options: RunOptions::default(),
            history,
            predict: None,
            predict_at: None,
            interrupt: Arc::new(AtomicBool::new(false)),
            max_batches: MAX_SESSION_BATCHES,
            batch_log: None,
            settled: None,
            labels: true,
            color: false,
            typed: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Whether `print()` headers name their stream: `Time: 5000 ms [counts]` (on by default
    /// in the REPL; Spark prints `Time: 5000 ms` alone). `labels on|off` at the prompt.
    pub fn set_labels(&mut self, on: bool) {
        self.labels = on;
    }

    /// Whether the REPL colours errors (red), faults (yellow) and `print()` headers (bold
    /// cyan) with ANSI escapes. Off by default; the terminal REPL turns it on when stdout is
    /// a terminal and `NO_COLOR` is not set ([`use_color`]).
    pub fn set_color(&mut self, on: bool) {
        self.color = on;
    }

    /// `text` in the colour of `what`, when colours are on.
    pub(super) fn paint(&self, what: Paint, text: &str) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = match what {
            Paint::Error => "31",
            Paint::Fault => "33",
            Paint::Header => "1;36",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    /// Sets how far the session's clock may go, in batches from time zero (default
    /// [`MAX_SESSION_BATCHES`]).
    pub fn set_max_batches(&mut self, max_batches: u64) {
        self.max_batches = max_batches;
    }

    /// Refuses a command that would take the clock past the session's limit
    /// ([`Session::set_max_batches`]), naming the limit and how to raise it.
    pub(super) fn check_horizon(&self, cmd: &str, target: Time) -> Result<(), String> {
        let config = self.built.ssc.config();
        crate::scenario::limits::check_run_length(
            &format!("{cmd}: going to {target}"),
            config.batch_interval,
            config.block_interval,
            target,
            self.max_batches,
        )
        .map_err(|m| {
            format!(
                "{} (the session's limit: the REPL keeps every batch for going back); raise it with `stream-sim repl --max-batches N`",
                m.replace("per run", "per session")
            )
        })
    }

    /// The session's interrupt flag. Setting it (from a signal handler or another thread)
    /// stops a command that runs batches (`step`, `run until`, `goto` / `back` replays,
    /// `whatif`) before its next batch: the session stays at the last completed batch and
    /// the command says it was interrupted. The REPL clears it before each command
    /// ([`Session::clear_interrupt`]); [`Session::execute`] does not.
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.interrupt)
    }

    /// Clears the interrupt flag (a Ctrl-C pressed between commands is forgotten).
    pub fn clear_interrupt(&self) {
        self.interrupt.store(false, Ordering::SeqCst);
    }

    pub(super) fn interrupted(&self) -> bool {
        self.interrupt.load(Ordering::SeqCst)
    }

    /// The line an interrupted command ends with; also keeps a snapshot of where it
    /// stopped (the thinning assumed the run would go on to its horizon).
    pub(super) fn interrupted_at(&mut self, cmd: &str, done: &str) -> String {
        let ssc = &self.built.ssc;
        self.history.record(ssc, ssc.now());
        format!(
            "{cmd}: interrupted at {} (Ctrl-C) after {done}; the session continues",
            ssc.now()
        )
    }

    /// The context (another handle to it).
    pub fn context(&self) -> &StreamingContext {
        &self.built.ssc
    }

    /// True once `quit` or `exit` ran.
    pub fn finished(&self) -> bool {
        self.quit
    }

    /// The prompt, with the virtual clock: `stream-sim [3000 ms]> `.
    pub fn prompt(&self) -> String {
        format!("stream-sim [{}]> ", self.built.ssc.now())
    }

    /// The lines printed when the REPL starts.
    pub fn banner(&self) -> String {
        let c = self.built.ssc.config();
        let mut lines = vec![format!("stream-sim REPL: scenario `{}`", self.name)];
        if !self.description.trim().is_empty() {
            lines.push(self.description.trim().to_string());
        }
        lines.push(format!(
            "batch interval {}, clock at {}; type `help` for the commands, `quit` to leave",
            c.batch_interval,
            self.built.ssc.now()
        ));
        lines.join("\n")
    }

    /// The named streams, in id order (for completion and messages).
    pub fn stream_names(&self) -> Vec<String> {
        self.built
            .ssc
            .with_graph(|g| g.nodes().iter().filter_map(|n| n.name.clone()).collect())
    }

    pub(super) fn last_batch(&self, cmd: &str) -> Result<Time, String> {
        self.built.ssc.last_batch().ok_or_else(|| {
            format!(
                "{cmd}: no batch has run yet (the clock is at {}); run `step` first or give a time",
                self.built.ssc.now()
            )
        })
    }

    pub(super) fn stream_and_time(
        &self,
        cmd: &str,
        args: &[&str],
    ) -> Result<(StreamId, Time), String> {
        let Some((name, rest)) = args.split_first() else {
            return Err(usage(cmd));
        };
        let id = self.find_stream(cmd, name)?;
        let t = if rest.is_empty() {
            self.last_batch(cmd)?
        } else {
            parse_time(cmd, &rest.join(" "))?
        };
        Ok((id, t))
    }

    pub(super) fn find_stream(&self, cmd: &str, name: &str) -> Result<StreamId, String> {
        self.built.ssc.with_graph(|g| {
            if let Some(n) = g.find(name) {
                return Ok(n.id());
            }
            if let Some(id) = name.strip_prefix('#').and_then(|d| d.parse::<usize>().ok()) {
                if id < g.nodes().len() {
                    return Ok(id);
                }
            }
            let named: Vec<&str> = g.nodes().iter().filter_map(|n| n.name.as_deref()).collect();
            let internal: Vec<String> = g
                .nodes()
                .iter()
                .filter(|n| n.name.is_none())
                .map(|n| n.label())
                .collect();
            let mut msg = format!(
                "{cmd}: unknown stream `{name}`; streams are: {}",
                named.join(", ")
            );
            if !internal.is_empty() {
                msg.push_str(&format!(" (internal steps: {})", internal.join(", ")));
            }
            msg.push_str(&did_you_mean(name, named.iter().copied()));
            Err(msg)
        })
    }
}

/// A command's output lines, kept as one text joined by newlines as they come (what
/// `Vec<String>::join("\n")` gives at the end). `step 100000` of `wordcount` prints about
/// 610,000 lines (18 MB): a `String` per line, then their join, held about 50 MB at the
/// peak of the REPL's memory (issue 15).
#[derive(Debug, Default)]
pub(super) struct Lines {
    text: String,
    /// Whether a line was pushed (the first line may be empty).
    any: bool,
}

impl Lines {
    /// No lines.
    pub(super) fn new() -> Lines {
        Lines::default()
    }

    /// Appends one line.
    pub(super) fn push(&mut self, line: impl AsRef<str>) {
        if self.any {
            self.text.push('\n');
        }
        self.text.push_str(line.as_ref());
        self.any = true;
    }

    /// Appends lines in order.
    pub(super) fn extend<S: AsRef<str>>(&mut self, lines: impl IntoIterator<Item = S>) {
        for l in lines {
            self.push(l);
        }
    }

    /// The lines so far, joined by newlines.
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    /// The lines, joined by newlines.
    pub(super) fn into_text(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod lines_tests {
    use super::Lines;

    /// Joined exactly as `Vec<String>::join("\n")`, empty lines included.
    #[test]
    fn lines_join_like_a_vec() {
        for case in [
            vec![],
            vec![""],
            vec!["", ""],
            vec!["a"],
            vec!["a", "", "b"],
            vec!["", "x", ""],
        ] {
            let mut l = Lines::new();
            l.extend(case.iter());
            assert_eq!(l.text(), case.join("\n"), "{case:?}");
            assert_eq!(l.into_text(), case.join("\n"));
        }
    }
}
