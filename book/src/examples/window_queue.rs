use stream_sim::models::dstream::{add_fn, sub_fn};
use stream_sim::models::dstream::{Config, Event, StreamingContext};
use stream_sim::func::Func;
use stream_sim::io::QueueSource;
use stream_sim::sim::{Duration, Time};
use stream_sim::value::Value;

/// Counts letters over a 2 s window sliding every second, with the inverse function,
/// and returns what `print()` printed.
fn windowed_counts() -> Vec<String> {
    let ssc = StreamingContext::new(Config::new(Duration::from_secs(1))).expect("config");
    // The inverse form keeps state between windows: Spark demands a checkpoint directory.
    ssc.checkpoint("checkpoints/book-example");

    // queueStream: one queued RDD per batch (batch 1: a, b; batch 2: a; then nothing).
    let batches = vec![
        vec![Value::str("a"), Value::str("b")],
        vec![Value::str("a")],
    ];
    let letters = ssc
        .queue_stream(
            "letters",
            QueueSource {
                queue: batches.into(),
                one_at_a_time: true,
                default: None,
            },
        )
        .expect("input stream");

    // letters.map((_, 1)).reduceByKeyAndWindow(_ + _, _ - _, Seconds(2), Seconds(1)).print()
    let pair = Func::native("(_, 1)", 1, |a| {
        Ok(Value::pair(a[0].clone(), Value::Int(1)))
    });
    let counts = letters
        .map(pair)
        .expect("map")
        .reduce_by_key_and_window_inv(
            add_fn(),
            sub_fn(),
            Duration::from_secs(2),
            Some(Duration::from_secs(1)),
            None,
            None,
        )
        .expect("window");
    counts.print(10).expect("print");

    ssc.start().expect("start");
    ssc.run_until(Time(4000)).expect("run");
    ssc.stop();

    // print() output is an event of the trace: collect its lines.
    let mut printed = Vec::new();
    for event in ssc.trace() {
        if let Event::Output { lines, .. } = event {
            printed.extend(lines);
        }
    }
    printed
}

fn main() {
    let printed = windowed_counts();
    for line in &printed {
        println!("{line}");
    }
    let text = printed.join("\n");
    // At 2 s the window holds batches 1 and 2: b once, a twice (in hash-partition order).
    assert!(
        text.contains("Time: 2000 ms\n-------------------------------------------\n(b,1)\n(a,2)")
    );
    // At 4 s both batches have left the window, but the keys stay, at zero.
    assert!(
        text.contains("Time: 4000 ms\n-------------------------------------------\n(b,0)\n(a,0)")
    );
}
