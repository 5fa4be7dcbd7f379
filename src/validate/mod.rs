//! Stage 2: turn raw tables into typed, canonical rows. Every row either
//! passes or is set aside with its file, line, column and a reason a person can
//! act on; nothing is dropped without a trace.

pub mod indicators;
pub mod previous_lists;
pub mod results;
pub mod rules;
pub mod school_ids;
pub mod schools;
mod shown;
pub mod survey;

pub use shown::{PERSON, Values, quoted, quoted_as};

use anyhow::Result;
use polars::prelude::*;

use crate::ingest::RawTable;
use crate::ingest::table::LINE;
pub use rules::not_whole;

/// One rule a row must satisfy.
pub struct Check {
    /// Column the problem is reported against.
    pub column: &'static str,
    /// True when the row breaks the rule.
    pub broken: Expr,
    /// What the user reads.
    pub reason: Expr,
}

impl Check {
    pub fn new(column: &'static str, broken: Expr, reason: impl Into<Expr>) -> Self {
        Self {
            column,
            broken,
            reason: reason.into(),
        }
    }
}

/// A table split into rows that passed every check and rows that did not.
pub struct Checked {
    pub valid: DataFrame,
    pub rejected: DataFrame,
}

/// Applies the checks in order; a row is rejected for the first one it breaks.
pub fn apply_checks(frame: LazyFrame, checks: Vec<Check>, file: &str) -> Result<Checked> {
    // First the number of the first broken rule, from cheap boolean
    // expressions over every row; the messages are then built for the
    // rejected rows only (building them for every row dominated the run).
    let first_broken = if checks.is_empty() {
        lit(NULL).cast(DataType::UInt32)
    } else {
        coalesce(
            &checks
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    when(c.broken.clone().fill_null(false))
                        .then(lit(i as u32))
                        .otherwise(lit(NULL).cast(DataType::UInt32))
                })
                .collect::<Vec<_>>(),
        )
    };
    let marked = frame.with_column(first_broken.alias("__check")).collect()?;
    let valid = marked
        .clone()
        .lazy()
        .filter(col("__check").is_null())
        .drop(cols(["__check"]))
        .collect()?;
    let bad = marked
        .lazy()
        .filter(col("__check").is_not_null())
        .collect()?;
    if bad.height() == 0 {
        return Ok(Checked {
            valid,
            rejected: empty_rejected(),
        });
    }
    let pick = |value: &dyn Fn(&Check) -> Expr| {
        coalesce(
            &checks
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    when(col("__check").eq(lit(i as u32)))
                        .then(value(c))
                        .otherwise(lit(NULL).cast(DataType::String))
                })
                .collect::<Vec<_>>(),
        )
    };
    let rejected = bad
        .lazy()
        .select([
            lit(file).alias("file"),
            col(LINE).cast(DataType::Int64).alias("line"),
            pick(&|c| lit(c.column)).alias("column"),
            pick(&|c| c.reason.clone()).alias("reason"),
        ])
        .collect()?;
    Ok(Checked { valid, rejected })
}

/// The count in the first row of `column` (a one-row table of sums), 0 when
/// it is empty.
pub fn first_count(frame: &DataFrame, column: &str) -> Result<u64> {
    Ok(frame
        .column(column)?
        .cast(&DataType::UInt64)?
        .u64()?
        .get(0)
        .unwrap_or(0))
}

/// The rejected-rows table with no rows.
pub fn empty_rejected() -> DataFrame {
    empty_frame(&[
        ("file", DataType::String),
        ("line", DataType::Int64),
        ("column", DataType::String),
        ("reason", DataType::String),
    ])
}

/// A table with these columns and no rows.
pub fn empty_frame(columns: &[(&str, DataType)]) -> DataFrame {
    DataFrame::new(
        0,
        columns
            .iter()
            .map(|(name, dtype)| Column::new_empty((*name).into(), dtype))
            .collect(),
    )
    .expect("columns of length 0")
}

/// The checks every table keyed by school makes: a school_id is present and
/// in the registry (`known_school`, from a join with it).
pub fn school_checks(values: Values, registry: &DataFrame) -> Result<Vec<Check>> {
    Ok(vec![
        Check::new(
            "school_id",
            col("school_id").is_null(),
            lit("не указан school_id"),
        ),
        Check::new(
            "school_id",
            col("known_school").not(),
            shown::not_in_registry(values, registry)?,
        ),
    ])
}

/// Adds `known_school`: whether the row's `school_id` is in the registry.
pub fn with_known_school(frame: LazyFrame, registry: &DataFrame) -> LazyFrame {
    let known = registry
        .clone()
        .lazy()
        .select([col("school_id"), lit(true).alias("known_school")]);
    frame
        .join(
            known,
            [col("school_id")],
            [col("school_id")],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(col("known_school").fill_null(false))
}

/// A line with no value in any cell (a blank line, or only delimiters): set
/// aside as such rather than for the first column it lacks.
pub fn blank_row_check(table: &RawTable) -> Check {
    let cells: Vec<Expr> = table
        .frame
        .get_column_names()
        .iter()
        .filter(|c| c.as_str() != LINE)
        .map(|c| text(c).is_null())
        .collect();
    let blank = if cells.is_empty() {
        lit(false)
    } else {
        all_horizontal(cells).expect("columns are given")
    };
    Check::new(
        "(вся строка)",
        blank,
        lit("пустая строка: ни одной заполненной ячейки"),
    )
}

/// The row repeats a key seen on an earlier line (`first_line`, from
/// `first().over(key)`); the earlier row wins.
pub fn repeat_check(column: &'static str, what: &str) -> Check {
    Check::new(
        column,
        col(LINE).neq(col("first_line")),
        concat_str(
            [
                lit(format!("{what} (впервые в строке ")),
                col("first_line").cast(DataType::String),
                lit("); учтена первая строка"),
            ],
            "",
            false,
        ),
    )
}

/// Cell texts that exports use for "no value".
pub const PLACEHOLDERS: [&str; 7] = ["x", "х", "—", "–", "-", "нет отметки", "нет данных"];

/// The placeholders in the spellings they arrive in (lower case, upper
/// case, capitalised): compared as they are, so no cell is lower-cased.
fn placeholder_spellings() -> Series {
    let mut all: Vec<String> = Vec::new();
    for p in PLACEHOLDERS {
        let mut chars = p.chars();
        let capitalised: String = chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        for v in [p.to_string(), p.to_uppercase(), capitalised] {
            if !all.contains(&v) {
                all.push(v);
            }
        }
    }
    Series::new("placeholders".into(), all)
}

/// The trimmed text of a column; empty text and placeholders («X», «—»,
/// «нет отметки», …) are missing.
pub fn text(name: &str) -> Expr {
    let trimmed = col(name)
        .cast(DataType::String)
        .str()
        .strip_chars(lit(NULL));
    let placeholder = trimmed
        .clone()
        .is_in(lit(placeholder_spellings()).implode(false), false);
    when(trimmed.clone().str().len_bytes().eq(lit(0)).or(placeholder))
        .then(lit(NULL).cast(DataType::String))
        .otherwise(trimmed)
        .alias(name)
}

/// A column read as a number; a decimal comma is accepted when the file uses
/// one. Unparsable text becomes null (and is reported by a check).
pub fn number(name: &str, decimal_comma: bool) -> Expr {
    parse_number(text(name), decimal_comma)
}

/// [`text`], cheap when the file already typed the column as a number
/// (Parquet): no trimming or placeholders to look for.
pub fn source_text(schema: &Schema, name: &str) -> Expr {
    match schema.get(name) {
        Some(dtype) if dtype.is_primitive_numeric() => col(name).cast(DataType::String).alias(name),
        _ => text(name),
    }
}

/// Text already cleaned by [`text`] parsed as a number.
pub fn parse_number(text: Expr, decimal_comma: bool) -> Expr {
    let t = if decimal_comma {
        text.str().replace_all(lit(","), lit("."), true)
    } else {
        text
    };
    finite(t.cast(DataType::Float64))
}

/// A number, or null when it is NaN or infinite (`NaN`, `inf`, `1e309`):
/// such a value compares oddly with every threshold, so it is never a
/// number here and the checks report the cell.
pub fn finite(value: Expr) -> Expr {
    when(value.clone().is_finite())
        .then(value)
        .otherwise(lit(NULL).cast(DataType::Float64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_broken_check_wins_and_valid_rows_stay() {
        let frame = df!(
            LINE => [2u32, 3, 4],
            "mark" => ["5", "abc", "7"],
        )
        .unwrap();
        let mark = number("mark", true);
        let checks = vec![
            Check::new(
                "mark",
                text("mark").is_not_null().and(mark.clone().is_null()),
                quoted("mark ", text("mark"), " is not a number"),
            ),
            Check::new("mark", mark.clone().gt(lit(5.0)), lit("mark outside 2–5")),
        ];
        let checked = apply_checks(frame.lazy(), checks, "f.csv").unwrap();
        assert_eq!(checked.valid.height(), 1);
        let reasons: Vec<_> = checked
            .rejected
            .column("reason")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .map(str::to_string)
            .collect();
        assert_eq!(reasons, ["mark «abc» is not a number", "mark outside 2–5"]);
        let lines: Vec<_> = checked
            .rejected
            .column("line")
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(lines, [3, 4]);
    }

    #[test]
    fn decimal_comma_numbers_parse() {
        let frame = df!("x" => [" 3,5 ", "", "2"]).unwrap();
        let out = frame.lazy().select([number("x", true)]).collect().unwrap();
        let values: Vec<_> = out.column("x").unwrap().f64().unwrap().iter().collect();
        assert_eq!(values, [Some(3.5), None, Some(2.0)]);
    }
}
