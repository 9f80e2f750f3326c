//! The REPL for the event-time models: step a Structured Streaming query trigger by trigger,
//! or a Dataflow pipeline by processing time, and look at the watermark, the state, the late
//! records and a window's panes.
//!
//! `stream-sim repl SCENARIO` opens this REPL when the scenario's `model` is `structured` or
//! `dataflow` (bundled ones live in `scenarios/structured/` and `scenarios/dataflow/`).
//! Commands: `step [N]` (Structured Streaming: the next N triggers; Dataflow: the next N
//! seconds of processing time), `run until TIME`, `time`, `watermark` (its history: when it
//! moved, to what, and why), `state` (the state store, or each key and window's buffered
//! elements and timers), `late` (rows dropped by the watermark, or records behind it, with
//! their delay; `late watermarks`: Dataflow's whole run under the perfect, heuristic and
//! percentile watermarks, with the records each makes late), `panes [WINDOW-START]` (Dataflow: every pane of the windows starting at
//! that time, e.g. `panes 06:00`; Structured Streaming: what the sink received per window),
//! `progress` (Structured Streaming: the last `StreamingQueryProgress`), `help`, `quit`.
//! Each command's answer depends only on the session and the line, so tests drive
//! [`EventTimeSession::execute`] directly.

use crate::event_time::EventTime;
use crate::models::dataflow::runner::{DirectRunner, TestStreamEvent};
use crate::models::structured::{StreamingQuery, Trigger};
use crate::scenario::{self, dataflow, structured};
use crate::sim::{Duration, Time};
use std::io::{BufRead, Write};

/// The longest virtual time one session may run (a limit, so a typo cannot run for days).
pub const MAX_SESSION_TIME: Duration = Duration::from_ms(3_600_000);

/// The event-time model a scenario declares, if any: `"structured"` or `"dataflow"` (a
/// bundled name of either, or a path to a file with that `model`).
pub fn model_of(name: &str) -> Option<&'static str> {
    let text = std::fs::read_to_string(resolve(name)?).ok()?;
    if structured::is_structured(&text) {
        Some("structured")
    } else if dataflow::is_dataflow(&text) {
        Some("dataflow")
    } else {
        None
    }
}

/// A file path as given, else a bundled name in `scenarios/structured/` or
/// `scenarios/dataflow/`.
fn resolve(name: &str) -> Option<std::path::PathBuf> {
    let given = std::path::PathBuf::from(name);
    if given.is_file() {
        return Some(given);
    }
    [
        structured::structured_dir(),
        scenario::scenarios_dir().join("dataflow"),
    ]
    .into_iter()
    .map(|d| d.join(format!("{name}.toml")))
    .find(|p| p.is_file())
}

enum Job {
    Structured {
        query: Box<StreamingQuery>,
        trigger_ms: u64,
        printed: usize,
    },
    Dataflow {
        runner: Box<DirectRunner>,
        events: Vec<TestStreamEvent>,
        next: usize,
        panes: usize,
        /// The scenario, for `late watermarks` (whole runs under other watermark estimators).
        scenario: Box<dataflow::DataflowScenario>,
    },
}

/// A REPL session over a Structured Streaming query or a Dataflow pipeline.
pub struct EventTimeSession {
    name: String,
    job: Job,
    now: Time,
}

impl EventTimeSession {
    /// Loads the scenario `name` and starts it at time zero.
    ///
    /// # Errors
    /// The scenario's load error (`file:line:col: message`).
    pub fn new(name: &str) -> Result<EventTimeSession, String> {
        let path = resolve(name).ok_or_else(|| format!("{name}: no such scenario"))?;
        let job = match model_of(name) {
            Some("structured") => {
                let sc = structured::load(&path).map_err(|e| e.to_string())?;
                let trigger_ms = match sc.config.trigger {
                    Trigger::ProcessingTime(d) if d.ms() > 0 => d.ms(),
                    _ => 1000,
                };
                Job::Structured {
                    query: Box::new(sc.start()),
                    trigger_ms,
                    printed: 0,
                }
            }
            Some(_) => {
                let sc = dataflow::load(&path).map_err(|e| e.to_string())?;
                let events = crate::models::dataflow::watermark::test_stream_events(
                    &sc.arrivals,
                    &sc.estimator,
                    sc.interval_ms,
                );
                Job::Dataflow {
                    runner: Box::new(DirectRunner::new(
                        sc.pipeline.windowing.clone(),
                        sc.pipeline.combine.clone(),
                        sc.fidelity,
                    )),
                    events,
                    next: 0,
                    panes: 0,
                    scenario: Box::new(sc),
                }
            }
            None => {
                return Err(format!(
                    "{name} is not a Structured Streaming or Dataflow scenario (model = \"structured\" or \"dataflow\")"
                ))
            }
        };
        Ok(EventTimeSession {
            name: name.to_string(),
            job,
            now: Time::ZERO,
        })
    }

    /// The banner printed when the session opens.
    pub fn banner(&self) -> String {
        let model = match self.job {
            Job::Structured { .. } => "Structured Streaming",
            Job::Dataflow { .. } => "Dataflow",
        };
        format!(
            "{model} scenario `{}` at 0 ms; `help` lists the commands",
            self.name
        )
    }

    /// Advances to `to` and returns what was emitted meanwhile.
    fn advance(&mut self, to: Time) -> Result<String, String> {
        if to > Time::ZERO.plus(MAX_SESSION_TIME) {
            return Err(format!(
                "a session runs at most {MAX_SESSION_TIME} of virtual time (the limit MAX_SESSION_TIME)"
            ));
        }
        let mut out = String::new();
        match &mut self.job {
            Job::Structured { query, printed, .. } => {
                query.advance_to(to);
                let text = query.printed();
                out.push_str(&text[(*printed).min(text.len())..]);
                *printed = text.len();
            }
            Job::Dataflow {
                runner,
                events,
                next,
                panes,
                ..
            } => {
                while *next < events.len() && runner.clock_ms() < to.ms() as i64 {
                    runner.apply(&events[*next])?;
                    *next += 1;
                }
                for p in &runner.panes()[*panes..] {
                    out.push_str(&format!("{p}\n"));
                }
                *panes = runner.panes().len();
                if *next == events.len() {
                    out.push_str("(end of input: the watermark is at +infinity)\n");
                }
            }
        }
        self.now = self.now.max(to);
        out.push_str(&format!("time {} ms", self.now.ms()));
        Ok(out)
    }

    /// Runs one command line and returns what to print (errors are returned as text too).
    pub fn execute(&mut self, line: &str) -> String {
        self.try_execute(line).unwrap_or_else(|e| e)
    }

    fn try_execute(&mut self, line: &str) -> Result<String, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let duration = |w: &str, what: &str| Duration::parse(w).map_err(|m| format!("{what}: {m}"));
        match words.first().copied().unwrap_or("") {
            "" => Ok(String::new()),
            "help" => Ok(HELP.to_string()),
            "time" => Ok(format!("time {} ms", self.now.ms())),
            "step" => {
                let n: u64 = match words.get(1) {
                    Some(w) => w
                        .parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| format!("step: `{w}` is not a positive count; write `step 3`"))?,
                    None => 1,
                };
                let unit = match &self.job {
                    Job::Structured { trigger_ms, .. } => *trigger_ms,
                    Job::Dataflow { .. } => 1000,
                };
                let to = self.now.ms().saturating_add(n.saturating_mul(unit));
                let to = to - to % unit;
                self.advance(Time(to))
            }
            "run" => match (words.get(1), words.get(2)) {
                (Some(&"until"), Some(t)) => {
                    let t = Time::ZERO.plus(duration(t, "run until")?);
                    self.advance(t)
                }
                _ => Err("run: write `run until TIME`, e.g. `run until 30s`".into()),
            },
            "watermark" => Ok(self.watermark()),
            "state" => Ok(self.state()),
            "late" => match words.get(1) {
                None => Ok(self.late()),
                Some(&"watermarks") => self.late_by_watermark(),
                Some(other) => Err(format!(
                    "late: unknown argument `{other}`; use `late` (records behind the watermark so far) or `late watermarks` (Dataflow: the whole run under the perfect, heuristic and percentile watermarks)"
                )),
            },
            "panes" => self.panes(words.get(1).copied()),
            "progress" => match &self.job {
                Job::Structured { query, .. } => Ok(query
                    .progress()
                    .last()
                    .map_or("no micro-batch yet".to_string(), |p| p.json())),
                Job::Dataflow { .. } => Err(
                    "progress: a Structured Streaming view (StreamingQueryProgress); try `watermark` or `panes`".into(),
                ),
            },
            other => Err(format!(
                "unknown command `{other}`; the commands are step, run until, time, watermark, state, late, panes, progress, help, quit"
            )),
        }
    }

    fn watermark(&self) -> String {
        let mut out = Vec::new();
        match &self.job {
            Job::Structured { query, .. } => {
                out.push(format!("watermark now {}", wm(query.watermark_ms())));
                for m in query.watermark_history() {
                    out.push(format!(
                        "batch {} at {} ms: {} -> {} (max event time seen minus the delay; used from the next batch on)",
                        m.batch_id,
                        m.at.ms(),
                        wm(m.from_ms),
                        wm(m.to_ms)
                    ));
                }
            }
            Job::Dataflow { runner, .. } => {
                out.push(format!(
                    "input watermark now {}, output watermark {}",
                    wm(runner.input_watermark()),
                    wm(runner.output_watermark())
                ));
                for w in runner.watermark_history() {
                    out.push(format!(
                        "at {} ms: {} ({})",
                        w.at_ms,
                        wm(w.watermark),
                        w.reason
                    ));
                }
            }
        }
        out.join("\n")
    }

    fn state(&self) -> String {
        match &self.job {
            Job::Structured { query, .. } => {
                let mut out = Vec::new();
                for (op, lines) in query.state() {
                    out.push(format!("state operator {op}: {} rows", lines.len()));
                    out.extend(lines.iter().take(40).map(|l| format!("  {l}")));
                }
                if out.is_empty() {
                    "no stateful operator".into()
                } else {
                    out.join("\n")
                }
            }
            Job::Dataflow { runner, .. } => {
                let s = runner.state_summary();
                let mut out = vec![format!("{} key-window pairs buffered", s.len())];
                for (key, w, n, timers) in s.iter().take(40) {
                    out.push(format!(
                        "  {key} {}: {n} elements, {} timers",
                        crate::models::dataflow::pane::window_text(w),
                        timers.len()
                    ));
                }
                out.join("\n")
            }
        }
    }

    fn late(&self) -> String {
        match &self.job {
            Job::Structured { query, .. } => {
                let late = query.late_rows();
                let mut out = vec![format!(
                    "{} rows dropped by the watermark (numRowsDroppedByWatermark counts them per stateful operator)",
                    late.len()
                )];
                for l in late.iter().take(40) {
                    out.push(format!(
                        "  batch {}: [{}] event time {}, watermark {}: {} min late",
                        l.batch_id,
                        l.row.join(", "),
                        wm(l.event_time_ms),
                        wm(l.watermark_ms),
                        (l.watermark_ms - l.event_time_ms) / 60_000
                    ));
                }
                out.join("\n")
            }
            Job::Dataflow { runner, .. } => {
                let late = runner.late_records();
                let mut out = vec![format!(
                    "{} records arrived behind the watermark",
                    late.len()
                )];
                for l in late.iter().take(40) {
                    out.push(format!(
                        "  {}:{} event time {} at {} ms, {} min behind: {}",
                        l.element.key,
                        l.element.value,
                        wm(l.element.timestamp),
                        l.at_ms,
                        l.behind_ms / 60_000,
                        l.reason
                            .clone()
                            .unwrap_or_else(|| "fired in a LATE pane".into())
                    ));
                }
                out.join("\n")
            }
        }
    }

    /// `late watermarks`: the whole run again under each watermark estimator (perfect, the
    /// scenario's heuristic, a percentile one), with the records each makes late
    /// (`check::dataflow::late_by_estimator`; "Streaming Systems" ch. 3).
    fn late_by_watermark(&self) -> Result<String, String> {
        match &self.job {
            Job::Structured { .. } => Err(
                "late watermarks: Structured Streaming has one watermark (max event time minus the withWatermark delay); the comparison of estimators is the Dataflow model's".into(),
            ),
            Job::Dataflow { scenario, .. } => {
                let estimators = crate::check::dataflow::estimators_for(scenario);
                let runs = crate::check::dataflow::late_by_estimator(scenario, &estimators)?;
                Ok(crate::check::dataflow::render_late_by_estimator(&runs, 5)
                    .trim_end()
                    .to_string())
            }
        }
    }

    fn panes(&self, start: Option<&str>) -> Result<String, String> {
        // `06:00` or a full timestamp: windows starting then (the day of the data).
        let matches = |w: &crate::event_time::TimeWindow| -> bool {
            match start {
                None => true,
                Some(s) => {
                    w.start.to_string().contains(&format!(" {s}")) || w.start.to_string() == s
                }
            }
        };
        let mut out = Vec::new();
        match &self.job {
            Job::Dataflow { runner, .. } => {
                for p in runner.panes().iter().filter(|p| matches(&p.window)) {
                    out.push(p.to_string());
                }
            }
            Job::Structured { query, .. } => {
                for e in query.emissions().iter().filter(|e| matches(&e.window)) {
                    out.push(format!(
                        "{}: [{}] batch {} written at {} ms{}",
                        e.window,
                        e.row.join(", "),
                        e.batch_id,
                        e.at.ms(),
                        if e.kept {
                            ""
                        } else {
                            " (ignored by the idempotent sink)"
                        }
                    ));
                }
            }
        }
        if out.is_empty() {
            return Ok(match start {
                Some(s) => format!("no emission yet for a window starting at {s}"),
                None => "no emission yet".into(),
            });
        }
        Ok(out.join("\n"))
    }
}

/// An event time, or the ends of time: Spark's initial watermark is 0 (printed as the
/// epoch), Beam's are `MIN_TIMESTAMP` / `MAX_TIMESTAMP` (about +-2^63 microseconds).
fn wm(w: i64) -> String {
    const BEAM_END_OF_TIME: i64 = 9_000_000_000_000_000; // ms; Beam's is 9.22e15
    if w <= -BEAM_END_OF_TIME {
        "-infinity".into()
    } else if w >= BEAM_END_OF_TIME {
        "+infinity".into()
    } else {
        EventTime(w).to_string()
    }
}

const HELP: &str = "step [N]            Structured Streaming: the next N triggers; Dataflow: N seconds of processing time
run until TIME      advance to TIME (virtual)
time                the virtual time
watermark           the watermark now and its history: when it moved, to what, why
state               the state store (rows per operator), or each key and window's buffer and timers
late                rows dropped by the watermark, or records behind it, with their delay
late watermarks     Dataflow: the whole run under the perfect, heuristic and percentile watermarks
panes [HH:MM]       what was emitted for the windows starting at HH:MM (all without it)
progress            Structured Streaming: the last StreamingQueryProgress (JSON)
quit                leave";

/// Runs the session over `input` line by line, writing the banner and each command after
/// `> ` with its answer to `output`, until `quit` / `exit` or the end of input.
///
/// # Errors
/// A failure to read or write.
pub fn run_script(
    session: &mut EventTimeSession,
    input: impl BufRead,
    output: impl Write,
) -> Result<(), String> {
    let banner = session.banner();
    super::script::run_lines(&banner, |cmd| session.execute(cmd), input, output)
}

/// Opens the session for `name` on stdin and stdout.
///
/// # Errors
/// The scenario's load error, or an I/O failure.
pub fn run(name: &str) -> Result<(), String> {
    let mut s = EventTimeSession::new(name)?;
    run_script(&mut s, std::io::stdin().lock(), std::io::stdout().lock())
}
