//! The book's answer keys (one snippet per exercise of chapters 1 to 10, `chNN-exM.*`) and
//! the snippets of the sections added for issue 17 (transform with a static dataset,
//! remember, the context's lifecycle, tuning). Each runs a bundled scenario or an edited copy
//! of one (see [`super::edited`]), as the exercise's own command would.

use super::{
    check_copy, check_report_sc, edited, load, metrics_sc, options, print_output, print_sc,
    print_seeded, repl, repl_sc, secs, Make,
};
use crate::models::dstream::Event;
use crate::scenario::Scenario;
use crate::sim::{Duration, Time};
use std::fmt::Write as _;

/// The answer keys' and new sections' snippets, by file name.
pub(super) fn snippets() -> Vec<(&'static str, Make)> {
    vec![
        // Sections added for issue 17: transform with a static dataset, remember, lifecycle,
        // tuning.
        (
            "ch02-transform-join.txt",
            Box::new(|| {
                let text = print_output("flights", secs(30), Some(&[30_000]))?;
                // Only the first printout at 15 s: `named`, the transform with the join.
                let end = text.find("\n\n---").map_or(text.len(), |i| i + 2);
                Ok(text[..end].to_string())
            }),
        ),
        (
            "ch02-transform-lineage.txt",
            Box::new(|| repl("flights", &["!step 6", "lineage named"])),
        ),
        (
            "ch02-forgotten.txt",
            Box::new(|| repl("book-transformations", &["!step 3", "show words 1s"])),
        ),
        (
            "ch02-remember.txt",
            Box::new(|| {
                repl_sc(
                    edited(
                        "book-transformations",
                        &[(
                            "batch_interval = \"1s\"\n",
                            "batch_interval = \"1s\"\nremember = \"5s\"\n",
                        )],
                    )?,
                    &["!step 3", "show words 1s"],
                )
            }),
        ),
        ("ch02-lifecycle.txt", Box::new(|| Ok(lifecycle()))),
        ("ch09-tuning.md", Box::new(tuning_table)),
        // Answer keys of the exercises (chapters 1 to 10), `chNN-exM-*.txt`.
        (
            "ch01-ex1.txt",
            Box::new(|| repl("book-batches", &["!step 2", "blocks"])),
        ),
        (
            "ch01-ex2.txt",
            Box::new(|| {
                repl_sc(
                    edited(
                        "book-batches",
                        &[("batch_interval = \"2s\"", "batch_interval = \"1s\"")],
                    )?,
                    &["step", "show lines"],
                )
            }),
        ),
        (
            "ch01-ex3.txt",
            Box::new(|| {
                repl_sc(
                    edited(
                        "book-batches",
                        &[("block_interval = \"500ms\"", "block_interval = \"300ms\"")],
                    )?,
                    &["!step", "blocks", "!step", "blocks"],
                )
            }),
        ),
        (
            "ch01-ex4.txt",
            Box::new(|| print_output("book-batches", secs(12), Some(&[10_000, 12_000]))),
        ),
        (
            "ch02-ex1.txt",
            Box::new(|| {
                print_sc(
                    edited(
                        "book-transformations",
                        &[("[\"to see or not to see\"]", "[\"to be\", \"to see\"]")],
                    )?,
                    secs(2),
                    Some(&[2_000]),
                )
            }),
        ),
        (
            "ch02-ex2.txt",
            Box::new(|| {
                print_sc(
                    edited(
                        "book-transformations",
                        &[
                            ("counts.print()\n", ""),
                            (
                                "distinctWords.print()\n",
                                "distinctWords.print()\ncounts.print()\n",
                            ),
                        ],
                    )?,
                    secs(3),
                    Some(&[1_000]),
                )
            }),
        ),
        (
            "ch02-ex3.txt",
            Box::new(|| {
                check_copy(
                    "book-transformations",
                    &[("counts.print()\n", ""), ("distinctWords.print()\n", "")],
                )
            }),
        ),
        (
            "ch02-ex4.txt",
            Box::new(|| {
                repl_sc(
                    edited(
                        "book-transformations",
                        &[(
                            "flatMap(split(\" \"))",
                            "flatMap(split(\" \")).repartition(4)",
                        )],
                    )?,
                    &["!step", "show counts"],
                )
            }),
        ),
        (
            "ch03-ex1.txt",
            Box::new(|| print_output("book-windows", secs(3), Some(&[2_000, 3_000]))),
        ),
        (
            "ch03-ex2.txt",
            Box::new(|| print_output("book-windows", secs(7), Some(&[6_000, 7_000]))),
        ),
        (
            "ch03-ex3.txt",
            Box::new(|| {
                print_sc(
                    edited("book-windows", &[("3s, 1s", "4s, 2s")])?,
                    secs(4),
                    Some(&[2_000, 4_000]),
                )
            }),
        ),
        (
            "ch03-ex4.txt",
            Box::new(|| check_copy("book-windows", &[("window(3s, 1s)", "window(2500ms, 1s)")])),
        ),
        (
            "ch04-ex1.txt",
            Box::new(|| {
                print_sc(
                    edited(
                        "book-state",
                        &[(
                            "if (values.isEmpty) None else Some(values.sum + state.getOrElse(0))",
                            "Some(values.sum + state.getOrElse(0))",
                        )],
                    )?,
                    secs(4),
                    None,
                )
            }),
        ),
        (
            "ch04-ex2.txt",
            Box::new(|| {
                print_sc(
                    edited("book-state", &[("[\"dog dog\"]", "[\"cat dog dog\"]")])?,
                    secs(3),
                    Some(&[3_000]),
                )
            }),
        ),
        (
            "ch04-ex4.txt",
            Box::new(|| repl("stateful", &["!run until 5s", "state runningCounts"])),
        ),
        (
            "ch05-ex1.txt",
            Box::new(|| {
                print_sc(
                    edited(
                        "book-receivers",
                        &[("block_interval = \"250ms\"", "block_interval = \"500ms\"")],
                    )?,
                    secs(2),
                    None,
                )
            }),
        ),
        (
            "ch05-ex2.txt",
            Box::new(|| {
                print_sc(
                    edited("starvation", &[("cores = 1", "cores = 2")])?,
                    secs(2),
                    Some(&[1_000]),
                )
            }),
        ),
        (
            "ch05-ex3.txt",
            Box::new(|| {
                repl_sc(
                    edited("book-receivers", &[("replication = 2", "replication = 1")])?,
                    &["!step", "blocks"],
                )
            }),
        ),
        (
            "ch05-ex4.txt",
            Box::new(|| repl("book-receivers", &["!step 2", "blocks 1s"])),
        ),
        (
            "ch06-ex1.txt",
            Box::new(|| {
                check_report_sc(edited(
                    "worker-failure",
                    &[("at 5500ms kill worker-1", "at 9500ms kill worker-1")],
                )?)
            }),
        ),
        (
            "ch06-ex3.txt",
            Box::new(|| {
                check_report_sc(edited(
                    "worker-failure",
                    &[(
                        "[cluster]\n",
                        "[cluster]\nreceiver_restart_delay = \"500ms\"\n",
                    )],
                )?)
            }),
        ),
        (
            "ch07-ex1.txt",
            Box::new(|| {
                check_report_sc(edited(
                    "driver-failure-wal",
                    &[("at 6500ms kill driver", "at 8500ms kill driver")],
                )?)
            }),
        ),
        (
            "ch07-ex2.txt",
            Box::new(|| {
                check_report_sc(edited(
                    "driver-failure-wal",
                    &[
                        ("at 6500ms kill driver", "at 8500ms kill driver"),
                        ("wal = true", "wal = false"),
                    ],
                )?)
            }),
        ),
        (
            "ch07-ex3.txt",
            Box::new(|| repl("lineage-growth", &["!run until 31s", "lineage rarely"])),
        ),
        (
            "ch07-ex4.txt",
            Box::new(|| {
                check_copy(
                    "lineage-growth",
                    &[("checkpoint(2s)", "checkpoint(1500ms)")],
                )
            }),
        ),
        (
            "ch08-ex1.txt",
            Box::new(|| {
                check_report_sc(edited(
                    "kafka-direct",
                    &[("sink = \"idempotent\"", "sink = \"at-least-once\"")],
                )?)
            }),
        ),
        (
            "ch08-ex2.txt",
            Box::new(|| {
                check_report_sc(edited(
                    "kafka-direct",
                    &[
                        ("sink = \"idempotent\"", "sink = \"at-least-once\""),
                        ("at 6500ms kill driver\n", ""),
                    ],
                )?)
            }),
        ),
        ("ch09-ex1.md", Box::new(keep_up_rates)),
        (
            "ch09-ex2.md",
            Box::new(|| {
                metrics_sc(
                    edited("falling-behind", &[("workers = 2", "workers = 4")])?,
                    secs(10),
                )
            }),
        ),
        (
            "ch09-ex3.md",
            Box::new(|| {
                metrics_sc(
                    edited(
                        "falling-behind",
                        &[("batch_interval = \"1s\"", "batch_interval = \"2s\"")],
                    )?,
                    secs(10),
                )
            }),
        ),
        (
            "ch10-ex2.txt",
            Box::new(|| {
                print_sc(
                    edited(
                        "flights-top",
                        &[("heavyHittersByWindow(20,", "heavyHittersByWindow(5,")],
                    )?,
                    secs(60),
                    Some(&[60_000]),
                )
            }),
        ),
        (
            "ch10-ex3.txt",
            Box::new(|| {
                print_sc(
                    edited(
                        "flights-distinct",
                        &[("approxDistinct(8)", "approxDistinct(14)")],
                    )?,
                    secs(60),
                    Some(&[60_000]),
                )
            }),
        ),
        (
            "ch10-ex4.txt",
            Box::new(|| print_seeded(load("flights-sample")?, 1, secs(60), Some(&[60_000]))),
        ),
    ]
}

/// Chapter 9, exercise 1: `book-keeping-up` at several rates, the largest scheduling delay of
/// the batches completed in the first 10 s and the largest processing time.
fn keep_up_rates() -> Result<String, String> {
    let mut out = String::from(
        "| rate (lines/s) | batches completed by 10 s | largest processing time | largest scheduling delay |\n|---|---|---|---|\n",
    );
    for rate in [100, 200, 250, 270, 280, 290, 300, 400] {
        let from = "rate = 100";
        let to = format!("rate = {rate}");
        let sc = edited("book-keeping-up", &[(from, to.as_str())])?;
        let built = sc.build(&options()).map_err(|e| e.to_string())?;
        built
            .run_printing(secs(10), &mut std::io::sink())
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("book-keeping-up at rate {rate}: job failed: {e}"))?;
        let (mut n, mut proc_max, mut sched_max) = (0, 0, 0);
        for e in built.ssc.trace() {
            if let Event::BatchCompleted {
                scheduling_delay_ms,
                processing_time_ms,
                ..
            } = e
            {
                n += 1;
                proc_max = proc_max.max(processing_time_ms);
                sched_max = sched_max.max(scheduling_delay_ms);
            }
        }
        built.ssc.stop();
        let _ = writeln!(out, "| {rate} | {n} | {proc_max} ms | {sched_max} ms |");
    }
    Ok(out)
}

/// The largest processing time and scheduling delay, and the number of batches completed, of
/// a run up to `until`.
fn delays_of(sc: Scenario, until: Time) -> Result<(usize, u64, u64), String> {
    let name = sc.name.clone();
    let built = sc.build(&options()).map_err(|e| e.to_string())?;
    built
        .run_printing(until, &mut std::io::sink())
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{name}: job failed: {e}"))?;
    let (mut n, mut proc_max, mut sched_max) = (0, 0, 0);
    for e in built.ssc.trace() {
        if let Event::BatchCompleted {
            scheduling_delay_ms,
            processing_time_ms,
            ..
        } = e
        {
            n += 1;
            proc_max = proc_max.max(processing_time_ms);
            sched_max = sched_max.max(scheduling_delay_ms);
        }
    }
    built.ssc.stop();
    Ok((n, proc_max, sched_max))
}

/// Chapter 9's tuning section: `falling-behind` with one knob turned at a time, the first 10 s.
fn tuning_table() -> Result<String, String> {
    let variants: [(&str, &[(&str, &str)]); 6] = [
        (
            "as bundled (1 s batches, 200 ms blocks, 2 workers x 2 cores)",
            &[],
        ),
        (
            "block interval 100 ms",
            &[(
                "batch_interval = \"1s\"\n",
                "batch_interval = \"1s\"\nblock_interval = \"100ms\"\n",
            )],
        ),
        (
            "block interval 500 ms",
            &[(
                "batch_interval = \"1s\"\n",
                "batch_interval = \"1s\"\nblock_interval = \"500ms\"\n",
            )],
        ),
        (
            "batch interval 2 s",
            &[("batch_interval = \"1s\"", "batch_interval = \"2s\"")],
        ),
        ("4 workers", &[("workers = 2", "workers = 4")]),
        ("rate 280 lines/s", &[("rate = 400", "rate = 280")]),
    ];
    let mut out = String::from(
        "| falling-behind with | batches completed by 10 s | largest processing time | largest scheduling delay |\n|---|---|---|---|\n",
    );
    for (label, edits) in variants {
        let (n, p, d) = delays_of(edited("falling-behind", edits)?, secs(10))?;
        let _ = writeln!(out, "| {label} | {n} | {p} ms | {d} ms |");
    }
    Ok(out)
}

/// Chapter 2's lifecycle section: the StreamingContext's rules, as the engine enforces them
/// (`StreamingContext.start/stop`, `DStream.validateAtInit`), each call and what it returned.
fn lifecycle() -> String {
    use crate::io::QueueSource;
    use crate::models::dstream::{Config, StreamingContext};
    use crate::value::Value;
    let mut out = String::new();
    fn say(out: &mut String, call: &str, result: Result<(), crate::models::dstream::SparkError>) {
        let _ = match result {
            Ok(()) => writeln!(out, "{call:<34} ok"),
            Err(e) => writeln!(out, "{call:<34} error: {e}"),
        };
    }
    let ssc = match StreamingContext::new(Config::new(Duration::from_secs(1))) {
        Ok(ssc) => ssc,
        Err(e) => return format!("StreamingContext::new failed: {e}\n"),
    };
    let queue = QueueSource {
        queue: vec![vec![Value::str("a")]].into(),
        one_at_a_time: true,
        default: None,
    };
    let lines = ssc.queue_stream("lines", queue);
    say(
        &mut out,
        "ssc.queueStream(...)",
        lines.as_ref().map(|_| ()).map_err(Clone::clone),
    );
    let Ok(lines) = lines else { return out };
    say(&mut out, "ssc.start()   // no output yet", ssc.start());
    say(&mut out, "lines.print()", lines.print(10).map(|_| ()));
    say(&mut out, "ssc.start()", ssc.start());
    say(&mut out, "ssc.start()   // again", ssc.start());
    say(
        &mut out,
        "lines.count() // after start",
        lines.count().map(|_| ()),
    );
    ssc.stop();
    let _ = writeln!(out, "{:<34} ok", "ssc.stop()");
    say(
        &mut out,
        "lines.count() // after stop",
        lines.count().map(|_| ()),
    );
    say(&mut out, "ssc.start()   // after stop", ssc.start());
    for e in ssc.trace() {
        let json = e.to_json();
        if json.contains("\"event\":\"warning\"") {
            let _ = writeln!(out, "trace: {json}");
        }
    }
    out
}
