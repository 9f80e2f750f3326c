//! `metrics [n] [--csv FILE]`: the Streaming tab's batch tables and stability verdict, and
//! the same rows as CSV.

use super::cluster;
use super::session::Session;
use crate::check::batches::to_csv;

impl Session {
    /// `metrics [n] [--csv FILE]`.
    pub(super) fn metrics(&mut self, args: &[&str]) -> Result<String, String> {
        let mut n = 20usize;
        let mut csv = None;
        let mut rest = args.iter();
        while let Some(a) = rest.next() {
            match *a {
                "--csv" => match rest.next() {
                    Some(f) => csv = Some(*f),
                    None => {
                        return Err(
                            "metrics: --csv needs a file name, e.g. 'metrics --csv metrics.csv'"
                                .into(),
                        )
                    }
                },
                other => {
                    n = other.parse::<usize>().map_err(|_| {
                        format!(
                            "metrics: expected a number of batches or --csv FILE, found `{other}`; e.g. 'metrics 10' or 'metrics --csv metrics.csv'"
                        )
                    })?
                }
            }
        }
        let rows = self.batch_rows();
        let batch = self.built.ssc.config().batch_interval;
        let mut text = cluster::metrics(&rows, batch, n);
        if let Some(path) = csv {
            let body = to_csv(&rows).map_err(|e| format!("metrics: {e}"))?;
            std::fs::write(path, body).map_err(|e| format!("metrics: cannot write {path}: {e}"))?;
            text.push_str(&format!(
                "\nwrote {} batch{} to {path} (CSV)",
                rows.len(),
                if rows.len() == 1 { "" } else { "es" }
            ));
        }
        Ok(text)
    }
}
