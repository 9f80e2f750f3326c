//! The graded challenges (`stream-sim challenge`): every bundled challenge reads, its
//! reference solution passes its checker, and its wrong answer and its starter fail it, so
//! no checker passes everything. Runs use fewer hidden seeds than the command line (the
//! `runs` override), enough for each wrong answer to be caught.

use std::path::Path;
use stream_sim::challenge::{self, Challenge};

/// Seeds per seeded checker in these tests.
const RUNS: u64 = 6;

fn grade(c: &Challenge, which: &str, text: &str) -> (bool, String) {
    let path = c.dir.join(format!("{which}.toml"));
    let g = c
        .check(text, &path, Some(RUNS))
        .unwrap_or_else(|e| panic!("challenge {} {which}: {e}", c.id));
    (g.passed(), g.render())
}

// Proves: at least 8 challenges, numbered 1..n without gaps, each with a statement, a
// starter, a solution and a wrong answer that read.
#[test]
fn the_challenges_are_complete() {
    let all = challenge::list().expect("challenges read");
    assert!(all.len() >= 8, "{} challenges", all.len());
    for (i, c) in all.iter().enumerate() {
        assert_eq!(c.id as usize, i + 1, "{}", c.slug);
        assert!(c.statement.len() > 100, "{}: statement too short", c.slug);
        for text in [c.starter(), c.solution(), c.wrong()] {
            let text = text.expect("file reads");
            c.validate(&text, Path::new("x.toml"))
                .unwrap_or_else(|e| panic!("{}: {e}", c.slug));
        }
        assert!(c.show().expect("show").contains("How it is graded"));
    }
}

// Proves: each checker passes its reference solution, and fails both the starter and a
// plausible wrong answer (a checker that passed everything would fail this test).
#[test]
fn each_solution_passes_and_each_wrong_answer_fails() {
    for c in challenge::list().expect("challenges read") {
        let (ok, report) = grade(&c, "solution", &c.solution().expect("solution"));
        assert!(ok, "challenge {} solution fails:\n{report}", c.id);
        let (ok, report) = grade(&c, "wrong", &c.wrong().expect("wrong"));
        assert!(!ok, "challenge {} wrong answer passes:\n{report}", c.id);
        let (ok, report) = grade(&c, "starter", &c.starter().expect("starter"));
        assert!(!ok, "challenge {} starter passes:\n{report}", c.id);
    }
}

// Proves: a broken rule is reported with the file, line and column of the call, and a file
// that does not parse gets the scenario's positioned error naming the student's file.
#[test]
fn rules_and_errors_name_the_students_file() {
    let c = challenge::find("6").expect("challenge 6");
    let text = c
        .solution()
        .expect("solution")
        .replace("heavyHittersByWindow(64", "heavyHittersByWindow(100");
    let g = c
        .check(&text, Path::new("mine.toml"), Some(1))
        .expect("parses");
    let report = g.render();
    assert!(!g.passed());
    assert!(report.contains("mine.toml:6:"), "{report}");
    assert!(report.contains("at most 64"), "{report}");
    let err = c
        .check(
            "pipeline = '''\nx = \n'''\n",
            Path::new("mine.toml"),
            Some(1),
        )
        .expect_err("does not parse");
    assert!(err.contains("mine.toml:"), "{err}");
    assert!(challenge::find("99")
        .unwrap_err()
        .contains("the challenges are"));
}

// Proves: the watermark challenge (9) holds its rules and its three thresholds: an update-
// mode query or a filter is refused, and a watermark so large that windows are never written
// fails on the windows written, not only the drop rate.
#[test]
fn the_watermark_challenge_holds_its_rules_and_latency() {
    let c = challenge::find("9").expect("challenge 9");
    let solution = c.solution().expect("solution");
    let update = solution.replace("outputMode = \"append\"", "outputMode = \"update\"");
    let g = c
        .check(&update, Path::new("mine.toml"), Some(1))
        .expect("parses");
    assert!(!g.passed());
    assert!(
        g.render().contains("mine.toml: outputMode must stay"),
        "{}",
        g.render()
    );
    let filtered = solution.replace(".count()", ".count().filter($\"count\" > 0)");
    if let Ok(g) = c.check(&filtered, Path::new("mine.toml"), Some(1)) {
        assert!(!g.passed(), "{}", g.render());
    }
    let moved = solution.replace("2013-01-01 05:00", "2013-01-02 05:00");
    let g = c
        .check(&moved, Path::new("mine.toml"), Some(1))
        .expect("parses");
    assert!(g.render().contains("keep the source's"), "{}", g.render());
    let never = solution.replace("\"5 hours\"", "\"24 hours\"");
    let g = c
        .check(&never, Path::new("mine.toml"), Some(1))
        .expect("parses");
    let report = g.render();
    assert!(!g.passed(), "{report}");
    assert!(
        report.contains("0 windows written (at least 150)"),
        "{report}"
    );
    let err = c
        .check(
            "model = \"structured\"\nquery = '''\nflights.\n'''\n",
            Path::new("mine.toml"),
            Some(1),
        )
        .expect_err("does not parse");
    assert!(err.contains("mine.toml"), "{err}");
}
