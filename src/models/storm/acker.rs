//! The acker (`storm-client/src/jvm/org/apache/storm/daemon/Acker.java`): Storm's tracking
//! of tuple trees with one 64-bit value per spout tuple.
//!
//! Every tuple of a tree carries a random 64-bit edge id. When a spout emits a tuple it
//! tells the acker `__ack_init(root, id1 ^ id2 ^ ...)`, the XOR of the ids of the tuples it
//! sent. When a bolt acks its input tuple it sends `__ack_ack(root, input_id ^ child ids)`,
//! the XOR of the input's id and the ids of every tuple it emitted anchored to it. Each id
//! is therefore XORed in exactly twice (once when created, once when acked), so the value
//! returns to 0 exactly when every tuple of the tree has been acked (with probability
//! 1 - 2^-64 no earlier): the acker then sends `__ack_ack` to the spout task, which calls the
//! spout's `ack(msgId)`. A bolt's `fail` sends `__ack_fail`, and the spout's `fail` is called
//! at once. An entry that never completes is dropped after its buckets rotate
//! (`TIMEOUT_BUCKET_NUM` = 3); the spout executor times the tree out on its own side.

use super::rotating_map::RotatingMap;

/// `Acker.TIMEOUT_BUCKET_NUM`.
pub const TIMEOUT_BUCKET_NUM: usize = 3;

/// A message to the acker, keyed by the spout tuple's root id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckerMessage {
    /// `__ack_init`: the spout emitted the tree's first tuples; `val` is the XOR of their
    /// edge ids; `spout_task` is where to report.
    Init {
        /// The root id.
        root: u64,
        /// XOR of the ids of the tuples the spout emitted.
        val: u64,
        /// The spout task to report to.
        spout_task: usize,
    },
    /// `__ack_ack`: a bolt acked an input tuple; `val` is its id XOR its children's ids.
    Ack {
        /// The root id.
        root: u64,
        /// The input's id XOR every child's id.
        val: u64,
    },
    /// `__ack_fail`: a bolt failed a tuple of the tree.
    Fail {
        /// The root id.
        root: u64,
    },
}

/// What the acker tells a spout task (`emitDirect` on `__ack_ack` / `__ack_fail`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckerVerdict {
    /// The tree is complete: call the spout's `ack`.
    Complete {
        /// The root id.
        root: u64,
        /// The spout task.
        spout_task: usize,
    },
    /// A tuple of the tree failed: call the spout's `fail`.
    Failed {
        /// The root id.
        root: u64,
        /// The spout task.
        spout_task: usize,
    },
}

#[derive(Clone, Copy, Debug, Default)]
struct AckObject {
    val: u64,
    spout_task: Option<usize>,
    failed: bool,
}

/// One acker task's state: the ack value of every pending tree.
#[derive(Clone, Debug)]
pub struct Acker {
    pending: RotatingMap<u64, AckObject>,
}

impl Default for Acker {
    fn default() -> Acker {
        Acker {
            pending: RotatingMap::new(TIMEOUT_BUCKET_NUM),
        }
    }
}

impl Acker {
    /// `execute` for one message: updates the tree's value and says whether the spout is to
    /// be told now. An ack may arrive before its init (they travel different paths); the
    /// value is kept until the init names the spout task.
    pub fn execute(&mut self, msg: AckerMessage) -> Option<AckerVerdict> {
        let root = match msg {
            AckerMessage::Init { root, .. }
            | AckerMessage::Ack { root, .. }
            | AckerMessage::Fail { root } => root,
        };
        let mut curr = self.pending.remove(&root).unwrap_or_default();
        match msg {
            AckerMessage::Init {
                val, spout_task, ..
            } => {
                curr.val ^= val;
                curr.spout_task = Some(spout_task);
            }
            AckerMessage::Ack { val, .. } => curr.val ^= val,
            AckerMessage::Fail { .. } => curr.failed = true,
        }
        match curr.spout_task {
            Some(spout_task) if curr.val == 0 => Some(AckerVerdict::Complete { root, spout_task }),
            Some(spout_task) if curr.failed => Some(AckerVerdict::Failed { root, spout_task }),
            _ => {
                self.pending.put(root, curr);
                None
            }
        }
    }

    /// The system tick: the oldest bucket of abandoned entries is dropped; returns how many.
    pub fn rotate(&mut self) -> usize {
        self.pending.rotate().len()
    }

    /// Pending trees with their current XOR values, for the REPL's `acks` view.
    pub fn pending(&self) -> Vec<(u64, u64)> {
        self.pending.iter().map(|(r, a)| (*r, a.val)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree of a spout tuple fanning out to two bolts, one of which emits a grandchild:
    /// the acker reports completion exactly when the last tuple is acked, whatever the
    /// order of the acks, and never before.
    #[test]
    fn the_xor_returns_to_zero_exactly_when_the_tree_is_acked() {
        let (a, b, c) = (
            0x9e37_79b9_7f4a_7c15u64,
            0xc2b2_ae3d_27d4_eb4fu64,
            0x1656_67b1_9e37_79f9u64,
        );
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
            let mut acker = Acker::default();
            let msgs = [
                AckerMessage::Ack {
                    root: 7,
                    val: a ^ c,
                }, // a acked, emitted c
                AckerMessage::Ack { root: 7, val: b }, // b acked, emitted nothing
                AckerMessage::Ack { root: 7, val: c }, // c acked
            ];
            assert_eq!(
                acker.execute(AckerMessage::Init {
                    root: 7,
                    val: a ^ b,
                    spout_task: 3
                }),
                None
            );
            for (k, &i) in order.iter().enumerate() {
                let v = acker.execute(msgs[i]);
                if k < 2 {
                    assert_eq!(v, None, "order {order:?}: complete too early");
                } else {
                    assert_eq!(
                        v,
                        Some(AckerVerdict::Complete {
                            root: 7,
                            spout_task: 3
                        })
                    );
                }
            }
            assert!(acker.pending().is_empty());
        }
    }

    /// An ack that arrives before the init is kept; a fail reports at once; an abandoned
    /// entry is dropped after three rotations.
    #[test]
    fn early_acks_fails_and_abandoned_trees() {
        let mut acker = Acker::default();
        assert_eq!(acker.execute(AckerMessage::Ack { root: 1, val: 5 }), None);
        assert_eq!(
            acker.execute(AckerMessage::Init {
                root: 1,
                val: 5,
                spout_task: 0
            }),
            Some(AckerVerdict::Complete {
                root: 1,
                spout_task: 0
            })
        );
        acker.execute(AckerMessage::Init {
            root: 2,
            val: 9,
            spout_task: 0,
        });
        assert_eq!(
            acker.execute(AckerMessage::Fail { root: 2 }),
            Some(AckerVerdict::Failed {
                root: 2,
                spout_task: 0
            })
        );
        acker.execute(AckerMessage::Init {
            root: 3,
            val: 9,
            spout_task: 0,
        });
        assert_eq!(acker.rotate() + acker.rotate(), 0);
        assert_eq!(acker.rotate(), 1);
    }
}
