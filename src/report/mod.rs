//! `stream-sim report`: one self-contained HTML page of a run, shaped like the Spark UI's
//! Streaming tab (`streaming/ui/StreamingPage.scala`, `AllBatchesTable.scala`,
//! `BatchPage.scala`): the statistics rows (input rate, scheduling delay, processing time,
//! total delay), each a timeline beside a histogram; the active (queued) and completed batch
//! tables; plus what the tab has not: the batches that never ran, the DStream graph, the
//! faults, and a timeline of blocks, batches, re-runs and failures drawn from the trace.
//!
//! The page needs no network: charts are inline SVG (plotters for the timelines and
//! histograms, hand-written SVG for the graph and the event timeline), the style sheet and
//! the one small script are inline. The script only checks that the charts are there and
//! marks the page ready (`data-ready="1"` on `<body>`), so a headless browser can tell a
//! page that rendered from one that did not (`scripts/check-report.sh`). Same scenario and
//! seed give the same page, byte for byte (no wall-clock time in it).

use crate::check::batches::{batch_rows, BatchRow, BatchState};
use crate::models::dstream::{Event, StreamingContext};
use crate::plot;
use crate::scenario::{RunOptions, Scenario};
use crate::sim::Time;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The most rows the completed-batches table lists (the newest), as the Streaming tab keeps
/// `spark.streaming.ui.retainedBatches` (1000 by default).
pub const RETAINED_BATCHES: usize = 1000;

/// Runs `sc` with `options` until `until` (the scenario's `run_for` when `None`) and
/// returns the report page.
///
/// # Errors
/// The scenario's build error, or a failed job (the page is still written for a failed
/// job: the error is shown in it; only a build error is returned).
pub fn report(sc: &Scenario, options: &RunOptions, until: Option<Time>) -> Result<String, String> {
    let built = sc.build(options).map_err(|e| e.to_string())?;
    let end = until.unwrap_or(built.default_until);
    let mut sink = std::io::sink();
    let failure = match built.run_printing(end, &mut sink) {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(format!("job failed: {e}{}", built.locate(&e))),
        Err(e) => Some(format!("cannot run: {e}")),
    };
    Ok(page(sc, options, &built.ssc, failure.as_deref()))
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:sans-serif;margin:1.5em;color:#222}\
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;\
text-align:left;font-size:.9em}th{background:#eee}.queued{background:#fff3cd}\
.never{background:#f8d7da}.rerun{background:#ffe5b4}.stat td{vertical-align:top}\
.note{color:#555;font-size:.9em}svg{display:block}";

const SCRIPT: &str = "(function(){var want=document.querySelectorAll('[data-chart]').length;\
var got=document.querySelectorAll('[data-chart] svg').length;\
if(want===0||got!==want){console.error('report: '+got+' of '+want+' charts rendered');return;}\
document.body.setAttribute('data-ready','1');})();";

/// The page for a context that has run.
pub fn page(
    sc: &Scenario,
    options: &RunOptions,
    ssc: &StreamingContext,
    failure: Option<&str>,
) -> String {
    let rows = batch_rows(ssc);
    let trace = ssc.trace();
    let (_, failures) = plot::from_trace(&trace);
    let unrun = plot::unrun(&rows);
    let interval = ssc.config().batch_interval;
    let mut h = String::new();
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Streaming: {name}</title><style>{STYLE}</style></head><body>\n<h1>Streaming Statistics: {name}</h1>\n<p>{desc}</p>\n<p class=\"note\">stream-sim run of <code>{path}</code>, seed {seed}, batch interval {interval}, block interval {block}, until {now}. Each figure is virtual time.</p>",
        name = esc(&sc.name),
        desc = esc(sc.description.trim()),
        path = esc(&sc.path.display().to_string()),
        seed = options.seed,
        block = ssc.config().block_interval,
        now = ssc.now(),
    );
    if let Some(f) = failure {
        let _ = writeln!(h, "<p class=\"never\"><b>{}</b></p>", esc(f));
    }
    if let Some(s) = crate::check::batches::summary(&rows) {
        let _ = writeln!(h, "<p><b>Batches:</b> {}</p>", esc(&s));
    }
    stats(&mut h, &rows, &failures, &unrun, interval.ms());
    batch_tables(&mut h, &rows, &trace);
    graph(&mut h, ssc);
    faults(&mut h, sc, &trace);
    timeline(&mut h, &rows, &trace, ssc.now());
    let _ = writeln!(h, "<script>{SCRIPT}</script>\n</body></html>");
    h
}

fn completed(rows: &[BatchRow]) -> Vec<&BatchRow> {
    rows.iter().filter(|r| r.runs > 0).collect()
}

fn stats(
    h: &mut String,
    rows: &[BatchRow],
    failures: &[plot::Failure],
    unrun: &[plot::Unrun],
    interval_ms: u64,
) {
    let done = completed(rows);
    let _ = writeln!(
        h,
        "<h2>Statistics</h2>\n<p class=\"note\">{} completed batches, {} records. A cross on the time axis marks a batch that did not complete (queued or never run); a vertical line a failure.</p>\n<table class=\"stat\"><tr><th>figure</th><th>timeline</th><th>histogram</th></tr>",
        done.len(),
        done.iter().map(|r| r.input_records).sum::<usize>()
    );
    type Pick = fn(&BatchRow, f64) -> f64;
    let figures: [(&str, &str, Pick); 4] = [
        ("Input Rate", "records/s", |r, secs| {
            r.input_records as f64 / secs
        }),
        ("Scheduling Delay", "ms", |r, _| {
            r.scheduling_delay_ms.unwrap_or(0) as f64
        }),
        ("Processing Time", "ms", |r, _| {
            r.processing_time_ms.unwrap_or(0) as f64
        }),
        ("Total Delay", "ms", |r, _| {
            r.total_delay_ms.unwrap_or(0) as f64
        }),
    ];
    let secs = (interval_ms as f64 / 1000.0).max(1e-9);
    for (name, unit, pick) in figures {
        let values: Vec<(u64, f64)> = done.iter().map(|r| (r.time.ms(), pick(r, secs))).collect();
        let avg = if values.is_empty() {
            0.0
        } else {
            values.iter().map(|v| v.1).sum::<f64>() / values.len() as f64
        };
        let line = plot::timeline_svg_text(name, unit, &values, failures, unrun, (640, 220))
            .unwrap_or_else(|e| format!("<p>{}</p>", esc(&e)));
        let only: Vec<f64> = values.iter().map(|v| v.1).collect();
        let hist = plot::histogram_svg_text(name, &only, 10, (320, 220))
            .unwrap_or_else(|e| format!("<p>{}</p>", esc(&e)));
        let _ = writeln!(
            h,
            "<tr><td><b>{name}</b><br>avg {avg:.1} {unit}</td><td data-chart=\"timeline\">{line}</td><td data-chart=\"histogram\">{hist}</td></tr>"
        );
    }
    h.push_str("</table>\n");
}

fn batch_tables(h: &mut String, rows: &[BatchRow], trace: &[Event]) {
    let mut outputs: BTreeMap<Time, Vec<String>> = BTreeMap::new();
    for e in trace {
        if let Event::Output {
            time, op, stream, ..
        } = e
        {
            outputs
                .entry(*time)
                .or_default()
                .push(format!("{op}({stream})"));
        }
    }
    let active: Vec<&BatchRow> = rows
        .iter()
        .filter(|r| {
            matches!(
                r.state,
                BatchState::Queued { .. } | BatchState::Running { .. }
            )
        })
        .collect();
    let _ = writeln!(
        h,
        "<h2>Active Batches ({})</h2>\n<table><tr><th>Batch Time</th><th>Records</th><th>Status</th></tr>",
        active.len()
    );
    for r in &active {
        let _ = writeln!(
            h,
            "<tr class=\"queued\"><td>{}</td><td>{}</td><td>{}</td></tr>",
            r.time,
            if r.runs > 0 {
                r.input_records.to_string()
            } else {
                "-".into()
            },
            esc(&r.describe())
        );
    }
    h.push_str("</table>\n");
    let done = completed(rows);
    let skip = done.len().saturating_sub(RETAINED_BATCHES);
    let _ = writeln!(
        h,
        "<h2>Completed Batches (last {} out of {})</h2>\n<p class=\"note\">Output operations: each ran within the batch's processing time (per-operation durations are not modelled: the cost model times the batch's jobs together).</p>\n<table><tr><th>Batch Time</th><th>Records</th><th>Scheduling Delay</th><th>Processing Time</th><th>Total Delay</th><th>Runs</th><th>Output Ops</th></tr>",
        done.len() - skip,
        done.len()
    );
    let ms = |v: Option<u64>| v.map_or("-".to_string(), |v| format!("{v} ms"));
    for r in done.iter().rev().take(RETAINED_BATCHES) {
        let ops = outputs
            .get(&r.time)
            .map(|v| v.join(", "))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if r.runs > 1 || r.rerun { " class=\"rerun\"" } else { "" },
            r.time,
            r.input_records,
            ms(r.scheduling_delay_ms),
            ms(r.processing_time_ms),
            ms(r.total_delay_ms),
            if r.runs > 1 {
                format!("{} (re-run)", r.runs)
            } else {
                r.runs.to_string()
            },
            esc(&ops)
        );
    }
    h.push_str("</table>\n");
    let never: Vec<&BatchRow> = rows
        .iter()
        .filter(|r| {
            matches!(
                r.state,
                BatchState::NeverRun { .. } | BatchState::Failed { .. }
            )
        })
        .collect();
    let _ = writeln!(
        h,
        "<h2>Batches That Never Ran ({})</h2>\n<table><tr><th>Batch Time</th><th>Why</th></tr>",
        never.len()
    );
    for r in never {
        let _ = writeln!(
            h,
            "<tr class=\"never\"><td>{}</td><td>{}</td></tr>",
            r.time,
            esc(&r.describe())
        );
    }
    h.push_str("</table>\n");
}

/// The DStream graph as an SVG of boxes in columns by depth (inputs on the left), an edge
/// from each parent; output operations listed under it.
fn graph(h: &mut String, ssc: &StreamingContext) {
    let nodes: Vec<(String, String, Vec<usize>)> = ssc.with_graph(|g| {
        g.nodes()
            .iter()
            .map(|n| (n.label(), n.op.describe(), n.parents.clone()))
            .collect()
    });
    let mut depth = vec![0usize; nodes.len()];
    for i in 0..nodes.len() {
        // Parents come before children (ids in creation order).
        depth[i] = nodes[i]
            .2
            .iter()
            .filter(|p| **p < i)
            .map(|p| depth[*p] + 1)
            .max()
            .unwrap_or(0);
    }
    let mut row_in_col: BTreeMap<usize, usize> = BTreeMap::new();
    let mut pos = Vec::with_capacity(nodes.len());
    for d in &depth {
        let r = row_in_col.entry(*d).or_insert(0);
        pos.push((*d, *r));
        *r += 1;
    }
    let (bw, bh, gx, gy) = (210.0, 44.0, 60.0, 18.0);
    let cols = depth.iter().max().map_or(1, |d| d + 1);
    let rows = row_in_col.values().max().copied().unwrap_or(1);
    let width = cols as f64 * (bw + gx) + 20.0;
    let height = rows as f64 * (bh + gy) + 20.0;
    let at = |(c, r): (usize, usize)| (10.0 + c as f64 * (bw + gx), 10.0 + r as f64 * (bh + gy));
    let _ = write!(
        h,
        "<h2>DStream Graph</h2>\n<div data-chart=\"graph\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    for (i, n) in nodes.iter().enumerate() {
        for p in &n.2 {
            if *p < pos.len() {
                let (x0, y0) = at(pos[*p]);
                let (x1, y1) = at(pos[i]);
                let _ = write!(
                    h,
                    "<line x1=\"{}\" y1=\"{}\" x2=\"{x1}\" y2=\"{}\" stroke=\"#888\"/>",
                    x0 + bw,
                    y0 + bh / 2.0,
                    y1 + bh / 2.0
                );
            }
        }
    }
    for (i, n) in nodes.iter().enumerate() {
        let (x, y) = at(pos[i]);
        let mut op = n.1.clone();
        if op.chars().count() > 34 {
            op = op.chars().take(33).collect::<String>() + "…";
        }
        let _ = write!(
            h,
            "<rect x=\"{x}\" y=\"{y}\" width=\"{bw}\" height=\"{bh}\" rx=\"6\" fill=\"#e8f0fe\" stroke=\"#4a6fa5\"/><text x=\"{}\" y=\"{}\" font-weight=\"bold\">{}</text><text x=\"{}\" y=\"{}\">{}</text>",
            x + 6.0,
            y + 17.0,
            esc(&n.0),
            x + 6.0,
            y + 34.0,
            esc(&op)
        );
    }
    h.push_str("</svg></div>\n<p>Output operations: ");
    let outs: Vec<String> = ssc
        .outputs()
        .iter()
        .map(|(id, kind)| {
            let label = nodes.get(*id).map_or("?", |n| n.0.as_str());
            format!("{}({})", esc(kind), esc(label))
        })
        .collect();
    h.push_str(&outs.join(", "));
    h.push_str("</p>\n");
}

fn faults(h: &mut String, sc: &Scenario, trace: &[Event]) {
    h.push_str("<h2>Faults</h2>\n");
    if sc.cluster.faults.faults.is_empty() {
        h.push_str("<p>The scenario schedules no fault.</p>\n");
    } else {
        h.push_str("<p>Scheduled: ");
        let lines: Vec<String> = sc
            .cluster
            .faults
            .faults
            .iter()
            .map(|(t, f)| esc(&format!("at {t} {f}")))
            .collect();
        h.push_str(&lines.join("; "));
        h.push_str("</p>\n");
    }
    h.push_str("<table><tr><th>Time</th><th>What happened</th></tr>\n");
    let mut any = false;
    for e in trace {
        let what = match e {
            Event::WorkerKilled {
                worker,
                blocks_lost,
                ..
            } => format!("{worker} failed ({blocks_lost} blocks lost from its executor)"),
            Event::WorkerRestarted { worker, .. } => format!("{worker} restarted"),
            Event::DriverKilled { restart_at, .. } => {
                format!("the driver failed (restarts at {restart_at})")
            }
            Event::DriverRestarted {
                recovered_from_checkpoint,
                rerun,
                ..
            } => format!(
                "the driver restarted{}; re-runs {} batch(es)",
                if *recovered_from_checkpoint {
                    " from its checkpoint"
                } else {
                    " without a checkpoint"
                },
                rerun.len()
            ),
            Event::BlocksNotFound { stream, blocks, .. } => {
                format!("{} block(s) of {stream} lost", blocks.len())
            }
            Event::NetworkChanged { change, .. } => format!("network: {change}"),
            Event::ProtocolFault { fault, detail, .. } => format!("{fault}: {detail}"),
            Event::JobFailed { message, .. } => format!("job failed: {message}"),
            _ => continue,
        };
        any = true;
        let _ = writeln!(h, "<tr><td>{}</td><td>{}</td></tr>", e.time(), esc(&what));
    }
    if !any {
        h.push_str("<tr><td>-</td><td>no failure happened</td></tr>\n");
    }
    h.push_str("</table>\n");
}

/// Lanes on one time axis: blocks stored (a tick each, per input stream), batches (a bar
/// from the batch time to the end of its processing; orange when re-run, a grey cross when
/// it did not complete), and failures (red lines).
fn timeline(h: &mut String, rows: &[BatchRow], trace: &[Event], now: Time) {
    let mut blocks: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut runs: Vec<(u64, u64, u64, bool)> = Vec::new();
    let mut seen: BTreeMap<Time, u32> = BTreeMap::new();
    let mut faults: Vec<(u64, String)> = Vec::new();
    for e in trace {
        match e {
            Event::BlockStored { time, stream, .. } => {
                blocks.entry(stream.clone()).or_default().push(time.ms())
            }
            Event::BatchCompleted {
                time,
                scheduling_delay_ms,
                total_delay_ms,
                ..
            } => {
                let n = seen.entry(*time).or_insert(0);
                *n += 1;
                runs.push((
                    time.ms(),
                    time.ms() + scheduling_delay_ms,
                    time.ms() + total_delay_ms,
                    *n > 1,
                ));
            }
            Event::WorkerKilled { time, worker, .. } => {
                faults.push((time.ms(), format!("kill {worker}")))
            }
            Event::DriverKilled { time, .. } => faults.push((time.ms(), "kill driver".into())),
            _ => {}
        }
    }
    let end = runs
        .iter()
        .map(|r| r.2)
        .chain(std::iter::once(now.ms()))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (left, width) = (120.0, 1000.0);
    let x = |t: u64| left + t as f64 / end * width;
    let lanes = blocks.len() + 2;
    let height = lanes as f64 * 40.0 + 40.0;
    let _ = write!(
        h,
        "<h2>Timeline</h2>\n<p class=\"note\">Blocks stored (ticks), each batch from its time to the end of its processing (the light part is its scheduling delay; orange: a re-run), batches that did not complete (grey crosses) and failures (red lines), over {} ms.</p>\n<div data-chart=\"timeline\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">",
        end as u64,
        left + width + 20.0
    );
    let mut lane = 0usize;
    for (stream, ticks) in &blocks {
        let y = 20.0 + lane as f64 * 40.0;
        let _ = write!(
            h,
            "<text x=\"4\" y=\"{}\">blocks {}</text>",
            y + 14.0,
            esc(stream)
        );
        for t in ticks {
            let _ = write!(
                h,
                "<line x1=\"{0}\" y1=\"{y}\" x2=\"{0}\" y2=\"{1}\" stroke=\"#4a6fa5\"/>",
                x(*t),
                y + 20.0
            );
        }
        lane += 1;
    }
    let y = 20.0 + lane as f64 * 40.0;
    let _ = write!(h, "<text x=\"4\" y=\"{}\">batches</text>", y + 14.0);
    for (t, start, stop, rerun) in &runs {
        let colour = if *rerun { "#f0a030" } else { "#3c9d5d" };
        let _ = write!(
            h,
            "<rect x=\"{}\" y=\"{y}\" width=\"{}\" height=\"8\" fill=\"{colour}\" opacity=\"0.35\"/><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"12\" fill=\"{colour}\"><title>batch {t} ms</title></rect>",
            x(*t),
            (x(*start) - x(*t)).max(0.5),
            x(*start),
            y + 8.0,
            (x(*stop) - x(*start)).max(1.0)
        );
    }
    lane += 1;
    let y = 20.0 + lane as f64 * 40.0;
    let _ = write!(h, "<text x=\"4\" y=\"{}\">not completed</text>", y + 14.0);
    for r in rows.iter().filter(|r| {
        matches!(
            r.state,
            BatchState::Queued { .. } | BatchState::NeverRun { .. } | BatchState::Failed { .. }
        )
    }) {
        let cx = x(r.time.ms());
        let _ = write!(
            h,
            "<path d=\"M{} {} l8 8 m0 -8 l-8 8\" stroke=\"#777\" stroke-width=\"2\"><title>{}</title></path>",
            cx - 4.0,
            y + 6.0,
            esc(&r.to_string())
        );
    }
    for (t, what) in &faults {
        let _ = write!(
            h,
            "<line x1=\"{0}\" y1=\"10\" x2=\"{0}\" y2=\"{1}\" stroke=\"#c0392b\" stroke-width=\"2\"/><text x=\"{2}\" y=\"{1}\" fill=\"#c0392b\">{3} ({t} ms)</text>",
            x(*t),
            height - 6.0,
            x(*t) + 3.0,
            esc(what)
        );
    }
    h.push_str("</svg></div>\n");
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_html() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
