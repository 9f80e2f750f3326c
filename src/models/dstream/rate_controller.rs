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
use super::trace::Event;
use crate::cluster::conf::SparkConf;
use crate::sim::{Duration, Time};
use std::collections::BTreeMap;

/// `PIDRateEstimator(batchIntervalMillis, proportional, integral, derivative, minRate)`.
///
/// Each completed batch gives the processing rate `elements / processingDelay`; the error is
/// the last rate minus it, the historical error `schedulingDelay * processingRate /
/// batchInterval` (the backlog, in records per second); the new rate is
/// `max(latestRate - P*error - I*historicalError - D*dError, minRate)`. The first batch
/// only records its processing rate (no estimate).
#[derive(Clone, Debug)]
pub struct PidRateEstimator {
    batch_interval_ms: u64,
    proportional: f64,
    integral: f64,
    derivative: f64,
    min_rate: f64,
    first_run: bool,
    latest_time: i64,
    latest_rate: f64,
    latest_error: f64,
}

impl PidRateEstimator {
    /// An estimator with the gains of `conf` (`RateEstimator.create`: "pid").
    pub fn new(batch_interval_ms: u64, conf: &SparkConf) -> PidRateEstimator {
        PidRateEstimator {
            batch_interval_ms: batch_interval_ms.max(1),
            proportional: conf.pid_proportional,
            integral: conf.pid_integral,
            derivative: conf.pid_derived,
            min_rate: conf.pid_min_rate,
            first_run: true,
            latest_time: -1,
            latest_rate: -1.0,
            latest_error: -1.0,
        }
    }

    /// `compute(time, numElements, processingDelay, schedulingDelay)`: times in ms,
    /// the new rate in records per second, or `None` (first batch, no records, zero
    /// processing delay, or an older time).
    pub fn compute(
        &mut self,
        time_ms: u64,
        elements: u64,
        processing_delay_ms: u64,
        scheduling_delay_ms: u64,
    ) -> Option<f64> {
        let time = time_ms as i64;
        if !(time > self.latest_time && elements > 0 && processing_delay_ms > 0) {
            return None;
        }
        let delay_since_update = (time - self.latest_time) as f64 / 1000.0;
        let processing_rate = elements as f64 / processing_delay_ms as f64 * 1000.0;
        let error = self.latest_rate - processing_rate;
        let historical_error =
            scheduling_delay_ms as f64 * processing_rate / self.batch_interval_ms as f64;
        let d_error = (error - self.latest_error) / delay_since_update;
        let new_rate = (self.latest_rate
            - self.proportional * error
            - self.integral * historical_error
            - self.derivative * d_error)
            .max(self.min_rate);
        self.latest_time = time;
        if self.first_run {
            self.latest_rate = processing_rate;
            self.latest_error = 0.0;
            self.first_run = false;
            None
        } else {
            self.latest_rate = new_rate;
            self.latest_error = error;
            Some(new_rate)
        }
    }
}

/// A receiver's `RateLimiter`: at most `rate` records per second are admitted into the
/// block generator (`waitToPush`); what the source sends faster waits at the source (TCP
/// flow control for a socket, the broker for Kafka). Guava's `SmoothBursty` with one second
/// of burst: permits accrue at `rate` per second up to `rate` stored ones.
#[derive(Clone, Debug, Default)]
pub struct RateLimiter {
    /// The current rate (records/s); `None` = unlimited.
    rate: Option<u64>,
    /// `spark.streaming.receiver.maxRate`.
    max_rate: Option<u64>,
    /// `getInitialRateLimit`: `min(initialRate, maxRate)`.
    initial: Option<u64>,
    permits: f64,
    last: Option<Time>,
}

impl RateLimiter {
    /// A limiter starting at `min(initialRate, maxRate)` (`getInitialRateLimit`).
    pub fn new(conf: &SparkConf) -> RateLimiter {
        let initial = match (conf.initial_rate, conf.receiver_max_rate) {
            (Some(i), Some(m)) => Some(i.min(m)),
            (i, m) => i.or(m),
        };
        RateLimiter {
            rate: initial,
            max_rate: conf.receiver_max_rate,
            initial,
            permits: 0.0,
            last: None,
        }
    }

    /// The current rate, records per second (`None`: unlimited).
    pub fn rate(&self) -> Option<u64> {
        self.rate
    }

    /// A new receiver (a restart) starts again from the initial limit.
    pub fn reset(&mut self) {
        self.rate = self.initial;
        self.permits = 0.0;
        self.last = None;
    }

    /// `updateRate(newRate)`: a positive rate, capped by `maxRate`.
    pub fn update(&mut self, new_rate: u64) {
        if new_rate > 0 {
            self.rate = Some(self.max_rate.map_or(new_rate, |m| new_rate.min(m)));
        }
    }

    /// How many of `wanting` records may be admitted at `t` (and takes their permits).
    pub fn admit(&mut self, t: Time, wanting: usize) -> usize {
        let Some(rate) = self.rate else {
            return wanting;
        };
        let since = self.last.map_or(0, |l| t.ms().saturating_sub(l.ms()));
        self.last = Some(t);
        self.permits = (self.permits + rate as f64 * since as f64 / 1000.0).min(rate as f64);
        let n = (self.permits.floor() as usize).min(wanting);
        self.permits -= n as f64;
        n
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The estimator transcribed from Spark: the first batch gives no rate; a batch that
    /// processed 1,000 records in 2 s with 1 s of scheduling delay lowers the rate towards
    /// the processing rate (500/s) and below it for the backlog; never under minRate.
    #[test]
    fn pid_estimator_follows_spark() {
        let conf = SparkConf::default();
        let mut e = PidRateEstimator::new(1000, &conf);
        assert_eq!(e.compute(1000, 1000, 1000, 0), None);
        // latestRate 1000, processingRate 500, error 500, historical 500 * 1000 / 1000.
        let r = e.compute(3000, 1000, 2000, 1000).unwrap();
        assert!((r - (1000.0 - 500.0 - 0.2 * 500.0)).abs() < 1e-9, "{r}");
        assert_eq!(e.compute(3000, 1000, 2000, 0), None, "same time: no update");
        let r = e.compute(5000, 10, 10_000, 100_000).unwrap();
        assert_eq!(r, 100.0, "minRate");
        assert_eq!(e.compute(9000, 0, 100, 0), None, "no records");
    }

    /// The limiter admits `rate` records a second, bursts of at most one second.
    #[test]
    fn limiter_admits_at_its_rate() {
        let conf = SparkConf {
            receiver_max_rate: Some(100),
            ..SparkConf::default()
        };
        let mut l = RateLimiter::new(&conf);
        assert_eq!(l.admit(Time(0), 1000), 0);
        assert_eq!(l.admit(Time(200), 1000), 20);
        assert_eq!(
            l.admit(Time(5200), 1000),
            100,
            "one second of burst at most"
        );
        l.update(1000);
        assert_eq!(l.rate(), Some(100), "capped by maxRate");
        l.update(50);
        assert_eq!(l.rate(), Some(50));
        l.reset();
        assert_eq!(l.rate(), Some(100));
    }
}
