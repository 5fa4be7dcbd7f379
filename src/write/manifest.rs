//! `manifest.json`: what a run read, the methodology it applied, what it set
//! aside and how long each stage took. Everything but `timings_ms` is the same
//! for the same inputs and methodology.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::classify::Years;
use crate::classify::context::Fit;
use crate::ingest::table::{CsvDialect, RowChecks};
use crate::methodology::Methodology;
use crate::validate::results::ResultsForm;

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub tool: &'static str,
    pub version: &'static str,
    /// Hash of the inputs and the methodology: equal run ids mean equal lists.
    pub run_id: String,
    /// The options of the run, enough for `shnor rerun`.
    pub invocation: Invocation,
    pub methodology: MethodologyRecord,
    pub years: Years,
    /// The contextual regression (failure share on risk score).
    pub context_fit: Fit,
    pub inputs: Vec<InputRecord>,
    pub rows_rejected: usize,
    pub outputs: Vec<OutputRecord>,
    pub counts: BTreeMap<String, usize>,
    pub warnings: Vec<String>,
    pub timings_ms: BTreeMap<String, u128>,
}

/// How `shnor run` was called; paths are absolute.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
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

#[derive(Debug, Serialize)]
pub struct MethodologyRecord {
    pub origin: String,
    pub sha256: String,
    pub resolved: Methodology,
    pub min_scores: SourceRecord,
    pub queries: Vec<SourceRecord>,
}

/// A text the run used (query, table), kept whole so the run can be read back.
#[derive(Debug, Serialize)]
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

#[derive(Debug, Serialize)]
pub struct InputRecord {
    pub file: String,
    /// Absolute path, for `shnor rerun`.
    pub path: String,
    /// schools, results or survey.
    pub role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<ResultsForm>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csv: Option<CsvDialect>,
    pub bytes: u64,
    pub sha256: String,
    pub rows: usize,
    pub rows_rejected: usize,
    /// `every_cell` or `typed_scan` (a clean student-level file).
    pub checks: RowChecks,
}

#[derive(Debug, Serialize)]
pub struct OutputRecord {
    pub file: String,
    pub rows: usize,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// The run id: a hash over the input hashes (in file order), the methodology
/// text, the minimum scores and the queries.
pub fn run_id(inputs: &[InputRecord], methodology: &MethodologyRecord) -> String {
    let mut hasher = Sha256::new();
    for input in inputs {
        hasher.update(input.file.as_bytes());
        hasher.update(input.sha256.as_bytes());
    }
    hasher.update(methodology.sha256.as_bytes());
    hasher.update(methodology.min_scores.sha256.as_bytes());
    for q in &methodology.queries {
        hasher.update(q.sha256.as_bytes());
    }
    format!("{:x}", hasher.finalize())[..16].to_string()
}
