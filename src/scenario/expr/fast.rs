//! Fast paths for the commonest lambda bodies, recognised at compile time: a field of a
//! parameter (`kv => kv._2`, the key of a `sortBy`) and an `Int` operator on parameters,
//! fields of parameters and `Int` constants (`kv => kv._2 > 0`, `(a, b) => a + b`).
//!
//! A [`Shape`] computes only the case it is sure of, with the rule the general evaluator
//! applies (`ops::binary` and `ops::arith` on two `Int`s: Scala's `Long` operators, wrapping
//! on overflow; `methods::method` for `_n` of a tuple); anything else (another kind of value,
//! a missing field, a zero divisor) gives `None`, and the caller evaluates the tree as
//! without the fast path, so results and error messages are the general evaluator's, word for
//! word.

use super::eval::Node;
use super::methods::Method;
use crate::scenario::ast::BinOp;
use crate::value::Value;

/// Where an `Int` operand comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Operand {
    /// A variable slot (`a`).
    Slot(usize),
    /// Field `i` (`._{i+1}`) of the tuple in a slot (`kv._2` is `Field(0, 1)`).
    Field(usize, usize),
    /// An `Int` constant.
    Int(i64),
}

impl Operand {
    fn of(n: &Node) -> Option<Operand> {
        match n {
            Node::Slot(s) => Some(Operand::Slot(*s)),
            Node::Const(Value::Int(c)) => Some(Operand::Int(*c)),
            other => field_of_slot(other).map(|(s, i)| Operand::Field(s, i)),
        }
    }

    /// The operand's `Int`, or `None` when it is not an `Int` (or missing).
    #[inline]
    fn int(self, env: &[Value]) -> Option<i64> {
        match self {
            Operand::Int(c) => Some(c),
            Operand::Slot(s) => match env.get(s) {
                Some(Value::Int(x)) => Some(*x),
                _ => None,
            },
            Operand::Field(s, i) => match env.get(s) {
                Some(Value::Tuple(fields)) => match fields.get(i) {
                    Some(Value::Int(x)) => Some(*x),
                    _ => None,
                },
                _ => None,
            },
        }
    }
}

/// `slot._{i+1}` with nothing else: `Some((slot, i))`.
fn field_of_slot(n: &Node) -> Option<(usize, usize)> {
    match n {
        Node::Method(m) => match (&m.recv, m.method) {
            (Node::Slot(s), Method::Field(i)) if m.args.is_empty() && m.fun.is_none() => {
                Some((*s, i))
            }
            _ => None,
        },
        _ => None,
    }
}

/// A lambda body with a fast path.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Shape {
    /// `slot._{i+1}`: `Field(slot, i)`.
    Field(usize, usize),
    /// `a op b` on two `Int` operands (arithmetic or comparison, not `&&`/`||`).
    Ints(BinOp, Operand, Operand),
}

/// The fast shape of a compiled lambda body, if it has one.
pub(super) fn shape(body: &Node) -> Option<Shape> {
    if let Some((s, i)) = field_of_slot(body) {
        return Some(Shape::Field(s, i));
    }
    match body {
        Node::Bin(op, l, r) if !matches!(op, BinOp::And | BinOp::Or) => {
            Some(Shape::Ints(*op, Operand::of(l)?, Operand::of(r)?))
        }
        _ => None,
    }
}

impl Shape {
    /// The body's value when the fast path applies, else `None` (evaluate the tree).
    #[inline]
    pub(super) fn try_eval(self, env: &[Value]) -> Option<Value> {
        match self {
            Shape::Field(s, i) => match env.get(s) {
                Some(Value::Tuple(fields)) => fields.get(i).cloned(),
                _ => None,
            },
            Shape::Ints(op, a, b) => {
                let (x, y) = (a.int(env)?, b.int(env)?);
                // As `ops::binary`/`ops::arith` for `Int op Int`.
                Some(match op {
                    BinOp::Add => Value::Int(x.wrapping_add(y)),
                    BinOp::Sub => Value::Int(x.wrapping_sub(y)),
                    BinOp::Mul => Value::Int(x.wrapping_mul(y)),
                    BinOp::Div | BinOp::Rem if y == 0 => return None, // `/ by zero`
                    BinOp::Div => Value::Int(x.wrapping_div(y)),
                    BinOp::Rem => Value::Int(x.wrapping_rem(y)),
                    BinOp::Eq => Value::Bool(x == y),
                    BinOp::Ne => Value::Bool(x != y),
                    BinOp::Lt => Value::Bool(x < y),
                    BinOp::Le => Value::Bool(x <= y),
                    BinOp::Gt => Value::Bool(x > y),
                    BinOp::Ge => Value::Bool(x >= y),
                    BinOp::And | BinOp::Or => return None,
                })
            }
        }
    }
}
