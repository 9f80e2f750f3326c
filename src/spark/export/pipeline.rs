//! A scenario's pipeline as the Spark calls it makes: every operator call with its arguments
//! classified (a function with its parameter types, a duration, a partition count, another
//! stream, an initial state RDD) and the type of the stream it returns. The Scala and PySpark
//! writers render these calls; the operator table is this one, shared by both.
//!
//! The operators and their argument forms are those of `DStream.scala` and
//! `PairDStreamFunctions.scala` (Spark 3.5); the simulator-only operators (the sketches of
//! `models/dstream/sketches.rs`) have no Spark equivalent and are refused by name.

use super::types::{expr_ty, Ty};
use crate::scenario::ast::{Expr, ExprKind, Literal, Span};
use crate::sim::Duration;
use std::collections::BTreeMap;

/// An argument of an operator call, classified.
#[derive(Clone, Debug)]
pub enum Arg<'a> {
    /// A function: a lambda, or a built-in by name (`sum`, `split(" ")`), with the types
    /// of its parameters.
    Func {
        /// The function as written.
        f: &'a Expr,
        /// Its parameters' types, in order.
        params: Vec<Ty>,
    },
    /// A duration literal.
    Dur(Duration),
    /// An integer (a partition count, `print`'s number of records).
    Int(i64),
    /// A string (`saveAsTextFiles`' prefix and suffix).
    Str(String),
    /// Another stream: its code in the target language and its type.
    Stream(String, Ty),
    /// `parallelize(List((k, s), ...))`: an initial state RDD's records.
    Initial(&'a [Expr]),
}

/// The operators Spark has no equivalent for (the simulator's sketches), refused by name.
pub const NOT_IN_SPARK: &[&str] = &[
    "sample",
    "sampleByWindow",
    "heavyHitters",
    "heavyHittersByWindow",
    "approxDistinct",
    "approxDistinctByWindow",
    "approxDistinctByKey",
    "approxQuantile",
    "approxQuantileByWindow",
    "approxCountByValueAndWindow",
    "weightedSample",
    "freqItems",
    "approxSumOverLast",
];

/// The built-in functions of the scenario language (`scenario/expr/builtins.rs`).
pub const BUILTINS: &[&str] = &[
    "split",
    "words",
    "pair",
    "pair1",
    "identity",
    "toLower",
    "toUpper",
    "trim",
    "swap",
    "key",
    "value",
    "contains",
    "startsWith",
    "endsWith",
    "equals",
    "length",
    "sum",
    "sub",
    "max",
    "min",
    "runningSum",
    "runningCount",
    "runningAvg",
];

/// The name of a built-in used as a function argument (`sum`, `split(" ")`), if `f` is one.
pub fn builtin(f: &Expr) -> Option<(&str, &[Expr])> {
    match &f.kind {
        ExprKind::Var(n) if BUILTINS.contains(&n.as_str()) => Some((n.as_str(), &[])),
        ExprKind::Call { func, args } if BUILTINS.contains(&func.name.as_str()) => {
            Some((func.name.as_str(), args.as_slice()))
        }
        _ => None,
    }
}

/// The type a function returns given its parameters' types.
pub fn ret_ty(f: &Expr, params: &[Ty]) -> Ty {
    let p0 = params.first().cloned().unwrap_or(Ty::Unknown);
    if let ExprKind::Lambda {
        params: names,
        body,
    } = &f.kind
    {
        let env: BTreeMap<String, Ty> = names
            .iter()
            .zip(params)
            .map(|(n, t)| (n.name.clone(), t.clone()))
            .collect();
        return expr_ty(body, &env);
    }
    let Some((name, args)) = builtin(f) else {
        return Ty::Unknown;
    };
    match name {
        "split" | "words" => Ty::Arr(Box::new(Ty::Str)),
        "pair" => Ty::pair(
            p0,
            args.first()
                .map(|a| expr_ty(a, &BTreeMap::new()))
                .unwrap_or(Ty::Unknown),
        ),
        "pair1" => Ty::pair(p0, Ty::Int),
        "identity" | "sum" | "sub" | "max" | "min" => p0,
        "toLower" | "toUpper" | "trim" => Ty::Str,
        "swap" => Ty::pair(p0.field(1), p0.field(0)),
        "key" => p0.field(0),
        "value" => p0.field(1),
        "contains" | "startsWith" | "endsWith" | "equals" => Ty::Bool,
        "length" => Ty::Int,
        "runningSum" => Ty::Opt(Box::new(p0.elem())),
        "runningCount" => Ty::Opt(Box::new(Ty::Int)),
        "runningAvg" => Ty::Opt(Box::new(Ty::pair(p0.elem(), Ty::Int))),
        _ => Ty::Unknown,
    }
}

/// One operator call, classified.
#[derive(Clone, Debug)]
pub struct Call<'a> {
    /// The operator (`reduceByKeyAndWindow`).
    pub op: &'a str,
    /// Its arguments in order.
    pub args: Vec<Arg<'a>>,
    /// The element type of the receiver.
    pub recv_ty: Ty,
    /// The element type of the result.
    pub out_ty: Ty,
    /// Where it is written (file coordinates).
    pub span: Span,
}

fn is_func(e: &Expr) -> bool {
    matches!(e.kind, ExprKind::Lambda { .. }) || builtin(e).is_some()
}

/// Classifies the arguments of `op` called on a stream of `t`, with `streams` the types of
/// the streams in scope and `render` the target language's code for a stream expression.
///
/// # Errors
/// An operator with no Spark equivalent, or an argument of a form Spark's API does not take,
/// as a message (the caller adds the position).
pub fn classify<'a>(
    op: &'a str,
    args: &'a [Expr],
    t: &Ty,
    span: Span,
    stream: &mut dyn FnMut(&'a Expr) -> Result<Option<(String, Ty)>, String>,
) -> Result<Call<'a>, String> {
    if NOT_IN_SPARK.contains(&op) {
        return Err(format!(
            "`{op}` is one of the simulator's sketch operators: Spark Streaming has no {op}, so the pipeline cannot be exported"
        ));
    }
    let (k, v) = (t.field(0), t.field(1));
    let mut out = Vec::new();
    let mut funcs: Vec<&'a Expr> = Vec::new();
    for a in args {
        if let ExprKind::Lit(Literal::Duration(d)) = &a.kind {
            out.push(Arg::Dur(*d));
        } else if let ExprKind::Lit(Literal::Int(i)) = &a.kind {
            out.push(Arg::Int(*i));
        } else if let ExprKind::Lit(Literal::Str(s)) = &a.kind {
            out.push(Arg::Str(s.clone()));
        } else if is_func(a) {
            funcs.push(a);
            out.push(Arg::Func {
                f: a,
                params: Vec::new(),
            });
        } else if let ExprKind::Call { func, args: inner } = &a.kind {
            match (func.name.as_str(), inner.as_slice()) {
                ("parallelize", [list]) => match &list.kind {
                    ExprKind::Call {
                        func: l,
                        args: items,
                    } if l.name == "List" => out.push(Arg::Initial(items)),
                    _ => return Err("`parallelize` takes `List(...)` here".into()),
                },
                (other, _) => {
                    return Err(format!(
                        "the argument `{other}(...)` of `{op}` has no Spark translation"
                    ))
                }
            }
        } else if let Some((code, ty)) = stream(a)? {
            out.push(Arg::Stream(code, ty));
        } else {
            return Err(format!("an argument of `{op}` has no Spark translation"));
        }
    }
    // Parameter types of the functions, per operator.
    let other_ty = out.iter().find_map(|a| match a {
        Arg::Stream(_, t) => Some(t.clone()),
        _ => None,
    });
    let seq = |x: &Ty| Ty::Seq(Box::new(x.clone()));
    let opt = |x: &Ty| Ty::Opt(Box::new(x.clone()));
    let mut fi = 0;
    let mut state_ty = Ty::Unknown;
    for a in out.iter_mut() {
        let Arg::Func { f, params } = a else { continue };
        let f: &Expr = f;
        *params = match op {
            "map" | "flatMap" | "filter" => vec![t.clone()],
            "mapPartitions" => vec![seq(t)],
            "reduce" | "reduceByWindow" => vec![t.clone(), t.clone()],
            "mapValues" | "flatMapValues" => vec![v.clone()],
            "reduceByKey" => vec![v.clone(), v.clone()],
            "reduceByKeyAndWindow" if fi < 2 && !is_filter(f) => vec![v.clone(), v.clone()],
            "reduceByKeyAndWindow" => vec![t.clone()],
            "transform" => vec![Ty::Rdd(Box::new(t.clone())), Ty::Time],
            "transformWith" => vec![
                Ty::Rdd(Box::new(t.clone())),
                Ty::Rdd(Box::new(other_ty.clone().unwrap_or(Ty::Unknown))),
                Ty::Time,
            ],
            "updateStateByKey" => {
                let four = matches!(&f.kind, ExprKind::Lambda { params, .. } if params.len() == 4);
                // The state's type: what the function returns in its Some, trying the
                // value type first (the common running-total case).
                let guess = |s: &Ty| {
                    let p = if four {
                        vec![Ty::Time, k.clone(), seq(&v), opt(s)]
                    } else {
                        vec![seq(&v), opt(s)]
                    };
                    (ret_ty(f, &p).elem(), p)
                };
                let (s1, _) = guess(&v);
                let s = if s1 == Ty::Unknown { v.clone() } else { s1 };
                let (s2, p) = guess(&s);
                state_ty = if s2 == Ty::Unknown { s } else { s2 };
                let _ = p;
                if four {
                    vec![Ty::Time, k.clone(), seq(&v), opt(&state_ty)]
                } else {
                    vec![seq(&v), opt(&state_ty)]
                }
            }
            _ => {
                return Err(format!(
                    "`{op}` takes no function in Spark's API (or is not a DStream operator)"
                ))
            }
        };
        fi += 1;
    }
    let first_ret = || match out.iter().find(|a| matches!(a, Arg::Func { .. })) {
        Some(Arg::Func { f, params }) => ret_ty(f, params),
        _ => Ty::Unknown,
    };
    let out_ty = match op {
        "map" => first_ret(),
        "flatMap" => first_ret().elem(),
        "mapPartitions" => first_ret().elem(),
        "filter"
        | "repartition"
        | "union"
        | "cache"
        | "persist"
        | "checkpoint"
        | "window"
        | "reduce"
        | "reduceByWindow"
        | "reduceByKey"
        | "reduceByKeyAndWindow"
        | "print"
        | "saveAsTextFiles" => t.clone(),
        "glom" => Ty::Arr(Box::new(t.clone())),
        "count" | "countByWindow" => Ty::Long,
        "countByValue" | "countByValueAndWindow" => Ty::pair(t.clone(), Ty::Long),
        "groupByKey" | "groupByKeyAndWindow" => Ty::pair(k.clone(), Ty::Iter(Box::new(v))),
        "mapValues" => Ty::pair(k, first_ret()),
        "flatMapValues" => Ty::pair(k, first_ret().elem()),
        "join" | "leftOuterJoin" | "rightOuterJoin" | "fullOuterJoin" | "cogroup" => {
            let w = other_ty.unwrap_or(Ty::Unknown).field(1);
            let (a, b) = match op {
                "join" => (v, w),
                "leftOuterJoin" => (v, opt(&w)),
                "rightOuterJoin" => (opt(&v), w),
                "fullOuterJoin" => (opt(&v), opt(&w)),
                _ => (Ty::Iter(Box::new(v)), Ty::Iter(Box::new(w))),
            };
            Ty::pair(k, Ty::pair(a, b))
        }
        "transform" | "transformWith" => match out.iter().find(|a| matches!(a, Arg::Func { .. })) {
            Some(Arg::Func { f, params }) => rdd_body_ty(f, params),
            _ => Ty::Unknown,
        },
        "updateStateByKey" => Ty::pair(k, state_ty),
        other => {
            return Err(format!(
                "`{other}` is not a DStream operator Spark has (see `stream-sim help operators`)"
            ))
        }
    };
    Ok(Call {
        op,
        args: out,
        recv_ty: t.clone(),
        out_ty,
        span,
    })
}

/// Whether a function argument of reduceByKeyAndWindow is its filter (`kv => kv._2 > 0`,
/// one parameter) rather than the reduce or inverse function (two).
fn is_filter(f: &Expr) -> bool {
    matches!(&f.kind, ExprKind::Lambda { params, .. } if params.len() == 1)
}

/// The element type of the RDD a `transform` function returns: its body is a chain of RDD
/// operations on the parameter, typed by the same table as the stream operators.
fn rdd_body_ty(f: &Expr, params: &[Ty]) -> Ty {
    let ExprKind::Lambda {
        params: names,
        body,
    } = &f.kind
    else {
        return Ty::Unknown;
    };
    let env: BTreeMap<String, Ty> = names
        .iter()
        .zip(params)
        .map(|(n, t)| (n.name.clone(), t.elem()))
        .collect();
    chain_ty(body, &env)
}

fn chain_ty(e: &Expr, env: &BTreeMap<String, Ty>) -> Ty {
    match &e.kind {
        ExprKind::Var(n) => env.get(n).cloned().unwrap_or(Ty::Unknown),
        ExprKind::Method {
            recv,
            name,
            args: Some(args),
        } => {
            let t = chain_ty(recv, env);
            match name.name.as_str() {
                "sortBy" | "sortByKey" | "distinct" | "subtract" | "subtractByKey"
                | "intersection" | "coalesce" => t,
                op => {
                    let mut other = |a: &Expr| Ok(Some((String::new(), chain_ty(a, env))));
                    classify(op, args, &t, e.span, &mut other)
                        .map(|c| c.out_ty)
                        .unwrap_or(Ty::Unknown)
                }
            }
        }
        _ => Ty::Unknown,
    }
}
