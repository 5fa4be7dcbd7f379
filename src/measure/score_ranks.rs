//! Spearman's rank correlation between the journal mark and the primary
//! score of each procedure's participants (ФИОКО: results that contradict
//! the school's marks), from the counts of each (journal mark, score) pair:
//! a procedure has a few journal marks and a few dozen scores, so the pairs
//! are a small table that adds up over files, and the ranks (ties sharing
//! their mean rank) follow from the counts, with no second copy of the rows.

use polars::prelude::*;

use crate::validate::results::PROCEDURE_KEY;

fn key() -> Vec<Expr> {
    PROCEDURE_KEY.iter().map(|c| col(*c)).collect()
}

fn with(mut exprs: Vec<Expr>, more: &[&str]) -> Vec<Expr> {
    exprs.extend(more.iter().map(|c| col(*c)));
    exprs
}

/// The count of each (journal mark, score) pair per procedure, from student
/// rows with `journal_mark` and `score`, as `pairs`; `sign` −1 takes rows
/// off (participants counted twice).
pub fn pairs(students: LazyFrame, sign: i64) -> LazyFrame {
    students
        .filter(
            col("journal_mark")
                .is_not_null()
                .and(col("score").is_not_null()),
        )
        .group_by(with(key(), &["journal_mark", "score"]))
        .agg([(len().cast(DataType::Int64) * lit(sign)).alias("pairs")])
}

/// The mean rank of each value of `value` per procedure, ties sharing it.
fn mean_ranks(cells: LazyFrame, value: &str, rank: &str) -> PolarsResult<LazyFrame> {
    Ok(cells
        .group_by(with(key(), &[value]))
        .agg([col("pairs").sum().alias("count")])
        .sort_by_exprs(with(key(), &[value]), SortMultipleOptions::default())
        .with_column(col("count").cum_sum(false).over(key())?.alias("through"))
        .with_column(
            (col("through").cast(DataType::Float64) - col("count").cast(DataType::Float64)
                + (col("count").cast(DataType::Float64) + lit(1.0)) / lit(2.0))
            .alias(rank),
        ))
}

/// Spearman's rs per procedure (`rs`, over `n` participants) from the
/// pairs summed over every file; empty when every journal mark or every
/// score is the same (no ranks to compare).
pub fn spearman(pairs: LazyFrame) -> PolarsResult<LazyFrame> {
    let cells = pairs
        .group_by(with(key(), &["journal_mark", "score"]))
        .agg([col("pairs").sum()])
        .filter(col("pairs").gt(lit(0)));
    let n = cells
        .clone()
        .group_by(key())
        .agg([col("pairs").sum().alias("n")]);
    let centred = |frame: LazyFrame, rank: &str| {
        frame
            .join(n.clone(), key(), key(), JoinArgs::new(JoinType::Inner))
            .with_column(
                (col(rank) - (col("n").cast(DataType::Float64) + lit(1.0)) / lit(2.0)).alias(rank),
            )
    };
    let journal = centred(
        mean_ranks(cells.clone(), "journal_mark", "rank_j")?,
        "rank_j",
    );
    let score = centred(mean_ranks(cells.clone(), "score", "rank_s")?, "rank_s");
    let spread = |ranks: LazyFrame, rank: &str, name: &str| {
        ranks.group_by(key()).agg([
            (col("count").cast(DataType::Float64) * col(rank) * col(rank))
                .sum()
                .alias(name),
        ])
    };
    let covariance = cells
        .join(
            journal
                .clone()
                .select(with(key(), &["journal_mark", "rank_j"])),
            with(key(), &["journal_mark"]),
            with(key(), &["journal_mark"]),
            JoinArgs::new(JoinType::Inner),
        )
        .join(
            score.clone().select(with(key(), &["score", "rank_s"])),
            with(key(), &["score"]),
            with(key(), &["score"]),
            JoinArgs::new(JoinType::Inner),
        )
        .group_by(key())
        .agg([
            (col("pairs").cast(DataType::Float64) * col("rank_j") * col("rank_s"))
                .sum()
                .alias("covariance"),
            col("pairs").sum().alias("n"),
        ]);
    let inner = || JoinArgs::new(JoinType::Inner);
    Ok(covariance
        .join(spread(journal, "rank_j", "spread_j"), key(), key(), inner())
        .join(spread(score, "rank_s", "spread_s"), key(), key(), inner())
        .select(
            with(key(), &["n"])
                .into_iter()
                .chain([when(
                    col("spread_j")
                        .gt(lit(0.0))
                        .and(col("spread_s").gt(lit(0.0))),
                )
                .then(col("covariance") / (col("spread_j") * col("spread_s")).sqrt())
                .otherwise(lit(NULL).cast(DataType::Float64))
                .alias("rs")])
                .collect::<Vec<_>>(),
        )
        .sort_by_exprs(key(), SortMultipleOptions::default()))
}

/// An empty table of rank correlations.
pub fn none() -> DataFrame {
    crate::validate::empty_frame(&[
        ("school_id", DataType::String),
        ("year", DataType::Int32),
        ("assessment", DataType::String),
        ("subject", DataType::String),
        ("grade", DataType::Int32),
        ("n", DataType::Int64),
        ("rs", DataType::Float64),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn students(journal: &[i32], score: &[f64]) -> LazyFrame {
        let n = journal.len();
        df!(
            "school_id" => vec!["a"; n],
            "year" => vec![2021i32; n],
            "assessment" => vec!["ВПР"; n],
            "subject" => vec!["математика"; n],
            "grade" => vec![4i32; n],
            "journal_mark" => journal,
            "score" => score,
        )
        .unwrap()
        .lazy()
    }

    fn rs(journal: &[i32], score: &[f64]) -> Option<f64> {
        let out = spearman(pairs(students(journal, score), 1))
            .unwrap()
            .collect()
            .unwrap();
        out.column("rs").unwrap().f64().unwrap().get(0)
    }

    #[test]
    fn ranks_with_ties_give_spearman_as_a_statistics_package_does() {
        // The Pearson correlation of the mean ranks (scipy.stats.spearmanr):
        // 12 / √(16 · 17.5) ≈ 0.717137.
        let journal = [3, 3, 4, 5, 5, 4];
        let score = [10.0, 12.0, 15.0, 20.0, 18.0, 9.0];
        let rj = [1.5, 1.5, 3.5, 5.5, 5.5, 3.5];
        let rs_ = [2.0, 3.0, 4.0, 6.0, 5.0, 1.0];
        let mean = 3.5;
        let cov: f64 = rj
            .iter()
            .zip(&rs_)
            .map(|(a, b)| (a - mean) * (b - mean))
            .sum();
        let vj: f64 = rj.iter().map(|a| (a - mean) * (a - mean)).sum();
        let vs: f64 = rs_.iter().map(|b| (b - mean) * (b - mean)).sum();
        let expected = cov / (vj * vs).sqrt();
        let got = rs(&journal, &score).unwrap();
        assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
        assert!((got - 12.0 / 280f64.sqrt()).abs() < 1e-12, "{got}");
    }

    #[test]
    fn marks_against_scores_give_a_negative_rs_and_one_journal_mark_none() {
        assert!(rs(&[5, 5, 4, 3], &[2.0, 4.0, 8.0, 9.0]).unwrap() < 0.0);
        assert_eq!(rs(&[4, 4, 4], &[1.0, 2.0, 3.0]), None);
    }

    #[test]
    fn rows_taken_off_leave_the_ranks_of_the_rest() {
        let all = pairs(students(&[3, 4, 5, 5], &[5.0, 9.0, 12.0, 12.0]), 1);
        let twice = pairs(students(&[5], &[12.0]), -1);
        let once = concat([all, twice], UnionArgs::default()).unwrap();
        let got = spearman(once).unwrap().collect().unwrap();
        let n = got.column("n").unwrap().i64().unwrap().get(0);
        assert_eq!(n, Some(3));
        assert!((got.column("rs").unwrap().f64().unwrap().get(0).unwrap() - 1.0).abs() < 1e-12);
    }

    /// What the ranks keep of a procedure is one count per (journal mark,
    /// score) pair: 6 000 participants with 3 journal marks and 21 scores
    /// leave at most 63 rows, without participant ids, adding up to 6 000.
    #[test]
    fn the_ranks_keep_counts_of_pairs_not_the_rows() {
        let n = 6000;
        let journal: Vec<i32> = (0..n).map(|i| 3 + (i % 3)).collect();
        let score: Vec<f64> = (0..n).map(|i| ((i * 7) % 21) as f64).collect();
        let ids: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
        let rows = students(&journal, &score)
            .with_column(lit(Series::new("participant_id".into(), ids)).alias("participant_id"));
        let kept = pairs(rows, 1).collect().unwrap();
        assert!(kept.height() <= 63, "{}", kept.height());
        let columns: Vec<&str> = kept.get_column_names().iter().map(|c| c.as_str()).collect();
        assert_eq!(
            columns,
            [
                "school_id",
                "year",
                "assessment",
                "subject",
                "grade",
                "journal_mark",
                "score",
                "pairs"
            ]
        );
        let total = kept.column("pairs").unwrap().i64().unwrap().sum();
        assert_eq!(total, Some(n as i64));
    }
}
