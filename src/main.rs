//! The `stream-sim` command line: thin glue over the library.

use clap::{Parser, Subcommand};
use std::io::Write;
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
        /// Stop at this virtual time, e.g. 90s or 2min (default: the scenario's run_for).
        #[arg(long, value_parser = parse_duration)]
        until: Option<Duration>,
        /// Write every engine event to this file, one JSON object per line.
        #[arg(long)]
        trace: Option<PathBuf>,
        /// Directory for saveAsTextFiles output.
        #[arg(long, default_value = "out")]
        out: PathBuf,
    },
    /// Step through a scenario interactively (reads commands from stdin when it is not a
    /// terminal). Type `help` inside.
    Repl {
        /// Scenario file or bundled name (default: wordcount).
        scenario: Option<String>,
        /// Root seed of all randomness.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Directory for saveAsTextFiles output.
        #[arg(long, default_value = "out")]
        out: PathBuf,
    },
    /// Validate a scenario (syntax, names, durations, Spark's start-time rules) without
    /// running it.
    Check {
        /// Scenario file or bundled name.
        scenario: String,
    },
    /// List the bundled scenarios.
    List,
    /// Measure engine throughput: word count over the fortune texts through the whole engine
    /// (receiver, blocks, batches, flatMap, map, reduceByKey) against a bare HashMap loop.
    Bench {
        /// How many times to replay the fortune texts.
        #[arg(long, default_value_t = 5)]
        repeat: usize,
    },
}

// mimalloc: the engine allocates a value per record; a faster allocator is the cheapest
// large speed-up (measured with `stream-sim bench`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn parse_duration(s: &str) -> Result<Duration, String> {
    Duration::parse(s)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("stream-sim: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn load(name: Option<&str>) -> Result<scenario::Scenario, ScenarioError> {
    let path = scenario::resolve(name.unwrap_or(scenario::DEFAULT_SCENARIO))?;
    scenario::load(&path)
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Run {
            scenario,
            seed,
            batches,
            until,
            trace,
            out,
        } => {
            let sc = load(scenario.as_deref()).map_err(|e| e.to_string())?;
            let built = sc
                .build(&RunOptions {
                    seed,
                    output_dir: out,
                })
                .map_err(|e| e.to_string())?;
            if let Some(path) = trace {
                let f = std::fs::File::create(&path)
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                // Replay what start() already emitted, then stream the rest.
                let mut w = std::io::BufWriter::new(f);
                for e in built.ssc.trace() {
                    writeln!(w, "{}", e.to_json()).map_err(|e| e.to_string())?;
                }
                built.ssc.set_trace_sink(Box::new(w));
            }
            let end = match (batches, until) {
                (Some(n), _) => Time::ZERO.plus(sc.batch_interval * n),
                (None, Some(d)) => Time::ZERO.plus(d),
                (None, None) => built.default_until,
            };
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            let result = match built.run_printing(end, &mut lock) {
                // A closed pipe (e.g. `| head`) is not an error.
                Err(_) => Ok(()),
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(format!("job failed: {e}")),
            };
            drop(lock);
            built.ssc.stop();
            result
        }
        Command::Repl {
            scenario,
            seed,
            out,
        } => {
            let sc = load(scenario.as_deref()).map_err(|e| e.to_string())?;
            stream_sim::repl::run(
                &sc,
                &RunOptions {
                    seed,
                    output_dir: out,
                },
            )
        }
        Command::Check { scenario } => {
            let sc = load(Some(&scenario)).map_err(|e| e.to_string())?;
            sc.build(&RunOptions::default())
                .map_err(|e| e.to_string())?;
            println!(
                "{}: ok ({} sources, {} statements)",
                sc.path.display(),
                sc.sources.len(),
                sc.program.statements.len()
            );
            Ok(())
        }
        Command::List => {
            for name in scenario::bundled_names() {
                let desc = scenario::resolve(&name)
                    .ok()
                    .and_then(|p| scenario::load(&p).ok())
                    .map(|s| s.description.lines().next().unwrap_or("").to_string())
                    .unwrap_or_default();
                println!("{name:<12} {desc}");
            }
            Ok(())
        }
        Command::Bench { repeat } => {
            stream_sim::bench::run(repeat).map(|report| println!("{report}"))
        }
    }
}
