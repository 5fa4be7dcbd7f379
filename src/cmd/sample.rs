//! `shnor sample`: the synthetic region of sample-data/, or a student-level
//! region of any size.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use shnor::sample::SampleFormat;

#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Число обычных школ (к ним добавляются заложенные пограничные случаи).
    #[arg(long, default_value_t = 200)]
    pub schools: usize,
    /// Годы результатов через запятую.
    #[arg(long, value_delimiter = ',', default_value = "2023,2024,2025")]
    pub years: Vec<i32>,
    /// Зерно генератора: одно зерно — одни и те же файлы.
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// Папка для записи (заменяется).
    #[arg(long, default_value = "sample-data")]
    pub out: PathBuf,
    /// Все результаты строками участников в одном простом формате — для
    /// замеров объёма и скорости (без пограничных школ и испорченных строк).
    #[arg(long)]
    pub student_level: bool,
    /// Вместе с --student-level: CSV (UTF-8, запятая) или Parquet.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: SampleFormatArg,
}

/// `shnor sample --format`, as the command line spells [`SampleFormat`].
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SampleFormatArg {
    Csv,
    Parquet,
}

impl From<SampleFormatArg> for SampleFormat {
    fn from(f: SampleFormatArg) -> Self {
        match f {
            SampleFormatArg::Csv => SampleFormat::Csv,
            SampleFormatArg::Parquet => SampleFormat::Parquet,
        }
    }
}

pub fn run(args: SampleArgs) -> anyhow::Result<ExitCode> {
    if args.student_level {
        shnor::sample::generate_students(
            &args.out,
            args.schools,
            &args.years,
            args.seed,
            args.format.into(),
        )?;
    } else {
        shnor::sample::generate(&args.out, args.schools, &args.years, args.seed)?;
    }
    eprintln!("учебный регион записан в {}", args.out.display());
    Ok(ExitCode::SUCCESS)
}
