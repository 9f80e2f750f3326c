//! The value types a pipeline's streams carry, inferred from its sources (lines of text) and
//! its functions, as far as the exporters need them: Scala's overloaded operators
//! (`reduceByKeyAndWindow`, `updateStateByKey`, `transform`) want typed function parameters,
//! as the programming guide writes them (`(a: Int, b: Int) => a + b`).
//!
//! The rules are Scala's own for the expressions the scenario language has (an `Int` literal
//! is an `Int`; `Int + Long` is a `Long`; `count()` is a `DStream[Long]`; `groupByKey` gives
//! `Iterable` values; PairDStreamFunctions.scala's join family gives `Option`s on the outer
//! side). A type this module cannot tell is [`Ty::Unknown`]; an exporter that needs it says so.

use crate::scenario::ast::{BinOp, Expr, ExprKind, Literal, UnOp};
use std::collections::BTreeMap;

/// A Scala value type.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    /// `String`.
    Str,
    /// `Int`.
    Int,
    /// `Long`.
    Long,
    /// `Double`.
    Double,
    /// `Boolean`.
    Bool,
    /// `(A, B, ...)`.
    Tuple(Vec<Ty>),
    /// `Seq[A]` (also `List`).
    Seq(Box<Ty>),
    /// `Array[A]` (`split`, `glom`).
    Arr(Box<Ty>),
    /// `Iterable[A]` (grouped values).
    Iter(Box<Ty>),
    /// `Option[A]`.
    Opt(Box<Ty>),
    /// `RDD[A]` (a `transform` function's parameter).
    Rdd(Box<Ty>),
    /// Spark's `Time` (a time-aware function's parameter).
    Time,
    /// Not known.
    Unknown,
}

impl Ty {
    /// The Scala spelling (`(String, Int)`), or `None` when a part is unknown.
    pub fn scala(&self) -> Option<String> {
        Some(match self {
            Ty::Str => "String".into(),
            Ty::Int => "Int".into(),
            Ty::Long => "Long".into(),
            Ty::Double => "Double".into(),
            Ty::Bool => "Boolean".into(),
            Ty::Tuple(items) => {
                let parts: Option<Vec<String>> = items.iter().map(Ty::scala).collect();
                format!("({})", parts?.join(", "))
            }
            Ty::Seq(t) => format!("Seq[{}]", t.scala()?),
            Ty::Arr(t) => format!("Array[{}]", t.scala()?),
            Ty::Iter(t) => format!("Iterable[{}]", t.scala()?),
            Ty::Opt(t) => format!("Option[{}]", t.scala()?),
            Ty::Rdd(t) => format!("RDD[{}]", t.scala()?),
            Ty::Time => "Time".into(),
            Ty::Unknown => return None,
        })
    }

    /// The element type of a collection (`Seq`, `Array`, `Iterable`, `Option`).
    pub fn elem(&self) -> Ty {
        match self {
            Ty::Seq(t) | Ty::Arr(t) | Ty::Iter(t) | Ty::Opt(t) | Ty::Rdd(t) => (**t).clone(),
            _ => Ty::Unknown,
        }
    }

    /// Field `i` (0-based) of a tuple.
    pub fn field(&self, i: usize) -> Ty {
        match self {
            Ty::Tuple(items) => items.get(i).cloned().unwrap_or(Ty::Unknown),
            _ => Ty::Unknown,
        }
    }

    /// A pair type.
    pub fn pair(k: Ty, v: Ty) -> Ty {
        Ty::Tuple(vec![k, v])
    }
}

/// The type of a numeric operation on `a` and `b` (Scala's numeric widening).
fn widen(a: &Ty, b: &Ty) -> Ty {
    match (a, b) {
        (Ty::Double, _) | (_, Ty::Double) => Ty::Double,
        (Ty::Long, Ty::Int | Ty::Long) | (Ty::Int, Ty::Long) => Ty::Long,
        (Ty::Int, Ty::Int) => Ty::Int,
        _ => Ty::Unknown,
    }
}

/// The type of expression `e` with the lambda parameters' types in `env`.
pub fn expr_ty(e: &Expr, env: &BTreeMap<String, Ty>) -> Ty {
    match &e.kind {
        ExprKind::Lit(l) => match l {
            Literal::Int(i) if i32::try_from(*i).is_ok() => Ty::Int,
            Literal::Int(_) => Ty::Long,
            Literal::Float(_) => Ty::Double,
            Literal::Str(_) => Ty::Str,
            Literal::Bool(_) => Ty::Bool,
            Literal::None => Ty::Opt(Box::new(Ty::Unknown)),
            Literal::Null | Literal::Duration(_) => Ty::Unknown,
        },
        ExprKind::Var(n) => env.get(n).cloned().unwrap_or(Ty::Unknown),
        ExprKind::Tuple(items) => Ty::Tuple(items.iter().map(|i| expr_ty(i, env)).collect()),
        ExprKind::Call { func, args } => match (func.name.as_str(), args.as_slice()) {
            ("Some" | "Option", [x]) => Ty::Opt(Box::new(expr_ty(x, env))),
            ("List" | "Seq", [x, ..]) => Ty::Seq(Box::new(expr_ty(x, env))),
            ("Array", [x, ..]) => Ty::Arr(Box::new(expr_ty(x, env))),
            _ => Ty::Unknown,
        },
        ExprKind::Method { recv, name, args } => {
            let r = expr_ty(recv, env);
            let arg0 = args
                .as_ref()
                .and_then(|a| a.first())
                .map(|a| expr_ty(a, env));
            method_ty(&r, &name.name, arg0)
        }
        ExprKind::Lambda { .. } => Ty::Unknown,
        ExprKind::Binary { op, lhs, rhs } => {
            let (a, b) = (expr_ty(lhs, env), expr_ty(rhs, env));
            match op {
                BinOp::Or
                | BinOp::And
                | BinOp::Eq
                | BinOp::Ne
                | BinOp::Lt
                | BinOp::Le
                | BinOp::Gt
                | BinOp::Ge => Ty::Bool,
                BinOp::Add if a == Ty::Str || b == Ty::Str => Ty::Str,
                _ => widen(&a, &b),
            }
        }
        ExprKind::Unary { op, expr } => match op {
            UnOp::Not => Ty::Bool,
            UnOp::Neg => expr_ty(expr, env),
        },
        ExprKind::If { then_, else_, .. } => {
            let (a, b) = (expr_ty(then_, env), expr_ty(else_, env));
            match (&a, &b) {
                (Ty::Unknown, _) => b,
                (Ty::Opt(x), _) if **x == Ty::Unknown => b,
                (Ty::Int, Ty::Long) | (Ty::Long, Ty::Int) => Ty::Long,
                _ => a,
            }
        }
    }
}

/// The type of `recv.name(arg0, ...)`.
fn method_ty(r: &Ty, name: &str, arg0: Option<Ty>) -> Ty {
    match name {
        "_1" => r.field(0),
        "_2" => r.field(1),
        "_3" => r.field(2),
        "length" | "size" | "toInt" | "indexOf" => Ty::Int,
        "toLong" => Ty::Long,
        "toDouble" => Ty::Double,
        "toLowerCase" | "toUpperCase" | "trim" | "toString" | "substring" | "mkString"
        | "replace" => Ty::Str,
        "contains" | "startsWith" | "endsWith" | "isEmpty" | "nonEmpty" | "isDefined"
        | "exists" | "equals" => Ty::Bool,
        "split" => Ty::Arr(Box::new(Ty::Str)),
        "sum" | "max" | "min" | "head" | "last" | "get" => match r {
            Ty::Int | Ty::Long | Ty::Double => r.clone(),
            _ => r.elem(),
        },
        "getOrElse" => match r.elem() {
            Ty::Unknown => arg0.unwrap_or(Ty::Unknown),
            t => t,
        },
        "swap" => Ty::pair(r.field(1), r.field(0)),
        "abs" => r.clone(),
        "toList" | "toSeq" | "sorted" | "reverse" | "distinct" | "take" | "drop" => {
            Ty::Seq(Box::new(r.elem()))
        }
        _ => Ty::Unknown,
    }
}
