//! Checking assessment result files: student rows (mark and/or score) or
//! school aggregates (participants and failed / fail_share / fail_percent).

use std::fmt::Write as _;

use anyhow::{Result, bail};
use polars::prelude::*;
use serde::Serialize;

use super::rules::{GRADES, MARKS, YEARS, absent, negative, neither_mark_nor_score, not_whole};
use super::{
    Check, Checked, PERSON, Values, apply_checks, blank_row_check, finite, number, parse_number,
    quoted, quoted_as, repeat_check, school_checks, source_text, text, with_known_school,
};
use crate::ingest::RawTable;
use crate::ingest::format::InputRole;
use crate::ingest::normalize::{known_assessments, normalize_assessment, normalize_subject};
use crate::ingest::table::LINE;
use crate::methodology::min_scores::MinScores;

/// Columns every results file needs.
pub const KEY_COLUMNS: [&str; 5] = ["school_id", "year", "assessment", "subject", "grade"];

/// The two shapes a results file can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultsForm {
    /// One row per participant: `mark` and/or `score`.
    Student,
    /// One row per procedure: `participants` and a failure column.
    Aggregate,
}

/// Which column of an aggregate file gives the failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FailureColumn {
    Count,
    Share,
    Percent,
}

/// One line that describes how a table was read.
pub fn describe(role: InputRole, form: Option<ResultsForm>, table: &RawTable) -> String {
    let mut line = format!("{} ({}", table.name, role.label());
    if let Some(form) = form {
        let form = match form {
            ResultsForm::Student => "строки участников",
            ResultsForm::Aggregate => "итоги по школам",
        };
        write!(line, ", {form}").unwrap();
    }
    match &table.dialect {
        Some(d) => write!(
            line,
            "; CSV {}, разделитель «{}», десятичная запятая {}",
            d.encoding,
            if d.delimiter == b'\t' {
                "tab".to_string()
            } else {
                (d.delimiter as char).to_string()
            },
            if d.decimal_comma { "да" } else { "нет" }
        )
        .unwrap(),
        None => write!(line, "; {}", table.format.label()).unwrap(),
    }
    if let Some(adapter) = &table.adapter {
        write!(line, "; адаптер {adapter}").unwrap();
    }
    if let Some(layout) = table.layout {
        write!(line, "; раскладка «{}»", layout.title).unwrap();
    }
    write!(line, "): строк {}", table.rows()).unwrap();
    line
}

/// Decides the form of a file from its columns.
pub fn detect_form(table: &RawTable) -> Result<ResultsForm> {
    let missing: Vec<&str> = KEY_COLUMNS
        .iter()
        .copied()
        .filter(|c| !table.has(c))
        .collect();
    let found = table
        .columns
        .iter()
        .map(|c| c.found.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let known_parts = |d: char| {
        found
            .split(d)
            .filter(|p| crate::ingest::normalize::known_column(p).is_some())
            .count()
    };
    if let Some(d) = [';', ',', '\t']
        .into_iter()
        .find(|d| table.columns.len() == 1 && known_parts(*d) >= 2)
    {
        bail!(
            "{}: заголовок прочитан как один столбец «{found}»: похоже, разделитель в файле `{}`; \
             проверьте разделитель (--delimiter)",
            table.name,
            if d == '\t' {
                "tab".to_string()
            } else {
                d.to_string()
            }
        );
    }
    if !missing.is_empty() {
        bail!(
            "{}: нет столбцов {}; в файле результатов нужны {} и либо mark/score (строки участников), \
             либо participants с failed, fail_share или fail_percent (итоги по школам). Найдены столбцы: {}",
            table.name,
            missing.join(", "),
            KEY_COLUMNS.join(", "),
            column_list(table)
        );
    }
    let aggregate = table.has("participants")
        && ["failed", "fail_share", "fail_percent"]
            .iter()
            .any(|c| table.has(c));
    if aggregate {
        return Ok(ResultsForm::Aggregate);
    }
    if table.has("mark") || table.has("score") {
        return Ok(ResultsForm::Student);
    }
    bail!(
        "{}: не понять, строки участников это или итоги по школам: добавьте `mark` или `score` \
         (строка на участника) либо `participants` с `failed`, `fail_share` или `fail_percent` \
         (строка на процедуру). Найдены столбцы: {}",
        table.name,
        column_list(table)
    )
}

/// The header as found, for a message; when no column of it is one the
/// tool knows, the "header" is most likely a first data row (a participant's
/// id and score), so it is described, not quoted. A bare number («2», «5»:
/// the ФИС ОКО mark columns) is no proof of a header: a data row has them.
pub fn column_list(table: &RawTable) -> String {
    let known = table.columns.iter().any(|c| {
        crate::ingest::normalize::known_column(&c.found).is_some()
            && c.found.chars().any(char::is_alphabetic)
    });
    if !known {
        return format!(
            "{} столбц(ов), ни одного знакомого: похоже, в файле нет строки заголовка и первая строка — \
             данные (не показаны); добавьте заголовок",
            table.columns.len()
        );
    }
    table
        .frame
        .get_column_names()
        .iter()
        .filter(|c| c.as_str() != LINE)
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The columns that identify a procedure.
pub const PROCEDURE_KEY: [&str; 5] = ["school_id", "year", "assessment", "subject", "grade"];

/// What a checked results file gives the next stage.
pub struct CheckedResults {
    pub form: ResultsForm,
    /// Student: keys, mark, score, min_score. Aggregate: keys, participants,
    /// failed, plus `__line`. Keys are canonical. Absent participants are
    /// in neither table.
    pub checked: Checked,
    /// Rows of participants marked absent: not participants, not rejected.
    pub absent: usize,
    /// The absent rows per procedure: the key and `absent`.
    pub absent_by_procedure: Option<DataFrame>,
}

/// A warning when participants of a student-level file have a mark that
/// their score contradicts on the scale (a «2» with a score at or above the
/// pass line, or a passing mark below it): the mark is what counts, and the
/// disagreement is said (a scale of another year, or a mistyped mark).
pub fn scale_disagreements(file: &str, c: &CheckedResults) -> Result<Option<String>> {
    let valid = &c.checked.valid;
    if c.form != ResultsForm::Student || !valid.schema().contains("min_score") {
        return Ok(None);
    }
    let counted = valid
        .clone()
        .lazy()
        .filter(
            col("mark")
                .is_not_null()
                .and(col("score").is_not_null())
                .and(col("min_score").is_not_null()),
        )
        .select([
            col("mark")
                .eq(lit(2))
                .and(col("score").gt_eq(col("min_score")))
                .sum()
                .alias("two"),
            col("mark")
                .gt(lit(2))
                .and(col("score").lt(col("min_score")))
                .sum()
                .alias("pass"),
        ])
        .collect()?;
    let count = |c: &str| super::first_count(&counted, c);
    let (two, pass) = (count("two")?, count("pass")?);
    if two + pass == 0 {
        return Ok(None);
    }
    Ok(Some(format!(
        "{file}: отметка расходится со шкалой перевода баллов у {} участников («2» при балле не ниже \
         порога: {two}; «3»–«5» при балле ниже порога: {pass}); учтена отметка. Проверьте шкалу \
         (failure.scales) и отметки в файле",
        two + pass
    )))
}

/// The absent rows of valid student rows, counted per procedure; `None`
/// when there are none.
fn absent_by_procedure(valid: &DataFrame) -> Result<Option<DataFrame>> {
    if !valid.schema().contains("absent") {
        return Ok(None);
    }
    let counted = valid
        .clone()
        .lazy()
        .filter(col("absent"))
        .group_by(PROCEDURE_KEY.map(col))
        .agg([len().cast(DataType::Int64).alias("absent")])
        .collect()?;
    Ok((counted.height() > 0).then_some(counted))
}

/// Checks one results file against the registry and the minimum scores.
pub fn check_results(
    table: &RawTable,
    (registry, aliases): (&DataFrame, &DataFrame),
    min_scores: &MinScores,
) -> Result<CheckedResults> {
    let (form, checked) = check_rows(table, (registry, aliases), min_scores)?;
    let keep: Vec<Expr> = match form {
        ResultsForm::Student => [
            "school_id",
            "year",
            "assessment",
            "subject",
            "grade",
            "mark",
            "score",
            "min_score",
            "max_3",
            "max_4",
            "journal_mark",
        ]
        .iter()
        .map(|c| col(*c))
        .collect(),
        ResultsForm::Aggregate => [
            "school_id",
            "year",
            "assessment",
            "subject",
            "grade",
            "participants",
            "failed",
            LINE,
        ]
        .iter()
        .map(|c| col(*c))
        .chain(crate::measure::statistics::columns())
        .collect(),
    };
    let absent = count_absent(&checked.valid)?;
    let absent_by_procedure = absent_by_procedure(&checked.valid)?;
    let valid = present(checked.valid).select(keep).collect()?;
    Ok(CheckedResults {
        form,
        checked: Checked {
            valid,
            rejected: checked.rejected,
        },
        absent,
        absent_by_procedure,
    })
}

/// The valid student rows of a file that names its participants: the
/// procedure key, `participant_id` (trimmed), the line, mark, score and
/// minimum score. None for aggregates and files without `participant_id`.
pub fn participant_rows(
    table: &RawTable,
    (registry, aliases): (&DataFrame, &DataFrame),
    min_scores: &MinScores,
) -> Result<Option<LazyFrame>> {
    let columns = [
        "school_id",
        "year",
        "assessment",
        "subject",
        "grade",
        "participant_id",
        LINE,
        "mark",
        "score",
        "min_score",
        "max_3",
        "max_4",
        "journal_mark",
    ];
    let (form, checked) = check_rows(table, (registry, aliases), min_scores)?;
    let rows = present(checked.valid);
    if form != ResultsForm::Student || !table.has("participant_id") {
        return Ok(None);
    }
    Ok(Some(
        rows.with_column(text("participant_id"))
            .select(columns.map(col))
            .filter(col("participant_id").is_not_null()),
    ))
}

/// The rows of participants who sat the work (aggregates have no `absent`).
fn present(valid: DataFrame) -> LazyFrame {
    if valid.schema().contains("absent") {
        valid.lazy().filter(col("absent").not())
    } else {
        valid.lazy()
    }
}

fn count_absent(valid: &DataFrame) -> Result<usize> {
    Ok(match valid.column("absent") {
        Ok(c) => c.bool()?.sum().unwrap_or(0) as usize,
        Err(_) => 0,
    })
}

/// Every check of a results file; the valid rows keep every column.
fn check_rows(
    table: &RawTable,
    (registry, aliases): (&DataFrame, &DataFrame),
    min_scores: &MinScores,
) -> Result<(ResultsForm, Checked)> {
    let form = detect_form(table)?;
    let comma = table.dialect.is_none_or(|d| d.decimal_comma);
    let keyed = canonical_keys(table, registry, aliases)?;
    let values = match form {
        ResultsForm::Student => Values::Personal,
        ResultsForm::Aggregate => Values::Shown,
    };
    let mut checks = vec![blank_row_check(table)];
    checks.extend(key_checks(values, registry)?);
    let frame = match form {
        ResultsForm::Student => {
            let person = if table.has("participant_id") {
                text("participant_id").fill_null(col(LINE).cast(DataType::String))
            } else {
                col(LINE).cast(DataType::String)
            };
            let frame = with_min_scores(student_columns(keyed, table, comma), min_scores)?
                .with_column(person.alias(PERSON));
            // An absent participant has no result to check: the rules of
            // marks and scores skip the row (its keys are still checked).
            checks.extend(student_checks().into_iter().map(|c| Check {
                broken: c.broken.and(col("absent").not()),
                ..c
            }));
            if table.has("participant_id") {
                // The same participant twice in one procedure would be counted
                // twice; the message names lines, never the participant.
                let key = [
                    col("school_id"),
                    col("year"),
                    col("assessment"),
                    col("subject"),
                    col("grade"),
                    text("participant_id"),
                ];
                let frame = frame.with_column(
                    when(text("participant_id").is_not_null())
                        .then(col(LINE).first().over(key)?)
                        .otherwise(col(LINE))
                        .alias("first_line"),
                );
                checks.push(repeat_check(
                    "participant_id",
                    "этот участник уже есть в этой процедуре",
                ));
                frame
            } else {
                frame
            }
        }
        ResultsForm::Aggregate => {
            let failure = if table.has("failed") {
                FailureColumn::Count
            } else if table.has("fail_share") {
                FailureColumn::Share
            } else {
                FailureColumn::Percent
            };
            let given = AggregateParts::of(table);
            let frame = aggregate_columns(keyed, failure, comma).with_columns(given.sums(comma));
            checks.extend(aggregate_checks(failure));
            checks.extend(given.checks(comma));
            frame
        }
    };
    Ok((form, apply_checks(frame, checks, &table.name)?))
}

/// Adds parsed keys (`school_id`, `year`, `grade`, canonical `assessment` and
/// `subject`) next to the raw text (`raw_*`), and `known_school`.
fn canonical_keys(
    table: &RawTable,
    registry: &DataFrame,
    aliases: &DataFrame,
) -> Result<LazyFrame> {
    let schema = table.frame.schema().clone();
    let base = table
        .frame
        .clone()
        .lazy()
        .with_columns([
            text("school_id").alias("school_id"),
            source_text(&schema, "year").alias("raw_year"),
            source_text(&schema, "grade").alias("raw_grade"),
            text("assessment").alias("raw_assessment"),
            text("subject").alias("raw_subject"),
        ])
        .collect()?;
    let base = super::school_ids::to_registry_ids(base, aliases)?;
    let assessments = code_table(&base, "raw_assessment", "assessment", |raw| {
        normalize_assessment(raw).map(str::to_string)
    })?;
    let subjects = code_table(&base, "raw_subject", "subject", |raw| {
        Some(normalize_subject(raw))
    })?;
    Ok(with_known_school(
        base.lazy()
            .drop(cols(["assessment", "subject"]))
            .join(
                assessments,
                [col("raw_assessment")],
                [col("raw_assessment")],
                JoinArgs::new(JoinType::Left),
            )
            .join(
                subjects,
                [col("raw_subject")],
                [col("raw_subject")],
                JoinArgs::new(JoinType::Left),
            ),
        registry,
    )
    .with_columns([
        typed_or_parsed(&schema, "year", "raw_year").alias("year_number"),
        typed_or_parsed(&schema, "grade", "raw_grade").alias("grade_number"),
    ])
    .with_columns([
        col("year_number").cast(DataType::Int32).alias("year"),
        col("grade_number").cast(DataType::Int32).alias("grade"),
        col("known_school").fill_null(false),
    ])
    .sort([LINE], SortMultipleOptions::default()))
}

/// A two-column table mapping each distinct raw value to its canonical code;
/// the mapping runs once per distinct value, not once per row.
fn code_table(
    frame: &DataFrame,
    raw: &str,
    code: &str,
    map: impl Fn(&str) -> Option<String>,
) -> Result<LazyFrame> {
    let distinct = frame.column(raw)?.unique_stable()?;
    let raws: Vec<Option<String>> = distinct
        .str()?
        .iter()
        .map(|v| v.map(str::to_string))
        .collect();
    let codes: Vec<Option<String>> = raws.iter().map(|r| r.as_deref().and_then(&map)).collect();
    Ok(df!(raw => raws, code => codes)?
        .lazy()
        .filter(col(raw).is_not_null()))
}

fn key_checks(values: Values, registry: &DataFrame) -> Result<Vec<Check>> {
    let mut checks = school_checks(values, registry)?;
    checks.extend([
        Check::new(
            "year",
            col("raw_year").is_null(),
            lit("не указан год (year)"),
        ),
        Check::new(
            "year",
            col("year_number")
                .is_null()
                .or(not_whole(col("year_number"))),
            quoted_as("год ", col("raw_year"), " — не целое число", values),
        ),
        Check::new(
            "year",
            col("year_number")
                .gt_eq(lit(EXCEL_SERIAL_2000))
                .and(col("year_number").lt(lit(EXCEL_SERIAL_2101))),
            concat_str(
                [
                    quoted_as("год ", col("raw_year"), " похож на дату Excel (", values),
                    excel_date(col("year_number")),
                    lit("): запишите в ячейку год числом, например 2025"),
                ],
                "",
                false,
            ),
        ),
        Check::new(
            "year",
            YEARS.outside(col("year")),
            quoted_as(
                "год ",
                col("raw_year"),
                &format!(" вне {}", YEARS.words()),
                values,
            ),
        ),
        Check::new(
            "assessment",
            col("raw_assessment").is_null(),
            lit("не указана процедура (assessment)"),
        ),
        Check::new(
            "assessment",
            col("assessment").is_null(),
            quoted_as(
                "неизвестная процедура ",
                col("raw_assessment"),
                &format!("; укажите {}", one_of(&known_assessments())),
                values,
            ),
        ),
        Check::new(
            "subject",
            col("raw_subject").is_null(),
            lit("не указан предмет (subject)"),
        ),
        Check::new(
            "grade",
            col("raw_grade").is_null(),
            lit("не указан класс (grade)"),
        ),
        Check::new(
            "grade",
            col("grade_number")
                .is_null()
                .or(not_whole(col("grade_number"))),
            quoted_as("класс ", col("raw_grade"), " — не целое число", values),
        ),
        Check::new(
            "grade",
            GRADES.outside(col("grade")),
            quoted_as(
                "класс ",
                col("raw_grade"),
                &format!(" вне {}", GRADES.words()),
                values,
            ),
        ),
    ]);
    Ok(checks)
}

/// `a, b или c`.
fn one_of(names: &[&str]) -> String {
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} или {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Excel's day numbers of 1 January 2000 and 2101: a year cell formatted
/// as a date holds one of these instead of the year.
const EXCEL_SERIAL_2000: f64 = 36_526.0;
const EXCEL_SERIAL_2101: f64 = 73_051.0;

/// An Excel day number as the date it shows, `dd.mm.yyyy`.
fn excel_date(serial: Expr) -> Expr {
    // Day 25569 is 1 January 1970, polars' day 0.
    (serial - lit(25_569.0))
        .floor()
        .cast(DataType::Int32)
        .cast(DataType::Date)
        .dt()
        .to_string("%d.%m.%Y")
}

/// A number column: typed columns (Parquet) are numbers already; text is
/// parsed once, from its cleaned form `raw`.
fn typed_or_parsed_with(schema: &Schema, name: &str, raw: &str, comma: bool) -> Expr {
    match schema.get(name) {
        Some(dtype) if dtype.is_primitive_numeric() => finite(col(name).cast(DataType::Float64)),
        _ => parse_number(col(raw), comma),
    }
}

fn typed_or_parsed(schema: &Schema, name: &str, raw: &str) -> Expr {
    typed_or_parsed_with(schema, name, raw, false)
}

fn student_columns(keyed: LazyFrame, table: &RawTable, comma: bool) -> LazyFrame {
    let schema = table.frame.schema().clone();
    let raw = |name: &str| {
        if table.has(name) {
            source_text(&schema, name)
        } else {
            lit(NULL).cast(DataType::String)
        }
    };
    let parsed = |name: &str, raw: &str| typed_or_parsed_with(&schema, name, raw, comma);
    keyed
        .with_columns([
            raw("mark").alias("raw_mark"),
            raw("score").alias("raw_score"),
        ])
        .with_columns([
            parsed("mark", "raw_mark").alias("mark_number"),
            parsed("score", "raw_score").alias("score"),
            raw("journal_mark").alias("raw_journal_mark"),
        ])
        .with_columns([
            col("mark_number").cast(DataType::Int32).alias("mark"),
            // The journal mark only compares: anything but a whole 2–5 is
            // no journal mark, and the row still counts.
            crate::measure::statistics::journal_mark(parsed("journal_mark", "raw_journal_mark")),
        ])
        .with_column(
            absent(vec![raw("variant"), col("raw_mark"), col("raw_score")]).alias("absent"),
        )
}

/// Joins the minimum score for each (assessment, subject, grade, year).
fn with_min_scores(frame: LazyFrame, min_scores: &MinScores) -> Result<LazyFrame> {
    let frame = frame.collect()?;
    let (mut works, keys) = crate::methodology::min_scores::distinct_works(&frame)?;
    let lookup = |k: &Option<crate::methodology::min_scores::WorkKey>| {
        k.as_ref().map(|(a, s, g, y)| {
            (
                min_scores.lookup(a, s, *g, *y),
                min_scores.upper_marks(a, s, *g, *y),
            )
        })
    };
    let found: Vec<_> = keys.iter().map(lookup).collect();
    let minimum: Vec<Option<f64>> = found.iter().map(|f| f.and_then(|f| f.0)).collect();
    let upper: Vec<Option<(f64, f64)>> = found.iter().map(|f| f.and_then(|f| f.1)).collect();
    works.with_column(Column::new("min_score".into(), minimum))?;
    works.with_column(Column::new(
        "max_3".into(),
        upper.iter().map(|u| u.map(|u| u.0)).collect::<Vec<_>>(),
    ))?;
    works.with_column(Column::new(
        "max_4".into(),
        upper.iter().map(|u| u.map(|u| u.1)).collect::<Vec<_>>(),
    ))?;
    let args = JoinArgs {
        nulls_equal: true,
        ..JoinArgs::new(JoinType::Left)
    };
    Ok(
        crate::methodology::min_scores::join_works(frame.lazy(), works, args)
            .sort([LINE], SortMultipleOptions::default()),
    )
}

fn student_checks() -> Vec<Check> {
    vec![
        Check::new(
            "mark",
            col("raw_mark").is_not_null().and(
                col("mark_number")
                    .is_null()
                    .or(not_whole(col("mark_number"))),
            ),
            lit("отметка (mark) — не целое число"),
        ),
        Check::new(
            "mark",
            MARKS.outside(col("mark")),
            lit(format!("отметка (mark) вне {}", MARKS.words())),
        ),
        Check::new(
            "score",
            col("raw_score").is_not_null().and(col("score").is_null()),
            lit("балл (score) — не число"),
        ),
        Check::new(
            "score",
            negative(col("score")),
            lit("отрицательный балл (score)"),
        ),
        Check::new(
            "mark",
            neither_mark_nor_score(col("mark"), col("score")),
            lit("нет ни отметки, ни балла: по строке нельзя понять, получил ли участник «2»"),
        ),
        Check::new(
            "score",
            col("mark").is_null().and(col("min_score").is_null()),
            concat_str(
                [
                    lit("нет отметки и нет минимального балла для "),
                    col("assessment"),
                    lit(" "),
                    col("subject"),
                    lit(" "),
                    col("year").cast(DataType::String),
                    lit(
                        "; добавьте его в таблицу минимальных баллов (методика: failure.min_scores) или шкалу перевода первичных баллов (failure.extra_scales)",
                    ),
                ],
                "",
                false,
            ),
        ),
    ]
}

fn aggregate_columns(keyed: LazyFrame, failure: FailureColumn, comma: bool) -> LazyFrame {
    let participants = number("participants", comma);
    let failed = match failure {
        FailureColumn::Count => number("failed", comma),
        FailureColumn::Share => number("fail_share", comma) * participants.clone(),
        FailureColumn::Percent => number("fail_percent", comma) * participants.clone() / lit(100.0),
    };
    let share = match failure {
        FailureColumn::Count => lit(NULL).cast(DataType::Float64),
        FailureColumn::Share => number("fail_share", comma),
        FailureColumn::Percent => number("fail_percent", comma) / lit(100.0),
    };
    let raw_failure = match failure {
        FailureColumn::Count => text("failed"),
        FailureColumn::Share => text("fail_share"),
        FailureColumn::Percent => text("fail_percent"),
    };
    keyed
        .with_columns([
            text("participants").alias("raw_participants"),
            participants.alias("participants_number"),
            raw_failure.alias("raw_failure"),
            failed.alias("failed_number"),
            share.alias("share_given"),
        ])
        .with_columns([
            col("participants_number")
                .cast(DataType::Int64)
                .alias("participants"),
            // A share times participants is rounded to the nearest count:
            // published percentages are rounded, counts are whole.
            col("failed_number")
                .round(0, RoundMode::HalfAwayFromZero)
                .cast(DataType::Int64)
                .alias("failed"),
        ])
}

/// The parts of an aggregate beyond the count of «2»: the marks «3», «4»,
/// «5» (ФИС ОКО «Статистика по отметкам») and the comparison with the
/// journal mark («Сравнение отметок с отметками по журналу»), each as
/// counts or as percents of the participants.
struct AggregateParts {
    /// Per mark 3, 4, 5: the column that gives it, and whether a percent.
    marks: Vec<(&'static str, bool)>,
    /// «Понизили» and «повысили»: the column and whether a percent.
    journal: Vec<(&'static str, bool)>,
}

impl AggregateParts {
    fn of(table: &RawTable) -> Self {
        let given = |count: &'static str, percent: &'static str| {
            if table.has(count) {
                Some((count, false))
            } else if table.has(percent) {
                Some((percent, true))
            } else {
                None
            }
        };
        let marks: Option<Vec<_>> = [
            ("marks_3", "marks_3_percent"),
            ("marks_4", "marks_4_percent"),
            ("marks_5", "marks_5_percent"),
        ]
        .into_iter()
        .map(|(c, p)| given(c, p))
        .collect();
        let journal: Option<Vec<_>> = [
            ("journal_lower", "journal_lower_percent"),
            ("journal_higher", "journal_higher_percent"),
        ]
        .into_iter()
        .map(|(c, p)| given(c, p))
        .collect();
        Self {
            marks: marks.unwrap_or_default(),
            journal: journal.unwrap_or_default(),
        }
    }

    /// A count from its column: as given, or the percent of the
    /// participants rounded to the nearest whole (percents are rounded).
    fn count((column, percent): (&str, bool), comma: bool) -> Expr {
        let value = number(column, comma);
        let value = if percent {
            value * col("participants_number") / lit(100.0)
        } else {
            value
        };
        value
            .round(0, RoundMode::HalfAwayFromZero)
            .cast(DataType::Int64)
    }

    /// The additive statistics of the row (statistics::SUMS): what the file
    /// gives, empty for the rest (never 0: an aggregate has no scores).
    fn sums(&self, comma: bool) -> Vec<Expr> {
        let none = || lit(NULL).cast(DataType::Int64);
        let marks = !self.marks.is_empty();
        let journal = !self.journal.is_empty();
        let mark = |i: usize| match marks {
            true => Self::count(self.marks[i], comma),
            false => none(),
        };
        let compared = |i: usize| match journal {
            true => Self::count(self.journal[i], comma),
            false => none(),
        };
        let all = || col("participants_number").cast(DataType::Int64);
        crate::measure::statistics::SUMS
            .iter()
            .map(|(name, dtype)| {
                let e = match *name {
                    "marked" if marks => all(),
                    "marks_2" if marks => col("failed"),
                    "marks_3" => mark(0),
                    "marks_4" => mark(1),
                    "marks_5" => mark(2),
                    "journal_compared" if journal => all(),
                    "journal_lower" => compared(0),
                    "journal_higher" => compared(1),
                    _ => none(),
                };
                e.cast(dtype.clone()).alias(*name)
            })
            .collect()
    }

    /// Each given part is a number within 0–100 % of the participants.
    fn checks(&self, comma: bool) -> Vec<Check> {
        self.marks
            .iter()
            .chain(&self.journal)
            .map(|&(column, percent)| {
                let value = number(column, comma);
                let top = if percent {
                    lit(100.0)
                } else {
                    col("participants_number")
                };
                Check::new(
                    column,
                    text(column).is_not_null().and(
                        value
                            .clone()
                            .is_null()
                            .or(value.clone().lt(lit(0.0)))
                            .or(value.gt(top)),
                    ),
                    quoted(
                        &format!("{column} "),
                        text(column),
                        if percent {
                            " — не процент 0–100"
                        } else {
                            " — не число от 0 до числа участников"
                        },
                    ),
                )
            })
            .collect()
    }
}

/// More participants than one school's procedure can have: a typo, or an
/// integer too large to count with.
const MAX_PARTICIPANTS: i64 = 1_000_000;

fn aggregate_checks(failure: FailureColumn) -> Vec<Check> {
    let mut checks = participants_checks();
    checks.extend(failure_checks(failure));
    checks
}

/// The number of participants: given, whole, at least 1, not absurd.
fn participants_checks() -> Vec<Check> {
    let about = |what: &str| quoted("число участников ", col("raw_participants"), what);
    vec![
        Check::new(
            "participants",
            col("raw_participants").is_null(),
            lit("не указано число участников (participants)"),
        ),
        Check::new(
            "participants",
            col("participants_number")
                .is_null()
                .or(not_whole(col("participants_number"))),
            about(" — не целое число"),
        ),
        Check::new(
            "participants",
            col("participants_number").gt(lit(MAX_PARTICIPANTS)),
            about(&format!(
                " больше, чем бывает в процедуре (не более {MAX_PARTICIPANTS})"
            )),
        ),
        Check::new(
            "participants",
            col("participants").lt(lit(1)),
            about(": в процедуре должен быть хотя бы 1 участник"),
        ),
    ]
}

/// The failures, in whichever of its three forms the file gives them:
/// given, a number, in range, not more than the participants.
fn failure_checks(failure: FailureColumn) -> Vec<Check> {
    let column = match failure {
        FailureColumn::Count => "failed",
        FailureColumn::Share => "fail_share",
        FailureColumn::Percent => "fail_percent",
    };
    let share_outside = || {
        col("share_given")
            .lt(lit(0.0))
            .or(col("share_given").gt(lit(1.0)))
    };
    let form = match failure {
        FailureColumn::Count => Check::new(
            column,
            not_whole(col("failed_number")),
            quoted("failed ", col("raw_failure"), " — не целое число"),
        ),
        FailureColumn::Share => Check::new(
            column,
            share_outside(),
            quoted(
                "fail_share ",
                col("raw_failure"),
                " вне 0–1 (проценты дайте в столбце fail_percent)",
            ),
        ),
        FailureColumn::Percent => Check::new(
            column,
            share_outside(),
            quoted("fail_percent ", col("raw_failure"), " вне 0–100"),
        ),
    };
    vec![
        Check::new(
            column,
            col("raw_failure").is_null(),
            lit(format!("не указан {column}")),
        ),
        Check::new(
            column,
            col("failed_number").is_null(),
            quoted(&format!("{column} "), col("raw_failure"), " — не число"),
        ),
        form,
        Check::new(
            column,
            col("failed").lt(lit(0)),
            quoted(
                &format!("{column} "),
                col("raw_failure"),
                " — отрицательное число",
            ),
        ),
        Check::new(
            column,
            col("failed").gt(col("participants")),
            concat_str(
                [
                    lit("failed "),
                    col("failed").cast(DataType::String),
                    lit(" больше числа участников "),
                    col("participants").cast(DataType::String),
                ],
                "",
                false,
            ),
        ),
    ]
}
