//! `shnor check`: how each file reads and which rows would be set aside.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use shnor::pipeline::RunOptions;
use shnor::progress::ProgressMode;
use shnor::resources::Fit;

use super::csv::CsvArgs;
use super::print_out;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Папка с schools.csv, results/ и survey/.
    #[arg(default_value = "sample-data")]
    pub data_dir: PathBuf,
    /// Методика (от неё зависит, например, какие показатели анкеты нужны).
    #[arg(long, short)]
    pub methodology: Option<String>,
    /// Показать все замечания, а не первые 20 на файл.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub csv: CsvArgs,
}

/// `shnor check`: exit code 1 when rows would be set aside.
pub fn run(args: CheckArgs, fit: Option<Fit>) -> anyhow::Result<ExitCode> {
    let options = RunOptions {
        data_dir: args.data_dir,
        methodology: args.methodology,
        out: "out".into(),
        csv: args.csv.overrides(fit)?,
        previous_lists: None,
        csv_output: Default::default(),
        partition_by: Vec::new(),
        progress: ProgressMode::Quiet,
        expected_sources: None,
    };
    let report = shnor::check::check(&options, args.all)?;
    print_out(&report.text)?;
    if report.rows_rejected > 0 {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
