//! Scala as the programming guide writes it, read into the pipeline language's syntax tree:
//! placeholders (`_ + _`, `_.split(" ")`, `_._2`), durations (`Seconds(1)`,
//! `Milliseconds(500)`, `Minutes(2)`, `Durations.seconds(1)`), named arguments
//! (`numPartitions = 4`), blocks with `val`s, `def`s and function values used by name
//! (`updateFunction _`), `{ case (k, v) => ... }`, `ssc.union(Seq(a, b))`,
//! `ssc.transform(Seq(a, b), (rdds, time) => ...)`, `transform((rdd, time) => ...)`, the
//! partitioner, initial-RDD and iterator forms of `updateStateByKey`, and `case class`es for
//! state.
//!
//! Everything here rewrites the tree into forms the builder already runs, so Spark's
//! semantics stay in one place (`scenario::build`). The rules follow Scala 2.12's
//! specification (SLS 6.23.2 "Placeholder Syntax for Anonymous Functions": an underscore
//! section extends to the innermost enclosing argument expression that properly contains
//! it) and Spark 3.5's parameter names (`PairDStreamFunctions.scala`, `DStream.scala`,
//! `StreamingContext.scala`). What cannot be rewritten gets a [`ParseError`] at the
//! offending expression saying what would be valid.

use super::error::ParseError;
use super::grammar::Rule;
use super::source::Builder;
use crate::scenario::ast::{Expr, ExprKind, Ident, Literal, Span, Statement};
use crate::sim::Duration;
use pest::iterators::Pair;

/// The name of the built-in a `case class` statement is read into (not callable).
pub(super) const CASE_CLASS: &str = "__caseClass";

/// Spark 3.5's parameter names of the operators that take optional arguments, one list per
/// overload (`PairDStreamFunctions.scala`, `DStream.scala`, `StreamingContext.scala`).
const SIGNATURES: &[(&str, &[&str])] = &[
    ("reduceByKey", &["reduceFunc", "numPartitions"]),
    ("groupByKey", &["numPartitions"]),
    ("countByValue", &["numPartitions"]),
    ("repartition", &["numPartitions"]),
    ("join", &["other", "numPartitions"]),
    ("leftOuterJoin", &["other", "numPartitions"]),
    ("rightOuterJoin", &["other", "numPartitions"]),
    ("fullOuterJoin", &["other", "numPartitions"]),
    ("cogroup", &["other", "numPartitions"]),
    ("window", &["windowDuration", "slideDuration"]),
    ("countByWindow", &["windowDuration", "slideDuration"]),
    (
        "countByValueAndWindow",
        &["windowDuration", "slideDuration", "numPartitions"],
    ),
    (
        "groupByKeyAndWindow",
        &["windowDuration", "slideDuration", "numPartitions"],
    ),
    (
        "reduceByWindow",
        &["reduceFunc", "windowDuration", "slideDuration"],
    ),
    (
        "reduceByWindow",
        &[
            "reduceFunc",
            "invReduceFunc",
            "windowDuration",
            "slideDuration",
        ],
    ),
    (
        "reduceByKeyAndWindow",
        &[
            "reduceFunc",
            "windowDuration",
            "slideDuration",
            "numPartitions",
        ],
    ),
    (
        "reduceByKeyAndWindow",
        &[
            "reduceFunc",
            "invReduceFunc",
            "windowDuration",
            "slideDuration",
            "numPartitions",
            "filterFunc",
        ],
    ),
    ("updateStateByKey", &["updateFunc", "numPartitions"]),
    (
        "updateStateByKey",
        &["updateFunc", "partitioner", "initialRDD"],
    ),
    (
        "updateStateByKey",
        &[
            "updateFunc",
            "partitioner",
            "rememberPartitioner",
            "initialRDD",
        ],
    ),
    ("transform", &["transformFunc"]),
    ("transformWith", &["other", "transformFunc"]),
    ("map", &["mapFunc"]),
    ("flatMap", &["flatMapFunc"]),
    ("filter", &["filterFunc"]),
    ("mapPartitions", &["mapPartFunc", "preservePartitioning"]),
    ("mapValues", &["mapValuesFunc"]),
    ("flatMapValues", &["flatMapValuesFunc"]),
    ("reduce", &["reduceFunc"]),
    ("print", &["num"]),
    ("saveAsTextFiles", &["prefix", "suffix"]),
    ("socketTextStream", &["hostname", "port", "storageLevel"]),
    ("textFileStream", &["directory"]),
    ("queueStream", &["queue", "oneAtATime", "defaultRDD"]),
    ("checkpoint", &["interval"]),
];

pub(super) fn perr(span: Span, found: String, expected: &str, message: String) -> ParseError {
    ParseError {
        span,
        found,
        expected: expected.to_string(),
        message,
        open: None,
    }
}

/// Puts named arguments in their places: Spark's order for `method` (the overload whose
/// names fit). Positional arguments come first, as in Scala.
///
/// # Errors
/// An unknown name (the error lists the valid ones), a name given twice, or a gap: a named
/// argument after an optional one left out (`filterFunc = f` without `numPartitions`), since
/// the defaults Spark would fill in depend on the context.
pub(super) fn resolve_named(
    method: &str,
    args: Vec<(Option<Ident>, Expr)>,
) -> Result<Vec<Expr>, ParseError> {
    if args.iter().all(|(n, _)| n.is_none()) {
        return Ok(args.into_iter().map(|(_, e)| e).collect());
    }
    let sigs: Vec<&[&str]> = SIGNATURES
        .iter()
        .filter(|(m, _)| *m == method)
        .map(|(_, s)| *s)
        .collect();
    let first_named = args.iter().position(|(n, _)| n.is_some()).unwrap_or(0);
    if let Some((Some(_), e)) = args
        .iter()
        .skip(first_named)
        .find(|(n, _)| n.is_none())
        .map(|(n, e)| (Some(n), e))
    {
        return Err(perr(
            e.span,
            "a positional argument".into(),
            "a named argument",
            "a positional argument cannot follow a named one (Scala's rule): name it too".into(),
        ));
    }
    let mut last_err = None;
    'sig: for sig in &sigs {
        let mut slots: Vec<Option<Expr>> = vec![None; sig.len()];
        for (i, (name, e)) in args.iter().enumerate() {
            let at = match name {
                None => i,
                Some(n) => match sig.iter().position(|p| *p == n.name) {
                    Some(at) => at,
                    None => continue 'sig,
                },
            };
            if at >= slots.len() {
                continue 'sig;
            }
            if slots[at].is_some() {
                let n = name.as_ref().map_or("?", |n| n.name.as_str());
                return Err(perr(
                    e.span,
                    format!("`{n}`"),
                    "each parameter once",
                    format!("the argument `{n}` of {method} is given twice"),
                ));
            }
            slots[at] = Some(e.clone());
        }
        let filled = slots.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
        if let Some(gap) = slots[..filled].iter().position(Option::is_none) {
            let (n, e) = args
                .iter()
                .find(|(n, _)| n.is_some())
                .map(|(n, e)| (n.clone(), e))
                .unwrap_or((None, &args[0].1));
            last_err = Some(perr(
                n.map_or(e.span, |n| n.span),
                "a named argument after a missing one".into(),
                "the arguments before it",
                format!(
                    "{method}({}): write `{}` too (stream-sim fills in no default before a named \
                     argument; Spark's default depends on the context)",
                    sig.join(", "),
                    sig[gap]
                ),
            ));
            continue;
        }
        return Ok(slots.into_iter().flatten().collect());
    }
    if let Some(e) = last_err {
        return Err(e);
    }
    let (n, _) = args
        .iter()
        .find(|(n, _)| n.is_some())
        .map(|(n, e)| (n.clone(), e))
        .unwrap_or((None, &args[0].1));
    let n = n.unwrap_or(Ident {
        name: "?".into(),
        span: Span::default(),
    });
    let valid: Vec<String> = sigs
        .iter()
        .map(|s| format!("{method}({})", s.join(", ")))
        .collect();
    Err(perr(
        n.span,
        format!("`{}`", n.name),
        "a parameter name of the operator",
        if valid.is_empty() {
            format!(
                "named arguments are not supported for `{method}` (write them in order, without names)"
            )
        } else {
            format!(
                "`{}` is not a parameter of {method}; Spark's parameters: {}",
                n.name,
                valid.join(" or ")
            )
        },
    ))
}

/// `Seconds(1)`, `Milliseconds(500)`, `Minutes(2)` (Spark's `Durations`) as duration
/// literals; any other expression unchanged.
pub(super) fn duration_call(e: Expr) -> Expr {
    if let ExprKind::Call { func, args } = &e.kind {
        if let Some(d) = duration_of(&func.name, args) {
            return Expr {
                kind: ExprKind::Lit(Literal::Duration(d)),
                span: e.span,
            };
        }
    }
    e
}

pub(super) fn duration_of(unit: &str, args: &[Expr]) -> Option<Duration> {
    let factor = match unit {
        "Milliseconds" | "milliseconds" => 1,
        "Seconds" | "seconds" => 1000,
        "Minutes" | "minutes" => 60_000,
        _ => return None,
    };
    match args {
        [Expr {
            kind: ExprKind::Lit(Literal::Int(n)),
            ..
        }] if *n >= 0 => u64::try_from(*n)
            .ok()
            .and_then(|n| n.checked_mul(factor))
            .map(Duration::from_ms),
        _ => None,
    }
}

fn is_placeholder(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Var(v) if v == "_")
}

/// Scala's placeholder syntax: an argument that contains `_` (and is not just `_`) becomes
/// a lambda with one parameter per `_`, left to right (`_ + _` is `(_1, _2) => _1 + _2`).
pub(super) fn close_placeholders(e: Expr) -> Expr {
    if is_placeholder(&e) {
        return e;
    }
    let mut n = 0;
    let body = number_placeholders(e, &mut n);
    if n == 0 {
        return body;
    }
    let span = body.span;
    Expr {
        kind: ExprKind::Lambda {
            params: (1..=n)
                .map(|i| Ident {
                    name: format!("_{i}"),
                    span,
                })
                .collect(),
            body: Box::new(body),
        },
        span,
    }
}

fn number_placeholders(e: Expr, n: &mut usize) -> Expr {
    if is_placeholder(&e) {
        *n += 1;
        return Expr {
            kind: ExprKind::Var(format!("_{n}")),
            span: e.span,
        };
    }
    map_children(e, &mut |c| number_placeholders(c, n), false)
}

/// Applies `f` to each direct child of `e` (lambda bodies only when `into_lambdas`).
pub(super) fn map_children(e: Expr, f: &mut dyn FnMut(Expr) -> Expr, into_lambdas: bool) -> Expr {
    let span = e.span;
    let kind = match e.kind {
        ExprKind::Tuple(items) => ExprKind::Tuple(items.into_iter().map(&mut *f).collect()),
        ExprKind::Call { func, args } => ExprKind::Call {
            func,
            args: args.into_iter().map(&mut *f).collect(),
        },
        ExprKind::Method { recv, name, args } => ExprKind::Method {
            recv: Box::new(f(*recv)),
            name,
            args: args.map(|a| a.into_iter().map(&mut *f).collect()),
        },
        ExprKind::Lambda { params, body } if into_lambdas => ExprKind::Lambda {
            params,
            body: Box::new(f(*body)),
        },
        ExprKind::Binary { op, lhs, rhs } => ExprKind::Binary {
            op,
            lhs: Box::new(f(*lhs)),
            rhs: Box::new(f(*rhs)),
        },
        ExprKind::Unary { op, expr } => ExprKind::Unary {
            op,
            expr: Box::new(f(*expr)),
        },
        ExprKind::If { cond, then_, else_ } => ExprKind::If {
            cond: Box::new(f(*cond)),
            then_: Box::new(f(*then_)),
            else_: Box::new(f(*else_)),
        },
        other => other,
    };
    Expr { kind, span }
}

/// `e` with the free variable `name` replaced by `by` (lambda parameters shadow it).
pub(super) fn subst(e: Expr, name: &str, by: &Expr) -> Expr {
    match &e.kind {
        ExprKind::Var(v) if v == name => Expr {
            kind: by.kind.clone(),
            span: e.span,
        },
        ExprKind::Lambda { params, .. } if params.iter().any(|p| p.name == name) => e,
        _ => map_children(e, &mut |c| subst(c, name, by), true),
    }
}

/// Whether `name` occurs free in `e`.
pub(super) fn uses(e: &Expr, name: &str) -> bool {
    let mut found = false;
    let _ = map_children(
        e.clone(),
        &mut |c| {
            found |= match &c.kind {
                ExprKind::Var(v) => v == name,
                ExprKind::Lambda { params, .. } if params.iter().any(|p| p.name == name) => false,
                _ => uses(&c, name),
            };
            c
        },
        true,
    );
    found || matches!(&e.kind, ExprKind::Var(v) if v == name)
}

pub(super) fn var(name: &str, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Var(name.to_string()),
        span,
    }
}

pub(super) fn field(recv: Expr, i: usize) -> Expr {
    let span = recv.span;
    Expr {
        kind: ExprKind::Method {
            recv: Box::new(recv),
            name: Ident {
                name: format!("_{i}"),
                span,
            },
            args: None,
        },
        span,
    }
}

impl Builder<'_> {
    /// A lambda's parameters (types dropped).
    pub(super) fn params(&self, pair: Pair<'_, Rule>) -> Vec<Ident> {
        let mut out = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::param_name => out.push(self.ident_of(&p)),
                Rule::param => {
                    if let Some(n) = p.into_inner().find(|q| q.as_rule() == Rule::param_name) {
                        out.push(self.ident_of(&n));
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn ident_of(&self, pair: &Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(pair.as_span().start()),
        }
    }

    /// `def f(a: A, b: B): R = body` (a statement `f = (a, b) => body`, inlined by
    /// [`desugar`]) or `case class C(x: X, y: Y)` (a record declaration).
    pub(super) fn definition(
        &self,
        pair: Pair<'_, Rule>,
        span: Span,
    ) -> Result<Statement, ParseError> {
        let is_class = pair.as_rule() == Rule::case_class;
        let start = pair.as_span().start();
        let mut target = None;
        let mut params = Vec::new();
        let mut body = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::target => target = Some(self.ident_of(&p)),
                Rule::param => {
                    if let Some(n) = p.into_inner().find(|q| q.as_rule() == Rule::param_name) {
                        params.push(self.ident_of(&n));
                    }
                }
                Rule::expr => body = Some(self.expr(p, 1)?.0),
                _ => {}
            }
        }
        let Some(target) = target else {
            return Err(self.internal(start));
        };
        let expr = if is_class {
            Expr {
                kind: ExprKind::Call {
                    func: Ident {
                        name: CASE_CLASS.into(),
                        span,
                    },
                    args: params.iter().map(|p| var(&p.name, p.span)).collect(),
                },
                span,
            }
        } else {
            let Some(body) = body else {
                return Err(self.internal(start));
            };
            Expr {
                kind: ExprKind::Lambda {
                    params,
                    body: Box::new(body),
                },
                span,
            }
        };
        Ok(Statement {
            target: Some(target),
            expr,
            span,
        })
    }

    /// `{ val a = e; ...; body }` (the vals inlined into the body), `{ x => ... }`, or
    /// `{ case (k, v) => ... }` (a lambda whose pattern variables read the tuple's fields).
    pub(super) fn block(
        &self,
        pair: Pair<'_, Rule>,
        depth: u32,
    ) -> Result<(Expr, u32), ParseError> {
        let start = pair.as_span().start();
        let span = self.span(start);
        let mut vals: Vec<(String, Expr)> = Vec::new();
        let mut result: Option<Expr> = None;
        let mut d = 0;
        // `{ rdd => ... }`: the parameters of a lambda whose body is the rest of the block
        let mut lambda: Option<Vec<Ident>> = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::block_lambda => {
                    lambda = p
                        .into_inner()
                        .find(|q| q.as_rule() == Rule::lambda_params)
                        .map(|q| self.params(q));
                }
                Rule::block_val => {
                    let mut name = None;
                    let mut e = None;
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::target => name = Some(q.as_str().to_string()),
                            Rule::expr => e = Some(self.expr(q, depth + 1)?),
                            _ => {}
                        }
                    }
                    if let (Some(n), Some((e, ed))) = (name, e) {
                        d = d.max(ed);
                        vals.push((n, e));
                    }
                }
                Rule::case_clause => {
                    if result.is_some() {
                        return Err(perr(
                            self.span(p.as_span().start()),
                            "a second `case`".into(),
                            "one `case` clause",
                            "a block with several `case` clauses (a pattern match) is not \
                             supported: use one `case (a, b) => ...` or `if`"
                                .into(),
                        ));
                    }
                    let mut pat = None;
                    let mut body = None;
                    for q in p.into_inner() {
                        match q.as_rule() {
                            Rule::pattern => pat = Some(q),
                            Rule::expr => body = Some(self.expr(q, depth + 1)?),
                            _ => {}
                        }
                    }
                    let (Some(pat), Some((mut body, bd))) = (pat, body) else {
                        return Err(self.internal(start));
                    };
                    d = d.max(bd);
                    let arg = "case_";
                    let mut binds = Vec::new();
                    self.pattern(pat, var(arg, span), &mut binds);
                    for (n, by) in binds.iter().rev() {
                        body = subst(body, n, by);
                    }
                    result = Some(Expr {
                        kind: ExprKind::Lambda {
                            params: vec![Ident {
                                name: arg.into(),
                                span,
                            }],
                            body: Box::new(body),
                        },
                        span,
                    });
                }
                Rule::expr => {
                    if let Some(prev) = &result {
                        return Err(perr(
                            prev.span,
                            "an expression whose value is unused".into(),
                            "one result expression at the end of the block",
                            "a block may hold `val`s and one result expression; this \
                             expression's value would be thrown away (stream-sim functions \
                             have no side effects)"
                                .into(),
                        ));
                    }
                    let (e, ed) = self.expr(p, depth + 1)?;
                    d = d.max(ed);
                    result = Some(e);
                }
                _ => {}
            }
        }
        let Some(mut body) = result else {
            return Err(perr(
                span,
                "a block without a result".into(),
                "an expression",
                "this block has no result expression".into(),
            ));
        };
        for (n, e) in vals.iter().rev() {
            body = subst(body, n, e);
        }
        if let Some(params) = lambda {
            body = Expr {
                kind: ExprKind::Lambda {
                    params,
                    body: Box::new(body),
                },
                span,
            };
        }
        Ok((body, d + 1))
    }

    fn pattern(&self, pair: Pair<'_, Rule>, at: Expr, binds: &mut Vec<(String, Expr)>) {
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::param_name if p.as_str() != "_" => {
                    binds.push((p.as_str().into(), at.clone()))
                }
                Rule::pat_tuple => {
                    for (i, q) in p.into_inner().enumerate() {
                        self.pattern(q, field(at.clone(), i + 1), binds);
                    }
                }
                _ => {}
            }
        }
    }
}
