//! `shnor rerun manifest.json`: run again exactly as recorded, after checking
//! that every input and the methodology are still what they were.

use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use anyhow::{Context, Result};

use crate::pipeline::{RunOptions, RunSummary, run};
use crate::write::manifest::Invocation;

/// Runs again as recorded into `out` (default: beside the run); the run is
/// refused before anything is written when any file it reads — inputs,
/// methodology and everything it pulls in, adapters — differs from the
/// recorded run, or when the set of input files is not the same.
pub fn rerun(manifest_path: &Path, out: Option<PathBuf>) -> Result<RunSummary> {
    let text = crate::files::read_settings(manifest_path, "манифест")?;
    let manifest: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} — не manifest.json запуска shnor",
            manifest_path.display()
        )
    })?;
    let invocation: Invocation = serde_json::from_value(manifest["invocation"].clone())
        .with_context(|| {
            format!(
                "в {} нет пригодного раздела `invocation`",
                manifest_path.display()
            )
        })?;
    let sources: BTreeMap<String, String> = serde_json::from_value(manifest["sources"].clone())
        .map_err(|_| {
            anyhow::anyhow!(
                "{}: в манифесте нет списка прочитанных файлов (sources): его записала прежняя версия \
                 shnor; сделайте новый запуск командой shnor run",
                manifest_path.display()
            )
        })?;
    let out = out.unwrap_or_else(|| beside(manifest_path));
    let mut options = RunOptions::from_invocation(&invocation, out);
    options.expected_sources = Some(sources);
    run(&options)
}

/// Without `--out`, a rerun writes beside the run it reproduces
/// (`OUT-rerun`), never over it.
fn beside(manifest_path: &Path) -> PathBuf {
    let dir = manifest_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    dir.with_file_name(format!("{name}-rerun"))
}
