//! The network between the machines: seeded latency, message loss, and partitions.
//!
//! Nodes are named `driver`, `worker-N` and `source` (the system that sends data to the
//! receivers, e.g. Kafka or a socket server). Two kinds of message cross it in the model:
//! a receiver's block report to the driver's tracker (lost: the receiver's
//! `pushAndReportBlock` fails, it reports the error and restarts) and a reliable receiver's
//! acknowledgement to its source (lost: the source sends the data again after the next
//! receiver restart). While a worker cannot reach the driver, the driver cannot read the
//! blocks in its executor either.

use crate::sim::Duration;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;

/// What happened to one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Delivered after this latency.
    After(Duration),
    /// Dropped by a partition.
    Partitioned,
    /// Dropped at random (the loss rate).
    Lost,
}

/// The network's state. Default: no latency, no loss, no partition.
#[derive(Clone, Debug)]
pub struct Network {
    /// Latency range of one message, virtual ms (drawn uniformly).
    pub latency_ms: (u64, u64),
    /// Probability that a message is lost.
    pub loss: f64,
    /// Blocked directions `(from, to)`.
    blocked: BTreeSet<(String, String)>,
    rng: ChaCha8Rng,
}

impl Network {
    /// A network drawing from `rng` (the seed tree's `network` stream).
    pub fn new(rng: ChaCha8Rng) -> Network {
        Network {
            latency_ms: (0, 0),
            loss: 0.0,
            blocked: BTreeSet::new(),
            rng,
        }
    }

    /// Sends one message from `from` to `to`.
    pub fn send(&mut self, from: &str, to: &str) -> Delivery {
        if self.blocked.contains(&(from.to_string(), to.to_string())) {
            return Delivery::Partitioned;
        }
        // Draw only when the knobs are set, so a quiet network consumes no randomness.
        if self.loss > 0.0 && self.rng.random_bool(self.loss.clamp(0.0, 1.0)) {
            return Delivery::Lost;
        }
        let (lo, hi) = self.latency_ms;
        let ms = if hi > lo {
            self.rng.random_range(lo..=hi)
        } else {
            lo
        };
        Delivery::After(Duration::from_ms(ms))
    }

    /// True when `from` cannot reach `to`.
    pub fn is_blocked(&self, from: &str, to: &str) -> bool {
        self.blocked.contains(&(from.to_string(), to.to_string()))
    }

    /// Blocks every direction from a node of `a` to a node of `b` (and back unless
    /// `one_way`).
    pub fn partition(&mut self, a: &[String], b: &[String], one_way: bool) {
        for x in a {
            for y in b {
                self.blocked.insert((x.clone(), y.clone()));
                if !one_way {
                    self.blocked.insert((y.clone(), x.clone()));
                }
            }
        }
    }

    /// Removes every partition.
    pub fn heal(&mut self) {
        self.blocked.clear();
    }

    /// The blocked directions, for display.
    pub fn blocked(&self) -> Vec<(String, String)> {
        self.blocked.iter().cloned().collect()
    }
}
