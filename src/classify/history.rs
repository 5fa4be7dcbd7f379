//! Earlier published lists: who was listed before ("повторно") and who
//! entered, stayed on or left each list.

use std::path::Path;

use anyhow::{Result, bail};
use polars::prelude::*;

use crate::ingest::table::LINE;
use crate::ingest::{CsvOverrides, DataDirFiles, RawTable};
use crate::validate::{number, text};

/// Reads every CSV/Parquet file of `dir`: `school_id`, `year`, optional
/// `list` (ШНОР/ШНСУ, default ШНОР). Returns school_id, year, list ('shnor'
/// or 'shnsu'), deduplicated and sorted.
pub fn read_previous_lists(dir: &Path, csv: CsvOverrides) -> Result<(DataFrame, Vec<RawTable>)> {
    let files = DataDirFiles::list_folder(dir)?;
    if files.is_empty() {
        bail!(
            "в папке прежних списков {} нет файлов CSV или Parquet",
            dir.display()
        );
    }
    let tables: Vec<RawTable> = files
        .iter()
        .map(|p| {
            let name = format!(
                "{}/{}",
                dir.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default(),
                p.strip_prefix(dir).unwrap_or(p).display()
            );
            crate::ingest::read_table(p, &name, csv)
        })
        .collect::<Result<_>>()?;
    let mut parts = Vec::new();
    for table in &tables {
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
                when(lower.clone().is_in(
                    lit(Series::new("l".into(), ["шнор", "shnor"])).implode(false),
                    false,
                ))
                .then(lit("shnor"))
                .when(lower.is_in(
                    lit(Series::new("l".into(), ["шнсу", "shnsu"])).implode(false),
                    false,
                ))
                .then(lit("shnsu"))
                .otherwise(lit(NULL).cast(DataType::String))
                .alias("list_name"),
            ])
            .collect()?;
        refuse_unusable_rows(&frame, &table.name)?;
        let frame = frame.select(["school_id", "year", "list_name"])?;
        parts.push(frame.lazy());
    }
    let all = concat(parts, UnionArgs::default())?
        .unique_stable(None, UniqueKeepStrategy::First)
        .sort(
            ["list_name", "year", "school_id"],
            SortMultipleOptions::default(),
        )
        .collect()?;
    Ok((all, tables))
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

/// The lists of this run in the form the history query reads.
pub fn current_lists(decisions: &DataFrame) -> Result<DataFrame> {
    let lf = decisions.clone().lazy();
    Ok(concat(
        [
            lf.clone()
                .filter(col("is_shnor"))
                .select([col("school_id"), lit("shnor").alias("list_name")]),
            lf.filter(col("is_shnsu"))
                .select([col("school_id"), lit("shnsu").alias("list_name")]),
        ],
        UnionArgs::default(),
    )?
    .collect()?)
}
