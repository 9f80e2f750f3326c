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
`batch 3000 ms: 42 input records, 5 blocks`. n is between 1 and 100000.",
        takes_stream: false,
    },
    Command {
        name: "run",
        usage: "run until <time>",
        example: "run until 90s",
        summary: "run every batch up to a virtual time, printing their output",
        details: "Runs every batch whose time is at or before <time>, printing their output as \
`step` does, then leaves the clock at <time>. Times are written 3000 (milliseconds), 3000ms, \
3s or 1min.",
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
        summary: "the receiver blocks allocated to a batch, per input stream",
        details: "Shows the blocks the ReceivedBlockTracker allocated to a batch (default: the last \
batch), per receiver input stream: block ids and record counts. Each block becomes one \
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
