//! The terminal REPL as a person meets it: the binary in a pseudo-terminal (so stdin is a
//! terminal and rustyline, its tab completion and the Ctrl-C handler are on), driven by
//! keystrokes with `rexpect`. Unix only (a pty); timeouts are generous so that a loaded
//! 2-core machine or CI passes.

#![cfg(unix)]

use rexpect::session::{spawn_command, PtySession};
use std::process::Command;
use std::time::Duration;

/// How long any one expectation may wait.
const TIMEOUT_MS: u64 = 20_000;

/// Waits for `needle`, panicking with what was seen instead.
fn expect(p: &mut PtySession, needle: &str) -> String {
    p.exp_string(needle)
        .unwrap_or_else(|e| panic!("waiting for {needle:?}: {e}"))
}

#[test]
fn tab_completes_and_ctrl_c_interrupts_a_long_run() {
    // Proves, in a real pseudo-terminal: `ste` + TAB completes to `step` (the completed
    // line runs a batch), and Ctrl-C during `run until 100000s` (100000 batches, minutes of
    // work) stops it between two batches with the interruption message, long before
    // 100000 s, while the session goes on: `time` answers and `quit` leaves cleanly.
    // The history file goes to a scratch directory, not the work tree.
    let dir = std::env::temp_dir().join(format!("stream-sim-pty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stream-sim"));
    // The session limit is raised so that `run until 100000s` is a long run to interrupt.
    cmd.args(["repl", "wordcount", "--max-batches", "200000"])
        .current_dir(&dir)
        .env("TERM", "xterm")
        .env_remove("STREAM_SIM_TIMING");
    let mut p = spawn_command(cmd, Some(TIMEOUT_MS)).expect("spawn the REPL in a pty");

    expect(&mut p, "stream-sim [0 ms]> ");

    // Tab completion: `ste` has one completion, `step`; Enter runs the completed line.
    p.send("ste").expect("type");
    p.flush().expect("flush");
    p.send("\t").expect("tab");
    p.flush().expect("flush");
    p.send("\r").expect("enter");
    p.flush().expect("flush");
    let out = expect(&mut p, "stream-sim [1000 ms]> ");
    assert!(
        out.contains("batch 1000 ms:") && !out.contains("unknown command"),
        "`ste` + TAB did not run `step`; the terminal showed:\n{out}"
    );

    // A run of 100000 batches, interrupted with Ctrl-C (byte 0x03: SIGINT once the
    // command runs and the terminal has left raw mode). A Ctrl-C that arrives while
    // rustyline still holds the line is read as a key at the next prompt instead, so send
    // it again until the run reports the interruption.
    p.send("run until 100000s\r").expect("type");
    p.flush().expect("flush");
    expect(&mut p, "run until 100000s");
    std::thread::sleep(Duration::from_millis(500));
    let mut seen = String::new();
    let mut interrupted = false;
    for _ in 0..5 {
        p.send_control('c').expect("Ctrl-C");
        match p.exp_regex(r"run: interrupted at \d+ ms \(Ctrl-C\)") {
            Ok((before, matched)) => {
                seen.push_str(&before);
                seen.push_str(&matched);
                interrupted = true;
                break;
            }
            Err(e @ rexpect::error::Error::EOF { .. }) => panic!("the REPL ended on Ctrl-C: {e}"),
            Err(e) => seen.push_str(&format!("\n[{e}]\n")),
        }
    }
    assert!(
        interrupted,
        "Ctrl-C did not interrupt the run; saw:\n{seen}"
    );
    let rest = expect(&mut p, "; the session continues");
    let time = seen
        .rsplit("run: interrupted at ")
        .next()
        .unwrap_or_default();
    let ms: u64 = time
        .split(' ')
        .next()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no time in the interruption message: {time}{rest}"));
    assert!(
        (1000..100_000_000).contains(&ms),
        "interrupted at {ms} ms, not before 100000 s"
    );
    // The prompt shows the clock where the run stopped.
    let prompt = format!("stream-sim [{ms} ms]> ");
    expect(&mut p, &prompt);

    // The session still answers, at the same clock.
    p.send("time\r").expect("type");
    p.flush().expect("flush");
    let out = expect(&mut p, "scenario runs until:");
    assert!(
        out.contains("clock:") && out.contains(&format!("{ms} ms")),
        "`time` after the interruption:\n{out}"
    );
    expect(&mut p, &prompt);

    p.send("quit\r").expect("type");
    p.flush().expect("flush");
    p.exp_eof().expect("the REPL leaves on `quit`");
    let _ = std::fs::remove_dir_all(&dir);
}
