//! `PIDRateEstimator` (`scheduler/rate/PIDRateEstimator.scala`): the rate a
//! `RateController` publishes after each completed batch (backpressure).

use crate::cluster::conf::SparkConf;

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
}
