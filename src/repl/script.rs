//! The scripted loop shared by the REPLs of the other models (record-at-a-time, event time):
//! the banner, then each command echoed after `> ` with its answer.

use std::io::{BufRead, Write};

/// Writes `banner`, then runs `input` line by line through `execute`, echoing each command
/// after `> ` with its answer, until `quit` / `exit` or the end of input.
///
/// # Errors
/// A failure to read or write.
pub fn run_lines(
    banner: &str,
    mut execute: impl FnMut(&str) -> String,
    input: impl BufRead,
    mut output: impl Write,
) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    writeln!(output, "{banner}").map_err(io)?;
    for line in input.lines() {
        let line = line.map_err(io)?;
        let cmd = line.trim();
        if cmd == "quit" || cmd == "exit" {
            break;
        }
        writeln!(output, "> {cmd}").map_err(io)?;
        let answer = execute(cmd);
        if !answer.is_empty() {
            writeln!(output, "{answer}").map_err(io)?;
        }
    }
    Ok(())
}
