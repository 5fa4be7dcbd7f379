//! Checking the social-condition survey (school social passports): one row
//! per school and year, any number of indicator columns.

use anyhow::{Result, bail};
use polars::prelude::*;

use super::indicators::IndicatorUse;
use super::parse_number;
use super::{
    Check, Checked, Values, apply_checks, blank_row_check, empty_frame, not_whole, number, quoted,
    repeat_check, school_checks, text, with_known_school,
};
use crate::ingest::RawTable;
use crate::ingest::indicators::Unit;
use crate::ingest::table::LINE;

/// Columns of a survey that describe the school rather than measure it.
const DESCRIPTIVE: [&str; 9] = [
    "school_id",
    "year",
    "school_name",
    "municipality",
    "settlement_type",
    "region",
    "region_code",
    "uploaded_at",
    "row_number",
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
pub fn check_survey(
    table: &RawTable,
    registry: &DataFrame,
    used: &[IndicatorUse],
) -> Result<(Checked, Vec<String>)> {
    for c in ["school_id", "year"] {
        if !table.has(c) {
            bail!(
                "{}: в анкете нет столбца `{c}`; нужны school_id, year и столбцы показателей (доли 0–1)",
                table.name
            );
        }
    }
    let indicators: Vec<IndicatorUse> = indicator_columns(table)
        .into_iter()
        .filter_map(|c| used.iter().find(|u| u.name == c).cloned())
        .collect();
    let rows = checked_rows(table, registry)?;
    let mut long_parts = Vec::with_capacity(indicators.len());
    let mut rejected = vec![rows.rejected.lazy()];
    let mut notes = Vec::new();
    for indicator in &indicators {
        let checked = checked_cells(&rows.valid, table, indicator, &mut notes)?;
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
    Ok((Checked { valid, rejected }, notes))
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

/// Words a passport writes for yes and no.
const YES: [&str; 4] = ["да", "есть", "имеется", "yes"];
const NO: [&str; 4] = ["нет", "отсутствует", "не имеется", "no"];

/// A passport cell as a number: да/есть → 1, нет → 0; «82%», «82 %» and
/// «14/82%» (count and percent) → 0.82; «4) Населенный пункт сельского
/// типа» (a questionnaire answer) → its code 4; otherwise the number, with
/// a decimal comma when the file uses one. Null when it is none of these.
pub fn passport_value(raw: Expr, decimal_comma: bool) -> Expr {
    let t = raw.str().to_lowercase();
    let any_of = |words: &[&str]| {
        words
            .iter()
            .map(|w| t.clone().eq(lit(*w)))
            .reduce(Expr::or)
            .expect("words")
    };
    let decimal = r"[0-9]+(?:[.,][0-9]+)?";
    let percent_of = t
        .clone()
        .str()
        .extract(lit(format!(r"^(?:{decimal}\s*/\s*)?({decimal})\s*%$")), 1);
    let share_of_count = t
        .clone()
        .str()
        .extract(lit(format!(r"^{decimal}\s*/\s*({decimal})$")), 1);
    let code = t.clone().str().extract(lit(r"^([0-9]+)\s*\)"), 1);
    let as_number = |e: Expr| parse_number(e.str().replace_all(lit(","), lit("."), true), false);
    when(any_of(&YES))
        .then(lit(1.0))
        .when(any_of(&NO))
        .then(lit(0.0))
        .when(percent_of.clone().is_not_null())
        .then(as_number(percent_of) / lit(100.0))
        // «40/85» beside «14/82%»: the second number is the percent.
        .when(share_of_count.clone().is_not_null())
        .then(as_number(share_of_count) / lit(100.0))
        .when(code.clone().is_not_null())
        .then(as_number(code))
        .otherwise(parse_number(t, decimal_comma))
}

/// One indicator's filled cells in long form, each a non-negative number;
/// a cell set aside names the indicator's column. A share written as a
/// percent (a value above 1 in a column the dictionary calls a share) is
/// read as a percent, and `notes` says so.
fn checked_cells(
    rows: &DataFrame,
    table: &RawTable,
    indicator: &IndicatorUse,
    notes: &mut Vec<String>,
) -> Result<Checked> {
    let comma = table.dialect.is_none_or(|d| d.decimal_comma);
    let name = indicator.name.as_str();
    let cells = rows
        .clone()
        .lazy()
        .select([
            col("school_id"),
            col("year"),
            col(LINE),
            lit(name).alias("indicator"),
            text(name).alias("raw"),
            passport_value(text(name), comma).alias("value"),
        ])
        .filter(col("raw").is_not_null())
        .collect()?;
    let share = indicator.unit == Some(Unit::Share);
    let cells = if share && !indicator.derived {
        in_shares(cells, table, indicator, notes)?
    } else {
        cells
    };
    let indicator_derived = indicator.derived;
    let indicator = name;
    let cells = cells.lazy();
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
            cell_check(
                lit(share).and(col("value").gt(lit(1.0))),
                if indicator_derived {
                    "— доля больше 1: количество больше числа, из которого оно взято (проверьте ответы анкеты)"
                } else {
                    "— доля больше 100 %"
                },
            ),
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

/// A share column whose plain numbers run above 1 is in percent: those
/// numbers are divided by 100 (cells written with «%» already were).
fn in_shares(
    cells: DataFrame,
    table: &RawTable,
    indicator: &IndicatorUse,
    notes: &mut Vec<String>,
) -> Result<DataFrame> {
    let plain = col("raw").str().contains(lit("[%/]"), false).not();
    let top = cells
        .clone()
        .lazy()
        .filter(plain.clone())
        .select([col("value").max()])
        .collect()?;
    let top = top.column("value")?.f64()?.get(0).unwrap_or(0.0);
    if top <= 1.0 {
        return Ok(cells);
    }
    notes.push(format!(
        "{}: показатель {} («{}») — доля, а значения доходят до {}: прочитаны как проценты (÷ 100)",
        table.name,
        indicator.name,
        indicator.header,
        crate::russian::plain(top)
    ));
    Ok(cells
        .lazy()
        .with_column(
            when(plain)
                .then(col("value") / lit(100.0))
                .otherwise(col("value"))
                .alias("value"),
        )
        .collect()?)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passport_cells_read_as_numbers() {
        let cells = [
            ("да", Some(1.0)),
            ("Есть", Some(1.0)),
            ("нет", Some(0.0)),
            ("82%", Some(0.82)),
            ("82 %", Some(0.82)),
            ("14/82%", Some(0.82)),
            ("40/85", Some(0.85)),
            ("3/6,4%", Some(0.064)),
            ("4) Населенный пункт сельского типа", Some(4.0)),
            ("1) Менее 1 тыс. человек", Some(1.0)),
            ("0,28", Some(0.28)),
            ("12", Some(12.0)),
            ("Сорск", None),
        ];
        let frame = df!("raw" => cells.iter().map(|(c, _)| *c).collect::<Vec<_>>()).unwrap();
        let out = frame
            .lazy()
            .select([passport_value(col("raw"), true).alias("value")])
            .collect()
            .unwrap();
        let got: Vec<Option<f64>> = out.column("value").unwrap().f64().unwrap().iter().collect();
        for ((cell, want), got) in cells.iter().zip(got) {
            match (want, got) {
                (Some(w), Some(g)) => assert!((w - g).abs() < 1e-9, "{cell}: {g}"),
                (None, None) => {}
                _ => panic!("{cell}: {got:?}"),
            }
        }
    }
}
