use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use stream_algorithms::lecture::{reservoir_sample, reservoir_sample_fixed};

fn main() {
    let inputs: Vec<usize> = (0..20).collect();
    let k = 10;
    let mut index_k_seen = (0, 0); // (lecture's code, fixed code)
    for seed in 0..1000 {
        let lecture = reservoir_sample(&inputs, k, &mut ChaCha8Rng::seed_from_u64(seed));
        let fixed = reservoir_sample_fixed(&inputs, k, &mut ChaCha8Rng::seed_from_u64(seed));
        assert_eq!(lecture.len(), k);
        index_k_seen.0 += usize::from(lecture.contains(&k));
        index_k_seen.1 += usize::from(fixed.contains(&k));
    }
    // `for i in range(k + 1, len(inputs))` never looks at index k: it is never sampled.
    assert_eq!(index_k_seen.0, 0);
    // Algorithm R (`range(k, len(inputs))`) samples it with probability k/n = 1/2.
    assert!((400..600).contains(&index_k_seen.1), "{index_k_seen:?}");

    // With exactly k + 1 inputs the buggy loop is empty: always the first k items.
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    assert_eq!(reservoir_sample(&[0, 1, 2, 3], 3, &mut rng), vec![0, 1, 2]);
    println!(
        "index {k} sampled in {} of 1000 runs by the lecture's code, {} by Algorithm R",
        index_k_seen.0, index_k_seen.1
    );
}
