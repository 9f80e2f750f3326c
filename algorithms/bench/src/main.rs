//! Updates per second of `stream-algorithms` next to comparable crates.io
//! implementations, in one process, on the same pre-generated inputs.
//!
//! Run (release mode; takes about a minute):
//!
//! ```text
//! cd algorithms/bench && cargo run --release
//! ```
//!
//! Each row is the best of `REPEATS` runs of `n` updates; `ratio` is
//! ours / theirs (above 1 means ours is faster). The other crates differ in
//! details (hash function, exact algorithm variant, RNG), noted per row.

use std::hash::BuildHasherDefault;
use std::hint::black_box;
use std::time::Instant;

use rand::seq::IteratorRandom;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use stream_algorithms::{
    CountMin, Dgim, HyperLogLog, MisraGries, ReservoirL, ReservoirR, SpaceSaving, WeightedReservoir,
};

const REPEATS: usize = 3;

/// Best-of-`REPEATS` updates per second of `f`, which performs `n` updates.
fn rate(n: usize, mut f: impl FnMut()) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..REPEATS {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    n as f64 / best
}

struct Row {
    what: &'static str,
    ours_name: &'static str,
    ours: f64,
    theirs_name: &'static str,
    theirs: Option<f64>,
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

fn main() {
    let n_big = 10_000_000usize;
    let n_freq = 2_000_000usize;
    let distinct: Vec<u64> = (0..n_big as u64)
        .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .collect();
    let skewed = zipf(1, 100_000, 1.1, n_freq);
    let k = 100;
    let mut rows = Vec::new();

    // --- Reservoir sampling -------------------------------------------
    let ours_l = rate(n_big, || {
        let mut r = ReservoirL::new(k, ChaCha8Rng::seed_from_u64(1));
        for &x in &distinct {
            r.add(x);
        }
        black_box(r.sample());
    });
    let ours_l_slice = rate(n_big, || {
        let mut r = ReservoirL::new(k, ChaCha8Rng::seed_from_u64(1));
        r.extend_from_slice(&distinct);
        black_box(r.sample());
    });
    let ours_r = rate(n_big, || {
        let mut r = ReservoirR::new(k, ChaCha8Rng::seed_from_u64(1));
        for &x in &distinct {
            r.add(x);
        }
        black_box(r.sample());
    });
    let rand_choose = rate(n_big, || {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        black_box(distinct.iter().copied().choose_multiple(&mut rng, k));
    });
    let pd_res = rate(n_big, || {
        let mut r = pdatastructs::reservoirsampling::ReservoirSampling::new(
            k,
            <rand_chacha03::ChaCha8Rng as rand_chacha03::rand_core::SeedableRng>::seed_from_u64(1),
        );
        for &x in &distinct {
            r.add(x);
        }
        black_box(r.reservoir());
    });
    let sa_res = rate(n_big, || {
        let mut rng =
            <rand_chacha02::ChaCha8Rng as rand_chacha02::rand_core::SeedableRng>::seed_from_u64(1);
        let mut r = streaming_algorithms::SampleUnstable::new(k);
        for &x in &distinct {
            r.push(x, &mut rng);
        }
        black_box(r);
    });
    rows.push(Row {
        what: "reservoir k=100",
        ours_name: "ReservoirL::add",
        ours: ours_l,
        theirs_name: "rand 0.9 IteratorRandom::choose_multiple",
        theirs: Some(rand_choose),
    });
    rows.push(Row {
        what: "reservoir k=100",
        ours_name: "ReservoirL::add",
        ours: ours_l,
        theirs_name: "pdatastructs ReservoirSampling (R + approx. skip)",
        theirs: Some(pd_res),
    });
    rows.push(Row {
        what: "reservoir k=100",
        ours_name: "ReservoirL::add",
        ours: ours_l,
        theirs_name: "streaming_algorithms SampleUnstable (R)",
        theirs: Some(sa_res),
    });
    rows.push(Row {
        what: "reservoir k=100",
        ours_name: "ReservoirL::extend_from_slice",
        ours: ours_l_slice,
        theirs_name: "rand 0.9 IteratorRandom::choose_multiple",
        theirs: Some(rand_choose),
    });
    rows.push(Row {
        what: "reservoir k=100",
        ours_name: "ReservoirR::add",
        ours: ours_r,
        theirs_name: "streaming_algorithms SampleUnstable (R)",
        theirs: Some(sa_res),
    });

    // --- Weighted sampling --------------------------------------------
    let weights: Vec<f64> = (0..n_big).map(|i| (i % 16 + 1) as f64).collect();
    let ours_w = rate(n_big, || {
        let mut r = WeightedReservoir::new(k, ChaCha8Rng::seed_from_u64(1));
        for (&x, &w) in distinct.iter().zip(&weights) {
            r.add(x, w).unwrap();
        }
        black_box(r.sample());
    });
    let rand_w = rate(n_big, || {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        black_box(rand::seq::index::sample_weighted(&mut rng, n_big, |i| weights[i], k).unwrap());
    });
    rows.push(Row {
        what: "weighted k=100",
        ours_name: "WeightedReservoir (A-ExpJ)",
        ours: ours_w,
        theirs_name: "rand 0.9 index::sample_weighted (not streaming)",
        theirs: Some(rand_w),
    });

    // --- Count-Min -----------------------------------------------------
    let ours_cm = rate(n_freq, || {
        let mut cm = CountMin::new(0.01, 0.01, 1).unwrap();
        for x in &skewed {
            cm.add(x);
        }
        black_box(cm.estimate(&0u64));
    });
    let pd_cm = rate(n_freq, || {
        let mut cm: pdatastructs::countminsketch::CountMinSketch<u64> =
            pdatastructs::countminsketch::CountMinSketch::with_point_query_properties(0.01, 0.01);
        for x in &skewed {
            cm.add(x);
        }
        black_box(cm.query_point(&0u64));
    });
    let sa_cm = rate(n_freq, || {
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
        theirs_name: "pdatastructs CountMinSketch (SipHash)",
        theirs: Some(pd_cm),
    });
    rows.push(Row {
        what: "count-min eps=delta=0.01",
        ours_name: "CountMin (272x5)",
        ours: ours_cm,
        theirs_name: "streaming_algorithms CountMinSketch (256x5)",
        theirs: Some(sa_cm),
    });

    // --- HyperLogLog ---------------------------------------------------
    let ours_hll = rate(n_big, || {
        let mut h = HyperLogLog::new(12).unwrap();
        for x in &distinct {
            h.add(x);
        }
        black_box(h.estimate());
    });
    let pd_hll = rate(n_big, || {
        let mut h: pdatastructs::hyperloglog::HyperLogLog<u64> =
            pdatastructs::hyperloglog::HyperLogLog::new(12);
        for x in &distinct {
            h.add(x);
        }
        black_box(h.count());
    });
    let sa_hll = rate(n_big, || {
        let mut h: streaming_algorithms::HyperLogLog<u64> =
            streaming_algorithms::HyperLogLog::with_p(12);
        for x in &distinct {
            h.push(x);
        }
        black_box(h.len());
    });
    let hpp_hll = rate(n_big, || {
        use hyperloglogplus::HyperLogLog as _;
        let mut h: hyperloglogplus::HyperLogLogPF<
            u64,
            BuildHasherDefault<std::collections::hash_map::DefaultHasher>,
        > = hyperloglogplus::HyperLogLogPF::new(12, BuildHasherDefault::default()).unwrap();
        for x in &distinct {
            h.insert(x);
        }
        black_box(h.count());
    });
    rows.push(Row {
        what: "hyperloglog p=12",
        ours_name: "HyperLogLog",
        ours: ours_hll,
        theirs_name: "pdatastructs HyperLogLog (SipHash)",
        theirs: Some(pd_hll),
    });
    rows.push(Row {
        what: "hyperloglog p=12",
        ours_name: "HyperLogLog",
        ours: ours_hll,
        theirs_name: "streaming_algorithms HyperLogLog (xxh3)",
        theirs: Some(sa_hll),
    });
    rows.push(Row {
        what: "hyperloglog p=12",
        ours_name: "HyperLogLog",
        ours: ours_hll,
        theirs_name: "hyperloglogplus HyperLogLogPF (SipHash)",
        theirs: Some(hpp_hll),
    });

    // --- Frequent items ----------------------------------------------
    let ours_mg = rate(n_freq, || {
        let mut mg = MisraGries::new(k);
        for &x in &skewed {
            mg.add(x);
        }
        black_box(mg.max_error());
    });
    let ours_ss = rate(n_freq, || {
        let mut ss = SpaceSaving::new(k);
        for &x in &skewed {
            ss.add(x);
        }
        black_box(ss.min_count());
    });
    let pd_lossy = rate(n_freq, || {
        let mut lc =
            pdatastructs::topk::lossycounter::LossyCounter::with_epsilon(1.0 / (k as f64 + 1.0));
        for &x in &skewed {
            lc.add(x);
        }
        black_box(lc.query(0.05).count());
    });
    let sa_top = rate(n_freq, || {
        let mut t: streaming_algorithms::Top<u64, usize> =
            streaming_algorithms::Top::new(k, 0.99, 2.0 / 1000.0, ());
        for &x in &skewed {
            t.push(x, &1usize);
        }
        black_box(t.iter().count());
    });
    rows.push(Row {
        what: "frequent items k=100",
        ours_name: "MisraGries",
        ours: ours_mg,
        theirs_name: "pdatastructs LossyCounter (eps=1/101)",
        theirs: Some(pd_lossy),
    });
    rows.push(Row {
        what: "frequent items k=100",
        ours_name: "SpaceSaving",
        ours: ours_ss,
        theirs_name: "pdatastructs LossyCounter (eps=1/101)",
        theirs: Some(pd_lossy),
    });
    rows.push(Row {
        what: "frequent items k=100",
        ours_name: "SpaceSaving",
        ours: ours_ss,
        theirs_name: "streaming_algorithms Top (CMS + heap)",
        theirs: Some(sa_top),
    });

    // --- DGIM (no crates.io counterpart found) -----------------------
    let bits: Vec<bool> = distinct.iter().map(|x| x >> 63 == 1).collect();
    let ours_dgim = rate(n_big, || {
        let mut d = Dgim::new(1 << 20, 10).unwrap();
        for &b in &bits {
            d.add(b);
        }
        black_box(d.estimate());
    });
    rows.push(Row {
        what: "dgim N=2^20 r=10",
        ours_name: "Dgim",
        ours: ours_dgim,
        theirs_name: "(none)",
        theirs: None,
    });

    println!("| sketch | ours | ours updates/s | theirs | theirs updates/s | ratio ours/theirs |");
    println!("| --- | --- | ---: | --- | ---: | ---: |");
    for r in rows {
        let (t, ratio) = match r.theirs {
            Some(t) => (format!("{:.2e}", t), format!("{:.2}", r.ours / t)),
            None => ("—".into(), "—".into()),
        };
        println!(
            "| {} | {} | {:.2e} | {} | {} | {} |",
            r.what, r.ours_name, r.ours, r.theirs_name, t, ratio
        );
    }
}
