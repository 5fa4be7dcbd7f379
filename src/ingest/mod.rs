//! Stage 1: find the input files of a data directory and read them.

pub mod normalize;
pub mod table;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

pub use table::{CsvOverrides, RawTable, read_table};

/// The files of a data directory, in a stable order.
#[derive(Debug)]
pub struct DataDirFiles {
    pub root: PathBuf,
    pub schools: PathBuf,
    pub results: Vec<PathBuf>,
    pub survey: Vec<PathBuf>,
    /// `previous-lists/`, when the data directory has one.
    pub previous_lists: Option<PathBuf>,
    /// Files seen but not read (with the reason), so that nothing disappears
    /// without a word.
    pub ignored: Vec<String>,
}

const READABLE: &[&str] = &["csv", "txt", "tsv", "parquet", "pq"];

impl DataDirFiles {
    /// Finds `schools.{csv,parquet}`, `results/` and `survey/` under `root`.
    pub fn discover(root: &Path) -> Result<Self> {
        if !root.is_dir() {
            bail!(
                "data directory {} does not exist; give the folder that holds schools.csv, results/ and survey/",
                root.display()
            );
        }
        let candidates: Vec<PathBuf> = ["schools.csv", "schools.parquet"]
            .iter()
            .map(|n| root.join(n))
            .filter(|p| p.is_file())
            .collect();
        let schools = match candidates.as_slice() {
            [one] => one.clone(),
            [] => bail!(
                "{}: no school registry; add schools.csv (or schools.parquet) with school_id, school_name, municipality",
                root.display()
            ),
            _ => bail!(
                "{}: both schools.csv and schools.parquet exist; keep one so that the registry is unambiguous",
                root.display()
            ),
        };
        let mut ignored = Vec::new();
        let results_dir = root.join("results");
        if !results_dir.is_dir() {
            bail!(
                "{}: no results/ folder; put the assessment result files (CSV or Parquet) into {}",
                root.display(),
                results_dir.display()
            );
        }
        let results = list_files(root, &results_dir, &mut ignored)?;
        if results.is_empty() {
            bail!(
                "{}: the results/ folder has no CSV or Parquet files",
                root.display()
            );
        }
        let survey_dir = root.join("survey");
        let survey = if survey_dir.is_dir() {
            list_files(root, &survey_dir, &mut ignored)?
        } else {
            Vec::new()
        };
        let previous_lists = Some(root.join("previous-lists")).filter(|p| p.is_dir());
        Ok(Self {
            root: root.to_path_buf(),
            schools,
            results,
            survey,
            previous_lists,
            ignored,
        })
    }

    /// The CSV and Parquet files of any folder (sorted), e.g. earlier lists.
    pub fn list_folder(dir: &Path) -> Result<Vec<PathBuf>> {
        if !dir.is_dir() {
            bail!("{} is not a folder", dir.display());
        }
        let mut ignored = Vec::new();
        list_files(dir, dir, &mut ignored)
    }

    /// How messages name a file: its path inside the data directory.
    pub fn display_name(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/")
    }

    /// Reads many files at once (rayon); the order of the answer is the order
    /// of `paths`.
    pub fn read_all(&self, paths: &[PathBuf], overrides: CsvOverrides) -> Result<Vec<RawTable>> {
        paths
            .par_iter()
            .map(|p| read_table(p, &self.display_name(p), overrides))
            .collect()
    }
}

fn list_files(root: &Path, dir: &Path, ignored: &mut Vec<String>) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let entries = std::fs::read_dir(&current)
            .with_context(|| format!("cannot list {}", current.display()))?;
        for entry in entries {
            let path = entry?.path();
            let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if file_name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let extension = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_lowercase)
                .unwrap_or_default();
            if READABLE.contains(&extension.as_str()) {
                found.push(path);
            } else {
                let shown = path.strip_prefix(root).unwrap_or(&path).display();
                ignored.push(format!(
                    "{shown}: not read (only CSV and Parquet files are)"
                ));
            }
        }
    }
    found.sort();
    Ok(found)
}
