//! The node compiler: a function argument (a lambda, a built-in call or a bare built-in name)
//! or a closed expression compiled to a tree of [`Node`]s, with variables resolved to slots
//! and methods to [`Method`]s, and compile errors that name what would be valid.

use super::builtins;
use super::error::CompileError;
use super::eval::{FnArg, MethodNode, Node};
use super::fast;
use super::methods::{method_names, Method, METHODS};
use super::ops::suggest;
use crate::func::Func;
use crate::scenario::ast::{BinOp, Expr, ExprKind, Ident, Literal, Span};
use crate::scenario::parse::unparse;
use crate::value::{SeqKind, Value};
use std::sync::Arc;

/// Compiles a function argument: a lambda with exactly `arity` parameters, a built-in call
/// such as `split(" ")`, or a bare built-in name such as `sum` (see [`super::compile`]).
pub(crate) fn compile(expr: &Expr, arity: usize) -> Result<Func, CompileError> {
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
            compile_lambda(params, body, unparse(expr))
        }
        ExprKind::Var(name) if builtins::is_builtin(name) => {
            Ok(builtins::make(name, &[], arity, expr.span)?.with_identity(&builtin_key(name, &[])))
        }
        ExprKind::Call { func, args } if builtins::is_builtin(&func.name) => {
            let consts = args
                .iter()
                .map(|a| eval_const(a).map(|v| (v, a.span)))
                .collect::<Result<Vec<_>, _>>()?;
            let values: Vec<Value> = consts.iter().map(|(v, _)| v.clone()).collect();
            Ok(builtins::make(&func.name, &consts, arity, expr.span)?
                .with_identity(&builtin_key(&func.name, &values)))
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

/// Evaluates a closed expression (no free variables) to a value (see [`super::eval_const`]).
pub(crate) fn eval_const(expr: &Expr) -> Result<Value, CompileError> {
    let node = compile_node(expr, &mut Vec::new())?;
    node.eval(&[]).map_err(|e| CompileError {
        message: e.message,
        span: expr.span,
    })
}

// ---- compiling ----------------------------------------------------------------------------

fn cerr(span: Span, message: impl Into<String>) -> CompileError {
    CompileError {
        message: message.into(),
        span,
    }
}

/// Compiles a lambda of exactly these parameters into a [`Func`] named `name`.
pub(crate) fn compile_lambda(
    params: &[Ident],
    body: &Expr,
    name: String,
) -> Result<Func, CompileError> {
    let mut scope: Vec<String> = Vec::new();
    for p in params {
        if scope.contains(&p.name) {
            return Err(cerr(
                p.span,
                format!("the parameter `{}` appears twice in this lambda", p.name),
            ));
        }
        scope.push(p.name.clone());
    }
    let node = Arc::new(compile_node(body, &mut scope)?);
    let key = pure(&node).then(|| format!("lambda {name}"));
    // A body of a common shape computes its usual case without walking the tree (the same
    // values; anything else, errors included, falls back to the tree: `fast.rs`).
    let f = match fast::shape(&node) {
        Some(shape) => Func::native(&name, params.len(), move |args| {
            match shape.try_eval(args) {
                Some(v) => Ok(v),
                None => node.eval(args),
            }
        }),
        None => Func::native(&name, params.len(), move |args| node.eval(args)),
    };
    Ok(match key {
        Some(key) => f.with_identity(&key),
        None => f,
    })
}

/// The identity of a built-in made with these constant arguments (see [`Func::same_as`]):
/// every built-in is a pure function of its arguments (`builtins.rs`: no randomness, no
/// state), so its name and constants (compared as values, `1` differs from `1.0`) say what
/// it computes.
fn builtin_key(name: &str, consts: &[Value]) -> String {
    format!("builtin {name}{consts:?}")
}

/// Whether a compiled lambda body is pure: it calls only built-ins (which carry an
/// identity) and methods (`methods.rs`: functions of their receiver and arguments). A read
/// of a broadcast variable (`excluded.value`, a call of a native reader) is not: the
/// broadcast may be re-made between batches, and its singleton is made on the first read.
fn pure(n: &Node) -> bool {
    match n {
        Node::Const(_) | Node::Slot(_) => true,
        Node::Tuple(items) | Node::MakeSeq(_, items) => items.iter().all(pure),
        Node::MakeSome(x) | Node::Unary(_, x) => pure(x),
        Node::And(l, r) | Node::Or(l, r) | Node::Bin(_, l, r) => pure(l) && pure(r),
        Node::If(parts) => parts.iter().all(pure),
        Node::Method(m) => {
            pure(&m.recv)
                && m.args.iter().all(pure)
                && match &m.fun {
                    None => true,
                    Some(FnArg::Inline(body)) => pure(body),
                    Some(FnArg::Func(f)) => f.identity().is_some(),
                }
        }
        Node::Call(f, args) => f.identity().is_some() && args.iter().all(pure),
    }
}

/// Compiles an expression in a scope of variable names (slot `i` is `scope[i]`; later names
/// shadow earlier ones).
pub(crate) fn compile_node(e: &Expr, scope: &mut Vec<String>) -> Result<Node, CompileError> {
    Ok(match &e.kind {
        ExprKind::Lit(l) => Node::Const(literal_value(l, e.span)?),
        ExprKind::Var(name) => match scope.iter().rposition(|s| s == name) {
            Some(slot) => Node::Slot(slot),
            None => return Err(unknown_variable(name, e.span, scope)),
        },
        ExprKind::Tuple(items) => {
            let nodes = compile_all(items, scope)?;
            match all_const(&nodes) {
                Some(values) => Node::Const(Value::tuple(values)),
                None => Node::Tuple(nodes),
            }
        }
        ExprKind::Call { func, args } => compile_call(func, args, e.span, scope)?,
        ExprKind::Method { recv, name, args } => {
            compile_method(recv, name, args.as_deref(), scope)?
        }
        ExprKind::Lambda { .. } => {
            return Err(cerr(
                e.span,
                "a lambda is a function, not a value: it can only be an operator's argument \
                 (`map(x => ...)`) or the argument of `.map`, `.filter` or `.exists`",
            ))
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let l = Box::new(compile_node(lhs, scope)?);
            let r = Box::new(compile_node(rhs, scope)?);
            match op {
                BinOp::And => Node::And(l, r),
                BinOp::Or => Node::Or(l, r),
                _ => Node::Bin(*op, l, r),
            }
        }
        ExprKind::Unary { op, expr } => Node::Unary(*op, Box::new(compile_node(expr, scope)?)),
        ExprKind::If { cond, then_, else_ } => Node::If(Box::new([
            compile_node(cond, scope)?,
            compile_node(then_, scope)?,
            compile_node(else_, scope)?,
        ])),
    })
}

fn compile_all(items: &[Expr], scope: &mut Vec<String>) -> Result<Box<[Node]>, CompileError> {
    items.iter().map(|i| compile_node(i, scope)).collect()
}

fn all_const(nodes: &[Node]) -> Option<Vec<Value>> {
    nodes
        .iter()
        .map(|n| match n {
            Node::Const(v) => Some(v.clone()),
            _ => None,
        })
        .collect()
}

fn literal_value(l: &Literal, span: Span) -> Result<Value, CompileError> {
    Ok(match l {
        Literal::Int(i) => Value::Int(*i),
        Literal::Float(x) => Value::Float(*x),
        Literal::Str(s) => Value::str(s),
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Null => Value::Null,
        Literal::None => Value::none(),
        Literal::Duration(d) => {
            return Err(cerr(
                span,
                format!(
                    "the duration `{d}` is not a value here; durations are arguments of \
                     operators such as `window(30s, 10s)`"
                ),
            ))
        }
    })
}

fn unknown_variable(name: &str, span: Span, scope: &[String]) -> CompileError {
    if builtins::is_builtin(name) {
        return cerr(
            span,
            format!(
                "`{name}` is a built-in function, not a value; pass it to an operator \
                 (`reduceByKey({name})`) or, inside a lambda, call it (`{name}(a, b)`)"
            ),
        );
    }
    let mut message = format!("unknown variable `{name}`");
    if name == "_" {
        message.push_str("; the placeholder `_` is not supported, write a lambda: `x => ...`");
    } else if scope.is_empty() {
        message.push_str("; a constant is needed here (no variables are in scope)");
    } else {
        let mut names: Vec<&str> = scope.iter().map(String::as_str).collect();
        names.dedup();
        message.push_str(&format!(
            "; the variables in scope are: {}",
            names.join(", ")
        ));
        if let Some(s) = suggest(name, scope.iter().map(String::as_str)) {
            message.push_str(&format!(" (did you mean `{s}`?)"));
        }
    }
    cerr(span, message)
}

fn compile_call(
    func: &Ident,
    args: &[Expr],
    span: Span,
    scope: &mut Vec<String>,
) -> Result<Node, CompileError> {
    let name = func.name.as_str();
    match name {
        "Some" => {
            let [arg] = args else {
                return Err(cerr(
                    span,
                    format!(
                        "`Some` takes 1 argument, e.g. `Some(x)`, found {}",
                        args.len()
                    ),
                ));
            };
            let node = compile_node(arg, scope)?;
            return Ok(match node {
                Node::Const(v) => Node::Const(Value::some(v)),
                other => Node::MakeSome(Box::new(other)),
            });
        }
        "List" | "Seq" | "Array" => {
            let kind = if name == "Array" {
                SeqKind::Array
            } else {
                SeqKind::List
            };
            let nodes = compile_all(args, scope)?;
            return Ok(match all_const(&nodes) {
                Some(values) => Node::Const(Value::seq(kind, values)),
                None => Node::MakeSeq(kind, nodes),
            });
        }
        _ => {}
    }
    if builtins::is_builtin(name) {
        if let Some(f) = builtins::direct(name, args.len()) {
            let f = f.with_identity(&builtin_key(name, &[]));
            return Ok(Node::Call(f, compile_all(args, scope)?));
        }
        return Err(cerr(
            func.span,
            builtins::direct_call_hint(name, args.len()),
        ));
    }
    Err(cerr(func.span, builtins::unknown_function_message(name)))
}

fn compile_method(
    recv: &Expr,
    name: &Ident,
    args: Option<&[Expr]>,
    scope: &mut Vec<String>,
) -> Result<Node, CompileError> {
    if let Some(node) = super::broadcast::method(recv, name, args, scope) {
        return node;
    }
    let args = args.unwrap_or(&[]);
    // A field past the end of a tuple written in place (`(w, 1)._3`) is known to fail
    // before any record arrives: refuse it at build time, so `check` and `run` agree.
    if let (ExprKind::Tuple(items), Some(k)) = (
        &recv.kind,
        name.name
            .strip_prefix('_')
            .and_then(|d| d.parse::<usize>().ok()),
    ) {
        if k == 0 || k > items.len() {
            return Err(cerr(
                name.span,
                format!(
                    "`._{k}` of a tuple of {} elements; its fields are {}",
                    items.len(),
                    (1..=items.len())
                        .map(|i| format!("`._{i}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    let Some(&(mname, method, counts)) = METHODS.iter().find(|m| m.0 == name.name) else {
        let mut message = format!(
            "unknown method `.{}`; the methods are: {}",
            name.name,
            method_names().collect::<Vec<_>>().join(", ")
        );
        if let Some(s) = suggest(&name.name, method_names()) {
            message.push_str(&format!(" (did you mean `.{s}`?)"));
        }
        return Err(cerr(name.span, message));
    };
    if !counts.contains(&args.len()) {
        let takes = match counts {
            [0] => "no arguments".to_string(),
            [1] => "1 argument".to_string(),
            [n] => format!("{n} arguments"),
            [0, 1] => "0 or 1 argument".to_string(),
            [1, 2] => "1 or 2 arguments".to_string(),
            _ => "0, 1 or 3 arguments".to_string(),
        };
        return Err(cerr(
            name.span,
            format!(
                "`.{mname}` takes {takes}, but {} {} given",
                args.len(),
                if args.len() == 1 { "is" } else { "are" }
            ),
        ));
    }
    let recv = compile_node(recv, scope)?;
    if matches!(method, Method::Map | Method::Filter | Method::Exists) {
        let fun = match args {
            [Expr {
                kind: ExprKind::Lambda { params, body },
                span,
            }] => {
                let [param] = params.as_slice() else {
                    return Err(cerr(
                        *span,
                        format!(
                            "`.{mname}` passes 1 argument, e.g. `.{mname}(x => ...)`, but the \
                             lambda takes {}",
                            params.len()
                        ),
                    ));
                };
                scope.push(param.name.clone());
                let body = compile_node(body, scope);
                scope.pop();
                FnArg::Inline(Box::new(body?))
            }
            [other] => FnArg::Func(compile(other, 1)?),
            _ => return Err(cerr(name.span, format!("`.{mname}` takes a function"))),
        };
        return Ok(Node::Method(Box::new(MethodNode {
            recv,
            method,
            name: mname,
            args: Box::new([]),
            const_args: None,
            fun: Some(fun),
        })));
    }
    let args = compile_all(args, scope)?;
    let const_args = all_const(&args).map(Vec::into_boxed_slice);
    Ok(Node::Method(Box::new(MethodNode {
        recv,
        method,
        name: mname,
        args,
        const_args,
        fun: None,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::expr::broadcast::{self, BroadcastRead};
    use crate::scenario::parse::parse_expr;

    fn func(text: &str, arity: usize) -> Func {
        compile(&parse_expr(text).expect("parses"), arity).expect("compiles")
    }

    /// Built-ins and lambdas are pure and identified by what they compute as written; a
    /// broadcast read makes a lambda impure (no identity, never shared).
    #[test]
    fn identities_of_compiled_functions() {
        assert!(func("sum", 2).same_as(&func("sum", 2)));
        assert!(!func("sum", 2).same_as(&func("max", 2)));
        assert!(func("pair(1)", 1).same_as(&func("pair(1)", 1)));
        assert!(!func("pair(1)", 1).same_as(&func("pair(1.0)", 1)));
        assert!(!func("pair(1)", 1).same_as(&func("pair(\"1\")", 1)));
        let add = "(a, b) => a + b";
        assert!(func(add, 2).same_as(&func("(a, b)  =>  a+b", 2)));
        assert!(!func(add, 2).same_as(&func("(a, b) => b + a", 2)));
        assert!(!func(add, 2).same_as(&func("sum", 2)));
        assert!(func("x => toLower(x).split(\" \").map(toUpper)", 1)
            .identity()
            .is_some());
        broadcast::clear();
        let read = Func::native("excluded", 0, |_| Ok(Value::Int(3)));
        broadcast::declare("excluded", BroadcastRead::Captured(read));
        let reads = func("(a, b) => a + b + excluded.value", 2);
        broadcast::clear();
        assert_eq!(reads.identity(), None);
        assert!(!reads.same_as(&reads));
    }
}

/// The fast paths of `fast.rs` against the tree they stand for.
#[cfg(test)]
mod fast_tests {
    use super::*;
    use crate::scenario::expr::fast::{shape, Shape};
    use crate::scenario::parse::parse_expr;
    use crate::value::Value;
    use proptest::prelude::*;

    /// Operands with a fast path (`-1` is `Unary(Neg, 1)`, so it has none: also tested).
    const OPERANDS: &[&str] = &[
        "x",
        "y",
        "x._1",
        "x._2",
        "x._3",
        "y._2",
        "0",
        "7",
        "9223372036854775807",
        "-1",
        "1.5",
        "\"a\"",
    ];
    const OPS: &[&str] = &["+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">="];

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            4 => prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(-1i64), Just(0i64), -3i64..4]
                .prop_map(Value::Int),
            1 => prop_oneof![Just(f64::NAN), Just(0.0), Just(-2.5), Just(1.0)]
                .prop_map(Value::Float),
            1 => Just(Value::str("a")),
            1 => any::<bool>().prop_map(Value::Bool),
            1 => Just(Value::Null),
        ];
        prop_oneof![
            1 => leaf.clone(),
            2 => proptest::collection::vec(leaf, 2..4).prop_map(Value::tuple),
        ]
    }

    /// The general evaluator's result for `(x, y) => body` (the tree, no fast path).
    fn general(body: &str, args: &[Value]) -> String {
        let e = parse_expr(body).expect("parses");
        let node = compile_node(&e, &mut vec!["x".into(), "y".into()]).expect("compiles");
        format!("{:?}", node.eval(args))
    }

    #[test]
    fn common_bodies_have_a_fast_shape() {
        let e = parse_expr("kv._2 > 0").expect("parses");
        let node = compile_node(&e, &mut vec!["kv".into()]).expect("compiles");
        assert!(matches!(shape(&node), Some(Shape::Ints(..))));
        let e = parse_expr("kv._2").expect("parses");
        let node = compile_node(&e, &mut vec!["kv".into()]).expect("compiles");
        assert_eq!(shape(&node), Some(Shape::Field(0, 1)));
        let e = parse_expr("a + b").expect("parses");
        let node = compile_node(&e, &mut vec!["a".into(), "b".into()]).expect("compiles");
        assert!(matches!(shape(&node), Some(Shape::Ints(..))));
    }

    proptest! {
        #[test]
        fn fast_lambdas_give_the_general_evaluators_results_and_errors(
            l in 0..OPERANDS.len(),
            op in 0..OPS.len(),
            r in 0..OPERANDS.len(),
            field_only in any::<bool>(),
            x in value(),
            y in value(),
            with_context in any::<bool>(),
        ) {
            let body = if field_only {
                OPERANDS[l].to_string()
            } else {
                format!("{} {} {}", OPERANDS[l], OPS[op], OPERANDS[r])
            };
            let lambda = parse_expr(&format!("(x, y) => {body}")).expect("parses");
            let mut f = compile(&lambda, 2).expect("compiles");
            let args = [x, y];
            let mut want = general(&body, &args);
            if with_context {
                f = f.with_error_context("wc.toml:1:2: ");
                want = want.replace("message: \"", "message: \"wc.toml:1:2: ");
            }
            prop_assert_eq!(format!("{:?}", f.call(&args)), want);
        }
    }
}
