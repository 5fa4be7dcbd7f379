//! `shnor explain`: why a school is or is not on each list of a run.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::print_out;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Школа, которую нужно объяснить.
    pub school_id: String,
    /// Папка результатов запуска.
    #[arg(long, default_value = "out")]
    pub run: PathBuf,
}

pub fn run(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    print_out(&shnor::explain::explain(&args.run, &args.school_id)?)?;
    Ok(ExitCode::SUCCESS)
}
