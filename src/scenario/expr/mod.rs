//! Functions passed to operators: built-ins and small lambdas compiled to closures.
//!
//! [`compile`] turns a function argument of the pipeline (`x => x.contains("a")`,
//! `split(" ")`, `sum`) into a [`Func`]: a cheap-to-clone closure over [`Value`]s. Lambdas
//! are compiled once: variables become slots in the argument slice (no lookups by name per
//! record) and methods are resolved by name at compile time, then dispatched on the
//! receiver's kind at run time. [`eval_const`] evaluates a closed expression (an operator's
//! constant argument such as `List(1, 2)`), and [`builtins`] lists the built-in functions.
//!
//! Semantics follow Scala (and Java where Scala defers to it): `Int / Int` truncates and
//! fails with `/ by zero`; `"a" + 1` concatenates; `==` is structural with numeric widening
//! (`1 == 1.0`); `split` is Java's `String.split` with a literal separator; only `Bool` is a
//! truth value. Method names are Scala's (`toLowerCase`, `getOrElse`, `mkString`, `_1`).
//!
//! Errors come in two kinds: a [`CompileError`] (with the span of the offending expression)
//! for unknown names, wrong numbers of parameters or arguments and constant arguments of the
//! wrong type; an [`EvalError`] at run time naming the operation and the value, e.g.
//! ``"`_1` is not defined on string \"abc\""``.

mod builtins;
mod eval;

pub use builtins::BuiltinDoc;

pub use crate::func::{EvalError, EvalResult, FlatFn, Func};
use crate::scenario::ast::{Expr, ExprKind, Span};
use crate::scenario::parse::unparse;
use crate::value::Value;
use std::fmt;

/// A function argument that cannot be compiled: an unknown name, a lambda with the wrong
/// number of parameters, a built-in given arguments of the wrong kind, ...
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    /// The message (this is also its `Display`), e.g. ``"unknown function `splt`; ..."``.
    pub message: String,
    /// The start of the offending expression (relative to the text that was parsed).
    pub span: Span,
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CompileError {}

/// Compiles a function argument: a lambda with exactly `arity` parameters, a built-in call
/// such as `split(" ")`, or a bare built-in name such as `sum`.
///
/// `arity` is the number of values the operator passes: 1 for `map`/`filter`/`flatMap`, 2
/// for `reduce`/`reduceByKey` and `updateStateByKey`, and so on.
///
/// # Errors
/// A [`CompileError`] at the offending expression: an unknown function or variable (listing
/// the valid names), a lambda with the wrong number of parameters ("this operator passes 2
/// arguments, e.g. `(a, b) => a + b`, but the lambda takes 1"), a built-in that does not take
/// `arity` arguments or whose constant arguments are of the wrong kind (`split(1)`), an
/// unknown method or a method given the wrong number of arguments, or an expression that is
/// not a function at all.
pub fn compile(expr: &Expr, arity: usize) -> Result<Func, CompileError> {
    match &expr.kind {
        ExprKind::Lambda { params, body } => {
            if params.len() != arity {
                return Err(CompileError {
                    message: format!(
                        "{}, but the lambda takes {}",
                        builtins::passes(arity),
                        params.len()
                    ),
                    span: expr.span,
                });
            }
            eval::compile_lambda(params, body, unparse(expr))
        }
        ExprKind::Var(name) if builtins::is_builtin(name) => {
            builtins::make(name, &[], arity, expr.span)
        }
        ExprKind::Call { func, args } if builtins::is_builtin(&func.name) => {
            let consts = args
                .iter()
                .map(|a| eval_const(a).map(|v| (v, a.span)))
                .collect::<Result<Vec<_>, _>>()?;
            builtins::make(&func.name, &consts, arity, expr.span)
        }
        ExprKind::Var(name) => Err(CompileError {
            message: builtins::unknown_function_message(name),
            span: expr.span,
        }),
        ExprKind::Call { func, .. }
            if !matches!(func.name.as_str(), "Some" | "List" | "Seq" | "Array") =>
        {
            Err(CompileError {
                message: builtins::unknown_function_message(&func.name),
                span: func.span,
            })
        }
        _ => Err(CompileError {
            message: format!(
                "expected a function here, found the value `{}`; write a lambda such as {} or \
                 a built-in such as `{}`",
                unparse(expr),
                builtins::lambda_example(arity),
                if arity == 2 { "sum" } else { "identity" }
            ),
            span: expr.span,
        }),
    }
}

/// Evaluates a closed expression (no free variables) to a value, e.g. a literal,
/// `List(1, 2)`, `("a", 1)` or `Some(-2.5)`.
///
/// # Errors
/// A [`CompileError`] for a variable, a lambda, a duration (those are operator arguments the
/// caller handles itself), an unknown function, or an evaluation failure such as `1 / 0`.
pub fn eval_const(expr: &Expr) -> Result<Value, CompileError> {
    let node = eval::compile_node(expr, &mut Vec::new())?;
    node.eval(&[]).map_err(|e| CompileError {
        message: e.message,
        span: expr.span,
    })
}

/// Names, signatures, arities and one-line descriptions of all built-in functions, for
/// `help` and completion (`split(sep)`, `pair(v)`, `sum`, `runningSum`, ...).
pub fn builtins() -> &'static [BuiltinDoc] {
    builtins::DOCS
}
