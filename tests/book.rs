//! The course book (`book/`): its generated snippets are up to date with the simulator
//! (`stream-sim book --check`), and its Rust examples (`book/src/examples/*.rs`, shown in
//! the chapters with `{{#include}}`) compile and run: each example's `main` asserts its
//! expected output.

/// Every snippet in book/src/generated/ equals a fresh run; fails with the list of stale
/// files otherwise (fix: `cargo run --release -- book`, then commit book/src/generated/).
#[test]
fn generated_snippets_are_up_to_date() {
    if let Err(e) = stream_sim::book::run(true) {
        panic!("{e}");
    }
}

/// Chapter 3's example: a queueStream, reduceByKeyAndWindow with the inverse, print.
mod window_queue {
    include!("../book/src/examples/window_queue.rs");

    #[test]
    fn example_runs() {
        main();
    }
}

/// Chapter 10's example: the lecture's reservoir sampling never samples index k.
mod lecture_reservoir {
    include!("../book/src/examples/lecture_reservoir.rs");

    #[test]
    fn example_runs() {
        main();
    }
}
