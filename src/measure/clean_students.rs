//! The fast path for student rows. Most student-level exports are clean:
//! every row would pass the checks of [`crate::validate::results`]. Such a
//! file is scanned with typed columns by polars' streaming engine and counted
//! straight into procedures, without checking every cell as text and without
//! holding its rows.
//!
//! The path proves a file clean before it counts it. One streaming pass
//! groups the rows by (school, year, assessment, subject, grade) as written —
//! and, for rows without a mark, by score — counting in each group the rows,
//! the marks of 2, and the rows that break a rule of [`crate::validate::rules`]
//! (the full path's row rules, stated once for both: a whole grade in 1–11,
//! a whole mark in 2–5, no negative score, a mark or a score). The
//! same pass hashes each (participant, subject) to find repeats. The checks that need
//! another table run once per group or per distinct spelling: a school in the
//! registry, a known assessment, a subject, a whole year, a minimum score for
//! rows without a mark, no participant twice in a procedure. At the first
//! doubt — a cell that does not parse as its type, any row the full checks
//! would set aside — it returns `None`, and the caller reads the file with
//! the full checks, which name every row set aside. Both paths give the same
//! procedures (`tests/fast_path.rs` runs the samples both ways).

use std::io::Cursor;

use anyhow::Result;
use polars::prelude::*;

use crate::ingest::format::InputFormat;
use crate::ingest::normalize::{canonical_column, normalize_assessment, normalize_subject};
use crate::ingest::table::{
    Bytes, Content, LoadedFile, RawTable, RowChecks, canonical_columns, csv_options,
};
use crate::measure::procedures::PROCEDURE_KEY;
use crate::measure::row_hash::{has_repeated_hash, row_hash};
use crate::methodology::min_scores::MinScores;
use crate::validate::results::{ResultsForm, detect_form};
use crate::validate::rules::{
    GRADES, MARKS, Range, YEARS, negative, neither_mark_nor_score, not_whole,
};
use crate::validate::{PLACEHOLDERS, text};

/// The columns the fast path reads, with the type each is parsed as.
const COLUMNS: [(&str, DataType); 9] = [
    ("school_id", DataType::String),
    ("year", DataType::Int32),
    ("assessment", DataType::String),
    ("subject", DataType::String),
    ("grade", DataType::Int32),
    ("participant_id", DataType::String),
    ("mark", DataType::Int32),
    ("score", DataType::Float64),
    ("journal_mark", DataType::Int32),
];

/// A clean student-level file counted into procedures.
pub struct CountedFile {
    /// The table as the full reader would describe it, its rows not kept.
    pub table: RawTable,
    /// Its (journal mark, score) pairs per procedure.
    pub pairs: DataFrame,
    /// One row per procedure: the key, `participants`, `failed`.
    pub procedures: DataFrame,
}

/// Counts a student-level file when every row is clean; `None` when the file
/// is not student rows, or when any row needs the full checks.
pub fn count_if_clean(
    loaded: &LoadedFile,
    registry_ids: &Series,
    min_scores: &MinScores,
) -> Result<Option<CountedFile>> {
    let Some((rows, mut table)) = scan(loaded)? else {
        return Ok(None);
    };
    let Some((procedures, pairs, row_count)) = count(rows, &table, registry_ids, min_scores)?
    else {
        return Ok(None);
    };
    table.row_count = row_count;
    Ok(Some(CountedFile {
        table,
        procedures,
        pairs,
    }))
}

/// A lazy scan of the file's student columns, typed and named canonically,
/// and the table's description. `None` when the file is not student rows or
/// cannot be scanned typed.
fn scan(loaded: &LoadedFile) -> Result<Option<(LazyFrame, RawTable)>> {
    let source = || ScanSources::Buffers(Arc::new([loaded_bytes(loaded)]));
    let (header, scan, dialect) = match &loaded.content {
        Content::Csv { text, dialect } => {
            if dialect.decimal_comma && dialect.delimiter == b',' {
                // polars cannot split on the comma that numbers use.
                return Ok(None);
            }
            // The header line alone: the reader given the whole text costs
            // up to 20 ms per file even for no rows.
            let header_line = memchr::memchr(b'\n', text).map_or(text.len(), |end| end + 1);
            let header = csv_options(*dialect)
                .with_infer_schema_length(Some(0))
                .with_n_rows(Some(0))
                .into_reader_with_file_handle(Cursor::new(text[..header_line].to_vec()))
                .finish();
            let Ok(header) = header else {
                return Ok(None);
            };
            let mut types = Schema::default();
            for original in header.get_column_names() {
                let canonical = canonical_column(original);
                if let Some((_, dtype)) = COLUMNS.iter().find(|(c, _)| *c == canonical) {
                    types.insert(original.clone(), dtype.clone());
                }
            }
            let scan = LazyCsvReader::new_with_sources(source())
                .with_has_header(true)
                .with_separator(dialect.delimiter)
                // Without a quote anywhere, lines are found without
                // tracking quotes (measurably faster on large files).
                .with_quote_char(memchr::memchr(b'"', text).map(|_| b'"'))
                .with_missing_is_null(true)
                .with_decimal_comma(dialect.decimal_comma)
                .with_infer_schema_length(Some(0))
                .with_dtype_overwrite(Some(Arc::new(types)))
                .finish();
            (header, scan, Some(*dialect))
        }
        Content::Parquet(_) => {
            let args = ScanArgsParquet {
                hive_options: HiveOptions {
                    enabled: Some(false),
                    ..Default::default()
                },
                ..Default::default()
            };
            let Ok(mut scan) = LazyFrame::scan_parquet_sources(source(), args) else {
                return Ok(None);
            };
            let Ok(schema) = scan.collect_schema() else {
                return Ok(None);
            };
            if schema
                .iter_values()
                .any(|t| t.is_nested() || t == &DataType::Binary)
            {
                // The full read names or leaves out such columns.
                return Ok(None);
            }
            (DataFrame::empty_with_schema(&schema), Ok(scan), None)
        }
        Content::Workbook(_) => return Ok(None),
    };
    let Ok(scan) = scan else {
        return Ok(None);
    };
    let originals = header.get_column_names_owned();
    let Ok((header, columns)) = canonical_columns(header, &loaded.name) else {
        return Ok(None);
    };
    let table = RawTable {
        name: loaded.name.clone(),
        path: loaded.path.clone(),
        format: loaded.content.format(),
        sha256: loaded.sha256.clone(),
        bytes: loaded.bytes,
        dialect,
        columns,
        adapter: None,
        row_count: 0,
        frame: header,
        checks: RowChecks::TypedScan,
        layout: None,
        inferred: Vec::new(),
        header: None,
        filtered_out: Vec::new(),
        personal_data: Vec::new(),
    };
    if !matches!(detect_form(&table), Ok(ResultsForm::Student)) {
        return Ok(None);
    }
    // The canonical name of each column, as `canonical_columns` gave it
    // (it drops unnamed columns, and only those).
    let renamed: Vec<Expr> = originals
        .iter()
        .filter(|o| !canonical_column(o).is_empty())
        .zip(table.frame.get_column_names())
        .filter(|(_, canonical)| COLUMNS.iter().any(|(c, _)| *c == canonical.as_str()))
        .map(|(original, canonical)| col(original.clone()).alias(canonical.clone()))
        .collect();
    Ok(Some((scan.select(renamed), table)))
}

fn loaded_bytes(loaded: &LoadedFile) -> Bytes {
    match &loaded.content {
        Content::Csv { text, .. } => text.clone(),
        Content::Parquet(bytes) | Content::Workbook(bytes) => bytes.clone(),
    }
}

/// A column of the scan, cast to the type the checks use (numbers as
/// Float64, so that a fractional year or mark from Parquet is caught).
fn column(table: &RawTable, name: &str, dtype: DataType) -> Expr {
    if table.has(name) {
        col(name).strict_cast(dtype).alias(name)
    } else {
        lit(NULL).cast(dtype).alias(name)
    }
}

/// Counts the rows into procedures, or `None` at the first doubt; also
/// returns the number of rows.
fn count(
    rows: LazyFrame,
    table: &RawTable,
    registry_ids: &Series,
    min_scores: &MinScores,
) -> Result<Option<(DataFrame, DataFrame, usize)>> {
    let typed = rows
        .select([
            column(table, "school_id", DataType::String),
            column(table, "year", DataType::Float64),
            column(table, "assessment", DataType::String),
            column(table, "subject", DataType::String),
            column(table, "grade", DataType::Float64),
            column(table, "mark", DataType::Float64),
            column(table, "score", DataType::Float64),
            column(table, "participant_id", DataType::String),
            column(table, "journal_mark", DataType::Float64),
        ])
        .with_column(crate::measure::statistics::journal_mark(col(
            "journal_mark",
        )));
    let Some((groups, raw_pairs)) = grouped_if_unrepeated(typed, table)? else {
        return Ok(None);
    };
    let Some(keys) = canonical_triples(&groups, min_scores)? else {
        return Ok(None);
    };
    let pairs = canonical_pairs(raw_pairs, &keys)?;
    if !groups_are_clean(&groups, registry_ids)? {
        return Ok(None);
    }
    let row_count = groups.column("rows")?.i64()?.sum().unwrap_or(0) as usize;
    let Some(procedures) = resolved_procedures(&groups, keys)? else {
        return Ok(None);
    };
    let counted: i64 = procedures.column("participants")?.i64()?.sum().unwrap_or(0);
    if counted as usize != row_count {
        return Ok(None);
    }
    Ok(Some((procedures, pairs, row_count)))
}

/// Rows keyed as written joined to their canonical keys (`canonical_*`).
fn with_canonical_keys(rows: LazyFrame, keys: &DataFrame) -> LazyFrame {
    rows.join(
        keys.clone().lazy(),
        [col("assessment"), col("subject"), col("year"), col("grade")],
        [
            col("raw_assessment"),
            col("raw_subject"),
            col("raw_year"),
            col("raw_grade"),
        ],
        JoinArgs::new(JoinType::Inner),
    )
}

/// The (journal mark, score) pairs under the canonical procedure keys.
fn canonical_pairs(raw: DataFrame, keys: &DataFrame) -> Result<DataFrame> {
    Ok(with_canonical_keys(raw.lazy(), keys)
        .select([
            col("school_id"),
            col("canonical_year").alias("year"),
            col("canonical_assessment").alias("assessment"),
            col("canonical_subject").alias("subject"),
            col("grade").cast(DataType::Int32),
            col("journal_mark"),
            col("score"),
            col("pairs"),
        ])
        .collect()?)
}

/// One streaming pass: the rows grouped by procedure as written (and, for
/// rows without a mark, by score) with their counts of rows, marks of 2 and
/// doubtful rows. `None` when a cell is not its type or a participant sits
/// a procedure twice.
fn grouped_if_unrepeated(
    typed: LazyFrame,
    table: &RawTable,
) -> Result<Option<(DataFrame, DataFrame)>> {
    let mark = col("mark");
    // Rows without a mark fail by their score, against a minimum known only
    // once the procedure's spelling is resolved, so they are grouped by
    // score; rows with a mark are counted per procedure as they stream.
    let unmarked_score = when(mark.clone().is_null())
        .then(col("score"))
        .otherwise(lit(NULL).cast(DataType::Float64))
        .alias("score");
    // Their journal marks too, to compare with the mark the scale gives.
    let unmarked_journal = when(mark.clone().is_null())
        .then(col("journal_mark"))
        .otherwise(lit(NULL).cast(DataType::Int32))
        .alias("unmarked_journal");
    let groups = typed
        .clone()
        .group_by([
            col("school_id"),
            col("year"),
            col("assessment"),
            col("subject"),
            col("grade"),
            unmarked_score,
            unmarked_journal,
        ])
        .agg(
            [
                len().cast(DataType::Int64).alias("rows"),
                mark.clone()
                    .eq(lit(2.0))
                    .sum()
                    .cast(DataType::Int64)
                    .alias("failed_by_mark"),
                row_is_clean()
                    .not()
                    .sum()
                    .cast(DataType::Int64)
                    .alias("doubtful"),
                // The highest score of a «2» and the lowest of a passing mark:
                // a mark the scale contradicts sends the file to the full
                // checks, which count and say it. (As `when`, not `filter`:
                // a filter inside the aggregation is no streaming reduction;
                // alone it took a national file's group-by from 3.4 to 5.9 s.)
                score_where(mark.clone().eq(lit(2.0)))
                    .max()
                    .alias("top_score_of_two"),
                score_where(mark.gt(lit(2.0)))
                    .min()
                    .alias("low_score_of_pass"),
            ]
            .into_iter()
            .chain(crate::measure::statistics::over_students(col("mark")))
            .collect::<Vec<_>>(),
        );
    // The pairs for the rank correlation, on the same pass.
    let pairs = crate::measure::score_ranks::pairs(typed.clone(), 1);
    let mut plans = vec![groups.logical_plan, pairs.logical_plan];
    if table.has("participant_id") {
        plans.push(
            typed
                .clone()
                .filter(col("participant_id").is_not_null())
                .select([participant_subject_hash()])
                .logical_plan,
        );
    }
    let Ok(mut results) = collect_plans(plans, table.format) else {
        // A cell that is not its type (a placeholder, a typo): the full
        // checks say which and where.
        return Ok(None);
    };
    // A repeated hash is the cheap sign of a repeated (participant,
    // subject), or of two hashes colliding; the exact test, on every key
    // column, runs only after it.
    if let Some(hashes) = results.get(2)
        && has_repeated_hash(hashes.column("participant_subject")?)?
        && has_repeated_participant(typed)?
    {
        return Ok(None);
    }
    let pairs = results.swap_remove(1);
    Ok(Some((results.swap_remove(0), pairs)))
}

/// Collects the plans over one file. A Parquet file's plans are collected
/// one by one, each decoding the file again: collected together they share
/// one scan, whose rows wait in buffers for the slowest plan (on a national
/// file 3–5 GB and 8–11 s, against 2.5 GB and 5–7 s apart). A CSV file's
/// share one scan all the same: parsing the text is the dearer part (12–14 s
/// together against 25 s apart).
fn collect_plans(plans: Vec<DslPlan>, format: InputFormat) -> PolarsResult<Vec<DataFrame>> {
    if format == InputFormat::Csv {
        return LazyFrame::collect_all_with_engine(plans, Engine::Streaming, OptFlags::default());
    }
    plans
        .into_iter()
        .map(|plan| {
            LazyFrame::from(plan)
                .collect_with_engine(Engine::Streaming)
                .map(|r| r.unwrap_single())
        })
        .collect()
}

/// The score where `condition` holds, else null.
fn score_where(condition: Expr) -> Expr {
    when(condition)
        .then(col("score"))
        .otherwise(lit(NULL).cast(DataType::Float64))
}

/// The groups under their canonical procedure keys, with the failures by
/// score added: one row per procedure. `None` when a score has no minimum.
fn resolved_procedures(groups: &DataFrame, keys: DataFrame) -> Result<Option<DataFrame>> {
    let failed = col("failed_by_mark")
        + when(col("score").is_not_null())
            .then(col("score").lt(col("min_score")).cast(DataType::Int64) * col("rows"))
            .otherwise(lit(0i64));
    // Each spelling resolves to its own procedure (`canonical_triples`
    // refuses two spellings of one), so groups without a score are already
    // one row per procedure.
    let resolved = with_canonical_keys(groups.clone().lazy(), &keys)
        .select(
            [
                col("school_id"),
                col("canonical_year").alias("year"),
                col("canonical_assessment").alias("assessment"),
                col("canonical_subject").alias("subject"),
                col("grade").cast(DataType::Int32),
                col("rows").alias("participants"),
                failed.alias("failed"),
                col("score").is_not_null().alias("by_score"),
                col("score")
                    .is_not_null()
                    .and(col("min_score").is_null())
                    .alias("without_minimum"),
                col("top_score_of_two")
                    .gt_eq(col("min_score"))
                    .or(col("low_score_of_pass").lt(col("min_score")))
                    .fill_null(false)
                    .alias("mark_against_scale"),
            ]
            .into_iter()
            .chain(crate::measure::statistics::plus_scale_marks())
            .collect::<Vec<_>>(),
        )
        .collect()?;
    if resolved.column("without_minimum")?.bool()?.any()
        || resolved.column("mark_against_scale")?.bool()?.any()
    {
        return Ok(None);
    }
    let by_score = resolved.column("by_score")?.bool()?.any();
    let resolved = resolved.lazy().select(
        [
            cols(PROCEDURE_KEY).as_expr(),
            col("participants"),
            col("failed"),
        ]
        .into_iter()
        .chain(crate::measure::statistics::columns())
        .collect::<Vec<_>>(),
    );
    Ok(Some(if by_score {
        resolved
            .group_by(PROCEDURE_KEY.map(col))
            .agg(
                [col("participants").sum(), col("failed").sum()]
                    .into_iter()
                    .chain(crate::measure::statistics::summed())
                    .collect::<Vec<_>>(),
            )
            .collect()?
    } else {
        resolved.collect()?
    }))
}

/// True for a row that passes the row checks of the full path that need no
/// other table: a grade that is a whole number in 1–11, a mark that is a
/// whole number in 2–5, no negative score, and a score where there is no
/// mark (its minimum is checked with the triples).
fn row_is_clean() -> Expr {
    let grade = col("grade");
    let mark = col("mark");
    let score = col("score");
    // NaN and ±inf compare as numbers in polars; the full path reads them as
    // "not a number" and sets the row aside, so they are doubt here.
    let finite_or_null = |e: Expr| e.clone().is_null().or(e.is_finite());
    let whole_in = |e: Expr, range: Range| not_whole(e.clone()).or(range.outside(e)).not();
    finite_or_null(mark.clone())
        .and(finite_or_null(score.clone()))
        .and(grade.clone().is_finite())
        .and(whole_in(grade, GRADES))
        .and(mark.clone().is_null().or(whole_in(mark.clone(), MARKS)))
        .and(score.clone().is_null().or(negative(score.clone()).not()))
        .and(neither_mark_nor_score(mark, score).not())
        .fill_null(false)
}

/// The canonical assessment, subject, year and minimum score of each
/// (assessment, subject, year) as written; `None` when one would be rejected
/// (unknown assessment, missing subject, a year that is not a whole number
/// in 2000–2100), or when two spellings name the same one (the repeat check
/// ran on spellings).
fn canonical_triples(groups: &DataFrame, min_scores: &MinScores) -> Result<Option<DataFrame>> {
    let keys = groups
        .clone()
        .lazy()
        .select([col("assessment"), col("subject"), col("year"), col("grade")])
        .unique_stable(None, UniqueKeepStrategy::First)
        .collect()?;
    let assessments = keys.column("assessment")?.str()?;
    let subjects = keys.column("subject")?.str()?;
    let years = keys.column("year")?.f64()?;
    let grades = keys.column("grade")?.f64()?;
    let mut raw: (Vec<&str>, Vec<&str>, Vec<f64>, Vec<f64>) = Default::default();
    let mut canonical: Vec<(&'static str, String, i32, i32)> = Vec::new();
    let mut minimums = Vec::new();
    let mut upper = Vec::new();
    for i in 0..keys.height() {
        let (Some(a), Some(s), Some(y), Some(g)) = (
            assessments.get(i),
            subjects.get(i),
            years.get(i),
            grades.get(i),
        ) else {
            return Ok(None);
        };
        let (Some(a_clean), Some(s_clean)) = (cleaned(a), cleaned(s)) else {
            return Ok(None);
        };
        let Some(assessment) = normalize_assessment(a_clean) else {
            return Ok(None);
        };
        // Grades out of range are doubt already (`row_is_clean`).
        if y.fract() != 0.0 || !YEARS.contains(y) || !GRADES.contains(g) || g.fract() != 0.0 {
            return Ok(None);
        }
        let key = (assessment, normalize_subject(s_clean), y as i32, g as i32);
        if canonical.contains(&key) {
            return Ok(None);
        }
        minimums.push(min_scores.lookup(key.0, &key.1, key.3, key.2));
        upper.push(min_scores.upper_marks(key.0, &key.1, key.3, key.2));
        raw.0.push(a);
        raw.1.push(s);
        raw.2.push(y);
        raw.3.push(g);
        canonical.push(key);
    }
    Ok(Some(df!(
        "raw_assessment" => raw.0,
        "raw_subject" => raw.1,
        "raw_year" => raw.2,
        "raw_grade" => raw.3,
        "canonical_assessment" => canonical.iter().map(|k| k.0).collect::<Vec<_>>(),
        "canonical_subject" => canonical.iter().map(|k| k.1.clone()).collect::<Vec<_>>(),
        "canonical_year" => canonical.iter().map(|k| k.2).collect::<Vec<_>>(),
        "min_score" => minimums,
        "max_3" => upper.iter().map(|u| u.map(|u| u.0)).collect::<Vec<_>>(),
        "max_4" => upper.iter().map(|u| u.map(|u| u.1)).collect::<Vec<_>>(),
    )?))
}

/// A cell as the full checks read it: trimmed; empty or a placeholder is
/// missing. (Any case of a placeholder counts, which at worst sends a file
/// to the full checks.)
fn cleaned(raw: &str) -> Option<&str> {
    let t = raw.trim();
    let lower = t.to_lowercase();
    let placeholder = PLACEHOLDERS.contains(&lower.as_str());
    (!t.is_empty() && !placeholder).then_some(t)
}

/// True when every group is clean: its school is in the registry and none
/// of its rows failed [`row_is_clean`].
fn groups_are_clean(groups: &DataFrame, registry_ids: &Series) -> Result<bool> {
    let clean = col("school_id")
        .is_in(lit(registry_ids.clone()).implode(false), false)
        .and(col("doubtful").eq(lit(0i64)))
        .fill_null(false);
    let broken = groups
        .clone()
        .lazy()
        .filter(clean.not())
        .select([len()])
        .collect()?;
    Ok(broken.column("len")?.u32()?.get(0) == Some(0))
}

/// A hash of each row's participant (trimmed, as the full checks compare
/// it) and procedure as written: the key of the exact test, so that a
/// participant who sat the subject in another year or grade, or another
/// school's pupil with the same code, never sends a file to it.
fn participant_subject_hash() -> Expr {
    row_hash(
        vec![
            col("participant_id").str().strip_chars(lit(NULL)),
            col("school_id"),
            col("year").cast(DataType::Int32),
            col("assessment"),
            col("subject"),
            col("grade").cast(DataType::Int32),
        ],
        "participant_subject",
    )
}

/// True when a participant appears twice in one procedure (the full checks
/// set the second row aside).
fn has_repeated_participant(typed: LazyFrame) -> Result<bool> {
    let mut key: Vec<Expr> = PROCEDURE_KEY.iter().map(|c| col(*c)).collect();
    key.push(col("participant_id"));
    let repeated = typed
        .with_column(text("participant_id"))
        .filter(col("participant_id").is_not_null())
        .group_by(key)
        .agg([len().alias("n")])
        .filter(col("n").gt(lit(1)))
        .select([len()])
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single();
    Ok(repeated.column("len")?.u32()?.get(0) != Some(0))
}
