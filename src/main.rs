use std::io::Write;

use std::process::ExitCode;

use clap::Parser;
use shnor::cli::{Cli, Command};
use shnor::ingest::CsvOverrides;
use shnor::pipeline::{RunOptions, run_reporting};
use shnor::progress::ProgressMode;
use shnor::resources::Fit;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match threads().and_then(|fit| execute(cli, fit)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("ошибка: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Sets up the thread pools, fitted to a cap on virtual memory if there is
/// one (see `shnor::resources`). Runs before any other thread starts.
fn threads() -> anyhow::Result<Option<Fit>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let fit = shnor::resources::fit_to_address_space(cores)?;
    // Files are read and checked on rayon's pool; polars plans recurse deeply,
    // so give its threads the main thread's stack size rather than 2 MiB.
    let mut pool = rayon::ThreadPoolBuilder::new().stack_size(8 << 20);
    if let Some(fit) = fit {
        shnor::resources::limit_malloc_arenas();
        let asked = std::env::var("POLARS_MAX_THREADS")
            .ok()
            .and_then(|t| t.parse::<usize>().ok())
            .unwrap_or(usize::MAX);
        // SAFETY: no other thread exists yet to read the environment.
        unsafe { std::env::set_var("POLARS_MAX_THREADS", asked.min(fit.threads).to_string()) };
        pool = pool.num_threads(fit.threads);
    }
    let _ = pool.build_global();
    Ok(fit)
}

/// The CSV options of the command line; under a cap on virtual memory,
/// reading is capped below it unless `--max-memory` says otherwise.
fn overrides(csv: &shnor::cli::CsvArgs, fit: Option<Fit>) -> anyhow::Result<CsvOverrides> {
    let mut overrides = csv.overrides()?;
    if overrides.max_memory.is_none() {
        overrides.max_memory = fit.map(|f| f.memory);
    }
    Ok(overrides)
}

fn execute(cli: Cli, fit: Option<Fit>) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run(args, fit),
        Command::Check(args) => check(args, fit),
        Command::Report(args) => {
            let path = shnor::report::write_report(&args.run)?;
            eprintln!("отчёт: {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Rerun(args) => {
            report(&shnor::rerun::rerun(&args.manifest, args.out)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Compare(args) => {
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
        Command::Methodologies => {
            for (name, text) in shnor::methodology::PRESETS {
                let m = shnor::methodology::LoadedMethodology::parse(text, name)?;
                let mut text = format!(
                    "{name}\n  {}\n  источник: {}\n",
                    m.rule.title, m.rule.source
                );
                for a in &m.rule.assumptions {
                    text.push_str(&format!("  допущение: {a}\n"));
                }
                print_out(&format!("{text}\n"))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain(args) => {
            print_out(&shnor::explain::explain(&args.run, &args.school_id)?)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Sample(args) => {
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
    }
}

/// `shnor run`: the lists, then what the run tells the person who started it.
fn run(args: shnor::cli::RunArgs, fit: Option<Fit>) -> anyhow::Result<ExitCode> {
    let options = RunOptions {
        data_dir: args.data_dir,
        methodology: args.methodology,
        out: args.out,
        csv: overrides(&args.csv, fit)?,
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

/// `shnor check`: exit code 1 when rows would be set aside.
fn check(args: shnor::cli::CheckArgs, fit: Option<Fit>) -> anyhow::Result<ExitCode> {
    let options = RunOptions {
        data_dir: args.data_dir,
        methodology: args.methodology,
        out: "out".into(),
        csv: overrides(&args.csv, fit)?,
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

/// What a run tells the person who started it.
fn report(summary: &shnor::pipeline::RunSummary) {
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

/// Prints to stdout; a closed pipe (`shnor explain … | head`) is not an error.
fn print_out(text: &str) -> anyhow::Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
