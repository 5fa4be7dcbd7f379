//! `shnor run`: read a data folder and write the lists.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use shnor::pipeline::{RunOptions, RunSummary, run_reporting};
use shnor::progress::ProgressMode;
use shnor::resources::Fit;
use shnor::write::CsvOutput;
use shnor::write::partition::PartitionKey;

use super::csv::CsvArgs;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Папка с schools.csv, results/ и survey/.
    #[arg(default_value = "sample-data")]
    pub data_dir: PathBuf,
    /// Методика: имя готовой (см. `shnor methodologies`) или файл TOML;
    /// без неё — federal-2025.
    #[arg(long, short)]
    pub methodology: Option<String>,
    /// Папка прежних опубликованных списков (CSV: school_id, year и
    /// необязательный list = ШНОР/ШНСУ) — для повторных попаданий и переходов.
    #[arg(long)]
    pub previous_lists: Option<PathBuf>,
    /// Папка результатов; заменяется только при успешном запуске.
    #[arg(long, short, default_value = "out")]
    pub out: PathBuf,
    /// CSV на выходе: `standard` (UTF-8, запятая, snake_case — для программ)
    /// или `excel-ru` (BOM, `;`, десятичная запятая, русские заголовки — для Excel).
    #[arg(long, value_enum, default_value = "standard")]
    pub csv_dialect: CsvOutputArg,
    /// Записать также Parquet, разбитый по папкам в стиле Hive, в OUT/partitioned/:
    /// по `region` (столбец реестра) и/или `year`, например `region,year`.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub partition_by: Vec<PartitionArg>,
    /// Записать также OUT/report.html (как `shnor report`).
    #[arg(long)]
    pub report: bool,
    /// Без хода работы, списка входных файлов и итога: только предупреждения
    /// и ошибки (в stderr). Ход работы — полоса в терминале, иначе строки журнала.
    #[arg(long, short)]
    pub quiet: bool,
    #[command(flatten)]
    pub csv: CsvArgs,
}

/// `--csv-dialect`, as the command line spells [`CsvOutput`].
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum CsvOutputArg {
    /// UTF-8, запятая, заголовки snake_case: для программ и BI.
    #[default]
    Standard,
    /// UTF-8 с BOM, `;`, десятичная запятая, русские заголовки: русский Excel
    /// открывает таблицу двойным щелчком.
    ExcelRu,
}

impl From<CsvOutputArg> for CsvOutput {
    fn from(c: CsvOutputArg) -> Self {
        match c {
            CsvOutputArg::Standard => CsvOutput::Standard,
            CsvOutputArg::ExcelRu => CsvOutput::ExcelRu,
        }
    }
}

/// `--partition-by`, as the command line spells [`PartitionKey`].
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PartitionArg {
    /// Столбец `region` реестра школ.
    Region,
    /// Год таблицы (для списков — текущий год).
    Year,
}

impl From<PartitionArg> for PartitionKey {
    fn from(p: PartitionArg) -> Self {
        match p {
            PartitionArg::Region => PartitionKey::Region,
            PartitionArg::Year => PartitionKey::Year,
        }
    }
}

/// `shnor run`: the lists, then what the run tells the person who started it.
pub fn run(args: RunArgs, fit: Option<Fit>) -> anyhow::Result<ExitCode> {
    let options = RunOptions {
        data_dir: args.data_dir,
        methodology: args.methodology,
        out: args.out,
        csv: args.csv.overrides(fit)?,
        previous_lists: args.previous_lists,
        csv_output: args.csv_dialect.into(),
        partition_by: args.partition_by.into_iter().map(Into::into).collect(),
        progress: if args.quiet {
            ProgressMode::Quiet
        } else {
            ProgressMode::Auto
        },
        expected_sources: None,
    };
    let summary = run_reporting(&options, |inputs| {
        if !args.quiet {
            for input in inputs {
                eprintln!("{input}");
            }
        }
    })?;
    if args.quiet {
        for warning in &summary.warnings {
            eprintln!("предупреждение: {warning}");
        }
    } else {
        report(&summary);
    }
    if args.report {
        let path = shnor::report::write_report(&summary.out)?;
        eprintln!("отчёт: {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// What a run tells the person who started it.
pub fn report(summary: &RunSummary) {
    for warning in &summary.warnings {
        eprintln!("предупреждение: {warning}");
    }
    let previous = summary
        .previous_year
        .map(|y| y.to_string())
        .unwrap_or_else(|| "—".into());
    eprintln!(
        "школ: {}, процедур: {}; текущий год {}, предыдущий {previous}",
        summary.schools, summary.procedures, summary.current_year
    );
    let set_aside = match summary.rows_rejected {
        0 => "отложенных входных строк нет".to_string(),
        n => format!("отложено входных строк: {n} (причины в rejected.csv)"),
    };
    eprintln!(
        "ШНОР: {} школ, ШНСУ: {} школ; {set_aside}",
        summary.shnor, summary.shnsu
    );
    eprintln!("результаты в {}", summary.out.display());
}
