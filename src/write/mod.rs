//! Stage 5: outputs. Everything is written into a staging folder beside the
//! output folder and swapped in only when every file is complete, so a failed
//! run never leaves a half-written list behind.

pub mod assemble;
pub mod checks;
pub mod manifest;
pub mod partition;
pub mod run_files;
pub mod target;
pub mod xlsx;

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::*;

use target::OutputTarget;

pub use crate::outputs::label;

/// How CSV outputs are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CsvOutput {
    /// UTF-8, запятая, заголовки snake_case: для программ и BI.
    #[default]
    Standard,
    /// UTF-8 с BOM, `;`, десятичная запятая, русские заголовки: русский Excel
    /// открывает таблицу двойным щелчком.
    ExcelRu,
}

/// Digits after the decimal point for floats in CSV outputs: enough for
/// shares and scores, and stable across runs.
const CSV_FLOAT_PRECISION: usize = 6;

/// An output folder being written.
pub struct Staging {
    target: OutputTarget,
    staging: PathBuf,
    committed: bool,
    csv: CsvOutput,
    /// Key-value metadata stored in every Parquet file.
    metadata: Vec<(String, String)>,
}

impl Staging {
    /// Starts a staging folder for a claimed target (a sibling, so the final
    /// rename stays on one file system).
    pub fn new(
        target: OutputTarget,
        csv: CsvOutput,
        metadata: Vec<(String, String)>,
    ) -> Result<Self> {
        let staging = target.staging_path();
        std::fs::create_dir_all(&staging)
            .with_context(|| format!("не удаётся создать папку {}", staging.display()))?;
        Ok(Self {
            target,
            staging,
            committed: false,
            csv,
            metadata,
        })
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.staging.join(file)
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
        let file = File::create(&path)
            .with_context(|| format!("не удалось создать {}", path.display()))?;
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Zstd(None))
            .with_statistics(StatisticsOptions::default())
            .with_key_value_metadata(Some(KeyValueMetadata::from_static(self.metadata.clone())))
            .finish(frame)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("не удалось записать {}", path.display()))?;
        Ok(())
    }

    pub fn write_csv(&self, name: &str, frame: &mut DataFrame) -> Result<()> {
        let path = self.path(&format!("{name}.csv"));
        let file = File::create(&path)
            .with_context(|| format!("не удалось создать {}", path.display()))?;
        let mut writer = CsvWriter::new(file)
            .include_header(true)
            .with_float_precision(Some(CSV_FLOAT_PRECISION));
        match self.csv {
            CsvOutput::Standard => writer.finish(frame),
            CsvOutput::ExcelRu => {
                let mut labelled = excel_safe(frame)?;
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
        .with_context(|| format!("не удалось записать {}", path.display()))?;
        Ok(())
    }

    pub fn write_bytes(&self, file: &str, bytes: &[u8]) -> Result<()> {
        let path = self.path(file);
        std::fs::write(&path, bytes)
            .with_context(|| format!("не удалось записать {}", path.display()))
    }

    /// Replaces the target folder with the staged one. The old outputs (known
    /// to be ours: [`OutputTarget::claim`]) are moved aside first and removed
    /// only after the new ones are in place; a kill in between is repaired by
    /// the next run's claim.
    pub fn commit(mut self) -> Result<()> {
        let target = self.target.path.clone();
        let aside = self.target.aside_path();
        let had_previous = target.exists();
        if had_previous {
            std::fs::rename(&target, &aside).with_context(|| {
                format!(
                    "не удаётся отодвинуть прежние результаты {}",
                    target.display()
                )
            })?;
        }
        if let Err(e) = std::fs::rename(&self.staging, &target) {
            if had_previous {
                let _ = std::fs::rename(&aside, &target);
            }
            return Err(e).with_context(|| {
                format!("не удаётся переместить результаты в {}", target.display())
            });
        }
        self.committed = true;
        if had_previous {
            std::fs::remove_dir_all(&aside).with_context(|| {
                format!("не удаётся удалить прежние результаты {}", aside.display())
            })?;
        }
        Ok(())
    }
}

/// Text cells that Excel would run as a formula (`=`, `+`, `-`, `@`, and the
/// tab and carriage return it also honours) get a leading apostrophe, which
/// Excel shows as text. Numbers are not text cells, so negative numbers stay.
fn excel_safe(frame: &DataFrame) -> Result<DataFrame> {
    let text: Vec<Expr> = frame
        .schema()
        .iter()
        .filter(|(_, dtype)| **dtype == DataType::String)
        .map(|(name, _)| {
            let c = col(name.clone());
            let risky = ["=", "+", "-", "@", "\t", "\r"]
                .into_iter()
                .map(|p| c.clone().str().starts_with(lit(p)))
                .reduce(|a, b| a.or(b))
                .expect("six prefixes");
            when(risky)
                .then(lit("'") + c.clone())
                .otherwise(c)
                .alias(name.clone())
        })
        .collect();
    if text.is_empty() {
        return Ok(frame.clone());
    }
    Ok(frame.clone().lazy().with_columns(text).collect()?)
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}
