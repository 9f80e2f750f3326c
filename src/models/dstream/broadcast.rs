//! Broadcast variables and the driver's restart (`core/.../broadcast/TorrentBroadcast.scala`,
//! `BroadcastManager.scala`; the guide's "Accumulators, Broadcast Variables, and
//! Checkpoints").
//!
//! `sc.broadcast(v)` hands out the id `broadcast_N` from the driver's `BroadcastManager`
//! (`nextBroadcastId`, from 0 in every new `SparkContext`) and stores the value in the
//! driver's block manager. A function that captures the broadcast serializes only its id: when
//! the driver dies and a new one recovers the DStream graph from the checkpoint, the restored
//! function still names `broadcast_N`, but the new `SparkContext` numbers its own broadcasts
//! from 0 again, and task binaries are broadcasts too (`DAGScheduler.submitMissingTasks`
//! broadcasts each stage's serialized task). So the first recovered job reads whatever the new
//! driver stored under that id (`TorrentBroadcast.readBroadcastBlock` looks in the block
//! manager first):
//!
//! - an id the new driver has used (the stage's own task binary, `broadcast_0`, exists when the
//!   first task runs): the bytes of a task binary, and the function's cast of the value fails
//!   with `java.lang.ClassCastException: class [B cannot be cast to class ...`;
//! - an id it has not reached: no block anywhere, and `TorrentBroadcast.readBlocks` throws
//!   `SparkException: [INTERNAL_ERROR_BROADCAST] Failed to get broadcast_N_piece0 of
//!   broadcast_N` (wrapped in an `IOException` by `Utils.tryOrIOException`).
//!
//! Both were observed on Spark 3.5.3 (`tests/fixtures/broadcast/spark-3.5.3.txt`, written by
//! `scripts/oracle-broadcast.sh`): the first with a `Seq` used through `contains`, whose cast is
//! to `scala.collection.SeqLike`. The cast target of other value types follows the JVM's
//! wording for the class Scala casts to (not observed).
//!
//! The guide's fix, a lazily instantiated singleton (`WordExcludeList.getInstance(sc)` inside
//! `foreachRDD` or `transform`), lives in a JVM `object`, which no checkpoint holds: the new
//! driver starts with `instance == null` and its first batch creates the broadcast afresh.
//!
//! Where the simulator differs: it does not number task binaries batch by batch; the first
//! recovered job is taken to have made exactly one broadcast (its own task binary, id 0) plus
//! the singletons' broadcasts the new driver has made.

use crate::func::EvalError;
use crate::value::{SeqKind, Value};
use std::sync::{Arc, Mutex, MutexGuard};

/// The driver's broadcasts (`BroadcastManager`): which driver incarnation is alive, how many
/// ids it has handed out, and which driver made each broadcast. Shared (cheap to clone)
/// between the driver and the compiled functions that read broadcasts; the simulation is
/// single-threaded, the lock only makes the handle `Send + Sync` as [`crate::func::Func`]
/// requires.
#[derive(Clone, Debug, Default)]
pub struct Broadcasts(Arc<Mutex<Registry>>);

/// The registry's state at one instant (for snapshots: [`Broadcasts::state`]).
#[derive(Clone, Debug, Default)]
pub struct Registry {
    /// 0 for the first driver, +1 at each restart.
    incarnation: u32,
    /// Ids the live driver has handed out (`BroadcastManager.nextBroadcastId`).
    next_id: u64,
    /// Broadcasts made by the program's code at build time (`sc.broadcast` before
    /// `ssc.start()`), by index; made again by a restart that rebuilds the program.
    captured: Vec<Stamp>,
    /// Each singleton's `instance` (`None` until a driver asks), by index.
    singletons: Vec<Option<Stamp>>,
}

/// Which driver created a broadcast, under which id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    incarnation: u32,
    id: u64,
}

/// A broadcast made once on the driver by the program (`excluded = sc.broadcast(Seq("a"))`)
/// and captured by the functions that read `excluded.value`.
#[derive(Clone, Debug)]
pub struct Broadcast {
    registry: Broadcasts,
    index: usize,
    value: Value,
}

/// The guide's lazily instantiated singleton (`object WordExcludeList { ... def
/// getInstance(sc) }`): the broadcast of `value`, made by whichever driver first asks.
#[derive(Clone, Debug)]
pub struct Singleton {
    registry: Broadcasts,
    index: usize,
    value: Value,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A poisoned lock only means a panic elsewhere; the data is still consistent.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Registry {
    fn new_stamp(&mut self) -> Stamp {
        let s = Stamp {
            incarnation: self.incarnation,
            id: self.next_id,
        };
        self.next_id += 1;
        s
    }
}

impl Broadcasts {
    /// `sc.broadcast(value)`: a broadcast of the live driver, `broadcast_N` with the next id.
    pub fn broadcast(&self, value: Value) -> Broadcast {
        let mut reg = lock(&self.0);
        let stamp = reg.new_stamp();
        reg.captured.push(stamp);
        Broadcast {
            registry: self.clone(),
            index: reg.captured.len() - 1,
            value,
        }
    }

    /// A singleton whose `getInstance(sc)` broadcasts `value` (nothing is broadcast yet).
    pub fn singleton(&self, value: Value) -> Singleton {
        let mut reg = lock(&self.0);
        reg.singletons.push(None);
        Singleton {
            registry: self.clone(),
            index: reg.singletons.len() - 1,
            value,
        }
    }

    /// The driver restarted. `recovered`: the graph (with the functions and the broadcast ids
    /// they captured) comes from the checkpoint, so the program's `sc.broadcast` does not run
    /// again; otherwise the program is built anew (`StreamingContext.getOrCreate`'s creating
    /// function) and makes its broadcasts again in the new driver. Singletons start empty
    /// either way (a new JVM).
    pub fn driver_restarted(&self, recovered: bool) {
        let mut reg = lock(&self.0);
        reg.incarnation += 1;
        reg.next_id = 0;
        if !recovered {
            for i in 0..reg.captured.len() {
                reg.captured[i] = reg.new_stamp();
            }
        }
        // The first recovered job's task binary is the new driver's next broadcast.
        reg.next_id += 1;
        for s in &mut reg.singletons {
            *s = None;
        }
    }

    /// The broadcast ids the live driver has handed out.
    pub fn ids_used(&self) -> u64 {
        lock(&self.0).next_id
    }

    /// The registry's state now (what a snapshot keeps).
    pub fn state(&self) -> Registry {
        lock(&self.0).clone()
    }

    /// Puts back a state taken by [`Broadcasts::state`].
    pub fn set_state(&self, state: Registry) {
        *lock(&self.0) = state;
    }
}

impl Broadcast {
    /// `broadcast.id` (the id of the driver that made it, alive or not).
    pub fn id(&self) -> u64 {
        lock(&self.registry.0).captured[self.index].id
    }

    /// `broadcast.value` on an executor.
    ///
    /// # Errors
    /// When the broadcast belongs to a driver that died (a function restored from the
    /// checkpoint), Spark 3.5.3's error for reading that id in the new driver (module doc).
    pub fn value(&self) -> Result<Value, EvalError> {
        let reg = lock(&self.registry.0);
        let stamp = reg.captured[self.index];
        if stamp.incarnation == reg.incarnation {
            return Ok(self.value.clone());
        }
        Err(EvalError::new(stale_message(
            stamp.id,
            reg.next_id,
            &self.value,
        )))
    }
}

impl Singleton {
    /// `getInstance(sc).value`: creates the broadcast if this driver has none yet.
    pub fn value(&self) -> Value {
        let mut reg = lock(&self.registry.0);
        if reg.singletons[self.index].is_none() {
            let stamp = reg.new_stamp();
            reg.singletons[self.index] = Some(stamp);
        }
        self.value.clone()
    }

    /// The id of the live driver's instance (`None` before its first `getInstance`).
    pub fn id(&self) -> Option<u64> {
        lock(&self.registry.0).singletons[self.index].map(|s| s.id)
    }
}

/// What reading the dead driver's `broadcast_N` does in a new driver that has handed out
/// `used` ids (module doc), with the JVM's wording.
pub fn stale_message(id: u64, used: u64, value: &Value) -> String {
    if id >= used {
        return format!(
            "java.io.IOException: org.apache.spark.SparkException: [INTERNAL_ERROR_BROADCAST] Failed to get broadcast_{id}_piece0 of broadcast_{id}"
        );
    }
    let target = match value {
        Value::Seq(SeqKind::Set, _) => "scala.collection.SetLike",
        Value::Seq(SeqKind::Map, _) => "scala.collection.MapLike",
        Value::Seq(..) => "scala.collection.SeqLike",
        Value::Str(_) => "java.lang.String",
        Value::Int(_) => "java.lang.Integer",
        Value::Float(_) => "java.lang.Double",
        Value::Bool(_) => "java.lang.Boolean",
        Value::Tuple(_) => "scala.Tuple2",
        Value::Opt(_) => "scala.Option",
        Value::Null => "java.lang.Object",
    };
    if target.starts_with("java.") {
        format!("java.lang.ClassCastException: class [B cannot be cast to class {target} ([B and {target} are in module java.base of loader 'bootstrap')")
    } else {
        format!("java.lang.ClassCastException: class [B cannot be cast to class {target} ([B is in module java.base of loader 'bootstrap'; {target} is in unnamed module of loader 'app')")
    }
}

impl super::StreamingContext {
    /// The driver's broadcasts (`ssc.sparkContext.broadcast(v)` is
    /// `ssc.broadcasts().broadcast(v)`); a handle shared with the context, so broadcasts made
    /// through it die with the context's driver.
    pub fn broadcasts(&self) -> Broadcasts {
        self.core.borrow().broadcasts.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Value {
        Value::Seq(
            SeqKind::List,
            Arc::from(vec![Value::str("a"), Value::str("the")]),
        )
    }

    /// A captured broadcast reads its value in its own driver and Spark's error after a
    /// recovery; a rebuilt program (no checkpoint) makes it again.
    #[test]
    fn captured_broadcast_dies_with_its_driver() {
        let b = Broadcasts::default();
        let x = b.broadcast(words());
        assert_eq!(x.id(), 0);
        assert_eq!(x.value(), Ok(words()));
        b.driver_restarted(true);
        let e = x.value().unwrap_err().message;
        assert!(
            e.contains("class [B cannot be cast to class scala.collection.SeqLike"),
            "{e}"
        );
        b.driver_restarted(false);
        assert_eq!(x.value(), Ok(words()));
    }

    /// An id the new driver has not reached is missing altogether (`readBlocks`).
    #[test]
    fn an_id_beyond_the_new_drivers_is_missing() {
        let b = Broadcasts::default();
        for i in 0..5 {
            b.broadcast(Value::Int(i));
        }
        let x = b.broadcast(words());
        b.driver_restarted(true);
        assert_eq!(
            x.value().unwrap_err().message,
            "java.io.IOException: org.apache.spark.SparkException: [INTERNAL_ERROR_BROADCAST] Failed to get broadcast_5_piece0 of broadcast_5"
        );
    }

    /// The singleton makes its broadcast on first use in each driver.
    #[test]
    fn singleton_is_made_again_by_the_new_driver() {
        let b = Broadcasts::default();
        let s = b.singleton(words());
        assert_eq!(s.id(), None);
        assert_eq!(s.value(), words());
        assert_eq!(s.id(), Some(0));
        b.driver_restarted(true);
        assert_eq!(s.id(), None);
        assert_eq!(s.value(), words());
        assert_eq!(s.id(), Some(1));
    }
}
