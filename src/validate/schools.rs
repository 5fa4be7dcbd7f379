//! Checking the school registry (`schools.csv`).

use anyhow::{Result, bail};
use polars::prelude::*;

use super::{Check, Checked, apply_checks, blank_row_check, repeat_check, text};
use crate::ingest::RawTable;
use crate::ingest::table::LINE;

pub const REQUIRED: [&str; 3] = ["school_id", "school_name", "municipality"];
pub const OPTIONAL: [&str; 3] = ["settlement_type", "school_kind", "region"];

/// The registry: one row per school, sorted by `school_id`, with the columns
/// of [`REQUIRED`] and [`OPTIONAL`] (null where the file has none).
pub fn check_schools(table: &RawTable) -> Result<Checked> {
    let missing: Vec<&str> = REQUIRED.iter().copied().filter(|c| !table.has(c)).collect();
    if !missing.is_empty() {
        bail!(
            "{}: в реестре школ нет столбцов {}; нужны {} (необязательные: {}). Найдены столбцы: {}",
            table.name,
            missing.join(", "),
            REQUIRED.join(", "),
            OPTIONAL.join(", "),
            super::results::column_list(table)
        );
    }
    let mut columns: Vec<Expr> = REQUIRED.iter().map(|c| text(c).alias(*c)).collect();
    for c in OPTIONAL {
        columns.push(if table.has(c) {
            text(c).alias(c)
        } else {
            lit(NULL).cast(DataType::String).alias(c)
        });
    }
    columns.push(col(LINE));
    let frame = table
        .frame
        .clone()
        .lazy()
        .select(columns)
        .with_columns([col(LINE)
            .first()
            .over([col("school_id")])?
            .alias("first_line")]);
    let checks = vec![
        blank_row_check(table),
        Check::new(
            "school_id",
            col("school_id").is_null(),
            lit("не указан school_id"),
        ),
        repeat_check("school_id", "этот school_id уже встречался"),
    ];
    let checked = apply_checks(frame, checks, &table.name)?;
    let mut names: Vec<&str> = REQUIRED.to_vec();
    names.extend(OPTIONAL);
    let valid = checked
        .valid
        .lazy()
        .select(names.iter().map(|c| col(*c)).collect::<Vec<_>>())
        .sort(["school_id"], SortMultipleOptions::default())
        .collect()?;
    if valid.height() == 0 {
        bail!("{}: в реестре школ нет пригодных строк", table.name);
    }
    Ok(Checked {
        valid,
        rejected: checked.rejected,
    })
}
