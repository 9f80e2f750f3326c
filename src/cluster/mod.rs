//! The cluster under the engine: a driver and workers whose executors hold received blocks,
//! reliable storage (the simulated HDFS/S3 holding the write-ahead log), and the faults that
//! break them.
//!
//! What a failure destroys (DESIGN.md, "Failure model"):
//!
//! | failure | lost | survives |
//! |---|---|---|
//! | worker crash | its executor's blocks, its receiver and the receiver's buffer | replicas on other workers, the write-ahead log, a reliable source's unacknowledged data |
//! | driver crash | every executor (they die with the driver): all blocks, receivers and buffers; the block tracker unless logged; RDDs not checkpointed | reliable storage: checkpoints and the write-ahead log |
//!
//! Blocks are stored at `MEMORY_AND_DISK_SER_2` by default: on the receiver's worker and one
//! other live worker (`replication = 1` turns replication off). With the write-ahead log on
//! (`spark.streaming.receiver.writeAheadLog.enable`, needs a checkpoint directory), a block is
//! also written to reliable storage before it is acknowledged.

pub mod block_manager;
pub mod conf;
pub mod faults;
pub mod network;

pub use block_manager::Block;
pub use faults::{Fault, FaultPlan};

use crate::sim::Duration;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the output sink promises when a batch is written twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SinkKind {
    /// Every execution of a batch writes its output again (Spark's default: at-least-once).
    AtLeastOnce,
    /// Output keyed by (batch time, partition): a re-run overwrites (exactly-once output).
    Idempotent,
    /// Output and the batch time committed in one transaction: a re-run of a committed
    /// batch finds it in the commit log and writes nothing (exactly-once output).
    Transactional,
}

/// The cost model: how much virtual time the jobs of a batch take.
///
/// Each task (one per partition of every RDD a batch computes) pays the launch overhead
/// (the guide: ~50 tasks/s make sub-second batches hard), each record an operator touches
/// pays `record_us`, and each byte a shuffle moves pays `byte_us` (serialization, transfer);
/// tasks share the cores the receivers leave free.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostModel {
    /// Task launch overhead, in virtual microseconds (default 2,000).
    pub task_launch_us: u64,
    /// Cost per record per operator, in virtual microseconds (default 5).
    pub record_us: f64,
    /// Cost per byte a shuffle moves (serialization, network, deserialization), in virtual
    /// microseconds (default 0.01, i.e. 100 MB/s).
    pub byte_us: f64,
}

impl Default for CostModel {
    fn default() -> Self {
        CostModel {
            task_launch_us: 2_000,
            record_us: 5.0,
            byte_us: 0.01,
        }
    }
}

/// Cluster settings. Defaults: 2 workers of 2 cores (`local[4]`-like), replication 2, no
/// write-ahead log, receiver restart after 2 s (`spark.streaming.receiverRestartDelay`),
/// driver restart after 5 s, acknowledgements taking 5-50 ms, an at-least-once sink.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// Number of workers (`worker-1` ... `worker-N`).
    pub workers: usize,
    /// Cores per worker; each receiver holds one.
    pub cores_per_worker: usize,
    /// Copies of each received block in executor memory (1 = no replication).
    pub replication: usize,
    /// Whether received blocks are written to the write-ahead log.
    pub wal: bool,
    /// Delay before a dead receiver restarts on another worker.
    pub receiver_restart_delay: Duration,
    /// Delay before the deployment restarts a dead driver.
    pub driver_restart_delay: Duration,
    /// Range of acknowledgement latencies (virtual ms), drawn from the `cluster/acks` RNG.
    pub ack_latency_ms: (u64, u64),
    /// The output sink.
    pub sink: SinkKind,
    /// Faults to inject.
    pub faults: FaultPlan,
    /// How long jobs take.
    pub cost: CostModel,
    /// Random faults at rates, drawn from the run's seed when the scenario is built.
    pub random_faults: Option<faults::FaultRates>,
    /// The delivery guarantee the scenario promises (`expect = "..."` under `[cluster]`):
    /// `sweep` reports only the runs that break it.
    pub expect: Option<Guarantee>,
    /// Fault-tolerance mechanisms turned off, for tests only (never from a scenario file):
    /// they show that the checker, the semantics table and the sweep find what each
    /// mechanism protects. Empty by default.
    pub disabled: std::collections::BTreeSet<Mechanism>,
    /// The `SparkConf` keys of the modelled mechanisms (`[conf]` in a scenario).
    pub conf: conf::SparkConf,
}

/// A delivery guarantee a scenario declares (the guide's "Semantics of output operations"
/// terms), judged per run against the fault-free reference run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Guarantee {
    /// Every record written out exactly once: no loss, no duplicates.
    ExactlyOnce,
    /// No loss; duplicates allowed.
    AtLeastOnce,
    /// No duplicates; loss allowed.
    AtMostOnce,
}

impl Guarantee {
    /// Its name in scenario files and reports.
    pub fn name(self) -> &'static str {
        match self {
            Guarantee::ExactlyOnce => "exactly-once",
            Guarantee::AtLeastOnce => "at-least-once",
            Guarantee::AtMostOnce => "at-most-once",
        }
    }

    /// Parses `exactly-once`, `at-least-once` or `at-most-once`.
    ///
    /// # Errors
    /// Any other name, with the valid ones.
    pub fn parse(s: &str) -> Result<Guarantee, String> {
        match s {
            "exactly-once" => Ok(Guarantee::ExactlyOnce),
            "at-least-once" => Ok(Guarantee::AtLeastOnce),
            "at-most-once" => Ok(Guarantee::AtMostOnce),
            other => Err(format!(
                "expect must be \"exactly-once\", \"at-least-once\" or \"at-most-once\", found \"{other}\""
            )),
        }
    }

    /// Whether a run that lost records (`lost`) and duplicated some (`duplicated`) keeps it.
    pub fn kept(self, lost: bool, duplicated: bool) -> bool {
        match self {
            Guarantee::ExactlyOnce => !lost && !duplicated,
            Guarantee::AtLeastOnce => !lost,
            Guarantee::AtMostOnce => !duplicated,
        }
    }
}

/// A fault-tolerance mechanism a test can turn off ([`ClusterConfig::disabled`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mechanism {
    /// Received blocks are written to the write-ahead log (with `wal` on): off, the log
    /// stays empty.
    WalWrite,
    /// Received blocks are replicated to a second executor: off, one copy.
    Replication,
    /// A reliable receiver's source keeps unacknowledged data for replay: off, the source
    /// forgets records as soon as they are received (as if acknowledged at once).
    Acknowledgement,
    /// A restarted driver re-runs `pendingTimes ++ (checkpointTime until restartTime)`
    /// (`JobGenerator.restart`): off, it re-runs nothing.
    RerunAfterRestart,
    /// A reliable receiver acknowledges only after the tracker answered the block report
    /// (`ReceiverSupervisorImpl.pushAndReportBlock`): off, the acknowledgement leaves on its
    /// own timer whatever became of the report (issue 10's bug 1, reintroduced).
    AckAfterReport,
    /// A restarted driver re-runs the checkpoint's pending times too, not only the times
    /// from the checkpoint time on (`JobGenerator.restart`: `pendingTimes ++ ...`): off, a
    /// batch generated but still queued behind a slow one when the driver died is never
    /// run (issue 10's bug 2, reintroduced).
    RerunPending,
}

impl Mechanism {
    /// The mechanisms the semantics table is tested against, in order.
    pub const TABLE: [Mechanism; 4] = [
        Mechanism::WalWrite,
        Mechanism::Replication,
        Mechanism::Acknowledgement,
        Mechanism::RerunAfterRestart,
    ];
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            workers: 2,
            cores_per_worker: 2,
            replication: 2,
            wal: false,
            receiver_restart_delay: Duration::from_ms(2000),
            driver_restart_delay: Duration::from_secs(5),
            ack_latency_ms: (5, 50),
            sink: SinkKind::AtLeastOnce,
            faults: FaultPlan::default(),
            cost: CostModel::default(),
            random_faults: None,
            expect: None,
            disabled: std::collections::BTreeSet::new(),
            conf: conf::SparkConf::default(),
        }
    }
}

/// The workers holding a block, in placement order (the receiver's worker first): as many as
/// the replication asks for, held in place for the usual two.
pub type Holders = smallvec::SmallVec<[usize; 2]>;

/// One worker machine and its executor's block manager.
#[derive(Clone, Debug)]
pub struct Worker {
    /// `worker-N`.
    pub name: String,
    /// Whether the machine is up.
    pub alive: bool,
    /// Cores.
    pub cores: usize,
    /// Blocks held in its executor's memory, by id (the key shares the block's id).
    pub blocks: BTreeMap<Arc<str>, Arc<Block>>,
    /// How many times longer its tasks take than a healthy worker's (1.0; a straggler
    /// after `slow worker-N 4x`).
    pub slowdown: f64,
}

/// The cluster's state.
#[derive(Clone, Debug)]
pub struct Cluster {
    /// Its settings.
    pub config: ClusterConfig,
    /// The workers, `worker-1` first.
    pub workers: Vec<Worker>,
    /// Whether the driver (and so every executor) is up.
    pub driver_alive: bool,
    /// Blocks in the write-ahead log (reliable storage: survives every failure), by id.
    pub wal: BTreeMap<Arc<str>, Arc<Block>>,
    /// The network between driver, workers and sources.
    pub network: network::Network,
    /// Reliable storage refuses writes (`fail storage`: full) until healed.
    pub storage_full: bool,
    /// Virtual ms each checkpoint write takes (`slow storage 3s`; 0 = instant).
    pub storage_write_ms: u64,
}

impl Cluster {
    /// A cluster with all machines up.
    pub fn new(config: ClusterConfig, network_rng: rand_chacha::ChaCha8Rng) -> Cluster {
        let workers = (1..=config.workers.max(1))
            .map(|i| Worker {
                name: format!("worker-{i}"),
                alive: true,
                cores: config.cores_per_worker.max(1),
                blocks: BTreeMap::new(),
                slowdown: 1.0,
            })
            .collect();
        Cluster {
            config,
            workers,
            driver_alive: true,
            wal: BTreeMap::new(),
            network: network::Network::new(network_rng),
            storage_full: false,
            storage_write_ms: 0,
        }
    }

    /// Index of the worker named `name` (`worker-2` is index 1).
    pub fn worker_index(&self, name: &str) -> Option<usize> {
        self.workers.iter().position(|w| w.name == name)
    }

    /// The live worker to place something on, starting the search at `preferred`.
    pub fn live_worker_from(&self, preferred: usize, avoid: Option<usize>) -> Option<usize> {
        let n = self.workers.len();
        (0..n)
            .map(|k| (preferred + k) % n)
            .find(|&i| self.workers[i].alive && Some(i) != avoid)
    }

    /// Cores of live workers (all zero while the driver is down: no executors).
    pub fn live_cores(&self) -> usize {
        if !self.driver_alive {
            return 0;
        }
        self.workers
            .iter()
            .filter(|w| w.alive)
            .map(|w| w.cores)
            .sum()
    }

    /// Stores a block on `worker` and replicates it to other live workers; writes it to the
    /// log if the WAL is on. Returns the workers holding it (in placement order) and whether
    /// the log holds it now.
    pub fn store(&mut self, worker: usize, block: Arc<Block>) -> (Holders, bool) {
        let mut holders = Holders::new();
        holders.push(worker);
        self.workers[worker]
            .blocks
            .insert(block.id.clone(), Arc::clone(&block));
        let mut next = worker + 1;
        let copies = if self.config.disabled.contains(&Mechanism::Replication) {
            1
        } else {
            self.config.replication.max(1)
        };
        while holders.len() < copies {
            match self.live_worker_from(next % self.workers.len(), None) {
                Some(w) if !holders.contains(&w) => {
                    self.workers[w]
                        .blocks
                        .insert(block.id.clone(), Arc::clone(&block));
                    holders.push(w);
                    next = w + 1;
                }
                _ => break,
            }
        }
        let logged = self.config.wal && !self.config.disabled.contains(&Mechanism::WalWrite);
        if logged {
            self.wal.insert(block.id.clone(), block);
        }
        (holders, logged)
    }

    /// Where a block can be read from now: a live executor holding it, or the log.
    pub fn read(&self, id: &str) -> Option<(Arc<Block>, String)> {
        if self.driver_alive {
            for w in &self.workers {
                if w.alive && !self.network.is_blocked(&w.name, "driver") {
                    if let Some(b) = w.blocks.get(id) {
                        return Some((Arc::clone(b), w.name.clone()));
                    }
                }
            }
        }
        self.wal
            .get(id)
            .map(|b| (Arc::clone(b), "write-ahead log".to_string()))
    }

    /// A worker's machine fails: its executor's memory is gone.
    pub fn kill_worker(&mut self, i: usize) {
        self.workers[i].alive = false;
        self.workers[i].blocks.clear();
    }

    /// A worker comes back, empty.
    pub fn restart_worker(&mut self, i: usize) {
        self.workers[i].alive = true;
    }

    /// The driver fails: every executor dies with it.
    pub fn kill_driver(&mut self) {
        self.driver_alive = false;
        for w in &mut self.workers {
            w.blocks.clear();
        }
    }

    /// Drops blocks allocated to batches that are done with (`cleanupOldBlocks`, and the
    /// log's `cleanupOldLogs`).
    pub fn forget_blocks(&mut self, ids: &[String]) {
        for id in ids {
            for w in &mut self.workers {
                w.blocks.remove(id.as_str());
            }
            self.wal.remove(id.as_str());
        }
    }
}
