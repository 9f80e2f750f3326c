//! The REPL's inspection commands: `streams`, `show`, `lineage`, `window`, `state` and
//! `blocks` (with where each block is stored now). Each reads the context (never changes
//! it) and returns the text to print, or a message starting with the command's name when
//! there is nothing to show and why.

use super::args::table;
use crate::models::dstream::{Graph, InputKind, Op};
use crate::models::dstream::{StreamId, StreamingContext};
use crate::sim::Time;
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Records shown per partition by `show`.
const SHOW_RECORDS: usize = 20;
/// Records shown per batch by `window`.
const WINDOW_RECORDS: usize = 10;
/// Keys shown by `state`.
const MAX_KEYS: usize = 100;
/// Keys shown by `window` (before/after).
const WINDOW_KEYS: usize = 40;

/// `streams`: the graph, one line per node, in id order.
pub fn streams(ssc: &StreamingContext) -> String {
    let outputs = ssc.outputs();
    ssc.with_graph(|g| {
        let mut rows: Vec<Vec<String>> = vec![[
            "id",
            "stream",
            "class",
            "operator",
            "parents",
            "slide",
            "remember",
            "checkpoint",
            "output",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()];
        for n in g.nodes() {
            let parents = if n.parents.is_empty() {
                "-".to_string()
            } else {
                n.parents.iter().map(|&p| g.node(p).label()).collect::<Vec<_>>().join(",")
            };
            let outs: Vec<String> = outputs
                .iter()
                .filter(|(s, _)| *s == n.id())
                .map(|(_, name)| format!("{name}()"))
                .collect();
            rows.push(vec![
                n.id().to_string(),
                n.label(),
                n.op.spark_class().to_string(),
                n.op.describe(),
                parents,
                n.slide.to_string(),
                n.remember.to_string(),
                n.checkpoint_interval.map_or_else(|| "-".to_string(), |c| c.to_string()),
                if outs.is_empty() { String::new() } else { format!("<- {}", outs.join(", ")) },
            ]);
        }
        let mut text = table(&rows);
        let named = g.nodes().iter().filter(|n| n.name.is_some()).count();
        text.push_str(&format!(
            "\n{} streams ({} named, {} internal steps of composite operators); {} output operation{}",
            g.nodes().len(),
            named,
            g.nodes().len() - named,
            outputs.len(),
            if outputs.len() == 1 { "" } else { "s" }
        ));
        text
    })
}

/// `show <stream> [time]`.
pub fn show(ssc: &StreamingContext, id: StreamId, t: Time) -> Result<String, String> {
    let last = ssc.last_batch();
    ssc.with_graph(|g| {
        let n = g.node(id);
        let Some(rdd) = n.generated().get(&t) else {
            return Err(format!("show: {}", missing(g, last, id, t)));
        };
        let mut lines = vec![format!(
            "`{}` ({}, {}) at {t}: RDD {}, {} partition{}, {} record{}, lineage depth {}{}",
            n.label(),
            n.op.spark_class(),
            n.op.describe(),
            rdd.id(),
            rdd.num_partitions(),
            plural(rdd.num_partitions()),
            rdd.count(),
            plural(rdd.count()),
            rdd.lineage().depth(),
            match rdd.partitioner() {
                Some(p) => format!(", hash-partitioned into {p}"),
                None => String::new(),
            }
        )];
        for (i, p) in rdd.partitions().iter().enumerate() {
            let head = format!("partition {i} ({} record{})", p.len(), plural(p.len()));
            if p.is_empty() {
                lines.push(head);
            } else {
                lines.push(format!(
                    "{head}: {}",
                    records(p.iter(), p.len(), SHOW_RECORDS)
                ));
            }
        }
        Ok(lines.join("\n"))
    })
}

/// `lineage <stream> [time]`.
pub fn lineage(ssc: &StreamingContext, id: StreamId, t: Time) -> Result<String, String> {
    let last = ssc.last_batch();
    ssc.with_graph(|g| {
        let n = g.node(id);
        let Some(rdd) = n.generated().get(&t) else {
            return Err(format!("lineage: {}", missing(g, last, id, t)));
        };
        Ok(format!(
            "lineage of `{}` at {t} (RDD {}, depth {}):\n{}",
            n.label(),
            rdd.id(),
            rdd.lineage().depth(),
            rdd.lineage().render(8).trim_end()
        ))
    })
}

/// `window <stream> [time]`.
///
/// With `latest`, a `t` off the window's slide shows the latest window at or before `t`
/// instead (`window <stream>` after a batch that computed no window).
pub fn window(
    ssc: &StreamingContext,
    id: StreamId,
    t: Time,
    latest: bool,
) -> Result<String, String> {
    let last = ssc.last_batch();
    let batch = ssc.config().batch_interval;
    ssc.with_graph(|g| {
        let mut lines = Vec::new();
        let Some(w) = nearest_window(g, id) else {
            let windowed: Vec<String> = g.nodes().iter().filter(|n| is_window(&n.op)).map(|n| n.label()).collect();
            let list = if windowed.is_empty() {
                "this scenario has none".to_string()
            } else {
                format!("windowed streams are: {}", windowed.join(", "))
            };
            return Err(format!(
                "window: `{}` is not a windowed stream and is not built on one; {list}",
                g.node(id).label()
            ));
        };
        let node = g.node(w);
        let mut t = t;
        let asked = t;
        if latest && !g.is_time_valid(w, t) {
            let steps = node.slide.ms() / batch.ms().max(1) + 1;
            let mut at = Some(t);
            for _ in 0..steps {
                match at {
                    Some(x) if g.is_time_valid(w, x) => break,
                    Some(x) => at = x.checked_minus(batch),
                    None => break,
                }
            }
            if let Some(x) = at.filter(|x| g.is_time_valid(w, *x)) {
                t = x;
                lines.push(format!(
                    "{asked} is not on `{}`'s slide ({}); showing its latest window, at {t}",
                    node.label(),
                    node.slide
                ));
            }
        }
        if w != id {
            lines.push(format!(
                "`{}` is computed from the windowed stream `{}` ({}); showing that window",
                g.node(id).label(),
                node.label(),
                node.op.describe()
            ));
        }
        if !g.is_time_valid(w, t) || !matches!(last, Some(l) if t <= l) {
            return Err(format!("window: {}", missing(g, last, w, t)));
        }
        let Some(&parent) = node.parents.first() else {
            return Err(format!("window: `{}` has no parent stream", node.label()));
        };
        let pnode = g.node(parent);
        let times = g.window_times(w, t).unwrap_or_default();
        lines.push(format!(
            "`{}` = {} ({}, slide {}) at {t} covers {} of `{}` (slide {}){}",
            node.label(),
            node.op.describe(),
            node.op.spark_class(),
            node.slide,
            count_of(times.len(), "batch", "batches"),
            pnode.label(),
            pnode.slide,
            span_of(&times)
        ));
        for bt in &times {
            match pnode.generated().get(bt) {
                Some(r) if r.count() == 0 => lines.push(format!("  {bt}: 0 records")),
                Some(r) => lines.push(format!(
                    "  {bt}: {}: {}",
                    count_of(r.count(), "record", "records"),
                    records(r.iter(), r.count(), WINDOW_RECORDS)
                )),
                None => lines.push(format!("  {bt}: {}", reason(g, last, parent, *bt))),
            }
        }
        let prev_t = t.checked_minus(node.slide).filter(|p| g.is_time_valid(w, *p));
        let Some(prev_t) = prev_t else {
            lines.push("this is the first window: every batch in it is new".into());
            return Ok(lines.join("\n"));
        };
        let prev_times = g.window_times(w, prev_t).unwrap_or_default();
        let entering: Vec<Time> = times.iter().filter(|x| !prev_times.contains(x)).copied().collect();
        let leaving: Vec<Time> = prev_times.iter().filter(|x| !times.contains(x)).copied().collect();
        lines.push(format!(
            "versus the previous window at {prev_t}: entering {}; leaving {}",
            list_times(&entering),
            list_times(&leaving)
        ));
        if let Op::ReducedWindow { reduce, inverse, .. } = &node.op {
            lines.push(format!(
                "incremental: value at {t} = value at {prev_t}, minus ({}) the leaving batches, plus ({}) the entering ones",
                inverse.name(),
                reduce.name()
            ));
            let before = node.generated().get(&prev_t).map(|r| pairs(r.iter()));
            let after = node.generated().get(&t).map(|r| pairs(r.iter()));
            match (before, after) {
                (Some(before), Some(after)) => {
                    lines.push(format!("per key (before at {prev_t} -> after at {t}):"));
                    lines.extend(key_changes(&before, &after, WINDOW_KEYS));
                }
                (None, _) => lines.push(format!("values before: {}", reason(g, last, w, prev_t))),
                (_, None) => lines.push(format!("values after: {}", reason(g, last, w, t))),
            }
        }
        Ok(lines.join("\n"))
    })
}

/// `state <stream> [key]`.
pub fn state(ssc: &StreamingContext, id: StreamId, key: Option<&str>) -> Result<String, String> {
    let last = ssc.last_batch();
    ssc.with_graph(|g| {
        let n = g.node(id);
        if !matches!(n.op, Op::UpdateState { .. }) {
            let states: Vec<String> = g
                .nodes()
                .iter()
                .filter(|n| matches!(n.op, Op::UpdateState { .. }))
                .map(|n| n.label())
                .collect();
            let list = if states.is_empty() {
                "this scenario has none".to_string()
            } else {
                format!("state streams are: {}", states.join(", "))
            };
            return Err(format!(
                "state: `{}` is not an updateStateByKey stream (it is {} {}); {list}",
                n.label(),
                n.op.spark_class(),
                n.op.describe()
            ));
        }
        let Some(l) = last else {
            return Err("state: no batch has run yet; run `step` first".into());
        };
        let Some((at, rdd)) = g.latest_at(id, l) else {
            return Err(format!("state: `{}` has no state yet at {l}", n.label()));
        };
        let current = pairs(rdd.iter());
        if let Some(key) = key {
            return key_history(g, id, key, at, &current);
        }
        let prev_t = at
            .checked_minus(n.slide)
            .filter(|p| g.is_time_valid(id, *p));
        let previous = prev_t
            .and_then(|p| n.generated().get(&p))
            .map(|r| pairs(r.iter()));
        let mut lines = vec![format!(
            "state of `{}` at {at}: {}{}",
            n.label(),
            count_of(current.len(), "key", "keys"),
            match (prev_t, &previous) {
                (Some(p), Some(_)) => format!(" (changes versus {p})"),
                (Some(p), None) => format!(" (the state at {p} is not remembered)"),
                (None, _) => " (the first state: every key is new)".to_string(),
            }
        )];
        let empty = BTreeMap::new();
        lines.extend(key_changes(
            previous.as_ref().unwrap_or(&empty),
            &current,
            MAX_KEYS,
        ));
        Ok(lines.join("\n"))
    })
}

/// `blocks [time]`.
pub fn blocks(ssc: &StreamingContext, t: Time) -> Result<String, String> {
    let batch = ssc.config().batch_interval;
    let last = ssc.last_batch();
    let (zero, inputs) = ssc.with_graph(|g| {
        let inputs: Vec<(String, usize, InputKind)> = g
            .nodes()
            .iter()
            .filter_map(|n| match &n.op {
                Op::Input(i, k) => Some((n.label(), *i, k.clone())),
                _ => None,
            })
            .collect();
        (g.zero_time(), inputs)
    });
    if t <= zero || !t.is_aligned(zero, batch) {
        return Err(format!(
            "blocks: {t} is not a batch time; batch times are multiples of the batch interval ({batch})"
        ));
    }
    match last {
        Some(l) if t <= l => {}
        Some(l) => {
            return Err(format!(
                "blocks: the batch at {t} has not run yet; the last batch ran at {l}"
            ))
        }
        None => return Err("blocks: no batch has run yet; run `step` first".into()),
    }
    let cluster = ssc.cluster();
    let stored = super::cluster::stored_on(ssc);
    let mut lines = vec![format!("blocks of the batch at {t}:")];
    for (label, input, kind) in inputs {
        if kind != InputKind::Receiver {
            lines.push(format!(
                "  {label} ({kind:?} input): no receiver, so no blocks; `show {label} {}` shows its RDD",
                t.ms()
            ));
            continue;
        }
        let bs = ssc.blocks_of(t, input);
        if bs.is_empty() {
            lines.push(format!(
                "  {label}: no blocks (nothing was received during that batch, or its blocks were cleaned up once older than every stream's remember duration)"
            ));
            continue;
        }
        let total: usize = bs.iter().map(|(_, n)| n).sum();
        lines.push(format!(
            "  {label}: {}, {} (one partition each)",
            count_of(bs.len(), "block", "blocks"),
            count_of(total, "record", "records")
        ));
        for (id, n) in bs {
            lines.push(format!(
                "    {id}: {}; {}",
                count_of(n, "record", "records"),
                super::cluster::block_location(&cluster, &stored, &id)
            ));
        }
    }
    Ok(lines.join("\n"))
}

fn key_history(
    g: &Graph,
    id: StreamId,
    key: &str,
    at: Time,
    current: &BTreeMap<Value, Value>,
) -> Result<String, String> {
    let n = g.node(id);
    let wanted = key.trim().trim_matches('"');
    let matches = |k: &Value| {
        let s = k.to_string();
        s == key.trim() || s == wanted || quoted(k) == key.trim()
    };
    let mut lines = vec![format!(
        "history of key `{wanted}` in `{}` (remembered batches):",
        n.label()
    )];
    let mut seen = false;
    for (t, rdd) in n.generated() {
        let found = rdd
            .iter()
            .filter_map(Value::as_pair)
            .find(|(k, _)| matches(k))
            .map(|(_, v)| v.to_string());
        seen |= found.is_some();
        lines.push(format!(
            "  {t}: {}",
            found.unwrap_or_else(|| "absent".into())
        ));
    }
    if !seen {
        let some: Vec<String> = current.keys().take(10).map(quoted).collect();
        let hint = if some.is_empty() {
            format!("the state at {at} is empty")
        } else {
            format!(
                "keys at {at} include: {}{}",
                some.join(", "),
                if current.len() > some.len() {
                    ", ..."
                } else {
                    ""
                }
            )
        };
        return Err(format!(
            "state: key `{wanted}` is not in any remembered state of `{}`; {hint}",
            n.label()
        ));
    }
    Ok(lines.join("\n"))
}

/// One line per key: its value after, marked against before (new, changed, removed). With
/// more than `max` keys, only the keys that changed are listed (at most `max`).
fn key_changes(
    before: &BTreeMap<Value, Value>,
    after: &BTreeMap<Value, Value>,
    max: usize,
) -> Vec<String> {
    let keys: BTreeSet<&Value> = before.keys().chain(after.keys()).collect();
    let total = keys.len();
    if total == 0 {
        return vec!["  (no keys)".into()];
    }
    let changed_only = total > max;
    let mut lines = Vec::new();
    let mut listed = 0usize;
    let mut more = 0usize;
    for k in keys {
        let key = quoted(k);
        let line = match (before.get(k), after.get(k)) {
            (None, Some(v)) => format!("  {key}: {v}  (new key)"),
            (Some(old), Some(v)) if old == v => {
                if changed_only {
                    continue;
                }
                format!("  {key}: {v}")
            }
            (Some(old), Some(v)) => format!("  {key}: {v}  (changed from {old})"),
            (Some(old), None) => format!("  {key}: removed  (was {old})"),
            (None, None) => continue,
        };
        if listed == max {
            more += 1;
            continue;
        }
        listed += 1;
        lines.push(line);
    }
    if changed_only {
        lines.insert(
            0,
            format!("  ({total} keys; listing only those that changed)"),
        );
    }
    if more > 0 {
        lines.push(format!("  ... ({more} more changed keys)"));
    }
    lines
}

/// A value as `show` lists it: strings quoted (so that spaces, tabs and empty strings are
/// visible), everything else as Scala prints it.
fn quoted(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("{:?}", &**s),
        other => other.to_string(),
    }
}

fn pairs<'a>(records: impl Iterator<Item = &'a Value>) -> BTreeMap<Value, Value> {
    records
        .filter_map(Value::as_pair)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn is_window(op: &Op) -> bool {
    matches!(op, Op::Window { .. } | Op::ReducedWindow { .. })
}

/// The stream itself if windowed, else the nearest windowed ancestor (breadth first).
fn nearest_window(g: &Graph, id: StreamId) -> Option<StreamId> {
    let mut frontier = vec![id];
    let mut seen = BTreeSet::new();
    while !frontier.is_empty() {
        if let Some(&w) = frontier.iter().find(|&&x| is_window(&g.node(x).op)) {
            return Some(w);
        }
        let mut next = Vec::new();
        for x in frontier {
            for &p in &g.node(x).parents {
                if seen.insert(p) {
                    next.push(p);
                }
            }
        }
        frontier = next;
    }
    None
}

/// Why stream `id` has no RDD at `t`, as a full sentence.
fn missing(g: &Graph, last: Option<Time>, id: StreamId, t: Time) -> String {
    format!(
        "`{}` has no RDD at {t}: {}",
        g.node(id).label(),
        reason(g, last, id, t)
    )
}

/// Why stream `id` has no RDD at `t`: not a valid time for its slide, not computed yet,
/// forgotten (older than its remember duration), or never needed.
fn reason(g: &Graph, last: Option<Time>, id: StreamId, t: Time) -> String {
    let n = g.node(id);
    let zero = g.zero_time();
    let slide = n.slide.ms().max(1);
    if t <= zero {
        return format!("batch times start after zero time ({zero})");
    }
    if !g.is_time_valid(id, t) {
        let lower = zero.ms() + (t.ms() - zero.ms()) / slide * slide;
        let upper = Time(lower.saturating_add(slide));
        let nearest = if lower > zero.ms() {
            format!("{} and {upper}", Time(lower))
        } else {
            upper.to_string()
        };
        return format!(
            "not a valid time for its slide ({}): it has RDDs only at multiples of {} after zero time; nearest: {nearest}",
            n.slide, n.slide
        );
    }
    match last {
        None => format!("not computed yet (no batch has run); try 'run until {}'", t.ms()),
        Some(l) if t > l => format!("not computed yet (the last batch ran at {l}); try 'run until {}'", t.ms()),
        Some(l) if t.ms().saturating_add(n.remember.ms()) <= l.ms() => {
            let kept: Vec<Time> = n.generated().keys().copied().collect();
            let kept = match (kept.first(), kept.last()) {
                (Some(a), Some(b)) if a == b => format!("; it remembers {a}"),
                (Some(a), Some(b)) => format!("; it remembers {a} to {b}"),
                _ => String::new(),
            };
            format!(
                "forgotten: it is older than the stream's remember duration ({}){kept}",
                n.remember
            )
        }
        Some(_) => "not computed: no output operation has needed it so far (streams are computed lazily; a window computes its parent's batches when it slides), or its input had no RDD then".into(),
    }
}

fn records<'a>(it: impl Iterator<Item = &'a Value>, total: usize, max: usize) -> String {
    let mut shown: Vec<String> = it.take(max).map(quoted).collect();
    if total > max {
        shown.push(format!("... ({} more)", total - max));
    }
    shown.join(" ")
}

fn span_of(times: &[Time]) -> String {
    match times {
        [] => String::new(),
        [one] => format!(": {one}"),
        [first, .., last] => format!(": {first} to {last}"),
    }
}

fn list_times(times: &[Time]) -> String {
    match times {
        [] => "none".into(),
        [one] => one.to_string(),
        [a, b] => format!("{a}, {b}"),
        [first, .., last] => format!("{first} to {last} ({} batches)", times.len()),
    }
}

fn count_of(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
