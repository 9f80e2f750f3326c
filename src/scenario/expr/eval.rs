//! The evaluator: expressions compiled to a tree of [`Node`]s whose variables are slots in an
//! environment slice (a lambda's arguments, then the parameters of lambdas nested inside
//! `.map(..)` / `.filter(..)`), plus the operator and method semantics (Scala's / Java's).

use super::builtins;
use super::{CompileError, EvalError, EvalResult, Func};
use crate::scenario::ast::{BinOp, Expr, ExprKind, Ident, Literal, Span, UnOp};
use crate::value::{SeqKind, Value};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::Arc;

/// A compiled expression.
pub(crate) enum Node {
    Const(Value),
    Slot(usize),
    Tuple(Box<[Node]>),
    MakeSeq(SeqKind, Box<[Node]>),
    MakeSome(Box<Node>),
    Unary(UnOp, Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Bin(BinOp, Box<Node>, Box<Node>),
    If(Box<[Node; 3]>),
    Method(Box<MethodNode>),
    Call(Func, Box<[Node]>),
}

/// `recv.name(args)` with the method resolved at compile time.
pub(crate) struct MethodNode {
    recv: Node,
    method: Method,
    name: &'static str,
    args: Box<[Node]>,
    /// The arguments when they are all constants (no evaluation per record).
    const_args: Option<Box<[Value]>>,
    /// The function argument of `map`, `filter`, `exists`.
    fun: Option<FnArg>,
}

/// The function argument of a higher-order method.
pub(crate) enum FnArg {
    /// A lambda written in place: its parameter is the slot after the enclosing ones.
    Inline(Box<Node>),
    /// A built-in function such as `toLower`.
    Func(Func),
}

/// The methods, resolved by name at compile time and dispatched on the receiver at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Field(usize),
    Swap,
    Contains,
    StartsWith,
    EndsWith,
    ToLowerCase,
    ToUpperCase,
    Trim,
    Length,
    IsEmpty,
    NonEmpty,
    Split,
    ToInt,
    ToLong,
    ToDouble,
    Substring,
    Replace,
    CharAt,
    Take,
    Drop,
    Abs,
    ToString,
    Max,
    Min,
    Sum,
    Head,
    Last,
    MkString,
    Sorted,
    Reverse,
    ToList,
    Distinct,
    Map,
    Filter,
    Exists,
    GetOrElse,
    IsDefined,
    Get,
    Equals,
}

/// Method names, what they resolve to, and how many arguments each accepts.
const METHODS: &[(&str, Method, &[usize])] = &[
    ("_1", Method::Field(0), &[0]),
    ("_2", Method::Field(1), &[0]),
    ("_3", Method::Field(2), &[0]),
    ("_4", Method::Field(3), &[0]),
    ("_5", Method::Field(4), &[0]),
    ("_6", Method::Field(5), &[0]),
    ("_7", Method::Field(6), &[0]),
    ("_8", Method::Field(7), &[0]),
    ("_9", Method::Field(8), &[0]),
    ("swap", Method::Swap, &[0]),
    ("contains", Method::Contains, &[1]),
    ("startsWith", Method::StartsWith, &[1]),
    ("endsWith", Method::EndsWith, &[1]),
    ("toLowerCase", Method::ToLowerCase, &[0]),
    ("toUpperCase", Method::ToUpperCase, &[0]),
    ("trim", Method::Trim, &[0]),
    ("length", Method::Length, &[0]),
    ("size", Method::Length, &[0]),
    ("isEmpty", Method::IsEmpty, &[0]),
    ("nonEmpty", Method::NonEmpty, &[0]),
    ("split", Method::Split, &[1]),
    ("toInt", Method::ToInt, &[0]),
    ("toLong", Method::ToLong, &[0]),
    ("toDouble", Method::ToDouble, &[0]),
    ("substring", Method::Substring, &[1, 2]),
    ("replace", Method::Replace, &[2]),
    ("charAt", Method::CharAt, &[1]),
    ("take", Method::Take, &[1]),
    ("drop", Method::Drop, &[1]),
    ("abs", Method::Abs, &[0]),
    ("toString", Method::ToString, &[0]),
    ("max", Method::Max, &[0, 1]),
    ("min", Method::Min, &[0, 1]),
    ("sum", Method::Sum, &[0]),
    ("head", Method::Head, &[0]),
    ("last", Method::Last, &[0]),
    ("mkString", Method::MkString, &[0, 1, 3]),
    ("sorted", Method::Sorted, &[0]),
    ("reverse", Method::Reverse, &[0]),
    ("toList", Method::ToList, &[0]),
    ("distinct", Method::Distinct, &[0]),
    ("map", Method::Map, &[1]),
    ("filter", Method::Filter, &[1]),
    ("exists", Method::Exists, &[1]),
    ("getOrElse", Method::GetOrElse, &[1]),
    ("isDefined", Method::IsDefined, &[0]),
    ("get", Method::Get, &[0]),
    ("equals", Method::Equals, &[1]),
];

/// The names of all methods, for messages.
pub(crate) fn method_names() -> impl Iterator<Item = &'static str> {
    METHODS.iter().map(|m| m.0)
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
    Ok(Func::native(&name, params.len(), move |args| {
        node.eval(args)
    }))
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
    let args = args.unwrap_or(&[]);
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
            [other] => FnArg::Func(super::compile(other, 1)?),
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

/// The closest name within edit distance 2, for "did you mean".
pub(crate) fn suggest<'a>(
    name: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

// ---- evaluating ---------------------------------------------------------------------------

fn err(message: impl Into<String>) -> EvalError {
    EvalError {
        message: message.into(),
    }
}

fn slot(env: &[Value], i: usize) -> Result<&Value, EvalError> {
    env.get(i)
        .ok_or_else(|| err(format!("internal error: no value for variable slot {i}")))
}

impl Node {
    /// Evaluates the node with the variables' values in `env`.
    pub(crate) fn eval(&self, env: &[Value]) -> EvalResult {
        match self {
            Node::Const(v) => Ok(v.clone()),
            Node::Slot(i) => slot(env, *i).cloned(),
            Node::Tuple(items) => Ok(Value::tuple(eval_all(items, env)?)),
            Node::MakeSeq(kind, items) => Ok(Value::seq(*kind, eval_all(items, env)?)),
            Node::MakeSome(x) => Ok(Value::some(x.eval(env)?)),
            Node::Unary(UnOp::Not, x) => match x.eval(env)? {
                Value::Bool(b) => Ok(Value::Bool(!b)),
                other => Err(err(format!("`!` needs a bool, found {}", describe(&other)))),
            },
            Node::Unary(UnOp::Neg, x) => match x.eval(env)? {
                Value::Int(i) => Ok(Value::Int(i.wrapping_neg())),
                Value::Float(f) => Ok(Value::Float(-f)),
                other => Err(err(format!("cannot negate {}", describe(&other)))),
            },
            Node::And(l, r) => {
                if want_bool("&&", l.eval(env)?)? {
                    Ok(Value::Bool(want_bool("&&", r.eval(env)?)?))
                } else {
                    Ok(Value::Bool(false))
                }
            }
            Node::Or(l, r) => {
                if want_bool("||", l.eval(env)?)? {
                    Ok(Value::Bool(true))
                } else {
                    Ok(Value::Bool(want_bool("||", r.eval(env)?)?))
                }
            }
            Node::Bin(op, l, r) => binary(*op, &*l.eval_ref(env)?, &*r.eval_ref(env)?),
            Node::If(parts) => {
                let [c, t, e] = &**parts;
                let cond = match c.eval(env)? {
                    Value::Bool(b) => b,
                    other => {
                        return Err(err(format!(
                            "`if` needs a bool condition, found {}",
                            describe(&other)
                        )))
                    }
                };
                if cond {
                    t.eval(env)
                } else {
                    e.eval(env)
                }
            }
            Node::Method(m) => m.apply(&*m.recv.eval_ref(env)?, env),
            Node::Call(f, args) => f.call(&eval_all(args, env)?),
        }
    }
}

impl Node {
    /// Evaluates without cloning when the value already exists: a variable, a constant, or
    /// a field of one (`x._1`).
    fn eval_ref<'a>(&'a self, env: &'a [Value]) -> Result<Cow<'a, Value>, EvalError> {
        match self {
            Node::Slot(i) => slot(env, *i).map(Cow::Borrowed),
            Node::Const(v) => Ok(Cow::Borrowed(v)),
            Node::Method(m) => {
                let recv = m.recv.eval_ref(env)?;
                match (m.method, recv) {
                    (Method::Field(i), Cow::Borrowed(r @ Value::Tuple(fields))) => fields
                        .get(i)
                        .map(Cow::Borrowed)
                        .ok_or_else(|| not_defined(m.name, r)),
                    (_, recv) => m.apply(&recv, env).map(Cow::Owned),
                }
            }
            other => other.eval(env).map(Cow::Owned),
        }
    }
}

fn eval_all(items: &[Node], env: &[Value]) -> Result<Vec<Value>, EvalError> {
    items.iter().map(|n| n.eval(env)).collect()
}

fn want_bool(op: &str, v: Value) -> Result<bool, EvalError> {
    match v {
        Value::Bool(b) => Ok(b),
        other => Err(err(format!(
            "`{op}` needs bool operands, found {}",
            describe(&other)
        ))),
    }
}

impl MethodNode {
    fn apply(&self, recv: &Value, env: &[Value]) -> EvalResult {
        if let Some(fun) = &self.fun {
            return self.higher_order(recv, fun, env);
        }
        if let Some(args) = &self.const_args {
            return method(self.method, self.name, recv, args);
        }
        match &*self.args {
            [] => method(self.method, self.name, recv, &[]),
            [a] => {
                let a = a.eval(env)?;
                method(self.method, self.name, recv, std::slice::from_ref(&a))
            }
            many => method(self.method, self.name, recv, &eval_all(many, env)?),
        }
    }

    fn higher_order(&self, recv: &Value, fun: &FnArg, env: &[Value]) -> EvalResult {
        let mut inner_env: Vec<Value> = Vec::new();
        if matches!(fun, FnArg::Inline(_)) {
            inner_env.reserve(env.len() + 1);
            inner_env.extend_from_slice(env);
            inner_env.push(Value::Null);
        }
        let last = env.len();
        let mut call = |x: &Value| -> EvalResult {
            match fun {
                FnArg::Inline(body) => {
                    if let Some(s) = inner_env.get_mut(last) {
                        *s = x.clone();
                    }
                    body.eval(&inner_env)
                }
                FnArg::Func(f) => f.call1(x),
            }
        };
        let name = self.name;
        let test = |v: Value, x: &Value| -> Result<bool, EvalError> {
            match v {
                Value::Bool(b) => Ok(b),
                other => Err(err(format!(
                    "`.{name}` needs a function returning a bool, but for {} it returned {}",
                    describe(x),
                    describe(&other)
                ))),
            }
        };
        match (self.method, recv) {
            (Method::Map, Value::Seq(kind, items)) => {
                let out: Result<Vec<Value>, EvalError> = items.iter().map(&mut call).collect();
                Ok(Value::seq(derived(*kind), out?))
            }
            (Method::Filter, Value::Seq(kind, items)) => {
                let mut out = Vec::new();
                for x in items.iter() {
                    if test(call(x)?, x)? {
                        out.push(x.clone());
                    }
                }
                Ok(Value::seq(derived(*kind), out))
            }
            (Method::Exists, Value::Seq(_, items)) => {
                for x in items.iter() {
                    if test(call(x)?, x)? {
                        return Ok(Value::Bool(true));
                    }
                }
                Ok(Value::Bool(false))
            }
            (Method::Map, Value::Opt(o)) => match o {
                Some(x) => Ok(Value::some(call(x)?)),
                None => Ok(Value::none()),
            },
            (Method::Filter, Value::Opt(Some(x))) => {
                if test(call(x)?, x)? {
                    Ok(recv.clone())
                } else {
                    Ok(Value::none())
                }
            }
            (Method::Filter, Value::Opt(None)) => Ok(Value::none()),
            (Method::Exists, Value::Opt(o)) => match o {
                Some(x) => Ok(Value::Bool(test(call(x)?, x)?)),
                None => Ok(Value::Bool(false)),
            },
            _ => Err(not_defined(name, recv)),
        }
    }
}

/// The collection a transformed sequence becomes: Spark's `CompactBuffer` is a Scala `Seq`
/// whose transformations build `List`s; the others keep their kind.
fn derived(kind: SeqKind) -> SeqKind {
    match kind {
        SeqKind::CompactBuffer => SeqKind::List,
        other => other,
    }
}

/// Describes a value for an error message: `string "abc"`, `int 5`, `tuple (a,1)`.
pub(crate) fn describe(v: &Value) -> String {
    let text = match v {
        Value::Null => return "null".into(),
        Value::Str(s) => format!("{:?}", &**s),
        other => other.to_string(),
    };
    let text = if text.chars().count() > 60 {
        let mut t: String = text.chars().take(57).collect();
        t.push_str("...");
        t
    } else {
        text
    };
    format!("{} {text}", v.kind_name())
}

fn not_defined(name: &str, recv: &Value) -> EvalError {
    err(format!("`{name}` is not defined on {}", describe(recv)))
}

// ---- numbers ------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Num {
    I(i64),
    F(f64),
}

fn num(v: &Value) -> Option<Num> {
    match v {
        Value::Int(i) => Some(Num::I(*i)),
        Value::Float(x) => Some(Num::F(*x)),
        _ => None,
    }
}

fn as_f64(n: Num) -> f64 {
    match n {
        Num::I(i) => i as f64,
        Num::F(x) => x,
    }
}

fn op_text(op: BinOp) -> &'static str {
    op.symbol()
}

fn verb(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "add",
        BinOp::Sub => "subtract",
        BinOp::Mul => "multiply",
        BinOp::Div => "divide",
        BinOp::Rem => "take the remainder of",
        _ => "compare",
    }
}

fn short(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("{:?}", &**s),
        other => other.to_string(),
    }
}

/// Arithmetic on two numbers with Scala's rules: `Int op Int` stays an integer (wrapping on
/// overflow, `/` truncating, `/ by zero` on a zero divisor), anything with a double is a double.
pub(crate) fn arith(op: BinOp, a: &Value, b: &Value) -> EvalResult {
    let (Some(x), Some(y)) = (num(a), num(b)) else {
        return Err(err(format!(
            "cannot {} {} and {} (`{} {} {}`)",
            verb(op),
            a.kind_name(),
            b.kind_name(),
            short(a),
            op_text(op),
            short(b)
        )));
    };
    Ok(match (x, y) {
        (Num::I(i), Num::I(j)) => Value::Int(match op {
            BinOp::Add => i.wrapping_add(j),
            BinOp::Sub => i.wrapping_sub(j),
            BinOp::Mul => i.wrapping_mul(j),
            BinOp::Div | BinOp::Rem if j == 0 => return Err(err("/ by zero")),
            BinOp::Div => i.wrapping_div(j),
            BinOp::Rem => i.wrapping_rem(j),
            _ => return Err(err(format!("`{}` is not arithmetic", op_text(op)))),
        }),
        _ => {
            let (i, j) = (as_f64(x), as_f64(y));
            Value::Float(match op {
                BinOp::Add => i + j,
                BinOp::Sub => i - j,
                BinOp::Mul => i * j,
                BinOp::Div => i / j,
                BinOp::Rem => i % j,
                _ => return Err(err(format!("`{}` is not arithmetic", op_text(op)))),
            })
        }
    })
}

/// `==` with Scala's numeric widening (`1 == 1.0`), structural otherwise.
pub(crate) fn equal(a: &Value, b: &Value) -> bool {
    match (num(a), num(b)) {
        (Some(Num::I(i)), Some(Num::I(j))) => i == j,
        (Some(x), Some(y)) => as_f64(x) == as_f64(y),
        _ => a == b,
    }
}

/// Ordering for `<` and friends: numbers by value, other values of the same kind by their
/// natural order (strings lexicographically, `false < true`); `None` across kinds.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (num(a), num(b)) {
        (Some(Num::I(i)), Some(Num::I(j))) => Some(i.cmp(&j)),
        (Some(x), Some(y)) => as_f64(x).partial_cmp(&as_f64(y)),
        _ if std::mem::discriminant(a) == std::mem::discriminant(b) => Some(a.cmp(b)),
        _ => None,
    }
}

/// A total order for sorting and `max`/`min`: all-numeric mixes compare as doubles,
/// everything else by the value order.
fn total_order(items: &[Value]) -> impl Fn(&Value, &Value) -> Ordering {
    let mixed = items.iter().all(|v| num(v).is_some())
        && items.iter().any(|v| matches!(v, Value::Float(_)))
        && items.iter().any(|v| matches!(v, Value::Int(_)));
    move |a: &Value, b: &Value| match (mixed, num(a), num(b)) {
        (true, Some(x), Some(y)) => as_f64(x).total_cmp(&as_f64(y)),
        _ => a.cmp(b),
    }
}

/// A binary operator other than `&&`/`||` on two values.
pub(crate) fn binary(op: BinOp, a: &Value, b: &Value) -> EvalResult {
    match op {
        BinOp::Add => match (a, b) {
            (Value::Str(x), _) => Ok(Value::str(&format!("{x}{b}"))),
            (_, Value::Str(y)) => Ok(Value::str(&format!("{a}{y}"))),
            _ => arith(op, a, b),
        },
        BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => arith(op, a, b),
        BinOp::Eq => Ok(Value::Bool(equal(a, b))),
        BinOp::Ne => Ok(Value::Bool(!equal(a, b))),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let Some(ord) = compare(a, b) else {
                if num(a).is_some() && num(b).is_some() {
                    return Ok(Value::Bool(false)); // NaN
                }
                return Err(err(format!(
                    "cannot compare {} and {} (`{} {} {}`)",
                    a.kind_name(),
                    b.kind_name(),
                    short(a),
                    op_text(op),
                    short(b)
                )));
            };
            Ok(Value::Bool(match op {
                BinOp::Lt => ord == Ordering::Less,
                BinOp::Le => ord != Ordering::Greater,
                BinOp::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            }))
        }
        BinOp::And | BinOp::Or => match (a, b) {
            (Value::Bool(x), Value::Bool(y)) => Ok(Value::Bool(if op == BinOp::And {
                *x && *y
            } else {
                *x || *y
            })),
            _ => Err(err(format!(
                "`{}` needs bool operands, found {} and {}",
                op_text(op),
                describe(a),
                describe(b)
            ))),
        },
    }
}

// ---- sequences ----------------------------------------------------------------------------

/// The sum of a sequence of numbers: an integer if all are integers, else a double; 0 if empty.
pub(crate) fn seq_sum(name: &str, items: &[Value]) -> EvalResult {
    let mut acc = Value::Int(0);
    for x in items {
        if num(x).is_none() {
            return Err(err(format!(
                "`{name}` needs numbers, found {} in the sequence",
                describe(x)
            )));
        }
        acc = arith(BinOp::Add, &acc, x)?;
    }
    Ok(acc)
}

/// The largest (or smallest) element; an error on an empty sequence (Scala's `empty.max`).
pub(crate) fn seq_extreme(name: &str, items: &[Value], largest: bool) -> EvalResult {
    let order = total_order(items);
    let found = if largest {
        items.iter().max_by(|a, b| order(a, b))
    } else {
        items.iter().min_by(|a, b| order(a, b))
    };
    found
        .cloned()
        .ok_or_else(|| err(format!("`{name}` of an empty sequence")))
}

/// Java's `String.split` with a literal separator: pieces between separators, trailing empty
/// strings removed (so `"a,b,,".split(",")` is `List(a, b)`), leading and inner ones kept; a
/// string without the separator (including `""`) is a list of itself. An empty separator
/// splits into characters.
pub(crate) fn java_split(s: &str, sep: &str) -> Value {
    let mut parts: Vec<Value> = if sep.is_empty() {
        if s.is_empty() {
            vec![Value::str("")]
        } else {
            s.chars()
                .map(|c| Value::str(c.encode_utf8(&mut [0; 4])))
                .collect()
        }
    } else {
        s.split(sep).map(Value::str).collect()
    };
    if parts.len() > 1 {
        while matches!(parts.last(), Some(Value::Str(p)) if p.is_empty()) {
            parts.pop();
        }
    }
    Value::list(parts)
}

fn int_arg(name: &str, args: &[Value], i: usize) -> Result<i64, EvalError> {
    match args.get(i) {
        Some(Value::Int(n)) => Ok(*n),
        Some(other) => Err(err(format!(
            "`{name}` needs an int argument, found {}",
            describe(other)
        ))),
        None => Err(err(format!("`{name}` is missing an argument"))),
    }
}

fn str_arg<'a>(name: &str, args: &'a [Value], i: usize) -> Result<&'a str, EvalError> {
    match args.get(i) {
        Some(Value::Str(s)) => Ok(s),
        Some(other) => Err(err(format!(
            "`{name}` needs a string argument, found {}",
            describe(other)
        ))),
        None => Err(err(format!("`{name}` is missing an argument"))),
    }
}

fn clamp_count(n: i64, len: usize) -> usize {
    usize::try_from(n.max(0)).unwrap_or(usize::MAX).min(len)
}

fn number_format(target: &str, s: &str) -> EvalError {
    err(format!(
        "cannot convert string {s:?} to {target} (NumberFormatException: For input string: \
         {s:?})"
    ))
}

/// Java's `Double.parseDouble`: surrounding blanks ignored, `NaN`, `Infinity`, an optional
/// trailing `d`/`f`.
fn parse_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    match t {
        "NaN" | "+NaN" | "-NaN" => return Some(f64::NAN),
        "Infinity" | "+Infinity" => return Some(f64::INFINITY),
        "-Infinity" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    let t = t.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(t);
    if t.chars()
        .any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E')
    {
        return None;
    }
    t.parse::<f64>().ok()
}

fn char_range(s: &str, from: usize, to: usize) -> &str {
    let start = s.char_indices().nth(from).map_or(s.len(), |(i, _)| i);
    let end = s.char_indices().nth(to).map_or(s.len(), |(i, _)| i);
    s.get(start..end).unwrap_or("")
}

/// Applies a (non-higher-order) method to a receiver.
pub(crate) fn method(m: Method, name: &str, recv: &Value, args: &[Value]) -> EvalResult {
    use Value::{Bool, Float, Int, Opt, Seq, Str, Tuple};
    let bad = || not_defined(name, recv);
    Ok(match (m, recv) {
        (Method::ToString, v) => Value::str(&v.to_string()),
        (Method::Equals, v) => Bool(args.first().is_some_and(|a| equal(v, a))),

        (Method::Field(i), Tuple(fields)) => fields.get(i).cloned().ok_or_else(bad)?,
        (Method::Swap, Tuple(f)) if f.len() == 2 => Value::pair(f[1].clone(), f[0].clone()),

        // strings
        (Method::Contains, Str(s)) => Bool(s.contains(str_arg(name, args, 0)?)),
        (Method::StartsWith, Str(s)) => Bool(s.starts_with(str_arg(name, args, 0)?)),
        (Method::EndsWith, Str(s)) => Bool(s.ends_with(str_arg(name, args, 0)?)),
        (Method::ToLowerCase, Str(s)) => Value::str(&s.to_lowercase()),
        (Method::ToUpperCase, Str(s)) => Value::str(&s.to_uppercase()),
        (Method::Trim, Str(s)) => Value::str(s.trim_matches(|c: char| c <= ' ')),
        (Method::Length, Str(s)) => Int(s.chars().count() as i64),
        (Method::IsEmpty, Str(s)) => Bool(s.is_empty()),
        (Method::NonEmpty, Str(s)) => Bool(!s.is_empty()),
        (Method::Split, Str(s)) => java_split(s, str_arg(name, args, 0)?),
        (Method::ToInt, Str(s)) => Int(i64::from(
            s.parse::<i32>().map_err(|_| number_format("int", s))?,
        )),
        (Method::ToLong, Str(s)) => Int(s.parse::<i64>().map_err(|_| number_format("long", s))?),
        (Method::ToDouble, Str(s)) => {
            Float(parse_double(s).ok_or_else(|| number_format("double", s))?)
        }
        (Method::Substring, Str(s)) => {
            let len = s.chars().count() as i64;
            let from = int_arg(name, args, 0)?;
            let to = if args.len() > 1 {
                int_arg(name, args, 1)?
            } else {
                len
            };
            if from < 0 || to > len || from > to {
                return Err(err(format!(
                    "`substring({from}{})` is out of range for string {s:?} of length {len}",
                    if args.len() > 1 {
                        format!(", {to}")
                    } else {
                        String::new()
                    }
                )));
            }
            Value::str(char_range(s, from as usize, to as usize))
        }
        (Method::Replace, Str(s)) => {
            Value::str(&s.replace(str_arg(name, args, 0)?, str_arg(name, args, 1)?))
        }
        (Method::CharAt, Str(s)) => {
            let i = int_arg(name, args, 0)?;
            let c = usize::try_from(i).ok().and_then(|i| s.chars().nth(i));
            match c {
                Some(c) => Value::str(c.encode_utf8(&mut [0; 4])),
                None => {
                    return Err(err(format!(
                        "`charAt({i})` is out of range for string {s:?} of length {}",
                        s.chars().count()
                    )))
                }
            }
        }
        (Method::Take, Str(s)) => {
            let n = clamp_count(int_arg(name, args, 0)?, usize::MAX);
            Value::str(char_range(s, 0, n))
        }
        (Method::Drop, Str(s)) => {
            let n = clamp_count(int_arg(name, args, 0)?, usize::MAX);
            Value::str(char_range(s, n, usize::MAX))
        }

        // numbers
        (Method::ToInt, Int(i)) => Int(i64::from(*i as i32)),
        (Method::ToInt, Float(x)) => Int(i64::from(*x as i32)),
        (Method::ToLong, Int(i)) => Int(*i),
        (Method::ToLong, Float(x)) => Int(*x as i64),
        (Method::ToDouble, Int(i)) => Float(*i as f64),
        (Method::ToDouble, Float(x)) => Float(*x),
        (Method::Abs, Int(i)) => Int(i.wrapping_abs()),
        (Method::Abs, Float(x)) => Float(x.abs()),
        (Method::Max | Method::Min, Int(_) | Float(_)) if args.len() == 1 => {
            let (a, b) = (recv, &args[0]);
            if num(b).is_none() {
                return Err(err(format!(
                    "`{name}` needs a number argument, found {}",
                    describe(b)
                )));
            }
            let pick_a = match compare(a, b) {
                Some(Ordering::Greater) => m == Method::Max,
                Some(Ordering::Less) => m == Method::Min,
                _ => true,
            };
            let winner = if pick_a { a } else { b };
            match (a, b) {
                (Int(_), Int(_)) => winner.clone(),
                _ => Float(num(winner).map_or(f64::NAN, as_f64)),
            }
        }

        // sequences
        (Method::Sum, Seq(_, items)) => seq_sum(name, items)?,
        (Method::Length, Seq(_, items)) => Int(items.len() as i64),
        (Method::IsEmpty, Seq(_, items)) => Bool(items.is_empty()),
        (Method::NonEmpty, Seq(_, items)) => Bool(!items.is_empty()),
        (Method::Head, Seq(_, items)) => items
            .first()
            .cloned()
            .ok_or_else(|| err("`head` of an empty sequence"))?,
        (Method::Last, Seq(_, items)) => items
            .last()
            .cloned()
            .ok_or_else(|| err("`last` of an empty sequence"))?,
        (Method::Max, Seq(_, items)) if args.is_empty() => seq_extreme(name, items, true)?,
        (Method::Min, Seq(_, items)) if args.is_empty() => seq_extreme(name, items, false)?,
        (Method::MkString, Seq(_, items)) => {
            let (start, sep, end) = match args.len() {
                0 => ("", "", ""),
                1 => ("", str_arg(name, args, 0)?, ""),
                _ => (
                    str_arg(name, args, 0)?,
                    str_arg(name, args, 1)?,
                    str_arg(name, args, 2)?,
                ),
            };
            let body: Vec<String> = items.iter().map(Value::to_string).collect();
            Value::str(&format!("{start}{}{end}", body.join(sep)))
        }
        (Method::Contains, Seq(_, items)) => {
            let x = args.first().ok_or_else(bad)?;
            Bool(items.iter().any(|i| equal(i, x)))
        }
        (Method::Sorted, Seq(kind, items)) => {
            let mut v = items.to_vec();
            let order = total_order(items);
            v.sort_by(|a, b| order(a, b));
            Value::seq(derived(*kind), v)
        }
        (Method::Reverse, Seq(kind, items)) => {
            Value::seq(derived(*kind), items.iter().rev().cloned().collect())
        }
        (Method::ToList, Seq(_, items)) => Value::Seq(SeqKind::List, items.clone()),
        (Method::Distinct, Seq(kind, items)) => {
            let mut seen = HashSet::new();
            let v = items.iter().filter(|x| seen.insert(*x)).cloned().collect();
            Value::seq(derived(*kind), v)
        }
        (Method::Take, Seq(kind, items)) => {
            let n = clamp_count(int_arg(name, args, 0)?, items.len());
            Value::seq(derived(*kind), items[..n].to_vec())
        }
        (Method::Drop, Seq(kind, items)) => {
            let n = clamp_count(int_arg(name, args, 0)?, items.len());
            Value::seq(derived(*kind), items[n..].to_vec())
        }

        // options
        (Method::GetOrElse, Opt(o)) => match o {
            Some(x) => (**x).clone(),
            None => args.first().cloned().ok_or_else(bad)?,
        },
        (Method::IsDefined | Method::NonEmpty, Opt(o)) => Bool(o.is_some()),
        (Method::IsEmpty, Opt(o)) => Bool(o.is_none()),
        (Method::Get, Opt(o)) => match o {
            Some(x) => (**x).clone(),
            None => return Err(err("`get` on None (NoSuchElementException: None.get)")),
        },
        (Method::Contains, Opt(o)) => {
            let x = args.first().ok_or_else(bad)?;
            Bool(o.as_deref().is_some_and(|v| equal(v, x)))
        }
        _ => return Err(bad()),
    })
}
