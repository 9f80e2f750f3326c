//! `Checkpoint` and `CheckpointWriter` (`Checkpoint.scala`): the metadata checkpoint a
//! driver writes to reliable storage after generating each batch, and what a restarted
//! driver reads back.
//!
//! `JobGenerator.doCheckpoint` writes a `Checkpoint` of time `t` when
//! `(t - zeroTime)` is a multiple of the checkpoint duration (the batch interval unless set),
//! that is after every batch here. It holds the checkpoint time and the *pending times*: the
//! job sets submitted and not yet completed (`JobScheduler.getPendingTimes`), including `t`.
//! The writer keeps the newest files (`checkpoint-<time>`, at most [`MAX_FILES`]); recovery
//! reads the one with the latest time, and `JobGenerator.restart` re-runs
//! `pendingTimes ++ (checkpointTime until restartTime)`.
//!
//! Spark also rewrites the checkpoint of a batch when it completes (`ClearMetadata`); that
//! file never changes what a restart re-runs (the completed batch's time is at or before the
//! newest checkpoint time, and every batch before it has completed with it, one job set
//! running at a time), so it is not modelled. The graph's checkpointed RDDs are kept by
//! the graph itself (`DStreamCheckpointData`).

use crate::sim::Time;
use std::collections::BTreeMap;

/// How many checkpoint files the writer keeps (Spark keeps the last 10).
pub const MAX_FILES: usize = 10;

/// One metadata checkpoint (`Checkpoint(ssc, checkpointTime)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The batch time it was taken for (`checkpointTime`).
    pub checkpoint_time: Time,
    /// Batches generated but not completed when it was written (`pendingTimes`), sorted.
    pub pending_times: Vec<Time>,
}

/// The checkpoint files on reliable storage (`CheckpointWriter`): survive every failure.
#[derive(Clone, Debug, Default)]
pub struct CheckpointWriter {
    files: BTreeMap<Time, Checkpoint>,
    /// Writes still running on the writer's single thread (slow storage), by the instant
    /// each becomes durable.
    unfinished: Vec<(Time, Checkpoint)>,
    /// When the writer's thread is free again.
    busy_until: Time,
}

impl CheckpointWriter {
    /// Writes `checkpoint` at `now` when each write takes `write_ms` (slow reliable
    /// storage): writes run one at a time on the writer's thread (`CheckpointWriter`'s
    /// single-thread executor), so the file exists only from its end on. 0 ms: at once.
    pub fn write_at(&mut self, checkpoint: Checkpoint, now: Time, write_ms: u64) {
        self.settle(now);
        if write_ms == 0 && self.unfinished.is_empty() {
            self.write(checkpoint);
            return;
        }
        let done = self
            .busy_until
            .max(now)
            .plus(crate::sim::Duration::from_ms(write_ms));
        self.busy_until = done;
        self.unfinished.push((done, checkpoint));
    }

    /// Writes finished by `now` become files.
    pub fn settle(&mut self, now: Time) {
        let (done, running): (Vec<_>, Vec<_>) = std::mem::take(&mut self.unfinished)
            .into_iter()
            .partition(|(at, _)| *at <= now);
        self.unfinished = running;
        for (_, c) in done {
            self.write(c);
        }
    }

    /// The driver died at `now`: writes not finished die with its writer thread. Returns
    /// the checkpoint times lost.
    pub fn driver_died(&mut self, now: Time) -> Vec<Time> {
        self.settle(now);
        self.busy_until = now;
        std::mem::take(&mut self.unfinished)
            .into_iter()
            .map(|(_, c)| c.checkpoint_time)
            .collect()
    }

    /// Writes `checkpoint` as `checkpoint-<time>` (replacing a file of the same time) and
    /// deletes the oldest files beyond [`MAX_FILES`].
    pub fn write(&mut self, checkpoint: Checkpoint) {
        self.files.insert(checkpoint.checkpoint_time, checkpoint);
        while self.files.len() > MAX_FILES {
            self.files.pop_first();
        }
    }

    /// The checkpoint recovery reads: the one with the latest time
    /// (`CheckpointReader.read`), if any was written.
    pub fn latest(&self) -> Option<&Checkpoint> {
        self.files.values().next_back()
    }

    /// The batch times `JobGenerator.restart` re-runs when the timer restarts at
    /// `restart_time` with `batch` as the batch interval: the latest checkpoint's pending
    /// times plus every batch time from its checkpoint time until `restart_time`, distinct,
    /// sorted, before `restart_time`. Empty without a checkpoint.
    pub fn times_to_reschedule(
        &self,
        restart_time: Time,
        batch: crate::sim::Duration,
    ) -> Vec<Time> {
        let Some(c) = self.latest() else {
            return Vec::new();
        };
        let down = (0..)
            .map(|k| c.checkpoint_time.plus(batch * k))
            .take_while(|x| *x < restart_time);
        let mut times: Vec<Time> = c
            .pending_times
            .iter()
            .copied()
            .chain(down)
            .filter(|x| *x < restart_time)
            .collect();
        times.sort();
        times.dedup();
        times
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Duration;

    /// `JobGenerator.restart`: pending batches older than the checkpoint time run again,
    /// beside the down times from the checkpoint time to the restart time.
    #[test]
    fn restart_reschedules_pending_and_down_times() {
        let mut w = CheckpointWriter::default();
        assert!(w
            .times_to_reschedule(Time(12_000), Duration::from_ms(1000))
            .is_empty());
        w.write(Checkpoint {
            checkpoint_time: Time(9000),
            pending_times: vec![Time(8000), Time(9000)],
        });
        w.write(Checkpoint {
            checkpoint_time: Time(10_000),
            pending_times: vec![Time(9000), Time(10_000)],
        });
        assert_eq!(
            w.times_to_reschedule(Time(12_000), Duration::from_ms(1000)),
            [Time(9000), Time(10_000), Time(11_000)]
        );
    }

    /// The writer keeps the newest ten files.
    #[test]
    fn old_files_are_deleted() {
        let mut w = CheckpointWriter::default();
        for k in 1..=12 {
            w.write(Checkpoint {
                checkpoint_time: Time(k * 1000),
                pending_times: vec![Time(k * 1000)],
            });
        }
        assert_eq!(w.files.len(), MAX_FILES);
        assert_eq!(w.latest().map(|c| c.checkpoint_time), Some(Time(12_000)));
    }
}
