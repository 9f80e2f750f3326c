//! Tab completion for the terminal REPL: command names first, then stream names for the
//! commands that take one, `help` topics, `until` after `run`, worker names and `driver`
//! after `kill` / `restart` / `at <time> kill`, the knobs of `whatif` and the charts of
//! `plot`.

use super::help::COMMANDS;
use rustyline::completion::Completer;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

/// The rustyline helper: knows the command names and the scenario's stream names.
pub struct ReplHelper {
    streams: Vec<String>,
    workers: usize,
}

impl ReplHelper {
    /// A helper completing these stream names (and two workers).
    pub fn new(streams: Vec<String>) -> ReplHelper {
        ReplHelper::with_workers(streams, 2)
    }

    /// A helper completing these stream names and `worker-1` .. `worker-N`.
    pub fn with_workers(streams: Vec<String>, workers: usize) -> ReplHelper {
        ReplHelper { streams, workers }
    }

    fn workers(&self, driver: bool) -> Vec<String> {
        let mut v: Vec<String> = (1..=self.workers).map(|i| format!("worker-{i}")).collect();
        if driver {
            v.push("driver".into());
        }
        v
    }

    /// The candidates for the word being typed at byte `pos` of `line`, and where that word
    /// starts.
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = line.get(..pos).unwrap_or(line);
        let start = before
            .char_indices()
            .rev()
            .find(|(_, c)| c.is_whitespace())
            .map(|(i, c)| i + c.len_utf8())
            .unwrap_or(0);
        let word = &before[start..];
        let previous: Vec<&str> = before[..start].split_whitespace().collect();
        let pool: Vec<String> = match previous.as_slice() {
            [] | ["help"] => COMMANDS.iter().map(|c| c.name.to_string()).collect(),
            ["run"] => vec!["until".to_string()],
            ["kill"] | ["at", _, "kill"] => self.workers(true),
            ["restart"] | ["at", _, "restart"] => self.workers(false),
            ["at", _] => vec!["kill".to_string(), "restart".to_string()],
            ["whatif"] => ["wal", "replication", "reliable"]
                .map(String::from)
                .to_vec(),
            ["whatif", "wal" | "reliable"] => vec!["on".to_string(), "off".to_string()],
            ["plot"] => vec!["delays".to_string(), "records".to_string()],
            ["ledger"] => self.streams.clone(),
            [cmd] if COMMANDS.iter().any(|c| c.name == *cmd && c.takes_stream) => {
                self.streams.clone()
            }
            _ => Vec::new(),
        };
        let found = pool.into_iter().filter(|c| c.starts_with(word)).collect();
        (start, found)
    }
}

impl Completer for ReplHelper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(self.candidates(line, pos))
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
}

impl Highlighter for ReplHelper {}

impl Validator for ReplHelper {}

impl Helper for ReplHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_commands_streams_and_topics() {
        let h = ReplHelper::new(vec!["lines".into(), "words".into()]);
        assert_eq!(
            h.candidates("st", 2),
            (0, vec!["step".into(), "streams".into(), "state".into()])
        );
        assert_eq!(h.candidates("show w", 6), (5, vec!["words".into()]));
        assert_eq!(h.candidates("help wi", 7), (5, vec!["window".into()]));
        assert_eq!(h.candidates("run u", 5), (4, vec!["until".into()]));
        assert_eq!(h.candidates("step 3 x", 8), (7, Vec::<String>::new()));
        assert_eq!(
            h.candidates("kill ", 5),
            (
                5,
                vec!["worker-1".into(), "worker-2".into(), "driver".into()]
            )
        );
        assert_eq!(
            h.candidates("at 5s kill d", 12),
            (11, vec!["driver".into()])
        );
        assert_eq!(
            h.candidates("restart w", 9),
            (8, vec!["worker-1".into(), "worker-2".into()])
        );
        assert_eq!(h.candidates("predict w", 9), (8, vec!["words".into()]));
        assert_eq!(
            h.candidates("whatif r", 8),
            (7, vec!["replication".into(), "reliable".into()])
        );
        assert_eq!(h.candidates("plot d", 6), (5, vec!["delays".into()]));
    }
}
