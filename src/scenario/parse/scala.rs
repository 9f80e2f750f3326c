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
use crate::scenario::ast::{Expr, ExprKind, Ident, Literal, Program, Span, Statement};
use crate::sim::Duration;
use pest::iterators::Pair;
use std::collections::BTreeMap;

/// The name of the built-in a `case class` statement is read into (not callable).
const CASE_CLASS: &str = "__caseClass";

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

fn perr(span: Span, found: String, expected: &str, message: String) -> ParseError {
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

fn duration_of(unit: &str, args: &[Expr]) -> Option<Duration> {
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
fn map_children(e: Expr, f: &mut dyn FnMut(Expr) -> Expr, into_lambdas: bool) -> Expr {
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
fn uses(e: &Expr, name: &str) -> bool {
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

fn var(name: &str, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Var(name.to_string()),
        span,
    }
}

fn field(recv: Expr, i: usize) -> Expr {
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
        for p in pair.into_inner() {
            match p.as_rule() {
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
                    let arg = "case$";
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

/// The program-level rewrites: `def`s and function values inlined where they are used,
/// `case class` constructors and fields, and the context-level and Scala-only forms of the
/// operators (see the module doc).
///
/// # Errors
/// A form that has no equivalent (a `transform` that uses its `time`, an iterator-form
/// `updateStateByKey` not of the shape Spark itself builds, `ssc.transform` over more than
/// two streams), at the offending expression.
///
/// `scala_defs[i]` says whether statement `i` is a Scala definition (`val`, `def`, `case
/// class`): only those are inlined and dropped; `f = x => ...` keeps its statement.
pub(super) fn desugar(program: Program, scala_defs: &[bool]) -> Result<Program, ParseError> {
    let mut funcs: BTreeMap<String, Expr> = BTreeMap::new();
    let mut classes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut statements = Vec::new();
    for (i, st) in program.statements.into_iter().enumerate() {
        let scala = scala_defs.get(i).copied().unwrap_or(false);
        let mut expr = st.expr;
        for (name, f) in &funcs {
            expr = inline_fn(expr, name, f);
        }
        expr = rewrite(expr, &classes)?;
        match (&st.target, &expr.kind) {
            _ if !scala => statements.push(Statement {
                target: st.target,
                expr,
                span: st.span,
            }),
            // function values, constants and datasets (`val initial = sc.parallelize(..)`,
            // `val streams = Seq(a, b)`) are inlined where they are used
            (Some(t), ExprKind::Lambda { .. } | ExprKind::Lit(_) | ExprKind::Tuple(_)) => {
                funcs.insert(t.name.clone(), expr);
            }
            (Some(t), ExprKind::Call { func, .. }) if func.name != CASE_CLASS => {
                funcs.insert(t.name.clone(), expr);
            }
            (Some(t), ExprKind::Call { func, args }) if func.name == CASE_CLASS => {
                classes.insert(
                    t.name.clone(),
                    args.iter()
                        .filter_map(|a| match &a.kind {
                            ExprKind::Var(v) => Some(v.clone()),
                            _ => None,
                        })
                        .collect(),
                );
            }
            _ => statements.push(Statement {
                target: st.target,
                expr,
                span: st.span,
            }),
        }
    }
    Ok(Program { statements })
}

/// Rewrites one expression (the REPL's input) as [`desugar`] does a statement.
pub(super) fn desugar_expr(e: Expr) -> Result<Expr, ParseError> {
    rewrite(e, &BTreeMap::new())
}

/// `name` (a function value) inlined: `name` becomes the lambda, `name(args)` its body with
/// the arguments in place of the parameters.
fn inline_fn(e: Expr, name: &str, f: &Expr) -> Expr {
    let e = map_children(e, &mut |c| inline_fn(c, name, f), true);
    match &e.kind {
        ExprKind::Var(v) if v == name => Expr {
            kind: f.kind.clone(),
            span: e.span,
        },
        ExprKind::Call { func, args } if func.name == name => {
            if let ExprKind::Lambda { params, body } = &f.kind {
                if params.len() == args.len() {
                    let mut b = (**body).clone();
                    // two steps, so that an argument naming another parameter is not captured
                    for (i, p) in params.iter().enumerate() {
                        b = subst(b, &p.name, &var(&format!("arg${i}"), p.span));
                    }
                    for (i, a) in args.iter().enumerate() {
                        b = subst(b, &format!("arg${i}"), a);
                    }
                    return b;
                }
            }
            e
        }
        _ => e,
    }
}

fn seq_items(e: &Expr) -> Option<&[Expr]> {
    match &e.kind {
        ExprKind::Call { func, args } if matches!(func.name.as_str(), "Seq" | "List" | "Array") => {
            Some(args)
        }
        _ => None,
    }
}

fn rewrite(e: Expr, classes: &BTreeMap<String, Vec<String>>) -> Result<Expr, ParseError> {
    let mut err = None;
    let e = map_children(
        e,
        &mut |c| match rewrite(c.clone(), classes) {
            Ok(x) => x,
            Err(x) => {
                err.get_or_insert(x);
                c
            }
        },
        true,
    );
    if let Some(x) = err {
        return Err(x);
    }
    let span = e.span;
    match e.kind {
        ExprKind::Call { func, args } => {
            if let Some(fields) = classes.get(&func.name) {
                if args.len() != fields.len() {
                    return Err(perr(
                        func.span,
                        format!("{} arguments", args.len()),
                        "one argument per field",
                        format!(
                            "case class {}({}) takes {} arguments, found {}",
                            func.name,
                            fields.join(", "),
                            fields.len(),
                            args.len()
                        ),
                    ));
                }
                return Ok(Expr {
                    kind: ExprKind::Tuple(args),
                    span,
                });
            }
            let name = match func.name.as_str() {
                "Iterator" => "List",
                "Option" => "Some",
                other => other,
            };
            Ok(Expr {
                kind: ExprKind::Call {
                    func: Ident {
                        name: name.into(),
                        span: func.span,
                    },
                    args,
                },
                span,
            })
        }
        ExprKind::Method { recv, name, args } => rewrite_method(*recv, name, args, span, classes),
        kind => Ok(Expr { kind, span }),
    }
}

fn lambda_parts(e: &Expr) -> Option<(&[Ident], &Expr)> {
    match &e.kind {
        ExprKind::Lambda { params, body } => Some((params, body)),
        _ => None,
    }
}

fn rewrite_method(
    recv: Expr,
    name: Ident,
    args: Option<Vec<Expr>>,
    span: Span,
    classes: &BTreeMap<String, Vec<String>>,
) -> Result<Expr, ParseError> {
    let at = name.span;
    let method = |recv: Expr, name: &str, args: Option<Vec<Expr>>| Expr {
        kind: ExprKind::Method {
            recv: Box::new(recv),
            name: Ident {
                name: name.into(),
                span: at,
            },
            args,
        },
        span,
    };
    let nm = name.name.as_str();
    // Durations.seconds(1)
    if let (ExprKind::Var(v), Some(a)) = (&recv.kind, &args) {
        if v == "Durations" {
            if let Some(d) = duration_of(nm, a) {
                return Ok(Expr {
                    kind: ExprKind::Lit(Literal::Duration(d)),
                    span,
                });
            }
        }
    }
    // sc.parallelize(...), ssc.sparkContext.makeRDD(...), rdd.sparkContext.parallelize(...)
    if matches!(nm, "parallelize" | "makeRDD") {
        if let Some(a) = args.as_ref().and_then(|a| a.first()) {
            return Ok(Expr {
                kind: ExprKind::Call {
                    func: Ident {
                        name: "parallelize".into(),
                        span: name.span,
                    },
                    args: vec![a.clone()],
                },
                span,
            });
        }
    }
    // case class fields: `state.count` -> `state._1`
    if args.is_none() {
        for fields in classes.values() {
            if let Some(i) = fields.iter().position(|f| f == nm) {
                return Ok(field(recv, i + 1));
            }
        }
    }
    match (nm, args) {
        // ssc.union(Seq(a, b, c)) -> a.union(b, c)
        ("union", Some(a)) if a.len() == 1 && seq_items(&a[0]).is_some_and(|s| !s.is_empty()) => {
            let items = seq_items(&a[0]).unwrap_or_default().to_vec();
            let mut it = items.into_iter();
            let first = it.next().unwrap_or_else(|| recv.clone());
            let rest: Vec<Expr> = it.collect();
            if rest.is_empty() {
                return Ok(first);
            }
            Ok(method(first, "union", Some(rest)))
        }
        // ssc.transform(Seq(a, b), (rdds, time) => body) -> a.transformWith(b, (r1, r2) => body)
        ("transform", Some(a)) if a.len() == 2 && seq_items(&a[0]).is_some() => {
            let items = seq_items(&a[0]).unwrap_or_default().to_vec();
            let Some((params, body)) = lambda_parts(&a[1]) else {
                return Err(perr(
                    a[1].span,
                    "not a lambda".into(),
                    "(rdds, time) => ...",
                    "ssc.transform(streams, f) needs a lambda `(rdds, time) => ...`".into(),
                ));
            };
            if items.len() != 2 {
                return Err(perr(
                    a[0].span,
                    format!("{} streams", items.len()),
                    "two streams",
                    format!(
                        "ssc.transform over {} streams: stream-sim supports two \
                         (`a.transformWith(b, (r1, r2) => ...)`)",
                        items.len()
                    ),
                ));
            }
            let rdds = params.first().map(|p| p.name.clone()).unwrap_or_default();
            check_time_unused(params.get(1), body)?;
            let body = replace_rdds(body.clone(), &rdds);
            if uses(&body, &rdds) {
                return Err(perr(
                    body.span,
                    format!("`{rdds}`"),
                    "rdds(0) or rdds(1)",
                    format!(
                        "in ssc.transform's function, use `{rdds}(0)`/`{rdds}.head` and \
                         `{rdds}(1)`/`{rdds}.last` (each RDD by itself)"
                    ),
                ));
            }
            let f = Expr {
                kind: ExprKind::Lambda {
                    params: vec![
                        Ident {
                            name: "rdd$1".into(),
                            span,
                        },
                        Ident {
                            name: "rdd$2".into(),
                            span,
                        },
                    ],
                    body: Box::new(body),
                },
                span,
            };
            let mut it = items.into_iter();
            let (Some(x), Some(y)) = (it.next(), it.next()) else {
                return Ok(recv);
            };
            Ok(method(x, "transformWith", Some(vec![y, f])))
        }
        // transform((rdd, time) => ...) and transformWith(b, (r1, r2, time) => ...)
        ("transform" | "transformWith", Some(mut a)) => {
            let fi = if nm == "transform" { 0 } else { 1 };
            let want = fi + 1;
            if let Some(f) = a.get_mut(fi) {
                if let ExprKind::Lambda { params, body } = &mut f.kind {
                    if params.len() == want + 1 {
                        check_time_unused(params.get(want), body)?;
                        params.truncate(want);
                    }
                }
            }
            Ok(method(recv, nm, Some(a)))
        }
        ("updateStateByKey", Some(a)) => Ok(method(recv, nm, Some(state_args(a, span)?))),
        (_, args) => Ok(method(recv, nm, args)),
    }
}

fn check_time_unused(time: Option<&Ident>, body: &Expr) -> Result<(), ParseError> {
    if let Some(t) = time {
        if uses(body, &t.name) {
            return Err(perr(
                t.span,
                format!("`{}` used", t.name),
                "a function that does not read the batch time",
                format!(
                    "this transform function reads the batch time `{}`: stream-sim's transform \
                     functions see only the RDDs (drop the parameter, or use a 4-parameter \
                     updateStateByKey for time-aware state)",
                    t.name
                ),
            ));
        }
    }
    Ok(())
}

fn replace_rdds(e: Expr, rdds: &str) -> Expr {
    let e = map_children(e, &mut |c| replace_rdds(c, rdds), true);
    let r = |i: usize| var(&format!("rdd${i}"), e.span);
    match &e.kind {
        ExprKind::Call { func, args } if func.name == rdds => match args.as_slice() {
            [Expr {
                kind: ExprKind::Lit(Literal::Int(i)),
                ..
            }] if (0..2).contains(i) => r(usize::try_from(*i).unwrap_or(0) + 1),
            _ => e,
        },
        ExprKind::Method {
            recv,
            name,
            args: None,
        } if matches!(&recv.kind, ExprKind::Var(v) if v == rdds) => match name.name.as_str() {
            "head" => r(1),
            "last" => r(2),
            _ => e,
        },
        _ => e,
    }
}

/// updateStateByKey's Scala forms to the builder's `(f)`, `(f, numPartitions)`,
/// `(f, initial)` or `(f, numPartitions, initial)`: `new HashPartitioner(n)` is `n`,
/// `rememberPartitioner` is dropped (`true` is what every other form passes), and the
/// iterator form `it => it.flatMap(t => g(t._2, t._3).map(s => (t._1, s)))` (exactly what
/// `PairDStreamFunctions.updateStateByKey` builds from a per-key function) becomes `g`, with
/// the key (`t._1`) read through the 4-parameter time-aware form.
fn state_args(mut a: Vec<Expr>, span: Span) -> Result<Vec<Expr>, ParseError> {
    if let Some(f) = a.first_mut() {
        if let Some(g) = iterator_form(f)? {
            *f = g;
        }
    }
    let mut out = vec![];
    let mut it = a.into_iter();
    if let Some(f) = it.next() {
        out.push(f);
    }
    for x in it {
        match &x.kind {
            ExprKind::Call { func, args } if func.name == "HashPartitioner" && args.len() == 1 => {
                out.push(args[0].clone());
            }
            ExprKind::Lit(Literal::Bool(true)) => {}
            ExprKind::Lit(Literal::Bool(false)) => {
                return Err(perr(
                    x.span,
                    "`false`".into(),
                    "`true`",
                    "rememberPartitioner = false is not modelled (the state keeps its \
                     partitioner, as with `true`)"
                        .into(),
                ))
            }
            ExprKind::Lit(Literal::None) => {}
            ExprKind::Call { func, args } if func.name == "Some" && args.len() == 1 => {
                out.push(args[0].clone());
            }
            _ => out.push(x),
        }
    }
    let _ = span;
    Ok(out)
}

fn iterator_form(f: &Expr) -> Result<Option<Expr>, ParseError> {
    let Some((params, body)) = lambda_parts(f) else {
        return Ok(None);
    };
    if params.len() != 1 {
        return Ok(None);
    }
    let it = &params[0].name;
    let bad = || {
        perr(
            body.span,
            "an iterator function of another shape".into(),
            "it.flatMap(t => g(t._2, t._3).map(s => (t._1, s)))",
            "the iterator form of updateStateByKey is supported in the shape Spark builds: \
             `it => it.flatMap(t => <Option of the new state, from t._1, t._2, t._3>.map(s => \
             (t._1, s)))`, or `it => it.map(t => (t._1, <new state>))`"
                .into(),
        )
    };
    let ExprKind::Method {
        recv,
        name,
        args: Some(args),
    } = &body.kind
    else {
        return Err(bad());
    };
    if !matches!(&recv.kind, ExprKind::Var(v) if v == it) || args.len() != 1 {
        return Err(bad());
    }
    let Some((tp, inner)) = lambda_parts(&args[0]) else {
        return Err(bad());
    };
    let [t] = tp else { return Err(bad()) };
    let t = t.name.as_str();
    let is_key = |e: &Expr| {
        matches!(&e.kind, ExprKind::Method { recv, name, args: None }
            if name.name == "_1" && matches!(&recv.kind, ExprKind::Var(v) if v == t))
    };
    let new_state = match name.name.as_str() {
        "flatMap" => {
            // g.map(s => (t._1, s))
            let ExprKind::Method {
                recv: g,
                name: m,
                args: Some(ma),
            } = &inner.kind
            else {
                return Err(bad());
            };
            let ok = m.name == "map"
                && ma.len() == 1
                && lambda_parts(&ma[0]).is_some_and(|(sp, sb)| {
                    sp.len() == 1
                        && matches!(&sb.kind, ExprKind::Tuple(items) if items.len() == 2
                            && is_key(&items[0])
                            && matches!(&items[1].kind, ExprKind::Var(v) if *v == sp[0].name))
                });
            if !ok {
                return Err(bad());
            }
            (**g).clone()
        }
        "map" => match &inner.kind {
            ExprKind::Tuple(items) if items.len() == 2 && is_key(&items[0]) => Expr {
                kind: ExprKind::Call {
                    func: Ident {
                        name: "Some".into(),
                        span: items[1].span,
                    },
                    args: vec![items[1].clone()],
                },
                span: items[1].span,
            },
            _ => return Err(bad()),
        },
        _ => return Err(bad()),
    };
    // t._1 -> key, t._2 -> values, t._3 -> state
    let sp = f.span;
    let mut g = new_state;
    for (i, n) in ["key", "values", "state"].iter().enumerate() {
        g = replace_field(g, t, i + 1, &var(&format!("{n}$"), sp));
    }
    if uses(&g, t) {
        return Err(bad());
    }
    let names = ["time$", "key$", "values$", "state$"];
    Ok(Some(Expr {
        kind: ExprKind::Lambda {
            params: names
                .iter()
                .map(|n| Ident {
                    name: (*n).into(),
                    span: sp,
                })
                .collect(),
            body: Box::new(g),
        },
        span: sp,
    }))
}

fn replace_field(e: Expr, t: &str, i: usize, by: &Expr) -> Expr {
    let e = map_children(e, &mut |c| replace_field(c, t, i, by), true);
    match &e.kind {
        ExprKind::Method {
            recv,
            name,
            args: None,
        } if name.name == format!("_{i}") && matches!(&recv.kind, ExprKind::Var(v) if v == t) => {
            by.clone()
        }
        _ => e,
    }
}
