//! A Storm topology (`storm-client/src/jvm/org/apache/storm/topology/TopologyBuilder.java`):
//! one spout and bolts with their parallelism, wired by stream groupings.
//!
//! `setSpout(id, spout, parallelism)` and `setBolt(id, bolt, parallelism)` declare
//! components; `shuffleGrouping`, `fieldsGrouping` and `allGrouping` subscribe a bolt to a
//! component's output (`Grouping.java`): a shuffle sends each tuple to one task chosen at
//! random (evenly), a fields grouping to the task `hash(fields) mod tasks` (the same key
//! always to the same task), an all grouping to every task.

use crate::func::Func;

/// How a bolt subscribes to a component's tuples.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grouping {
    /// `shuffleGrouping`: one task, at random.
    Shuffle,
    /// `fieldsGrouping(new Fields(...))` on the tuple's key (its first field, or the whole
    /// value when it is not a pair): `hash mod tasks`.
    Fields,
    /// `allGrouping`: every task.
    All,
}

/// What a bolt's `execute` does with one input tuple. Every emitted tuple is anchored to
/// the input (`collector.emit(input, values)`), and the input is acked afterwards
/// (`collector.ack(input)`), as a `BaseBasicBolt` does.
#[derive(Clone, Debug)]
pub enum BoltLogic {
    /// Emits each element of `f(value)` (a `split` bolt).
    FlatMap(Func),
    /// Emits `f(value)`.
    Map(Func),
    /// Emits the value when `f(value)` is true.
    Filter(Func),
    /// A stateful counting bolt: in-memory counts per key (the value itself), emitting
    /// `(key, count)` after each update. Its state lives in the worker's memory: a worker
    /// failure loses it, and a replayed tuple updates it a second time.
    Count,
    /// A terminal bolt that only acks (the sink; what reached it is the topology's output).
    Sink,
}

/// A bolt's declaration.
#[derive(Clone, Debug)]
pub struct Bolt {
    /// The component id.
    pub id: String,
    /// What `execute` does.
    pub logic: BoltLogic,
    /// Number of tasks (executors).
    pub parallelism: usize,
    /// The component it reads and how (`input` is the spout's id or an earlier bolt's).
    pub input: (String, Grouping),
}

/// A topology: the spout's id and parallelism, then bolts in declaration order (each reads
/// the spout or an earlier bolt, so the graph is a DAG by construction).
#[derive(Clone, Debug)]
pub struct Topology {
    /// The spout's component id.
    pub spout: String,
    /// Number of spout tasks (each reads every `parallelism`-th record of the source).
    pub spout_parallelism: usize,
    /// The bolts.
    pub bolts: Vec<Bolt>,
}

/// `TopologyBuilder`.
#[derive(Clone, Debug)]
pub struct TopologyBuilder {
    topology: Topology,
}

/// A topology that cannot be built: an unknown input, a duplicate id, a zero parallelism.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopologyError(pub String);

impl std::fmt::Display for TopologyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TopologyError {}

/// Most tasks one component may have (a limit, so a typo cannot ask for millions).
pub const MAX_PARALLELISM: usize = 64;

impl TopologyBuilder {
    /// `new TopologyBuilder()` with `setSpout(id, spout, parallelism)`.
    ///
    /// # Errors
    /// A parallelism of 0 or above [`MAX_PARALLELISM`].
    pub fn new(spout: &str, parallelism: usize) -> Result<TopologyBuilder, TopologyError> {
        check_parallelism(spout, parallelism)?;
        Ok(TopologyBuilder {
            topology: Topology {
                spout: spout.to_string(),
                spout_parallelism: parallelism,
                bolts: Vec::new(),
            },
        })
    }

    /// `setBolt(id, bolt, parallelism).<grouping>(input)`.
    ///
    /// # Errors
    /// A duplicate id, an input that is neither the spout nor an earlier bolt, or a bad
    /// parallelism.
    pub fn set_bolt(
        mut self,
        id: &str,
        logic: BoltLogic,
        parallelism: usize,
        input: &str,
        grouping: Grouping,
    ) -> Result<TopologyBuilder, TopologyError> {
        check_parallelism(id, parallelism)?;
        let t = &self.topology;
        if id == t.spout || t.bolts.iter().any(|b| b.id == id) {
            return Err(TopologyError(format!(
                "a component named `{id}` is already declared"
            )));
        }
        if input != t.spout && !t.bolts.iter().any(|b| b.id == input) {
            let known: Vec<&str> = std::iter::once(t.spout.as_str())
                .chain(t.bolts.iter().map(|b| b.id.as_str()))
                .collect();
            return Err(TopologyError(format!(
                "bolt `{id}` subscribes to `{input}`, which is not declared before it; declared: {}",
                known.join(", ")
            )));
        }
        self.topology.bolts.push(Bolt {
            id: id.to_string(),
            logic,
            parallelism,
            input: (input.to_string(), grouping),
        });
        Ok(self)
    }

    /// `createTopology()`.
    pub fn create_topology(self) -> Topology {
        self.topology
    }
}

fn check_parallelism(id: &str, n: usize) -> Result<(), TopologyError> {
    if n == 0 || n > MAX_PARALLELISM {
        return Err(TopologyError(format!(
            "component `{id}`: parallelism {n} is outside 1..={MAX_PARALLELISM}"
        )));
    }
    Ok(())
}
