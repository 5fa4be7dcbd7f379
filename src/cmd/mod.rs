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
    let parsed = command
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches));
    parsed.unwrap_or_else(|e| exit_in_russian(e))
}

/// Ends the process on a command line clap could not take, saying why in
/// Russian (clap's own messages are English); help and version as clap prints them.
fn exit_in_russian(e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit()
    }
    let usage = e
        .get(clap::error::ContextKind::Usage)
        .map(|u| {
            format!(
                "\n\n{}",
                u.to_string()
                    .replacen("Usage:", "Использование:", 1)
                    .trim_end()
            )
        })
        .unwrap_or_default();
    eprintln!("ошибка: {}{usage}\n\nПодробнее: --help", russian_error(&e));
    std::process::exit(2)
}

/// What is wrong with the command line, in Russian, from the error's context.
fn russian_error(e: &clap::Error) -> String {
    use clap::error::{ContextKind, ErrorKind};
    use std::error::Error;
    let context = |kind| e.get(kind).map(|v| v.to_string()).unwrap_or_default();
    let arg = context(ContextKind::InvalidArg);
    let value = context(ContextKind::InvalidValue);
    match e.kind() {
        ErrorKind::UnknownArgument => format!("неизвестный параметр «{arg}»"),
        ErrorKind::InvalidSubcommand => format!(
            "неизвестная команда «{}»",
            context(ContextKind::InvalidSubcommand)
        ),
        ErrorKind::InvalidValue if value.is_empty() => format!("для {arg} нужно значение"),
        ErrorKind::InvalidValue => {
            let valid = context(ContextKind::ValidValue);
            let valid = if valid.is_empty() {
                String::new()
            } else {
                format!("; возможные значения: {valid}")
            };
            format!("недопустимое значение «{value}» для {arg}{valid}")
        }
        ErrorKind::ValueValidation => {
            // Our own parsers explain in Russian; the standard library's
            // («invalid digit found in string») is left out.
            let why = e
                .source()
                .map(|s| s.to_string())
                .filter(|s| {
                    s.chars()
                        .any(|c| matches!(c, 'а'..='я' | 'А'..='Я' | 'ё' | 'Ё'))
                })
                .map(|s| format!(": {s}"))
                .unwrap_or_default();
            format!("значение «{value}» для {arg} не подходит{why}")
        }
        ErrorKind::MissingRequiredArgument => format!("не задан обязательный параметр {arg}"),
        ErrorKind::ArgumentConflict => format!(
            "{arg} нельзя задавать вместе с {}",
            context(ContextKind::PriorArg)
        ),
        ErrorKind::TooManyValues | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("неверное число значений для {arg}")
        }
        ErrorKind::MissingSubcommand => "не указана команда".to_string(),
        _ => format!("командная строка не разобрана ({arg}{value})"),
    }
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
