//! A test input for the graph's unit tests (`pipelined.rs`, `shared.rs`): lines per batch
//! time, batch k at `(k+1)` s, one partition per block.

use super::InputProvider;
use crate::func::{EvalError, Func};
use crate::models::dstream::error::SparkError;
use crate::models::dstream::ops::OpCtx;
use crate::models::dstream::rdd::Rdd;
use crate::sim::Time;
use crate::value::Value;

/// Lines per batch time (batch k at `(k+1)` s), one partition per block.
#[derive(Clone)]
pub(super) struct Lines(pub(super) Vec<Vec<Vec<&'static str>>>);

impl InputProvider for Lines {
    fn input_rdd(
        &mut self,
        ctx: &mut OpCtx,
        _input: usize,
        t: Time,
    ) -> Result<Option<Rdd>, SparkError> {
        let k = (t.ms() / 1000) as usize;
        let Some(blocks) = k.checked_sub(1).and_then(|k| self.0.get(k)) else {
            return Ok(None);
        };
        let parts = blocks
            .iter()
            .map(|b| b.iter().map(|l| Value::str(l)).collect())
            .collect();
        let lineage = ctx.lineage("BlockRDD", &[], false);
        Ok(Some(Rdd::new(parts, None, lineage)))
    }
}

/// `split(" ")` as a native closure with the compiler's identity (so that twin streams
/// share it).
pub(super) fn split() -> Func {
    Func::native("split", 1, |a| {
        let s = a[0]
            .as_str()
            .ok_or_else(|| EvalError::new("not a string"))?;
        Ok(Value::list(s.split(' ').map(Value::str).collect()))
    })
    .with_identity("split")
}

/// `pair(1)` as a native closure, marked as the compiler marks it (its constant, so that a
/// `reduceByKey` after it can be fused, and its identity).
pub(super) fn pair1() -> Func {
    Func::native("pair(1)", 1, |a| {
        Ok(Value::pair(a[0].clone(), Value::Int(1)))
    })
    .with_pair_const(Value::Int(1))
    .with_identity("pair(1)")
}
