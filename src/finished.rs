//! A finished run read back: its `manifest.json` as the typed
//! [`Manifest`] `shnor run` wrote, and its tables. `explain`, `compare`,
//! `report` and `rerun` all open a run here, so a folder that is not a run's
//! output is named the same way everywhere.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::*;

use crate::write::manifest::Manifest;

/// An output folder of `shnor run`.
pub struct FinishedRun {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl FinishedRun {
    /// Opens `dir` by its manifest.
    pub fn open(dir: &Path) -> Result<Self> {
        let path = dir.join("manifest.json");
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest: read_manifest(&path)?,
        })
    }

    /// The output table `name` (its Parquet file).
    pub fn table(&self, name: &str) -> Result<DataFrame> {
        self.table_if_written(name)?.with_context(|| {
            format!(
                "нет {}/{name}.parquet: укажите папку результатов `shnor run` (--run)",
                self.dir.display()
            )
        })
    }

    /// The output table `name`, or None when the run did not write it
    /// (`transitions` without previous lists).
    pub fn table_if_written(&self, name: &str) -> Result<Option<DataFrame>> {
        let path = self.dir.join(format!("{name}.parquet"));
        if !path.is_file() {
            return Ok(None);
        }
        let file =
            File::open(&path).with_context(|| format!("не удалось открыть {}", path.display()))?;
        Ok(Some(ParquetReader::new(file).finish()?))
    }
}

/// Reads a run's `manifest.json`, naming the file when it is missing or not
/// one shnor wrote.
pub fn read_manifest(path: &Path) -> Result<Manifest> {
    let text = crate::files::read_settings(path, "манифест").with_context(|| {
        format!(
            "не удалось открыть {}: укажите папку результатов `shnor run` (--run)",
            path.display()
        )
    })?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{} — не manifest.json запуска этой версии shnor; сделайте новый запуск командой shnor run",
            path.display()
        )
    })
}
