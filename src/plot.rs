//! SVG charts of a run, drawn from its trace with plotters' SVG backend: per batch the
//! delays (total, processing, scheduling) against the batch interval, or the input records,
//! with failures (worker and driver kills) marked on the time axis.
//!
//! Used by the REPL's `plot delays FILE.svg` and `plot records FILE.svg`.

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

/// One series: its label, colour and values.
type Series<'a> = (&'a str, RGBColor, Vec<(f64, f64)>);

fn draw(
    path: &Path,
    title: &str,
    y_desc: &str,
    series: &[Series<'_>],
    failures: &[Failure],
    x: (f64, f64),
) -> Result<(), String> {
    let err = |e: &dyn std::fmt::Display| format!("cannot draw {}: {e}", path.display());
    let y_max = series
        .iter()
        .flat_map(|(_, _, v)| v.iter().map(|p| p.1))
        .fold(1.0_f64, f64::max)
        * 1.15;
    let root = SVGBackend::new(path, (960, 540)).into_drawing_area();
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
                BLACK.mix(0.6).stroke_width(1),
            ))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("kill {} ({}s)", f.what, t),
                (t, y_max * 0.97),
                ("sans-serif", 13).into_font(),
            )))
            .map_err(|e| err(&e))?;
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
            RGBColor(150, 150, 150),
            vec![(x.0, interval), (x.1, interval)],
        ),
    ];
    draw(
        path,
        "Delays per batch",
        "milliseconds",
        &series,
        failures,
        x,
    )
}

/// Input records per batch, failures marked.
///
/// # Errors
/// A message when the file cannot be written.
pub fn records_svg(path: &Path, points: &[BatchPoint], failures: &[Failure]) -> Result<(), String> {
    let x = x_range(points, failures);
    let series = [(
        "input records",
        BLUE,
        points
            .iter()
            .map(|p| (secs(p.time_ms), p.input_records as f64))
            .collect(),
    )];
    draw(
        path,
        "Input records per batch",
        "records",
        &series,
        failures,
        x,
    )
}
