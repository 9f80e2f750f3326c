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

pub mod broadcast;
mod builtins;
mod compiler;
mod error;
mod eval;
mod fast;
mod methods;
mod ops;

pub use builtins::BuiltinDoc;
pub use error::CompileError;

pub use crate::func::{EvalError, EvalResult, FlatFn, Func};

/// The closest of `candidates` to `name` within edit distance 2 (ignoring case), for a
/// "did you mean" hint; `None` when nothing is that close.
pub fn suggest_name<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    ops::suggest(name, candidates)
}
use crate::scenario::ast::Expr;
use crate::value::Value;

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
    compiler::compile(expr, arity)
}

/// Evaluates a closed expression (no free variables) to a value, e.g. a literal,
/// `List(1, 2)`, `("a", 1)` or `Some(-2.5)`.
///
/// # Errors
/// A [`CompileError`] for a variable, a lambda, a duration (those are operator arguments the
/// caller handles itself), an unknown function, or an evaluation failure such as `1 / 0`.
pub fn eval_const(expr: &Expr) -> Result<Value, CompileError> {
    compiler::eval_const(expr)
}

/// Names, signatures, arities and one-line descriptions of all built-in functions, for
/// `help` and completion (`split(sep)`, `pair(v)`, `sum`, `runningSum`, ...).
pub fn builtins() -> &'static [BuiltinDoc] {
    builtins::DOCS
}
