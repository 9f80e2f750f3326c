//! Graded challenges (`stream-sim challenge list | show N | check N FILE | solution N`), in the
//! style of Fly.io's Gossip Glomers: progressive tasks in which a student writes a scenario
//! (its pipeline and settings) and a checker grades it on seeds the student has not seen.
//!
//! Each challenge is a folder `challenges/NN-slug/` holding:
//! - `challenge.toml`: the title, the statement (Markdown), and the `[grade]` table: which
//!   checker grades it ([`grade::Grader`]) and the rules a submission must follow
//!   ([`grade::Rules`]: required sources, forbidden operators, bounded arguments, fixed
//!   cluster settings);
//! - `starter.toml`: the scenario the student starts from (printed by `show`);
//! - `solution.toml`: the reference solution, kept out of the book and printed only by
//!   `solution N`;
//! - `wrong.toml`: a plausible wrong answer; the tests check that the checker passes the
//!   solution and fails this one, so no check is vacuous.
//!
//! A submission is read as if it sat in `scenarios/`, so `file = "data/..."` names the
//! bundled data wherever the student keeps the file; errors still name the student's file.
//! A watermark challenge's submission is a Structured Streaming scenario, read as if it sat
//! in `scenarios/structured/` and graded by [`watermark`].
//! The hidden seeds come from the challenge's id through the seed tree, never printed.

pub mod grade;
pub mod watermark;

use crate::scenario::{scenarios_dir, spec::parse_scenario, Scenario};
use grade::{Grade, Grader, Rules};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The most challenges the folder may hold (a bound on what `list` reads).
pub const MAX_CHALLENGES: usize = 100;

/// One challenge, as read from its folder.
#[derive(Clone, Debug)]
pub struct Challenge {
    /// Its number (`NN` of the folder name), what `show N` takes.
    pub id: u32,
    /// The folder name after `NN-`, also accepted by `show`.
    pub slug: String,
    /// One line.
    pub title: String,
    /// The chapter it belongs to (e.g. "failures", "throughput", "algorithms").
    pub topic: String,
    /// The task, in Markdown.
    pub statement: String,
    /// How it is graded.
    pub grader: Grader,
    /// What a submission must respect.
    pub rules: Rules,
    /// Its folder.
    pub dir: PathBuf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChallenge {
    title: String,
    topic: String,
    statement: String,
    grade: Grader,
    #[serde(default)]
    rules: Rules,
}

/// The bundled challenges folder (`challenges/` at the crate root).
pub fn challenges_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("challenges")
}

/// Every bundled challenge, by id.
///
/// # Errors
/// A message naming the file of a challenge that does not read, or the folder.
pub fn list() -> Result<Vec<Challenge>, String> {
    let dir = challenges_dir();
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().join("challenge.toml").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    if names.len() > MAX_CHALLENGES {
        return Err(format!(
            "{} holds {} challenges; the limit is MAX_CHALLENGES = {MAX_CHALLENGES}",
            dir.display(),
            names.len()
        ));
    }
    names.iter().map(|n| read(&dir.join(n))).collect()
}

/// The challenge numbered `which`, or whose slug is `which`.
///
/// # Errors
/// When none matches: the message lists the challenges.
pub fn find(which: &str) -> Result<Challenge, String> {
    let all = list()?;
    let wanted = which.trim().trim_start_matches('0');
    all.iter()
        .find(|c| c.id.to_string() == wanted || c.slug == which.trim())
        .cloned()
        .ok_or_else(|| {
            let names: Vec<String> = all
                .iter()
                .map(|c| format!("{} ({})", c.id, c.slug))
                .collect();
            format!(
                "no challenge `{which}`; the challenges are: {}",
                names.join(", ")
            )
        })
}

fn read(dir: &Path) -> Result<Challenge, String> {
    let file = dir.join("challenge.toml");
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let (num, slug) = name
        .split_once('-')
        .ok_or_else(|| format!("{}: the folder must be named NN-slug", dir.display()))?;
    let id: u32 = num
        .parse()
        .map_err(|_| format!("{}: the folder must start with a number", dir.display()))?;
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let raw: RawChallenge = toml::from_str(&text).map_err(|e| {
        let at = e
            .span()
            .map(|s| crate::scenario::toml_errors::line_col(&text, s.start))
            .map_or(String::new(), |(l, c)| format!(":{l}:{c}"));
        format!("{}{at}: {}", file.display(), e.message())
    })?;
    Ok(Challenge {
        id,
        slug: slug.to_string(),
        title: raw.title,
        topic: raw.topic,
        statement: raw.statement,
        grader: raw.grade,
        rules: raw.rules,
        dir: dir.to_path_buf(),
    })
}

impl Challenge {
    /// The starter scenario's text.
    ///
    /// # Errors
    /// When the file does not read.
    pub fn starter(&self) -> Result<String, String> {
        self.file("starter.toml")
    }

    /// The reference solution's text.
    ///
    /// # Errors
    /// When the file does not read.
    pub fn solution(&self) -> Result<String, String> {
        self.file("solution.toml")
    }

    /// The wrong answer the tests hold the checker against.
    ///
    /// # Errors
    /// When the file does not read.
    pub fn wrong(&self) -> Result<String, String> {
        self.file("wrong.toml")
    }

    fn file(&self, name: &str) -> Result<String, String> {
        let p = self.dir.join(name);
        std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    }

    /// `show N`: the title, the statement, the rules and the starter scenario.
    ///
    /// # Errors
    /// When the starter does not read.
    pub fn show(&self) -> Result<String, String> {
        Ok(format!(
            "Challenge {} ({}): {}\n\n{}\n\nHow it is graded: {}\n{}\nStarter (save it, edit it, then `stream-sim challenge check {} FILE`):\n\n{}",
            self.id,
            self.topic,
            self.title,
            self.statement.trim_end(),
            self.grader.describe(),
            self.rules.describe(),
            self.id,
            self.starter()?
        ))
    }

    /// Grades the scenario text `text` (from `path`, for messages) on the hidden seeds;
    /// `runs` overrides how many seeds a seeded checker uses (fewer in tests).
    ///
    /// # Errors
    /// A positioned message when the submission does not parse; the grade otherwise (a
    /// failing grade is not an error).
    pub fn check(&self, text: &str, path: &Path, runs: Option<u64>) -> Result<Grade, String> {
        if let Grader::Watermark {
            runs: r,
            max_dropped,
            max_mean_delay_ms,
            min_windows,
        } = &self.grader
        {
            let t = watermark::Thresholds {
                runs: *r,
                max_dropped: *max_dropped,
                max_mean_delay_ms: *max_mean_delay_ms,
                min_windows: *min_windows,
            };
            return watermark::grade(self.id, t, text, path, runs);
        }
        let sc = self.parse(text, path)?;
        let reference = self.grader.needs_reference().then(|| {
            self.solution()
                .and_then(|t| self.parse(&t, &self.dir.join("solution.toml")))
        });
        Ok(self
            .grader
            .grade(self.id, &self.rules, reference, &sc, runs))
    }

    /// Whether `text` reads as a submission of this challenge (a DStream scenario, or a
    /// Structured Streaming one for a watermark challenge), naming `path` in errors.
    ///
    /// # Errors
    /// The scenario's own positioned error, with `path` as the file.
    pub fn validate(&self, text: &str, path: &Path) -> Result<(), String> {
        if matches!(self.grader, Grader::Watermark { .. }) {
            watermark::parse_submission(self.id, text, path).map(|_| ())
        } else {
            self.parse(text, path).map(|_| ())
        }
    }

    /// Reads a submission as if it sat in `scenarios/` (so `data/...` names the bundled
    /// data), naming `path` in errors.
    ///
    /// # Errors
    /// The scenario's own positioned error, with `path` as the file.
    pub fn parse(&self, text: &str, path: &Path) -> Result<Scenario, String> {
        let fake = scenarios_dir().join(format!("challenge-{}.toml", self.id));
        let mut sc = parse_scenario(text, &fake).map_err(|e| {
            e.to_string()
                .replace(&fake.display().to_string(), &path.display().to_string())
        })?;
        sc.path = path.to_path_buf();
        Ok(sc)
    }
}

/// `list`: one line per challenge.
///
/// # Errors
/// When the folder does not read.
pub fn list_text() -> Result<String, String> {
    let mut out = String::from("id  topic        title\n");
    for c in list()? {
        out.push_str(&format!("{:<3} {:<12} {}\n", c.id, c.topic, c.title));
    }
    out.push_str(
        "\n`stream-sim challenge show N` for the task, `check N FILE` to grade a scenario.",
    );
    Ok(out)
}

/// `check N FILE`: the grade report, and whether it passed.
///
/// # Errors
/// When the challenge or the file does not read, or the file does not parse (positioned).
pub fn check_file(which: &str, file: &Path, runs: Option<u64>) -> Result<(String, bool), String> {
    let c = find(which)?;
    let text = crate::scenario::spec::read_bounded(
        file,
        crate::scenario::limits::MAX_FILE_BYTES,
        "MAX_FILE_BYTES",
    )?;
    let grade = c.check(&text, file, runs)?;
    Ok((
        format!("Challenge {}: {}\n\n{}", c.id, c.title, grade.render()),
        grade.passed(),
    ))
}
