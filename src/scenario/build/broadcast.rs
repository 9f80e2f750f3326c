//! Broadcast variables in a scenario (a child of `build`): `excluded = sc.broadcast(v)`, made
//! once on the driver and captured by the functions that read `excluded.value`, and the
//! guide's lazily instantiated singleton, `object WordExcludeList { ... }` (read by
//! `parse/object.rs` as `WordExcludeList = lazySingleton(sc.broadcast(v))`), whose
//! `WordExcludeList.getInstance(rdd.sparkContext).value` inside `transform` or `foreachRDD`
//! makes the broadcast in whichever driver asks first. What a driver's restart does to each:
//! `models::dstream::broadcast`.

use crate::func::Func;
use crate::models::dstream::StreamingContext;
use crate::scenario::ast::{Expr, ExprKind, Statement};
use crate::scenario::error::ScenarioError;
use crate::scenario::expr::broadcast::{declare, BroadcastRead};
use crate::scenario::expr::eval_const;
use crate::scenario::parse::LAZY_SINGLETON;
use crate::scenario::spec::Scenario;

/// The value of `sc.broadcast(v)` / `ssc.sparkContext.broadcast(v)`, if `e` is one.
fn broadcast_arg(e: &Expr) -> Option<&Expr> {
    let ExprKind::Method {
        recv,
        name,
        args: Some(args),
    } = &e.kind
    else {
        return None;
    };
    let on_sc = match &recv.kind {
        ExprKind::Var(v) => v == "sc",
        ExprKind::Method {
            recv: inner,
            name: sc,
            args: None,
        } => sc.name == "sparkContext" && matches!(&inner.kind, ExprKind::Var(v) if v == "ssc"),
        _ => false,
    };
    match args.as_slice() {
        [v] if on_sc && name.name == "broadcast" => Some(v),
        _ => None,
    }
}

/// Declares the broadcast a statement makes; `false` when the statement is no broadcast.
///
/// # Errors
/// A broadcast without a name, a name already taken by a stream or dataset, or a value that
/// is not a constant (`Seq("a", "the")`).
pub(super) fn statement(
    scenario: &Scenario,
    ssc: &StreamingContext,
    taken: impl Fn(&str) -> bool,
    st: &Statement,
) -> Result<bool, ScenarioError> {
    let (arg, singleton) = match &st.expr.kind {
        ExprKind::Call { func, args } if func.name == LAZY_SINGLETON => match args.as_slice() {
            [b] => (broadcast_arg(b), true),
            _ => (None, true),
        },
        _ => (broadcast_arg(&st.expr), false),
    };
    let Some(arg) = arg else {
        return Ok(false);
    };
    let Some(target) = &st.target else {
        return Err(scenario.err(
            st.span,
            "a broadcast needs a name to be read by: `excluded = sc.broadcast(Seq(\"a\", \"the\"))`, then `excluded.value`".into(),
        ));
    };
    if taken(&target.name) {
        return Err(scenario.err(
            target.span,
            format!("`{}` is already defined; pick another name", target.name),
        ));
    }
    let value = eval_const(arg).map_err(|c| {
        scenario.err(
            c.span,
            format!(
                "a broadcast's value must be a constant such as `Seq(\"a\", \"the\")`: {}",
                c.message
            ),
        )
    })?;
    let broadcasts = ssc.broadcasts();
    let name = target.name.clone();
    let read = if singleton {
        let s = broadcasts.singleton(value);
        BroadcastRead::Singleton(Func::native(
            &format!("{name}.getInstance(sc).value"),
            0,
            move |_| Ok(s.value()),
        ))
    } else {
        let b = broadcasts.broadcast(value);
        BroadcastRead::Captured(Func::native(&format!("{name}.value"), 0, move |_| {
            b.value()
        }))
    };
    declare(&name, read);
    Ok(true)
}
