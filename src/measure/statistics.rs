//! What a procedure's student rows say beyond the count of «2»: the marks,
//! the scores and the journal marks, as sums that add up over files (a
//! region may split one exam over several), and the figures made from them
//! once the sums are final: mean score and its sample standard deviation,
//! mean mark, quality («4» and «5») and success (no «2») shares, and the
//! comparison of the mark with the journal mark (понизили / подтвердили /
//! повысили). A procedure given as an aggregate has none of them: empty,
//! never 0.

use polars::prelude::*;

/// The additive statistics, in order: counts, then sums of scores.
pub const SUMS: [(&str, DataType); 11] = [
    ("marked", DataType::Int64),
    ("marks_2", DataType::Int64),
    ("marks_3", DataType::Int64),
    ("marks_4", DataType::Int64),
    ("marks_5", DataType::Int64),
    ("scored", DataType::Int64),
    ("score_sum", DataType::Float64),
    ("score_sq_sum", DataType::Float64),
    ("journal_compared", DataType::Int64),
    ("journal_lower", DataType::Int64),
    ("journal_higher", DataType::Int64),
];

/// A journal mark as read: anything but a whole 2–5 is no journal mark (it
/// only compares; the row still counts), as `journal_mark`.
pub fn journal_mark(number: Expr) -> Expr {
    let whole_mark = number
        .clone()
        .floor()
        .eq(number.clone())
        .and(number.clone().gt_eq(lit(2.0)))
        .and(number.clone().lt_eq(lit(5.0)));
    when(whole_mark)
        .then(number.cast(DataType::Int32))
        .otherwise(lit(NULL).cast(DataType::Int32))
        .alias("journal_mark")
}

/// A participant's mark: as written, else from the score by the scale
/// (`min_score`, `max_3`, `max_4`: a «2» below the minimum, as the failure
/// count has it); empty without either.
pub fn result_mark() -> Expr {
    when(col("mark").is_not_null())
        .then(col("mark").cast(DataType::Float64))
        .otherwise(scale_mark())
}

/// The mark the scale gives `score` (columns `min_score`, `max_3`,
/// `max_4`); empty without a score or a scale.
pub fn scale_mark() -> Expr {
    let score = || col("score");
    when(score().is_null().or(col("max_3").is_null()))
        .then(lit(NULL).cast(DataType::Float64))
        .when(score().lt(col("min_score")))
        .then(lit(2.0))
        .when(score().lt_eq(col("max_3")))
        .then(lit(3.0))
        .when(score().lt_eq(col("max_4")))
        .then(lit(4.0))
        .otherwise(lit(5.0))
}

/// The sums over student rows with `score` and `journal_mark`, the mark
/// given by `mark` (numbers or null).
pub fn over_students(mark: Expr) -> Vec<Expr> {
    let mark = || mark.clone().cast(DataType::Float64);
    let journal = || col("journal_mark").cast(DataType::Float64);
    let count = |e: Expr, name: &str| e.sum().cast(DataType::Int64).alias(name);
    let compared = || mark().is_not_null().and(journal().is_not_null());
    let mut sums = vec![count(mark().is_not_null(), "marked")];
    for m in 2..=5 {
        sums.push(count(
            mark().eq(lit(m as f64)).fill_null(false),
            &format!("marks_{m}"),
        ));
    }
    sums.extend([
        count(col("score").is_not_null(), "scored"),
        col("score").sum().alias("score_sum"),
        (col("score") * col("score")).sum().alias("score_sq_sum"),
        count(compared(), "journal_compared"),
        count(compared().and(mark().lt(journal())), "journal_lower"),
        count(compared().and(mark().gt(journal())), "journal_higher"),
    ]);
    sums
}

/// The sums of a group of rows without a mark that share one `score` and
/// one `unmarked_journal` (`rows` of them), with the marks the scale gives
/// them added: the typed path counts such rows in groups, not one by one.
pub fn plus_scale_marks() -> Vec<Expr> {
    let m = || scale_mark();
    let j = || col("unmarked_journal").cast(DataType::Float64);
    let rows_where = |e: Expr| {
        when(e.fill_null(false))
            .then(col("rows"))
            .otherwise(lit(0i64))
    };
    SUMS.iter()
        .map(|(name, _)| {
            let added = match *name {
                "marked" => Some(m().is_not_null()),
                "marks_2" => Some(m().eq(lit(2.0))),
                "marks_3" => Some(m().eq(lit(3.0))),
                "marks_4" => Some(m().eq(lit(4.0))),
                "marks_5" => Some(m().eq(lit(5.0))),
                "journal_compared" => Some(m().is_not_null().and(j().is_not_null())),
                "journal_lower" => Some(m().lt(j())),
                "journal_higher" => Some(m().gt(j())),
                _ => None,
            };
            match added {
                Some(e) => (col(*name) + rows_where(e)).alias(*name),
                None => col(*name),
            }
        })
        .collect()
}

/// Each sum added up over the rows of a group.
pub fn summed() -> Vec<Expr> {
    SUMS.iter().map(|(name, _)| col(*name).sum()).collect()
}

/// Each sum with its sign turned: what rows counted twice take off.
pub fn negated() -> Vec<Expr> {
    SUMS.iter()
        .map(|(name, dtype)| {
            (lit(0.0) - col(*name).cast(DataType::Float64))
                .cast(dtype.clone())
                .alias(*name)
        })
        .collect()
}

/// The sums as columns, in order.
pub fn columns() -> Vec<Expr> {
    SUMS.iter().map(|(name, _)| col(*name)).collect()
}

/// The sums of a source without student rows: empty.
pub fn missing() -> Vec<Expr> {
    SUMS.iter()
        .map(|(name, dtype)| lit(NULL).cast(dtype.clone()).alias(*name))
        .collect()
}

/// The figures made from the sums.
pub fn figures() -> Vec<Expr> {
    let f = |name: &str| col(name).cast(DataType::Float64);
    let share = |part: Expr, of: &str| {
        when(col(of).gt(lit(0)))
            .then(part / f(of))
            .otherwise(lit(NULL).cast(DataType::Float64))
    };
    let mean = share(f("score_sum"), "scored");
    // The sample deviation from the sums: (Σx² − n·x̄²) / (n − 1), never
    // below 0 (rounding), empty for fewer than two scores.
    let variance =
        (f("score_sq_sum") - f("scored") * mean.clone() * mean.clone()) / (f("scored") - lit(1.0));
    let sd = when(col("scored").gt(lit(1)))
        .then(
            when(variance.clone().lt(lit(0.0)))
                .then(lit(0.0))
                .otherwise(variance)
                .sqrt(),
        )
        .otherwise(lit(NULL).cast(DataType::Float64));
    let mark_sum = (2..=5)
        .map(|m| f(&format!("marks_{m}")) * lit(m as f64))
        .reduce(|a, b| a + b)
        .expect("four marks");
    vec![
        mean.alias("score_mean"),
        sd.alias("score_sd"),
        share(mark_sum, "marked").alias("mean_mark"),
        share(f("marks_4") + f("marks_5"), "marked").alias("quality_share"),
        share(f("marked") - f("marks_2"), "marked").alias("success_share"),
        share(f("journal_lower"), "journal_compared").alias("journal_lower_share"),
        share(
            f("journal_compared") - f("journal_lower") - f("journal_higher"),
            "journal_compared",
        )
        .alias("journal_same_share"),
        share(f("journal_higher"), "journal_compared").alias("journal_higher_share"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figures_follow_from_the_rows() {
        let rows = df!(
            "mark" => [Some(2), Some(3), Some(4), Some(5), None],
            "score" => [Some(4.0), Some(8.0), Some(12.0), Some(16.0), Some(10.0)],
            "journal_mark" => [Some(3), Some(3), Some(3), None, Some(4)],
        )
        .unwrap();
        let out = rows
            .lazy()
            .select(over_students(col("mark")))
            .with_columns(figures())
            .collect()
            .unwrap();
        let get = |c: &str| {
            out.column(c)
                .unwrap()
                .cast(&DataType::Float64)
                .unwrap()
                .f64()
                .unwrap()
                .get(0)
        };
        assert_eq!(get("marked"), Some(4.0));
        assert_eq!(get("scored"), Some(5.0));
        assert_eq!(get("score_mean"), Some(10.0));
        // Deviations −6, −2, 2, 6, 0: Σ = 80, / 4 = 20.
        assert!((get("score_sd").unwrap() - 20f64.sqrt()).abs() < 1e-12);
        assert_eq!(get("mean_mark"), Some(3.5));
        assert_eq!(get("quality_share"), Some(0.5));
        assert_eq!(get("success_share"), Some(0.75));
        // Three rows have both marks: 2 < 3, 3 = 3, 4 > 3.
        assert_eq!(get("journal_compared"), Some(3.0));
        assert!((get("journal_lower_share").unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert!((get("journal_higher_share").unwrap() - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn no_marks_and_no_scores_leave_the_figures_empty() {
        let rows = df!(
            "mark" => [None::<i32>],
            "score" => [None::<f64>],
            "journal_mark" => [None::<i32>],
        )
        .unwrap();
        let out = rows
            .lazy()
            .select(over_students(col("mark")))
            .with_columns(figures())
            .collect()
            .unwrap();
        for c in [
            "score_mean",
            "score_sd",
            "mean_mark",
            "quality_share",
            "journal_higher_share",
        ] {
            assert_eq!(out.column(c).unwrap().null_count(), 1, "{c}");
        }
    }
}
