//! A behaviour lock: a digest of the printed output, of the JSONL trace and of the per-record ledger of every bundled
//! scenario at two seeds. A restructuring must leave every digest identical; an intended
//! change of behaviour updates the snapshot in a commit of its own that says why.

use stream_sim::scenario::{self, RunOptions};

/// FNV-1a, 64 bits: stable across platforms and Rust versions (unlike `DefaultHasher`).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Runs one bundled scenario for its default length with `seed`; returns one line with the
/// digests and sizes of what `print()` printed and of the trace.
fn digest(name: &str, seed: u64) -> String {
    let path = scenario::resolve(name).expect("bundled scenario");
    let sc = scenario::load(&path).expect("valid scenario");
    let options = RunOptions {
        seed,
        output_dir: std::env::temp_dir().join(format!(
            "stream-sim-digest-{name}-{seed}-{}",
            std::process::id()
        )),
    };
    let built = sc.build(&options).expect("builds");
    let mut printed = Vec::new();
    let outcome = built
        .run_printing(built.default_until, &mut printed)
        .expect("writing to memory");
    let failed = match outcome {
        Ok(()) => String::new(),
        Err(e) => format!(" failed: {e}"),
    };
    let trace: Vec<String> = built.ssc.trace().iter().map(|e| e.to_json()).collect();
    let trace = trace.join("\n");
    let ledger = built.ssc.ledger();
    let lives: String = ledger
        .records()
        .map(|(id, life)| format!("{id:?} {life:?}\n"))
        .collect();
    format!(
        "{name} seed {seed}: printed {:016x} ({} bytes), trace {:016x} ({} events), ledger {:016x} ({} records){failed}",
        fnv1a(&printed),
        printed.len(),
        fnv1a(trace.as_bytes()),
        built.ssc.trace_len(),
        fnv1a(lives.as_bytes()),
        ledger.records().count(),
    )
}

/// Every bundled scenario, at seeds 7 and 3, gives the same printed output and trace as
/// when this lock was taken.
#[test]
fn every_bundled_scenario_keeps_its_digest() {
    let mut lines = Vec::new();
    for name in scenario::bundled_names() {
        for seed in [7, 3] {
            lines.push(digest(&name, seed));
        }
    }
    insta::assert_snapshot!("bundled_digests", lines.join("\n"));
}
