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
//! `ledger`), time travel (`back`, `goto`: `travel`), `save` / `load`, `plot`, `whatif`
//! and `predict`. A bad command returns a message naming the command and what was
//! expected, and changes nothing.
//!
//! Ctrl-C: at the prompt rustyline reads it as a key (`ReadlineError::Interrupted`, the
//! session goes on). While a command runs batches (`step`, `run until`, `goto` / `back`
//! replays, `whatif`'s rerun), the terminal REPL's SIGINT handler (installed only when stdin
//! is a terminal; scripted runs keep the default: Ctrl-C ends them) sets the session's
//! interrupt flag, which those loops check between batches: the command stops at the last
//! completed batch, says so, and the prompt comes back.

mod announce;
mod args;
mod cluster;
mod commands;
mod complete;
mod define;
pub mod event_time;
mod export;
mod faults;
mod files;
mod help;
mod inspect;
mod predict;
pub mod record_at_a_time;
mod replay;
pub mod script;
mod session;
mod stepping;
mod travel;
mod whatif;

use crate::scenario::{RunOptions, Scenario};
use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::Ordering;

pub use complete::ReplHelper;
pub use session::{use_color, Session, MAX_BATCHES, MAX_SESSION_BATCHES};

/// The history file of the terminal REPL, in the current directory.
pub const HISTORY_FILE: &str = ".stream-sim-history";

/// Builds `scenario` and runs the REPL on stdin/stdout until `quit`, `exit` or the end of
/// input.
///
/// # Errors
/// The scenario's build error (`file:line:col: message`), or a terminal / stdout failure.
pub fn run(scenario: &Scenario, options: &RunOptions, max_batches: u64) -> Result<(), String> {
    let mut session = Session::new(scenario, options)?;
    session.set_max_batches(max_batches);
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
    session.set_color(use_color(
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    ));
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
