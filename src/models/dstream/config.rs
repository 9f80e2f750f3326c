//! A context's settings (the `spark.streaming.*` keys of its `SparkConf`, and the cluster
//! under it) and its lifecycle state (`StreamingContextState.java`).

use crate::cluster::ClusterConfig;
use crate::sim::Duration;
use std::path::PathBuf;

/// Settings of a context. Defaults: block interval 200 ms (`spark.streaming.blockInterval`),
/// default parallelism 2 (`local[2]`), seed 0, output directory `out`.
#[derive(Clone, Debug)]
pub struct Config {
    /// The batch interval (virtual ms).
    pub batch_interval: Duration,
    /// The receivers' block interval (virtual ms).
    pub block_interval: Duration,
    /// Partitions of shuffles when an operator names none.
    pub default_parallelism: usize,
    /// Root seed of all randomness.
    pub seed: u64,
    /// Where `saveAsTextFiles` writes (a real directory).
    pub output_dir: PathBuf,
    /// The cluster: workers, replication, write-ahead log, faults.
    pub cluster: ClusterConfig,
}

impl Config {
    /// A configuration with the given batch interval and the defaults above.
    pub fn new(batch_interval: Duration) -> Config {
        Config {
            batch_interval,
            block_interval: Duration::from_ms(200),
            default_parallelism: 2,
            seed: 0,
            output_dir: PathBuf::from("out"),
            cluster: ClusterConfig::default(),
        }
    }
}

/// `StreamingContextState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Created, not started: streams and outputs can be added.
    Initialized,
    /// Started: the clock runs.
    Active,
    /// Stopped: cannot be restarted.
    Stopped,
}
