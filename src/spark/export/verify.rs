//! `stream-sim export SCENARIO --verify`: runs the exported program on local Spark (its
//! manual-clock run, `--verify` capture on) and compares every output's batches with the
//! simulator's fault-free run: the batch times, the partition counts, and the printed text of
//! every record per batch as a multiset (record order inside a shuffled partition is Spark's
//! hash table's; which partition a tuple key lands in differs too: ARCHITECTURE.md, "Where we
//! differ"), as tests/spark_diff.rs compares the fuzzer's cases.
//!
//! Spark is `$SPARK_HOME`, or the PySpark venv of /work/shared/oracle/setup.sh
//! (`~/.cache/stream-sim-oracle/venv`, or `$STREAM_SIM_ORACLE_VENV`). This module reads the
//! wall clock only to bound Spark's run ([`SPARK_TIMEOUT_S`]); the simulation never sees it.

use super::{export, write_dir, Batch, Plan, Target};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The longest a Spark run may take before it is stopped: 900 s.
pub const SPARK_TIMEOUT_S: u64 = 900;

/// How a verification ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every output agrees, batch by batch (the number of batches compared).
    Agree(usize),
    /// The first difference, in words.
    Differ(String),
    /// Spark is not available (how to get it).
    Unavailable(String),
    /// Spark ran but did not finish the program (the log's tail).
    Failed(String),
}

/// Where Spark is: `(SPARK_HOME, the venv's python if any)`.
///
/// # Errors
/// Neither `$SPARK_HOME/bin/spark-shell` nor the oracle venv exists: how to get one.
pub fn find_spark() -> Result<(PathBuf, Option<PathBuf>), String> {
    let venv = std::env::var_os("STREAM_SIM_ORACLE_VENV")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/stream-sim-oracle/venv"))
        });
    let venv_python = venv
        .as_ref()
        .map(|v| v.join("bin/python"))
        .filter(|p| p.is_file());
    if let Some(home) = std::env::var_os("SPARK_HOME").map(PathBuf::from) {
        if home.join("bin/spark-shell").is_file() {
            return Ok((home, venv_python));
        }
    }
    if let Some(v) = &venv {
        if let Ok(rd) = std::fs::read_dir(v.join("lib")) {
            let mut libs: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            libs.sort();
            for l in libs {
                let home = l.join("site-packages/pyspark");
                if home.join("bin/spark-shell").is_file() {
                    return Ok((home, venv_python));
                }
            }
        }
    }
    Err("Spark is not available: set SPARK_HOME to a Spark 3.5 installation, or run /work/shared/oracle/setup.sh (it installs PySpark 3.5.3 into ~/.cache/stream-sim-oracle/venv); Java 17 must be on the PATH".into())
}

/// Parses the program's `@@stream-sim` lines: per output (1-based), its batches.
pub fn parse_capture(stdout: &str) -> (BTreeMap<usize, Vec<Batch>>, bool) {
    let mut out: BTreeMap<usize, Vec<Batch>> = BTreeMap::new();
    let mut ended = false;
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("@@stream-sim ") else {
            continue;
        };
        let mut f = rest.splitn(5, ' ');
        let kind = f.next().unwrap_or("");
        if kind == "end" {
            ended = true;
            continue;
        }
        let op: usize = f.next().and_then(|x| x.parse().ok()).unwrap_or(0);
        let t: u64 = f.next().and_then(|x| x.parse().ok()).unwrap_or(0);
        let n: usize = f.next().and_then(|x| x.parse().ok()).unwrap_or(0);
        let batches = out.entry(op).or_default();
        match kind {
            "out" => batches.push((t, vec![Vec::new(); n])),
            "rec" => {
                let text = unescape(f.next().unwrap_or(""));
                if let Some((_, parts)) = batches.iter_mut().rev().find(|(bt, _)| *bt == t) {
                    if let Some(p) = parts.get_mut(n) {
                        p.push(text);
                    }
                }
            }
            _ => {}
        }
    }
    (out, ended)
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The first difference between the simulator's and Spark's batches of every output, or
/// `None` when they agree.
pub fn first_difference(plan: &Plan, spark: &BTreeMap<usize, Vec<Batch>>) -> Option<String> {
    for o in &plan.outputs {
        let sim = &plan.sim.outputs[o.index - 1];
        let empty = Vec::new();
        let got = spark.get(&o.index).unwrap_or(&empty);
        let what = format!("output {} (`{}` at {})", o.index, o.text, o.at);
        for i in 0..sim.len().max(got.len()) {
            match (sim.get(i), got.get(i)) {
                (Some((t, _)), None) => {
                    return Some(format!(
                        "{what}: the simulator has a batch at {t} ms, Spark has none"
                    ))
                }
                (None, Some((t, _))) => {
                    return Some(format!(
                        "{what}: Spark has a batch at {t} ms, the simulator has none"
                    ))
                }
                (Some((ts, ps)), Some((tg, pg))) => {
                    if ts != tg {
                        return Some(format!(
                            "{what}: batch {} is at {ts} ms in the simulator, at {tg} ms in Spark",
                            i + 1
                        ));
                    }
                    if ps.len() != pg.len() {
                        return Some(format!(
                            "{what}, batch {ts} ms: {} partitions in the simulator, {} in Spark",
                            ps.len(),
                            pg.len()
                        ));
                    }
                    fn count(parts: &[Vec<String>]) -> BTreeMap<&str, i64> {
                        let mut m: BTreeMap<&str, i64> = BTreeMap::new();
                        for r in parts.iter().flatten() {
                            *m.entry(r.as_str()).or_default() += 1;
                        }
                        m
                    }
                    let (a, b) = (count(ps), count(pg));
                    if a != b {
                        let mut only_sim = Vec::new();
                        let mut only_spark = Vec::new();
                        for (k, n) in &a {
                            let m = b.get(k).copied().unwrap_or(0);
                            if *n > m {
                                only_sim.push(format!("{k} x{}", n - m));
                            }
                        }
                        for (k, n) in &b {
                            let m = a.get(k).copied().unwrap_or(0);
                            if *n > m {
                                only_spark.push(format!("{k} x{}", n - m));
                            }
                        }
                        let show = |v: &[String]| {
                            let mut s = v.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
                            if v.len() > 5 {
                                s.push_str(&format!(", ... ({} more)", v.len() - 5));
                            }
                            if s.is_empty() {
                                s = "nothing".into();
                            }
                            s
                        };
                        return Some(format!(
                            "{what}, batch {ts} ms: only in the simulator: {}; only in Spark: {}",
                            show(&only_sim),
                            show(&only_spark)
                        ));
                    }
                }
                (None, None) => {}
            }
        }
    }
    None
}

/// Exports `plan` to a directory (`keep`, or a temporary one), runs it on local Spark, and
/// compares.
pub fn verify(plan: &Plan, target: Target, keep: Option<&Path>) -> Outcome {
    verify_many(std::slice::from_ref(plan), target, keep)
        .pop()
        .unwrap_or_else(|| Outcome::Failed("no result".into()))
}

/// Verifies several scenarios; for Scala in ONE spark-shell (its start-up costs ~15 s of
/// two cores: each program is pasted into the same shell, in its own package), for PySpark
/// one Python process each. Each program is written under `dir/<scenario>/`.
pub fn verify_many(plans: &[Plan], target: Target, keep: Option<&Path>) -> Vec<Outcome> {
    let (home, python) = match find_spark() {
        Ok(x) => x,
        Err(m) => {
            return plans
                .iter()
                .map(|_| Outcome::Unavailable(m.clone()))
                .collect()
        }
    };
    let root = match keep {
        Some(d) => d.to_path_buf(),
        None => std::env::temp_dir().join(format!("stream-sim-verify-{}", std::process::id())),
    };
    let mut outcomes: Vec<Option<Outcome>> = vec![None; plans.len()];
    let mut dirs = Vec::new();
    let mut mains = Vec::new();
    for (i, plan) in plans.iter().enumerate() {
        let dir = if plans.len() == 1 {
            root.clone()
        } else {
            root.join(&plan.scenario.name)
        };
        let ex = export(plan, target).and_then(|ex| write_dir(&ex, &dir).map(|()| ex));
        match ex {
            Ok(ex) => {
                let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
                mains.push(dir.join(&ex.main_files[0]));
                dirs.push(dir);
            }
            Err(m) => {
                outcomes[i] = Some(Outcome::Failed(m));
                mains.push(PathBuf::new());
                dirs.push(dir);
            }
        }
    }
    let runs: Vec<usize> = (0..plans.len())
        .filter(|i| outcomes[*i].is_none())
        .collect();
    let mut sections: BTreeMap<usize, String> = BTreeMap::new();
    match target {
        Target::Scala => {
            // One spark-shell per default parallelism (spark.default.parallelism is fixed
            // when the shell's SparkContext starts): usually one for all.
            let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
            for &i in &runs {
                groups
                    .entry(plans[i].scenario.default_parallelism)
                    .or_default()
                    .push(i);
            }
            for (par, group) in groups {
                let mut script = String::from("sc.setLogLevel(\"ERROR\")\n");
                for &i in &group {
                    script.push_str(&format!(
                        ":paste -raw {}\nConsole.flush()\nprintln(\"@@stream-sim begin {i}\")\nstreamsim.{}.{}.runLocal({:?}, true)\nConsole.flush()\n",
                        mains[i].display(),
                        super::scala::package(&plans[i]),
                        plans[i].object_name,
                        dirs[i].join("data").display().to_string()
                    ));
                }
                script.push_str("System.exit(0)\n");
                let tag = if par == 2 {
                    String::new()
                } else {
                    format!("-p{par}")
                };
                let driver = root.join(format!("verify-driver{tag}.scala"));
                if let Err(e) =
                    std::fs::create_dir_all(&root).and_then(|()| std::fs::write(&driver, script))
                {
                    return vec![
                        Outcome::Failed(format!("{}: {e}", driver.display()));
                        plans.len()
                    ];
                }
                let mut c = Command::new(home.join("bin/spark-shell"));
                c.args([
                    "--master",
                    "local[2]",
                    "--conf",
                    "spark.ui.enabled=false",
                    "--conf",
                    "spark.streaming.clock=org.apache.spark.util.ManualClock",
                    "--conf",
                ])
                .arg(format!("spark.default.parallelism={par}"))
                .arg("-I")
                .arg(&driver);
                match run(c, &home, &root, &tag, group.len() as u64 * SPARK_TIMEOUT_S) {
                    Ok(stdout) => {
                        let mut cur = None;
                        for line in stdout.lines() {
                            if let Some(k) = line.strip_prefix("@@stream-sim begin ") {
                                cur = k.trim().parse::<usize>().ok();
                                continue;
                            }
                            if let Some(k) = cur {
                                let s = sections.entry(k).or_default();
                                s.push_str(line);
                                s.push('\n');
                            }
                        }
                    }
                    Err(o) => {
                        for &i in &group {
                            outcomes[i] = Some(o.clone());
                        }
                    }
                }
            }
        }
        Target::PySpark => {
            for &i in &runs {
                let mut c = match &python {
                    Some(p) => Command::new(p),
                    None => Command::new(home.join("bin/spark-submit")),
                };
                c.arg(&mains[i])
                    .arg("--local")
                    .arg(dirs[i].join("data"))
                    .arg("--verify");
                if let Some(p) = &python {
                    c.env("PYSPARK_PYTHON", p);
                }
                match run(c, &home, &dirs[i], "", SPARK_TIMEOUT_S) {
                    Ok(stdout) => {
                        sections.insert(i, stdout);
                    }
                    Err(o) => outcomes[i] = Some(o),
                }
            }
        }
    }
    for &i in &runs {
        if outcomes[i].is_some() {
            continue;
        }
        let text = sections.get(&i).cloned().unwrap_or_default();
        let (spark, ended) = parse_capture(&text);
        outcomes[i] = Some(if !ended {
            let tail: Vec<&str> = text
                .lines()
                .filter(|l| l.contains("error") || l.contains("Exception") || l.contains("Error"))
                .take(12)
                .collect();
            Outcome::Failed(format!(
                "Spark did not finish the program (its output is in {}):\n{}",
                root.display(),
                tail.join("\n")
            ))
        } else {
            match first_difference(&plans[i], &spark) {
                None => Outcome::Agree(plans[i].sim.outputs.iter().map(Vec::len).sum()),
                Some(d) => Outcome::Differ(d),
            }
        });
    }
    outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Outcome::Failed("not run".into())))
        .collect()
}

/// Runs `cmd` in `dir` with its output in `dir/spark-stdout.txt` and `spark-stderr.txt`,
/// stopping it after `timeout_s`; returns its stdout.
fn run(
    mut cmd: Command,
    home: &Path,
    dir: &Path,
    tag: &str,
    timeout_s: u64,
) -> Result<String, Outcome> {
    cmd.env("SPARK_HOME", home).current_dir(dir);
    let out_path = dir.join(format!("spark-stdout{tag}.txt"));
    let err_path = dir.join(format!("spark-stderr{tag}.txt"));
    let (Ok(out_f), Ok(err_f)) = (
        std::fs::File::create(&out_path),
        std::fs::File::create(&err_path),
    ) else {
        return Err(Outcome::Failed(format!(
            "cannot write {}",
            out_path.display()
        )));
    };
    cmd.stdin(Stdio::null()).stdout(out_f).stderr(err_f);
    let mut child = cmd.spawn().map_err(|e| {
        Outcome::Unavailable(format!("cannot start Spark ({e}); is Java 17 on the PATH?"))
    })?;
    let start = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed().as_secs() > timeout_s => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Outcome::Failed(format!(
                    "Spark did not finish in {timeout_s} s (SPARK_TIMEOUT_S per program); see {}",
                    out_path.display()
                )));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(200)),
            Err(e) => return Err(Outcome::Failed(e.to_string())),
        }
    }
    Ok(std::fs::read_to_string(&out_path).unwrap_or_default())
}

/// The `export --verify` command over `names`: prepares each scenario (one that cannot be
/// exported is reported, not run), verifies the others in one Spark start, prints one line
/// per scenario through `say`, and writes the outcomes to `record` as JSON. Returns the exit
/// code: 0 when every exported scenario agrees, 2 when Spark is not available, 1 otherwise.
///
/// # Errors
/// A single scenario that cannot be exported; the record file cannot be written.
pub fn command(
    names: &[String],
    target: Target,
    keep: Option<&Path>,
    record: Option<&Path>,
    say: &mut dyn FnMut(String),
) -> Result<i32, String> {
    let mut plans = Vec::new();
    let mut rows: Vec<(String, Result<usize, String>)> = Vec::new();
    for n in names {
        match super::prepare(n) {
            Ok(p) => {
                for l in &p.left_out {
                    eprintln!("export {}: left out: {l}", p.scenario.name);
                }
                rows.push((p.scenario.name.clone(), Ok(plans.len())));
                plans.push(p);
            }
            Err(e) if names.len() == 1 => return Err(e),
            Err(e) => rows.push((n.clone(), Err(e))),
        }
    }
    let outcomes = verify_many(&plans, target, keep);
    let mut code = 0;
    let mut json = Vec::new();
    for (name, r) in &rows {
        let (outcome, detail, left_out, batches) = match r {
            Err(e) => ("not-exported", e.clone(), Vec::new(), 0),
            Ok(i) => {
                let lo = plans[*i].left_out.clone();
                match &outcomes[*i] {
                    Outcome::Agree(n) => ("agree", String::new(), lo, *n),
                    Outcome::Differ(d) => {
                        code = code.max(1);
                        ("differ", d.clone(), lo, 0)
                    }
                    Outcome::Failed(m) => {
                        code = code.max(1);
                        ("failed", m.clone(), lo, 0)
                    }
                    Outcome::Unavailable(m) => {
                        eprintln!("stream-sim: {m}");
                        return Ok(2);
                    }
                }
            }
        };
        say(match outcome {
            "agree" => {
                format!("{name}: Spark and the simulator agree on all {batches} output batches")
            }
            "differ" => format!("{name}: first difference: {detail}"),
            "failed" => format!("{name}: Spark failed: {detail}"),
            _ => format!("{name}: not exported: {detail}"),
        });
        json.push(serde_json::json!({
            "scenario": name,
            "outcome": outcome,
            "output_batches": batches,
            "detail": detail,
            "left_out": left_out,
        }));
    }
    if let Some(p) = record {
        let doc = serde_json::json!({
            "spark": "3.5.3 local[2], spark.streaming.clock = ManualClock",
            "target": match target { Target::Scala => "scala", Target::PySpark => "pyspark" },
            "scenarios": json,
        });
        let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
        std::fs::write(p, text + "\n").map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(code)
}
