//! `shnor rerun manifest.json`: run again exactly as recorded, after checking
//! that every input and the methodology are still what they were.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::pipeline::{RunOptions, RunSummary, run};

/// Runs again as recorded into `out` (default: beside the run); the run is
/// refused before anything is written when any file it reads — inputs,
/// methodology and everything it pulls in, adapters — differs from the
/// recorded run, or when the set of input files is not the same.
pub fn rerun(manifest_path: &Path, out: Option<PathBuf>) -> Result<RunSummary> {
    let manifest = crate::finished::read_manifest(manifest_path)?;
    let out = out.unwrap_or_else(|| beside(manifest_path));
    let mut options = RunOptions::from_invocation(&manifest.invocation, out);
    options.expected_sources = Some(manifest.sources);
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
