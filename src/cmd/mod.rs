//! The command line, one module per subcommand (its arguments and `run`
//! together, as xsv does). clap lives here only: the library takes its own
//! types, and each argument enum converts into one.

mod check;
mod compare;
mod csv;
mod explain;
mod methodologies;
mod report;
mod rerun;
mod run;
mod sample;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shnor::resources::Fit;

/// The help page in Russian: clap's own headings and flags are English, so
/// the template spells the headings and the help and version flags are ours.
const HELP: &str =
    "{before-help}{about-with-newline}\nИспользование: {usage}\n\n{all-args}{after-help}";

#[derive(Debug, Parser)]
#[command(
    name = "shnor",
    version,
    about = "Выявление ШНОР (школ с низкими образовательными результатами) и ШНСУ (школ, функционирующих в неблагоприятных социальных условиях)",
    help_template = HELP,
    subcommand_help_heading = "Команды",
    subcommand_value_name = "КОМАНДА",
    next_help_heading = "Параметры",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Показать справку (у каждой команды своя: shnor run --help).
    #[arg(short = 'h', long = "help", action = clap::ArgAction::Help, global = true)]
    help: Option<bool>,
    /// Показать версию.
    #[arg(short = 'V', long = "version", action = clap::ArgAction::Version)]
    version: Option<bool>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Прочитать папку данных и записать списки ШНОР и ШНСУ.
    Run(run::RunArgs),
    /// Записать учебный (синтетический) регион — генератор sample-data/.
    Sample(sample::SampleArgs),
    /// Проверить папку данных, не составляя списков: как читается каждый
    /// файл и какие строки будут отложены (код выхода 1, если такие есть).
    Check(check::CheckArgs),
    /// Записать OUT/report.html: методика, цифры, графики и списки.
    Report(report::ReportArgs),
    /// Повторить запуск по manifest.json, проверив, что входные данные не менялись.
    Rerun(rerun::RerunArgs),
    /// Сравнить опубликованный список (CSV или XLSX) со списком запуска.
    Compare(compare::CompareArgs),
    /// Перечислить готовые методики, поставляемые с программой.
    Methodologies,
    /// Объяснить, почему школа есть или нет в каждом списке готового запуска.
    Explain(explain::ExplainArgs),
}

/// The command line as parsed, its help pages in Russian throughout: the
/// template and the headings are set on every subcommand too.
pub fn parse() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let command = russian(Cli::command());
    let matches = command.get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

fn russian(command: clap::Command) -> clap::Command {
    command
        .help_template(HELP)
        .mut_args(|a| {
            let heading = if a.is_positional() {
                "Аргументы"
            } else {
                "Параметры"
            };
            a.help_heading(heading)
        })
        .mut_subcommands(russian)
}

/// Runs the subcommand the command line names.
pub fn execute(cli: Cli, fit: Option<Fit>) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run::run(args, fit),
        Command::Check(args) => check::run(args, fit),
        Command::Report(args) => report::run(args),
        Command::Rerun(args) => rerun::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Methodologies => methodologies::run(),
        Command::Explain(args) => explain::run(args),
        Command::Sample(args) => sample::run(args),
    }
}

/// Prints to stdout; a closed pipe (`shnor explain … | head`) is not an error.
pub fn print_out(text: &str) -> anyhow::Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
