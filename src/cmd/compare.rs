//! `shnor compare`: a published list against a run (exit code 1 when they
//! differ).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use shnor::codes::List;

use super::print_out;

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Опубликованный список: school_id или school_name с municipality.
    #[arg(long)]
    pub published: PathBuf,
    /// Папка результатов запуска.
    #[arg(long, default_value = "out")]
    pub run: PathBuf,
    /// Какой список: shnor или shnsu.
    #[arg(long, value_enum, default_value = "shnor")]
    pub list: ListArg,
    /// Куда записать таблицу сравнения (по умолчанию RUN/compare.csv).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `shnor compare --list`, as the command line spells [`List`].
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListArg {
    Shnor,
    Shnsu,
}

impl From<ListArg> for List {
    fn from(l: ListArg) -> Self {
        match l {
            ListArg::Shnor => List::Shnor,
            ListArg::Shnsu => List::Shnsu,
        }
    }
}

pub fn run(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let comparison = shnor::compare::compare(&args.run, &args.published, args.list.into())?;
    let path = args.out.unwrap_or_else(|| args.run.join("compare.csv"));
    shnor::compare::write_table(&path, comparison.table.clone())?;
    print_out(&comparison.text)?;
    eprintln!("сравнение записано в {}", path.display());
    Ok(if comparison.identical {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
