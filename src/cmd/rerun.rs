//! `shnor rerun`: a run again from its manifest, its inputs unchanged.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

#[derive(Debug, Args)]
pub struct RerunArgs {
    /// manifest.json запуска, который нужно повторить.
    pub manifest: PathBuf,
    /// Папка результатов (по умолчанию OUT-rerun рядом с папкой запуска;
    /// сам запуск не перезаписывается, если его папка не названа здесь).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

pub fn run(args: RerunArgs) -> anyhow::Result<ExitCode> {
    super::run::report(&shnor::rerun::rerun(&args.manifest, args.out)?);
    Ok(ExitCode::SUCCESS)
}
