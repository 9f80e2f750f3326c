//! A test input for the graph's unit tests (`pipelined.rs`, `shared.rs`): lines per batch
//! time, batch k at `(k+1)` s, one partition per block.

use super::InputProvider;
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
