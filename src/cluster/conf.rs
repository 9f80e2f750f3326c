//! `SparkConf` keys of the mechanisms a scenario can turn on, under Spark's own names
//! (the `[conf]` table of a scenario, e.g. `"spark.streaming.receiver.maxRate" = 500`).
//!
//! | key | default | what (Spark file) |
//! |---|---|---|
//! | `spark.streaming.receiver.maxRate` | unlimited | records/s each receiver admits (`receiver/RateLimiter.scala`) |
//! | `spark.streaming.backpressure.enabled` | false | a `RateController` per input stream (`scheduler/rate/`) |
//! | `spark.streaming.backpressure.initialRate` | none | the rate before the first estimate |
//! | `spark.streaming.backpressure.pid.proportional` | 1.0 | `PIDRateEstimator` gains |
//! | `spark.streaming.backpressure.pid.integral` | 0.2 | |
//! | `spark.streaming.backpressure.pid.derived` | 0.0 | |
//! | `spark.streaming.backpressure.pid.minRate` | 100 | |
//! | `spark.streaming.kafka.maxRatePerPartition` | unlimited | records/s per Kafka partition (`DirectKafkaInputDStream.maxMessagesPerPartition`) |
//! | `spark.streaming.kafka.minRatePerPartition` | 1 | |
//! | `spark.streaming.gracefulStopTimeout` | 10 batch intervals | `JobGenerator.stop(processReceivedData = true)` |
//! | `spark.task.maxFailures` | 4 | attempts of a task before its job aborts (`TaskSetManager`; cluster mode: local mode would be 1) |
//! | `spark.speculation` | false | speculative copies of slow tasks (`TaskSetManager.checkSpeculatableTasks`) |
//! | `spark.speculation.multiplier` | 1.5 | a task is slow past this many times the median |
//! | `spark.speculation.quantile` | 0.75 | fraction of tasks done before speculation starts |

use crate::sim::Duration;

/// The `SparkConf` settings of the modelled mechanisms (defaults: Spark's, see the module
/// table). Rates are records per second.
#[derive(Clone, Debug, PartialEq)]
pub struct SparkConf {
    /// `spark.streaming.receiver.maxRate`: records/s per receiver; `None` = unlimited.
    pub receiver_max_rate: Option<u64>,
    /// `spark.streaming.backpressure.enabled`.
    pub backpressure: bool,
    /// `spark.streaming.backpressure.initialRate`: records/s before the first estimate.
    pub initial_rate: Option<u64>,
    /// `spark.streaming.backpressure.pid.proportional`.
    pub pid_proportional: f64,
    /// `spark.streaming.backpressure.pid.integral`.
    pub pid_integral: f64,
    /// `spark.streaming.backpressure.pid.derived`.
    pub pid_derived: f64,
    /// `spark.streaming.backpressure.pid.minRate`.
    pub pid_min_rate: f64,
    /// `spark.streaming.kafka.maxRatePerPartition`: records/s per partition; `None` =
    /// unlimited.
    pub kafka_max_rate_per_partition: Option<u64>,
    /// `spark.streaming.kafka.minRatePerPartition`.
    pub kafka_min_rate_per_partition: u64,
    /// `spark.streaming.gracefulStopTimeout`; `None` = 10 batch intervals.
    pub graceful_stop_timeout: Option<Duration>,
    /// `spark.task.maxFailures`: 4 (cluster mode; `local[N]` would be 1).
    pub task_max_failures: u32,
    /// `spark.speculation`.
    pub speculation: bool,
    /// `spark.speculation.multiplier`.
    pub speculation_multiplier: f64,
    /// `spark.speculation.quantile`.
    pub speculation_quantile: f64,
}

impl Default for SparkConf {
    fn default() -> Self {
        SparkConf {
            receiver_max_rate: None,
            backpressure: false,
            initial_rate: None,
            pid_proportional: 1.0,
            pid_integral: 0.2,
            pid_derived: 0.0,
            pid_min_rate: 100.0,
            kafka_max_rate_per_partition: None,
            kafka_min_rate_per_partition: 1,
            graceful_stop_timeout: None,
            task_max_failures: 4,
            speculation: false,
            speculation_multiplier: 1.5,
            speculation_quantile: 0.75,
        }
    }
}

/// The keys [`SparkConf::set`] knows, in the order of the module table.
pub const KEYS: [&str; 14] = [
    "spark.streaming.receiver.maxRate",
    "spark.streaming.backpressure.enabled",
    "spark.streaming.backpressure.initialRate",
    "spark.streaming.backpressure.pid.proportional",
    "spark.streaming.backpressure.pid.integral",
    "spark.streaming.backpressure.pid.derived",
    "spark.streaming.backpressure.pid.minRate",
    "spark.streaming.kafka.maxRatePerPartition",
    "spark.streaming.kafka.minRatePerPartition",
    "spark.streaming.gracefulStopTimeout",
    "spark.task.maxFailures",
    "spark.speculation",
    "spark.speculation.multiplier",
    "spark.speculation.quantile",
];

/// A setting's value as a scenario gives it: a number, a boolean or a string.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfValue {
    /// A TOML integer or float.
    Number(f64),
    /// A TOML boolean.
    Bool(bool),
    /// A TOML string (`"true"`, `"500"`, `"30s"` are read as Spark reads them).
    Text(String),
}

impl SparkConf {
    /// Sets `key` to `value`.
    ///
    /// # Errors
    /// An unknown key (with the known ones) or a value of the wrong kind or range, in words.
    pub fn set(&mut self, key: &str, value: &ConfValue) -> Result<(), String> {
        let number = |min: f64, max: f64| -> Result<f64, String> {
            let x = match value {
                ConfValue::Number(x) => *x,
                ConfValue::Text(s) => s
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| format!("`{key}` needs a number, found \"{s}\""))?,
                ConfValue::Bool(b) => return Err(format!("`{key}` needs a number, found {b}")),
            };
            if !(x.is_finite() && (min..=max).contains(&x)) {
                return Err(format!(
                    "`{key}` must be between {min} and {max}, found {x}"
                ));
            }
            Ok(x)
        };
        let boolean = || -> Result<bool, String> {
            match value {
                ConfValue::Bool(b) => Ok(*b),
                ConfValue::Text(s) if s == "true" => Ok(true),
                ConfValue::Text(s) if s == "false" => Ok(false),
                other => Err(format!("`{key}` needs true or false, found {other:?}")),
            }
        };
        // A rate of 0 or less means "no limit" in Spark (RateLimiter, maxRatePerPartition).
        let rate = |x: f64| (x >= 1.0).then_some(x as u64);
        const MAX_RATE: f64 = 1e9;
        match key {
            "spark.streaming.receiver.maxRate" => {
                self.receiver_max_rate = rate(number(-1.0, MAX_RATE)?)
            }
            "spark.streaming.backpressure.enabled" => self.backpressure = boolean()?,
            "spark.streaming.backpressure.initialRate" => {
                self.initial_rate = rate(number(0.0, MAX_RATE)?)
            }
            "spark.streaming.backpressure.pid.proportional" => {
                self.pid_proportional = number(0.0, 1e6)?
            }
            "spark.streaming.backpressure.pid.integral" => self.pid_integral = number(0.0, 1e6)?,
            "spark.streaming.backpressure.pid.derived" => self.pid_derived = number(0.0, 1e6)?,
            "spark.streaming.backpressure.pid.minRate" => {
                self.pid_min_rate = number(1.0, MAX_RATE)?
            }
            "spark.streaming.kafka.maxRatePerPartition" => {
                self.kafka_max_rate_per_partition = rate(number(-1.0, MAX_RATE)?)
            }
            "spark.streaming.kafka.minRatePerPartition" => {
                self.kafka_min_rate_per_partition = number(1.0, MAX_RATE)? as u64
            }
            "spark.streaming.gracefulStopTimeout" => {
                let d = match value {
                    ConfValue::Text(s) => {
                        Duration::parse(s).map_err(|m| format!("`{key}`: {m}"))?
                    }
                    ConfValue::Number(x) if *x >= 0.0 && *x <= 1e9 => Duration::from_ms(*x as u64),
                    other => {
                        return Err(format!(
                            "`{key}` needs a duration such as \"30s\", found {other:?}"
                        ))
                    }
                };
                self.graceful_stop_timeout = Some(d);
            }
            "spark.task.maxFailures" => self.task_max_failures = number(1.0, 100.0)? as u32,
            "spark.speculation" => self.speculation = boolean()?,
            "spark.speculation.multiplier" => self.speculation_multiplier = number(1.0, 1000.0)?,
            "spark.speculation.quantile" => self.speculation_quantile = number(0.0, 1.0)?,
            other => {
                return Err(format!(
                    "unknown setting `{other}`; the settings modelled are: {}",
                    KEYS.join(", ")
                ))
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spark's defaults, and a bad key or value named in the error.
    #[test]
    fn defaults_and_errors() {
        let mut c = SparkConf::default();
        assert_eq!(c.task_max_failures, 4);
        assert_eq!(
            (
                c.pid_proportional,
                c.pid_integral,
                c.pid_derived,
                c.pid_min_rate
            ),
            (1.0, 0.2, 0.0, 100.0)
        );
        c.set(
            "spark.streaming.receiver.maxRate",
            &ConfValue::Number(500.0),
        )
        .unwrap();
        assert_eq!(c.receiver_max_rate, Some(500));
        c.set("spark.streaming.receiver.maxRate", &ConfValue::Number(0.0))
            .unwrap();
        assert_eq!(c.receiver_max_rate, None);
        c.set(
            "spark.streaming.backpressure.enabled",
            &ConfValue::Text("true".into()),
        )
        .unwrap();
        assert!(c.backpressure);
        let e = c
            .set("spark.streaming.recever.maxRate", &ConfValue::Number(1.0))
            .unwrap_err();
        assert!(e.contains("spark.streaming.receiver.maxRate"), "{e}");
        let e = c
            .set("spark.speculation.quantile", &ConfValue::Number(2.0))
            .unwrap_err();
        assert!(e.contains("between 0 and 1"), "{e}");
    }
}
