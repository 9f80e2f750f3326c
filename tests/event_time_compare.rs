//! `stream-sim compare --models dstream,structured,dataflow`: the same out-of-order flights
//! through the three models, window by window.

use stream_sim::check::event_time::{compare_event_time, render};

fn models(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

// Proves: the three models answer differently exactly where event time matters: the
// DStream counts by departure hour (so its answers differ from the exact count where
// flights were delayed across an hour), Structured Streaming's append mode writes each
// window once with the rows the watermark let in, and Dataflow's late panes bring a window
// back to the exact count when the lateness is within the allowed 2 hours.
#[test]
fn three_models_answer_the_same_windows_differently() {
    let c = compare_event_time(&models(&["dstream", "structured", "dataflow"])).expect("runs");
    let text = render(&c);
    println!("{text}");
    assert_eq!(c.rows.len(), 21, "7 hours x 3 origins");
    let (flights, late) = c.flights;
    assert!(flights > 250 && late > 10, "{flights} flights, {late} late");
    let final_of = |m: &str| -> (usize, usize) {
        let mut exact = 0;
        for (n, answers) in c.rows.values() {
            if answers.get(m).and_then(|a| a.emitted.last()).map(|e| e.1) == Some(*n) {
                exact += 1;
            }
        }
        (exact, c.rows.len())
    };
    let (d, total) = final_of("dstream");
    let (s, _) = final_of("structured");
    let (f, _) = final_of("dataflow");
    assert!(
        d < total,
        "DStream counts by departure hour: some windows must differ"
    );
    assert!(
        f >= s,
        "late panes within the allowed lateness: dataflow {f} >= structured {s}"
    );
    assert_eq!(
        f, total,
        "every flight is within the allowed lateness: all final panes exact"
    );
    // Append mode: each window written once, exact here (the watermark, computed at the end
    // of the previous micro-batch, lets every delayed flight of this morning in); the last
    // windows are never written, as the watermark stops with the last flight.
    let emitted: Vec<_> = c
        .rows
        .values()
        .filter_map(|(n, a)| a.get("structured").map(|a| (*n, a.emitted.clone())))
        .collect();
    assert!(emitted.iter().all(|(n, e)| e.len() == 1 && e[0].1 == *n));
    assert!(
        emitted.len() < total && s == emitted.len(),
        "{} of {total} written",
        emitted.len()
    );
    // Dataflow fires LATE panes for the delayed flights.
    assert!(c.lateness["dataflow"].late > 0);
    assert!(text.contains("| window | origin | exact | dstream | structured | dataflow |"));
}

// Proves: an unknown model is refused with the list of valid ones.
#[test]
fn unknown_models_are_named() {
    let e = compare_event_time(&models(&["dstream", "spark"])).unwrap_err();
    assert!(e.contains("dstream, structured, dataflow"), "{e}");
}

// Proves: the event-time diagram is drawn from the run: both watermarks, the flights and
// the emissions of the chosen origin's windows are in the SVG.
#[test]
fn the_event_time_diagram_shows_watermarks_and_firings() {
    let c = compare_event_time(&models(&["dstream", "structured", "dataflow"])).expect("runs");
    let svg = stream_sim::plot::event_time_svg_text(&c, "EWR", (1200, 800)).expect("draws");
    for want in [
        "structured watermark",
        "dataflow watermark",
        "no delay",
        "dataflow 18",
        "structured 18",
    ] {
        assert!(svg.contains(want), "missing {want}");
    }
    assert!(svg.matches("<circle").count() >= c.points.len());
}

// Proves: under a fault schedule each event-time model is judged record by record against
// its run without it: Dataflow's checkpointed bundles keep exactly-once through a worker
// failure, Structured Streaming retries the lost worker's tasks (exactly-once), and the
// render prints the per-model table.
#[test]
fn event_time_models_under_a_worker_failure() {
    use stream_sim::check::event_time::compare_event_time_with_faults;
    use stream_sim::cluster::FaultPlan;
    let plan = FaultPlan::parse("at 20s kill worker-1").unwrap();
    let c = compare_event_time_with_faults(&models(&["dstream", "structured", "dataflow"]), &plan)
        .expect("runs");
    assert_eq!(c.faults, vec!["at 20s kill worker-1".to_string()]);
    let df = &c.verdicts["dataflow"];
    assert_eq!(df.label(), "exactly-once", "{df}");
    assert!(df.delivered_once > 250);
    assert_eq!(c.verdicts["structured"].label(), "exactly-once");
    assert!(c.verdicts.contains_key("dstream"));
    let text = render(&c);
    assert!(
        text.contains("Under faults (at 20s kill worker-1)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "| dataflow | exactly-once | {} | 0 | 0 |",
            df.delivered_once
        )),
        "{text}"
    );
    // Without faults there is no verdict section.
    let c = compare_event_time(&models(&["dataflow"])).unwrap();
    assert!(c.verdicts.is_empty() && !render(&c).contains("Under faults"));
}

// Proves: with Dataflow in the comparison, the same pipeline runs under the perfect,
// heuristic and percentile watermarks: the perfect one makes no flight late and is the
// slowest to fire on time; the 99th percentile fires sooner than the perfect one and
// makes fewer flights late than the 95th; each listing names the flights it made late.
#[test]
fn watermark_estimators_side_by_side() {
    let c = compare_event_time(&models(&["dataflow"])).unwrap();
    let labels: Vec<&str> = c.estimators.iter().map(|e| e.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "perfect",
            "heuristic(1h)",
            "percentile(99)",
            "percentile(95)"
        ]
    );
    let [perfect, heuristic, p99, p95] = [0, 1, 2, 3].map(|i| &c.estimators[i]);
    assert!(perfect.late.is_empty());
    assert_eq!(perfect.exact, c.rows.len());
    assert_eq!(heuristic.late.len(), c.lateness["dataflow"].late);
    assert!(!p99.late.is_empty() && p99.late.len() < p95.late.len());
    assert!(p99.on_time_delay_ms.0 < perfect.on_time_delay_ms.0);
    assert!(p95.on_time_delay_ms.0 < p99.on_time_delay_ms.0);
    let text = render(&c);
    assert!(text.contains("perfect: no flight late"), "{text}");
    assert!(
        text.contains(&format!("percentile(99): {} flights late", p99.late.len())),
        "{text}"
    );
}
