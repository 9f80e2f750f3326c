//! `RateLimiter` (`receiver/RateLimiter.scala`, over Guava's `SmoothBursty`): how many
//! records a receiver's block generator admits (`spark.streaming.receiver.maxRate`, and the
//! rates backpressure publishes).

use crate::cluster::conf::SparkConf;
use crate::sim::Time;

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

#[cfg(test)]
mod tests {
    use super::*;

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
