//! The evaluator: expressions compiled to a tree of [`Node`]s whose variables are slots in an
//! environment slice (a lambda's arguments, then the parameters of lambdas nested inside
//! `.map(..)` / `.filter(..)`), evaluated with Scala's / Java's operator and method semantics.

use super::methods::{method, Method};
use super::ops::{binary, derived, describe, err, not_defined};
use crate::func::{EvalError, EvalResult, Func};
use crate::scenario::ast::{BinOp, UnOp};
use crate::value::{SeqKind, Value};
use std::borrow::Cow;

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
    pub(super) recv: Node,
    pub(super) method: Method,
    pub(super) name: &'static str,
    pub(super) args: Box<[Node]>,
    /// The arguments when they are all constants (no evaluation per record).
    pub(super) const_args: Option<Box<[Value]>>,
    /// The function argument of `map`, `filter`, `exists`.
    pub(super) fun: Option<FnArg>,
}

/// The function argument of a higher-order method.
pub(crate) enum FnArg {
    /// A lambda written in place: its parameter is the slot after the enclosing ones.
    Inline(Box<Node>),
    /// A built-in function such as `toLower`.
    Func(Func),
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
