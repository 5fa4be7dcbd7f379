//! `shnor check`: what the run would read, file by file, and every problem,
//! without computing lists.

use std::fmt::Write as _;

use anyhow::Result;
use polars::prelude::*;

use crate::ingest::format::InputRole;
use crate::pipeline::{Prepared, RunOptions, Timings, prepare};

/// Problems listed per file unless all are asked for.
const SHOWN_PER_FILE: usize = 20;

/// The report and whether anything would be rejected.
pub struct CheckReport {
    pub text: String,
    pub rows_rejected: usize,
}

fn distinct(frame: &DataFrame, column: &str) -> String {
    let Ok(values) = frame
        .clone()
        .lazy()
        .select([col(column).cast(DataType::String)])
        .unique_stable(None, UniqueKeepStrategy::First)
        .sort([column], SortMultipleOptions::default())
        .collect()
    else {
        return String::new();
    };
    values
        .column(column)
        .ok()
        .and_then(|c| {
            c.str()
                .ok()
                .map(|s| s.iter().flatten().collect::<Vec<_>>().join(", "))
        })
        .unwrap_or_default()
}

/// Reads and checks everything the run would, and reports it.
pub fn check(options: &RunOptions, show_all: bool) -> Result<CheckReport> {
    let prepared: Prepared = prepare(options, &mut Timings::default())?;
    let rejected = concat(prepared.rejected_parts(), UnionArgs::default())?
        .sort(
            ["file", "line", "column"],
            SortMultipleOptions::default().with_nulls_last(true),
        )
        .collect()?;
    let mut text = format!(
        "методика: {} ({})\n\n",
        prepared.methodology.rule.name, prepared.methodology.origin
    );
    for input in prepared.tables() {
        let table = input.table;
        writeln!(
            text,
            "{}",
            crate::validate::results::describe(input.role, input.form, table)
        )?;
        let mapped: Vec<String> = table
            .columns
            .iter()
            .map(|m| {
                if m.found == m.column {
                    m.column.clone()
                } else {
                    format!("«{}» → {}", m.found, m.column)
                }
            })
            .collect();
        writeln!(text, "  столбцы: {}", mapped.join(", "))?;
        if let Some(header) = &table.header {
            writeln!(text, "  {}", header_line(header))?;
        }
        if !table.personal_data.is_empty() {
            writeln!(
                text,
                "  персональные данные не читаются (столбцы отброшены при чтении): {}",
                table.personal_data.join(", ")
            )?;
        }
        if !table.inferred.is_empty() {
            let taken: Vec<String> = table
                .inferred
                .iter()
                .map(|i| format!("{} = {} ({})", i.column, i.value, i.source))
                .collect();
            writeln!(text, "  не из столбцов: {}", taken.join(", "))?;
        }
        if !input.mapped_ids.is_empty() {
            let mapped: Vec<String> = input
                .mapped_ids
                .iter()
                .map(|(from, to)| format!("{from} → {to}"))
                .collect();
            writeln!(
                text,
                "  коды школ, прочитанные как коды реестра (другой префикс логина или school-ids.csv): {}",
                mapped.join(", ")
            )?;
        }
        if input.absent > 0 {
            writeln!(
                text,
                "  отсутствовали (не участники, не отложены): {}",
                input.absent
            )?;
        }
        if let (InputRole::Results, Some(checked)) = (input.role, input.checked) {
            let valid = &checked.valid;
            writeln!(
                text,
                "  годы: {}; процедуры: {}; предметы: {}",
                distinct(valid, "year"),
                distinct(valid, "assessment"),
                distinct(valid, "subject")
            )?;
        }
        problems_of(&mut text, &rejected, &table.name, show_all)?;
    }
    if !prepared.indicators.is_empty() {
        writeln!(text, "показатели анкеты:")?;
        for u in &prepared.indicators {
            writeln!(text, "  {}", crate::validate::indicators::describe(u))?;
        }
    }
    for warning in &prepared.warnings {
        writeln!(text, "предупреждение: {warning}")?;
    }
    writeln!(text, "\nВсего будет отложено строк: {}.", rejected.height())?;
    Ok(CheckReport {
        text,
        rows_rejected: rejected.height(),
    })
}

/// Which sheet row was taken as the header, how, and the title rows skipped
/// above it.
fn header_line(header: &crate::ingest::xlsx::HeaderFound) -> String {
    let how = if header.forced {
        "задана header_row в adapters.toml"
    } else {
        "найдена по названиям столбцов"
    };
    let mut line = format!("строка заголовка: {} ({how})", header.row);
    if !header.titles.is_empty() {
        let titles: Vec<String> = header
            .titles
            .iter()
            .map(|(row, text)| format!("{row} «{}»", shortened(text)))
            .collect();
        write!(line, "; над ней пропущены строки: {}", titles.join(", ")).unwrap();
    }
    line
}

/// A title cut to a readable length.
fn shortened(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// The rows of one file that would be set aside: the first few, or all.
fn problems_of(text: &mut String, rejected: &DataFrame, file: &str, show_all: bool) -> Result<()> {
    let problems = rejected
        .clone()
        .lazy()
        .filter(col("file").eq(lit(file)))
        .collect()?;
    if problems.height() == 0 {
        writeln!(text, "  замечаний нет")?;
    } else {
        writeln!(text, "  будет отложено строк: {}", problems.height())?;
        let shown = if show_all {
            problems.height()
        } else {
            SHOWN_PER_FILE.min(problems.height())
        };
        let lines = problems.column("line")?.i64()?.clone();
        let columns = problems.column("column")?.str()?.clone();
        let reasons = problems.column("reason")?.str()?.clone();
        for i in 0..shown {
            writeln!(
                text,
                "    строка {}, столбец {}: {}",
                lines
                    .get(i)
                    .map(|l| l.to_string())
                    .unwrap_or_else(|| "—".into()),
                columns.get(i).unwrap_or("—"),
                reasons.get(i).unwrap_or("")
            )?;
        }
        if shown < problems.height() {
            writeln!(
                text,
                "    … и ещё {} (shnor check --all покажет все)",
                problems.height() - shown
            )?;
        }
    }
    Ok(())
}
