//! The interactive REPL: step a scenario batch by batch and look inside it.
//!
//! [`run`] builds a scenario and reads commands: with rustyline (history in
//! `.stream-sim-history`, tab completion of commands, streams and help topics) when stdin is
//! a terminal, line by line otherwise, echoing each command after `> ` so that a piped
//! session reads as a transcript. The commands themselves live in [`Session`], whose
//! [`Session::execute`] maps a command line to the text to print; it depends only on the
//! session's state and the line, so tests drive it directly.
//!
//! Commands: `step [n]`, `run until <time>`, `time`, `streams`, `show <stream> [time]`,
//! `lineage <stream> [time]`, `window <stream> [time]`, `state <stream> [key]`,
//! `blocks [time]`, `trace [n]`, `help [command]`, `quit` / `exit`; faults (`kill`,
//! `restart`, the network's `partition`, `heal`, `loss`, `latency`, protocol points, `at`), the cluster's state (`cluster`, `wal`, `checkpoint`, `metrics`,
//! `ledger`), time travel (`back`, `goto`: [`travel`]), `save` / `load`, `plot`, `whatif`
//! and `predict`. A bad command returns a message naming the command and what was
//! expected, and changes nothing.
//!
//! Ctrl-C: at the prompt rustyline reads it as a key (`ReadlineError::Interrupted`, the
//! session goes on). While a command runs batches (`step`, `run until`, `goto` / `back`
//! replays, `whatif`'s rerun), the terminal REPL's SIGINT handler (installed only when stdin
//! is a terminal; scripted runs keep the default: Ctrl-C ends them) sets the session's
//! interrupt flag, which those loops check between batches: the command stops at the last
//! completed batch, says so, and the prompt comes back.

mod cluster;
mod complete;
mod help;
mod inspect;
mod travel;
mod whatif;

use crate::cluster::{Fault, FaultPlan};
use crate::models::dstream::{Event, State, StreamId, StreamingContext};
use crate::scenario::{Built, RunOptions, Scenario};
use crate::sim::{Duration, Time};
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use travel::History;

pub use complete::ReplHelper;

/// The history file of the terminal REPL, in the current directory.
pub const HISTORY_FILE: &str = ".stream-sim-history";

/// The most batches one `step` or `run until` may run.
pub const MAX_BATCHES: u64 = 100_000;

/// Builds `scenario` and runs the REPL on stdin/stdout until `quit`, `exit` or the end of
/// input.
///
/// # Errors
/// The scenario's build error (`file:line:col: message`), or a terminal / stdout failure.
pub fn run(scenario: &Scenario, options: &RunOptions) -> Result<(), String> {
    let mut session = Session::new(scenario, options)?;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        run_terminal(&mut session)
    } else {
        run_script(&mut session, stdin.lock(), std::io::stdout().lock())
    }
}

/// Runs commands read line by line from `input`, writing a transcript to `output`: the
/// banner, then each command after `> ` followed by its result. Stops at `quit` / `exit`
/// or the end of input.
///
/// # Errors
/// A failure to read `input` or write `output` (a closed pipe on `output` ends quietly).
pub fn run_script(
    session: &mut Session,
    mut input: impl BufRead,
    mut output: impl Write,
) -> Result<(), String> {
    let write_err = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            None
        } else {
            Some(format!("cannot write the REPL's output: {e}"))
        }
    };
    if let Err(e) = writeln!(output, "{}", session.banner()) {
        return write_err(e).map_or(Ok(()), Err);
    }
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(format!("cannot read commands: {e}")),
        }
        let line = String::from_utf8_lossy(&buf);
        let line = line.trim_end_matches(['\n', '\r']);
        session.clear_interrupt();
        let text = session.execute(line);
        let result = writeln!(output, "> {line}").and_then(|()| {
            if text.is_empty() {
                Ok(())
            } else {
                writeln!(output, "{text}")
            }
        });
        if let Err(e) = result {
            return write_err(e).map_or(Ok(()), Err);
        }
        if session.finished() {
            break;
        }
    }
    output
        .flush()
        .map_err(|e| format!("cannot write the REPL's output: {e}"))
}

fn run_terminal(session: &mut Session) -> Result<(), String> {
    use rustyline::error::ReadlineError;
    let mut editor: rustyline::Editor<ReplHelper, rustyline::history::DefaultHistory> =
        rustyline::Editor::new().map_err(|e| format!("cannot start the line editor: {e}"))?;
    editor.set_helper(Some(ReplHelper::with_workers(
        session.stream_names(),
        session.context().cluster().workers.len(),
    )));
    let _ = editor.load_history(HISTORY_FILE);
    // Ctrl-C while a command runs batches stops it between two batches (at the prompt the
    // terminal is in raw mode and rustyline reads Ctrl-C as a key instead). One handler per
    // process: if one is already set (or it cannot be set), Ctrl-C keeps what it did.
    let flag = session.interrupt_flag();
    let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
    println!("{}", session.banner());
    let result = loop {
        match editor.readline(&session.prompt()) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                session.clear_interrupt();
                let text = session.execute(&line);
                if !text.is_empty() {
                    println!("{text}");
                }
                if session.finished() {
                    break Ok(());
                }
            }
            Err(ReadlineError::Interrupted) => println!("(type `quit` or press Ctrl-D to leave)"),
            Err(ReadlineError::Eof) => break Ok(()),
            Err(e) => break Err(format!("cannot read a command: {e}")),
        }
    };
    let _ = editor.save_history(HISTORY_FILE);
    result
}

/// A REPL session: a built, started scenario and the commands that drive and inspect it.
pub struct Session {
    built: Built,
    name: String,
    description: String,
    quit: bool,
    /// The scenario behind the session (for `save` and `whatif`), when built from one.
    scenario: Option<Scenario>,
    options: RunOptions,
    history: History,
    /// A `predict` waiting for its answer (the next line): the stream.
    predict: Option<StreamId>,
    /// Set (by the terminal REPL's Ctrl-C handler) to stop the running command between
    /// two batches; see [`Session::interrupt_flag`].
    interrupt: Arc<AtomicBool>,
}

/// The farthest time a fault or `goto` may name (about 31 years of virtual time).
const MAX_TIME_MS: u64 = 1_000_000_000_000;

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
            interrupt: Arc::new(AtomicBool::new(false)),
        }
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

    fn interrupted(&self) -> bool {
        self.interrupt.load(Ordering::SeqCst)
    }

    /// The line an interrupted command ends with; also keeps a snapshot of where it
    /// stopped (the thinning assumed the run would go on to its horizon).
    fn interrupted_at(&mut self, cmd: &str, done: &str) -> String {
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

    /// Runs one command line and returns the text to print: the command's output, or a
    /// message naming the command and what was expected. Never panics; a bad command
    /// changes nothing.
    pub fn execute(&mut self, line: &str) -> String {
        match self.try_execute(line) {
            Ok(text) | Err(text) => text,
        }
    }

    /// As [`Session::execute`], telling errors apart.
    ///
    /// # Errors
    /// The message for a bad command (unknown command, stream or time, wrong arguments).
    pub fn try_execute(&mut self, line: &str) -> Result<String, String> {
        if let Some(stream) = self.predict.take() {
            return self.grade(stream, line.trim());
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
                inspect::window(&self.built.ssc, id, t)
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
            "kill" | "restart" | "partition" | "heal" | "loss" | "latency" | "fail" => {
                self.inject_now(cmd, &args)
            }
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
            "metrics" => {
                let n = match args.as_slice() {
                    [] => 20,
                    [n] => n.parse::<usize>().map_err(|_| {
                        format!(
                            "metrics: expected a number of batches, found `{n}`; e.g. 'metrics 10'"
                        )
                    })?,
                    _ => return Err(usage("metrics")),
                };
                Ok(cluster::metrics(&self.built.ssc, n))
            }
            "ledger" => cluster::ledger(&self.built.ssc, &args),
            "back" => self.back(&args),
            "goto" => self.goto(&args),
            "save" => self.save(&args),
            "load" => self.load(&args),
            "plot" => self.plot(&args),
            "whatif" => match (args.as_slice(), &self.scenario) {
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
                    Some(c) => Ok(help::detail(c)),
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
            other => Err(format!(
                "unknown command `{other}`{}; commands are: {} (type `help`)",
                did_you_mean(other, help::COMMANDS.iter().map(|c| c.name)),
                help::names()
            )),
        }
    }

    fn step(&mut self, args: &[&str]) -> Result<String, String> {
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
        let mut out = Vec::new();
        let batch = self.built.ssc.config().batch_interval.ms();
        let horizon = Time(
            self.built
                .ssc
                .now()
                .ms()
                .saturating_add(n.saturating_mul(batch)),
        );
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
        Ok(out.join("\n"))
    }

    fn run_until(&mut self, args: &[&str]) -> Result<String, String> {
        let until = match args {
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
        let mut out = Vec::new();
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
        Ok(out.join("\n"))
    }

    /// Runs the next batch, appending its output and summary to `out`; false when the
    /// context stopped (a job failed) or was not active.
    fn run_batch(&mut self, out: &mut Vec<String>, horizon: Time) -> bool {
        let ssc = &self.built.ssc;
        let from = ssc.trace_len();
        let result = ssc.step();
        self.history.record(ssc, horizon);
        let events = ssc.trace_since(from);
        let mut blocks = 0usize;
        let mut files = 0usize;
        let mut summary = None;
        for e in &events {
            match e {
                Event::Output {
                    op, stream, lines, ..
                } => {
                    if op == "print" {
                        out.extend(lines.iter().cloned());
                    } else {
                        out.extend(lines.iter().map(|l| format!("{op}({stream}): {l}")));
                    }
                }
                Event::BatchAllocation { blocks: b, .. } => blocks += b.len(),
                Event::FileSelected { .. } => files += 1,
                Event::BatchCompleted {
                    time,
                    input_records,
                    ..
                } => {
                    let mut s = format!(
                        "batch {time}: {input_records} input record{}, {blocks} block{}",
                        plural(*input_records),
                        plural(blocks)
                    );
                    if files > 0 {
                        s.push_str(&format!(", {files} new file{}", plural(files)));
                    }
                    summary = Some(s);
                }
                Event::Warning { message, .. } => out.push(format!("warning: {message}")),
                _ => {}
            }
        }
        match result {
            Ok(Some(_)) => {
                out.extend(summary);
                true
            }
            Ok(None) => {
                out.push("the context is not active; no batch ran".into());
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
                out.push(format!(
                    "batch {at} failed: {e}\nthe context is stopped; inspection commands still work"
                ));
                false
            }
        }
    }

    fn check_active(&self, cmd: &str) -> Result<(), String> {
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

    fn time(&self, args: &[&str]) -> Result<String, String> {
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

    fn trace(&self, args: &[&str]) -> Result<String, String> {
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

    fn last_batch(&self, cmd: &str) -> Result<Time, String> {
        self.built.ssc.last_batch().ok_or_else(|| {
            format!(
                "{cmd}: no batch has run yet (the clock is at {}); run `step` first or give a time",
                self.built.ssc.now()
            )
        })
    }

    fn stream_and_time(&self, cmd: &str, args: &[&str]) -> Result<(StreamId, Time), String> {
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

    fn find_stream(&self, cmd: &str, name: &str) -> Result<StreamId, String> {
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

/// The usage message of a command: `run: expected 'run until <time>', e.g. 'run until 90s'`.
fn usage(cmd: &str) -> String {
    match help::command(cmd) {
        Some(c) => format!("{cmd}: expected '{}', e.g. '{}'", c.usage, c.example),
        None => format!("{cmd}: bad arguments"),
    }
}

fn no_args(cmd: &str, args: &[&str]) -> Result<(), String> {
    if args.is_empty() {
        Ok(())
    } else {
        Err(format!("{}; it takes no arguments", usage(cmd)))
    }
}

fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match help::closest(word, candidates) {
        Some(c) => format!(" (did you mean `{c}`?)"),
        None => String::new(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Parses a time argument: a bare integer (milliseconds) or a duration (`3000ms`, `3s`,
/// `1min`, also `3000 ms` as times are printed).
fn parse_time(cmd: &str, text: &str) -> Result<Time, String> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<u64>() {
        return Ok(Time(ms));
    }
    Duration::parse(text)
        .map(|d| Time(d.ms()))
        .map_err(|e| format!("{cmd}: bad time `{text}`: {e}; write e.g. 3000, 3000ms, 3s or 1min"))
}

impl Session {
    /// The workers' names, for messages.
    fn worker_list(&self) -> String {
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
    fn parse_fault(&self, cmd: &str, verb: &str, target: &[&str]) -> Result<Fault, String> {
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
    fn schedule(&mut self, cmd: &str, at: Time, fault: Fault) -> Result<(), String> {
        let ssc = &self.built.ssc;
        ssc.inject(at, fault.clone())
            .map_err(|e| format!("{cmd}: {e}"))?;
        self.history.injected(ssc, at, fault);
        Ok(())
    }

    /// `kill ...` / `restart ...` / `partition ...` ...: the fault acts now (1 ms after what already happened at
    /// the current instant, so that a saved scenario replays it identically).
    fn inject_now(&mut self, cmd: &str, args: &[&str]) -> Result<String, String> {
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
    fn inject_at(&mut self, args: &[&str]) -> Result<String, String> {
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

    /// `back [n]`.
    fn back(&mut self, args: &[&str]) -> Result<String, String> {
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
    fn goto(&mut self, args: &[&str]) -> Result<String, String> {
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
        }
        self.travel("goto", target)
    }

    /// Puts the session at `target`: the state after every event at or before it.
    fn travel(&mut self, cmd: &str, target: Time) -> Result<String, String> {
        let started = std::time::Instant::now();
        let ssc = self.built.ssc.clone();
        let now = ssc.now();
        // Backwards: the nearest snapshot at or before the target. Forwards: one of those
        // too if it is later than now (the timeline's future is kept), else step on.
        let mut how = String::new();
        let not_before = (target >= now).then_some(now);
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

    /// `save FILE`.
    fn save(&mut self, args: &[&str]) -> Result<String, String> {
        let [file] = args else {
            return Err(usage("save"));
        };
        let Some(sc) = &self.scenario else {
            return Err("save: this session was not built from a scenario file".into());
        };
        let path = std::path::Path::new(file);
        let text = whatif::save_text(sc, &self.options, &self.built.ssc, path)?;
        std::fs::write(path, text).map_err(|e| format!("save: cannot write {file}: {e}"))?;
        let faults = self.built.ssc.cluster().config.faults.faults.len();
        Ok(format!(
            "saved to {file} ({faults} fault{}); replay: stream-sim repl {file}, then run until {}ms",
            plural(faults),
            self.built.ssc.now().ms()
        ))
    }

    /// `load FILE`.
    fn load(&mut self, args: &[&str]) -> Result<String, String> {
        let [file] = args else {
            return Err(usage("load"));
        };
        let path = crate::scenario::resolve(file).map_err(|e| format!("load: {e}"))?;
        let sc = crate::scenario::load(&path).map_err(|e| format!("load: {e}"))?;
        let mut fresh = Session::new(&sc, &self.options).map_err(|e| format!("load: {e}"))?;
        // The same flag: the Ctrl-C handler holds it.
        fresh.interrupt = Arc::clone(&self.interrupt);
        *self = fresh;
        Ok(self.banner())
    }

    /// `plot delays|records FILE.svg`.
    fn plot(&mut self, args: &[&str]) -> Result<String, String> {
        let [kind, file] = args else {
            return Err(usage("plot"));
        };
        let ssc = &self.built.ssc;
        let (points, failures) = crate::plot::from_trace(&ssc.trace());
        if points.is_empty() {
            return Err("plot: no batch has completed yet; run `step` first".into());
        }
        let path = std::path::Path::new(file);
        match *kind {
            "delays" => crate::plot::delays_svg(
                path,
                &points,
                ssc.config().batch_interval.ms(),
                &failures,
            ),
            "records" => crate::plot::records_svg(path, &points, &failures),
            other => {
                return Err(format!(
                    "plot: unknown chart `{other}`; charts are delays and records, e.g. 'plot delays delays.svg'"
                ))
            }
        }
        .map_err(|e| format!("plot: {e}"))?;
        Ok(format!(
            "wrote {file}: {kind} of {} batch{}, {} failure{} marked",
            points.len(),
            if points.len() == 1 { "" } else { "es" },
            failures.len(),
            plural(failures.len())
        ))
    }

    /// `predict <stream>`: asks for the next output.
    fn ask(&mut self, args: &[&str]) -> Result<String, String> {
        let [name] = args else {
            return Err(usage("predict"));
        };
        let id = self.find_stream("predict", name)?;
        self.check_active("predict")?;
        let next = self
            .built
            .ssc
            .next_batch_time()
            .map_or_else(|| "the next batch".to_string(), |t| t.to_string());
        self.predict = Some(id);
        Ok(format!(
            "predict: what will `{name}` output at {next}? Type its records on the next line as print() shows them, separated by spaces (or by `;` when a record holds a space); an empty line or `none` for no records, `cancel` to give up"
        ))
    }

    /// Grades the answer to `predict`: runs the batch and compares multisets of records.
    fn grade(&mut self, stream: StreamId, answer: &str) -> Result<String, String> {
        if answer == "cancel" {
            return Ok("predict: cancelled; nothing ran".into());
        }
        let ssc = self.built.ssc.clone();
        let label = ssc.with_graph(|g| g.node(stream).label());
        let printed = ssc
            .outputs()
            .iter()
            .any(|(s, op)| *s == stream && op == "print");
        let from = ssc.trace_len();
        let mut out = Vec::new();
        let horizon = ssc.now();
        if !self.run_batch(&mut out, horizon) {
            return Err(format!("predict: no batch ran\n{}", out.join("\n")));
        }
        let Some(t) = ssc.last_batch() else {
            return Err("predict: no batch ran".into());
        };
        let events = ssc.trace_since(from);
        let actual: Vec<String> = if printed {
            events
                .iter()
                .find_map(|e| match e {
                    Event::Output {
                        op,
                        stream: s,
                        lines,
                        ..
                    } if op == "print" && *s == label => Some(
                        lines
                            .iter()
                            .skip(3)
                            .filter(|l| !l.is_empty() && l.as_str() != "...")
                            .cloned()
                            .collect(),
                    ),
                    _ => None,
                })
                .unwrap_or_default()
        } else {
            ssc.with_graph(|g| {
                g.node(stream)
                    .generated()
                    .get(&t)
                    .map(|rdd| rdd.iter().map(ToString::to_string).collect())
                    .unwrap_or_default()
            })
        };
        let guess = split_records(answer);
        let count = |v: &[String]| {
            let mut m: BTreeMap<String, usize> = BTreeMap::new();
            for r in v {
                *m.entry(r.clone()).or_default() += 1;
            }
            m
        };
        let (want, got) = (count(&actual), count(&guess));
        let mut lines = out;
        let what = if printed {
            "the records print() showed"
        } else {
            "the records of its RDD"
        };
        if want == got {
            lines.push(format!(
                "predict: correct: {} record{} of `{label}` at {t}, exactly {what}",
                actual.len(),
                plural(actual.len())
            ));
        } else {
            lines.push(format!(
                "predict: not quite: {what} of `{label}` at {t} differ"
            ));
            let missed: Vec<String> = diff(&want, &got);
            let extra: Vec<String> = diff(&got, &want);
            if !missed.is_empty() {
                lines.push(format!("  you missed:        {}", missed.join(" ")));
            }
            if !extra.is_empty() {
                lines.push(format!("  not in the output: {}", extra.join(" ")));
            }
        }
        Ok(lines.join("\n"))
    }
}

/// Records in `a` more often than in `b` (each as many times as the surplus).
fn diff(a: &BTreeMap<String, usize>, b: &BTreeMap<String, usize>) -> Vec<String> {
    let mut out = Vec::new();
    for (r, n) in a {
        let m = b.get(r).copied().unwrap_or(0);
        for _ in m..*n {
            out.push(r.clone());
        }
    }
    out
}

/// Splits a `predict` answer into records: by `;` if there is one, else by spaces outside
/// parentheses and brackets. `none` and an empty line are no records.
fn split_records(answer: &str) -> Vec<String> {
    let answer = answer.trim();
    if answer.is_empty() || answer == "none" {
        return Vec::new();
    }
    if answer.contains(';') {
        return answer
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
    }
    let mut out = Vec::new();
    let mut depth = 0i64;
    let mut cur = String::new();
    for c in answer.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            _ => {}
        }
        if c.is_whitespace() && depth <= 0 {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let out = s.execute("run until 100000s");
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
