//! The REPL's command table: names, syntax, one example each, and the longer `help <command>`
//! texts. Completion and the "unknown command" message read the same table.

/// One REPL command.
pub struct Command {
    /// The name typed first on the line.
    pub name: &'static str,
    /// Its syntax.
    pub usage: &'static str,
    /// One example.
    pub example: &'static str,
    /// One line for the `help` list.
    pub summary: &'static str,
    /// The longer explanation for `help <command>`.
    pub details: &'static str,
    /// Whether the first argument is a stream name (for completion).
    pub takes_stream: bool,
}

/// Every command, in the order `help` lists them.
pub const COMMANDS: &[Command] = &[
    Command {
        name: "step",
        usage: "step [n]",
        example: "step 3",
        summary: "run the next n batches (default 1), printing their output",
        details: "Runs the next n batches (default 1) on the virtual clock. For each batch it prints \
the lines of the print() output operations exactly as Spark prints them, then a summary line: \
`batch 3000 ms: 42 input records, 5 blocks`. n is between 1 and 100000. Ctrl-C stops it \
between two batches; the session stays at the last batch that completed.",
        takes_stream: false,
    },
    Command {
        name: "run",
        usage: "run until <time>",
        example: "run until 90s",
        summary: "run every batch up to a virtual time, printing their output",
        details: "Runs every batch whose time is at or before <time>, printing their output as \
`step` does, then leaves the clock at <time>. Times need a unit: 3000ms, 3s or 1min (a bare \
`run until 40` is refused: 40 ms, 40 s or `step 40`?). At most 100000 batches run at a time, and \
the clock stops at the session's limit (2000 batches unless `stream-sim repl --max-batches N`). Ctrl-C stops a long run between two batches: \
it prints the output so far and `run: interrupted at <time> (Ctrl-C)`, the session stays at the \
last batch that completed, and the prompt comes back (so do `step n` and `goto` replays).",
        takes_stream: false,
    },
    Command {
        name: "time",
        usage: "time",
        example: "time",
        summary: "the virtual clock, the last and next batch times, the intervals",
        details: "Shows the virtual clock, the time of the last completed batch, the time of the \
next batch, the batch and block intervals, the context's state and how far the scenario \
runs by default.",
        takes_stream: false,
    },
    Command {
        name: "streams",
        usage: "streams",
        example: "streams",
        summary: "the DStream graph, one line per stream",
        details: "Lists every DStream of the graph in id order: id, name (`#id` for the internal \
steps of composite operators such as reduceByKeyAndWindow), Spark's class, the operator, the \
parents, the slide, the remember duration, the checkpoint interval and the output operations \
that run on it.",
        takes_stream: false,
    },
    Command {
        name: "show",
        usage: "show <stream> [time]",
        example: "show counts 3s",
        summary: "the RDD of a stream at a batch time, partition by partition",
        details: "Shows the RDD a stream holds for a batch time (default: the last batch), \
partition by partition, with its RDD id and lineage depth. A stream has no RDD at a time \
that is not a multiple of its slide, at a time older than its remember duration (forgotten), \
or at a time not computed yet; `show` says which. Streams are named as in the scenario, or \
`#id` as listed by `streams`.",
        takes_stream: true,
    },
    Command {
        name: "lineage",
        usage: "lineage <stream> [time]",
        example: "lineage counts",
        summary: "the lineage of a stream's RDD (like RDD.toDebugString)",
        details: "Prints the lineage graph of the stream's RDD at a batch time (default: the last \
batch), 8 levels deep: what it would be recomputed from if a partition were lost. Shuffles \
and checkpoints (which cut the lineage) are marked.",
        takes_stream: true,
    },
    Command {
        name: "window",
        usage: "window <stream> [time]",
        example: "window windowed 30s",
        summary: "which batches a windowed stream covers, and their records",
        details: "For a windowed stream (window, reduceByKeyAndWindow, countByWindow, ...) shows \
which parent batch times the window holds at a time (default: the last batch) and each \
batch's records while they are remembered. For a stream built on a window (the final \
reduceByKey of reduceByKeyAndWindow without an inverse function), it walks up to the nearest \
window and says so. For the incremental form (with an inverse function, \
ReducedWindowedDStream) it also shows the batches entering and leaving the window and each \
key's value before (previous window) and after.",
        takes_stream: true,
    },
    Command {
        name: "state",
        usage: "state <stream> [key]",
        example: "state totals hello",
        summary: "the state of an updateStateByKey stream, with changes",
        details: "For an updateStateByKey stream, shows the state at the last batch sorted by key, \
each key marked against the previous batch (new key, changed from X, removed). With a key \
(as printed, e.g. hello or (JFK,LAX); strings may be quoted, e.g. \"hello\"), shows that key's value in every remembered batch.",
        takes_stream: true,
    },
    Command {
        name: "blocks",
        usage: "blocks [time]",
        example: "blocks 2s",
        summary: "the receiver blocks allocated to a batch, and where each is stored",
        details: "Shows the blocks the ReceivedBlockTracker allocated to a batch (default: the last \
batch), per receiver input stream: block ids, record counts, the live executors holding a copy \
(or where it was stored if none is left) and whether it is in the write-ahead log. Each block becomes one \
partition of the batch's BlockRDD. Blocks are cleaned up once older than every stream's \
remember duration.",
        takes_stream: false,
    },
    Command {
        name: "trace",
        usage: "trace [n]",
        example: "trace 5",
        summary: "the last n trace events (default 20) as JSON lines",
        details: "Prints the last n events of the run's trace (default 20), one JSON object per \
line, exactly as `--trace FILE.jsonl` writes them.",
        takes_stream: false,
    },
    Command {
        name: "kill",
        usage: "kill worker-N | kill driver",
        example: "kill worker-1",
        summary: "a machine fails now: a worker (its executor and receivers) or the driver",
        details: "Injects a failure now: `kill worker-N` kills a worker's machine (its executor's blocks, \
its receivers and their buffers are lost; replicas and the write-ahead log survive; the receivers \
restart on a live worker after receiver_restart_delay); `kill driver` kills the driver and every \
executor with it (the deployment restarts it after driver_restart_delay and, with a checkpoint, it \
recovers and re-runs batches; accumulators start again at 0, and a broadcast variable \
(`excluded = sc.broadcast(...)`) captured by a recovered function fails the first job that reads \
it, as in Spark, unless it comes from the guide's singleton `object ... getInstance(sc)`: see \
broadcast-recovery and broadcast-recovery-fixed). The fault acts 1 ms after the current instant (after everything \
that already happened at it), so that `save` writes a scenario that replays it identically; the \
clock moves by that 1 ms. The network's faults are typed the same way, as in a scenario's \
`faults`: `partition worker-1 | driver` (or `->` one-way), `heal`, `loss 0.1`, `latency 5ms..50ms`; \
so are the protocol points (`kill receiver lines after-store`, `kill driver after-checkpoint`, \
`fail wal-write`, `fail allocation-write`).",
        takes_stream: false,
    },
    Command {
        name: "restart",
        usage: "restart [worker-N]",
        example: "restart worker-1",
        summary: "a dead worker comes back now; bare `restart`: replay from zero with the new graph",
        details: "`restart worker-N` brings a killed worker back now (1 ms after the current instant, \
as `kill`), with an empty executor: the blocks it held stay lost. The driver cannot be restarted \
by hand: the deployment restarts it after driver_restart_delay. Bare `restart` builds a new \
context from zero with the graph, including the streams typed at the prompt after the first \
batch (which Spark refuses: \"Adding new inputs, transformations, and output operations after \
starting a context is not supported\"), and replays it to the current time with the same seed and \
faults. Before the first batch, a statement typed at the prompt (`counts = \
words.map(pair(1)).reduceByKey(sum)`, `counts.print()`) joins the graph at once.",
        takes_stream: false,
    },
    Command {
        name: "at",
        usage: "at <time> <fault>",
        example: "at 12.5s kill worker-2",
        summary: "schedule a fault at a later virtual time",
        details: "Schedules a fault (kill worker-N, restart worker-N, kill driver, and the network's \
and protocol points' faults as `kill` explains) at a virtual time \
later than the clock, exactly as a scenario's `[cluster] faults` line does; it acts when `step` or \
`run until` reaches it (before anything else at that instant). `cluster` lists pending faults.",
        takes_stream: false,
    },
    Command {
        name: "cluster",
        usage: "cluster",
        example: "cluster",
        summary: "the driver, each worker (up, cores, receivers, blocks held), the faults",
        details: "Shows whether the driver is up, each worker's state, cores, the receivers running on \
it and the blocks its executor holds, the replication, the write-ahead log and the sink, and every \
fault of the run (done or pending). Where receivers run is derived from the start rule (receiver k on \
worker k mod N) and the trace's failures and restarts.",
        takes_stream: false,
    },
    Command {
        name: "wal",
        usage: "wal",
        example: "wal",
        summary: "the receivers' write-ahead log and the block tracker's log",
        details: "Lists the blocks in the receivers' write-ahead log (reliable storage, which survives worker and \
driver failures), per input stream, the 20 newest of each; then the ReceivedBlockTracker's own log \
(`receivedBlockMetadata`, on whenever a checkpoint directory is set): its BlockAddition, \
BatchAllocation and BatchCleanup events, the 12 newest, which a restarted driver replays to rebuild \
the tracker. With either log off, says so.",
        takes_stream: false,
    },
    Command {
        name: "checkpoint",
        usage: "checkpoint",
        example: "checkpoint",
        summary: "the checkpoint directory, the last checkpoint, recoveries",
        details: "Shows the checkpoint directory, the time of the last metadata checkpoint (derived from \
the trace: the last batch generated while a directory is set), the latest checkpointed RDD of each \
stream that checkpoints (lineage cut), and each driver restart: whether it recovered from the \
checkpoint and which batches it re-ran.",
        takes_stream: false,
    },
    Command {
        name: "metrics",
        usage: "metrics [n] [--csv FILE]",
        example: "metrics 10",
        summary: "the Streaming tab: active (queued, running), completed and never-run batches",
        details: "As Spark's Streaming tab: the active batches (queued, and why: no free core or the \
previous job set still running; processing), the last n completed batches (default 20) with input \
records, scheduling delay, processing time, total delay and runs (2 or more: re-run by a recovered \
driver), the batches that never ran and why, then Spark's stability rule: stable when each of the \
last 5 batches was processed in less than the batch interval and the scheduling delay did not grow. \
With --csv FILE, every batch time is also written to FILE as CSV.",
        takes_stream: false,
    },
    Command {
        name: "faults",
        usage: "faults",
        example: "faults",
        summary: "the faults of the run: the scenario's and those typed, happened or pending",
        details: "Lists every fault of the run, numbered: the scenario's `faults` and those typed at the \
prompt (`kill`, `at ...`), with their time and whether they already happened. Going back in time \
keeps the faults typed at the prompt: they act again when the clock gets there.",
        takes_stream: false,
    },
    Command {
        name: "cancel",
        usage: "cancel N",
        example: "cancel 1",
        summary: "removes pending fault N (as `faults` numbers them) and replays to now",
        details: "Removes a fault that has not happened yet, the scenario's or one typed at the prompt, \
numbered as `faults` lists them, then rebuilds the session from zero without it and replays it to \
the current time (same seed). A fault that already happened cannot be cancelled: go back before \
it first.",
        takes_stream: false,
    },
    Command {
        name: "reload",
        usage: "reload",
        example: "reload",
        summary: "reads the scenario file again and replays to now",
        details: "Reads the scenario file again (after you edited it), keeps the streams and faults \
typed at the prompt, builds a new context from zero and replays it to the current time with the \
same seed. A file that no longer builds leaves the session unchanged and says why.",
        takes_stream: false,
    },
    Command {
        name: "labels",
        usage: "labels on|off",
        example: "labels off",
        summary: "name the stream after each print() header (on by default)",
        details: "With labels on (the default in the REPL), each print() header reads `Time: 5000 ms \
[counts]`: Spark's header, then the stream printed, so that several print()s of one batch can be \
told apart. `labels off` prints Spark's headers exactly. `stream-sim run --label-prints` does the \
same for run.",
        takes_stream: false,
    },
    Command {
        name: "ledger",
        usage: "ledger [stream] <offset>",
        example: "ledger lines 42",
        summary: "the life of one input record: received, blocks, batches, outputs, dropped",
        details: "Follows one input record (by its offset in its source; with several input streams, \
name the stream first): its content (the source's record, as Spark prints it) and when the source \
sent it, when a receiver received it, the blocks it was stored in, whether one was \
replicated or logged, the batches it was allocated to, how many times a completed batch wrote it \
out, and why it was dropped if it was.",
        takes_stream: true,
    },
    Command {
        name: "back",
        usage: "back [n]",
        example: "back 2",
        summary: "go back n batches (default 1): time travel by snapshots",
        details: "Puts the session back to just after the batch n batches before the last one: the \
nearest kept snapshot at or before it is restored and the batches after it replayed (exactly: the \
engine is deterministic). Snapshots are kept after every batch for the last 200 batches and every \
10th batch before. Faults injected at the prompt stay part of the session's timeline: stepping \
forward again replays them; a new fault replaces the future after its time.",
        takes_stream: false,
    },
    Command {
        name: "goto",
        usage: "goto <batch|time>",
        example: "goto 10s",
        summary: "jump to a batch number (goto 10) or a time (goto 10s), back or forward",
        details: "Puts the session at a batch (a bare number: `goto 10` is just after batch 10) or a \
virtual time (with a unit: `goto 10.5s`), backwards by restoring the nearest snapshot and replaying, \
forwards by running the batches without printing them. A target past the scenario's run_for \
gets a note saying so. With STREAM_SIM_TIMING=1 in the \
environment it also prints the wall time it took. Ctrl-C stops a long replay between two batches; \
the session stays at the last batch that completed.",
        takes_stream: false,
    },
    Command {
        name: "save",
        usage: "save FILE",
        example: "save session.toml",
        summary: "write the session as a scenario file that replays to the same state",
        details: "Writes the scenario with every fault of the run (the scenario's and those injected \
at the prompt) as its `[cluster] faults`, relative data paths rewritten for FILE's folder, and a \
first comment saying how to replay it: `stream-sim repl FILE`, then `run until <the clock>`. The \
file is the scenario parsed and written out again as TOML, so the original's comments and layout \
are not kept.",
        takes_stream: false,
    },
    Command {
        name: "load",
        usage: "load FILE",
        example: "load session.toml",
        summary: "replace the session with a scenario file (or a bundled scenario's name)",
        details: "Builds the scenario FILE (a path, or the name of a bundled scenario) with the same \
seed and starts a new session on it at time 0; the current session, its snapshots and faults are \
dropped.",
        takes_stream: false,
    },
    Command {
        name: "plot",
        usage: "plot delays|records FILE.svg",
        example: "plot delays delays.svg",
        summary: "an SVG chart of the delays or the input records per batch",
        details: "Draws an SVG chart from the trace: `delays` plots each batch's total delay, processing \
time and scheduling delay against the batch interval; `records` plots the input records per batch. \
Worker and driver failures are marked on the time axis.",
        takes_stream: false,
    },
    Command {
        name: "whatif",
        usage: "whatif <knob> <value>",
        example: "whatif wal on",
        summary: "rerun to now with one knob changed (wal, replication, reliable) and compare",
        details: "Builds the scenario again with one knob changed (`wal on|off`, `replication N`, \
`reliable on|off` for every receiver), the same seed and the same faults (those injected at the \
prompt included), runs it to the current time, and says for each output batch whether its output \
differs from this session's. When the run has faults, it also gives the guarantee each setting keeps \
(exactly-once, at-least-once, at-most-once), each measured against the run without faults.",
        takes_stream: false,
    },
    Command {
        name: "predict",
        usage: "predict <stream>",
        example: "predict wordCounts",
        summary: "guess a stream's next output, then run the batch and grade the guess",
        details: "Asks for the records the stream will output in the next batch; the next line typed is \
the answer (records as print() shows them, separated by spaces, or by `;` when a record holds a \
space; empty or `none` for no records; `cancel` gives up). A command typed instead (`step 3`) \
cancels the prediction and runs; start an answer with `=` when its first record is a command's \
name. If the asked batch does not complete (queued behind others, no free core), nothing is \
graded. Then runs the batch and compares the \
multisets: the records print() showed (its first 10) for a printed stream, all the records of its \
RDD otherwise.",
        takes_stream: true,
    },
    Command {
        name: "help",
        usage: "help [command]",
        example: "help window",
        summary: "this list, or the details of one command",
        details: "`help` lists the commands with one example each; `help <command>` explains one.",
        takes_stream: false,
    },
    Command {
        name: "quit",
        usage: "quit",
        example: "quit",
        summary: "leave the REPL (also `exit`, or end of input)",
        details: "Leaves the REPL. `exit` and the end of input (Ctrl-D) do the same.",
        takes_stream: false,
    },
    Command {
        name: "exit",
        usage: "exit",
        example: "exit",
        summary: "leave the REPL (same as `quit`)",
        details: "Leaves the REPL, as `quit` does.",
        takes_stream: false,
    },
];

/// The command of that name.
pub fn command(name: &str) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// All command names, comma-separated.
pub fn names() -> String {
    COMMANDS
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `help` list.
pub fn overview() -> String {
    let usage_w = COMMANDS.iter().map(|c| c.usage.len()).max().unwrap_or(0);
    let example_w = COMMANDS.iter().map(|c| c.example.len()).max().unwrap_or(0);
    let mut lines = vec!["commands (times: 3000, 3000ms, 3s, 1min):".to_string()];
    for c in COMMANDS {
        lines.push(format!(
            "  {:usage_w$}  e.g. {:example_w$}  {}",
            c.usage, c.example, c.summary
        ));
    }
    lines.push("type `help <command>` for details".into());
    lines.join("\n")
}

/// `help <command>`.
pub fn detail(c: &Command) -> String {
    format!(
        "{}\n  e.g. {}\n\n{}",
        c.usage,
        c.example,
        wrap(c.details, 88)
    )
}

fn wrap(text: &str, width: usize) -> String {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.join("\n")
}

/// The closest of `candidates` to `word` (edit distance at most 2), for "did you mean".
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
