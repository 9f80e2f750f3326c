//! Output operations: `print`, `saveAsTextFiles`, `foreachRDD` (`DStream.scala`,
//! `ForEachDStream.scala`), run in definition order by each batch's job set.

use super::dstream_graph::StreamId;
use super::error::SparkError;
use super::rdd::Rdd;
use crate::sim::Time;
use std::rc::Rc;

/// A callback for `foreachRDD`: the batch's RDD and time.
pub type ForeachFn = Rc<dyn Fn(&Rdd, Time)>;

/// An output operation.
#[derive(Clone)]
pub enum OutputKind {
    /// `print(num)`: the first `num` records of every batch, Spark's format.
    Print(usize),
    /// `saveAsTextFiles(prefix, suffix)`.
    SaveAsTextFiles {
        /// File name prefix (a path under the output directory).
        prefix: String,
        /// Optional suffix.
        suffix: Option<String>,
    },
    /// `foreachRDD(f)`.
    ForeachRdd(ForeachFn),
}

impl OutputKind {
    /// Spark's name of the operation.
    pub fn name(&self) -> &'static str {
        match self {
            OutputKind::Print(_) => "print",
            OutputKind::SaveAsTextFiles { .. } => "saveAsTextFiles",
            OutputKind::ForeachRdd(_) => "foreachRDD",
        }
    }
}

/// A registered output operation.
#[derive(Clone)]
pub struct Output {
    /// The stream it runs on.
    pub stream: StreamId,
    /// What it does.
    pub kind: OutputKind,
}

/// Spark's `print(num)` output for one batch: the header, up to `num` records, `...` if
/// there are more, and an empty line (`DStream.print`).
pub fn print_lines(rdd: &Rdd, t: Time, num: usize) -> Vec<String> {
    let dashes = "-------------------------------------------".to_string();
    let mut lines = vec![dashes.clone(), format!("Time: {t}"), dashes];
    let mut it = rdd.iter();
    for v in it.by_ref().take(num) {
        lines.push(v.to_string());
    }
    if it.next().is_some() {
        lines.push("...".into());
    }
    lines.push(String::new());
    lines
}

pub(super) fn run_output(
    output_dir: &std::path::Path,
    kind: &OutputKind,
    rdd: &Rdd,
    t: Time,
) -> Result<Vec<String>, SparkError> {
    match kind {
        OutputKind::Print(num) => Ok(print_lines(rdd, t, *num)),
        OutputKind::SaveAsTextFiles { prefix, suffix } => {
            let name = match suffix {
                Some(s) if !s.is_empty() => format!("{prefix}-{}.{s}", t.ms()),
                _ => format!("{prefix}-{}", t.ms()),
            };
            let dir = output_dir.join(&name);
            let io = |e: std::io::Error| {
                SparkError::InvalidArgument(format!(
                    "saveAsTextFiles: cannot write {}: {e}",
                    dir.display()
                ))
            };
            std::fs::create_dir_all(&dir).map_err(io)?;
            let mut written = Vec::new();
            for (i, p) in rdd.partitions().iter().enumerate() {
                let file = format!("part-{i:05}");
                let mut text = String::new();
                for v in p {
                    text.push_str(&v.to_string());
                    text.push('\n');
                }
                std::fs::write(dir.join(&file), text).map_err(io)?;
                written.push(format!("{name}/{file} ({} records)", p.len()));
            }
            std::fs::write(dir.join("_SUCCESS"), "").map_err(io)?;
            Ok(written)
        }
        OutputKind::ForeachRdd(f) => {
            f(rdd, t);
            Ok(Vec::new())
        }
    }
}
