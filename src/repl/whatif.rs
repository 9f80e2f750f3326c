//! `save` (the session as a scenario file) and `whatif` (the same run with one cluster knob
//! changed).

use crate::check;
use crate::models::dstream::{Event, StreamingContext};
use crate::scenario::spec::SourceKind;
use crate::scenario::{RunOptions, Scenario};
use crate::sim::Time;
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// The fault lines of the context's plan (the scenario's, then those injected at the
/// prompt), as a scenario's `faults` string.
pub fn fault_lines(ssc: &StreamingContext) -> String {
    ssc.cluster()
        .config
        .faults
        .faults
        .iter()
        .map(|(at, f)| format!("at {}ms {f}\n", at.ms()))
        .collect()
}

/// The text of a scenario file that replays the session: the scenario's file with
/// `[cluster] faults` set to every fault of the run and relative data paths rewritten for
/// the new file's folder, after a comment saying how to replay it.
///
/// # Errors
/// The scenario file cannot be read or parsed.
pub fn save_text(
    sc: &Scenario,
    options: &RunOptions,
    ssc: &StreamingContext,
    target: &Path,
) -> Result<String, String> {
    let text = std::fs::read_to_string(&sc.path).map_err(|e| {
        format!(
            "save: cannot read the scenario file {}: {e}",
            sc.path.display()
        )
    })?;
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| {
        format!(
            "save: cannot parse the scenario file {}: {e}",
            sc.path.display()
        )
    })?;
    let faults = fault_lines(ssc);
    if !faults.is_empty() {
        let cluster = table
            .entry("cluster")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Table(c) = cluster {
            c.insert("faults".into(), toml::Value::String(faults));
        }
    }
    let from = sc.path.parent().map(Path::to_path_buf).unwrap_or_default();
    let to = target.parent().map(Path::to_path_buf).unwrap_or_default();
    for section in ["sources", "datasets"] {
        if let Some(toml::Value::Table(t)) = table.get_mut(section) {
            rewrite_files(t, &from, &to);
        }
    }
    let body = toml::to_string(&table).map_err(|e| format!("save: {e}"))?;
    let seed = if options.seed == 0 {
        String::new()
    } else {
        format!(" --seed {}", options.seed)
    };
    Ok(format!(
        "# Saved by the stream-sim REPL from {} (comments of the original are not kept).\n# replay: stream-sim repl {}{seed}, then run until {}ms\n{body}",
        sc.path.display(),
        target.display(),
        ssc.now().ms()
    ))
}

/// Rewrites every relative `file = "..."` below `t` (sources, their dropped files, datasets)
/// so that it names the same file from the folder `to` instead of `from`.
fn rewrite_files(t: &mut toml::Table, from: &Path, to: &Path) {
    for (key, value) in t.iter_mut() {
        match value {
            toml::Value::String(s) if key == "file" && Path::new(s.as_str()).is_relative() => {
                let full = from.join(s.as_str());
                *s = relative(&full, to).to_string_lossy().into_owned();
            }
            toml::Value::Table(inner) => rewrite_files(inner, from, to),
            toml::Value::Array(items) => {
                for item in items {
                    if let toml::Value::Table(inner) = item {
                        rewrite_files(inner, from, to);
                    }
                }
            }
            _ => {}
        }
    }
}

/// `target` as seen from the folder `dir` (relative when both resolve, else absolute).
fn relative(target: &Path, dir: &Path) -> PathBuf {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let (Ok(t), Ok(d)) = (target.canonicalize(), dir.canonicalize()) else {
        return std::path::absolute(target).unwrap_or_else(|_| target.to_path_buf());
    };
    let tc: Vec<Component> = t.components().collect();
    let dc: Vec<Component> = d.components().collect();
    let common = tc.iter().zip(&dc).take_while(|(a, b)| a == b).count();
    if common <= 1 {
        // Only the root in common: the absolute path reads better than ../../..
        return t;
    }
    let mut out = PathBuf::new();
    for _ in common..dc.len() {
        out.push("..");
    }
    for c in &tc[common..] {
        out.push(c.as_os_str());
    }
    out
}

/// The knob a `whatif` changes, applied to a scenario; `Err` when it is invalid or already
/// set that way.
fn apply(sc: &mut Scenario, knob: &str, value: &str) -> Result<String, String> {
    let on_off = |v: &str| match v {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        other => Err(format!(
            "whatif: {knob} takes on or off, found `{other}`; e.g. 'whatif {knob} on'"
        )),
    };
    match knob {
        "wal" => {
            let on = on_off(value)?;
            if on && sc.checkpoint.is_none() {
                return Err("whatif: the write-ahead log needs a checkpoint directory, and this scenario has none ([context] checkpoint)".into());
            }
            if sc.cluster.wal == on {
                return Err(format!("whatif: the write-ahead log is already {value}"));
            }
            sc.cluster.wal = on;
            Ok(format!("write-ahead log {value}"))
        }
        "replication" => {
            let n: usize = value.parse().ok().filter(|n| (1..=sc.cluster.workers).contains(n)).ok_or_else(|| {
                format!(
                    "whatif: replication is between 1 (off) and the number of workers ({}), found `{value}`; e.g. 'whatif replication 1'",
                    sc.cluster.workers
                )
            })?;
            if sc.cluster.replication == n {
                return Err(format!("whatif: replication is already {n}"));
            }
            sc.cluster.replication = n;
            Ok(format!("replication {n}"))
        }
        "reliable" => {
            let on = on_off(value)?;
            let mut found = 0;
            let mut changed = 0;
            for src in &mut sc.sources {
                if let SourceKind::Socket { reliable, .. } | SourceKind::Csv { reliable, .. } =
                    &mut src.kind
                {
                    found += 1;
                    if *reliable != on {
                        changed += 1;
                    }
                    *reliable = on;
                }
            }
            if found == 0 {
                return Err("whatif: this scenario has no receiver (socketTextStream or csvEventStream) to make reliable or not".into());
            }
            if changed == 0 {
                return Err(format!("whatif: every receiver is already reliable = {on}"));
            }
            Ok(format!("reliable receivers {value}"))
        }
        other => Err(format!(
            "whatif: unknown knob `{other}`; knobs are wal on|off, replication N, reliable on|off"
        )),
    }
}

type Outputs = BTreeMap<(usize, Time), (String, Vec<String>)>;

/// Output operations' results by (operation, batch), up to `until`; the last execution of a
/// batch counts.
fn outputs(events: &[Event], until: Time) -> Outputs {
    let mut out = Outputs::new();
    for e in events {
        if let Event::Output {
            time,
            index,
            op,
            stream,
            lines,
        } = e
        {
            if *time <= until {
                out.insert((*index, *time), (format!("{op}({stream})"), lines.clone()));
            }
        }
    }
    out
}

/// `whatif <knob> <value>`.
///
/// # Errors
/// A bad knob or value, or a build failure.
pub fn whatif(
    sc: &Scenario,
    options: &RunOptions,
    ssc: &StreamingContext,
    knob: &str,
    value: &str,
    interrupt: &AtomicBool,
) -> Result<String, String> {
    let now = ssc.now();
    if ssc.last_batch().is_none() {
        return Err("whatif: no batch has run yet; run `step` first".into());
    }
    let mut current = sc.clone();
    current.cluster = ssc.cluster().config;
    let mut changed = current.clone();
    let what = apply(&mut changed, knob, value)?;
    let built = changed.build(options).map_err(|e| format!("whatif: {e}"))?;
    // Batch by batch (as the session got here), so that Ctrl-C can stop the rerun.
    let mut failed = None;
    while built.ssc.next_batch_time().is_some_and(|t| t <= now) {
        if interrupt.load(Ordering::SeqCst) {
            return Err(format!(
                "whatif: interrupted at {} of the rerun (Ctrl-C); nothing changed, the session continues",
                built.ssc.now()
            ));
        }
        match built.ssc.step() {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    if failed.is_none() {
        failed = built.ssc.run_until(now).err();
    }
    if let Some(e) = failed {
        return Ok(format!(
            "what if: {what} (same seed, same faults): the what-if run failed by {now}: {e}"
        ));
    }
    // Both runs are judged on the same horizon, by output batches and by records: each is
    // run past now (the restart delays and three batches) so that data replayed after a
    // failure comes through, and each is compared record by record with the scenario
    // without faults.
    let ours = check::verify(&current, options, now).map_err(|e| format!("whatif: {e}"))?;
    let theirs = check::verify(&changed, options, now).map_err(|e| format!("whatif: {e}"))?;
    let end = ours.end.min(theirs.end);
    let a = outputs(&ours.trace, end);
    let b = outputs(&theirs.trace, end);
    let mut keys: Vec<&(usize, Time)> = a.keys().chain(b.keys()).collect();
    keys.sort_by_key(|(op, t)| (*t, *op));
    keys.dedup();
    let mut lines = vec![format!(
        "what if: {what} (same seed, same faults); both runs continued to {end} (now is {now}) so that data replayed after a failure comes through"
    )];
    const MAX: usize = 20;
    let mut differ = 0usize;
    for key in &keys {
        let (x, y) = (a.get(key), b.get(key));
        let name = x.or(y).map(|(n, _)| n.as_str()).unwrap_or("?");
        let verdict = match (x, y) {
            (Some((_, x)), Some((_, y))) if x == y => continue,
            (Some(_), Some(_)) => "DIFFERS",
            (Some(_), None) => "DIFFERS (no output in the what-if run)",
            (None, Some(_)) => "DIFFERS (no output in this session's run)",
            (None, None) => continue,
        };
        differ += 1;
        if differ <= MAX {
            lines.push(format!("  {} {name}: {verdict}", key.1));
        }
    }
    if differ > MAX {
        lines.push(format!("  ... ({} more)", differ - MAX));
    }
    lines.push(format!(
        "by output batches: {differ} of {} differ (up to {end})",
        keys.len()
    ));
    lines.push(format!(
        "by records (each run against the scenario without faults; the records of the batches up to {now}):"
    ));
    lines.push(format!("  this session: {}", ours.verdict));
    lines.push(format!("  what if:      {}", theirs.verdict));
    if differ == 0 && ours.verdict != theirs.verdict {
        lines.push("the output batches are the same while the records are not: an output operation that prints a count, or only the first records, can look the same with records lost or written twice; judge by records".into());
    }
    Ok(lines.join("\n"))
}
