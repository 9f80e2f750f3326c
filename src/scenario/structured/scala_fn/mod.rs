//! The Scala functions of a Structured Streaming scenario: the `functions` text with the
//! `def`s (and `case class`es) that `groupByKey(..).flatMapGroupsWithState(..)(f)` and
//! `mapGroupsWithState(..)(f)` name, written as in spark-shell, so that the oracle script
//! runs the very same text on real Spark:
//!
//! ```scala
//! def sessions(tail: String, rows: Iterator[Row], state: GroupState[(Long, Long)]): Iterator[(String, Long, Long)] = {
//!   if (state.hasTimedOut) {
//!     val (n, first) = (state.get._1, state.get._2)
//!     state.remove()
//!     Iterator((tail, n, first))
//!   } else {
//!     val times = rows.map(_.getAs[java.sql.Timestamp]("sched_dep").getTime).toSeq
//!     val old = state.getOption.getOrElse((0L, times.min))
//!     state.update((old._1 + times.size, old._2))
//!     state.setTimeoutTimestamp(state.getCurrentWatermarkMs() + 3600000L)
//!     Iterator.empty
//!   }
//! }
//! ```
//!
//! A small interpreter of that subset of Scala: `val`, blocks, `if`/`else`, lambdas (also
//! `_.m`), tuples, `Some`/`None`, `Iterator(..)`/`Seq(..)`/`List(..)`, case class
//! constructors and fields, `new java.sql.Timestamp(ms)`, arithmetic and comparisons, and the
//! methods of `GroupState` (`get`, `getOption`, `exists`, `update`, `remove`, `hasTimedOut`,
//! `setTimeoutDuration`, `setTimeoutTimestamp`, `getCurrentWatermarkMs`,
//! `getCurrentProcessingTimeMs`), of `Row` (`getAs[T](name)`, `getString(i)`, ...), of
//! `Iterator`/`Seq` (`size`, `map`, `filter`, `max`, `min`, `sum`, `foldLeft`, ...; an
//! `Iterator` is used up by a traversal, as in Scala), of `Option`, tuples, numbers and
//! strings. The state and output types come from the `def`'s declared types, as Spark's
//! encoders do: a tuple gives columns `_1`, `_2`, ..., a case class its fields, a single
//! value the column `value`. Errors carry the byte offset in the text; run-time failures name
//! Spark's exception. Every call has a step limit ([`MAX_STEPS`]).

mod eval;
mod methods;
mod parse;

pub use eval::{MAX_DEPTH, MAX_STEPS};
pub use parse::{parse_functions, parse_key_fn, FnError, Functions, KeyFn, Ty};

use crate::models::structured::group_state::{GroupFunction, GroupStateImpl};
use crate::models::structured::{DataType, Field, Row, Schema};
use eval::{decode, elems, encode, kind, show_v, Cx, Env, V};
use parse::{Def, E};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

// ---------------------------------------------------------------------------------------
// The function as the model calls it.

fn data_type_of(ty: &Ty) -> Result<DataType, String> {
    Ok(match (ty.base(), ty) {
        ("Option", Ty::Named(_, a)) if a.len() == 1 => data_type_of(&a[0])?,
        ("String", _) => DataType::String,
        ("Long" | "Int" | "Short" | "Byte", _) => DataType::Long,
        ("Double" | "Float", _) => DataType::Double,
        ("Boolean", _) => DataType::Boolean,
        ("Timestamp", _) => DataType::Timestamp,
        _ => {
            return Err(format!(
                "{} cannot be a column here: use String, Long, Int, Double, Boolean, java.sql.Timestamp or Option of them",
                show_ty(ty)
            ))
        }
    })
}

fn show_ty(ty: &Ty) -> String {
    match ty {
        Ty::Named(n, a) if a.is_empty() => n.clone(),
        Ty::Named(n, a) => format!(
            "{n}[{}]",
            a.iter().map(show_ty).collect::<Vec<_>>().join(", ")
        ),
        Ty::Tuple(t) => format!("({})", t.iter().map(show_ty).collect::<Vec<_>>().join(", ")),
    }
}

/// The columns Spark's encoder gives a value of type `ty`: `_1`, `_2`, ... for a tuple, the
/// fields of a case class, `value` for a single value.
///
/// # Errors
/// A type without a column encoding here.
pub fn encoder_schema(fns: &Functions, ty: &Ty) -> Result<Schema, String> {
    let fields = match ty {
        Ty::Tuple(t) => t
            .iter()
            .enumerate()
            .map(|(i, t)| Ok(Field::new(&format!("_{}", i + 1), data_type_of(t)?)))
            .collect::<Result<Vec<_>, String>>()?,
        Ty::Named(..) if fns.classes.contains_key(ty.base()) => fns.classes[ty.base()]
            .iter()
            .map(|(n, t)| Ok(Field::new(n, data_type_of(t)?)))
            .collect::<Result<Vec<_>, String>>()?,
        t => vec![Field::new("value", data_type_of(t)?)],
    };
    Ok(Schema { fields })
}

/// `groupByKey(key).[flat]mapGroupsWithState(..)(name)` over the functions: the
/// [`GroupFunction`] the model calls.
pub struct ScalaGroupFn {
    fns: Functions,
    name: String,
    def: Arc<Def>,
    key: KeyFn,
    key_ty: Ty,
    state_ty: Ty,
    is_map: bool,
    width: usize,
}

impl ScalaGroupFn {
    /// Checks `name` against the shape Spark's API requires and gives the function and its
    /// output schema. `is_map` is `mapGroupsWithState` (the function returns one value)
    /// rather than `flatMapGroupsWithState` (an `Iterator`).
    ///
    /// # Errors
    /// An unknown `def`, a wrong number of parameters, a state parameter that is not a
    /// `GroupState[S]`, a missing or unusable result type; `(offset, message)`, the offset
    /// being the `def`'s when there is one, else `at`.
    pub fn new(
        fns: &Functions,
        name: &str,
        key: KeyFn,
        is_map: bool,
        at: usize,
    ) -> Result<(ScalaGroupFn, Schema), FnError> {
        let api = if is_map {
            "mapGroupsWithState"
        } else {
            "flatMapGroupsWithState"
        };
        let Some(def) = fns.defs.get(name).cloned() else {
            let known: Vec<&str> = fns.defs.keys().map(String::as_str).collect();
            return Err((
                at,
                format!(
                    "not found: value {name}; {api} takes a `def` of the scenario's `functions` ({})",
                    if known.is_empty() { "none defined".to_string() } else { known.join(", ") }
                ),
            ));
        };
        let shape = if is_map {
            "(key: K, rows: Iterator[Row], state: GroupState[S]): U"
        } else {
            "(key: K, rows: Iterator[Row], state: GroupState[S]): Iterator[U]"
        };
        let bad = |m: String| {
            (
                def.pos,
                format!("{name}: {m}; {api} takes a function {shape}"),
            )
        };
        if def.params.len() != 3 {
            return Err(bad(format!("it takes {} parameters", def.params.len())));
        }
        let state_ty = match &def.params[2].1 {
            Ty::Named(n, a) if n.ends_with("GroupState") && a.len() == 1 => a[0].clone(),
            t => {
                return Err(bad(format!(
                    "its third parameter is a {}, not a GroupState[S]",
                    show_ty(t)
                )))
            }
        };
        let Some(ret) = def.ret.clone() else {
            return Err(bad(
                "declare its result type (Spark derives the output encoder from it)".into(),
            ));
        };
        let out_ty = if is_map {
            ret
        } else {
            match &ret {
                Ty::Named(n, a) if n.ends_with("Iterator") && a.len() == 1 => a[0].clone(),
                t => {
                    return Err(bad(format!(
                        "it returns {}, not an Iterator[U]",
                        show_ty(t)
                    )))
                }
            }
        };
        let schema = encoder_schema(fns, &out_ty).map_err(|m| (def.pos, format!("{name}: {m}")))?;
        encoder_schema(fns, &state_ty).map_err(|m| (def.pos, format!("{name}'s state: {m}")))?;
        Ok((
            ScalaGroupFn {
                fns: fns.clone(),
                name: name.to_string(),
                key_ty: def.params[0].1.clone(),
                width: schema.fields.len(),
                def,
                key,
                state_ty,
                is_map,
            },
            schema,
        ))
    }

    fn cx<'a>(&'a self, schema: &'a Schema, state: Option<&'a mut GroupStateImpl>) -> Cx<'a> {
        Cx {
            fns: &self.fns,
            schema,
            state,
            state_ty: Some(self.state_ty.clone()),
            steps: 0,
            depth: 0,
        }
    }
}

impl GroupFunction for ScalaGroupFn {
    fn name(&self) -> &str {
        &self.name
    }

    fn key(&self, input: &Schema, row: &Row) -> Result<Row, String> {
        let mut cx = self.cx(input, None);
        let arg = V::Row(Rc::new(row.clone()));
        let v = match &self.key.0 {
            E::Var(f) => cx.call(f, vec![arg], &mut Env::default())?,
            e => {
                let f = cx.eval(e, &mut Env::default())?;
                cx.apply(&f, vec![arg])?
            }
        };
        encode(&v)
    }

    fn call(
        &self,
        input: &Schema,
        key: &Row,
        rows: Vec<Row>,
        state: &mut GroupStateImpl,
    ) -> Result<Vec<Row>, String> {
        let mut cx = self.cx(input, Some(state));
        let key_v = decode(&cx, Some(&self.key_ty), key);
        let rows_v: VecDeque<V> = rows.into_iter().map(|r| V::Row(Rc::new(r))).collect();
        let names: Vec<String> = self.def.params.iter().map(|p| p.0.clone()).collect();
        let mut env = Env {
            vars: names
                .into_iter()
                .zip([key_v, V::Iter(Rc::new(RefCell::new(rows_v))), V::State])
                .collect(),
        };
        let out = cx.eval(&self.def.body, &mut env)?;
        let values = if self.is_map {
            vec![out]
        } else {
            elems(&out)
                .ok_or_else(|| format!("{} returned {}, not an Iterator", self.name, kind(&out)))?
        };
        values
            .iter()
            .map(|v| {
                let r = encode(v)?;
                if r.len() != self.width {
                    return Err(format!(
                        "{} returned {} (width {}), but its result type has {} columns",
                        self.name,
                        show_v(v),
                        r.len(),
                        self.width
                    ));
                }
                Ok(r)
            })
            .collect()
    }
}
