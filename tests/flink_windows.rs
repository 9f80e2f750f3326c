//! Flink event-time windows in the model beyond the oracle's single channel: the watermark
//! of a keyed subtask is the minimum over its input channels (`StatusWatermarkValve`), so a
//! source that has not caught up holds every window back; windows fire from periodic
//! watermarks on the virtual clock; window contents and timers are part of the checkpoint,
//! so a failure neither loses nor doubles what is in a window.

use std::path::Path;
use stream_sim::cluster::FaultPlan;
use stream_sim::event_time::{
    read_out_of_order_csv, Arrival, EventRecord, EventTime, OutOfOrderCsv,
};
use stream_sim::io::sources::EventTime as Clock;
use stream_sim::models::flink::{
    FlinkJob, KeyedOperator, MiniCluster, WatermarkEmission, WindowSpec,
};
use stream_sim::sim::{Duration, Time};

const HOUR: i64 = 3_600_000;

fn flights() -> Vec<EventRecord> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios/data/nycflights13/flights-2013-01.csv");
    let spec = OutOfOrderCsv {
        columns: vec!["carrier".into()],
        event_time: Clock::DayAndHhmm {
            day: ["year".into(), "month".into(), "day".into()],
            hhmm: "sched_dep_time".into(),
        },
        arrival: Arrival::DelayColumn("dep_delay".into()),
        from: Some(EventTime::parse("2013-01-01").expect("date")),
        until: Some(EventTime::parse("2013-01-02").expect("date")),
        speedup: 720.0,
    };
    read_out_of_order_csv(&path, &spec, Time::ZERO).expect("flights")
}

fn job(f: impl FnOnce(&mut FlinkJob)) -> FlinkJob {
    let mut j = FlinkJob {
        operator: KeyedOperator::Window(WindowSpec::tumbling(HOUR)),
        out_of_orderness_ms: 10 * 60_000,
        bounded: true,
        ..FlinkJob::default()
    };
    f(&mut j);
    j
}

fn run(j: FlinkJob) -> MiniCluster {
    let mut c = MiniCluster::execute_events(j, &flights());
    c.run_until(Time(140_000));
    c
}

/// On-time firings as sorted (key, window start, count).
fn on_time(c: &MiniCluster) -> Vec<(String, i64, usize)> {
    let mut v: Vec<_> = c
        .firings()
        .iter()
        .filter(|f| !f.late_firing)
        .map(|f| (f.key.to_string(), f.window.start.0, f.count))
        .collect();
    v.sort();
    v
}

/// The keyed subtask's watermark is the minimum of its channels': every channel's
/// watermark is at least the subtask's, and one channel is exactly it.
#[test]
fn a_subtask_watermark_is_the_minimum_over_its_channels() {
    let mut c = MiniCluster::execute_events(job(|_| {}), &flights());
    c.run_until(Time(60_000));
    for k in c.keyed_view() {
        assert_eq!(k.channel_watermarks.len(), 2);
        let min = *k.channel_watermarks.iter().min().expect("channels");
        assert_eq!(k.watermark, min, "{k:?}");
        assert!(k.watermark > i64::MIN);
    }
}

/// Periodic watermarks (every 200 virtual ms) and per-element watermarks see the same
/// records in the same order per channel, so with parallelism 1 they fire the same windows
/// with the same contents at end of input (only the instants differ).
#[test]
fn periodic_and_per_element_watermarks_agree_on_a_single_channel() {
    let one = |w| {
        run(job(|j| {
            j.source_parallelism = 1;
            j.keyed_parallelism = 1;
            j.out_of_orderness_ms = 3 * HOUR;
            j.watermarks = w;
        }))
    };
    let a = one(WatermarkEmission::PerEvent);
    let b = one(WatermarkEmission::Periodic(Duration::from_ms(200)));
    assert!(!on_time(&a).is_empty());
    assert_eq!(on_time(&a), on_time(&b));
}

/// A task manager failure in the middle of the day: window contents and timers come back
/// from the checkpoint and the sources rewind, so every window's on-time firing holds the
/// same flights as without the failure (firings between the checkpoint and the failure may
/// be emitted twice: the print sink is at-least-once).
#[test]
fn window_state_survives_a_failure() {
    let reference = run(job(|j| j.out_of_orderness_ms = 3 * HOUR));
    let faulty = run(job(|j| {
        j.out_of_orderness_ms = 3 * HOUR;
        j.faults = FaultPlan::parse("at 60s kill worker-1").expect("fault");
    }));
    assert_eq!(faulty.report().restarts, 1);
    let (mut a, mut b) = (on_time(&reference), on_time(&faulty));
    b.dedup();
    a.dedup();
    assert_eq!(a, b);
    // Without checkpoints the open windows are lost: some on-time counts come out smaller.
    let lossy = run(job(|j| {
        j.out_of_orderness_ms = 3 * HOUR;
        j.checkpoint_interval = None;
        j.faults = FaultPlan::parse("at 60s kill worker-1").expect("fault");
    }));
    assert_ne!(on_time(&lossy), a);
}
