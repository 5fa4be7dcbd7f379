//! The command line: `shnor run` and `shnor sample`.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::ingest::CsvOverrides;
use crate::ingest::table::TextEncoding;
use crate::write::CsvOutput;
use crate::write::partition::PartitionKey;

#[derive(Debug, Parser)]
#[command(
    name = "shnor",
    version,
    about = "Выявление ШНОР и ШНСУ: schools with low educational results and schools in unfavourable social conditions"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read a data directory and write the ШНОР and ШНСУ lists.
    Run(RunArgs),
    /// Write a synthetic region (the generator of sample-data/).
    Sample(SampleArgs),
    /// Check a data directory without computing lists: how each file is
    /// read and every row that would be set aside (exit code 1 if any).
    Check(CheckArgs),
    /// Write OUT/report.html: the methodology, figures, charts and lists.
    Report(ReportArgs),
    /// Run again from a manifest, after checking the inputs are unchanged.
    Rerun(RerunArgs),
    /// Compare a published list (CSV or XLSX) with a run's list.
    Compare(CompareArgs),
    /// List the methodology presets shipped with the tool.
    Methodologies,
    /// Explain why a school is or is not on each list of a finished run.
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Folder with schools.csv, results/ and survey/.
    #[arg(default_value = "sample-data")]
    pub data_dir: PathBuf,
    /// Methodology (it decides, e.g., which survey indicators must exist).
    #[arg(long, short)]
    pub methodology: Option<String>,
    /// List every problem, not the first 20 per file.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub csv: CsvArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Output folder of the run.
    #[arg(long, default_value = "out")]
    pub run: PathBuf,
}

#[derive(Debug, Args)]
pub struct RerunArgs {
    /// manifest.json of the run to reproduce.
    pub manifest: PathBuf,
    /// Output folder (default: OUT-rerun beside the run's folder; the run
    /// itself is never overwritten unless named here).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The published list: school_id, or school_name with municipality.
    #[arg(long)]
    pub published: PathBuf,
    /// Output folder of the run.
    #[arg(long, default_value = "out")]
    pub run: PathBuf,
    /// Which list: shnor or shnsu.
    #[arg(long, default_value = "shnor", value_parser = ["shnor", "shnsu"])]
    pub list: String,
    /// Where to write the comparison table (default: RUN/compare.csv).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The school to explain.
    pub school_id: String,
    /// Output folder of the run.
    #[arg(long, default_value = "out")]
    pub run: PathBuf,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Folder with schools.csv, results/ and survey/.
    #[arg(default_value = "sample-data")]
    pub data_dir: PathBuf,
    /// Methodology: a preset name (see `shnor methodologies`) or a TOML file;
    /// federal-2025 when omitted.
    #[arg(long, short)]
    pub methodology: Option<String>,
    /// Folder of earlier published lists (CSV: school_id, year, optional
    /// list = ШНОР/ШНСУ), for repeat listings and transitions.
    #[arg(long)]
    pub previous_lists: Option<PathBuf>,
    /// Output folder; replaced only when the run succeeds.
    #[arg(long, short, default_value = "out")]
    pub out: PathBuf,
    /// CSV outputs: `standard` (UTF-8, comma, snake_case, for tools) or
    /// `excel-ru` (BOM, `;`, decimal comma, Russian headers, for Excel).
    #[arg(long, value_enum, default_value = "standard")]
    pub csv_dialect: CsvOutput,
    /// Also write hive-style partitioned Parquet under OUT/partitioned/, by
    /// `region` (a registry column) and/or `year`, e.g. `region,year`.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub partition_by: Vec<PartitionKey>,
    /// Also write OUT/report.html (as `shnor report` does).
    #[arg(long)]
    pub report: bool,
    /// No progress, no list of inputs, no summary: only warnings and errors
    /// (on standard error). Progress is a bar on a terminal and log lines
    /// otherwise.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub csv: CsvArgs,
}

/// How CSV inputs are read; detected per file unless given.
#[derive(Debug, Args, Default)]
pub struct CsvArgs {
    /// Text encoding of every CSV input (detected per file by default).
    #[arg(long, value_enum)]
    pub encoding: Option<TextEncoding>,
    /// Field delimiter of every CSV input: `;`, `,` or `tab`.
    #[arg(long)]
    pub delimiter: Option<String>,
    /// Whether numbers use a decimal comma (default: yes unless the
    /// delimiter is `,`).
    #[arg(long)]
    pub decimal_comma: Option<bool>,
    /// Memory cap, e.g. `4GB` or `512MB`: an input whose reading would need
    /// more is refused with a message instead of exhausting the machine.
    #[arg(long, value_parser = parse_size)]
    pub max_memory: Option<u64>,
    /// Check every cell of student-level files as text, even when a typed
    /// read proves the file clean (slower; the lists are the same).
    #[arg(long)]
    pub full_checks: bool,
}

/// `4GB`, `512MB`, `100KB` or a number of bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim().to_uppercase();
    let (number, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&t[..i], t[i..].trim()),
        None => (t.as_str(), ""),
    };
    let factor: u64 = match unit {
        "" | "B" => 1,
        "K" | "KB" => 1 << 10,
        "M" | "MB" => 1 << 20,
        "G" | "GB" => 1 << 30,
        other => return Err(format!("unknown unit `{other}`: use KB, MB or GB")),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a size such as 4GB"))?;
    if !(value.is_finite() && value > 0.0) {
        return Err(format!("`{text}` must be a positive size"));
    }
    Ok((value * factor as f64) as u64)
}

impl CsvArgs {
    pub fn overrides(&self) -> Result<CsvOverrides> {
        let delimiter = match self.delimiter.as_deref() {
            None => None,
            Some(";") => Some(b';'),
            Some(",") => Some(b','),
            Some("tab") | Some("\\t") | Some("\t") => Some(b'\t'),
            Some(other) => bail!("--delimiter `{other}` is not supported; use `;`, `,` or `tab`"),
        };
        Ok(CsvOverrides {
            encoding: self.encoding,
            delimiter,
            decimal_comma: self.decimal_comma,
            max_memory: self.max_memory,
            full_checks: self.full_checks,
        })
    }
}

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Number of regular schools (the planted boundary cases come on top).
    #[arg(long, default_value_t = 200)]
    pub schools: usize,
    /// Years of results, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "2023,2024,2025")]
    pub years: Vec<i32>,
    /// Seed of the generator: the same seed gives the same files.
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// Output folder (replaced).
    #[arg(long, default_value = "sample-data")]
    pub out: PathBuf,
    /// Every result as a student row, in one plain dialect, for scale and
    /// benchmarks (no planted boundary schools, no broken rows).
    #[arg(long)]
    pub student_level: bool,
    /// With --student-level: CSV (UTF-8, comma) or Parquet.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: crate::sample::SampleFormat,
}
