//! `foreachRDD` in a scenario: the programming guide's "Design Patterns for using
//! foreachRDD" (`docs/streaming-programming-guide.md`), recognised in the function passed to
//! it and run as a connection-counting sink (`models::dstream::output_ops`). A child of
//! `build`.
//!
//! The guide's code is written with the pipeline language's blocks, whose `val`s are inlined
//! and which hold one result expression (`close()` and `returnConnection` are implied:
//! a function's connection is closed when it returns, a pool's goes back to the pool):
//!
//! ```scala
//! counts.foreachRDD(rdd => rdd.foreachPartition(partitionOfRecords => {
//!   val connection = createNewConnection()          // or ConnectionPool.getConnection()
//!   partitionOfRecords.foreach(record => connection.send(record))
//! }))
//! ```
//!
//! Where the connection is made decides the pattern: inside `rdd.foreach`'s function, a
//! connection per record; inside `rdd.foreachPartition`'s, one per partition; from
//! `ConnectionPool.getConnection()`, the executors' pools; *before* either, on the driver,
//! which Spark refuses when the batch runs ("Task not serializable": a connection object
//! cannot be shipped to the executors). Inlining a `val` keeps the position of its
//! definition inside the expression it is copied into, which is how the driver-side
//! connection is told apart from one made per record.

use crate::models::dstream::output_ops::ConnectionPattern;
use crate::scenario::ast::{Expr, ExprKind, Span};

/// The forms `foreachRDD` accepts, for error messages.
pub(super) const FOREACH_FORMS: &str = "foreachRDD takes one of the guide's connection \
patterns: `rdd => rdd.foreach(record => createNewConnection().send(record))` (a connection \
per record), `rdd => rdd.foreachPartition(part => { val connection = createNewConnection(); \
part.foreach(record => connection.send(record)) })` (per partition), the same with \
`ConnectionPool.getConnection()` (a static pool), or a connection made before \
`rdd.foreach` (on the driver: Task not serializable); to see the records use print()";

/// The connection pattern of the function passed to `foreachRDD`, or what is wrong with
/// it (at a position) in words.
pub(super) fn foreach_pattern(f: &Expr) -> Result<ConnectionPattern, (Span, String)> {
    let wrong = |at: Span, what: &str| Err((at, format!("{what}; {FOREACH_FORMS}")));
    let ExprKind::Lambda { params, body } = &f.kind else {
        return wrong(
            f.span,
            "expected a function of the batch's RDD (`rdd => ...`)",
        );
    };
    let [rdd] = params.as_slice() else {
        return wrong(
            f.span,
            "expected a function of one parameter, the batch's RDD",
        );
    };
    let Some((action, action_fn)) = find_action(body, &rdd.name) else {
        return wrong(
            body.span,
            &format!(
                "the function never calls `{0}.foreach(...)` or `{0}.foreachPartition(...)`",
                rdd.name
            ),
        );
    };
    let Some((pooled, made_at)) = find_connection(body) else {
        return wrong(
            body.span,
            "no connection is made: call createNewConnection() or ConnectionPool.getConnection()",
        );
    };
    if !calls_send(body) {
        return wrong(
            body.span,
            "no record is sent: write `connection.send(record)` for each record",
        );
    }
    Ok(if made_at < action_fn {
        ConnectionPattern::CreatedOnDriver
    } else if pooled {
        ConnectionPattern::Pool
    } else if action == "foreach" {
        ConnectionPattern::PerRecord
    } else {
        ConnectionPattern::PerPartition
    })
}

/// The sub-expressions of `e`, in source order.
fn children(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Lit(_) | ExprKind::Var(_) => Vec::new(),
        ExprKind::Tuple(items) | ExprKind::Call { args: items, .. } => items.iter().collect(),
        ExprKind::Method { recv, args, .. } => std::iter::once(recv.as_ref())
            .chain(args.iter().flatten())
            .collect(),
        ExprKind::Lambda { body, .. } => vec![body.as_ref()],
        ExprKind::Binary { lhs, rhs, .. } => vec![lhs.as_ref(), rhs.as_ref()],
        ExprKind::Unary { expr, .. } => vec![expr.as_ref()],
        ExprKind::If { cond, then_, else_ } => vec![cond.as_ref(), then_.as_ref(), else_.as_ref()],
    }
}

/// `rdd.foreach(f)` or `rdd.foreachPartition(f)` in `e`: the action's name and where `f`
/// starts.
fn find_action<'a>(e: &'a Expr, rdd: &str) -> Option<(&'a str, Span)> {
    if let ExprKind::Method {
        recv,
        name,
        args: Some(args),
    } = &e.kind
    {
        if matches!(&recv.kind, ExprKind::Var(v) if v == rdd)
            && (name.name == "foreach" || name.name == "foreachPartition")
        {
            if let [f @ Expr {
                kind: ExprKind::Lambda { .. },
                ..
            }] = args.as_slice()
            {
                return Some((name.name.as_str(), f.span));
            }
        }
    }
    children(e).into_iter().find_map(|c| find_action(c, rdd))
}

/// The first connection made in `e`: whether it comes from the pool, and where the call is
/// written (its definition, for an inlined `val`).
fn find_connection(e: &Expr) -> Option<(bool, Span)> {
    match &e.kind {
        ExprKind::Call { func, args } if func.name == "createNewConnection" && args.is_empty() => {
            return Some((false, func.span));
        }
        ExprKind::Method { recv, name, .. }
            if name.name == "getConnection"
                && matches!(&recv.kind, ExprKind::Var(v) if v == "ConnectionPool") =>
        {
            return Some((true, name.span));
        }
        _ => {}
    }
    children(e).into_iter().find_map(find_connection)
}

/// Whether `e` calls `.send(x)` on something.
fn calls_send(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Method { name, args: Some(a), .. } if name.name == "send" && a.len() == 1)
        || children(e).into_iter().any(calls_send)
}

#[cfg(test)]
mod tests {
    use crate::scenario::{spec::parse_scenario, RunOptions};
    use crate::sim::{Duration, Time};

    /// Runs `book-transformations`' word count (two 2-partition batches of 8 and 4 words,
    /// then empty ones) with `sink` instead of `counts.print()`: the sink's lines, or the
    /// error.
    fn run(sink: &str) -> Result<Vec<String>, String> {
        let path = crate::scenario::resolve("book-transformations").unwrap();
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("counts.print()\n", &format!("{sink}\n"));
        let sc = parse_scenario(&text, &path).map_err(|e| e.to_string())?;
        let opts = RunOptions {
            seed: 0,
            output_dir: std::env::temp_dir(),
        };
        let built = sc.build(&opts).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        let until = Time::ZERO.plus(Duration::from_secs(3));
        let result = built.run_printing(until, &mut out).unwrap();
        built.ssc.stop();
        result.map_err(|e| e.to_string())?;
        Ok(String::from_utf8(out)
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("foreachRDD"))
            .map(str::to_string)
            .collect())
    }

    /// The number before `what` in a sink's line.
    fn n(line: &str, what: &str) -> u64 {
        let end = line.find(what).unwrap();
        line[..end]
            .rsplit(' ')
            .nth(1)
            .map(|w| w.parse().unwrap())
            .unwrap()
    }

    /// Proves each of the guide's patterns opens what the guide says: N per batch per
    /// record, P per batch per partition, and a pool only once per executor slot.
    #[test]
    fn each_pattern_opens_its_connections() {
        let per_record = run(
            "counts.foreachRDD(rdd => rdd.foreach(record => createNewConnection().send(record)))",
        )
        .unwrap();
        let opened: Vec<u64> = per_record
            .iter()
            .map(|l| n(l, "connections opened"))
            .collect();
        assert_eq!(opened, [8, 4, 0], "{per_record:?}");
        let per_partition = run("counts.foreachRDD(rdd => rdd.foreachPartition(p => {\n val connection = createNewConnection()\n p.foreach(r => connection.send(r))\n}))").unwrap();
        let opened: Vec<u64> = per_partition
            .iter()
            .map(|l| n(l, "connections opened"))
            .collect();
        assert_eq!(opened, [2, 2, 2], "{per_partition:?}");
        let pool = run("counts.foreachRDD(rdd => rdd.foreachPartition(p => {\n val connection = ConnectionPool.getConnection()\n p.foreach(r => connection.send(r))\n}))").unwrap();
        let opened: Vec<u64> = pool.iter().map(|l| n(l, "connections opened")).collect();
        assert_eq!(opened, [2, 0, 0], "{pool:?}");
        assert!(
            pool[2].contains("2 reused; 2 opened since start"),
            "{pool:?}"
        );
    }

    /// Proves a connection made on the driver fails the first batch as Spark does, and a
    /// function that sends nothing is refused at its position.
    #[test]
    fn a_driver_connection_is_not_serializable() {
        let e = run("counts.foreachRDD(rdd => {\n val connection = createNewConnection()\n rdd.foreach(r => connection.send(r))\n})").unwrap_err();
        assert!(e.contains("Task not serializable (batch 1000 ms)"), "{e}");
        let e = run("counts.foreachRDD(rdd => rdd.count())").unwrap_err();
        assert!(
            e.contains(":12:26: the function never calls `rdd.foreach"),
            "{e}"
        );
        let e =
            run("counts.foreachRDD(rdd => rdd.foreach(r => createNewConnection()))").unwrap_err();
        assert!(e.contains("no record is sent"), "{e}");
    }
}
