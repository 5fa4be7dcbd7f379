//! Stage 5: outputs. Everything is written into a staging folder beside the
//! output folder and swapped in only when every file is complete, so a failed
//! run never leaves a half-written list behind.

pub mod manifest;
pub mod partition;
pub mod xlsx;

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result};
use polars::prelude::*;

/// Russian labels of output columns (reference/labels.csv).
const LABELS: &str = include_str!("../../reference/labels.csv");

/// The Russian label people read for an output column (the column name
/// itself when there is none).
pub fn label(column: &str) -> &str {
    static TABLE: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            LABELS
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(','))
                .collect()
        })
        .get(column)
        .copied()
        .unwrap_or(column)
}

/// How CSV outputs are written.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum CsvOutput {
    /// UTF-8, comma, snake_case headers: for tools and BI.
    #[default]
    Standard,
    /// UTF-8 with BOM, `;`, decimal comma, Russian headers: a double click in
    /// Russian Excel shows a correct table.
    ExcelRu,
}

/// Digits after the decimal point for floats in CSV outputs: enough for
/// shares and scores, and stable across runs.
const CSV_FLOAT_PRECISION: usize = 6;

/// An output folder being written.
pub struct Staging {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
    csv: CsvOutput,
    /// Key-value metadata stored in every Parquet file.
    metadata: Vec<(String, String)>,
}

impl Staging {
    /// Starts a staging folder for `target` (a sibling, so the final rename
    /// stays on one file system).
    pub fn new(target: &Path, csv: CsvOutput, metadata: Vec<(String, String)>) -> Result<Self> {
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "out".into());
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        std::fs::create_dir_all(&staging)
            .with_context(|| format!("cannot create {}", staging.display()))?;
        Ok(Self {
            target: target.to_path_buf(),
            staging,
            committed: false,
            csv,
            metadata,
        })
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.staging.join(file)
    }

    /// Writes `NAME.parquet` and `NAME.csv`.
    pub fn write_table(&self, name: &str, frame: &mut DataFrame) -> Result<()> {
        self.write_parquet(name, frame)?;
        self.write_csv(name, frame)
    }

    pub fn write_parquet(&self, name: &str, frame: &mut DataFrame) -> Result<()> {
        self.write_parquet_to(&self.path(&format!("{name}.parquet")), frame)
    }

    /// Writes a Parquet file anywhere inside the staging folder.
    pub fn write_parquet_to(&self, path: &Path, frame: &mut DataFrame) -> Result<()> {
        let path = path.to_path_buf();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file =
            File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .with_statistics(StatisticsOptions::default())
            .with_key_value_metadata(Some(KeyValueMetadata::from_static(self.metadata.clone())))
            .finish(frame)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }

    pub fn write_csv(&self, name: &str, frame: &mut DataFrame) -> Result<()> {
        let path = self.path(&format!("{name}.csv"));
        let file =
            File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut writer = CsvWriter::new(file)
            .include_header(true)
            .with_float_precision(Some(CSV_FLOAT_PRECISION));
        match self.csv {
            CsvOutput::Standard => writer.finish(frame),
            CsvOutput::ExcelRu => {
                let mut labelled = frame.clone();
                let names: Vec<String> = labelled
                    .get_column_names()
                    .iter()
                    .map(|c| c.to_string())
                    .collect();
                for name in names {
                    let shown = label(&name).to_string();
                    labelled.rename(&name, shown.into())?;
                }
                writer
                    .include_bom(true)
                    .with_separator(b';')
                    .with_decimal_comma(true)
                    .finish(&mut labelled)
            }
        }
        .map_err(anyhow::Error::from)
        .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }

    pub fn write_bytes(&self, file: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path(file);
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
    }

    /// Replaces the target folder with the staged one. The old outputs are
    /// moved aside first and removed only after the new ones are in place.
    pub fn commit(mut self) -> Result<()> {
        let aside = self.target.with_file_name(format!(
            ".{}.previous-{}",
            self.target
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            std::process::id()
        ));
        let had_previous = self.target.exists();
        if had_previous {
            std::fs::rename(&self.target, &aside).with_context(|| {
                format!(
                    "cannot move the previous outputs {} aside",
                    self.target.display()
                )
            })?;
        }
        if let Err(e) = std::fs::rename(&self.staging, &self.target) {
            if had_previous {
                let _ = std::fs::rename(&aside, &self.target);
            }
            return Err(e)
                .with_context(|| format!("cannot move outputs into {}", self.target.display()));
        }
        self.committed = true;
        self.remove_stale_staging();
        if had_previous {
            std::fs::remove_dir_all(&aside).with_context(|| {
                format!("cannot remove the previous outputs {}", aside.display())
            })?;
        }
        Ok(())
    }
}

impl Staging {
    /// Staging folders of runs that were killed (no chance to clean up) are
    /// removed after the next successful run.
    fn remove_stale_staging(&self) {
        let (Some(parent), Some(name)) = (self.target.parent(), self.target.file_name()) else {
            return;
        };
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        let prefix = format!(".{}.partial-", name.to_string_lossy());
        let Ok(entries) = std::fs::read_dir(parent) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}
