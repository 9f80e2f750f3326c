//! The `stream-sim` command line: thin glue over the library.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use stream_sim::scenario::{self, RunOptions, ScenarioError};
use stream_sim::sim::{Duration, Time};

/// A deterministic simulator of Spark Streaming's DStream model, for learning and teaching.
///
/// Scenarios are TOML files with a Spark-like pipeline (see scenarios/); a bare name such as
/// `flights` means scenarios/flights.toml. Same scenario + same seed = same output, byte for
/// byte.
#[derive(Parser)]
#[command(name = "stream-sim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and print its output operations exactly as Spark prints them.
    Run {
        /// Scenario file or bundled name (default: wordcount).
        scenario: Option<String>,
        /// Root seed of all randomness.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Stop after this many batches.
        #[arg(long)]
        batches: Option<u64>,
        /// The most batches the run may cover (also bounds block intervals at 10 per
        /// batch); a longer --until or --batches is refused before it starts.
        #[arg(long, default_value_t = stream_sim::scenario::limits::MAX_BATCHES)]
        max_batches: u64,
        /// Stop at this virtual time, e.g. 90s or 2min (default: the scenario's run_for).
        #[arg(long, value_parser = parse_duration)]
        until: Option<Duration>,
        /// Write every engine event to this file, one JSON object per line.
        #[arg(long)]
        trace: Option<PathBuf>,
        /// Directory for saveAsTextFiles output.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Inject one random failure drawn from the seed (worker, driver or any), with knobs
        /// varied by the seed, as `sweep` does for that seed.
        #[arg(long)]
        random_fault: Option<stream_sim::check::FailMode>,
        /// Knobs as a sweep prints them in a replay command, e.g.
        /// `block=200ms,ack=1..50ms,rate=x2,record_us=400` (block interval, acknowledgement
        /// latency, source rate factor, cost per record).
        #[arg(long)]
        knobs: Option<String>,
        /// Faults replacing the scenario's, e.g. `at 1000ms latency 0ms..400ms; at 6100ms
        /// kill driver` (the scenario's fault lines, separated by `;`).
        #[arg(long)]
        faults: Option<String>,
        /// After the run, compare with a fault-free reference run of the same seed and print
        /// which records were lost or duplicated, and why (to stderr).
        #[arg(long)]
        check: bool,
        /// Structured Streaming scenarios: print each micro-batch's StreamingQueryProgress.
        #[arg(long)]
        progress: bool,
        /// Name the stream after each print() header: `Time: 5000 ms [counts]` (Spark prints
        /// `Time: 5000 ms` alone; the REPL labels by default).
        #[arg(long)]
        label_prints: bool,
        /// Write every batch time with its state and figures (scheduling delay, processing
        /// time, total delay, runs) to this CSV file.
        #[arg(long)]
        metrics_csv: Option<PathBuf>,
    },
    /// Read a Spark Streaming program written in the programming guide's style and write the
    /// equivalent scenario (to --out, or standard output).
    Import {
        /// The Scala program (e.g. NetworkWordCount.scala).
        program: PathBuf,
        /// Where to write the scenario (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The text a socket or file source replays (default: the bundled fortunes).
        #[arg(long)]
        data: Option<String>,
        /// Lines per second of a socket source.
        #[arg(long, default_value_t = 10.0)]
        rate: f64,
        /// How long the scenario runs, e.g. 30s.
        #[arg(long, value_parser = parse_duration, default_value = "30s")]
        run_for: Duration,
    },
    /// Write a scenario as a runnable Spark Streaming program (Scala or PySpark): the pipeline,
    /// its input data under DIR/data, a replay server for socket sources, a README with the
    /// spark-submit line, and a local run on Spark's ManualClock. Without --out the program is
    /// printed. What Spark lacks (fault schedules, simulator knobs) is left out and listed on
    /// stderr. With --verify, runs the program on local Spark (SPARK_HOME, or the venv of
    /// /work/shared/oracle/setup.sh) and compares every output batch with the simulator: exit
    /// 0 when they agree, 1 on a difference (printed), 2 when Spark is not available.
    Export {
        /// Scenario file(s) or bundled name(s) (model dstream); several only with --verify.
        scenarios: Vec<String>,
        /// scala or pyspark.
        #[arg(long, default_value = "scala")]
        to: String,
        /// Directory to write the program into (default: print the program to stdout); with
        /// --verify, where the program and Spark's logs are kept.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run the program on local Spark and compare it with the simulator, batch by batch.
        #[arg(long)]
        verify: bool,
        /// With --verify: every bundled scenario (scenarios/*.toml), in one Spark start.
        #[arg(long)]
        bundled: bool,
        /// With --verify: write each scenario's outcome to this JSON file.
        #[arg(long)]
        record: Option<PathBuf>,
    },
    /// Run many seeds with a random failure each (swarm testing) and count the guarantees
    /// kept; prints the first failing seeds with the command that replays each.
    Sweep {
        /// Scenario file or bundled name.
        scenario: String,
        /// Seeds, e.g. 1..1000.
        #[arg(long, default_value = "1..100", value_parser = parse_seeds)]
        seeds: (u64, u64),
        /// Which failure to draw: worker, driver or any.
        #[arg(long, default_value = "any")]
        fail: stream_sim::check::FailMode,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Compute the fault-free reference run for every seed instead of reusing it
        /// across seeds.
        #[arg(long)]
        no_reuse: bool,
        /// Do not shrink violations to a minimal fault schedule.
        #[arg(long)]
        no_shrink: bool,
    },
    /// Reproduce the programming guide's fault-tolerance table by measurement: receiving
    /// modes x {worker failure, driver failure}, each cell over many seeds.
    Semantics {
        /// Seeds per cell.
        #[arg(long, default_value_t = 1000)]
        seeds: u64,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
    },
    /// Deploy new application code (NEW) against a running application (OLD) at --at, one
    /// of the programming guide's ways ("Upgrading Application Code"), and print what the
    /// user sees: which code ran, the outputs, records written out once, twice or never.
    ///
    /// --path restart-from-checkpoint: stop OLD, start NEW with
    /// `StreamingContext.getOrCreate(checkpointDir, createFunc)` on the same checkpoint
    /// directory. A checkpoint is there, so createFunc (NEW's code) is never called: OLD's
    /// DStream graph, closures, batch interval and SparkConf are recovered and OLD's code keeps
    /// running. With --classes incompatible the new jar cannot deserialize the checkpoint and
    /// the start fails: "Failed to read checkpoint from directory ...".
    ///
    /// --path parallel: "the upgraded Spark Streaming application is started and run in
    /// parallel to the existing application. Once the new one (receiving the same data as the
    /// old one) has been warmed up and is ready for prime time, the old one be can be brought
    /// down." Needs a source that can send to two destinations; what arrives meanwhile is
    /// written out twice.
    ///
    /// --path graceful-fresh-checkpoint: "the existing application is shutdown gracefully
    /// (see StreamingContext.stop(...)) which ensure data that has been received is completely
    /// processed before shutdown. Then the upgraded application can be started ... Note that
    /// this can be done only with input sources that support source-side buffering (like
    /// Kafka)"; the new application starts with an empty checkpoint directory, and a fresh
    /// direct Kafka stream starts from --starting-offsets.
    Upgrade {
        /// The running application's scenario.
        old: String,
        /// The new code's scenario (the same sources and data).
        new: String,
        /// When the upgrade starts (OLD stopped, or NEW started beside it), e.g. 10s.
        #[arg(long, value_parser = parse_duration)]
        at: Duration,
        /// How the new code is deployed.
        #[arg(long, value_enum)]
        path: stream_sim::check::upgrade::UpgradePath,
        /// parallel: how long both run before OLD is stopped gracefully (default: 5 of OLD's
        /// batch intervals).
        #[arg(long, value_parser = parse_duration)]
        overlap: Option<Duration>,
        /// Between OLD's end and NEW's start (default: OLD's driver restart delay).
        #[arg(long, value_parser = parse_duration)]
        redeploy: Option<Duration>,
        /// restart-from-checkpoint: whether the new jar's classes deserialize the checkpoint
        /// (the simulator cannot tell from the files; Spark fails with InvalidClassException
        /// when a serialVersionUID changed, ClassNotFoundException when a class is gone).
        #[arg(long, value_enum, default_value = "compatible")]
        classes: stream_sim::check::upgrade::Classes,
        /// Where a fresh direct Kafka stream starts: latest (auto.offset.reset = latest, the
        /// guide's example), earliest, or committed (offsets OLD committed with commitAsync).
        #[arg(long, value_enum, default_value = "latest")]
        starting_offsets: stream_sim::check::upgrade::StartingOffsets,
        /// Root seed of both runs.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Step through a scenario interactively (reads commands from stdin when it is not a
    /// terminal). Type `help` inside. A Storm or Flink scenario opens the record-at-a-time
    /// REPL, a Structured Streaming or Dataflow scenario the event-time REPL.
    Repl {
        /// Scenario file or bundled name (default: wordcount).
        scenario: Option<String>,
        /// Root seed of all randomness.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Directory for saveAsTextFiles output.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// The most batches the session may run in all (the REPL keeps every batch for
        /// going back); `step`, `run until` and `goto` beyond it are refused.
        #[arg(long, default_value_t = stream_sim::repl::MAX_SESSION_BATCHES)]
        max_batches: u64,
    },
    /// Validate a scenario (syntax, names, durations, Spark's start-time rules) without
    /// running it.
    Check {
        /// Scenario file or bundled name.
        scenario: String,
    },
    /// List the bundled scenarios.
    List,
    /// Regenerate the course book's generated snippets (book/src/generated/) by running the
    /// scenarios; with --check, write nothing and fail if a committed snippet is out of date.
    Book {
        /// Only check that the committed snippets match a fresh run.
        #[arg(long)]
        check: bool,
    },
    /// Compare the models on one input and one fault schedule: the fortune word count in
    /// Spark Streaming (DStreams), Storm and Flink, each judged record by record against
    /// itself without faults (guarantee, lost, duplicated, latency, throughput, pause).
    Compare {
        /// Fault lines, e.g. "at 8s kill worker-2" or "at 8s kill driver" (the driver,
        /// Nimbus, the JobManager); several separated by ';'. Default for dstream, storm,
        /// flink: "at 8s kill worker-2"; for the event-time models: none.
        #[arg(long)]
        faults: Option<String>,
        /// The models to compare, separated by commas: dstream, storm, flink (one fault
        /// schedule, record by record), or dstream, structured, dataflow (event time: the
        /// same out-of-order flights window by window; with --faults, each model is also
        /// judged record by record against its run without them).
        #[arg(long, default_value = "dstream,storm,flink")]
        models: String,
        /// Root seed of all randomness.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Event-time models: also draw event time against processing time, the watermarks
        /// and each emission of one origin's windows (Akidau's diagram) into this SVG file.
        #[arg(long)]
        svg: Option<PathBuf>,
    },
    /// Run a Storm topology scenario (scenarios/storm/, model = "storm"): record-at-a-time
    /// processing with per-tuple acking, under the scenario's faults; with --check, judge
    /// every record against the same run without faults (state updated twice shows as
    /// duplicates).
    Storm {
        /// A bundled Storm scenario name (storm-wordcount, storm-wordcount-worker-failure) or
        /// a path.
        scenario: String,
        /// Root seed of all randomness.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Compare with the run without faults, record by record.
        #[arg(long)]
        check: bool,
        /// Print every trace event (JSON lines), not only faults and timeouts.
        #[arg(long)]
        trace: bool,
    },
    /// Graded challenges: write a scenario that meets a task (exactly-once under failures,
    /// keeping up, a sketch within its error), graded on seeds you have not seen.
    Challenge {
        #[command(subcommand)]
        action: ChallengeAction,
    },
    /// Run a Flink job scenario (scenarios/flink/, model = "flink"): keyed state or
    /// event-time windows with checkpoints by barriers, under the scenario's faults and
    /// savepoint commands; with --check, judge every record against the same run without
    /// faults.
    Flink {
        /// A bundled Flink scenario name (flink-wordcount, flink-flights, ...) or a path.
        scenario: String,
        /// Root seed of all randomness.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Compare with the run without faults, record by record.
        #[arg(long)]
        check: bool,
        /// Print every trace event (JSON lines), not only failures, restarts and savepoints.
        #[arg(long)]
        trace: bool,
    },
    /// Write one self-contained HTML page of a run, shaped like the Spark UI's Streaming
    /// tab: input rate, scheduling delay, processing time and total delay (timelines and
    /// histograms), the batch tables (queued, completed, never run), the DStream graph, the
    /// faults, and a timeline of blocks, batches, re-runs and failures.
    Report {
        /// Scenario file or bundled name.
        scenario: String,
        /// The HTML file to write.
        #[arg(long, default_value = "report.html")]
        out: PathBuf,
        /// Root seed of all randomness.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Stop at this virtual time (default: the scenario's run_for).
        #[arg(long, value_parser = parse_duration)]
        until: Option<Duration>,
    },
    /// Measure engine throughput: word count over the fortune texts through the whole engine,
    /// a bare HashMap loop, and the work Spark's rules require in a plain loop (no engine).
    Bench {
        /// How many times to replay the fortune texts.
        #[arg(long, default_value_t = 5)]
        repeat: usize,
        /// Measure only this figure (1 to 5; repeat the option for several). Default: all.
        /// `--figure 1` alone is what a profile of the engine against the bare loop wants.
        #[arg(long = "figure", value_name = "N")]
        figures: Vec<u8>,
    },
}

/// `stream-sim challenge ...`.
#[derive(Subcommand)]
enum ChallengeAction {
    /// List the challenges.
    List,
    /// Print a challenge's task, how it is graded, and its starter scenario.
    Show {
        /// Its number or name.
        which: String,
    },
    /// Grade a scenario file against a challenge on hidden seeds (exit 1 if not passed).
    Check {
        /// Its number or name.
        which: String,
        /// The scenario to grade.
        file: PathBuf,
        /// Seeds to run instead of the challenge's number (fewer: faster, weaker).
        #[arg(long)]
        runs: Option<u64>,
    },
    /// Print the reference solution (try first!).
    Solution {
        /// Its number or name.
        which: String,
    },
}

// The global allocator (mimalloc) and its options.
#[path = "main/allocator.rs"]
mod allocator;

fn parse_duration(s: &str) -> Result<Duration, String> {
    Duration::parse(s)
}

fn parse_seeds(s: &str) -> Result<(u64, u64), String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("expected a range like 1..1000, found `{s}`"))?;
    let a: u64 = a
        .trim()
        .parse()
        .map_err(|_| format!("`{a}` is not a seed number"))?;
    let b: u64 = b
        .trim()
        .trim_start_matches('=')
        .parse()
        .map_err(|_| format!("`{b}` is not a seed number"))?;
    if a > b {
        return Err(format!("empty seed range {a}..{b}"));
    }
    Ok((a, b))
}

fn threads(n: Option<usize>) -> usize {
    n.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
}

fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} runs ({per_sec}, eta {eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// The stack the commands run on: the engine computes a DStream by recursing into its
/// parents, so a lineage of `limits::MAX_LINEAGE_DEPTH` levels needs more than the main
/// thread's 8 MiB (an address-space reservation; only the pages used are allocated).
const STACK_BYTES: usize = 256 << 20;

fn main() -> ExitCode {
    allocator::never_purge();
    let cli = Cli::parse();
    let worker = std::thread::Builder::new()
        .name("stream-sim".into())
        .stack_size(STACK_BYTES)
        .spawn(move || run(cli));
    let result = match worker {
        Ok(handle) => match handle.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        },
        Err(e) => Err(format!("cannot start the worker thread: {e}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            warn(&format!("stream-sim: {msg}"));
            ExitCode::FAILURE
        }
    }
}

/// Runs `built` to `end`, printing its print() output with each header labelled by its
/// stream (`Time: 5000 ms [counts]`); `Built::run_printing` prints Spark's headers alone.
fn run_labelled(
    built: &scenario::Built,
    end: Time,
    out: &mut dyn std::io::Write,
) -> std::io::Result<Result<(), stream_sim::models::dstream::SparkError>> {
    let mut seen = built.ssc.trace_len();
    while let Some(t) = built.ssc.next_batch_time() {
        if t > end {
            break;
        }
        let step = built.ssc.run_until(t);
        for e in built.ssc.trace_since(seen) {
            if let stream_sim::models::dstream::Event::Output {
                op, lines, stream, ..
            } = &e
            {
                if op == "print" {
                    for (i, l) in lines.iter().enumerate() {
                        if i == 1 && l.starts_with("Time: ") {
                            writeln!(out, "{l} [{stream}]")?;
                        } else {
                            writeln!(out, "{l}")?;
                        }
                    }
                }
            }
        }
        seen = built.ssc.trace_len();
        if let Err(e) = step {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

/// Prints one line to stdout. A closed pipe (`stream-sim list | head -1`) ends the program
/// quietly with success, as `ls | head -1` does; println! would panic.
fn say(text: impl std::fmt::Display) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        warn(&format!("stream-sim: cannot write to stdout: {e}"));
        std::process::exit(1);
    }
}

/// Prints one line to stderr, ignoring a closed stderr (eprintln! would panic).
fn warn(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

fn load(name: Option<&str>) -> Result<scenario::Scenario, ScenarioError> {
    let path = scenario::resolve(name.unwrap_or(scenario::DEFAULT_SCENARIO))?;
    scenario::load(&path)
}

/// The file of a Structured Streaming scenario (`model = "structured"`), by path or by its
/// bundled name in scenarios/ or scenarios/structured/.
fn structured_path(name: Option<&str>) -> Option<PathBuf> {
    let name = name?;
    let bundled = scenario::structured::structured_dir().join(format!("{name}.toml"));
    let p = scenario::resolve(name)
        .ok()
        .or(bundled.is_file().then_some(bundled))?;
    scenario::structured::is_structured(&std::fs::read_to_string(&p).ok()?).then_some(p)
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Import {
            program,
            out,
            data,
            rate,
            run_for,
        } => {
            let text = std::fs::read_to_string(&program)
                .map_err(|e| format!("{}: {e}", program.display()))?;
            let data = data.unwrap_or_else(|| {
                let p = scenario::scenarios_dir().join("data/fortunes/lines.txt");
                std::fs::canonicalize(&p).unwrap_or(p).display().to_string()
            });
            let opts = stream_sim::spark::ImportOptions {
                data,
                rate,
                run_for,
            };
            let toml =
                stream_sim::spark::import_scala(&program.display().to_string(), &text, &opts)?;
            match out {
                Some(p) => {
                    std::fs::write(&p, &toml).map_err(|e| format!("{}: {e}", p.display()))?;
                    // the written scenario must load and build
                    let sc = scenario::load(&p).map_err(|e| e.to_string())?;
                    sc.build_graph(&scenario::RunOptions::default())
                        .map_err(|e| e.to_string())?;
                    eprintln!("wrote {}", p.display());
                }
                None => print!("{toml}"),
            }
            Ok(())
        }
        Command::Export {
            scenarios,
            to,
            out,
            verify,
            bundled,
            record,
        } => {
            use stream_sim::spark::export;
            let target: export::Target = to.parse()?;
            let names = if bundled {
                scenario::bundled_names()
            } else {
                scenarios
            };
            if verify {
                let code = export::verify::command(
                    &names,
                    target,
                    out.as_deref(),
                    record.as_deref(),
                    &mut |l| say(l),
                )?;
                std::process::exit(code);
            }
            let (stdout, notes) = export::write_command(&names, target, out.as_deref())?;
            notes.iter().for_each(|n| warn(n));
            if !stdout.is_empty() {
                say(stdout.trim_end());
            }
            Ok(())
        }
        Command::Run {
            scenario,
            seed,
            batches,
            max_batches,
            until,
            trace,
            out,
            random_fault,
            knobs,
            faults,
            check,
            label_prints,
            metrics_csv,
            progress,
        } => {
            if let Some(p) = structured_path(scenario.as_deref()) {
                let sc = scenario::structured::load(&p).map_err(|e| e.to_string())?;
                let end = until.map(|d| Time::ZERO.plus(d));
                let out = stream_sim::check::structured::run_command(
                    &sc,
                    end,
                    progress,
                    check,
                    trace.as_deref(),
                )?;
                say(out.stdout.trim_end_matches('\n'));
                warn(out.stderr.trim_end());
                return Ok(());
            }
            // A Dataflow scenario (model = "dataflow") runs on its own model.
            let path = scenario::resolve(scenario.as_deref().unwrap_or(scenario::DEFAULT_SCENARIO))
                .map_err(|e| e.to_string())?;
            if std::fs::read_to_string(&path).is_ok_and(|t| scenario::dataflow::is_dataflow(&t)) {
                return stream_sim::check::dataflow::run_command(&path, trace.as_deref(), check)
                    .map(say);
            }
            let mut sc = load(scenario.as_deref()).map_err(|e| e.to_string())?;
            if let Some(mode) = random_fault {
                sc = stream_sim::check::swarm(&sc, seed, mode);
            }
            if knobs.is_some() || faults.is_some() {
                let mut k = stream_sim::check::Knobs {
                    faults: sc.cluster.faults.clone(),
                    ..Default::default()
                };
                k.parse_settings(knobs.as_deref().unwrap_or(""))?;
                if let Some(text) = &faults {
                    k.parse_schedule(text)?;
                }
                sc = k.apply(&sc)?;
            }
            let built = sc
                .build(&RunOptions {
                    seed,
                    output_dir: out,
                })
                .map_err(|e| e.to_string())?;
            if let Some(path) = trace {
                let f = std::fs::File::create(&path)
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                built
                    .ssc
                    .set_trace_sink(Box::new(std::io::BufWriter::new(f)));
            }
            let end = match (batches, until) {
                (Some(n), _) => {
                    if n > max_batches {
                        return Err(format!(
                            "--batches {n} is over the limit of {max_batches} batches per run; raise it with --max-batches {n}"
                        ));
                    }
                    Time::ZERO.plus(Duration::from_ms(sc.batch_interval.ms().saturating_mul(n)))
                }
                (None, Some(d)) => Time::ZERO.plus(d),
                (None, None) => built.default_until,
            };
            if batches.is_some() || until.is_some() {
                let what = match (batches, until) {
                    (Some(n), _) => format!("--batches {n}"),
                    (None, Some(d)) => format!("--until {d}"),
                    _ => unreachable!(),
                };
                scenario::limits::check_run_length(
                    &what,
                    sc.batch_interval,
                    sc.block_interval,
                    end,
                    max_batches,
                )
                .map_err(|m| format!("{m}; raise it with --max-batches N"))?;
            }
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            let printed = if label_prints {
                run_labelled(&built, end, &mut lock)
            } else {
                built.run_printing(end, &mut lock)
            };
            let result = match printed {
                // A closed pipe (e.g. `| head`) is not an error.
                Err(_) => Ok(()),
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(format!("job failed: {e}{}", built.locate(&e))),
            };
            drop(lock);
            let rows = stream_sim::check::batch_rows(&built.ssc);
            built.ssc.stop();
            result?;
            // Batches that did not simply complete are not silent: queued (and why), re-run,
            // never run.
            if let Some(summary) = stream_sim::check::batches::summary(&rows) {
                warn(&format!("batches: {summary}"));
                for r in rows
                    .iter()
                    .filter(|r| !matches!(r.state, stream_sim::check::BatchState::Completed))
                    .take(5)
                {
                    warn(&format!("  {r}"));
                }
            }
            if let Some(path) = metrics_csv {
                let body = stream_sim::check::batches::to_csv(&rows)?;
                std::fs::write(&path, body)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
            if check {
                let report = stream_sim::check::verify(
                    &sc,
                    &RunOptions {
                        seed,
                        output_dir: PathBuf::from("out"),
                    },
                    end,
                )?;
                let faults: Vec<String> = report
                    .faults
                    .faults
                    .iter()
                    .map(|(t, f)| format!("at {t} {f}"))
                    .collect();
                warn(&format!(
                    "faults: {}",
                    if faults.is_empty() {
                        "none".into()
                    } else {
                        faults.join(", ")
                    }
                ));
                warn(&format!("{}", report.verdict));
                warn(&format!("{}", report.outputs));
                for c in &report.causes {
                    warn(&format!("  {c}"));
                }
                for (label, rows) in [
                    ("this run", &report.batches),
                    ("reference run", &report.reference_batches),
                ] {
                    if let Some(summary) = stream_sim::check::batches::summary(rows) {
                        warn(&format!("batches ({label}): {summary}"));
                    }
                }
                let v = &report.verdict;
                if v.delivered_once == 0 && v.lost.is_empty() && v.duplicated.is_empty() {
                    return Err(
                        "--check: nothing to judge (the reference run wrote out no record); see the batches above".into(),
                    );
                }
            }
            Ok(())
        }
        Command::Sweep {
            scenario,
            seeds,
            fail,
            threads: n,
            no_reuse,
            no_shrink,
        } => {
            let sc = load(Some(&scenario)).map_err(|e| e.to_string())?;
            let bar = progress_bar(seeds.1 - seeds.0 + 1);
            let tick = || bar.inc(1);
            let started = std::time::Instant::now();
            let r = stream_sim::check::sweep_with(
                &sc,
                seeds.0..=seeds.1,
                fail,
                threads(n),
                &RunOptions::default(),
                &tick,
                stream_sim::check::SweepConfig {
                    shrink: !no_shrink,
                    reuse_reference: !no_reuse,
                    vary: stream_sim::check::Vary::All,
                },
            );
            bar.finish_and_clear();
            let secs = started.elapsed().as_secs_f64();
            say(stream_sim::check::sweep::report::render(
                &r,
                &sc.name,
                sc.cluster.expect,
                &scenario,
                fail,
                secs,
            )
            .trim_end());
            Ok(())
        }
        Command::Semantics { seeds, threads: n } => {
            let bar = progress_bar(seeds * 2 * stream_sim::check::Row::ALL.len() as u64);
            let tick = || bar.inc(1);
            let cells = stream_sim::check::semantics_table(seeds, threads(n), &tick)?;
            bar.finish_and_clear();
            say(stream_sim::check::render_table(&cells, seeds));
            let models = stream_sim::check::semantics::model_table(seeds.min(12))?;
            say(stream_sim::check::semantics::render_model_table(&models));
            if cells.iter().all(|c| c.agrees) && models.iter().all(|c| c.agrees) {
                Ok(())
            } else {
                Err("some cells disagree with the guide".into())
            }
        }
        Command::Upgrade {
            old,
            new,
            at,
            path,
            overlap,
            redeploy,
            classes,
            starting_offsets,
            seed,
        } => {
            let old = load(Some(&old)).map_err(|e| e.to_string())?;
            let new = load(Some(&new)).map_err(|e| e.to_string())?;
            let opts = stream_sim::check::upgrade::UpgradeOptions {
                path,
                at: Time(at.ms()),
                overlap: overlap.unwrap_or(old.batch_interval * 5),
                redeploy: redeploy.unwrap_or(old.cluster.driver_restart_delay),
                classes,
                starting_offsets,
                seed,
            };
            let report = stream_sim::check::upgrade::upgrade(&old, &new, &opts)?;
            say(report.text);
            Ok(())
        }
        Command::Repl {
            scenario,
            seed,
            out,
            max_batches,
        } => {
            if let Some(name) = scenario
                .as_deref()
                .filter(|n| stream_sim::repl::record_at_a_time::model_of(n).is_some())
            {
                return stream_sim::repl::record_at_a_time::run(name, seed);
            }
            if let Some(name) = scenario
                .as_deref()
                .filter(|n| stream_sim::repl::event_time::model_of(n).is_some())
            {
                return stream_sim::repl::event_time::run(name);
            }
            let sc = load(scenario.as_deref()).map_err(|e| e.to_string())?;
            stream_sim::repl::run(
                &sc,
                &RunOptions {
                    seed,
                    output_dir: out,
                },
                max_batches,
            )
        }
        Command::Check { scenario } => {
            if let Some(p) = structured_path(Some(&scenario)) {
                let sc = scenario::structured::load(&p).map_err(|e| e.to_string())?;
                say(format!(
                    "{}: ok ({} sources, output mode {})",
                    p.display(),
                    sc.sources.len(),
                    sc.config.output_mode
                ));
                return Ok(());
            }
            let sc = load(Some(&scenario)).map_err(|e| e.to_string())?;
            sc.build(&RunOptions::default())
                .map_err(|e| e.to_string())?;
            say(format!(
                "{}: ok ({} sources, {} statements)",
                sc.path.display(),
                sc.sources.len(),
                sc.program.statements.len()
            ));
            Ok(())
        }
        Command::List => {
            for name in scenario::bundled_names() {
                let desc = scenario::resolve(&name)
                    .ok()
                    .and_then(|p| scenario::load(&p).ok())
                    .map(|s| s.description.lines().next().unwrap_or("").to_string())
                    .unwrap_or_default();
                say(format!("{name:<12} {desc}"));
            }
            // The other models' scenarios, each with the command that runs it.
            for (dir, model, command) in [
                ("structured", "Structured Streaming", "stream-sim run"),
                ("dataflow", "Dataflow (Beam)", "stream-sim run"),
                ("storm", "Storm", "stream-sim storm"),
                ("flink", "Flink", "stream-sim flink"),
            ] {
                let folder = scenario::scenarios_dir().join(dir);
                say(format!(
                    "\n{model} (scenarios/{dir}/, run with `{command} NAME`):"
                ));
                for name in scenario::toml_names(&folder) {
                    let desc = std::fs::read_to_string(folder.join(format!("{name}.toml")))
                        .ok()
                        .and_then(|t| t.parse::<toml::Table>().ok())
                        .and_then(|t| {
                            t.get("description")
                                .and_then(|d| d.as_str().map(str::to_string))
                        })
                        .map(|d| d.lines().next().unwrap_or("").to_string())
                        .unwrap_or_default();
                    say(format!("{name:<32} {desc}"));
                }
            }
            Ok(())
        }
        Command::Book { check } => stream_sim::book::run(check).map(say),
        Command::Compare {
            faults,
            models,
            seed,
            svg,
        } => {
            let names: Vec<String> = models.split(',').map(|m| m.trim().to_string()).collect();
            if names.iter().any(|m| m == "structured" || m == "dataflow") {
                let plan = match &faults {
                    None => stream_sim::cluster::FaultPlan::default(),
                    Some(f) => stream_sim::cluster::FaultPlan::parse(&f.replace(';', "\n"))
                        .map_err(|(l, c, m)| format!("--faults: fault {l}, column {c}: {m}"))?,
                };
                let c =
                    stream_sim::check::event_time::compare_event_time_with_faults(&names, &plan)?;
                if let Some(path) = svg {
                    let text = stream_sim::plot::event_time_svg_text(&c, "EWR", (1200, 800))?;
                    std::fs::write(&path, text)
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                }
                say(stream_sim::check::event_time::render(&c));
                return Ok(());
            }
            let faults = faults.unwrap_or_else(|| "at 8s kill worker-2".to_string());
            let plan = stream_sim::cluster::FaultPlan::parse(&faults.replace(';', "\n"))
                .map_err(|(l, c, m)| format!("--faults: fault {l}, column {c}: {m}"))?;
            let models = stream_sim::check::compare::parse_models(&models)?;
            stream_sim::check::compare::compare_models(&models, &plan, seed)
                .map(|rows| say(stream_sim::check::compare::render(&plan, &rows)))
        }
        Command::Storm {
            scenario,
            seed,
            check,
            trace,
        } => stream_sim::check::storm::run_command(&scenario, seed, check, trace)
            .map(say)
            .map_err(|e| e.to_string()),
        Command::Flink {
            scenario,
            seed,
            check,
            trace,
        } => stream_sim::check::flink::run_command(&scenario, seed, check, trace)
            .map(say)
            .map_err(|e| e.to_string()),
        Command::Report {
            scenario,
            out,
            seed,
            until,
        } => {
            let sc = load(Some(&scenario)).map_err(|e| e.to_string())?;
            if let Some(d) = until {
                scenario::limits::check_run_length(
                    &format!("--until {d}"),
                    sc.batch_interval,
                    sc.block_interval,
                    Time::ZERO.plus(d),
                    scenario::limits::MAX_BATCHES,
                )?;
            }
            let html = stream_sim::report::report(
                &sc,
                &RunOptions {
                    seed,
                    output_dir: PathBuf::from("out"),
                },
                until.map(|d| Time::ZERO.plus(d)),
            )?;
            std::fs::write(&out, html)
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            say(format!("wrote {}", out.display()));
            Ok(())
        }
        Command::Bench { repeat, figures } => stream_sim::bench::run(repeat, &figures).map(say),
        Command::Challenge { action } => {
            use stream_sim::challenge;
            match action {
                ChallengeAction::List => challenge::list_text().map(say),
                ChallengeAction::Show { which } => {
                    challenge::find(&which).and_then(|c| c.show()).map(say)
                }
                ChallengeAction::Solution { which } => {
                    challenge::find(&which).and_then(|c| c.solution()).map(say)
                }
                ChallengeAction::Check { which, file, runs } => {
                    let (report, passed) = challenge::check_file(&which, &file, runs)?;
                    say(report);
                    if passed {
                        Ok(())
                    } else {
                        Err(format!("challenge {which}: not passed yet"))
                    }
                }
            }
        }
    }
}
