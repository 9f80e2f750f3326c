//! Values and the evaluation of expressions, `def` calls and lambdas, with the step and
//! depth limits.

use super::parse::{Functions, Op, St, Ty, E};
use crate::models::structured::group_state::GroupStateImpl;
use crate::models::structured::{Cell, Row, Schema};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

/// The most evaluation steps one call of a function may take.
pub const MAX_STEPS: u64 = 1_000_000;
/// The deepest nesting of `def` calls.
pub const MAX_DEPTH: usize = 64;

// ---------------------------------------------------------------------------------------
// Values and evaluation.

#[derive(Clone, Debug)]
pub(super) enum V {
    Unit,
    Null,
    Bool(bool),
    Long(i64),
    Dbl(f64),
    Str(Rc<str>),
    Ts(i64),
    Tuple(Rc<Vec<V>>),
    Rec(Rc<str>, Rc<Vec<V>>),
    Opt(Option<Rc<V>>),
    Seq(Rc<Vec<V>>),
    Iter(Rc<RefCell<VecDeque<V>>>),
    Row(Rc<Row>),
    Fn(Arc<Vec<String>>, Arc<E>, Rc<Env>),
    State,
    Obj(&'static str),
}

#[derive(Debug, Default)]
pub(super) struct Env {
    pub(super) vars: Vec<(String, V)>,
}

pub(super) fn kind(v: &V) -> &'static str {
    match v {
        V::Unit => "Unit",
        V::Null => "null",
        V::Bool(_) => "Boolean",
        V::Long(_) => "Long",
        V::Dbl(_) => "Double",
        V::Str(_) => "String",
        V::Ts(_) => "java.sql.Timestamp",
        V::Tuple(_) => "a tuple",
        V::Rec(..) => "a case class",
        V::Opt(_) => "Option",
        V::Seq(_) => "Seq",
        V::Iter(_) => "Iterator",
        V::Row(_) => "Row",
        V::Fn(..) => "a function",
        V::State => "GroupState",
        V::Obj(o) => o,
    }
}

pub(super) fn cell_to_v(c: &Cell) -> V {
    match c {
        Cell::Null => V::Null,
        Cell::Bool(b) => V::Bool(*b),
        Cell::Long(n) => V::Long(*n),
        Cell::Double(x) => V::Dbl(*x),
        Cell::Timestamp(t) => V::Ts(t.0),
        other => V::Str(Rc::from(other.to_string().as_str())),
    }
}

pub(super) fn v_to_cell(v: &V) -> Result<Cell, String> {
    Ok(match v {
        V::Null | V::Opt(None) => Cell::Null,
        V::Bool(b) => Cell::Bool(*b),
        V::Long(n) => Cell::Long(*n),
        V::Dbl(x) => Cell::Double(*x),
        V::Str(s) => Cell::str(s),
        V::Ts(t) => Cell::Timestamp(crate::event_time::EventTime(*t)),
        V::Opt(Some(x)) => v_to_cell(x)?,
        other => {
            return Err(format!(
                "{} cannot be a column value here (a nested value); use a flat tuple or case class",
                kind(other)
            ))
        }
    })
}

/// A value encoded as cells: a tuple or case class gives one cell per element.
pub(super) fn encode(v: &V) -> Result<Row, String> {
    match v {
        V::Tuple(t) | V::Rec(_, t) => t.iter().map(v_to_cell).collect(),
        v => Ok(vec![v_to_cell(v)?]),
    }
}

pub(super) struct Cx<'a> {
    pub(super) fns: &'a Functions,
    pub(super) schema: &'a Schema,
    pub(super) state: Option<&'a mut GroupStateImpl>,
    pub(super) state_ty: Option<Ty>,
    pub(super) steps: u64,
    pub(super) depth: usize,
}

pub(super) type R = Result<V, String>;

pub(super) fn decode(cx: &Cx<'_>, ty: Option<&Ty>, row: &Row) -> V {
    match ty {
        Some(Ty::Tuple(_)) => V::Tuple(Rc::new(row.iter().map(cell_to_v).collect())),
        Some(t @ Ty::Named(..)) if cx.fns.classes.contains_key(t.base()) => V::Rec(
            Rc::from(t.base()),
            Rc::new(row.iter().map(cell_to_v).collect()),
        ),
        _ => row.first().map_or(V::Null, cell_to_v),
    }
}

pub(super) fn num(v: &V) -> Option<f64> {
    match v {
        V::Long(n) => Some(*n as f64),
        V::Dbl(x) => Some(*x),
        _ => None,
    }
}

pub(super) fn eq(a: &V, b: &V) -> bool {
    match (a, b) {
        (V::Long(x), V::Long(y)) => x == y,
        (V::Long(_) | V::Dbl(_), V::Long(_) | V::Dbl(_)) => num(a) == num(b),
        (V::Str(x), V::Str(y)) => x == y,
        (V::Bool(x), V::Bool(y)) => x == y,
        (V::Ts(x), V::Ts(y)) => x == y,
        (V::Null, V::Null) | (V::Unit, V::Unit) => true,
        (V::Opt(x), V::Opt(y)) => match (x, y) {
            (None, None) => true,
            (Some(x), Some(y)) => eq(x, y),
            _ => false,
        },
        (V::Tuple(x), V::Tuple(y)) | (V::Seq(x), V::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| eq(a, b))
        }
        (V::Rec(n, x), V::Rec(m, y)) => {
            n == m && x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| eq(a, b))
        }
        _ => false,
    }
}

pub(super) fn cmp(a: &V, b: &V) -> Result<std::cmp::Ordering, String> {
    match (a, b) {
        (V::Long(x), V::Long(y)) => Ok(x.cmp(y)),
        (V::Str(x), V::Str(y)) => Ok(x.cmp(y)),
        (V::Ts(x), V::Ts(y)) => Ok(x.cmp(y)),
        (V::Bool(x), V::Bool(y)) => Ok(x.cmp(y)),
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => Ok(x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal)),
            _ => Err(format!("cannot compare {} and {}", kind(a), kind(b))),
        },
    }
}

pub(super) fn show_v(v: &V) -> String {
    match v {
        V::Unit => "()".into(),
        V::Null => "null".into(),
        V::Bool(b) => b.to_string(),
        V::Long(n) => n.to_string(),
        V::Dbl(x) => format!("{x:?}"),
        V::Str(s) => s.to_string(),
        V::Ts(t) => Cell::Timestamp(crate::event_time::EventTime(*t)).to_string(),
        V::Tuple(t) => format!("({})", t.iter().map(show_v).collect::<Vec<_>>().join(",")),
        V::Rec(n, t) => format!(
            "{n}({})",
            t.iter().map(show_v).collect::<Vec<_>>().join(",")
        ),
        V::Opt(None) => "None".into(),
        V::Opt(Some(x)) => format!("Some({})", show_v(x)),
        other => kind(other).into(),
    }
}

pub(super) fn arith(op: Op, a: &V, b: &V) -> R {
    if op == Op::Add {
        if let (V::Str(x), y) | (y, V::Str(x)) = (a, b) {
            let (l, r) = if matches!(a, V::Str(_)) {
                (x.to_string(), show_v(y))
            } else {
                (show_v(y), x.to_string())
            };
            return Ok(V::Str(Rc::from(format!("{l}{r}").as_str())));
        }
    }
    match (a, b) {
        (V::Long(x), V::Long(y)) => Ok(V::Long(match op {
            Op::Add => x.wrapping_add(*y),
            Op::Sub => x.wrapping_sub(*y),
            Op::Mul => x.wrapping_mul(*y),
            Op::Div | Op::Rem if *y == 0 => return Err("ArithmeticException: / by zero".into()),
            Op::Div => x.wrapping_div(*y),
            _ => x.wrapping_rem(*y),
        })),
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => Ok(V::Dbl(match op {
                Op::Add => x + y,
                Op::Sub => x - y,
                Op::Mul => x * y,
                Op::Div => x / y,
                _ => x % y,
            })),
            _ => Err(format!(
                "cannot apply `{}` to {} and {}",
                match op {
                    Op::Add => "+",
                    Op::Sub => "-",
                    Op::Mul => "*",
                    Op::Div => "/",
                    _ => "%",
                },
                kind(a),
                kind(b)
            )),
        },
    }
}

pub(super) fn elems(v: &V) -> Option<Vec<V>> {
    match v {
        V::Seq(s) => Some(s.as_ref().clone()),
        // Traversing an Iterator uses it up, as in Scala.
        V::Iter(it) => Some(it.borrow_mut().drain(..).collect()),
        V::Opt(o) => Some(o.iter().map(|x| x.as_ref().clone()).collect()),
        _ => None,
    }
}

pub(super) fn same_kind(recv: &V, items: Vec<V>) -> V {
    match recv {
        V::Iter(_) => V::Iter(Rc::new(RefCell::new(items.into()))),
        _ => V::Seq(Rc::new(items)),
    }
}

impl Cx<'_> {
    pub(super) fn tick(&mut self) -> Result<(), String> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(format!(
                "the function took more than {MAX_STEPS} evaluation steps (MAX_STEPS) for one key"
            ));
        }
        Ok(())
    }

    pub(super) fn apply(&mut self, f: &V, args: Vec<V>) -> R {
        let V::Fn(ps, body, env) = f else {
            return Err(format!("{} is not a function", kind(f)));
        };
        if ps.len() != args.len() {
            return Err(format!(
                "this function takes {} arguments, given {}",
                ps.len(),
                args.len()
            ));
        }
        let mut e = Env {
            vars: env.vars.clone(),
        };
        e.vars.extend(ps.iter().cloned().zip(args));
        self.eval(body, &mut e)
    }

    pub(super) fn eval(&mut self, e: &E, env: &mut Env) -> R {
        self.tick()?;
        match e {
            E::Long(n) => Ok(V::Long(*n)),
            E::Dbl(x) => Ok(V::Dbl(*x)),
            E::Str(s) => Ok(V::Str(Rc::from(s.as_str()))),
            E::Bool(b) => Ok(V::Bool(*b)),
            E::Null => Ok(V::Null),
            E::Var(name) => {
                if let Some((_, v)) = env.vars.iter().rev().find(|(n, _)| n == name) {
                    return Ok(v.clone());
                }
                Ok(match name.as_str() {
                    "None" => V::Opt(None),
                    "Iterator" => V::Obj("Iterator"),
                    "math" | "Math" => V::Obj("math"),
                    _ if self.fns.defs.contains_key(name) => {
                        let d = self.fns.defs[name].clone();
                        let ps: Vec<String> = d.params.iter().map(|p| p.0.clone()).collect();
                        V::Fn(
                            Arc::new(ps),
                            Arc::new(d.body.clone()),
                            Rc::new(Env::default()),
                        )
                    }
                    _ => return Err(format!("not found: value {name}")),
                })
            }
            E::Bin(op, a, b) => {
                let x = self.eval(a, env)?;
                match op {
                    Op::And | Op::Or => {
                        let V::Bool(xb) = x else {
                            return Err(format!("`&&`/`||` take Booleans, found {}", kind(&x)));
                        };
                        if (*op == Op::And) != xb {
                            return Ok(V::Bool(xb));
                        }
                        match self.eval(b, env)? {
                            V::Bool(y) => Ok(V::Bool(y)),
                            y => Err(format!("`&&`/`||` take Booleans, found {}", kind(&y))),
                        }
                    }
                    Op::Eq => Ok(V::Bool(eq(&x, &self.eval(b, env)?))),
                    Op::Ne => Ok(V::Bool(!eq(&x, &self.eval(b, env)?))),
                    Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                        let o = cmp(&x, &self.eval(b, env)?)?;
                        Ok(V::Bool(match op {
                            Op::Lt => o.is_lt(),
                            Op::Le => o.is_le(),
                            Op::Gt => o.is_gt(),
                            _ => o.is_ge(),
                        }))
                    }
                    _ => arith(*op, &x, &self.eval(b, env)?),
                }
            }
            E::Not(a) => match self.eval(a, env)? {
                V::Bool(b) => Ok(V::Bool(!b)),
                v => Err(format!("`!` takes a Boolean, found {}", kind(&v))),
            },
            E::Neg(a) => arith(Op::Sub, &V::Long(0), &self.eval(a, env)?),
            E::If(c, a, b) => match self.eval(c, env)? {
                V::Bool(true) => self.eval(a, env),
                V::Bool(false) => match b {
                    Some(b) => self.eval(b, env),
                    None => Ok(V::Unit),
                },
                v => Err(format!("`if` takes a Boolean, found {}", kind(&v))),
            },
            E::Block(st) => {
                let mark = env.vars.len();
                let mut last = V::Unit;
                for s in st {
                    match s {
                        St::Val(names, e) => {
                            let v = self.eval(e, env)?;
                            if names.len() == 1 {
                                env.vars.push((names[0].clone(), v));
                            } else {
                                let V::Tuple(t) = &v else {
                                    return Err(format!(
                                        "val ({}) = ... needs a tuple, found {}",
                                        names.join(", "),
                                        kind(&v)
                                    ));
                                };
                                if t.len() != names.len() {
                                    return Err(format!(
                                        "MatchError: a tuple of {} taken apart into {} names",
                                        t.len(),
                                        names.len()
                                    ));
                                }
                                for (n, x) in names.iter().zip(t.iter()) {
                                    env.vars.push((n.clone(), x.clone()));
                                }
                            }
                            last = V::Unit;
                        }
                        St::Expr(e) => last = self.eval(e, env)?,
                    }
                }
                env.vars.truncate(mark);
                Ok(last)
            }
            E::Tuple(v) => {
                if v.is_empty() {
                    return Ok(V::Unit);
                }
                let mut out = Vec::new();
                for x in v {
                    out.push(self.eval(x, env)?);
                }
                Ok(V::Tuple(Rc::new(out)))
            }
            E::Lambda(ps, body) => Ok(V::Fn(
                ps.clone(),
                body.clone(),
                Rc::new(Env {
                    vars: env.vars.clone(),
                }),
            )),
            E::Call(name, args) => {
                let mut a = Vec::new();
                for x in args {
                    a.push(self.eval(x, env)?);
                }
                self.call(name, a, env)
            }
            E::Method(recv, m, a1, a2) => {
                let r = self.eval(recv, env)?;
                let mut args = Vec::new();
                for x in a1.iter().flatten() {
                    args.push(self.eval(x, env)?);
                }
                let mut args2 = Vec::new();
                for x in a2.iter().flatten() {
                    args2.push(self.eval(x, env)?);
                }
                self.method(&r, m, args, args2)
            }
        }
    }

    pub(super) fn call(&mut self, name: &str, a: Vec<V>, env: &mut Env) -> R {
        if let Some((_, f)) = env.vars.iter().rev().find(|(n, _)| n == name) {
            let f = f.clone();
            return self.apply(&f, a);
        }
        match name {
            "Some" if a.len() == 1 => Ok(V::Opt(Some(Rc::new(a[0].clone())))),
            "Iterator" => Ok(V::Iter(Rc::new(RefCell::new(a.into())))),
            "Seq" | "List" | "Vector" | "Array" => Ok(V::Seq(Rc::new(a))),
            "Timestamp" if a.len() == 1 => match a[0] {
                V::Long(ms) => Ok(V::Ts(ms)),
                ref v => Err(format!(
                    "new java.sql.Timestamp takes a Long (ms), found {}",
                    kind(v)
                )),
            },
            _ => {
                if let Some(fields) = self.fns.classes.get(name) {
                    if fields.len() != a.len() {
                        return Err(format!(
                            "{name} has {} fields, given {} values",
                            fields.len(),
                            a.len()
                        ));
                    }
                    return Ok(V::Rec(Rc::from(name), Rc::new(a)));
                }
                if let Some(d) = self.fns.defs.get(name).cloned() {
                    if d.params.len() != a.len() {
                        return Err(format!(
                            "{name} takes {} arguments, given {}",
                            d.params.len(),
                            a.len()
                        ));
                    }
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return Err(format!(
                            "StackOverflowError: calls nested deeper than {MAX_DEPTH} (MAX_DEPTH)"
                        ));
                    }
                    let mut e = Env {
                        vars: d.params.iter().map(|p| p.0.clone()).zip(a).collect(),
                    };
                    let r = self.eval(&d.body, &mut e);
                    self.depth -= 1;
                    return r;
                }
                Err(format!("not found: value {name}"))
            }
        }
    }

    pub(super) fn state(&mut self) -> Result<&mut GroupStateImpl, String> {
        self.state
            .as_deref_mut()
            .ok_or_else(|| "GroupState is only available in the function".to_string())
    }
}
