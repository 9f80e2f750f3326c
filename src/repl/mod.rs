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
//! `blocks [time]`, `trace [n]`, `help [command]`, `quit` / `exit`. A bad command returns a
//! message naming the command and what was expected, and changes nothing.

mod complete;
mod help;
mod inspect;

use crate::engine::{Event, State, StreamId, StreamingContext};
use crate::scenario::{Built, RunOptions, Scenario};
use crate::sim::{Duration, Time};
use std::io::{BufRead, IsTerminal, Write};

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
    editor.set_helper(Some(ReplHelper::new(session.stream_names())));
    let _ = editor.load_history(HISTORY_FILE);
    println!("{}", session.banner());
    let result = loop {
        match editor.readline(&session.prompt()) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
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
}

impl Session {
    /// Builds (and starts) `scenario`.
    ///
    /// # Errors
    /// The scenario's build error, as `file:line:col: message`.
    pub fn new(scenario: &Scenario, options: &RunOptions) -> Result<Session, String> {
        let built = scenario.build(options).map_err(|e| e.to_string())?;
        Ok(Session::from_built(
            &scenario.name,
            &scenario.description,
            built,
        ))
    }

    /// A session on an already built, started context.
    pub fn from_built(name: &str, description: &str, built: Built) -> Session {
        Session {
            built,
            name: name.to_string(),
            description: description.to_string(),
            quit: false,
        }
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
        for _ in 0..n {
            if !self.run_batch(&mut out) {
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
        let ssc = &self.built.ssc;
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
            ran += 1;
            if !self.run_batch(&mut out) {
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
    fn run_batch(&self, out: &mut Vec<String>) -> bool {
        let ssc = &self.built.ssc;
        let from = ssc.trace_len();
        let result = ssc.step();
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
