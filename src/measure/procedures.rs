//! Per-procedure failure counts and shares: one row per school × year ×
//! assessment × subject × grade, with a Wilson score interval for the share.

use anyhow::Result;
use polars::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal};

use crate::ingest::table::LINE;
use crate::measure::row_hash::{has_repeated_hash, row_hash};
use crate::measure::statistics;
use crate::methodology::min_scores::{MinScores, distinct_works, join_works};

pub use crate::validate::results::PROCEDURE_KEY;

fn key_exprs() -> Vec<Expr> {
    PROCEDURE_KEY.iter().map(|c| col(*c)).collect()
}

/// The key and the two counts: the columns of a counted procedure.
fn counted_columns() -> Vec<Expr> {
    key_exprs()
        .into_iter()
        .chain([col("participants"), col("failed")])
        .collect()
}

/// The columns of every counted procedure: the counted columns and the
/// additive statistics (empty where a source does not give them).
fn student_columns() -> Vec<Expr> {
    counted_columns()
        .into_iter()
        .chain(statistics::columns())
        .collect()
}

/// Student rows → procedures. A participant fails with mark 2; without a mark,
/// with a score below the minimum (a score equal to the minimum passes).
pub fn from_students(students: LazyFrame) -> LazyFrame {
    let counts = [
        len().cast(DataType::Int64).alias("participants"),
        col("is_failed").sum().cast(DataType::Int64).alias("failed"),
    ];
    students.with_column(is_failed()).group_by(key_exprs()).agg(
        counts
            .into_iter()
            .chain(statistics::over_students(statistics::result_mark()))
            .collect::<Vec<_>>(),
    )
}

/// Whether a student row counts as failed: mark 2, or without a mark a
/// score below the minimum; as `is_failed`.
pub fn is_failed() -> Expr {
    when(col("mark").is_not_null())
        .then(col("mark").eq(lit(2)))
        .otherwise(col("score").lt(col("min_score")))
        .alias("is_failed")
}

/// Procedures counted file by file, added up: a region may split one exam
/// over several files of student rows.
pub fn sum_parts(parts: Vec<LazyFrame>) -> Result<DataFrame> {
    let all = concat(parts, UnionArgs::default())?
        .select(student_columns())
        .collect()?;
    // Most procedures come from one file, already counted; summing 1.5 M
    // rows on five keys costs more than finding that no key repeats.
    let keys = all
        .clone()
        .lazy()
        .select([row_hash(key_exprs(), "key")])
        .collect()?;
    if !has_repeated_hash(keys.column("key")?)? {
        return Ok(all);
    }
    let sums = [col("participants").sum(), col("failed").sum()];
    Ok(all
        .lazy()
        .group_by(key_exprs())
        .agg(
            sums.into_iter()
                .chain(statistics::summed())
                .collect::<Vec<_>>(),
        )
        .collect()?)
}

/// The source name of procedures counted from student rows (no file is
/// named so: a file name always has an extension).
const STUDENT_ROWS: &str = "\u{0}student rows";

/// One procedure given by two sources would be counted twice. Student rows
/// from several files add up (a region may split one exam over files), but a
/// procedure given as an aggregate is taken from one source only: student rows
/// first, then the first aggregate file in name order. Returns the aggregate
/// rows kept and those set aside (file, line, column, reason).
pub fn dedupe_aggregates(
    student_procedures: &DataFrame,
    aggregates: Vec<(String, DataFrame)>,
) -> Result<(DataFrame, DataFrame)> {
    if aggregates.is_empty() {
        return Ok((
            student_procedures
                .clear()
                .lazy()
                .select(student_columns())
                .collect()?,
            crate::validate::empty_rejected(),
        ));
    }
    let mut sources = vec![
        student_procedures
            .clone()
            .lazy()
            .select(key_exprs())
            .with_columns([
                lit(0i64).cast(DataType::Int64).alias("participants"),
                lit(0i64).cast(DataType::Int64).alias("failed"),
                lit(NULL).cast(IDX_DTYPE).alias(LINE),
            ])
            .with_columns(statistics::missing())
            .with_columns([
                lit(STUDENT_ROWS).alias("source"),
                lit(0i64).cast(DataType::Int64).alias("priority"),
            ]),
    ];
    for (priority, (file, frame)) in aggregates.into_iter().enumerate() {
        sources.push(
            frame.lazy().with_columns([
                lit(file).alias("source"),
                lit(priority as i64 + 1)
                    .cast(DataType::Int64)
                    .alias("priority"),
            ]),
        );
    }
    let all = concat(sources, UnionArgs::default())?
        .sort(["priority", LINE], SortMultipleOptions::default())
        .with_column(
            col("source")
                .first()
                .over(key_exprs())?
                .alias("first_source"),
        )
        .filter(col("priority").gt(lit(0)))
        .collect()?;
    let kept = all
        .clone()
        .lazy()
        .filter(col("source").eq(col("first_source")))
        .select(student_columns())
        .collect()?;
    let rejected = all
        .lazy()
        .filter(col("source").neq(col("first_source")))
        .select([
            col("source").alias("file"),
            col(LINE).cast(DataType::Int64).alias("line"),
            // The problem is the procedure key as a whole.
            lit("school_id, year, assessment, subject, grade").alias("column"),
            concat_str(
                [
                    lit("эта процедура уже дана "),
                    when(col("first_source").eq(lit(STUDENT_ROWS)))
                        .then(lit("строками участников"))
                        .otherwise(concat_str([lit("файлом "), col("first_source")], "", false)),
                    lit("; при повторном учёте её участники удвоились бы"),
                ],
                "",
                false,
            )
            .alias("reason"),
        ])
        .collect()?;
    Ok((kept, rejected))
}

/// Adds `fail_share`, `ci_low` and `ci_high` (Wilson score interval at
/// `confidence`, e.g. 0.95) to a table with `participants` and `failed`.
pub fn with_shares(procedures: LazyFrame, confidence: f64) -> LazyFrame {
    let z = Normal::standard().inverse_cdf(0.5 + confidence / 2.0);
    let (low, high) = wilson_bounds(col("failed"), col("participants"), z);
    procedures.with_columns([
        (col("failed").cast(DataType::Float64) / col("participants").cast(DataType::Float64))
            .alias("fail_share"),
        low.alias("ci_low"),
        high.alias("ci_high"),
    ])
}

/// Wilson score interval bounds for `failed` of `n`.
pub fn wilson_bounds(failed: Expr, n: Expr, z: f64) -> (Expr, Expr) {
    let n_f = n.clone().cast(DataType::Float64);
    let p = failed.clone().cast(DataType::Float64) / n_f.clone();
    let z2 = lit(z * z);
    let denominator = lit(1.0) + z2.clone() / n_f.clone();
    let centre = (p.clone() + z2.clone() / (lit(2.0) * n_f.clone())) / denominator.clone();
    let half = lit(z)
        * (p.clone() * (lit(1.0) - p) / n_f.clone() + z2 / (lit(4.0) * n_f.clone() * n_f)).sqrt()
        / denominator;
    // At 0 and at n the bounds are exactly 0 and 1; the formula leaves
    // rounding noise there.
    let low = when(failed.clone().eq(lit(0)))
        .then(lit(0.0))
        .otherwise(centre.clone() - half.clone());
    let high = when(failed.eq(n)).then(lit(1.0)).otherwise(centre + half);
    (low, high)
}

/// Adds, for each procedure, the previous year in which the same procedure
/// (school × assessment × subject × grade) was held (`compared_year`), and the
/// change of its failure share since then in percentage points
/// (`share_change_pp`); both empty for its first year.
///
/// The rows are put in order by a hash of the series and by year, and each
/// row is compared with the one before: the same as SQL's `LAG(..) OVER
/// (PARTITION BY school_id, assessment, subject, grade ORDER BY year)`,
/// which took seconds per window on a national set, and several times
/// cheaper than sorting on the four columns. Should two series share a hash,
/// their rows would interleave; that is detected, and the exact sort on the
/// columns is used instead.
pub fn with_previous_year(procedures: DataFrame) -> Result<DataFrame> {
    let hashed = compared_with_row_before(
        procedures
            .clone()
            .lazy()
            .with_column(row_hash(SERIES.map(col).to_vec(), "__series")),
        vec!["__series", "year"],
    )
    .collect()?;
    let collided = hashed
        .clone()
        .lazy()
        .filter(
            col("__series")
                .eq(col("__series").shift(lit(1)))
                .and(col("__same_series").not()),
        )
        .select([len()])
        .collect()?;
    let ordered = if collided.column("len")?.u32()?.get(0) == Some(0) {
        hashed.drop("__series")?
    } else {
        compared_with_row_before(procedures.lazy(), exact_order()).collect()?
    };
    Ok(ordered.drop("__same_series")?)
}

/// The four columns that make a series of one procedure across years.
const SERIES: [&str; 4] = ["school_id", "assessment", "subject", "grade"];

/// The order of the exact path: the series' columns, then the year.
fn exact_order() -> Vec<&'static str> {
    SERIES.into_iter().chain(["year"]).collect()
}

/// Sorts by `order` and compares each row with the one before: the
/// previous year of the same series, the change of its share, and
/// `__same_series`.
fn compared_with_row_before(procedures: LazyFrame, order: Vec<&str>) -> LazyFrame {
    let same_series = SERIES
        .iter()
        .map(|c| col(*c).eq(col(*c).shift(lit(1))))
        .reduce(|a, b| a.and(b))
        .expect("four columns")
        .fill_null(false);
    let previous = |e: Expr| {
        when(col("__same_series"))
            .then(e.shift(lit(1)))
            .otherwise(lit(NULL))
    };
    procedures
        .sort(order, SortMultipleOptions::default())
        .with_column(same_series.alias("__same_series"))
        .with_columns([
            previous(col("year")).alias("compared_year"),
            (lit(100.0) * (col("fail_share") - previous(col("fail_share"))))
                .alias("share_change_pp"),
        ])
}

/// All procedures with their shares and figures, each work's maximum score
/// from `scores` (unsorted: the counting query orders them).
pub fn combine(
    student_procedures: DataFrame,
    aggregates: DataFrame,
    confidence: f64,
    scores: &MinScores,
) -> Result<DataFrame> {
    let all = concat(
        [
            student_procedures.lazy().select(student_columns()),
            aggregates.lazy().select(student_columns()),
        ],
        UnionArgs::default(),
    )?;
    let shared = with_shares(all, confidence)
        .with_columns(statistics::figures())
        .collect()?;
    with_score_max(shared, scores)
}

/// `procedures` with `score_max`, the work's maximum primary score from the
/// scale table (empty where it gives none), and `score_percent`, the mean
/// score as a percent of it.
pub fn with_score_max(procedures: DataFrame, table: &MinScores) -> Result<DataFrame> {
    let (mut works, keys) = distinct_works(&procedures)?;
    let maxima: Vec<Option<f64>> = keys
        .iter()
        .map(|k| {
            k.as_ref()
                .and_then(|(a, s, g, y)| table.max_score(a, s, *g, *y))
        })
        .collect();
    works.with_column(Column::new("score_max".into(), maxima))?;
    let args = JoinArgs {
        maintain_order: MaintainOrderJoin::Left,
        ..JoinArgs::new(JoinType::Left)
    };
    Ok(join_works(procedures.lazy(), works, args)
        .with_column((lit(100.0) * col("score_mean") / col("score_max")).alias("score_percent"))
        .collect()?)
}

/// `procedures` with `absent`: the rows of participants marked absent in
/// each, summed over the files (0 where none was).
pub fn with_absent(procedures: DataFrame, absent: Vec<DataFrame>) -> Result<DataFrame> {
    let zero = lit(0i64).cast(DataType::Int64).alias("absent");
    if absent.is_empty() {
        return Ok(procedures.lazy().with_column(zero).collect()?);
    }
    let counted = concat(
        absent.into_iter().map(DataFrame::lazy).collect::<Vec<_>>(),
        UnionArgs::default(),
    )?
    .group_by(key_exprs())
    .agg([col("absent").sum()]);
    Ok(procedures
        .lazy()
        .join(
            counted,
            key_exprs(),
            key_exprs(),
            JoinArgs::new(JoinType::Left),
        )
        .with_column(col("absent").fill_null(zero))
        .collect()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounds(failed: i64, n: i64) -> (f64, f64) {
        let frame = df!("failed" => [failed], "participants" => [n]).unwrap();
        let out = with_shares(frame.lazy(), 0.95).collect().unwrap();
        let get = |c: &str| out.column(c).unwrap().f64().unwrap().get(0).unwrap();
        (get("ci_low"), get("ci_high"))
    }

    #[test]
    fn wilson_matches_known_values() {
        let (low, high) = bounds(4, 8);
        assert!((low - 0.2152).abs() < 1e-4, "{low}");
        assert!((high - 0.7848).abs() < 1e-4, "{high}");
        // 3 of 10: (0.1078, 0.6032), a textbook value.
        let (low, high) = bounds(3, 10);
        assert!((low - 0.1078).abs() < 1e-4, "{low}");
        assert!((high - 0.6032).abs() < 1e-4, "{high}");
    }

    #[test]
    fn wilson_is_exact_at_the_ends() {
        let (low, high) = bounds(0, 8);
        assert_eq!(low, 0.0);
        assert!((high - 0.3244).abs() < 1e-4, "{high}");
        let (low, high) = bounds(8, 8);
        assert!((low - 0.6756).abs() < 1e-4, "{low}");
        assert_eq!(high, 1.0);
    }

    #[test]
    fn a_procedure_split_over_files_is_summed() {
        let part = |schools: &[&str], participants: &[i64], failed: &[i64]| {
            df!(
                "school_id" => schools,
                "year" => vec![2025i32; schools.len()],
                "assessment" => vec!["ВПР"; schools.len()],
                "subject" => vec!["математика"; schools.len()],
                "grade" => vec![5i32; schools.len()],
                "participants" => participants,
                "failed" => failed,
            )
            .unwrap()
            .lazy()
            .with_columns(statistics::missing())
        };
        let totals = |frame: DataFrame| -> Vec<(String, i64, i64)> {
            let frame = frame.sort(["school_id"], Default::default()).unwrap();
            let ids = frame.column("school_id").unwrap().str().unwrap().clone();
            let n = frame.column("participants").unwrap().i64().unwrap().clone();
            let f = frame.column("failed").unwrap().i64().unwrap().clone();
            (0..frame.height())
                .map(|i| {
                    (
                        ids.get(i).unwrap().to_string(),
                        n.get(i).unwrap(),
                        f.get(i).unwrap(),
                    )
                })
                .collect()
        };
        let disjoint = sum_parts(vec![part(&["a"], &[10], &[3]), part(&["b"], &[7], &[1])]);
        assert_eq!(
            totals(disjoint.unwrap()),
            [("a".into(), 10, 3), ("b".into(), 7, 1)]
        );
        let split = sum_parts(vec![
            part(&["a", "b"], &[10, 7], &[3, 1]),
            part(&["a"], &[5], &[2]),
        ]);
        assert_eq!(
            totals(split.unwrap()),
            [("a".into(), 15, 5), ("b".into(), 7, 1)]
        );
    }

    #[test]
    fn previous_year_is_the_last_earlier_year_of_the_same_procedure() {
        let procedures = df!(
            "school_id" => ["a", "a", "a", "b", "a"],
            "year" => [2025i32, 2023, 2024, 2024, 2025],
            "assessment" => ["ВПР"; 5],
            "subject" => ["математика", "математика", "математика", "математика", "русский язык"],
            "grade" => [5i32; 5],
            "fail_share" => [0.5, 0.2, 0.3, 0.9, 0.1],
        )
        .unwrap();
        // The hashed order, and the exact order used when two series share
        // a hash, give the same answer.
        let hashed = with_previous_year(procedures.clone()).unwrap();
        let exact = compared_with_row_before(procedures.lazy(), exact_order())
            .collect()
            .unwrap();
        for out in [hashed, exact] {
            let out = out
                .lazy()
                .sort(["school_id", "subject", "year"], Default::default())
                .collect()
                .unwrap();
            let compared: Vec<Option<i32>> = out
                .column("compared_year")
                .unwrap()
                .i32()
                .unwrap()
                .iter()
                .collect();
            // a/математика 2023, 2024, 2025; a/русский язык 2025; b/математика 2024.
            assert_eq!(compared, [None, Some(2023), Some(2024), None, None]);
            let change: Vec<Option<i64>> = out
                .column("share_change_pp")
                .unwrap()
                .f64()
                .unwrap()
                .iter()
                .map(|v| v.map(|v| v.round() as i64))
                .collect();
            assert_eq!(change, [None, Some(10), Some(20), None, None]);
        }
    }

    #[test]
    fn score_equal_to_the_minimum_passes() {
        let students = df!(
            "school_id" => ["a", "a", "a", "a"],
            "year" => [2025i32; 4],
            "assessment" => ["ЕГЭ"; 4],
            "subject" => ["русский язык"; 4],
            "grade" => [11i32; 4],
            "mark" => [None::<i32>, None, None, Some(2)],
            "score" => [Some(24.0), Some(23.0), Some(80.0), Some(90.0)],
            "min_score" => [Some(24.0); 4],
            "max_3" => [None::<f64>; 4],
            "max_4" => [None::<f64>; 4],
            "journal_mark" => [None::<i32>; 4],
        )
        .unwrap();
        let out = from_students(students.lazy()).collect().unwrap();
        assert_eq!(
            out.column("participants").unwrap().i64().unwrap().get(0),
            Some(4)
        );
        // 23 < 24 fails; 24 passes; the mark 2 fails whatever the score.
        assert_eq!(out.column("failed").unwrap().i64().unwrap().get(0), Some(2));
    }
}
