//! SVG charts of a run, drawn from its trace with plotters' SVG backend: per batch the
//! delays (total, processing, scheduling) against the batch interval, or the input records,
//! with failures (worker and driver kills) marked on the time axis.
//!
//! Batches that did not complete (queued, never run) are marked on the time axis too, so
//! that no batch time is missing from a chart. Used by the REPL's `plot delays FILE.svg`
//! and `plot records FILE.svg`, and by `stream-sim report` (the SVG as a string, and
//! histograms).

use crate::models::dstream::Event;
use plotters::prelude::*;
use std::path::Path;

/// One completed batch's figures (`BatchCompleted`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchPoint {
    /// Batch time (ms).
    pub time_ms: u64,
    /// Input records.
    pub input_records: usize,
    /// Scheduling delay (ms).
    pub scheduling_delay_ms: u64,
    /// Processing time (ms).
    pub processing_time_ms: u64,
    /// Total delay (ms).
    pub total_delay_ms: u64,
}

/// A failure to mark on the time axis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// When (ms).
    pub time_ms: u64,
    /// What failed (`worker-1`, `driver`).
    pub what: String,
}

/// A batch time with no figures to plot: queued (and why) or never run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unrun {
    /// Batch time (ms).
    pub time_ms: u64,
    /// Its state in words (`queued: no free core ...`).
    pub state: String,
}

/// The batches that did not complete among `rows` (`check::batch_rows`).
pub fn unrun(rows: &[crate::check::BatchRow]) -> Vec<Unrun> {
    use crate::check::BatchState;
    rows.iter()
        .filter(|r| {
            matches!(
                r.state,
                BatchState::Queued { .. } | BatchState::NeverRun { .. } | BatchState::Failed { .. }
            )
        })
        .map(|r| Unrun {
            time_ms: r.time.ms(),
            state: r.describe(),
        })
        .collect()
}

/// The batches and failures of a trace, in order.
pub fn from_trace(events: &[Event]) -> (Vec<BatchPoint>, Vec<Failure>) {
    let mut points = Vec::new();
    let mut failures = Vec::new();
    for e in events {
        match e {
            Event::BatchCompleted {
                time,
                input_records,
                scheduling_delay_ms,
                processing_time_ms,
                total_delay_ms,
            } => points.push(BatchPoint {
                time_ms: time.ms(),
                input_records: *input_records,
                scheduling_delay_ms: *scheduling_delay_ms,
                processing_time_ms: *processing_time_ms,
                total_delay_ms: *total_delay_ms,
            }),
            Event::WorkerKilled { time, worker, .. } => failures.push(Failure {
                time_ms: time.ms(),
                what: worker.clone(),
            }),
            Event::DriverKilled { time, .. } => failures.push(Failure {
                time_ms: time.ms(),
                what: "driver".into(),
            }),
            _ => {}
        }
    }
    (points, failures)
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

fn x_range(points: &[BatchPoint], failures: &[Failure]) -> (f64, f64) {
    let hi = points
        .iter()
        .map(|p| p.time_ms)
        .chain(failures.iter().map(|f| f.time_ms))
        .max()
        .unwrap_or(1000);
    (0.0, secs(hi).max(1.0) * 1.02)
}

/// The colour of reference lines (the batch interval, a failure's instant): a magenta that
/// none of the series and none of the grid's greys use, so a reference line never reads as
/// a grid line.
pub const REFERENCE: RGBColor = RGBColor(214, 0, 138);

/// One series: its label, colour and values.
type Series<'a> = (&'a str, RGBColor, Vec<(f64, f64)>);

/// What one chart shows besides its series.
struct Marks<'a> {
    failures: &'a [Failure],
    unrun: &'a [Unrun],
}

/// A chart as SVG text, `size` pixels wide and high.
fn draw(
    title: &str,
    y_desc: &str,
    series: &[Series<'_>],
    marks: &Marks<'_>,
    x: (f64, f64),
    size: (u32, u32),
) -> Result<String, String> {
    let mut svg = String::new();
    draw_into(&mut svg, title, y_desc, series, marks, x, size)?;
    Ok(svg)
}

fn draw_into(
    svg: &mut String,
    title: &str,
    y_desc: &str,
    series: &[Series<'_>],
    marks: &Marks<'_>,
    x: (f64, f64),
    size: (u32, u32),
) -> Result<(), String> {
    let failures = marks.failures;
    let err = |e: &dyn std::fmt::Display| format!("cannot draw {title}: {e}");
    // Batches that did not complete are on the axis too.
    let last_unrun = marks
        .unrun
        .iter()
        .map(|u| secs(u.time_ms))
        .fold(0.0, f64::max);
    let x = (x.0, x.1.max(last_unrun * 1.02));
    let y_max = series
        .iter()
        .flat_map(|(_, _, v)| v.iter().map(|p| p.1))
        .fold(1.0_f64, f64::max)
        * 1.15;
    let root = SVGBackend::with_string(svg, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x.0..x.1, 0.0..y_max)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc("batch time (s)")
        .y_desc(y_desc)
        .draw()
        .map_err(|e| err(&e))?;
    for (label, colour, values) in series {
        let colour = *colour;
        chart
            .draw_series(LineSeries::new(
                values.iter().copied(),
                colour.stroke_width(2),
            ))
            .map_err(|e| err(&e))?
            .label(*label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
    }
    for f in failures {
        let t = secs(f.time_ms);
        chart
            .draw_series(LineSeries::new(
                vec![(t, 0.0), (t, y_max)],
                REFERENCE.stroke_width(2),
            ))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("kill {} ({}s)", f.what, t),
                (t, y_max * 0.97),
                ("sans-serif", 13).into_font().color(&REFERENCE),
            )))
            .map_err(|e| err(&e))?;
    }
    if !marks.unrun.is_empty() {
        let grey = RGBColor(120, 120, 120);
        chart
            .draw_series(
                marks
                    .unrun
                    .iter()
                    .map(|u| Cross::new((secs(u.time_ms), 0.0), 5, grey.stroke_width(2))),
            )
            .map_err(|e| err(&e))?
            .label(format!(
                "batch not completed (queued or never run): {}",
                marks.unrun.len()
            ))
            .legend(move |(x, y)| Cross::new((x + 10, y), 5, grey.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

/// Total delay, processing time and scheduling delay per batch, with the batch interval as
/// a horizontal line (above it, batches queue up) and failures marked.
///
/// # Errors
/// A message when the file cannot be written.
pub fn delays_svg(
    path: &Path,
    points: &[BatchPoint],
    batch_interval_ms: u64,
    failures: &[Failure],
) -> Result<(), String> {
    delays_svg_marked(path, points, batch_interval_ms, failures, &[])
}

/// [`delays_svg`] with the batches that did not complete marked by a cross on the time axis.
///
/// # Errors
/// A message when the file cannot be written.
pub fn delays_svg_marked(
    path: &Path,
    points: &[BatchPoint],
    batch_interval_ms: u64,
    failures: &[Failure],
    unrun: &[Unrun],
) -> Result<(), String> {
    let svg = delays_svg_text(points, batch_interval_ms, failures, unrun, (960, 540))?;
    write(path, &svg)
}

fn write(path: &Path, svg: &str) -> Result<(), String> {
    std::fs::write(path, svg).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// [`delays_svg`] as SVG text, `size` pixels.
///
/// # Errors
/// A message when plotters cannot draw.
pub fn delays_svg_text(
    points: &[BatchPoint],
    batch_interval_ms: u64,
    failures: &[Failure],
    unrun: &[Unrun],
    size: (u32, u32),
) -> Result<String, String> {
    let x = x_range(points, failures);
    let pick = |f: fn(&BatchPoint) -> u64| -> Vec<(f64, f64)> {
        points
            .iter()
            .map(|p| (secs(p.time_ms), f(p) as f64))
            .collect()
    };
    let interval = batch_interval_ms as f64;
    let series = [
        ("total delay (ms)", RED, pick(|p| p.total_delay_ms)),
        ("processing time (ms)", BLUE, pick(|p| p.processing_time_ms)),
        (
            "scheduling delay (ms)",
            RGBColor(0, 140, 0),
            pick(|p| p.scheduling_delay_ms),
        ),
        (
            "batch interval",
            REFERENCE,
            vec![(x.0, interval), (x.1, interval)],
        ),
    ];
    draw(
        "Delays per batch",
        "milliseconds",
        &series,
        &Marks { failures, unrun },
        x,
        size,
    )
}

/// Input records per batch, failures marked.
///
/// # Errors
/// A message when the file cannot be written.
pub fn records_svg(
    path: &Path,
    points: &[BatchPoint],
    failures: &[Failure],
    unrun: &[Unrun],
) -> Result<(), String> {
    let x = x_range(points, failures);
    let series = [(
        "input records",
        BLUE,
        points
            .iter()
            .map(|p| (secs(p.time_ms), p.input_records as f64))
            .collect(),
    )];
    let svg = draw(
        "Input records per batch",
        "records",
        &series,
        &Marks { failures, unrun },
        x,
        (960, 540),
    )?;
    write(path, &svg)
}

/// One figure per batch against batch time, as SVG text (`size` pixels): a timeline of
/// the Streaming tab (input rate, scheduling delay, processing time, total delay).
///
/// # Errors
/// A message when plotters cannot draw.
pub fn timeline_svg_text(
    title: &str,
    y_desc: &str,
    values: &[(u64, f64)],
    failures: &[Failure],
    unrun: &[Unrun],
    size: (u32, u32),
) -> Result<String, String> {
    let points: Vec<BatchPoint> = values
        .iter()
        .map(|(t, _)| BatchPoint {
            time_ms: *t,
            input_records: 0,
            scheduling_delay_ms: 0,
            processing_time_ms: 0,
            total_delay_ms: 0,
        })
        .collect();
    let x = x_range(&points, failures);
    let series = [(
        y_desc,
        BLUE,
        values.iter().map(|(t, v)| (secs(*t), *v)).collect(),
    )];
    draw(title, y_desc, &series, &Marks { failures, unrun }, x, size)
}

/// A histogram of `values` in `bins` equal bins, as SVG text (`size` pixels): the
/// Streaming tab's histogram beside each timeline.
///
/// # Errors
/// A message when plotters cannot draw.
pub fn histogram_svg_text(
    title: &str,
    values: &[f64],
    bins: usize,
    size: (u32, u32),
) -> Result<String, String> {
    let bins = bins.max(1);
    let hi = values.iter().copied().fold(0.0_f64, f64::max).max(1.0);
    let width = hi / bins as f64;
    let mut counts = vec![0u32; bins];
    for v in values {
        let i = ((v / width) as usize).min(bins - 1);
        counts[i] += 1;
    }
    let top = counts.iter().copied().max().unwrap_or(1).max(1) as f64 * 1.15;
    let mut svg = String::new();
    {
        let err = |e: &dyn std::fmt::Display| format!("cannot draw {title}: {e}");
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 14))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(0.0..hi * 1.02, 0.0..top)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .y_desc("batches")
            .draw()
            .map_err(|e| err(&e))?;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, c)| {
                let x0 = i as f64 * width;
                Rectangle::new(
                    [(x0, 0.0), (x0 + width, f64::from(*c))],
                    BLUE.mix(0.6).filled(),
                )
            }))
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}

/// Akidau's diagram of an event-time run ("Streaming 102", the figures of windows, the
/// watermark and triggers), drawn from [`crate::check::event_time`]'s comparison: event time
/// across (hours of scheduled departure), processing time up (virtual seconds). Every flight
/// is a dot (red when it arrived behind a newer one); the dashed diagonal is where a flight
/// on time would be; each model's watermark is a line (the event time it had reached at
/// each processing time); and each emission of `origin`'s windows is a bar across the
/// window at the processing time it was written, labelled with its count (Dataflow's LATE
/// panes in orange).
///
/// # Errors
/// A message when plotters cannot draw.
pub fn event_time_svg_text(
    c: &crate::check::event_time::EventTimeComparison,
    origin: &str,
    size: (u32, u32),
) -> Result<String, String> {
    use crate::check::event_time::SPEEDUP;
    let err = |e: &dyn std::fmt::Display| format!("cannot draw the event-time diagram: {e}");
    let origin_ms = c.points.iter().map(|p| p.0).min().unwrap_or(0);
    let day0 = origin_ms - origin_ms.rem_euclid(86_400_000);
    let hour = |ms: i64| (ms - day0) as f64 / 3_600_000.0;
    let x0 = hour(origin_ms).floor();
    let x1 = c
        .rows
        .keys()
        .map(|(w, _)| hour(w.end.0))
        .fold(x0 + 1.0, f64::max);
    let y1 = c
        .rows
        .values()
        .flat_map(|(_, a)| a.values().flat_map(|a| a.emitted.iter().map(|e| e.2)))
        .chain(c.points.iter().map(|p| p.1))
        .max()
        .unwrap_or(1000) as f64
        / 1000.0
        * 1.05;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("Event time against processing time ({origin}'s windows)"),
                ("sans-serif", 20),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, 0.0..y1)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc("event time: scheduled departure (hour of the day)")
            .y_desc("processing time (virtual s)")
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| err(&e))?;
        // Where an on-time flight arrives: its event time on the replay clock.
        let diag = |x: f64| (x - hour(origin_ms)) * 3_600_000.0 / SPEEDUP / 1000.0;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x0, diag(x0).max(0.0)), (x1, diag(x1))],
                6,
                4,
                REFERENCE.stroke_width(2),
            ))
            .map_err(|e| err(&e))?
            .label("no delay")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], REFERENCE));
        let dot = |late: bool| {
            if late {
                RGBColor(200, 30, 30).filled()
            } else {
                RGBColor(160, 160, 160).filled()
            }
        };
        chart
            .draw_series(
                c.points
                    .iter()
                    .map(|(e, a, late)| Circle::new((hour(*e), *a as f64 / 1000.0), 2, dot(*late))),
            )
            .map_err(|e| err(&e))?
            .label("a flight (red: behind a newer one)")
            .legend(|(x, y)| Circle::new((x + 10, y), 3, RGBColor(200, 30, 30).filled()));
        let colours = [
            ("structured", RGBColor(30, 90, 200)),
            ("dataflow", RGBColor(0, 150, 70)),
        ];
        for (model, colour) in colours {
            let Some(steps) = c.watermarks.get(model) else {
                continue;
            };
            let mut pts = Vec::new();
            for (at, wm) in steps {
                let x = hour(*wm);
                if x >= x0 && x <= x1 {
                    pts.push((x, *at as f64 / 1000.0));
                }
            }
            chart
                .draw_series(LineSeries::new(pts, colour.stroke_width(2)))
                .map_err(|e| err(&e))?
                .label(format!("{model} watermark"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
        }
        let orange = RGBColor(230, 120, 0);
        for ((w, o), (_, answers)) in &c.rows {
            if o != origin {
                continue;
            }
            for (model, colour) in colours.iter().chain(&[("dstream", RGBColor(120, 60, 160))]) {
                let Some(a) = answers.get(*model) else {
                    continue;
                };
                for (label, n, at) in &a.emitted {
                    let colour = if label == "LATE" { orange } else { *colour };
                    let y = *at as f64 / 1000.0;
                    let (xs, xe) = (hour(w.start.0), hour(w.end.0));
                    chart
                        .draw_series(LineSeries::new(
                            vec![(xs + 0.04, y), (xe - 0.04, y)],
                            colour.stroke_width(3),
                        ))
                        .map_err(|e| err(&e))?;
                    chart
                        .draw_series(std::iter::once(Text::new(
                            format!("{model} {n}"),
                            (xs + 0.06, y + y1 * 0.012),
                            ("sans-serif", 11).into_font().color(&colour),
                        )))
                        .map_err(|e| err(&e))?;
                }
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}

/// A timeline of a run's recovery, drawn from its trace (`size` pixels): virtual time
/// across; one lane per receiver stream with a tick for every block stored (taller for more
/// records); a lane of batch runs, each a bar from when its jobs started to when they
/// completed (a batch time that runs a second time, re-run after a failure, in orange, with
/// its batch time); faults as [`REFERENCE`] lines, a driver restart dashed, each labelled.
///
/// # Errors
/// A message when plotters cannot draw.
pub fn recovery_timeline_svg_text(
    title: &str,
    events: &[Event],
    until_ms: u64,
    size: (u32, u32),
) -> Result<String, String> {
    let err = |e: &dyn std::fmt::Display| format!("cannot draw {title}: {e}");
    let mut streams: Vec<String> = Vec::new();
    for e in events {
        if let Event::BlockStored { stream, .. } = e {
            if !streams.contains(stream) {
                streams.push(stream.clone());
            }
        }
    }
    let lanes = streams.len() as f64 + 1.0;
    let x1 = secs(until_ms) * 1.02;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(110)
            .build_cartesian_2d(0.0..x1, 0.0..lanes + 0.6)
            .map_err(|e| err(&e))?;
        let names: Vec<String> = std::iter::once("batch runs".to_string())
            .chain(streams.iter().map(|s| format!("blocks of {s}")))
            .collect();
        chart
            .configure_mesh()
            .x_desc("virtual time (s)")
            .y_labels(0)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| err(&e))?;
        for (i, name) in names.iter().enumerate() {
            chart
                .draw_series(std::iter::once(Text::new(
                    name.clone(),
                    (0.0, i as f64 + 0.95),
                    ("sans-serif", 12).into_font(),
                )))
                .map_err(|e| err(&e))?;
        }
        let blue = RGBColor(30, 90, 200);
        let orange = RGBColor(230, 120, 0);
        let mut seen = std::collections::BTreeSet::new();
        let mut reruns: Vec<(f64, u64, u64)> = Vec::new();
        let most = events
            .iter()
            .filter_map(|e| match e {
                Event::BlockStored { records, .. } => Some(*records),
                _ => None,
            })
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        for e in events {
            match e {
                Event::BlockStored {
                    time,
                    stream,
                    records,
                    ..
                } if time.ms() <= until_ms => {
                    let lane = streams.iter().position(|s| s == stream).unwrap_or(0) as f64 + 1.0;
                    let h = 0.15 + 0.55 * (*records as f64 / most);
                    let x = secs(time.ms());
                    chart
                        .draw_series(LineSeries::new(
                            vec![(x, lane + 0.1), (x, lane + 0.1 + h)],
                            RGBColor(0, 140, 0).stroke_width(2),
                        ))
                        .map_err(|e| err(&e))?;
                }
                Event::BatchCompleted {
                    time,
                    processing_time_ms,
                    total_delay_ms,
                    ..
                } => {
                    let end = time.ms() + total_delay_ms;
                    if end > until_ms {
                        continue;
                    }
                    let start = end.saturating_sub(*processing_time_ms);
                    let rerun = !seen.insert(*time);
                    let colour = if rerun { orange } else { blue };
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(secs(start), 0.2), (secs(end).max(secs(start) + 0.04), 0.7)],
                            colour.filled(),
                        )))
                        .map_err(|e| err(&e))?;
                    if rerun {
                        // Re-runs close together share one label: their first and last
                        // batch times.
                        match reruns.last_mut() {
                            Some((x, _, last)) if secs(start) - *x < 0.5 => *last = time.ms(),
                            _ => reruns.push((secs(start), time.ms(), time.ms())),
                        }
                    }
                }
                Event::WorkerKilled { time, worker, .. } => {
                    mark(
                        &mut chart,
                        secs(time.ms()),
                        lanes,
                        &format!("kill {worker}"),
                        false,
                    )
                    .map_err(|e| err(&e))?;
                }
                Event::DriverKilled { time, .. } => {
                    mark(&mut chart, secs(time.ms()), lanes, "kill driver", false)
                        .map_err(|e| err(&e))?;
                }
                Event::DriverRestarted { time, .. } => {
                    mark(&mut chart, secs(time.ms()), lanes, "driver restarted", true)
                        .map_err(|e| err(&e))?;
                }
                _ => {}
            }
        }
        for (x, first, last) in &reruns {
            let label = if first == last {
                format!("re-run {first} ms")
            } else {
                format!("re-runs {first}..{last} ms")
            };
            chart
                .draw_series(std::iter::once(Text::new(
                    label,
                    (*x + x1 * 0.005, 0.12),
                    ("sans-serif", 11).into_font().color(&orange),
                )))
                .map_err(|e| err(&e))?;
        }
        // The legend: what the colours mean.
        for (i, (label, colour)) in [
            ("batch run", blue),
            ("batch re-run (its batch time)", orange),
            ("block stored (height: records)", RGBColor(0, 140, 0)),
            ("fault", REFERENCE),
        ]
        .iter()
        .enumerate()
        {
            let x = x1 * (0.02 + 0.24 * i as f64);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x, lanes + 0.3), (x + x1 * 0.015, lanes + 0.5)],
                    colour.filled(),
                )))
                .map_err(|e| err(&e))?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label.to_string(),
                    (x + x1 * 0.02, lanes + 0.5),
                    ("sans-serif", 12).into_font(),
                )))
                .map_err(|e| err(&e))?;
        }
        root.present().map_err(|e| err(&e))?;
    }
    Ok(svg)
}

/// A fault's vertical line across every lane, labelled at the top.
fn mark<DB: DrawingBackend>(
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    x: f64,
    lanes: f64,
    label: &str,
    dashed: bool,
) -> Result<(), String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    if dashed {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x, 0.0), (x, lanes)],
                5,
                4,
                REFERENCE.stroke_width(2),
            ))
            .map_err(|x| e(&x))?;
    } else {
        chart
            .draw_series(LineSeries::new(
                vec![(x, 0.0), (x, lanes)],
                REFERENCE.stroke_width(2),
            ))
            .map_err(|x| e(&x))?;
    }
    chart
        .draw_series(std::iter::once(Text::new(
            label.to_string(),
            (x, lanes + 0.15),
            ("sans-serif", 12).into_font().color(&REFERENCE),
        )))
        .map_err(|x| e(&x))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves the chart's reference lines stand out: the batch interval line and a failure's
    /// instant are drawn in [`REFERENCE`], a colour the grid (light greys) never uses.
    #[test]
    fn reference_lines_are_drawn_in_their_own_colour() {
        let points = [BatchPoint {
            time_ms: 1000,
            input_records: 3,
            scheduling_delay_ms: 0,
            processing_time_ms: 200,
            total_delay_ms: 200,
        }];
        let failures = [Failure {
            time_ms: 1500,
            what: "driver".into(),
        }];
        let svg = delays_svg_text(&points, 1000, &failures, &[], (400, 300)).unwrap();
        let RGBColor(r, g, b) = REFERENCE;
        let hex = format!("#{r:02X}{g:02X}{b:02X}");
        // The interval's line, its legend entry, the failure's line and its label.
        assert!(svg.matches(&hex).count() >= 4, "{hex} missing in {svg}");
        let without = delays_svg_text(&points, 1000, &[], &[], (400, 300)).unwrap();
        assert!(without.matches(&hex).count() < svg.matches(&hex).count());
    }
}
