//! The fast paths of `reduceByKey` (issue 15) give exactly what the plain paths give: the
//! built-in `sum` adds two `Int`s in place (`Func::adds_ints`, no call) where a lambda
//! `(a, b) => a + b` is called, on the map side and on the reduce side, overflow included;
//! the map-side combine finds or makes a key's slot with one probe and sorts its keys by
//! packed (hashCode, first-seen number) integers. Same output partitions, same records, same
//! order (Spark's: ExternalSorter's hashCode order, AppendOnlyMap's slot order), with and
//! without the pipelined pass.

use proptest::prelude::*;
use stream_sim::func::Func;
use stream_sim::models::dstream::ops::{self, OpCtx, Step};
use stream_sim::scenario::expr::compile;
use stream_sim::scenario::parse::parse_expr;
use stream_sim::value::Value;

fn func(src: &str, arity: usize) -> Func {
    compile(&parse_expr(src).expect("parses"), arity).expect("compiles")
}

/// Keys with equal Java hashCodes ("Aa" and "BB", "AaAa", "AaBB", "BBAa" and "BBBB"), a
/// negative one ("polygenelubricants"), words and numbers.
const KEYS: &[&str] = &[
    "Aa",
    "BB",
    "AaAa",
    "AaBB",
    "BBAa",
    "BBBB",
    "polygenelubricants",
    "spark",
    "a",
    "",
    "the quick brown fox jumps",
];

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => (-3i64..4).prop_map(Value::Int),
        1 => prop_oneof![
            Just(i64::MAX),
            Just(i64::MIN),
            Just(i64::MAX - 1),
            Just(i64::from(i32::MAX) + 1)
        ]
        .prop_map(Value::Int),
        1 => (-2.0f64..2.0).prop_map(Value::Float),
    ]
}

fn key() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => (0..KEYS.len()).prop_map(|i| Value::str(KEYS[i])),
        1 => (-5i64..5).prop_map(Value::Int),
    ]
}

fn records() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec((key(), value()), 0..120)
        .prop_map(|kv| kv.into_iter().map(|(k, v)| Value::pair(k, v)).collect())
}

fn reduced(
    records: &[Value],
    slices: usize,
    n: usize,
    f: &Func,
) -> Result<Vec<Vec<Value>>, String> {
    let mut ctx = OpCtx::new(1, 2);
    let rdd = ctx.parallelize(records.to_vec(), slices, "parallelize");
    let out = ops::reduce_by_key(&mut ctx, &rdd, f, n, "reduceByKey").map_err(|e| e.to_string())?;
    Ok(out.partitions().to_vec())
}

/// The marker's promise: `sum` of two Ints is their `wrapping_add`, as its call computes.
#[test]
fn sum_is_marked_and_other_functions_are_not() {
    let sum = func("sum", 2);
    assert!(sum.adds_ints());
    for (a, b) in [(1, 2), (i64::MAX, 1), (i64::MIN, -1), (-7, 7)] {
        let called = sum.call2(&Value::Int(a), &Value::Int(b)).expect("adds");
        assert_eq!(called, Value::Int(a.wrapping_add(b)), "{a} + {b}");
    }
    for src in ["(a, b) => a + b", "max", "min", "sub", "(a, b) => a - b"] {
        assert!(!func(src, 2).adds_ints(), "{src}");
    }
    assert!(!func("sum", 1).adds_ints());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// reduceByKey(sum) (fast path) and reduceByKey((a, b) => a + b) (called) give the
    /// same partitions, records and order, Ints overflowing and Floats mixed in.
    #[test]
    fn fast_sum_reduces_as_the_called_lambda(
        recs in records(),
        slices in 1usize..5,
        n in 1usize..4,
    ) {
        let fast = reduced(&recs, slices, n, &func("sum", 2));
        let called = reduced(&recs, slices, n, &func("(a, b) => a + b", 2));
        prop_assert_eq!(fast, called);
    }

    /// The pipelined pass (`flatMap`-free chain `map(pair(1))` into the combiner, keys
    /// handed over without the pair) gives what map then reduceByKey give, with the fast
    /// `sum` and with the lambda.
    #[test]
    fn pipelined_reduce_agrees_with_map_then_reduce(
        words in prop::collection::vec(0..KEYS.len(), 0..150),
        slices in 1usize..5,
        n in 1usize..4,
        use_sum in any::<bool>(),
    ) {
        let f = if use_sum { func("sum", 2) } else { func("(a, b) => a + b", 2) };
        let mut ctx = OpCtx::new(1, 2);
        let words: Vec<Value> = words.iter().map(|&i| Value::str(KEYS[i])).collect();
        let rdd = ctx.parallelize(words, slices, "parallelize");
        let pair = func("pair(1)", 1);
        let steps = [Step::Map(pair.clone())];
        let mut hint = 0;
        let (fused, _, bytes) =
            ops::reduce_by_key_fused(&rdd, &steps, &f, n, false, &mut hint).expect("no error");
        // the capacity hint is the most keys a combiner held, and changes no result
        let most = rdd
            .partitions()
            .iter()
            .map(|p| p.iter().collect::<std::collections::HashSet<_>>().len())
            .max()
            .unwrap_or(0);
        prop_assert_eq!(hint, most);
        for mut other in [1, 3, 1000] {
            let (again, _, _) =
                ops::reduce_by_key_fused(&rdd, &steps, &f, n, false, &mut other).expect("again");
            prop_assert_eq!(&again, &fused);
        }
        let mapped = ops::map(&mut ctx, &rdd, &pair).expect("maps");
        let plain = ops::reduce_by_key(&mut ctx, &mapped, &f, n, "reduceByKey").expect("reduces");
        prop_assert_eq!(&fused, &plain.partitions().to_vec());
        // the byte count made with the records is the one the records give
        let summed: usize = fused.iter().flatten().map(Value::approx_bytes).sum();
        prop_assert_eq!(bytes, Some(summed as u64));
        prop_assert_eq!(plain.approx_bytes(), summed as u64);
    }
}

/// Overflow on both sides: the map side of each partition and the merge of partitions.
#[test]
fn sum_wraps_on_the_map_side_and_on_the_reduce_side() {
    let k = || Value::str("k");
    let recs = vec![
        Value::pair(k(), Value::Int(i64::MAX)),
        Value::pair(k(), Value::Int(1)),
        Value::pair(k(), Value::Int(i64::MAX)),
        Value::pair(k(), Value::Int(2)),
    ];
    let got = reduced(&recs, 2, 1, &func("sum", 2)).expect("reduces");
    let want = i64::MAX
        .wrapping_add(1)
        .wrapping_add(i64::MAX)
        .wrapping_add(2);
    assert_eq!(got, vec![vec![Value::pair(k(), Value::Int(want))]]);
}
