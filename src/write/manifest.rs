//! `manifest.json`: what a run read, the methodology it applied, what it set
//! aside and how long each stage took. Everything but `timings_ms` is the same
//! for the same inputs and methodology.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::classify::Years;
use crate::classify::context::Fit;
use crate::ingest::table::{CsvDialect, RowChecks};
use crate::methodology::Methodology;
use crate::validate::results::ResultsForm;

/// Written by `shnor run`, read back by `explain`, `compare`, `report` and
/// `rerun` through [`crate::finished::FinishedRun`].
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub tool: String,
    pub version: String,
    /// Hash of the inputs and the methodology: equal run ids mean equal lists.
    pub run_id: String,
    /// The options of the run, enough for `shnor rerun`.
    pub invocation: Invocation,
    pub methodology: MethodologyRecord,
    pub years: Years,
    /// The contextual regression (failure share on risk score).
    pub context_fit: Fit,
    /// The region's objectivity index in the current year (None when the
    /// methodology checks no signs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objectivity: Option<ObjectivityIndex>,
    pub inputs: Vec<InputRecord>,
    /// The adapters of the data directory, with their SQL.
    pub adapters: Vec<AdapterRecord>,
    /// Each survey indicator: its name, header, direction and where the
    /// direction came from, unit and risk factor.
    #[serde(default)]
    pub indicators: Vec<crate::validate::indicators::IndicatorUse>,
    /// `school-ids.csv`: the renamings and mergers the run applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub school_ids: Option<SourceRecord>,
    /// Everything the run read, by what it is, with its SHA-256: what the
    /// run id is made of and what `shnor rerun` compares.
    pub sources: BTreeMap<String, String>,
    pub rows_rejected: usize,
    pub outputs: Vec<OutputRecord>,
    pub counts: BTreeMap<String, usize>,
    pub warnings: Vec<String>,
    pub timings_ms: BTreeMap<String, u128>,
}

/// The region's objectivity index: 100 − the percent of the checked schools
/// with at least one sign.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ObjectivityIndex {
    pub year: i32,
    pub schools_checked: usize,
    pub schools_flagged: usize,
    pub index: Option<f64>,
}

impl ObjectivityIndex {
    /// From the per-school counts of signs in `year`.
    pub fn of(per_school: &polars::prelude::DataFrame, year: i32) -> anyhow::Result<Self> {
        let checked = per_school.height();
        let flagged = per_school
            .column("objectivity_signs")?
            .i64()?
            .iter()
            .filter(|n| n.is_some_and(|n| n > 0))
            .count();
        Ok(Self {
            year,
            schools_checked: checked,
            schools_flagged: flagged,
            index: (checked > 0).then(|| 100.0 - 100.0 * flagged as f64 / checked as f64),
        })
    }
}

/// How `shnor run` was called; paths are absolute.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Invocation {
    pub data_dir: String,
    /// Preset name or absolute methodology path; None = the default.
    pub methodology: Option<String>,
    pub previous_lists: Option<String>,
    pub encoding: Option<crate::ingest::table::TextEncoding>,
    pub delimiter: Option<String>,
    pub decimal_comma: Option<bool>,
    #[serde(default)]
    pub max_memory: Option<u64>,
    pub csv_dialect: crate::write::CsvOutput,
    #[serde(default)]
    pub partition_by: Vec<crate::write::partition::PartitionKey>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct MethodologyRecord {
    pub origin: String,
    pub sha256: String,
    pub resolved: Methodology,
    pub min_scores: SourceRecord,
    /// The score → mark scales.
    pub scales: SourceRecord,
    /// More scale tables (`failure.extra_scales`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_scales: Vec<SourceRecord>,
    pub queries: Vec<SourceRecord>,
    /// The methodologies this one `extends`, nearest first.
    pub extends: Vec<SourceRecord>,
}

/// A text the run used (query, table), kept whole so the run can be read back.
#[derive(Debug, Serialize, Deserialize)]
pub struct SourceRecord {
    pub name: String,
    pub sha256: String,
    pub text: String,
}

impl SourceRecord {
    pub fn new(name: &str, text: &str) -> Self {
        Self {
            name: name.to_string(),
            sha256: sha256_hex(text.as_bytes()),
            text: text.to_string(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct InputRecord {
    pub file: String,
    /// Absolute path, for `shnor rerun`.
    pub path: String,
    /// schools, results or survey.
    pub role: crate::ingest::format::InputRole,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<ResultsForm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csv: Option<CsvDialect>,
    pub bytes: u64,
    pub sha256: String,
    pub rows: usize,
    pub rows_rejected: usize,
    /// Rows of participants marked absent: neither counted nor set aside.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rows_absent: usize,
    /// The export layout recognised by its header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<String>,
    /// Keys taken from the layout or the file's name: `column = value (source)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inferred: Vec<String>,
    /// Personal-data columns dropped as the file was read (headers only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub personal_data_dropped: Vec<String>,
    /// A workbook sheet's header row (1-based), when it is not the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_row: Option<usize>,
    /// `every_cell` or `typed_scan` (a clean student-level file).
    pub checks: RowChecks,
}

/// An adapter as the run applied it: its settings and its SQL.
#[derive(Debug, Serialize, Deserialize)]
pub struct AdapterRecord {
    pub files: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    pub sheet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_row: Option<usize>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub set: std::collections::BTreeMap<String, String>,
    pub sql: String,
}

impl From<&crate::ingest::Adapter> for AdapterRecord {
    fn from(a: &crate::ingest::Adapter) -> Self {
        Self {
            files: a.files.clone(),
            query: a.query.clone(),
            sheet: a.sheet.clone(),
            header_row: a.header_row,
            set: a.set.clone(),
            sql: a.sql.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct OutputRecord {
    pub file: String,
    pub rows: usize,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Everything a run read, named the way `shnor rerun` reports a change:
/// each input table, the methodology and every file it pulls in (bases,
/// minimum scores, queries), each adapter, and the CSV reading options.
pub fn sources(
    inputs: &[InputRecord],
    methodology: &MethodologyRecord,
    (adapters, renamings): (&[crate::ingest::Adapter], Option<&SourceRecord>),
    reading: &Invocation,
) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for input in inputs {
        map.insert(format!("входной файл {}", input.file), input.sha256.clone());
    }
    map.insert(
        format!("методика {}", methodology.origin),
        methodology.sha256.clone(),
    );
    for base in &methodology.extends {
        map.insert(
            format!("базовая методика {}", base.name),
            base.sha256.clone(),
        );
    }
    map.insert(
        format!("таблица минимальных баллов {}", methodology.min_scores.name),
        methodology.min_scores.sha256.clone(),
    );
    map.insert(
        format!("шкалы перевода баллов {}", methodology.scales.name),
        methodology.scales.sha256.clone(),
    );
    for extra in &methodology.extra_scales {
        map.insert(
            format!("шкалы перевода баллов {}", extra.name),
            extra.sha256.clone(),
        );
    }
    for query in &methodology.queries {
        map.insert(format!("запрос {}", query.name), query.sha256.clone());
    }
    for adapter in adapters {
        let text = serde_json::to_vec(adapter).expect("an adapter serialises");
        map.insert(
            format!("адаптер {} → {}", adapter.files, adapter.shown()),
            sha256_hex(&text),
        );
    }
    if let Some(r) = renamings {
        map.insert(format!("переименования школ {}", r.name), r.sha256.clone());
    }
    let options = format!(
        "{:?} {:?} {:?}",
        reading.encoding, reading.delimiter, reading.decimal_comma
    );
    map.insert(
        "параметры чтения CSV".into(),
        sha256_hex(options.as_bytes()),
    );
    map
}

/// The run id: a hash over [`sources`]. Equal run ids mean the same files,
/// methodology, adapters and reading, hence equal lists.
pub fn run_id(sources: &BTreeMap<String, String>) -> String {
    let mut hasher = Sha256::new();
    for (what, sha) in sources {
        hasher.update(what.as_bytes());
        hasher.update([0]);
        hasher.update(sha.as_bytes());
    }
    format!("{:x}", hasher.finalize())[..16].to_string()
}

/// What differs between the sources a run recorded and those read now.
pub fn changed_sources(
    recorded: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut changed = Vec::new();
    for (what, was) in recorded {
        match now.get(what) {
            None => changed.push(format!("{what}: был, теперь отсутствует")),
            Some(is) if is != was => {
                changed.push(format!("{what}: SHA-256 был {was}, теперь {is}"))
            }
            _ => {}
        }
    }
    for what in now.keys().filter(|w| !recorded.contains_key(*w)) {
        changed.push(format!("{what}: новый, при записанном запуске его не было"));
    }
    changed
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}
