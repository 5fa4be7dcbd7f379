//! Checking the social-condition survey (school social passports): one row
//! per school and year, any number of indicator columns.

use anyhow::{Result, bail};
use polars::prelude::*;

use super::{
    Check, Checked, Values, apply_checks, blank_row_check, empty_frame, not_whole, number, quoted,
    repeat_check, school_checks, text, with_known_school,
};
use crate::ingest::RawTable;
use crate::ingest::table::LINE;

/// Columns of a survey that describe the school rather than measure it.
const DESCRIPTIVE: [&str; 5] = [
    "school_id",
    "year",
    "school_name",
    "municipality",
    "settlement_type",
];

/// Indicator columns of a survey file.
pub fn indicator_columns(table: &RawTable) -> Vec<String> {
    table
        .frame
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .filter(|c| c != LINE && !DESCRIPTIVE.contains(&c.as_str()) && c != "school_kind")
        .collect()
}

/// Checks a survey file and returns the indicators `used` in long form:
/// `school_id`, `year`, `indicator`, `value`, `__line` (missing values are
/// absent rows). A row with a bad key is rejected whole; a bad value only
/// loses that value.
pub fn check_survey(table: &RawTable, registry: &DataFrame, used: &[String]) -> Result<Checked> {
    for c in ["school_id", "year"] {
        if !table.has(c) {
            bail!(
                "{}: в анкете нет столбца `{c}`; нужны school_id, year и столбцы показателей (доли 0–1)",
                table.name
            );
        }
    }
    let indicators: Vec<String> = indicator_columns(table)
        .into_iter()
        .filter(|c| used.contains(c))
        .collect();
    let rows = checked_rows(table, registry)?;
    let mut long_parts = Vec::with_capacity(indicators.len());
    let mut rejected = vec![rows.rejected.lazy()];
    for indicator in &indicators {
        let checked = checked_cells(&rows.valid, table, indicator)?;
        rejected.push(checked.rejected.lazy());
        long_parts.push(checked.valid.lazy().select([
            col("school_id"),
            col("year"),
            col("indicator"),
            col("value"),
            col(LINE),
        ]));
    }
    let valid = if long_parts.is_empty() {
        empty_long()
    } else {
        concat(long_parts, UnionArgs::default())?.collect()?
    };
    let rejected = concat(rejected, UnionArgs::default())?.collect()?;
    Ok(Checked { valid, rejected })
}

/// The survey's rows with their school and year checked: a registry school,
/// a whole year, one row per school and year.
fn checked_rows(table: &RawTable, registry: &DataFrame) -> Result<Checked> {
    let keyed = table
        .frame
        .clone()
        .lazy()
        .with_columns([
            text("school_id").alias("school_id"),
            text("year").alias("raw_year"),
            number("year", false).alias("year_number"),
        ])
        .with_columns([col("year_number").cast(DataType::Int32).alias("year")]);
    let keyed = with_known_school(keyed, registry)
        .with_column(
            col(LINE)
                .first()
                .over([col("school_id"), col("year")])?
                .alias("first_line"),
        )
        .sort([LINE], SortMultipleOptions::default());
    let mut row_checks = vec![blank_row_check(table)];
    row_checks.extend(school_checks(Values::Shown, registry)?);
    row_checks.extend([
        Check::new(
            "year",
            col("year_number")
                .is_null()
                .or(not_whole(col("year_number"))),
            quoted("год ", col("raw_year"), " — не целое число"),
        ),
        repeat_check("school_id", "эта школа за этот год уже есть в анкете"),
    ]);
    apply_checks(keyed, row_checks, &table.name)
}

/// One indicator's filled cells in long form, each a non-negative number;
/// a cell set aside names the indicator's column.
fn checked_cells(rows: &DataFrame, table: &RawTable, indicator: &str) -> Result<Checked> {
    let comma = table.dialect.is_none_or(|d| d.decimal_comma);
    let cells = rows
        .clone()
        .lazy()
        .select([
            col("school_id"),
            col("year"),
            col(LINE),
            lit(indicator).alias("indicator"),
            text(indicator).alias("raw"),
            number(indicator, comma).alias("value"),
        ])
        .filter(col("raw").is_not_null());
    let cell_check = |condition: Expr, what: &str| {
        Check::new(
            "indicator",
            condition,
            quoted(
                &format!("{indicator}: значение "),
                col("raw"),
                &format!(" {what}; показатель для школы не учитывается"),
            ),
        )
    };
    let checked = apply_checks(
        cells,
        vec![
            cell_check(
                col("value").is_null().or(col("value").is_nan()),
                "— не число",
            ),
            // Shares, counts, ratios and areas are never negative.
            cell_check(col("value").lt(lit(0.0)), "отрицательно"),
        ],
        &table.name,
    )?;
    // The check reports the generic column "indicator"; name the real one.
    let rejected = checked
        .rejected
        .lazy()
        .with_column(lit(indicator).alias("column"))
        .collect()?;
    Ok(Checked {
        valid: checked.valid,
        rejected,
    })
}

/// The long survey table with no rows.
pub fn empty_long() -> DataFrame {
    empty_frame(&[
        ("school_id", DataType::String),
        ("year", DataType::Int32),
        ("indicator", DataType::String),
        ("value", DataType::Float64),
        (LINE, IDX_DTYPE),
    ])
}
/// Warnings for the indicators of the survey `year` that cannot tell
/// schools apart (one school, or the same value everywhere): the risk score
/// skips them, and with none left no school can be ШНСУ.
pub fn spread_warnings(long: &DataFrame, year: i32) -> Result<Vec<String>> {
    let spread = long
        .clone()
        .lazy()
        .filter(col("year").eq(lit(year)))
        .group_by([col("indicator")])
        .agg([
            col("school_id").n_unique().alias("schools"),
            (col("value").max() - col("value").min()).alias("range"),
        ])
        .sort(["indicator"], SortMultipleOptions::default())
        .collect()?;
    let indicators = spread.column("indicator")?.str()?.clone();
    let schools = spread.column("schools")?.cast(&DataType::Int64)?;
    let schools = schools.i64()?;
    let range = spread.column("range")?.f64()?.clone();
    let mut flat = Vec::new();
    for i in 0..spread.height() {
        let name = indicators.get(i).unwrap_or("");
        match (schools.get(i), range.get(i)) {
            (Some(n), _) if n < 2 => flat.push(format!("{name} (дан одной школой)")),
            (_, Some(0.0)) => flat.push(format!("{name} (одинаков у всех школ)")),
            _ => {}
        }
    }
    let mut warnings = Vec::new();
    if !flat.is_empty() {
        warnings.push(format!(
            "в анкете {year} года показатели не различают школы: {}; в показателе социального \
             риска они не учитываются",
            flat.join(", ")
        ));
    }
    if spread.height() > 0 && flat.len() == spread.height() {
        warnings.push(format!(
            "ШНСУ не выявить: ни один показатель анкеты {year} года не различает школы"
        ));
    }
    Ok(warnings)
}
