//! The input DStreams and where their RDDs come from: `ReceiverInputDStream`
//! (`dstream/ReceiverInputDStream.scala`, blocks allocated to the batch), `QueueInputDStream`,
//! `FileInputDStream` and Kafka's `DirectKafkaInputDStream`.

use super::dstream_graph::InputProvider;
use super::error::SparkError;
use super::ops::OpCtx;
use super::rdd::{slice_like_parallelize, Rdd};
use super::received_block_tracker::ReceivedBlockTracker;
use super::receiver::Receiver;
use super::trace::Event;
use crate::cluster::Cluster;
use crate::io::{FileDrop, QueueSource};
use crate::ledger::Ledger;
use crate::sim::{Duration, Time};
use crate::value::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Where an input stream's data comes from.
#[derive(Clone, Debug)]
pub enum InputSource {
    /// A receiver replaying timed records (socket text, CSV events).
    Receiver(Receiver),
    /// `queueStream`.
    Queue(QueueSource),
    /// `textFileStream` over a simulated directory.
    Files {
        /// The directory's name.
        dir: String,
        /// Files (and appends) in order of appearance.
        drops: Vec<FileDrop>,
        /// Names already selected.
        seen: BTreeSet<String>,
        /// Files (indexes into `drops`) each batch selected (checkpointed metadata).
        selected: BTreeMap<Time, Vec<usize>>,
    },
    /// A Kafka-like partitioned log read by the direct approach
    /// (`KafkaUtils.createDirectStream`): no receiver; each batch reads the offset range
    /// `[last until, latest)` of every partition, one RDD partition per log partition. The
    /// log is durable (Kafka replicates it) and the offset ranges per batch are checkpoint
    /// metadata, so a re-run batch reads exactly the same records.
    KafkaDirect {
        /// Per log partition, records with the time they were appended, in offset order.
        log: Vec<Vec<(Time, Value)>>,
        /// Next offset to read, per partition (driver state, checkpointed).
        next: Vec<u64>,
        /// Offset ranges `[from, until)` per partition chosen for each batch.
        ranges: BTreeMap<Time, Vec<(u64, u64)>>,
    },
    /// Fixed batches (`None` = no RDD at that time), sliced into `partitions`.
    Test {
        /// Batch k's records.
        batches: Vec<Option<Vec<Value>>>,
        /// Partitions per batch RDD.
        partitions: usize,
    },
}

/// The record offsets of one input stream that went into a batch.
type InputOffsets = (usize, Arc<Vec<u64>>);

#[derive(Clone)]
pub(super) struct Inputs {
    pub(super) sources: Vec<InputSource>,
    pub(super) names: Vec<String>,
    pub(super) tracker: ReceivedBlockTracker,
    pub(super) batch: Duration,
    pub(super) default_parallelism: usize,
    pub(super) records_at: BTreeMap<Time, usize>,
    pub(super) events: Vec<Event>,
    pub(super) cluster: Cluster,
    pub(super) ledger: Ledger,
    /// Per batch time, the record offsets its input RDDs were built from (for the ledger).
    pub(super) batch_offsets: BTreeMap<Time, Vec<InputOffsets>>,
    /// Batches generated at another instant than their batch time (the down times a
    /// restarted driver generates at the restart instant, `JobGenerator.restart`), by batch
    /// time: a direct Kafka stream computes such a batch up to the latest offsets *at that
    /// instant* (`DirectKafkaInputDStream.compute` asks the consumer for the latest offsets),
    /// so the first one catches up on everything appended while the driver was down.
    pub(super) generated_at: BTreeMap<Time, Time>,
    /// The state of the mechanisms a scenario turns on (`[conf]`, faults): rate
    /// controllers, a graceful stop in progress, partitions lost with a worker.
    pub(super) mech: Mechanisms,
}

/// State of rate control, stopping and lost partitions (each in the module named after
/// its Spark class).
#[derive(Clone, Default)]
pub(super) struct Mechanisms {
    /// One `RateController` (its `PIDRateEstimator`) per input stream, with backpressure.
    pub(super) estimators: BTreeMap<usize, super::pid_rate_estimator::PidRateEstimator>,
    /// A direct Kafka stream's latest published rate (`DirectKafkaRateController`), records/s.
    pub(super) kafka_rates: BTreeMap<usize, f64>,
    /// A stop in progress (`ssc.stop`).
    pub(super) stopping: Option<Stopping>,
    /// Partitions of remembered RDDs lost with a worker, recomputed by the next batch.
    pub(super) lost: Vec<LostPartitions>,
}

/// A graceful stop in progress (`graceful_stop`).
#[derive(Clone, Debug)]
pub(crate) struct Stopping {
    /// When `stop` was called.
    pub(super) requested: Time,
    /// The last batch the timer generates (`timer.stop(false)`'s answer), once known.
    pub(super) stop_time: Option<Time>,
}

/// Cached partitions of one remembered RDD that died with a worker (`task_scheduler`).
#[derive(Clone, Debug)]
pub(crate) struct LostPartitions {
    pub(super) stream: super::dstream_graph::StreamId,
    pub(super) rdd_time: Time,
    pub(super) partitions: usize,
    pub(super) records: usize,
}

/// `DirectKafkaInputDStream.maxMessagesPerPartition`: with backpressure, the latest
/// estimated rate (or `initialRate` before the first) split over the partitions by lag,
/// each capped by `spark.streaming.kafka.maxRatePerPartition`; without it, that cap alone.
/// Times the batch interval in seconds, at least `minRatePerPartition`. `None`: no limit.
pub fn max_messages_per_partition(
    conf: &crate::cluster::conf::SparkConf,
    latest_rate: Option<f64>,
    current: &[u64],
    latest: &[u64],
    batch: Duration,
) -> Option<Vec<u64>> {
    let estimated = if conf.backpressure {
        match latest_rate {
            Some(r) if r > 0.0 => Some(r),
            _ => conf.initial_rate.map(|r| r as f64),
        }
    } else {
        None
    };
    let max_per = conf.kafka_max_rate_per_partition.map(|m| m as f64);
    let limits: Vec<f64> = match estimated.filter(|r| *r > 0.0) {
        Some(rate) => {
            let lags: Vec<u64> = current
                .iter()
                .zip(latest)
                .map(|(c, l)| l.saturating_sub(*c))
                .collect();
            let total: u64 = lags.iter().sum();
            lags.iter()
                .map(|&lag| {
                    let bp = if total == 0 {
                        0.0
                    } else {
                        lag as f64 / total as f64 * rate
                    };
                    max_per.map_or(bp, |m| bp.min(m))
                })
                .collect()
        }
        None => current.iter().map(|_| max_per.unwrap_or(0.0)).collect(),
    };
    if limits.iter().sum::<f64>() <= 0.0 {
        return None;
    }
    let secs = batch.ms() as f64 / 1000.0;
    Some(
        limits
            .iter()
            .map(|l| ((secs * l) as u64).max(conf.kafka_min_rate_per_partition))
            .collect(),
    )
}

impl InputProvider for Inputs {
    fn input_rdd(
        &mut self,
        ctx: &mut OpCtx,
        input: usize,
        t: Time,
    ) -> Result<Option<Rdd>, SparkError> {
        let name = self.names[input].clone();
        let rdd = match &mut self.sources[input] {
            InputSource::Receiver(_) => {
                // ReceiverInputDStream.createBlockRDD: read each allocated block from a live
                // executor or the write-ahead log; blocks found nowhere are skipped with
                // Spark's error message (their records are lost).
                let mut parts: Vec<Vec<Value>> = Vec::new();
                let mut missing = Vec::new();
                for b in self.tracker.blocks_of(t, input) {
                    match self.cluster.read(&b.id) {
                        Some((block, _)) => {
                            parts.push(block.records.as_ref().clone());
                            self.batch_offsets
                                .entry(t)
                                .or_default()
                                .push((input, Arc::clone(&block.offsets)));
                        }
                        None => missing.push(b.id.to_string()),
                    }
                }
                if !missing.is_empty() {
                    self.events.push(Event::BlocksNotFound {
                        time: t,
                        stream: name.clone(),
                        blocks: missing,
                        message: "Some blocks could not be recovered as they were not found in memory. To prevent such data loss, enable Write Ahead Log (see programming guide for more details).".into(),
                    });
                }
                let lineage = ctx.lineage(
                    if self.cluster.config.wal {
                        "WriteAheadLogBackedBlockRDD"
                    } else {
                        "BlockRDD"
                    },
                    &[],
                    false,
                );
                Rdd::new(parts, None, lineage)
            }
            InputSource::Queue(q) => {
                let mut taken = Vec::new();
                if q.one_at_a_time && !q.queue.is_empty() {
                    taken.extend(q.queue.pop_front());
                } else {
                    taken.extend(q.queue.drain(..));
                }
                let n = self.default_parallelism;
                if taken.is_empty() {
                    match &q.default {
                        Some(d) => {
                            ctx.parallelize(d.clone(), n, "ParallelCollectionRDD[defaultRDD]")
                        }
                        None => ctx.empty(),
                    }
                } else {
                    let rdds: Vec<Rdd> = taken
                        .into_iter()
                        .map(|recs| ctx.parallelize(recs, n, "ParallelCollectionRDD"))
                        .collect();
                    if rdds.len() == 1 {
                        rdds.into_iter().next().unwrap_or_else(|| ctx.empty())
                    } else {
                        let refs: Vec<&Rdd> = rdds.iter().collect();
                        super::ops::union(ctx, &refs)
                    }
                }
            }
            InputSource::Files {
                dir,
                drops,
                seen,
                selected,
            } => {
                // FileInputDStream: a batch reads the files that appeared since the last one;
                // the selection per batch is checkpoint metadata, so a batch re-run after
                // driver recovery reads the same files again.
                let chosen: Vec<usize> = match selected.get(&t) {
                    Some(c) => c.clone(),
                    None => {
                        let c: Vec<usize> = drops
                            .iter()
                            .enumerate()
                            .filter(|(_, d)| {
                                !d.append
                                    && d.at <= t
                                    && d.at != Time::ZERO
                                    && !seen.contains(&d.name)
                            })
                            .map(|(k, _)| k)
                            .collect();
                        selected.insert(t, c.clone());
                        c
                    }
                };
                let mut parts = Vec::new();
                for k in chosen {
                    let d = &drops[k];
                    seen.insert(d.name.clone());
                    self.events.push(Event::FileSelected {
                        time: t,
                        stream: name.clone(),
                        file: format!("{dir}/{}", d.name),
                        records: d.lines.len(),
                    });
                    // Record identity: file number in the high bits, line in the low bits.
                    let offsets: Vec<u64> = (0..d.lines.len() as u64)
                        .map(|l| ((k as u64) << 32) | l)
                        .collect();
                    self.ledger.received(input, &offsets, t);
                    self.ledger.allocated(input, &offsets, t);
                    self.batch_offsets
                        .entry(t)
                        .or_default()
                        .push((input, Arc::new(offsets)));
                    parts.push(d.lines.iter().map(|l| Value::str(l)).collect());
                }
                let lineage =
                    ctx.lineage("UnionRDD of NewHadoopRDD (one per new file)", &[], false);
                Rdd::new(parts, None, lineage)
            }
            InputSource::KafkaDirect { log, next, ranges } => {
                let chosen = match ranges.get(&t) {
                    Some(r) => r.clone(),
                    None => {
                        // DirectKafkaInputDStream.compute: from the current offsets up to
                        // the latest ones when the batch is generated, never below the
                        // current offsets (an older time computed late reads nothing).
                        let now = self.generated_at.get(&t).copied().unwrap_or(t);
                        let latest: Vec<u64> = log
                            .iter()
                            .zip(next.iter())
                            .map(|(part, &from)| {
                                (part.partition_point(|(at, _)| *at <= now) as u64).max(from)
                            })
                            .collect();
                        let max = max_messages_per_partition(
                            &self.cluster.config.conf,
                            self.mech.kafka_rates.get(&input).copied(),
                            next,
                            &latest,
                            self.batch,
                        );
                        let r: Vec<(u64, u64)> = next
                            .iter()
                            .zip(&latest)
                            .enumerate()
                            .map(|(p, (&from, &until))| match &max {
                                // DirectKafkaInputDStream.clamp: min(latest, current + max).
                                Some(m) => (from, until.min(from + m[p])),
                                None => (from, until),
                            })
                            .collect();
                        for (n, (_, until)) in next.iter_mut().zip(&r) {
                            *n = (*n).max(*until);
                        }
                        ranges.insert(t, r.clone());
                        r
                    }
                };
                let mut parts = Vec::with_capacity(log.len());
                for (p, (from, until)) in chosen.iter().enumerate() {
                    let records: Vec<Value> = log[p][*from as usize..*until as usize]
                        .iter()
                        .map(|(_, v)| v.clone())
                        .collect();
                    // Record identity: log partition in the high bits, offset in the low bits.
                    let offsets: Vec<u64> =
                        (*from..*until).map(|o| ((p as u64) << 40) | o).collect();
                    self.ledger.received(input, &offsets, t);
                    self.ledger.allocated(input, &offsets, t);
                    self.batch_offsets
                        .entry(t)
                        .or_default()
                        .push((input, Arc::new(offsets)));
                    parts.push(records);
                }
                let lineage = ctx.lineage("KafkaRDD (offset ranges)", &[], false);
                Rdd::new(parts, None, lineage)
            }
            InputSource::Test {
                batches,
                partitions,
            } => {
                let k = (t.ms() / self.batch.ms().max(1)).saturating_sub(1) as usize;
                match batches.get(k) {
                    Some(None) => return Ok(None),
                    Some(Some(recs)) => {
                        let parts = slice_like_parallelize(recs.clone(), *partitions);
                        let lineage = ctx.lineage("ParallelCollectionRDD", &[], false);
                        Rdd::new(parts, None, lineage)
                    }
                    None => {
                        let parts = slice_like_parallelize(Vec::new(), *partitions);
                        let lineage = ctx.lineage("ParallelCollectionRDD", &[], false);
                        Rdd::new(parts, None, lineage)
                    }
                }
            }
        };
        *self.records_at.entry(t).or_default() += rdd.count();
        Ok(Some(rdd))
    }
}
