//! Rate limiting and backpressure: the receiver's `RateLimiter` (`receiver/RateLimiter.scala`
//! over Guava's `SmoothBursty` limiter), `PIDRateEstimator`
//! (`scheduler/rate/PIDRateEstimator.scala`) and `RateController`
//! (`scheduler/rate/RateController.scala`: a streaming listener that feeds each completed
//! batch's figures to the estimator and publishes the new rate).
//!
//! With `spark.streaming.backpressure.enabled`, every receiver input stream and every direct
//! Kafka stream has a controller. When a batch completes, it calls
//! `compute(processingEndTime, numRecords, processingDelay, schedulingDelay)`; a new rate
//! goes to the receiver's block generator (`BlockGenerator.updateRate`, capped by
//! `spark.streaming.receiver.maxRate`) or is kept for the next Kafka batch
//! (`DirectKafkaInputDStream.maxMessagesPerPartition`).

use super::driver::{Core, Scheduled};
use super::input_dstreams::InputSource;
use super::pid_rate_estimator::PidRateEstimator;
use super::trace::Event;
use crate::sim::{Duration, Time};
use std::collections::BTreeMap;

/// `RateController.onBatchCompleted` for batch `t`, which started processing at `start`,
/// took `processing_ms` after `scheduling_delay_ms` of waiting and read `records` records
/// per input: each input's estimator computes, and a new rate is published when the
/// batch's processing ends (`Scheduled::RateUpdate`).
pub(super) fn on_batch_completed(
    core: &mut Core,
    t: Time,
    start: Time,
    processing_ms: u64,
    scheduling_delay_ms: u64,
    records: &BTreeMap<usize, u64>,
) {
    let conf = core.inputs.cluster.config.conf.clone();
    if !conf.backpressure {
        return;
    }
    let end = start.plus(Duration::from_ms(processing_ms));
    let batch_ms = core.config.batch_interval.ms();
    for input in 0..core.inputs.sources.len() {
        if !matches!(
            core.inputs.sources[input],
            InputSource::Receiver(_) | InputSource::KafkaDirect { .. }
        ) {
            continue;
        }
        let elements = records.get(&input).copied().unwrap_or(0);
        let estimator = core
            .inputs
            .mech
            .estimators
            .entry(input)
            .or_insert_with(|| PidRateEstimator::new(batch_ms, &conf));
        if let Some(rate) =
            estimator.compute(end.ms(), elements, processing_ms, scheduling_delay_ms)
        {
            let epoch = core.epoch;
            core.schedule(
                end,
                Scheduled::RateUpdate {
                    input,
                    rate: rate as u64,
                    batch: t,
                    epoch,
                },
            );
        }
    }
}

/// A published rate reaches input `input` at `t`: a receiver's block generator takes it
/// (`BlockGenerator.updateRate`, capped by `maxRate`); a direct Kafka stream keeps it for
/// its next batch.
pub(super) fn on_rate_update(
    core: &mut Core,
    t: Time,
    input: usize,
    rate: u64,
    batch: Time,
    epoch: u64,
) {
    if epoch != core.epoch {
        return;
    }
    let applied = match &mut core.inputs.sources[input] {
        InputSource::Receiver(r) => {
            r.limiter.update(rate);
            r.limiter.rate().unwrap_or(rate)
        }
        InputSource::KafkaDirect { .. } => {
            core.inputs.mech.kafka_rates.insert(input, rate as f64);
            rate
        }
        _ => return,
    };
    let stream = core.inputs.names[input].clone();
    core.emit(Event::RateUpdated {
        time: t,
        stream,
        rate: applied,
        batch,
    });
}
