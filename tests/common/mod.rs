//! Helpers shared by the rule and preset tests: small hand-made tables run
//! through the methodology's SQL.
#![allow(dead_code)]

use std::path::PathBuf;

use polars::prelude::*;
use shnor::classify::{Classification, Inputs, Years, choose_years, classify};
use shnor::measure::procedures::{with_score_max, with_shares};
use shnor::measure::statistics;
use shnor::methodology::min_scores::MinScores;
use shnor::methodology::{DEFAULT_METHODOLOGY, LoadedMethodology};

pub type Procedure = (&'static str, i32, &'static str, &'static str, i32, i64, i64);

pub const CURRENT: i32 = 2025;
pub const PREVIOUS: i32 = 2024;

pub fn procedures(rows: &[Procedure]) -> DataFrame {
    let frame = df!(
        "school_id" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "year" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "assessment" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
        "subject" => rows.iter().map(|r| r.3).collect::<Vec<_>>(),
        "grade" => rows.iter().map(|r| r.4).collect::<Vec<_>>(),
        "participants" => rows.iter().map(|r| r.5).collect::<Vec<_>>(),
        "failed" => rows.iter().map(|r| r.6).collect::<Vec<_>>(),
        "absent" => vec![0i64; rows.len()],
    )
    .unwrap();
    // Given as aggregates: no marks or scores behind the counts.
    let shared = with_shares(frame.lazy(), 0.95)
        .with_columns(statistics::missing())
        .with_columns(statistics::figures())
        .collect()
        .unwrap();
    with_score_max(shared, &MinScores::default()).unwrap()
}

pub fn registry(ids: &[&str]) -> DataFrame {
    registry_with(ids, &[], &[])
}

/// A registry where some schools have a `school_kind` or `settlement_type`.
pub fn registry_with(
    ids: &[&str],
    kinds: &[(&str, &str)],
    settlements: &[(&str, &str)],
) -> DataFrame {
    let lookup = |pairs: &[(&str, &str)], id: &str| {
        pairs
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, v)| v.to_string())
    };
    df!(
        "school_id" => ids,
        "school_name" => ids.iter().map(|i| format!("Школа {i}")).collect::<Vec<_>>(),
        "municipality" => ids.iter().map(|_| "Район").collect::<Vec<_>>(),
        "settlement_type" => ids.iter().map(|i| lookup(settlements, i)).collect::<Vec<_>>(),
        "school_kind" => ids.iter().map(|i| lookup(kinds, i)).collect::<Vec<_>>(),
    )
    .unwrap()
}

pub fn survey(rows: &[(&str, &str, f64)]) -> DataFrame {
    df!(
        "school_id" => rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        "year" => rows.iter().map(|_| CURRENT).collect::<Vec<_>>(),
        "indicator" => rows.iter().map(|r| r.1).collect::<Vec<_>>(),
        "value" => rows.iter().map(|r| r.2).collect::<Vec<_>>(),
    )
    .unwrap()
}

pub fn methodology(edit: impl Fn(String) -> String) -> LoadedMethodology {
    LoadedMethodology::parse(&edit(DEFAULT_METHODOLOGY.to_string()), "test").unwrap()
}

pub fn run(
    rows: &[Procedure],
    survey_rows: &[(&str, &str, f64)],
    m: &LoadedMethodology,
) -> Classification {
    run_with(rows, survey_rows, &[], &[], m)
}

/// Like [`run`], with school kinds and settlement types in the registry.
pub fn run_with(
    rows: &[Procedure],
    survey_rows: &[(&str, &str, f64)],
    kinds: &[(&str, &str)],
    settlements: &[(&str, &str)],
    m: &LoadedMethodology,
) -> Classification {
    let procs = procedures(rows);
    let mut ids: Vec<&str> = rows
        .iter()
        .map(|r| r.0)
        .chain(survey_rows.iter().map(|r| r.0))
        .collect();
    ids.sort();
    ids.dedup();
    let years = if rows.is_empty() {
        Years {
            current: CURRENT,
            previous: Some(PREVIOUS),
            selected: vec![PREVIOUS, CURRENT],
            survey: Some(CURRENT),
        }
    } else {
        let years: Vec<i32> = rows.iter().map(|r| r.1).collect();
        choose_years(&years, &[CURRENT], m).unwrap()
    };
    let inputs = Inputs {
        procedures: &procs,
        schools: &registry_with(&ids, kinds, settlements),
        survey: &survey(survey_rows),
        previous_lists: None,
        score_ranks: &shnor::measure::score_ranks::none(),
    };
    classify(&inputs, years, m).unwrap()
}

/// A preset shipped with the tool.
pub fn preset(name: &str) -> LoadedMethodology {
    LoadedMethodology::resolve(name).unwrap()
}

/// The schools a classification lists as ШНОР, sorted.
pub fn shnor_list(c: &Classification) -> Vec<String> {
    let listed = c
        .shnor
        .clone()
        .lazy()
        .filter(col("is_shnor"))
        .collect()
        .unwrap();
    listed
        .column("school_id")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(str::to_string)
        .collect()
}

pub fn flag(frame: &DataFrame, id: &str, column: &str) -> bool {
    let ids = frame.column("school_id").unwrap().str().unwrap().clone();
    let flags = frame.column(column).unwrap().bool().unwrap().clone();
    let at = ids
        .iter()
        .position(|v| v == Some(id))
        .unwrap_or_else(|| panic!("{id} not in output"));
    flags.get(at).unwrap()
}

pub fn is_shnor(c: &Classification, id: &str) -> bool {
    flag(&c.shnor, id, "is_shnor")
}

pub fn f64_of(frame: &DataFrame, id: &str, column: &str) -> Option<f64> {
    let ids = frame.column("school_id").unwrap().str().unwrap().clone();
    let values = frame.column(column).unwrap().f64().unwrap().clone();
    ids.iter()
        .position(|v| v == Some(id))
        .and_then(|at| values.get(at))
}

/// The repository root (tests run the binary from here).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `shnor` binary, started in the repository root.
pub fn shnor() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("shnor").unwrap();
    cmd.current_dir(repo());
    cmd
}

/// `shnor run DATA --out OUT EXTRA…`, which must succeed; its stderr.
pub fn run_ok(data: &std::path::Path, out: &std::path::Path, extra: &[&str]) -> String {
    let output = shnor()
        .arg("run")
        .arg(data)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "shnor run failed: {stderr}");
    stderr
}

/// `shnor run sample-data --out OUT EXTRA…`, which must succeed; its stderr.
pub fn run_sample(out: &std::path::Path, extra: &[&str]) -> String {
    run_ok(&repo().join("sample-data"), out, extra)
}

/// `shnor sample --student-level --schools 40 --format FORMAT` into
/// `DIR/students-FORMAT`; the folder.
pub fn student_sample(dir: &std::path::Path, format: &str) -> PathBuf {
    let data = dir.join(format!("students-{format}"));
    shnor()
        .args([
            "sample",
            "--student-level",
            "--schools",
            "40",
            "--format",
            format,
        ])
        .arg("--out")
        .arg(&data)
        .assert()
        .success();
    data
}

/// Every text a run left: its output files, then what it said (stdout,
/// stderr): where a test looks for data that must never be written.
pub fn everything_written(out: &std::path::Path, said: &[String]) -> String {
    let mut all = said.join("\n");
    for entry in std::fs::read_dir(out).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        all.push_str(&String::from_utf8_lossy(&bytes));
    }
    all
}

/// A data directory written by a test: `data/` in a temporary folder, with
/// the outputs going to `out/` beside it.
pub struct DataDir {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
}

impl DataDir {
    /// With `schools.csv` as given and an empty `results/`.
    pub fn with_schools(schools_csv: &str) -> Self {
        let tmp = tempfile::TempDir::new().unwrap();
        let root = tmp.path().join("data");
        std::fs::create_dir_all(root.join("results")).unwrap();
        std::fs::write(root.join("schools.csv"), schools_csv).unwrap();
        Self { _tmp: tmp, root }
    }

    /// Writes a file below the data directory, making its folder.
    pub fn write(&self, path: &str, bytes: impl AsRef<[u8]>) -> &Self {
        let full = self.root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
        self
    }

    /// [`DataDir::write`] for building a directory in one expression.
    pub fn file(self, path: &str, bytes: impl AsRef<[u8]>) -> Self {
        self.write(path, bytes);
        self
    }

    pub fn out(&self) -> PathBuf {
        self.root.parent().unwrap().join("out")
    }

    /// `shnor run` on the directory: whether it succeeded, and its stderr.
    pub fn run(&self, extra: &[&str]) -> (bool, String) {
        let output = shnor()
            .arg("run")
            .arg(&self.root)
            .arg("--out")
            .arg(self.out())
            .args(extra)
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    }

    /// What `shnor explain SCHOOL` says of the last run.
    pub fn explain(&self, school: &str) -> String {
        let output = shnor()
            .args(["explain", school, "--run"])
            .arg(self.out())
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).to_string()
    }

    /// `shnor report` on the last run: the text of report.html.
    pub fn report(&self) -> String {
        let output = shnor()
            .args(["report", "--run"])
            .arg(self.out())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        self.read_out("report.html")
    }

    /// An output file of the last run, or "" when there is none.
    pub fn read_out(&self, file: &str) -> String {
        std::fs::read_to_string(self.out().join(file)).unwrap_or_default()
    }
}
