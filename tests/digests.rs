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

/// The bundled scenarios of the other models (Storm, Flink, Structured Streaming, Dataflow),
/// each run as its command runs it, with `--check` where the command has one: the digest of
/// everything printed, at seeds 7 and 3 where the model takes a seed. Same rule as above:
/// an intended change updates the snapshot in a commit of its own.
#[test]
fn every_other_model_scenario_keeps_its_digest() {
    use stream_sim::check;
    let dir = |d: &str| scenario::scenarios_dir().join(d);
    let mut lines = Vec::new();
    for name in scenario::toml_names(&dir("storm")) {
        for seed in [7, 3] {
            let out = check::storm::run_command(&name, seed, true, true).expect("storm runs");
            lines.push(format!(
                "storm {name} seed {seed}: {:016x} ({} bytes)",
                fnv1a(out.as_bytes()),
                out.len()
            ));
        }
    }
    for name in scenario::toml_names(&dir("flink")) {
        for seed in [7, 3] {
            let out = check::flink::run_command(&name, seed, true, true).expect("flink runs");
            lines.push(format!(
                "flink {name} seed {seed}: {:016x} ({} bytes)",
                fnv1a(out.as_bytes()),
                out.len()
            ));
        }
    }
    for name in scenario::toml_names(&dir("structured")) {
        let sc = scenario::structured::load(&dir("structured").join(format!("{name}.toml")))
            .expect("structured loads");
        let out = check::structured::run_command(&sc, None, true, true, None).expect("runs");
        let text = format!("{}{}", out.stdout, out.stderr);
        lines.push(format!(
            "structured {name}: {:016x} ({} bytes)",
            fnv1a(text.as_bytes()),
            text.len()
        ));
    }
    for name in scenario::toml_names(&dir("dataflow")) {
        let path = dir("dataflow").join(format!("{name}.toml"));
        let out = check::dataflow::run_command(&path, None, true).expect("dataflow runs");
        lines.push(format!(
            "dataflow {name}: {:016x} ({} bytes)",
            fnv1a(out.as_bytes()),
            out.len()
        ));
    }
    assert!(lines.len() >= 20, "{} scenarios", lines.len());
    insta::assert_snapshot!("other_model_digests", lines.join("\n"));
}
