//! `shnor rerun manifest.json`: run again exactly as recorded, after checking
//! that every input and the methodology are still what they were.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};

use crate::methodology::LoadedMethodology;
use crate::pipeline::{RunOptions, RunSummary, run};
use crate::write::manifest::Invocation;

/// Checks the recorded inputs and methodology, then runs into `out`
/// (default: the manifest's folder).
pub fn rerun(manifest_path: &Path, out: Option<PathBuf>) -> Result<RunSummary> {
    let text = std::fs::read_to_string(manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    let manifest: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a shnor manifest", manifest_path.display()))?;
    let invocation: Invocation = serde_json::from_value(manifest["invocation"].clone())
        .with_context(|| format!("{} has no usable `invocation`", manifest_path.display()))?;
    let mut changed = Vec::new();
    let mut checked = std::collections::BTreeSet::new();
    for input in manifest["inputs"].as_array().into_iter().flatten() {
        let path = input["path"].as_str().unwrap_or_default();
        if !checked.insert(path.to_string()) {
            continue;
        }
        let recorded = input["sha256"].as_str().unwrap_or_default();
        match std::fs::read(path) {
            Err(_) => changed.push(format!("{path}: missing")),
            Ok(bytes) => {
                let now = format!("{:x}", Sha256::digest(&bytes));
                if now != recorded {
                    changed.push(format!("{path}: SHA-256 was {recorded}, now {now}"));
                }
            }
        }
    }
    let methodology = match &invocation.methodology {
        Some(m) => LoadedMethodology::resolve(m)?,
        None => LoadedMethodology::default_builtin()?,
    };
    let recorded = manifest["methodology"]["sha256"]
        .as_str()
        .unwrap_or_default();
    let now = crate::write::manifest::sha256_hex(methodology.text.as_bytes());
    if now != recorded {
        changed.push(format!(
            "methodology {}: SHA-256 was {recorded}, now {now}",
            methodology.origin
        ));
    }
    if !changed.is_empty() {
        bail!(
            "cannot reproduce the run of {}: its inputs changed since\n  {}\nrestore them, or make a new run with `shnor run`",
            manifest_path.display(),
            changed.join("\n  ")
        );
    }
    let out = out.unwrap_or_else(|| beside(manifest_path));
    run(&RunOptions::from_invocation(&invocation, out))
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
