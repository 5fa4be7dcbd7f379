//! What the manifest records of a run: the options as given (and back, for
//! `rerun`), each input file, the methodology with every text it read.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Result, bail};
use polars::prelude::*;

use super::{InputView, Prepared, RunOptions};
use crate::classify::Classification;
use crate::ingest::CsvOverrides;
use crate::progress::ProgressMode;
use crate::write::manifest::{self, InputRecord, Invocation, MethodologyRecord, SourceRecord};

/// The methodology as the run applied it, with every text it read.
pub(crate) fn methodology_record(
    p: &Prepared,
    classification: &Classification,
) -> MethodologyRecord {
    let methodology = &p.methodology;
    let (min_scores_text, min_scores_origin) = &p.min_scores;
    MethodologyRecord {
        origin: methodology.origin.clone(),
        sha256: manifest::sha256_hex(methodology.text.as_bytes()),
        resolved: methodology.rule.clone(),
        min_scores: SourceRecord::new(min_scores_origin, min_scores_text),
        scales: SourceRecord::new(&p.scales[0].1, &p.scales[0].0),
        extra_scales: p.scales[1..]
            .iter()
            .map(|(text, origin)| SourceRecord::new(origin, text))
            .collect(),
        queries: classification
            .queries
            .iter()
            .map(|(name, text)| SourceRecord::new(name, text))
            .collect(),
        extends: methodology
            .bases
            .iter()
            .map(|(name, text)| SourceRecord::new(name, text))
            .collect(),
    }
}

/// `shnor rerun`: refuses when anything the recorded run read has changed.
pub(crate) fn refuse_changed_sources(
    options: &RunOptions,
    sources: &BTreeMap<String, String>,
) -> Result<()> {
    let Some(recorded) = &options.expected_sources else {
        return Ok(());
    };
    let changed = manifest::changed_sources(recorded, sources);
    if !changed.is_empty() {
        bail!(
            "запуск не воспроизводится: с записанного запуска изменилось то, что он читал\n  {}\n\
             верните прежние файлы или сделайте новый запуск командой shnor run",
            changed.join("\n  ")
        );
    }
    Ok(())
}

/// An absolute path as text (the path as given when it cannot be resolved).
pub(crate) fn absolute(path: &std::path::Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

impl RunOptions {
    /// The options as the manifest records them.
    pub fn invocation(&self) -> Invocation {
        Invocation {
            data_dir: absolute(&self.data_dir),
            methodology: self.methodology.as_ref().map(|m| {
                let path = std::path::Path::new(m);
                if path.is_file() {
                    absolute(path)
                } else {
                    m.clone()
                }
            }),
            previous_lists: self.previous_lists.as_deref().map(absolute),
            encoding: self.csv.encoding,
            delimiter: self.csv.delimiter.map(|d| (d as char).to_string()),
            decimal_comma: self.csv.decimal_comma,
            max_memory: self.csv.max_memory,
            csv_dialect: self.csv_output,
            partition_by: self.partition_by.clone(),
        }
    }

    /// The options a manifest records, to run again.
    pub fn from_invocation(invocation: &Invocation, out: PathBuf) -> Self {
        Self {
            data_dir: PathBuf::from(&invocation.data_dir),
            methodology: invocation.methodology.clone(),
            out,
            csv: CsvOverrides {
                encoding: invocation.encoding,
                delimiter: invocation.delimiter.as_ref().and_then(|d| d.bytes().next()),
                decimal_comma: invocation.decimal_comma,
                max_memory: invocation.max_memory,
                full_checks: false,
            },
            previous_lists: invocation.previous_lists.as_ref().map(PathBuf::from),
            csv_output: invocation.csv_dialect,
            partition_by: invocation.partition_by.clone(),
            progress: ProgressMode::Auto,
            expected_sources: None,
        }
    }
}

pub(crate) fn input_record(input: &InputView, rejected: &DataFrame) -> InputRecord {
    let (table, role, form) = (input.table, input.role, input.form);
    let rows_rejected = rejected
        .column("file")
        .ok()
        .and_then(|c| {
            c.str()
                .ok()
                .map(|s| s.iter().filter(|f| *f == Some(table.name.as_str())).count())
        })
        .unwrap_or(0);
    InputRecord {
        file: table.name.clone(),
        path: absolute(&table.path),
        role,
        form,
        csv: table.dialect,
        bytes: table.bytes,
        sha256: table.sha256.clone(),
        rows: table.rows(),
        rows_rejected,
        rows_absent: input.absent,
        layout: table.layout.map(|l| l.name.clone()),
        inferred: table
            .inferred
            .iter()
            .map(|i| format!("{} = {} ({})", i.column, i.value, i.source))
            .collect(),
        header_row: table.header.as_ref().map(|h| h.row).filter(|r| *r > 1),
        personal_data_dropped: table.personal_data.clone(),
        checks: table.checks,
    }
}
