//! `shnor report`: OUT/report.html from a finished run.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Папка результатов запуска.
    #[arg(long, default_value = "out")]
    pub run: PathBuf,
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let path = shnor::report::write_report(&args.run)?;
    eprintln!("отчёт: {}", path.display());
    Ok(ExitCode::SUCCESS)
}
