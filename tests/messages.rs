//! Issue 13's "misleading messages": each input below used to get a message that pointed
//! at the wrong place or named the wrong problem; each now names the right position and
//! says what would be valid.

use std::path::Path;
use stream_sim::scenario::spec::parse_scenario;
use stream_sim::scenario::RunOptions;

/// The error of parsing and building `text` as `scenarios/bad.toml`, as the user sees it.
fn error_of(text: &str) -> String {
    let path = Path::new("scenarios/bad.toml");
    match parse_scenario(text, path).and_then(|s| s.build(&RunOptions::default()).map(|_| ())) {
        Ok(()) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

/// A scenario whose pipeline is `program` (starting on line 3) over a queue source.
fn with_program(program: &str) -> String {
    format!(
        "name = \"bad\"\npipeline = '''\n{program}\n'''\n[context]\nbatch_interval = \"1s\"\ncheckpoint = \"cp\"\n[sources.lines]\ntype = \"queueStream\"\nbatches = [[\"a b\", \"c\"]]\n"
    )
}

/// A scenario with a socket source whose keys are `keys`, one per line from line 9.
fn with_socket(keys: &str) -> String {
    format!(
        "name = \"bad\"\npipeline = '''\nlines.print()\n'''\n[context]\nbatch_interval = \"1s\"\n[sources.lines]\ntype = \"socketTextStream\"\n{keys}\n"
    )
}

#[test]
fn a_window_length_without_a_unit_says_so() {
    // Proves `reduceByKeyAndWindow(sum, 10, 5min)` says the duration needs a unit (it said
    // "expected a function").
    let e = error_of(&with_program(
        "p = lines.map(pair(1))\nx = p.reduceByKeyAndWindow(sum, 10, 5min)\nx.print()",
    ));
    assert_eq!(
        e,
        "scenarios/bad.toml:4:33: `10` is a number without a unit; the window length (or the inverse function, e.g. `sub`) is a duration, which needs a unit: 10ms, 10s, 10min or 10h"
    );
    let e = error_of(&with_program("lines.window(30).print()"));
    assert!(
        e.starts_with("scenarios/bad.toml:3:14: `30` is a number without a unit"),
        "{e}"
    );
}

#[test]
fn an_unclosed_parenthesis_is_named_in_file_lines() {
    // Proves the note about an unclosed `(` counts lines of the file, not of the pipeline
    // string (it said line 2 for the file's line 4).
    let e = error_of(&with_program(
        "p = lines.map(pair(1))\nx = p.reduceByKey(sum\nx.print()",
    ));
    assert_eq!(
        e,
        "scenarios/bad.toml:5:1: expected `)` or `,` after an argument, found `x` (the `(` at line 4, column 18 is still open)"
    );
}

#[test]
fn a_missing_tuple_field_is_refused_by_check() {
    // Proves `(w, 1)._3` is refused when the scenario is built (by `check`), at the field,
    // instead of failing at run time with no position.
    let e = error_of(&with_program("lines.map(w => (w, 1)._3).print()"));
    assert_eq!(
        e,
        "scenarios/bad.toml:3:23: `._3` of a tuple of 2 elements; its fields are `._1`, `._2`"
    );
}

#[test]
fn source_errors_point_at_the_bad_key_in_plain_words() {
    // Proves a source's wrong value or unknown key is reported at that key (it pointed at
    // the [sources.lines] header), in the scenario format's words: no "f64", "i128" or
    // "struct RawEventTime".
    let e = error_of(&with_socket("file = \"x.txt\"\nrate = \"fast\""));
    assert_eq!(
        e,
        "scenarios/bad.toml:10:8: `rate`: invalid type: string \"fast\", expected a number"
    );
    let e = error_of(&with_socket("file = \"x.txt\"\nrate = 20\nbogus = 1"));
    assert!(
        e.starts_with("scenarios/bad.toml:11:1: `bogus`: unknown field `bogus`"),
        "{e}"
    );
    let e = error_of(&with_socket(
        "file = \"x.txt\"\nrate = 99999999999999999999",
    ));
    assert!(
        e.contains("out of range: TOML integers are 64-bit") && !e.contains("i128"),
        "{e}"
    );
    let csv = "name = \"bad\"\npipeline = '''\nf.print()\n'''\n[context]\nbatch_interval = \"1s\"\n[sources.f]\ntype = \"csvEventStream\"\nfile = \"x.csv\"\ncolumns = [\"a\"]\nevent_time = \"dep\"\nspeedup = 720\n";
    let e = error_of(csv);
    assert!(
        e.starts_with("scenarios/bad.toml:11:14: `event_time`:"),
        "{e}"
    );
    assert!(
        e.contains("expected a table like { day =") && !e.contains("RawEventTime"),
        "{e}"
    );
    let e = error_of(&csv.replace("columns = [\"a\"]", "columns = 3"));
    assert!(
        e.contains("expected a list") && !e.contains("sequence"),
        "{e}"
    );
}

#[test]
fn too_many_partitions_names_the_limit() {
    // Proves `repartition(1000000)` names the partition limit (it said "must be a
    // positive integer" of a positive integer), and 0 still says it must be positive.
    let e = error_of(&with_program("lines.repartition(1000000).print()"));
    assert_eq!(
        e,
        "scenarios/bad.toml:3:19: numPartitions is 1000000, over the limit of 100000 partitions (MAX_PARTITIONS, src/scenario/limits.rs): each partition is a task of every batch"
    );
    let e = error_of(&with_program("lines.repartition(0).print()"));
    assert_eq!(
        e,
        "scenarios/bad.toml:3:19: numPartitions must be a positive integer, found 0"
    );
}

#[test]
fn check_and_run_say_did_you_mean() {
    // Proves `check`/`run` suggest the closest operator or bundled scenario for a typo,
    // as the REPL does (they listed every name without a suggestion).
    let e = error_of(&with_program("lines.mapp(x => x).print()"));
    assert!(
        e.starts_with(
            "scenarios/bad.toml:3:7: unknown DStream operation `mapp` (did you mean `map`?);"
        ),
        "{e}"
    );
    let e = error_of(&with_program(
        "lines.transform(rdd => rdd.sortbyKey()).print()",
    ));
    assert!(e.contains("(did you mean `sortByKey`?)"), "{e}");
    let e = match stream_sim::scenario::resolve("flighs") {
        Ok(p) => panic!("resolved {}", p.display()),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("(did you mean `flights`?)"), "{e}");
}

#[test]
fn a_storm_or_flink_scenario_given_to_run_names_its_command() {
    // Proves `stream-sim run` (and check, sweep) on a Storm or Flink file names the model and
    // the command that runs it (it said "unknown field `bolts`, expected one of `name`, ...").
    for (model, command, body) in [
        ("storm", "stream-sim storm", "[[bolts]]\nname = \"count\"\n"),
        ("flink", "stream-sim flink", "[job]\nparallelism = 2\n"),
    ] {
        let e = error_of(&format!("name = \"x\"\nmodel = \"{model}\"\n{body}"));
        assert!(
            e.starts_with("scenarios/bad.toml:2:1: this is a")
                && e.contains(&format!("model = \"{model}\""))
                && e.contains(&format!("run it with `{command} scenarios/bad.toml`")),
            "{e}"
        );
    }
    // A DStream file with an unknown field still gets the field's message.
    let e = error_of("name = \"x\"\n[job]\nparallelism = 2\n");
    assert!(e.contains("unknown field `job`"), "{e}");
}
