//! The word count's borrowed path (issue 15): a pipelined `reduceByKey` over
//! `flatMap(split(sep))`, `map(pair(c))` hands the combiner each word borrowed from its line
//! (`Func::split_literal`, `Grouped::upsert_str`, `value::java_split_each`). It must give
//! exactly what the general path gives (the words made as values, the pairs built) and
//! what computing the steps one by one gives: same partitions, same records, same order,
//! same per-step counts. Lines with repeated, empty, long (not inline) and non-ASCII words,
//! words with equal Java hashCodes ("Aa"/"BB"), leading, trailing and doubled separators,
//! and lines that are only separators (Java's `" ".split(" ")` has no parts).
//!
//! Also: a borrowed word hashes as its value does, Java's split rules, and the
//! `AppendOnlyMap` order walk against a plain transcription of `AppendOnlyMap`.

use proptest::prelude::*;
use std::hash::{BuildHasher, Hash, Hasher};
use stream_sim::func::Func;
use stream_sim::models::dstream::ops::{self, OpCtx, Step};
use stream_sim::models::dstream::rdd::{Lineage, Rdd};
use stream_sim::scenario::expr::compile;
use stream_sim::scenario::parse::parse_expr;
use stream_sim::value::{append_only_map_order_of_codes, java_split_each, murmur3, Text, Value};

fn func(src: &str, arity: usize) -> Func {
    compile(&parse_expr(src).expect("parses"), arity).expect("compiles")
}

/// `f` without any fast path or tag: only its plain call.
fn plain(f: &Func) -> Func {
    let g = f.clone();
    Func::native(f.name(), f.arity(), move |args| g.call(args))
}

const WORDS: &[&str] = &[
    "Aa",
    "BB",
    "AaAa",
    "BBBB",
    "polygenelubricants",
    "spark",
    "a",
    "the",
    "fourteen bytes",
    "fifteen bytes!!",
    "naïve",
    "日本語",
    "😀x",
    "",
    "ab",
];

fn lines(sep: &'static str) -> impl Strategy<Value = Vec<Value>> {
    let line = prop_oneof![
        6 => prop::collection::vec(0..WORDS.len(), 0..8)
            .prop_map(move |ws| ws.iter().map(|&i| WORDS[i]).collect::<Vec<_>>().join(sep)),
        1 => (0usize..4).prop_map(move |k| sep.repeat(k)),
        1 => (0..WORDS.len(), 0usize..3, 0usize..3).prop_map(move |(w, a, b)| {
            format!("{}{}{}", sep.repeat(a), WORDS[w], sep.repeat(b))
        }),
    ];
    prop::collection::vec(line.prop_map(|l| Value::str(&l)), 0..40)
}

type Out = (Vec<Vec<Value>>, Vec<Vec<usize>>);

fn fused(records: &[Value], slices: usize, steps: &[Step], f: &Func, n: usize) -> Option<Out> {
    let mut ctx = OpCtx::new(1, 2);
    let rdd = ctx.parallelize(records.to_vec(), slices, "parallelize");
    ops::reduce_by_key_fused(&rdd, steps, f, n, false, &mut 0)
        .ok()
        .map(|(parts, lens, _)| (parts, lens))
}

/// The steps one by one, each partition materialized, then `reduceByKey`.
fn step_by_step(records: &[Value], slices: usize, steps: &[Step], f: &Func, n: usize) -> Out {
    let mut ctx = OpCtx::new(1, 2);
    let rdd = ctx.parallelize(records.to_vec(), slices, "parallelize");
    let mut parts: Vec<Vec<Value>> = rdd.partitions().to_vec();
    let mut lens = Vec::new();
    for s in steps {
        let mut next = Vec::new();
        for p in &parts {
            let mut out = Vec::new();
            s.apply_partition(p, &mut out).expect("step");
            next.push(out);
        }
        lens.push(next.iter().map(Vec::len).collect());
        parts = next;
    }
    let lineage = Lineage {
        id: 99,
        op: "MapPartitionsRDD[map]".to_string(),
        origin: None,
        shuffle: false,
        checkpointed: false,
        parents: vec![rdd.lineage().clone()],
        depth: 2,
    };
    let mid = Rdd::new(parts, None, lineage);
    let out = ops::reduce_by_key(&mut ctx, &mid, f, n, "reduceByKey").expect("reduces");
    (out.partitions().to_vec(), lens)
}

fn check(sep: &str, pair_src: &str, lines: &[Value], slices: usize, n: usize) {
    let split = func(&format!("split({sep:?})"), 1);
    assert_eq!(split.split_literal(), Some(sep));
    let pair = func(pair_src, 1);
    assert!(pair.pair_const().is_some());
    let sum = func("sum", 2);
    let tagged = [Step::FlatMap(split.clone()), Step::Map(pair.clone())];
    let general = [Step::FlatMap(plain(&split)), Step::Map(plain(&pair))];
    let got = fused(lines, slices, &tagged, &sum, n).expect("the word count never falls back");
    let want = fused(lines, slices, &general, &sum, n).expect("general path");
    // the output's approx_bytes, summed as the reduce side makes the records (from `i64`
    // combiners for an `Int` constant), is the records' own
    for (path, steps) in [("borrowed", &tagged), ("general", &general)] {
        let mut ctx = OpCtx::new(1, 2);
        let rdd = ctx.parallelize(lines.to_vec(), slices, "parallelize");
        let (parts, _, bytes) =
            ops::reduce_by_key_fused(&rdd, steps, &sum, n, false, &mut 0).expect("no fallback");
        let records: usize = parts.iter().flatten().map(Value::approx_bytes).sum();
        assert_eq!(
            bytes,
            Some(records as u64),
            "{path} path's bytes, sep {sep:?}"
        );
    }
    assert_eq!(got, want, "borrowed vs general path, sep {sep:?}");
    assert_eq!(
        got,
        step_by_step(lines, slices, &general, &sum, n),
        "pipelined vs step by step"
    );
    // a step before the split keeps the borrowed path and its counts
    let filter = Step::Filter(func("x => x.length > 1", 1));
    let with_head = [filter.clone(), tagged[0].clone(), tagged[1].clone()];
    let general_head = [filter, general[0].clone(), general[1].clone()];
    assert_eq!(
        fused(lines, slices, &with_head, &sum, n),
        fused(lines, slices, &general_head, &sum, n)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn borrowed_words_equal_general_path_space(
        ls in lines(" "), slices in 1usize..5, n in 1usize..4,
    ) {
        check(" ", "pair(1)", &ls, slices, n);
    }

    #[test]
    fn borrowed_words_equal_general_path_long_separator(
        ls in lines("ab"), slices in 1usize..4, n in 1usize..4,
    ) {
        check("ab", "pair(1)", &ls, slices, n);
    }

    #[test]
    fn borrowed_words_equal_general_path_other_constant(
        ls in lines(" "), slices in 1usize..4,
    ) {
        check(" ", "pair(2)", &ls, slices, 2);
    }

    /// Counts that overflow wrap around as Scala's `Long` addition does, on the `i64`
    /// combiners of an `Int` constant as on the general path.
    #[test]
    fn borrowed_words_equal_general_path_wrapping_counts(
        ls in lines(" "), slices in 1usize..4,
    ) {
        check(" ", "pair(4611686018427387904)", &ls, slices, 2);
    }

    /// A constant that is not an `Int` keeps `Value` combiners on the borrowed path.
    #[test]
    fn borrowed_words_equal_general_path_float_constant(
        ls in lines(" "), slices in 1usize..4,
    ) {
        check(" ", "pair(1.5)", &ls, slices, 2);
    }

    /// A borrowed word hashes as the value `Value::str(word)` does, with any hasher.
    #[test]
    fn borrowed_word_hashes_as_its_value(s in any::<String>(), i in 0..WORDS.len()) {
        for w in [s.as_str(), WORDS[i]] {
            let fx = rustc_hash::FxBuildHasher;
            let mut h = fx.build_hasher();
            Text::hash_str_value(w, &mut h);
            prop_assert_eq!(h.finish(), fx.hash_one(Value::str(w)));
            let mut d = std::collections::hash_map::DefaultHasher::new();
            Text::hash_str_value(w, &mut d);
            let mut e = std::collections::hash_map::DefaultHasher::new();
            Value::str(w).hash(&mut e);
            prop_assert_eq!(d.finish(), e.finish());
        }
    }

    /// A text holds exactly its string; equality (of texts, and of a text with a borrowed
    /// string) is the strings' equality, at every length around the inline limit.
    #[test]
    fn text_round_trips_and_compares_as_its_string(
        a in "[ab\u{e9}]{0,17}", b in "[ab\u{e9}]{0,17}", s in any::<String>(),
    ) {
        for x in [&a, &b, &s] {
            let t = Text::new(x);
            prop_assert_eq!(t.as_str(), x.as_str());
            prop_assert!(Text::new(x).eq_str(x));
        }
        for (x, y) in [(&a, &b), (&a, &s), (&b, &a)] {
            prop_assert_eq!(Text::new(x) == Text::new(y), x == y);
            prop_assert_eq!(Text::new(x).eq_str(y), x == y);
        }
    }

    /// `java_split_each` (the memchr search) gives the parts of Java's `String.split` with a
    /// literal separator, written here over the standard library's `str::split`: one-byte,
    /// multi-byte, self-overlapping and non-ASCII separators, over strings full of them.
    #[test]
    fn java_split_each_is_javas_split(
        s in "[a \u{e9}b]{0,24}",
        sep in prop_oneof![Just(" "), Just("a"), Just("ab"), Just("aa"), Just("\u{e9}"), Just("b \u{e9}")],
    ) {
        let mut got: Vec<String> = Vec::new();
        java_split_each(&s, sep, |p| {
            got.push(p.to_string());
            Ok::<(), ()>(())
        })
        .expect("splits");
        prop_assert_eq!(got, java_split_reference(&s, sep));
    }

    /// The walk gives the order of a plain transcription of `AppendOnlyMap`.
    #[test]
    fn append_only_map_order_walk(
        codes in prop::collection::vec(
            prop_oneof![-5i32..5, any::<i32>(), Just(i32::MIN)], 0..400),
        null in prop::option::of(0usize..400),
    ) {
        let mut codes = codes;
        codes.dedup();
        let null = null.filter(|&i| i < codes.len());
        prop_assert_eq!(append_only_map_order_of_codes(&codes, null), reference_order(&codes, null));
    }
}

/// Java's `String.split(sep)` for a literal `sep` (String.java, the fast path for a
/// literal): the parts between non-overlapping matches left to right, trailing empty parts
/// removed; a string without a match is its only part.
fn java_split_reference(s: &str, sep: &str) -> Vec<String> {
    if !s.contains(sep) {
        return vec![s.to_string()];
    }
    let mut parts: Vec<String> = s.split(sep).map(String::from).collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// `AppendOnlyMap` (Spark 3.5, core/.../util/collection/AppendOnlyMap.scala): 64 slots,
/// grow at 70 % (the `null` key counted), `rehash(hashCode)`, probe `+1, +2, ...`; growing
/// re-inserts the old slots in slot order; `null` yielded first.
fn reference_order(codes: &[i32], null: Option<usize>) -> Vec<u32> {
    let rehash = |c: i32| murmur3::finalize_hash(murmur3::mix(0, c), 4) as u32 as usize;
    let mut slots: Vec<Option<usize>> = vec![None; 64];
    let place = |slots: &mut Vec<Option<usize>>, i: usize| {
        let mask = slots.len() - 1;
        let mut pos = rehash(codes[i]) & mask;
        let mut delta = 1;
        while slots[pos].is_some() {
            pos = (pos + delta) & mask;
            delta += 1;
        }
        slots[pos] = Some(i);
    };
    let mut size = 0;
    for i in 0..codes.len() {
        // the null key lives outside the slots but counts toward the 70 %
        if Some(i) != null {
            place(&mut slots, i);
        }
        size += 1;
        if size > slots.len() * 7 / 10 {
            let doubled = vec![None; 2 * slots.len()];
            let old = std::mem::replace(&mut slots, doubled);
            for j in old.into_iter().flatten() {
                place(&mut slots, j);
            }
        }
    }
    let mut out: Vec<u32> = null.map(|i| i as u32).into_iter().collect();
    out.extend(slots.into_iter().flatten().map(|i| i as u32));
    out
}

/// Java's `String.split` with a literal separator: trailing empty parts dropped, all of
/// them; a string without the separator is its own part. The `flatMap` fast path, the
/// borrowed parts and the `List` the function returns agree.
#[test]
fn java_split_rules() {
    let cases: &[(&str, &[&str])] = &[
        ("", &[""]),
        (" ", &[]),
        ("   ", &[]),
        ("a", &["a"]),
        (" a", &["", "a"]),
        ("a ", &["a"]),
        ("a  b  ", &["a", "", "b"]),
        ("  a b", &["", "", "a", "b"]),
    ];
    let split = func("split(\" \")", 1);
    for (s, want) in cases {
        let mut parts: Vec<String> = Vec::new();
        java_split_each(s, " ", |p| {
            parts.push(p.to_string());
            Ok::<(), ()>(())
        })
        .expect("splits");
        assert_eq!(parts, *want, "{s:?}");
        let want_values: Vec<Value> = want.iter().map(|w| Value::str(w)).collect();
        let mut flat = Vec::new();
        assert!(split.call_flat(&Value::str(s), &mut flat).expect("flat"));
        assert_eq!(flat, want_values, "flatMap fast path of {s:?}");
        assert_eq!(
            split.call1(&Value::str(s)).expect("call"),
            Value::list(want_values),
            "split({s:?})"
        );
    }
}

/// A chain the borrowed path cannot take falls back exactly as the general path does: a
/// split of a non-string fails both ways.
#[test]
fn split_of_a_non_string_falls_back() {
    let split = func("split(\" \")", 1);
    let pair = func("pair(1)", 1);
    let sum = func("sum", 2);
    let records = vec![Value::str("a b"), Value::Int(3)];
    let tagged = [Step::FlatMap(split.clone()), Step::Map(pair.clone())];
    let general = [Step::FlatMap(plain(&split)), Step::Map(plain(&pair))];
    assert!(fused(&records, 1, &tagged, &sum, 2).is_none());
    assert!(fused(&records, 1, &general, &sum, 2).is_none());
}
