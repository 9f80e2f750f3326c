//! The program-level rewrites of the guide's Scala (see `scala.rs`): `def`s, function values,
//! constants and datasets inlined where they are used, `case class` constructors and fields,
//! and the context-level and Scala-only forms of the operators (`ssc.union(Seq(..))`,
//! `ssc.transform(Seq(..), (rdds, time) => ..)`, `transform((rdd, time) => ..)`,
//! `Durations.seconds(1)`, `sc.parallelize(..)`, and updateStateByKey's partitioner,
//! initial-RDD and iterator forms, as `PairDStreamFunctions.scala` of Spark 3.5 defines them).

use super::error::ParseError;
use super::scala::{duration_of, field, map_children, perr, subst, uses, var, CASE_CLASS};
use crate::scenario::ast::{Expr, ExprKind, Ident, Literal, Program, Span, Statement};
use std::collections::BTreeMap;

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
            (Some(t), ExprKind::Call { func, .. })
                if matches!(
                    func.name.as_str(),
                    "parallelize" | "List" | "Seq" | "Array" | "Some" | "HashPartitioner"
                ) =>
            {
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
                            name: "rdd_1".into(),
                            span,
                        },
                        Ident {
                            name: "rdd_2".into(),
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
    let r = |i: usize| var(&format!("rdd_{i}"), e.span);
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
        g = replace_field(g, t, i + 1, &var(&format!("{n}_"), sp));
    }
    if uses(&g, t) {
        return Err(bad());
    }
    let names = ["time_", "key_", "values_", "state_"];
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
