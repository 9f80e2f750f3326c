//! Serialization round trips: every sketch written to JSON and read back is
//! the same sketch (same JSON, same answers, and, for randomized sketches,
//! the same random future), versions other than 1 and broken invariants are
//! refused with an error, and small sketches' JSON is pinned.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::de::DeserializeOwned;
use serde::Serialize;
use stream_algorithms::{
    CountMin, Dgim, ExpHistogram, HyperLogLog, Kll, MisraGries, ReservoirL, ReservoirR,
    SpaceSaving, VarOpt, WeightedReservoir,
};

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Serialize, deserialize, and check that the JSON is reproduced exactly.
fn round_trip<S: Serialize + DeserializeOwned>(s: &S) -> S {
    let json = serde_json::to_string(s).unwrap();
    assert!(json.starts_with("{\"version\":1,"), "{json}");
    let back: S = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
    back
}

/// Replace `"field":old` by `"field":new` in `json` and try to read it.
fn tamper<S: DeserializeOwned>(json: &str, from: &str, to: &str) -> Result<S, String> {
    assert!(json.contains(from), "{from} not in {json}");
    serde_json::from_str::<S>(&json.replacen(from, to, 1)).map_err(|e| e.to_string())
}

#[test]
fn hyperloglog_and_count_min_round_trip() {
    // Proves: HyperLogLog and Count-Min read back equal (same registers and
    // counters, hence same estimates), still merge with the original, and
    // refuse a wrong version, a wrong register count and a wrong table size.
    let mut h = HyperLogLog::with_seed(8, 3).unwrap();
    let mut cm = CountMin::with_dimensions(16, 3, 9).unwrap();
    for i in 0..5000u32 {
        h.add(&i);
        cm.add(&(i % 97));
    }
    let h2 = round_trip(&h);
    assert_eq!(h2, h);
    let mut h3 = h2.clone();
    h3.merge(&h).unwrap();
    assert_eq!(h3, h);
    let cm2 = round_trip(&cm);
    assert_eq!(cm2, cm);
    assert_eq!(cm2.estimate(&5u32), cm.estimate(&5u32));

    let json = serde_json::to_string(&h).unwrap();
    let e = tamper::<HyperLogLog>(&json, "\"version\":1", "\"version\":2").unwrap_err();
    assert!(e.contains("version 2 is not supported"), "{e}");
    let e = tamper::<HyperLogLog>(&json, "\"p\":8", "\"p\":9").unwrap_err();
    assert!(e.contains("256 registers, but p = 9 needs 512"), "{e}");
    let json = serde_json::to_string(&cm).unwrap();
    let e = tamper::<CountMin>(&json, "\"width\":16", "\"width\":17").unwrap_err();
    assert!(e.contains("width 17 x depth 3"), "{e}");
    let e = tamper::<CountMin>(&json, "\"seed\":9", "\"seed\":9,\"extra\":1").unwrap_err();
    assert!(e.contains("unknown field"), "{e}");
}

#[test]
fn frequent_items_round_trip() {
    // Proves: Misra-Gries and Space-Saving read back with the same counters,
    // and a restored Space-Saving evolves exactly like the original on more
    // input (its Stream-Summary order, hence its victims, is preserved);
    // broken invariants (too many counters, wrong sum) are refused.
    let mut mg = MisraGries::new(4);
    let mut ss = SpaceSaving::new(4);
    for x in "ABCEAAADFEFFFBBCCDFFF".chars() {
        mg.add(x);
        ss.add(x);
    }
    let mg2 = round_trip(&mg);
    assert_eq!(mg2, mg);
    let mut ss2 = round_trip(&ss);
    ss2.check_structure().unwrap();
    for x in "GHIJGHKAAB".chars() {
        ss.add(x);
        ss2.add(x);
        assert_eq!(ss.top(4), ss2.top(4));
    }
    // A merged summary (floor > 0) round-trips too.
    let mut other = SpaceSaving::new(4);
    "XYZXYZWVUA".chars().for_each(|x| other.add(x));
    let mut merged = ss.clone();
    merged.merge(&other).unwrap();
    let merged2 = round_trip(&merged);
    assert_eq!(merged2.top(4), merged.top(4));
    assert_eq!(merged2.min_count(), merged.min_count());
    let json = serde_json::to_string(&mg).unwrap();
    let e = tamper::<MisraGries<char>>(&json, "\"k\":4", "\"k\":1").unwrap_err();
    assert!(e.contains("counters > k = 1"), "{e}");
    let json = serde_json::to_string(&ss).unwrap();
    let e = tamper::<SpaceSaving<char>>(&json, "\"n\":31", "\"n\":32").unwrap_err();
    assert!(e.contains("not n = 32"), "{e}");
}

#[test]
fn randomized_sketches_continue_the_same_random_sequence() {
    // Proves: KLL, VarOpt and the three reservoirs restore their ChaCha state: after
    // a round trip, feeding both copies the same further items gives
    // identical samples / quantiles, bit for bit.
    let mut kll = Kll::new(16, rng(1)).unwrap();
    let mut rr = ReservoirR::new(5, rng(2));
    let mut rl = ReservoirL::new(5, rng(3));
    let mut wr = WeightedReservoir::new(5, rng(4));
    for i in 0..1000u32 {
        kll.add(f64::from(i)).unwrap();
        rr.add(i);
        rl.add(i);
        wr.add(i, 1.0 + f64::from(i % 7)).unwrap();
    }
    let (mut kll2, mut rr2, mut rl2, mut wr2) = (
        round_trip(&kll),
        round_trip(&rr),
        round_trip(&rl),
        round_trip(&wr),
    );
    for i in 1000..5000u32 {
        kll.add(f64::from(i)).unwrap();
        kll2.add(f64::from(i)).unwrap();
        rr.add(i);
        rr2.add(i);
        rl.add(i);
        rl2.add(i);
        wr.add(i, 2.0).unwrap();
        wr2.add(i, 2.0).unwrap();
    }
    let mut vo = VarOpt::new(6, rng(5)).unwrap();
    for i in 0..300u32 {
        vo.add(i, 1.0 + f64::from(i % 11)).unwrap();
    }
    let mut vo2 = round_trip(&vo);
    for i in 300..600u32 {
        vo.add(i, 3.0).unwrap();
        vo2.add(i, 3.0).unwrap();
    }
    assert_eq!(vo.sample(), vo2.sample());
    let qs = [0.1, 0.5, 0.9];
    assert_eq!(kll.quantiles(&qs).unwrap(), kll2.quantiles(&qs).unwrap());
    assert_eq!(kll.worst_case_rank_error(), kll2.worst_case_rank_error());
    assert_eq!(rr.sample(), rr2.sample());
    assert_eq!(rl.sample(), rl2.sample());
    assert_eq!(wr.sample(), wr2.sample());
    // Empty and partly filled sketches too.
    round_trip(&Kll::new(8, rng(0)).unwrap());
    round_trip(&WeightedReservoir::<u8>::new(3, rng(0)));
    round_trip(&ReservoirL::<u8>::new(3, rng(0)));

    let json = serde_json::to_string(&kll).unwrap();
    let e = tamper::<Kll>(&json, "\"n\":5000", "\"n\":5001").unwrap_err();
    assert!(e.contains("not n = 5001"), "{e}");
    let json = serde_json::to_string(&rr).unwrap();
    let e = tamper::<ReservoirR<u32>>(&json, "\"k\":5", "\"k\":6").unwrap_err();
    assert!(e.contains("5 items, but min(k = 6"), "{e}");
}

#[test]
fn dgim_round_trip_and_pinned_json() {
    // Proves: the JSON of small sketches is pinned (a format change fails
    // here), DGIM reads back with the same estimate and continues equally,
    // and a bucket outside the window is refused.
    let mut d = Dgim::new(8, 2).unwrap();
    for i in 0..11 {
        d.add(i % 3 != 0);
    }
    let json = serde_json::to_string(&d).unwrap();
    assert_eq!(
        json,
        r#"{"version":1,"window":8,"r":2,"time":11,"buckets":[[11,0],[9,1],[6,1]]}"#
    );
    let mut d2 = round_trip(&d);
    assert_eq!(d2, d);
    for i in 0..20 {
        d.add(i % 2 == 0);
        d2.add(i % 2 == 0);
        assert_eq!(d.estimate(), d2.estimate());
    }
    let e = tamper::<Dgim>(&json, "[6,1]", "[3,1]").unwrap_err();
    assert!(e.contains("outside the window"), "{e}");

    let mut eh = ExpHistogram::new(50, 3).unwrap();
    for i in 0..200u64 {
        eh.add(i * 7 % 13);
    }
    let mut eh2 = round_trip(&eh);
    for i in 0..100u64 {
        eh.add(i % 5);
        eh2.add(i % 5);
        assert_eq!(eh.estimate(), eh2.estimate());
    }
    assert_eq!(eh, eh2);

    let mut mg = MisraGries::new(2);
    "abca".chars().for_each(|c| mg.add(c));
    assert_eq!(
        serde_json::to_string(&mg).unwrap(),
        r#"{"version":1,"k":2,"n":4,"d":1,"counters":[["a",1]]}"#
    );
    let mut h = HyperLogLog::new(4).unwrap();
    h.add(&1u64);
    assert_eq!(
        serde_json::to_string(&h).unwrap(),
        r#"{"version":1,"p":4,"seed":0,"registers":[0,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0]}"#
    );
}
