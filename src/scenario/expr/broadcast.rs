//! Broadcast variables in functions: `excluded.value` (a broadcast made by the program, read
//! in the function that captured it) and `WordExcludeList.getInstance(rdd.sparkContext).value`
//! (the guide's lazily instantiated singleton), each compiled to a call of the function that
//! reads the broadcast at run time (`models::dstream::broadcast`).
//!
//! The builder declares the program's broadcasts with [`declare`] before compiling the
//! functions that follow them; the names live in a thread-local table, cleared by
//! [`clear`] when a new program starts building (compiling is single-threaded and a
//! program's functions are compiled while it is built).

use super::error::CompileError;
use super::eval::Node;
use crate::func::Func;
use crate::scenario::ast::{Expr, ExprKind, Ident};
use std::cell::RefCell;
use std::collections::BTreeMap;

/// How a declared name reads its broadcast.
#[derive(Clone)]
pub enum BroadcastRead {
    /// `name = sc.broadcast(v)`: `name.value` calls this (no arguments).
    Captured(Func),
    /// `object name { ... }`: `name.getInstance(sc).value` calls this (no arguments).
    Singleton(Func),
}

thread_local! {
    static DECLARED: RefCell<BTreeMap<String, BroadcastRead>> = const { RefCell::new(BTreeMap::new()) };
}

/// Forgets the broadcasts of the program built before.
pub fn clear() {
    DECLARED.with(|d| d.borrow_mut().clear());
}

/// Declares `name` for the functions compiled from now on.
pub fn declare(name: &str, read: BroadcastRead) {
    DECLARED.with(|d| d.borrow_mut().insert(name.to_string(), read));
}

/// Whether `name` is a declared broadcast or singleton.
pub fn is_declared(name: &str) -> bool {
    DECLARED.with(|d| d.borrow().contains_key(name))
}

fn lookup(name: &str) -> Option<BroadcastRead> {
    DECLARED.with(|d| d.borrow().get(name).cloned())
}

/// `recv.name` when `recv` names a declared broadcast (not shadowed by a parameter in
/// `scope`): the node that reads it, or what is wrong. `None`: not a broadcast.
pub(super) fn method(
    recv: &Expr,
    name: &Ident,
    args: Option<&[Expr]>,
    scope: &[String],
) -> Option<Result<Node, CompileError>> {
    let unbound = |v: &str| !scope.iter().any(|s| s == v);
    let err = |message: String| {
        Some(Err(CompileError {
            message,
            span: name.span,
        }))
    };
    match &recv.kind {
        // `excluded.value`
        ExprKind::Var(v) if unbound(v) => match lookup(v)? {
            BroadcastRead::Captured(f) if name.name == "value" && args.is_none() => {
                Some(Ok(Node::Call(f, Box::new([]))))
            }
            BroadcastRead::Captured(_) => err(format!(
                "`{v}` is a broadcast variable: read it with `{v}.value`"
            )),
            BroadcastRead::Singleton(_) if name.name == "getInstance" => err(format!(
                "`{v}.getInstance(...)` is a broadcast: read it with `{v}.getInstance(rdd.sparkContext).value`"
            )),
            BroadcastRead::Singleton(_) => err(format!(
                "`{v}` is the guide's singleton: get its broadcast with `{v}.getInstance(rdd.sparkContext)` and read it with `.value`"
            )),
        },
        // `WordExcludeList.getInstance(rdd.sparkContext).value`
        ExprKind::Method {
            recv: inner,
            name: get,
            args: Some(get_args),
        } if get.name == "getInstance" => {
            let ExprKind::Var(v) = &inner.kind else {
                return None;
            };
            if !unbound(v) {
                return None;
            }
            match lookup(v)? {
                BroadcastRead::Singleton(f)
                    if name.name == "value" && args.is_none() && get_args.len() == 1 =>
                {
                    Some(Ok(Node::Call(f, Box::new([]))))
                }
                BroadcastRead::Singleton(_) if get_args.len() != 1 => err(format!(
                    "`{v}.getInstance` takes the SparkContext: `{v}.getInstance(rdd.sparkContext)`"
                )),
                BroadcastRead::Singleton(_) => err(format!(
                    "`{v}.getInstance(...)` is a broadcast: read it with `.value`"
                )),
                BroadcastRead::Captured(_) => err(format!(
                    "`{v}` is a broadcast variable made once on the driver; `getInstance` belongs to a singleton `object`"
                )),
            }
        }
        _ => None,
    }
}
