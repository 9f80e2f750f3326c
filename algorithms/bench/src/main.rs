//! Updates per second of `stream-algorithms` next to comparable crates.io
//! implementations, in one process, on the same pre-generated inputs.
//!
//! Run (release mode; takes about a minute):
//!
//! ```text
//! cd algorithms/bench && cargo run --release            # all groups
//! cd algorithms/bench && cargo run --release -- frequent # one group
//! ```
//!
//! Fairness rules (issue 16):
//!
//! - Every figure is `n` updates timed `REPEATS` times; the table gives the
//!   spread (min / median / max updates per second) and the ratio of the
//!   medians. On a shared machine the spread is wide: read ratios, not
//!   absolute rates, and only when the spreads do not overlap.
//! - Sketches that hash are compared under the same hash function where the
//!   other crate accepts a `BuildHasher`: ours is the crate's portable hash
//!   with seed 0, passed to them as `BuildHasherDefault<PortableHasher>`
//!   (for HyperLogLog this gives both sides bit-identical hash values).
//!   Where the other crate fixes its own hash, the row says so.
//! - Only items actually processed count: no figure counts items that an
//!   API skips without touching (such as a reservoir's bulk skip, which
//!   once showed "1e11 updates/s"), so `ReservoirL::extend_from_slice` is
//!   not listed.
//! - The last column labels every row that compares different algorithms
//!   or different guarantees; only rows marked "same algorithm" compare
//!   implementations of one thing.

use std::hash::BuildHasherDefault;
use std::hint::black_box;
use std::time::Instant;

use rand::seq::IteratorRandom;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use stream_algorithms::hash::PortableHasher;
use stream_algorithms::{
    CountMin, Dgim, ExpHistogram, HyperLogLog, Kll, MisraGries, ReservoirL, ReservoirR,
    SpaceSaving, VarOpt, WeightedReservoir,
};

const REPEATS: usize = 7;

/// The crate's portable hash (seed 0) as a `BuildHasher` for other crates.
type Portable = BuildHasherDefault<PortableHasher>;

/// Min, median and max updates per second over `REPEATS` runs.
#[derive(Clone, Copy)]
struct Spread {
    min: f64,
    median: f64,
    max: f64,
}

/// Time `f` (which performs `n` updates) `REPEATS` times.
fn measure(n: usize, mut f: impl FnMut()) -> Spread {
    let mut rates: Vec<f64> = (0..REPEATS)
        .map(|_| {
            let t = Instant::now();
            f();
            n as f64 / t.elapsed().as_secs_f64()
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    Spread {
        min: rates[0],
        median: rates[REPEATS / 2],
        max: rates[REPEATS - 1],
    }
}

struct Row {
    what: &'static str,
    ours_name: &'static str,
    ours: Spread,
    theirs_name: &'static str,
    theirs: Option<Spread>,
    /// What the comparison is worth: "same algorithm, same hash", or what
    /// differs (algorithm, guarantee, hash).
    note: &'static str,
}

fn zipf(seed: u64, alphabet: u32, s: f64, len: usize) -> Vec<u64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut cdf = Vec::with_capacity(alphabet as usize);
    let mut acc = 0.0;
    for i in 0..alphabet {
        acc += 1.0 / f64::from(i + 1).powf(s);
        cdf.push(acc);
    }
    (0..len)
        .map(|_| {
            let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * acc;
            cdf.partition_point(|&c| c <= u).min(alphabet as usize - 1) as u64
        })
        .collect()
}

fn fmt_spread(s: &Spread) -> String {
    format!("{:.2e} / {:.2e} / {:.2e}", s.min, s.median, s.max)
}

#[allow(clippy::too_many_lines)]
fn main() {
    let n_big = 10_000_000usize;
    let n_freq = 2_000_000usize;
    let distinct: Vec<u64> = (0..n_big as u64)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let skewed = zipf(1, 100_000, 1.1, n_freq);
    let k = 100;
    let mut rows = Vec::new();
    // Optional argument: run only the groups whose name contains it
    // (reservoir, weighted, count-min, hyperloglog, frequent, other).
    let filter = std::env::args().nth(1).unwrap_or_default();
    let want = |group: &str| group.contains(filter.as_str());

    if want("reservoir") {
        // --- Reservoir sampling -------------------------------------------
        let ours_l = measure(n_big, || {
            let mut r = ReservoirL::new(k, ChaCha8Rng::seed_from_u64(1));
            for &x in &distinct {
                r.add(x);
            }
            black_box(r.sample());
        });
        let ours_r = measure(n_big, || {
            let mut r = ReservoirR::new(k, ChaCha8Rng::seed_from_u64(1));
            for &x in &distinct {
                r.add(x);
            }
            black_box(r.sample());
        });
        let rand_choose = measure(n_big, || {
            let mut rng = ChaCha8Rng::seed_from_u64(1);
            black_box(distinct.iter().copied().choose_multiple(&mut rng, k));
        });
        let pd_res = measure(n_big, || {
            let mut r = pdatastructs::reservoirsampling::ReservoirSampling::new(
                k,
                <rand_chacha03::ChaCha8Rng as rand_chacha03::rand_core::SeedableRng>::seed_from_u64(
                    1,
                ),
            );
            for &x in &distinct {
                r.add(x);
            }
            black_box(r.reservoir());
        });
        let sa_res = measure(n_big, || {
            let mut rng =
                <rand_chacha02::ChaCha8Rng as rand_chacha02::rand_core::SeedableRng>::seed_from_u64(
                    1,
                );
            let mut r = streaming_algorithms::SampleUnstable::new(k);
            for &x in &distinct {
                r.push(x, &mut rng);
            }
            black_box(r);
        });
        rows.push(Row {
            what: "reservoir k=100",
            ours_name: "ReservoirR::add",
            ours: ours_r,
            theirs_name: "streaming_algorithms SampleUnstable (R)",
            theirs: Some(sa_res),
            note: "same algorithm (R)",
        });
        rows.push(Row {
            what: "reservoir k=100",
            ours_name: "ReservoirR::add",
            ours: ours_r,
            theirs_name: "rand 0.9 IteratorRandom::choose_multiple",
            theirs: Some(rand_choose),
            note: "same guarantee; rand's is R with its own index draw",
        });
        rows.push(Row {
            what: "reservoir k=100",
            ours_name: "ReservoirL::add",
            ours: ours_l,
            theirs_name: "pdatastructs ReservoirSampling (R + approx. skip)",
            theirs: Some(pd_res),
            note: "different algorithm (L vs R with skips), same guarantee",
        });
        rows.push(Row {
            what: "reservoir k=100",
            ours_name: "ReservoirL::add",
            ours: ours_l,
            theirs_name: "streaming_algorithms SampleUnstable (R)",
            theirs: Some(sa_res),
            note: "different algorithm (L vs R), same guarantee",
        });
    }

    if want("weighted") {
        // --- Weighted sampling --------------------------------------------
        let weights: Vec<f64> = (0..n_big).map(|i| (i % 16 + 1) as f64).collect();
        let ours_w = measure(n_big, || {
            let mut r = WeightedReservoir::new(k, ChaCha8Rng::seed_from_u64(1));
            for (&x, &w) in distinct.iter().zip(&weights) {
                r.add(x, w).unwrap();
            }
            black_box(r.sample());
        });
        let ours_w_batch = measure(n_big, || {
            let mut r = WeightedReservoir::new(k, ChaCha8Rng::seed_from_u64(1));
            r.extend_weighted(distinct.iter().copied().zip(weights.iter().copied()))
                .unwrap();
            black_box(r.sample());
        });
        let rand_w = measure(n_big, || {
            let mut rng = ChaCha8Rng::seed_from_u64(1);
            black_box(
                rand::seq::index::sample_weighted(&mut rng, n_big, |i| weights[i], k).unwrap(),
            );
        });
        let ours_varopt = measure(n_big, || {
            let mut v = VarOpt::new(k, ChaCha8Rng::seed_from_u64(1)).unwrap();
            for (&x, &w) in distinct.iter().zip(&weights) {
                v.add(x, w).unwrap();
            }
            black_box(v.tau());
        });
        rows.push(Row {
            what: "weighted k=100",
            ours_name: "WeightedReservoir (A-ExpJ)",
            ours: ours_w,
            theirs_name: "rand 0.9 index::sample_weighted (A-ExpJ)",
            theirs: Some(rand_w),
            note: "same algorithm; rand's is not streaming (indexed weights) and keeps no exact total",
        });
        rows.push(Row {
            what: "weighted k=100",
            ours_name: "WeightedReservoir::extend_weighted (A-ExpJ)",
            ours: ours_w_batch,
            theirs_name: "rand 0.9 index::sample_weighted (A-ExpJ)",
            theirs: Some(rand_w),
            note: "same algorithm, both given the whole input in one call (ours iterates it once, in order)",
        });
        rows.push(Row {
            what: "weighted k=100",
            ours_name: "VarOpt",
            ours: ours_varopt,
            theirs_name: "WeightedReservoir (A-ExpJ, ours)",
            theirs: Some(ours_w),
            note: "different algorithm and guarantee (VarOpt: unbiased subset sums, mergeable)",
        });
    }

    if want("count-min") {
        // --- Count-Min -----------------------------------------------------
        let ours_cm = measure(n_freq, || {
            let mut cm = CountMin::new(0.01, 0.01, 0).unwrap();
            for x in &skewed {
                cm.add(x);
            }
            black_box(cm.estimate(&0u64));
        });
        let ours_cu = measure(n_freq, || {
            let mut cm = CountMin::new(0.01, 0.01, 0).unwrap().conservative();
            for x in &skewed {
                cm.add(x);
            }
            black_box(cm.estimate(&0u64));
        });
        let pd_cm = measure(n_freq, || {
            let mut cm: pdatastructs::countminsketch::CountMinSketch<u64, usize, Portable> =
                pdatastructs::countminsketch::CountMinSketch::with_point_query_properties_and_hasher(
                    0.01,
                    0.01,
                    Portable::default(),
                );
            for x in &skewed {
                cm.add(x);
            }
            black_box(cm.query_point(&0u64));
        });
        let sa_cm = measure(n_freq, || {
            // 256 x 5 (their width rounds 2/eps up to a power of two).
            let mut cm: streaming_algorithms::CountMinSketch<u64, usize> =
                streaming_algorithms::CountMinSketch::new(1.0 - 1.0 / 32.0, 0.01, ());
            for x in &skewed {
                cm.push(x, &1usize);
            }
            black_box(cm.get(&0u64));
        });
        rows.push(Row {
            what: "count-min eps=delta=0.01",
            ours_name: "CountMin (272x5)",
            ours: ours_cm,
            theirs_name: "pdatastructs CountMinSketch (272x5, our hash)",
            theirs: Some(pd_cm),
            note: "same algorithm, same base hash; different row hashes (ours pairwise independent, a x + b mod 2^61 - 1, as the proof needs; theirs double hashing)",
        });
        rows.push(Row {
            what: "count-min eps=delta=0.01",
            ours_name: "CountMin (272x5)",
            ours: ours_cm,
            theirs_name: "streaming_algorithms CountMinSketch (256x5)",
            theirs: Some(sa_cm),
            note: "same algorithm, different hash (theirs fixed) and width",
        });
        rows.push(Row {
            what: "count-min eps=delta=0.01",
            ours_name: "CountMin conservative (272x5)",
            ours: ours_cu,
            theirs_name: "CountMin plain (272x5, ours)",
            theirs: Some(ours_cm),
            note: "different update rule (conservative: smaller error, not subtractable)",
        });
    }

    if want("hyperloglog") {
        // --- HyperLogLog ---------------------------------------------------
        let ours_hll = measure(n_big, || {
            let mut h = HyperLogLog::new(12).unwrap();
            for x in &distinct {
                h.add(x);
            }
            black_box(h.estimate());
        });
        let pd_hll = measure(n_big, || {
            let mut h: pdatastructs::hyperloglog::HyperLogLog<u64, Portable> =
                pdatastructs::hyperloglog::HyperLogLog::with_hash(12, Portable::default());
            for x in &distinct {
                h.add(x);
            }
            black_box(h.count());
        });
        let sa_hll = measure(n_big, || {
            let mut h: streaming_algorithms::HyperLogLog<u64> =
                streaming_algorithms::HyperLogLog::with_p(12);
            for x in &distinct {
                h.push(x);
            }
            black_box(h.len());
        });
        let hpp_hll = measure(n_big, || {
            use hyperloglogplus::HyperLogLog as _;
            let mut h: hyperloglogplus::HyperLogLogPF<u64, Portable> =
                hyperloglogplus::HyperLogLogPF::new(12, Portable::default()).unwrap();
            for x in &distinct {
                h.insert(x);
            }
            black_box(h.count());
        });
        rows.push(Row {
            what: "hyperloglog p=12",
            ours_name: "HyperLogLog",
            ours: ours_hll,
            theirs_name: "pdatastructs HyperLogLog (our hash)",
            theirs: Some(pd_hll),
            note: "same algorithm, same hash (bit-identical hash values)",
        });
        rows.push(Row {
            what: "hyperloglog p=12",
            ours_name: "HyperLogLog",
            ours: ours_hll,
            theirs_name: "hyperloglogplus HyperLogLogPF (our hash)",
            theirs: Some(hpp_hll),
            note: "same algorithm, same hash",
        });
        rows.push(Row {
            what: "hyperloglog p=12",
            ours_name: "HyperLogLog",
            ours: ours_hll,
            theirs_name: "streaming_algorithms HyperLogLog (xxh3)",
            theirs: Some(sa_hll),
            note: "same algorithm, different hash (theirs fixed: xxh3)",
        });
    }

    if want("frequent") {
        // --- Frequent items ----------------------------------------------
        let ours_mg = measure(n_freq, || {
            let mut mg = MisraGries::new(k);
            for &x in &skewed {
                mg.add(x);
            }
            black_box(mg.max_error());
        });
        let ours_ss = measure(n_freq, || {
            let mut ss = SpaceSaving::new(k);
            for &x in &skewed {
                ss.add(x);
            }
            black_box(ss.min_count());
        });
        let pd_lossy = measure(n_freq, || {
            let mut lc = pdatastructs::topk::lossycounter::LossyCounter::with_epsilon(
                1.0 / (k as f64 + 1.0),
            );
            for &x in &skewed {
                lc.add(x);
            }
            black_box(lc.query(0.05).count());
        });
        let sa_top = measure(n_freq, || {
            let mut t: streaming_algorithms::Top<u64, usize> =
                streaming_algorithms::Top::new(k, 0.99, 2.0 / 1000.0, ());
            for &x in &skewed {
                t.push(x, &1usize);
            }
            black_box(t.iter().count());
        });
        rows.push(Row {
            what: "frequent items k=100",
            ours_name: "SpaceSaving (Stream-Summary)",
            ours: ours_ss,
            theirs_name: "pdatastructs LossyCounter (eps=1/101)",
            theirs: Some(pd_lossy),
            note: "different algorithm and space (Lossy Counting: O(log(eps n)/eps) entries); theirs uses SipHash",
        });
        rows.push(Row {
            what: "frequent items k=100",
            ours_name: "SpaceSaving (Stream-Summary)",
            ours: ours_ss,
            theirs_name: "streaming_algorithms Top (CMS + heap)",
            theirs: Some(sa_top),
            note: "different algorithm and guarantee (probabilistic top-k)",
        });
        rows.push(Row {
            what: "frequent items k=100",
            ours_name: "MisraGries (BTreeMap)",
            ours: ours_mg,
            theirs_name: "pdatastructs LossyCounter (eps=1/101)",
            theirs: Some(pd_lossy),
            note: "different algorithm and space; theirs uses SipHash",
        });
    }

    if want("other") {
        // --- Sketches without a crates.io counterpart here ----------------
        let values: Vec<f64> = distinct.iter().map(|&x| (x >> 11) as f64).collect();
        let ours_kll = measure(n_big, || {
            let mut s = Kll::new(200, ChaCha8Rng::seed_from_u64(1)).unwrap();
            for &v in &values {
                s.add(v).unwrap();
            }
            black_box(s.retained());
        });
        rows.push(Row {
            what: "quantiles k=200",
            ours_name: "Kll",
            ours: ours_kll,
            theirs_name: "(none)",
            theirs: None,
            note: "",
        });
        let bits: Vec<bool> = distinct.iter().map(|x| x >> 63 == 1).collect();
        let ours_dgim = measure(n_big, || {
            let mut d = Dgim::new(1 << 20, 10).unwrap();
            for &b in &bits {
                d.add(b);
            }
            black_box(d.estimate());
        });
        rows.push(Row {
            what: "window bits N=2^20 r=10",
            ours_name: "Dgim",
            ours: ours_dgim,
            theirs_name: "(none)",
            theirs: None,
            note: "",
        });
        let small: Vec<u64> = distinct.iter().map(|x| x >> 54).collect();
        let ours_eh = measure(n_big, || {
            let mut e = ExpHistogram::new(1 << 20, 10).unwrap();
            for &v in &small {
                e.add(v);
            }
            black_box(e.estimate());
        });
        rows.push(Row {
            what: "window sums N=2^20 r=10, values < 1024",
            ours_name: "ExpHistogram",
            ours: ours_eh,
            theirs_name: "(none)",
            theirs: None,
            note: "",
        });
    }

    println!(
        "| sketch | ours | ours updates/s min / median / max | theirs | theirs updates/s min / median / max | median ratio ours/theirs | comparability |"
    );
    println!("| --- | --- | ---: | --- | ---: | ---: | --- |");
    for r in rows {
        let (t, ratio) = match &r.theirs {
            Some(t) => (fmt_spread(t), format!("{:.2}", r.ours.median / t.median)),
            None => ("—".into(), "—".into()),
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.what,
            r.ours_name,
            fmt_spread(&r.ours),
            r.theirs_name,
            t,
            ratio,
            r.note
        );
    }
}
