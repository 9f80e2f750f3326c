//! Files: `save FILE` (the scenario with the session's faults), `load FILE` (a new session)
//! and `plot delays|records FILE` (SVG charts of the trace).

use super::args::{plural, usage};
use super::session::Session;
use super::whatif;
use std::sync::Arc;

impl Session {
    pub(super) fn save(&mut self, args: &[&str]) -> Result<String, String> {
        let [file] = args else {
            return Err(usage("save"));
        };
        let Some(sc) = &self.scenario else {
            return Err("save: this session was not built from a scenario file".into());
        };
        let path = std::path::Path::new(file);
        let text = whatif::save_text(sc, &self.options, &self.built.ssc, path)?;
        std::fs::write(path, text).map_err(|e| format!("save: cannot write {file}: {e}"))?;
        let faults = self.built.ssc.cluster().config.faults.faults.len();
        Ok(format!(
            "saved to {file} ({faults} fault{}); replay: stream-sim repl {file}, then run until {}ms",
            plural(faults),
            self.built.ssc.now().ms()
        ))
    }

    /// `load FILE`.
    pub(super) fn load(&mut self, args: &[&str]) -> Result<String, String> {
        let [file] = args else {
            return Err(usage("load"));
        };
        let path = crate::scenario::resolve(file).map_err(|e| format!("load: {e}"))?;
        let sc = crate::scenario::load(&path).map_err(|e| format!("load: {e}"))?;
        let mut fresh = Session::new(&sc, &self.options).map_err(|e| format!("load: {e}"))?;
        // The same flag: the Ctrl-C handler holds it.
        fresh.interrupt = Arc::clone(&self.interrupt);
        *self = fresh;
        Ok(self.banner())
    }

    /// `plot delays|records FILE.svg`.
    pub(super) fn plot(&mut self, args: &[&str]) -> Result<String, String> {
        let [kind, file] = args else {
            return Err(usage("plot"));
        };
        let ssc = &self.built.ssc;
        let (points, failures) = crate::plot::from_trace(&ssc.trace());
        let unrun = crate::plot::unrun(&self.batch_rows());
        let ssc = &self.built.ssc;
        if points.is_empty() && unrun.is_empty() {
            return Err("plot: no batch has been generated yet; run `step` first".into());
        }
        let path = std::path::Path::new(file);
        match *kind {
            "delays" => crate::plot::delays_svg_marked(
                path,
                &points,
                ssc.config().batch_interval.ms(),
                &failures,
                &unrun,
            ),
            "records" => crate::plot::records_svg(path, &points, &failures, &unrun),
            other => {
                return Err(format!(
                    "plot: unknown chart `{other}`; charts are delays and records, e.g. 'plot delays delays.svg'"
                ))
            }
        }
        .map_err(|e| format!("plot: {e}"))?;
        let mut text = format!(
            "wrote {file}: {kind} of {} batch{}, {} failure{} marked",
            points.len(),
            if points.len() == 1 { "" } else { "es" },
            failures.len(),
            plural(failures.len())
        );
        if !unrun.is_empty() {
            text.push_str(&format!(
                ", {} batch{} that did not complete marked with a cross",
                unrun.len(),
                if unrun.len() == 1 { "" } else { "es" }
            ));
        }
        Ok(text)
    }
}
