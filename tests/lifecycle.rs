//! StreamingContext's lifecycle rules through the Rust API, with Spark's messages
//! (SOURCES.md "Model"; StreamingContext.scala, DStream.validateAtInit).

use stream_sim::func::Func;
use stream_sim::io::QueueSource;
use stream_sim::models::dstream::{Config, SparkError, State, StreamingContext};
use stream_sim::sim::{Duration, Time};
use stream_sim::value::Value;

fn ssc() -> StreamingContext {
    StreamingContext::new(Config::new(Duration::from_secs(1))).expect("valid config")
}

fn identity() -> Func {
    Func::native("identity", 1, |a| Ok(a[0].clone()))
}

fn queue(ssc: &StreamingContext) -> stream_sim::models::dstream::DStream {
    let q = QueueSource {
        queue: vec![vec![Value::str("a")]].into(),
        one_at_a_time: true,
        default: None,
    };
    ssc.queue_stream("q", q).expect("input")
}

/// Spark refuses to start a context with no output operation.
#[test]
fn start_needs_an_output_operation() {
    let ssc = ssc();
    queue(&ssc).map(identity()).expect("map");
    let e = ssc.start().expect_err("no output");
    assert_eq!(
        e.to_string(),
        "No output operations registered, so nothing to execute"
    );
    assert_eq!(ssc.state(), State::Initialized);
}

/// Nothing can be added once started or stopped; a stopped context cannot restart.
#[test]
fn no_additions_after_start_and_no_restart_after_stop() {
    let ssc = ssc();
    let q = queue(&ssc);
    q.print(10).expect("print");
    ssc.start().expect("starts");
    let e = q.map(identity()).err().expect("after start");
    assert_eq!(e.to_string(), "Adding new inputs, transformations, and output operations after starting a context is not supported");
    // Starting twice only warns, as Spark does.
    ssc.start().expect("second start warns");
    assert!(ssc.trace().iter().any(|e| matches!(e, stream_sim::models::dstream::Event::Warning { message, .. } if message == "StreamingContext has already been started")));
    ssc.run_until(Time(3000)).expect("runs");
    ssc.stop();
    assert_eq!(ssc.start().err(), Some(SparkError::AlreadyStopped));
    assert_eq!(
        SparkError::AlreadyStopped.to_string(),
        "StreamingContext has already been stopped"
    );
    let e = q.print(1).expect_err("after stop");
    assert_eq!(e, SparkError::AddAfterStop);
}

/// Stateful streams need a checkpoint directory; with one, they start.
#[test]
fn stateful_streams_need_a_checkpoint_directory() {
    let running = Func::native("runningCount", 2, |a| {
        let n = match &a[0] {
            Value::Seq(_, v) => v.len() as i64,
            _ => 0,
        };
        let s = match &a[1] {
            Value::Opt(Some(s)) => s.as_int().unwrap_or(0),
            _ => 0,
        };
        Ok(Value::some(Value::Int(n + s)))
    });
    let pair = Func::native("pair(1)", 1, |a| {
        Ok(Value::pair(a[0].clone(), Value::Int(1)))
    });
    for with_dir in [false, true] {
        let ssc = ssc();
        if with_dir {
            ssc.checkpoint("checkpoints/test");
        }
        let s = queue(&ssc)
            .map(pair.clone())
            .and_then(|p| p.update_state_by_key(running.clone(), false, None, None))
            .expect("state");
        s.print(10).expect("print");
        let r = ssc.start();
        if with_dir {
            r.expect("starts with a checkpoint directory");
        } else {
            assert_eq!(r.err().map(|e| e.to_string()).as_deref(), Some("The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint()."));
        }
    }
}

/// The zero time is 0 and batch k runs at (k+1) * batch interval; the clock never reads
/// the wall clock, so a run of 1,000 batches takes no real time to wait for.
#[test]
fn batches_run_at_multiples_of_the_batch_interval() {
    let ssc = ssc();
    let times = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = times.clone();
    queue(&ssc)
        .foreach_rdd(move |_, t| sink.borrow_mut().push(t.ms()))
        .expect("output");
    ssc.start().expect("start");
    assert_eq!(ssc.step().expect("step"), Some(Time(1000)));
    ssc.run_until(Time(1_000_000)).expect("runs");
    let times = times.borrow();
    assert_eq!(times.len(), 1000);
    assert_eq!(times[..3], [1000, 2000, 3000]);
}

/// A snapshot restored and stepped forward gives exactly what stepping gave the first time
/// (time travel is exact, RNG streams included).
#[test]
fn snapshot_and_restore_replay_exactly() {
    let sc = stream_sim::scenario::load(
        &stream_sim::scenario::resolve("worker-failure-reliable").expect("bundled"),
    )
    .expect("valid");
    let built = sc
        .build(&stream_sim::scenario::RunOptions::default())
        .expect("builds");
    for _ in 0..4 {
        built.ssc.step().expect("step");
    }
    let snap = built.ssc.snapshot();
    let mark = built.ssc.trace_len();
    built.ssc.run_until(Time(12_000)).expect("runs");
    let first: Vec<String> = built
        .ssc
        .trace_since(mark)
        .iter()
        .map(|e| e.to_json())
        .collect();
    built.ssc.restore(&snap);
    assert_eq!(built.ssc.now(), Time(4000));
    built.ssc.run_until(Time(12_000)).expect("runs again");
    let second: Vec<String> = built
        .ssc
        .trace_since(mark)
        .iter()
        .map(|e| e.to_json())
        .collect();
    assert!(first.len() > 20);
    assert_eq!(first, second);
}
