//! `stream-sim report`: the Streaming-tab page of a run (issue 13). The page's rendering in
//! a real browser is checked by scripts/check-report.sh (CI); these tests hold its content:
//! self-contained, deterministic, every batch time listed with its state.

use std::process::Command;
use stream_sim::scenario::{self, RunOptions};

fn page(name: &str) -> String {
    let path = scenario::resolve(name).unwrap_or_else(|e| panic!("{e}"));
    let sc = scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    stream_sim::report::report(&sc, &RunOptions::default(), None).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_page_is_self_contained_and_deterministic() {
    // No network: no external script, style sheet, image or font; the same seed gives the
    // same bytes (no wall-clock time in the page).
    let a = page("driver-failure-wal");
    assert_eq!(a, page("driver-failure-wal"));
    for external in ["src=\"http", "href=\"http", "@import", "url(http"] {
        assert!(!a.contains(external), "the page loads {external}");
    }
    assert!(a.starts_with("<!DOCTYPE html>"));
    assert!(a.trim_end().ends_with("</html>"));
}

#[test]
fn the_page_has_the_streaming_tab_and_the_run_s_failures() {
    let p = page("driver-failure-wal");
    for want in [
        "<h1>Streaming Statistics: driver-failure-wal</h1>",
        "Input Rate",
        "Scheduling Delay",
        "Processing Time",
        "Total Delay",
        "<h2>Active Batches (1)</h2>",
        "<h2>Completed Batches (last 20 out of 20)</h2>",
        "<td>6000 ms</td><td>10</td><td>5500 ms</td><td>50 ms</td><td>5550 ms</td><td>2 (re-run)</td>",
        "<h2>DStream Graph</h2>",
        "updateStateByKey(runningSum, 2)",
        "the driver failed (restarts at 11500 ms)",
        "kill driver (6500 ms)",
    ] {
        assert!(p.contains(want), "missing {want}");
    }
    // Four timelines and four histograms (plotters' SVG), the graph and the event timeline.
    assert_eq!(p.matches("data-chart=").count(), 10);
    assert_eq!(p.matches("<svg").count(), 10);
}

#[test]
fn a_starved_run_lists_every_queued_batch() {
    let p = page("starvation");
    assert!(p.contains("<h2>Active Batches (20)</h2>"), "active batches");
    assert!(p.contains("queued: no free core: 1 receiver(s) hold all 1 core(s)"));
    assert!(p.contains("<h2>Completed Batches (last 0 out of 0)</h2>"));
}

#[test]
fn the_command_writes_the_file() {
    let out = std::env::temp_dir().join(format!("stream-sim-report-{}.html", std::process::id()));
    let run = Command::new(env!("CARGO_BIN_EXE_stream-sim"))
        .args(["report", "wordcount", "--until", "5s", "--out"])
        .arg(&out)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let html = std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_file(&out);
    assert!(
        html.contains("<h2>Completed Batches (last 5 out of 5)</h2>"),
        "{html}"
    );
}
