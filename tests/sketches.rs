//! The sketch operators (`sample`, `sampleByWindow`, `heavyHitters`, `heavyHittersByWindow`,
//! `approxDistinct`, `approxDistinctByWindow`): the bundled scenarios that use them print
//! what their snapshots pin, and through the Rust API each operator keeps its stated
//! guarantee over many partitions, i.e. the per-partition summaries are merged correctly.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use stream_sim::models::dstream::Config;
use stream_sim::models::dstream::{DStream, Rdd, StreamingContext};
use stream_sim::scenario::{self, spec::parse_scenario, RunOptions};
use stream_sim::sim::{Duration, Time};
use stream_sim::value::Value;

const SCENARIOS: [&str; 4] = [
    "flights-sample",
    "flights-top",
    "flights-distinct",
    "flights-quantiles",
];

fn options(tag: &str) -> RunOptions {
    RunOptions {
        seed: 7,
        output_dir: std::env::temp_dir().join(format!(
            "stream-sim-sketch-test-{tag}-{}",
            std::process::id()
        )),
    }
}

/// Runs a bundled scenario for its default length; returns what print() printed.
fn run_scenario(name: &str) -> String {
    let path = scenario::resolve(name).expect("bundled scenario");
    let sc = scenario::load(&path).expect("valid scenario");
    let built = sc.build(&options(name)).expect("builds");
    let mut printed = Vec::new();
    built
        .run_printing(built.default_until, &mut printed)
        .expect("writing to memory")
        .expect("no job fails");
    String::from_utf8(printed).expect("utf-8")
}

// Proves: each sketch scenario builds, runs its 2 minutes without a failed job, prints
// non-empty sketch output, and prints exactly what its snapshot pins (seed 7).
#[test]
fn sketch_scenarios_print_their_snapshots() {
    for name in SCENARIOS {
        let printed = run_scenario(name);
        assert!(printed.contains("Time: "), "{name} printed nothing");
        insta::assert_snapshot!(format!("sketch_scenario_{name}"), printed);
    }
}

// Proves: in the bundled scenarios the printed exact answers and sketches agree with the
// guarantees: every Misra-Gries row brackets the exact count, and every HyperLogLog
// estimate is within 3 standard errors of the exact distinct count.
#[test]
fn sketch_scenarios_agree_with_their_exact_answers() {
    let top = run_scenario("flights-top");
    let mut rows = 0;
    for line in top.lines().filter(|l| l.contains(",Some((")) {
        // (DEST,(exact,Some((estimate,lower,upper))))
        let nums: Vec<u64> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().expect("number"))
            .collect();
        let [exact, estimate, lower, upper] = nums[..] else {
            panic!("unexpected row {line}");
        };
        assert_eq!(estimate, lower, "{line}");
        assert!(lower <= exact && exact <= upper, "{line}");
        rows += 1;
    }
    assert!(rows > 20, "too few compared rows ({rows})");

    let distinct = run_scenario("flights-distinct");
    let mut rows = 0;
    for line in distinct.lines().filter(|l| l.starts_with("(tailnums,")) {
        // (tailnums,(exact,(estimate,rse)))
        let inner = line
            .trim_start_matches("(tailnums,(")
            .trim_end_matches(")))");
        let mut parts = inner.split(",(");
        let exact: f64 = parts.next().and_then(|s| s.parse().ok()).expect("exact");
        let mut est = parts.next().expect("estimate").split(',');
        let estimate: f64 = est.next().and_then(|s| s.parse().ok()).expect("estimate");
        let rse: f64 = est.next().and_then(|s| s.parse().ok()).expect("rse");
        assert!(
            (estimate - exact).abs() <= 3.0 * rse * exact.max(1.0),
            "{line}"
        );
        rows += 1;
    }
    assert!(rows >= 20, "too few compared rows ({rows})");
}

/// A context with 1 s batches and the given seed.
fn context(seed: u64) -> StreamingContext {
    let mut config = Config::new(Duration::from_ms(1000));
    config.seed = seed;
    StreamingContext::new(config).expect("context")
}

type Collected = Rc<RefCell<Vec<(u64, Rdd)>>>;

/// Collects every RDD of `s` with its batch time.
fn collect(s: &DStream) -> Collected {
    let out: Collected = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&out);
    s.foreach_rdd(move |rdd, t| sink.borrow_mut().push((t.ms(), rdd.clone())))
        .expect("output");
    out
}

fn run(ssc: &StreamingContext, batches: u64) {
    ssc.start().expect("starts");
    ssc.run_until(Time(batches * 1000)).expect("runs");
}

fn count_of(v: &Value) -> u64 {
    v.as_int()
        .and_then(|i| u64::try_from(i).ok())
        .expect("count")
}

fn exact_counts(records: &[Value]) -> BTreeMap<Value, u64> {
    let mut m = BTreeMap::new();
    for r in records {
        *m.entry(r.clone()).or_insert(0) += 1;
    }
    m
}

/// A skewed batch: item `i` (0..40) occurs about `n / (i+1)^1.5` times, shuffled
/// deterministically so every partition sees every heavy item.
fn skewed(n: usize, salt: u64) -> Vec<Value> {
    let mut out = Vec::new();
    for i in 0..40u64 {
        let c = (n as f64 / ((i + 1) as f64).powf(1.5)) as usize;
        for _ in 0..c.max(1) {
            out.push(Value::str(&format!("item{i}")));
        }
    }
    // A fixed permutation (multiplicative stride, coprime to the length).
    let len = out.len();
    let stride = (0..)
        .map(|s| 7919 + s + salt as usize)
        .find(|s| gcd(*s, len) == 1)
        .unwrap_or(1);
    (0..len).map(|j| out[(j * stride) % len].clone()).collect()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Checks one heavy-hitters RDD against the exact counts of its input.
fn check_heavy_hitters(rdd: &Rdd, input: &[Value], k: usize) {
    let exact = exact_counts(input);
    let n = input.len() as u64;
    assert_eq!(rdd.num_partitions(), 1);
    let rows = rdd.collect();
    assert!(rows.len() <= k, "{} rows for k = {k}", rows.len());
    let mut listed = BTreeSet::new();
    let mut prev: Option<(u64, Value)> = None;
    for row in &rows {
        let (item, bounds) = row.as_pair().expect("(item, bounds)");
        let Value::Tuple(b) = bounds else {
            panic!("bounds not a tuple: {row}")
        };
        let (est, lower, upper) = (count_of(&b[0]), count_of(&b[1]), count_of(&b[2]));
        let f = exact.get(item).copied().unwrap_or(0);
        assert_eq!(est, lower);
        assert!(lower <= f && f <= upper, "{row}: true count {f}");
        assert!(
            upper - lower <= n / (k as u64 + 1),
            "{row}: D above n/(k+1)"
        );
        if let Some((pe, pi)) = &prev {
            assert!(
                *pe > est || (*pe == est && pi < item),
                "rows not sorted at {row}"
            );
        }
        prev = Some((est, item.clone()));
        listed.insert(item.clone());
    }
    for (item, f) in &exact {
        if *f > n / (k as u64 + 1) {
            assert!(
                listed.contains(item),
                "{item} (f = {f} > n/(k+1) = {}) missing",
                n / (k as u64 + 1)
            );
        }
    }
}

// Proves: heavyHitters (per batch, over 8 partitions after repartition(8)) lists every item
// with frequency > n/(k+1), brackets each listed item's true count by lower <= f <= upper
// with upper - lower <= n/(k+1), and sorts rows by estimate desc, item asc. A driver that
// kept one partition's summary, or added counters without Agarwal et al.'s subtraction
// (more than k rows), or dropped the partitions' error D (upper < f), would fail.
#[test]
fn heavy_hitters_keep_the_misra_gries_guarantee_across_partitions() {
    let k = 5;
    let batches: Vec<Vec<Value>> = (0..4).map(|b| skewed(300, b)).collect();
    let ssc = context(1);
    let input = ssc
        .test_stream("in", batches.iter().cloned().map(Some).collect(), 3)
        .expect("input");
    let eight = input.repartition(8).expect("repartition");
    let per_batch = collect(&eight.heavy_hitters(k).expect("op"));
    let windowed = collect(
        &eight
            .heavy_hitters_by_window(k, Duration::from_ms(3000), Duration::from_ms(1000))
            .expect("op"),
    );
    run(&ssc, 4);
    let per_batch = per_batch.borrow();
    assert_eq!(per_batch.len(), 4);
    for (i, (_, rdd)) in per_batch.iter().enumerate() {
        check_heavy_hitters(rdd, &batches[i], k);
    }
    let windowed = windowed.borrow();
    assert_eq!(windowed.len(), 4);
    for (i, (_, rdd)) in windowed.iter().enumerate() {
        let from = i.saturating_sub(2);
        let window: Vec<Value> = batches[from..=i].concat();
        check_heavy_hitters(rdd, &window, k);
    }
}

fn estimate_of(rdd: &Rdd) -> (f64, f64) {
    let rows = rdd.collect();
    assert_eq!(rows.len(), 1, "approxDistinct emits one record");
    let (e, se) = rows[0].as_pair().expect("(estimate, rse)");
    let Value::Float(se) = se else {
        panic!("rse not a double")
    };
    (count_of(e) as f64, *se)
}

// Proves: approxDistinct over 8 partitions, each holding duplicates of the others' items,
// is within 3 standard errors of the true distinct count, in both HyperLogLog regimes
// (linear counting at 2 000, the harmonic mean at 60 000), and the windowed form counts
// the union of overlapping batches. A merge other than the register-wise max (e.g. one
// partition's sketch, or summing estimates) would be off by a factor near 8 or 2.
#[test]
fn approx_distinct_is_within_three_standard_errors() {
    let distinct = [2_000u64, 60_000, 20_000];
    // Each batch holds every item twice; batch b's items are b*10^6 + (0..d), except that
    // batch 2 repeats the first 10 000 items of batch 1.
    let batch = |b: usize| -> Vec<Value> {
        let base = if b == 2 {
            1_000_000
        } else {
            b as i64 * 1_000_000
        };
        let items: Vec<Value> = (0..distinct[b] as i64)
            .map(|i| Value::Int(base + i))
            .collect();
        [items.clone(), items].concat()
    };
    let batches: Vec<Vec<Value>> = (0..3).map(batch).collect();
    let ssc = context(1);
    let input = ssc
        .test_stream("in", batches.iter().cloned().map(Some).collect(), 8)
        .expect("input");
    let per_batch = collect(&input.approx_distinct(12).expect("op"));
    let windowed = collect(
        &input
            .approx_distinct_by_window(Duration::from_ms(2000), Duration::from_ms(1000), 12)
            .expect("op"),
    );
    run(&ssc, 3);
    for (i, (_, rdd)) in per_batch.borrow().iter().enumerate() {
        let truth = distinct[i] as f64;
        let (est, se) = estimate_of(rdd);
        assert!((se - 1.04 / 64.0).abs() < 1e-12);
        assert!(
            (est - truth).abs() <= 3.0 * se * truth,
            "batch {i}: {est} vs {truth}"
        );
    }
    // Windows: {b0}, {b0, b1}, {b1, b2} where b2 is inside b1.
    let truths = [2_000.0, 62_000.0, 60_000.0];
    for (i, (_, rdd)) in windowed.borrow().iter().enumerate() {
        let (est, se) = estimate_of(rdd);
        assert!(
            (est - truths[i]).abs() <= 3.0 * se * truths[i],
            "window {i}: {est} vs {}",
            truths[i]
        );
    }
}

// Proves: an empty batch gives an empty sample, no heavy hitters and one (0, rse) record.
#[test]
fn empty_batches_give_empty_sketches() {
    let ssc = context(0);
    let input = ssc
        .test_stream("in", vec![Some(Vec::new())], 2)
        .expect("input");
    let s = collect(&input.sample(3).expect("op"));
    let h = collect(&input.heavy_hitters(3).expect("op"));
    let d = collect(&input.approx_distinct(12).expect("op"));
    run(&ssc, 1);
    assert_eq!(s.borrow()[0].1.count(), 0);
    assert_eq!(h.borrow()[0].1.count(), 0);
    assert_eq!(estimate_of(&d.borrow()[0].1).0, 0.0);
}

/// Runs `sampleByWindow(k, 3s, 1s)` over batches of distinct ints; returns each window's
/// sample.
fn windowed_samples(seed: u64, k: usize, batches: &[Vec<Value>]) -> Vec<Vec<Value>> {
    let ssc = context(seed);
    let input = ssc
        .test_stream("in", batches.iter().cloned().map(Some).collect(), 4)
        .expect("input");
    let out = collect(
        &input
            .sample_by_window(k, Duration::from_ms(3000), Duration::from_ms(1000))
            .expect("op"),
    );
    run(&ssc, batches.len() as u64);
    let got = out.borrow().iter().map(|(_, r)| r.collect()).collect();
    got
}

// Proves: sampleByWindow returns min(k, n) distinct records, all from the current window,
// reproducibly for one seed, and a different sample for another seed.
#[test]
fn sample_by_window_is_a_reproducible_subset_of_the_window() {
    let k = 6;
    // Batch sizes 3, 40, 25, 0, 2: windows of 3, 43, 68, 65, 27 records.
    let sizes = [3, 40, 25, 0, 2];
    let mut next = 0i64;
    let batches: Vec<Vec<Value>> = sizes
        .iter()
        .map(|&s| {
            let b = (next..next + s).map(Value::Int).collect();
            next += s;
            b
        })
        .collect();
    let a = windowed_samples(11, k, &batches);
    assert_eq!(a.len(), sizes.len());
    for (i, sample) in a.iter().enumerate() {
        let window: BTreeSet<Value> = batches[i.saturating_sub(2)..=i]
            .concat()
            .into_iter()
            .collect();
        let distinct: BTreeSet<Value> = sample.iter().cloned().collect();
        assert_eq!(sample.len(), k.min(window.len()), "window {i}");
        assert_eq!(distinct.len(), sample.len(), "window {i}: repeated records");
        assert!(
            distinct.is_subset(&window),
            "window {i}: {sample:?} not in window"
        );
    }
    assert_eq!(
        a,
        windowed_samples(11, k, &batches),
        "same seed, same samples"
    );
    assert_ne!(
        a,
        windowed_samples(12, k, &batches),
        "another seed, another sample"
    );
}

/// One `sample(k)` of a batch split into two partitions of 90 and 10 records (a union of
/// two inputs), with the given seed; returns how many sampled records came from the small
/// partition.
fn from_small_partition(seed: u64, k: usize) -> usize {
    let ssc = context(seed);
    let big: Vec<Value> = (0..90).map(Value::Int).collect();
    let small: Vec<Value> = (1000..1010).map(Value::Int).collect();
    let a = ssc.test_stream("big", vec![Some(big)], 1).expect("input");
    let b = ssc
        .test_stream("small", vec![Some(small)], 1)
        .expect("input");
    let both = a.union(&[b]).expect("union");
    let out = collect(&both.sample(k).expect("op"));
    run(&ssc, 1);
    let got = out.borrow();
    let (_, rdd) = &got[0];
    assert_eq!(rdd.num_partitions(), 1);
    assert_eq!(rdd.count(), k);
    rdd.iter()
        .filter(|v| v.as_int().is_some_and(|i| i >= 1000))
        .count()
}

// Proves: the driver merge weighs partitions by their sizes (the hypergeometric split), so
// each of the 100 records is sampled with probability k/100 regardless of its partition:
// over 400 seeds the small partition (10 of 100 records) supplies k/10 = 1 sampled record
// on average (standard error about 0.045). Merging by taking k/2 from each partition would
// give 5; keeping the first partition's reservoir would give 0.
#[test]
fn sample_merge_is_uniform_across_unequal_partitions() {
    let k = 10;
    let runs = 400;
    let total: usize = (0..runs).map(|seed| from_small_partition(seed, k)).sum();
    let mean = total as f64 / runs as f64;
    assert!(
        (mean - 1.0).abs() < 0.25,
        "mean {mean} sampled from the small partition"
    );
}

const QUEUE: &str = r#"
pipeline = '''
top = words.heavyHitters(2)
top.print()
'''
[context]
batch_interval = "1s"
run_for = "2s"
[sources.words]
type = "queueStream"
batches = [["a", "b", "a", "c", "a", "b"], ["x", "x", "y"]]
"#;

fn scenario_output(text: &str) -> String {
    let path = std::path::Path::new("scenarios/sketch-test.toml");
    let sc = match parse_scenario(text, path) {
        Ok(sc) => sc,
        Err(e) => return e.to_string(),
    };
    let built = match sc.build(&options("queue")) {
        Ok(b) => b,
        Err(e) => return e.to_string(),
    };
    let mut printed = Vec::new();
    match built.run_printing(built.default_until, &mut printed) {
        Ok(Ok(())) => String::from_utf8(printed).expect("utf-8"),
        Ok(Err(e)) => e.to_string(),
        Err(e) => e.to_string(),
    }
}

// Proves: the scenario language reaches the operators with the documented record shapes
// (a queueStream small enough to check by hand: "a" occurs 3 times in 6, k = 2 so
// n/(k+1) = 2 and "a" must be listed with lower <= 3 <= upper).
#[test]
fn scenario_operators_have_the_documented_shapes() {
    let out = scenario_output(QUEUE);
    assert!(out.contains("Time: 1000 ms"), "{out}");
    // Exact here: 2 counters, "a" 3 and "b" 2 with c's decrement round giving D = 1.
    assert!(out.contains("(a,(2,2,3))\n(b,(1,1,2))"), "{out}");
    let sampled = scenario_output(&QUEUE.replace("heavyHitters(2)", "sample(2)"));
    let lines: Vec<&str> = sampled
        .lines()
        .filter(|l| !l.starts_with('-') && !l.starts_with("Time") && !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 4, "{sampled}");
    let distinct = scenario_output(&QUEUE.replace("heavyHitters(2)", "approxDistinct()"));
    assert!(
        distinct.contains("(3,0.01625)\n") && distinct.contains("(2,0.01625)\n"),
        "{distinct}"
    );
    let windowed =
        scenario_output(&QUEUE.replace("heavyHitters(2)", "approxDistinctByWindow(2s, 1s, 10)"));
    assert!(windowed.contains("(5,0.0325)\n"), "{windowed}");
    let hh = scenario_output(&QUEUE.replace("heavyHitters(2)", "heavyHittersByWindow(1, 2s, 1s)"));
    assert!(hh.contains("Time: 2000 ms"), "{hh}");
    let sw = scenario_output(&QUEUE.replace("heavyHitters(2)", "sampleByWindow(9, 2s, 1s)"));
    assert!(sw.contains("Time: 2000 ms\n-------------------------------------------\na\na\na\nb\nb\nc\nx\nx\ny\n"), "{sw}");
}

// Proves: bad arguments to the new operators are reported as errors naming the file,
// line and column, never a panic.
#[test]
fn bad_sketch_arguments_are_errors() {
    let cases = [
        ("heavyHitters(0)", "k must be a positive integer"),
        ("heavyHitters()", "heavyHitters takes 1 argument"),
        ("sample(5s)", "k must be a positive integer"),
        ("approxDistinct(3)", "precision must be between 4 and 18"),
        (
            "approxDistinct(1, 2)",
            "approxDistinct takes 0 to 1 argument",
        ),
        ("sampleByWindow(3, 2500ms, 1s)", "multiple of"),
        (
            "approxDistinctByWindow(2s)",
            "approxDistinctByWindow takes 2 to 3 arguments",
        ),
        (
            "heavyHittersByWindow(2, 2s, x)",
            "slideInterval must be a duration",
        ),
    ];
    for (call, expected) in cases {
        let out = scenario_output(&QUEUE.replace("heavyHitters(2)", call));
        assert!(
            out.starts_with("scenarios/sketch-test.toml:3:"),
            "{call}: {out}"
        );
        assert!(out.contains(expected), "{call}: {out}");
    }
}

/// `approxQuantile` over several partitions: every estimate's rank among the batch's
/// records is within the reported `rankError` of the asked rank, the sketch is exact when
/// the batch fits (`rankError` 0), and a non-numeric record is refused with a message.
#[test]
fn approx_quantile_keeps_its_rank_error_bound() {
    let ssc = context(11);
    // 3,000 numbers per batch in 4 partitions, a different permutation each batch.
    let batches: Vec<Option<Vec<Value>>> = (0..3u64)
        .map(|b| {
            Some(
                (0..3000u64)
                    .map(|i| Value::Int(((i * 7919 + b * 104_729) % 3000) as i64))
                    .collect(),
            )
        })
        .collect();
    let input = ssc.test_stream("xs", batches, 4).expect("input");
    let small = collect(
        &input
            .approx_quantile(&[0.01, 0.5, 0.99], 32)
            .expect("operator"),
    );
    let big = collect(&input.approx_quantile(&[0.5], 5000).expect("operator"));
    run(&ssc, 3);
    for (_, rdd) in small.borrow().iter() {
        let rows: Vec<Value> = rdd.iter().cloned().collect();
        let bound = rows
            .last()
            .and_then(|r| r.as_pair())
            .and_then(|(_, b)| b.as_int())
            .expect("rankError");
        assert!(bound > 0, "k = 32 must compact 3,000 records");
        for (row, q) in rows.iter().zip([0.01, 0.5, 0.99]) {
            let (_, est) = row.as_pair().expect("pair");
            let Value::Opt(Some(x)) = est else {
                panic!("estimate {row}")
            };
            let Value::Float(x) = **x else {
                panic!("float {row}")
            };
            // Values are 0..3000 once each: the rank of x is x + 1.
            let asked = (q * 3000.0_f64).ceil();
            assert!(
                ((x + 1.0) - asked).abs() <= bound as f64 + 1.0,
                "q {q}: estimate {x}, asked rank {asked}, bound {bound}"
            );
        }
    }
    for (_, rdd) in big.borrow().iter() {
        let rows: Vec<Value> = rdd.iter().cloned().collect();
        assert_eq!(rows[0].to_string(), "(0.5,Some(1499.0))");
        assert_eq!(rows[1].to_string(), "(rankError,0)");
    }
    let bad = context(1);
    let words = bad
        .test_stream("w", vec![Some(vec![Value::str("a")])], 1)
        .expect("input");
    let q = words.approx_quantile(&[0.5], 200).expect("operator");
    q.print(10).expect("print");
    bad.start().expect("starts");
    let e = bad
        .run_until(Time(2000))
        .expect_err("a string is not a number");
    assert!(e.to_string().contains("records must be numbers"), "{e}");
    assert!(words.approx_quantile(&[1.5], 200).is_err());
}

// Proves: the windowed HyperLogLog merges per-batch panes (one serialized sketch per batch)
// instead of re-reading the window's records, and the merge is exact: every window's answer
// equals the one built over the window's raw records (`window(w, s)` then `approxDistinct`).
// It also shows the window holds one pane record per batch, not the batch's records.
#[test]
fn windowed_distinct_merges_panes_exactly() {
    let batches: Vec<Option<Vec<Value>>> = (0..6i64)
        .map(|b| Some((0..5000).map(|i| Value::Int(b * 2500 + i)).collect()))
        .collect();
    let ssc = context(3);
    let input = ssc.test_stream("in", batches, 4).expect("input");
    let (w, s) = (Duration::from_ms(3000), Duration::from_ms(1000));
    let panes = collect(&input.approx_distinct_by_window(w, s, 12).expect("op"));
    let raw = collect(
        &input
            .window(w, Some(s))
            .expect("window")
            .approx_distinct(12)
            .expect("op"),
    );
    run(&ssc, 6);
    let (panes, raw) = (panes.borrow(), raw.borrow());
    assert_eq!(panes.len(), 6);
    for ((t, a), (_, b)) in panes.iter().zip(raw.iter()) {
        assert_eq!(a.collect(), b.collect(), "window ending at {t} ms");
    }
    // The lineage of the windowed answer reads panes: "approxDistinct pane" appears in it.
    fn ops(l: &stream_sim::models::dstream::rdd::Lineage, out: &mut Vec<String>) {
        out.push(l.op.clone());
        for p in &l.parents {
            ops(p, out);
        }
    }
    let mut names = Vec::new();
    ops(panes[5].1.lineage(), &mut names);
    assert!(
        names.iter().any(|n| n.contains("approxDistinct pane")),
        "{names:?}"
    );
}

// Proves: approxQuantileByWindow merges KLL panes and still keeps its rank-error bound over
// the whole window (3 batches of 3,000 numbers, each value 0..3000 once per batch, so the
// rank of x in a full window is 3(x+1)).
#[test]
fn windowed_quantiles_keep_their_bound_over_merged_panes() {
    let ssc = context(5);
    let batches: Vec<Option<Vec<Value>>> = (0..4u64)
        .map(|b| {
            Some(
                (0..3000u64)
                    .map(|i| Value::Int(((i * 7919 + b * 104_729) % 3000) as i64))
                    .collect(),
            )
        })
        .collect();
    let input = ssc.test_stream("xs", batches, 4).expect("input");
    let out = collect(
        &input
            .approx_quantile_by_window(
                &[0.1, 0.5, 0.9],
                Duration::from_ms(3000),
                Duration::from_ms(1000),
                32,
            )
            .expect("operator"),
    );
    run(&ssc, 4);
    let out = out.borrow();
    let (_, full) = out.iter().find(|(t, _)| *t == 3000).expect("window at 3 s");
    let rows: Vec<Value> = full.iter().cloned().collect();
    let bound = rows
        .last()
        .and_then(|r| r.as_pair())
        .and_then(|(_, b)| b.as_int())
        .expect("rankError");
    assert!(bound > 0, "k = 32 must compact 9,000 records");
    for (row, q) in rows.iter().zip([0.1, 0.5, 0.9]) {
        let (_, est) = row.as_pair().expect("pair");
        let Value::Opt(Some(x)) = est else {
            panic!("estimate {row}")
        };
        let Value::Float(x) = **x else {
            panic!("float {row}")
        };
        let asked = (q * 9000.0_f64).ceil();
        let rank_hi = 3.0 * (x + 1.0);
        let rank_lo = rank_hi - 2.0;
        assert!(
            rank_lo - asked <= bound as f64 + 1.0 && asked - rank_hi <= bound as f64 + 1.0,
            "q {q}: estimate {x} (ranks {rank_lo}..{rank_hi}), asked {asked}, bound {bound}"
        );
    }
}

const BY_KEY: &str = r#"
pipeline = '''
byLetter = lines.flatMap(l => l.split(" ")).filter(w => w.length > 0).map(w => (w.substring(0, 1), w))
distinctWords = byLetter.approxDistinctByKey()
distinctWords.print(100)
'''

[context]
batch_interval = "1s"
checkpoint = "checkpoints/sketch-by-key"
run_for = "20s"

[cluster]
workers = 2
wal = true
FAULTS

[sources.lines]
type = "socketTextStream"
file = "data/fortunes/lines.txt"
rate = 10
limit = 150
reliable = true
"#;

/// The last printed batch of a scenario's output.
fn last_batch(printed: &str) -> String {
    let at = printed.rfind("Time: ").expect("a batch was printed");
    printed[at..].to_string()
}

// Proves: approxDistinctByKey keeps a serialized HyperLogLog per key as updateStateByKey
// state, and that state survives a driver failure: restarted from the checkpoint (with the
// WAL and a reliable receiver), the final per-key estimates equal the fault-free run's. The
// estimates are exact for small counts (linear-counting range), checked against a direct
// count of the distinct words per first letter.
#[test]
fn approx_distinct_by_key_survives_driver_recovery() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sketch-by-key.toml");
    let run = |faults: &str| {
        let text = BY_KEY.replace("FAULTS", faults);
        let sc = parse_scenario(&text, &dir).expect("scenario");
        let built = sc.build(&options("by-key")).expect("builds");
        let mut printed = Vec::new();
        built
            .run_printing(built.default_until, &mut printed)
            .expect("memory")
            .expect("no job fails");
        String::from_utf8(printed).expect("utf-8")
    };
    let clean = run("");
    let failed = run("faults = \"at 6500ms kill driver\"");
    assert!(clean.contains("Time: 20000 ms"), "{clean}");
    // The same keys and estimates; the order within a partition may differ after recovery
    // (the restored state is cogrouped with the new batch in another order, as in Spark).
    let sorted = |text: String| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(last_batch(&failed)), sorted(last_batch(&clean)));
    assert!(!failed.contains("\n...\n"), "print(100) shows every key");
    // Against the exact distinct words per first letter of the 150 lines.
    let lines = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/data/fortunes/lines.txt"),
    )
    .expect("lines");
    let mut exact: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for l in lines.lines().take(150) {
        for w in l.split(' ').filter(|w| !w.is_empty()) {
            let first: String = w.chars().take(1).collect();
            exact.entry(first).or_default().insert(w.to_string());
        }
    }
    let last = last_batch(&clean);
    let t_count = exact.get("t").map(BTreeSet::len).expect("words with t");
    assert!(
        last.contains(&format!("(t,({t_count},0.01625))")),
        "t: {t_count} distinct words\n{last}"
    );
}

// Proves: approxCountByValueAndWindow keeps the window's Count-Min sketch by adding the
// panes that enter and subtracting those that leave, and every estimate keeps the
// guarantee against the exact count over the window: never below it, and above it by at
// most the reported bound (eps * n; 40 distinct items in 272 columns: no excess here). A
// missing subtraction would leave counts of batches that left the window: over the bound.
#[test]
fn windowed_count_min_subtracts_the_panes_that_leave() {
    let ssc = context(9);
    ssc.checkpoint("checkpoints/sketch-count-min");
    let batches: Vec<Vec<Value>> = (0..6u64).map(|b| skewed(400, b)).collect();
    let input = ssc
        .test_stream("items", batches.iter().cloned().map(Some).collect(), 4)
        .expect("input");
    let out = collect(
        &input
            .approx_count_by_value_and_window(
                Duration::from_ms(3000),
                Duration::from_ms(1000),
                0.01,
                0.01,
            )
            .expect("operator"),
    );
    run(&ssc, 6);
    let out = out.borrow();
    assert_eq!(out.len(), 6);
    for (t, rdd) in out.iter() {
        let last = (*t / 1000) as usize - 1;
        let window: Vec<Value> = batches[last.saturating_sub(2)..=last].concat();
        let exact = exact_counts(&window);
        let rows = rdd.collect();
        assert_eq!(
            rows.len(),
            exact_counts(&batches[last]).len(),
            "one row per item of the slide"
        );
        for row in rows {
            let (item, v) = row.as_pair().expect("(item, (estimate, bound))");
            let (est, bound) = v.as_pair().expect("(estimate, bound)");
            let (est, bound) = (count_of(est), count_of(bound));
            let f = exact[item];
            assert!(
                est >= f && est <= f + bound,
                "at {t}: {item} estimated {est}, exactly {f}, bound {bound}"
            );
            assert_eq!(
                bound,
                (std::f64::consts::E / 272.0 * window.len() as f64).ceil() as u64
            );
        }
    }
}

// Proves: weightedSample keeps at most k items whose adjusted weights add up to the batch's
// total weight (VarOpt preserves the total exactly), keeps an item heavier than the
// threshold with its own weight, and is reproducible from the seed.
#[test]
fn weighted_sample_preserves_the_total_and_heavy_items() {
    let sample = |seed: u64| {
        let ssc = context(seed);
        let mut batch: Vec<Value> = (0..500)
            .map(|i| Value::pair(Value::Int(i), Value::Float(1.0 + (i % 7) as f64)))
            .collect();
        batch.push(Value::pair(Value::str("whale"), Value::Float(100_000.0)));
        let total: f64 = 500.0 + (0..500).map(|i| (i % 7) as f64).sum::<f64>() + 100_000.0;
        let input = ssc.test_stream("w", vec![Some(batch)], 4).expect("input");
        let out = collect(&input.weighted_sample(20).expect("operator"));
        run(&ssc, 1);
        let rows = out.borrow()[0].1.collect();
        (rows, total)
    };
    let (rows, total) = sample(3);
    assert!(rows.len() <= 20 && rows.len() >= 19, "{} rows", rows.len());
    let sum: f64 = rows
        .iter()
        .map(|r| match r.as_pair() {
            Some((_, Value::Float(w))) => *w,
            _ => panic!("{r}"),
        })
        .sum();
    assert!((sum - total).abs() < 1e-6 * total, "{sum} vs {total}");
    assert!(rows.contains(&Value::pair(Value::str("whale"), Value::Float(100_000.0))));
    assert_eq!(sample(3).0, rows, "same seed, same sample");
    assert_ne!(sample(4).0, rows, "another seed, another sample");
}

// Proves: freqItems (Space-Saving per partition, merged, Agarwal et al.) brackets every listed item's true count
// (lower <= f <= upper, with estimate = upper: it never under-counts) and lists every item
// above n/k, over 8 partitions of a skewed batch.
#[test]
fn freq_items_keeps_the_space_saving_guarantee_across_partitions() {
    let ssc = context(2);
    let batch = skewed(3000, 1);
    let input = ssc
        .test_stream("s", vec![Some(batch.clone())], 8)
        .expect("input");
    let k = 10;
    let out = collect(&input.freq_items(k).expect("operator"));
    run(&ssc, 1);
    let exact = exact_counts(&batch);
    let n = batch.len() as u64;
    let rows = out.borrow()[0].1.collect();
    assert!(!rows.is_empty() && rows.len() < k, "{} rows", rows.len());
    let mut listed = BTreeSet::new();
    for row in &rows {
        let (item, b) = row.as_pair().expect("pair");
        let Value::Tuple(b) = b else { panic!("{row}") };
        let (est, lo, hi) = (count_of(&b[0]), count_of(&b[1]), count_of(&b[2]));
        let f = exact[item];
        assert_eq!(est, hi);
        assert!(lo <= f && f <= hi, "{row}: true {f}");
        listed.insert(item.clone());
    }
    for (item, f) in &exact {
        if *f > n / k as u64 {
            assert!(listed.contains(item), "{item} ({f} > n/k) missing");
        }
    }
}

// Proves: approxSumOverLast keeps an exponential histogram across batches as state: after
// each batch its bounds bracket the exact sum of the last n records (a count-based window
// across batch boundaries) and the relative error stays within 1/r.
#[test]
fn sum_over_the_last_n_records_is_bracketed() {
    let ssc = context(4);
    ssc.checkpoint("checkpoints/sketch-eh");
    let batches: Vec<Vec<Value>> = (0..5i64)
        .map(|b| {
            (0..300)
                .map(|i| Value::Int((i * 7 + b * 13) % 50))
                .collect()
        })
        .collect();
    let input = ssc
        .test_stream("xs", batches.iter().cloned().map(Some).collect(), 1)
        .expect("input");
    let (n, r) = (700u64, 10u64);
    let out = collect(&input.approx_sum_over_last(n, r).expect("operator"));
    run(&ssc, 5);
    let all: Vec<i64> = batches
        .iter()
        .flatten()
        .map(|v| v.as_int().expect("int"))
        .collect();
    for (t, rdd) in out.borrow().iter() {
        let seen = (*t / 1000) as usize * 300;
        let exact: i64 = all[seen.saturating_sub(n as usize)..seen].iter().sum();
        let rows = rdd.collect();
        let (est, b) = rows[0].as_pair().expect("(estimate, bounds)");
        let (lo, hi) = b.as_pair().expect("bounds");
        let (est, lo, hi) = (
            count_of(est) as i64,
            count_of(lo) as i64,
            count_of(hi) as i64,
        );
        assert!(
            lo <= exact && exact <= hi,
            "at {t}: {lo} <= {exact} <= {hi}"
        );
        assert!(
            (est - exact).abs() as f64 <= exact as f64 / r as f64,
            "at {t}: {est} vs {exact}"
        );
    }
}
