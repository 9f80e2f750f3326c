//! `predict <stream>`: the REPL asks for the stream's next output, then runs the batch and
//! grades the answer record by record.

use super::args::{plural, usage};
use super::session::Session;
use crate::models::dstream::{Event, StreamId};
use std::collections::BTreeMap;

impl Session {
    pub(super) fn ask(&mut self, args: &[&str]) -> Result<String, String> {
        let [name] = args else {
            return Err(usage("predict"));
        };
        let id = self.find_stream("predict", name)?;
        self.check_active("predict")?;
        let next = self
            .built
            .ssc
            .next_batch_time()
            .map_or_else(|| "the next batch".to_string(), |t| t.to_string());
        self.predict = Some(id);
        self.predict_at = self.built.ssc.next_batch_time();
        Ok(format!(
            "predict: what will `{name}` output at {next}? Type its records on the next line as print() shows them, separated by spaces (or by `;` when a record holds a space); an empty line or `none` for no records, `cancel` to give up"
        ))
    }

    /// Grades the answer to `predict`: runs the batch and compares multisets of records.
    pub(super) fn grade(&mut self, stream: StreamId, answer: &str) -> Result<String, String> {
        if answer == "cancel" {
            return Ok("predict: cancelled; nothing ran".into());
        }
        let ssc = self.built.ssc.clone();
        let label = ssc.with_graph(|g| g.node(stream).label());
        let printed = ssc
            .outputs()
            .iter()
            .any(|(s, op)| *s == stream && op == "print");
        let from = ssc.trace_len();
        let mut out = super::session::Lines::new();
        let horizon = ssc.now();
        if !self.run_batch(&mut out, horizon) {
            return Err(format!("predict: no batch ran\n{}", out.text()));
        }
        let Some(t) = ssc.last_batch() else {
            return Err("predict: no batch ran".into());
        };
        if let Some(asked) = self.predict_at.take() {
            if t != asked {
                // Grading another batch (the last completed one) would be wrong.
                out.push(format!(
                    "predict: the batch at {asked} did not complete (its jobs are queued behind earlier ones or have no free core; see `metrics`), so nothing is graded; the last completed batch is {t}"
                ));
                return Ok(out.into_text());
            }
        }
        let events = ssc.trace_since(from);
        let actual: Vec<String> = if printed {
            events
                .iter()
                .find_map(|e| match e {
                    Event::Output {
                        op,
                        stream: s,
                        lines,
                        ..
                    } if op == "print" && *s == label => Some(
                        lines
                            .iter()
                            .skip(3)
                            .filter(|l| !l.is_empty() && l.as_str() != "...")
                            .cloned()
                            .collect(),
                    ),
                    _ => None,
                })
                .unwrap_or_default()
        } else {
            ssc.with_graph(|g| {
                g.node(stream)
                    .generated()
                    .get(&t)
                    .map(|rdd| rdd.iter().map(ToString::to_string).collect())
                    .unwrap_or_default()
            })
        };
        let guess = split_records(answer);
        let count = |v: &[String]| {
            let mut m: BTreeMap<String, usize> = BTreeMap::new();
            for r in v {
                *m.entry(r.clone()).or_default() += 1;
            }
            m
        };
        let (want, got) = (count(&actual), count(&guess));
        let mut lines = out;
        let what = if printed {
            "the records print() showed"
        } else {
            "the records of its RDD"
        };
        if want == got {
            lines.push(format!(
                "predict: correct: {} record{} of `{label}` at {t}, exactly {what}",
                actual.len(),
                plural(actual.len())
            ));
        } else {
            lines.push(format!(
                "predict: not quite: {what} of `{label}` at {t} differ"
            ));
            let missed: Vec<String> = diff(&want, &got);
            let extra: Vec<String> = diff(&got, &want);
            if !missed.is_empty() {
                lines.push(format!("  you missed:        {}", missed.join(" ")));
            }
            if !extra.is_empty() {
                lines.push(format!("  not in the output: {}", extra.join(" ")));
            }
        }
        Ok(lines.into_text())
    }
}

/// Records in `a` more often than in `b` (each as many times as the surplus).
fn diff(a: &BTreeMap<String, usize>, b: &BTreeMap<String, usize>) -> Vec<String> {
    let mut out = Vec::new();
    for (r, n) in a {
        let m = b.get(r).copied().unwrap_or(0);
        for _ in m..*n {
            out.push(r.clone());
        }
    }
    out
}

/// Splits a `predict` answer into records: by `;` if there is one, else by spaces outside
/// parentheses and brackets. `none` and an empty line are no records.
fn split_records(answer: &str) -> Vec<String> {
    let answer = answer.trim();
    if answer.is_empty() || answer == "none" {
        return Vec::new();
    }
    if answer.contains(';') {
        return answer
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
    }
    let mut out = Vec::new();
    let mut depth = 0i64;
    let mut cur = String::new();
    for c in answer.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            _ => {}
        }
        if c.is_whitespace() && depth <= 0 {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}
