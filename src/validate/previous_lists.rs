//! Earlier published lists: checked whole, because a history with a hole
//! would misstate who was listed before.

use anyhow::{Result, bail};
use polars::prelude::*;

use super::{number, text};
use crate::codes::{Code, List};
use crate::ingest::RawTable;
use crate::ingest::table::LINE;

/// Words of a status (a `list_status` column, or the `list` itself) that
/// say the school was not on the list that year: it left the status, or it
/// was in the zone of risk, which is watched, not listed.
const NOT_LISTED: [&str; 4] = ["выш", "исключ", "зона риска", "зоне риска"];

/// Whether a lower-case status says the school was not on the list.
fn not_listed(lower: Expr) -> Expr {
    NOT_LISTED
        .iter()
        .fold(lit(false), |any, w| {
            any.or(lower.clone().str().contains_literal(lit(*w)))
        })
        .fill_null(false)
}

/// The earlier lists: `school_id`, `year`, optional `list` (ШНОР/ШНСУ, in
/// either spelling; ШНОР when absent) and optional `list_status`. A row
/// whose status (or list) says the school left the status or was in the
/// zone of risk is not on the list that year; a note counts such rows.
/// Returns school_id, year, list_name (the list's code), deduplicated and
/// sorted, and the notes; a table without the columns or with an unusable
/// row is refused.
pub fn check_previous_lists(tables: &[RawTable]) -> Result<(DataFrame, Vec<String>)> {
    let mut parts = Vec::new();
    let mut notes = Vec::new();
    for table in tables {
        for c in ["school_id", "year"] {
            if !table.has(c) {
                bail!(
                    "{}: в прежнем списке нужны столбцы school_id и year (и, если нужно, list = ШНОР/ШНСУ); \
                     нет `{c}`",
                    table.name
                );
            }
        }
        let list = if table.has("list") {
            text("list")
        } else {
            lit("ШНОР")
        };
        let lower = list.clone().str().to_lowercase();
        let status = if table.has("list_status") {
            text("list_status").str().to_lowercase()
        } else {
            lit(NULL).cast(DataType::String)
        };
        let off = not_listed(lower.clone()).or(not_listed(status));
        // A list is named by its code or its label, in any case.
        let list_name = List::ALL
            .iter()
            .fold(lit(NULL).cast(DataType::String), |rest, l| {
                let spellings = Series::new(
                    "l".into(),
                    [l.code().to_lowercase(), l.label().to_lowercase()],
                );
                when(lower.clone().is_in(lit(spellings).implode(false), false))
                    .then(lit(l.code()))
                    .otherwise(rest)
            });
        let frame = table
            .frame
            .clone()
            .lazy()
            .select([
                col(LINE),
                text("school_id").alias("school_id"),
                text("year").alias("raw_year"),
                number("year", false).cast(DataType::Int32).alias("year"),
                list.alias("raw_list"),
                // A status row keeps its list: ШНОР unless the file says ШНСУ.
                when(off.clone())
                    .then(list_name.clone().fill_null(lit(List::Shnor.code())))
                    .otherwise(list_name)
                    .alias("list_name"),
                off.alias("not_listed"),
            ])
            .collect()?;
        refuse_unusable_rows(&frame, &table.name)?;
        let set_aside = frame.column("not_listed")?.bool()?.sum().unwrap_or(0);
        if set_aside > 0 {
            notes.push(format!(
                "{}: строк {set_aside} со статусом «вышла из статуса» или «зона риска»: \
                 в тот год школа не считается включённой в список",
                table.name
            ));
        }
        let frame = frame
            .lazy()
            .filter(col("not_listed").not())
            .select([col("school_id"), col("year"), col("list_name")])
            .collect()?;
        parts.push(frame.lazy());
    }
    let all = concat(parts, UnionArgs::default())?
        .unique_stable(None, UniqueKeepStrategy::First)
        .sort(
            ["list_name", "year", "school_id"],
            SortMultipleOptions::default(),
        )
        .collect()?;
    Ok((all, notes))
}

/// A history with a hole would misstate who was listed before: every row
/// must be usable, and the first bad ones are named by line.
fn refuse_unusable_rows(frame: &DataFrame, name: &str) -> Result<()> {
    let reason = when(col("school_id").is_null())
        .then(lit("не указан school_id"))
        .when(col("year").is_null())
        .then(concat_str(
            [
                lit("год «"),
                col("raw_year").fill_null(lit("")),
                lit("» — не целое число"),
            ],
            "",
            false,
        ))
        .otherwise(concat_str(
            [
                lit("список «"),
                col("raw_list").fill_null(lit("")),
                lit("» — не ШНОР и не ШНСУ"),
            ],
            "",
            false,
        ));
    let bad = frame
        .clone()
        .lazy()
        .filter(
            col("school_id")
                .is_null()
                .or(col("year").is_null())
                .or(col("list_name").is_null()),
        )
        .select([col(LINE), reason.alias("reason")])
        .collect()?;
    if bad.height() == 0 {
        return Ok(());
    }
    let lines = bad.column(LINE)?.cast(&DataType::Int64)?;
    let reasons = bad.column("reason")?.str()?.clone();
    let named: Vec<String> = (0..bad.height().min(5))
        .map(|i| {
            format!(
                "строка {}: {}",
                lines.i64().map(|l| l.get(i).unwrap_or(0)).unwrap_or(0),
                reasons.get(i).unwrap_or("")
            )
        })
        .collect();
    bail!(
        "{name}: непригодных строк {}: {}{}; исправьте их, чтобы история была полной",
        bad.height(),
        named.join("; "),
        if bad.height() > 5 { "; …" } else { "" }
    )
}

/// A warning when earlier lists hold years not before `current`: they
/// cannot be "previous" and are not used (a list dated by the year it was
/// published, or a wrong year).
pub fn not_before(lists: &DataFrame, current: i32) -> Result<Option<String>> {
    let late = lists
        .clone()
        .lazy()
        .filter(col("year").gt_eq(lit(current)))
        .group_by([col("year")])
        .agg([len().alias("rows")])
        .sort(["year"], SortMultipleOptions::default())
        .collect()?;
    if late.height() == 0 {
        return Ok(None);
    }
    let years = late.column("year")?.i32()?.clone();
    let rows = late.column("rows")?.cast(&DataType::Int64)?;
    let named: Vec<String> = years
        .iter()
        .zip(rows.i64()?.iter())
        .map(|(y, n)| format!("{} — строк: {}", y.unwrap_or(0), n.unwrap_or(0)))
        .collect();
    Ok(Some(format!(
        "в прежних списках есть годы не раньше текущего {current}: {}; такие строки не учитываются \
         как прежние — проверьте год списка (год результатов, по которым он составлен)",
        named.join(", ")
    )))
}
