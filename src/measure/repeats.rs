//! The same participant in two files of one procedure. Each file is checked
//! on its own (a repeat inside a file is set aside there), and its rows are
//! counted into procedures at once, so a participant given again by a second
//! file (a region that split one exam over files and put someone in both)
//! would be counted twice. Only procedures that several files give can have
//! such repeats; those files are read again, and only when there are any,
//! so the usual layout (one file per procedure) costs nothing.

use anyhow::Result;
use polars::prelude::*;

use crate::ingest::table::LINE;
use crate::measure::procedures::{PROCEDURE_KEY, is_failed};

/// One procedure count of a file that names its participants.
pub struct CountedPart<'a> {
    /// The table's name in messages and in `rejected.csv`.
    pub file: &'a str,
    /// The table's counted procedures (key, participants, failed).
    pub procedures: &'a DataFrame,
}

/// What the repeats change: counts to subtract (the key, negative
/// `participants` and `failed`) and the repeated rows set aside.
pub struct Repeats {
    pub correction: DataFrame,
    /// The (journal mark, score) pairs of the repeated rows, to take off.
    pub pair_correction: DataFrame,
    pub rejected: DataFrame,
}

fn key() -> Vec<Expr> {
    PROCEDURE_KEY.map(col).to_vec()
}

/// The procedure keys that more than one part gives.
pub fn shared_procedures(parts: &[CountedPart]) -> Result<DataFrame> {
    let keyed: Vec<LazyFrame> = parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            part.procedures
                .clone()
                .lazy()
                .select(key())
                .with_column(lit(i as u32).alias("part"))
        })
        .collect();
    if keyed.len() < 2 {
        return Ok(DataFrame::empty());
    }
    Ok(concat(keyed, UnionArgs::default())?
        .group_by(key())
        .agg([col("part").n_unique().alias("parts")])
        .filter(col("parts").gt(lit(1)))
        .select(key())
        .sort(PROCEDURE_KEY, SortMultipleOptions::default())
        .collect()?)
}

/// The rows of `rows` in one of the `shared` procedures.
pub fn in_shared(rows: LazyFrame, shared: &DataFrame) -> LazyFrame {
    rows.join(
        shared.clone().lazy(),
        key(),
        key(),
        JoinArgs::new(JoinType::Semi),
    )
}

/// Finds the repeats among the participant rows of the shared procedures,
/// given per table in file order: `(file, rows)`, rows as
/// [`crate::validate::results::participant_rows`] gives them. The first file
/// that names a participant keeps the row.
pub fn find(rows: Vec<(String, DataFrame)>) -> Result<Repeats> {
    let parts: Vec<LazyFrame> = rows
        .into_iter()
        .enumerate()
        .map(|(order, (file, rows))| {
            rows.lazy().with_columns([
                lit(order as u32).alias("order"),
                lit(file).alias("file"),
                is_failed(),
            ])
        })
        .collect();
    let mut participant = key();
    participant.push(col("participant_id"));
    let repeated = concat(parts, UnionArgs::default())?
        .sort(["order", LINE], SortMultipleOptions::default())
        .with_columns([
            col("order")
                .first()
                .over(participant.clone())?
                .alias("first_order"),
            col("file").first().over(participant)?.alias("first_file"),
        ])
        .filter(col("order").neq(col("first_order")))
        .collect()?;
    let correction = repeated
        .clone()
        .lazy()
        .group_by(key())
        .agg(
            [
                (-len().cast(DataType::Int64)).alias("participants"),
                (-col("is_failed").sum().cast(DataType::Int64)).alias("failed"),
            ]
            .into_iter()
            .chain(crate::measure::statistics::over_students(
                crate::measure::statistics::result_mark(),
            ))
            .collect::<Vec<_>>(),
        )
        // The repeated rows' marks and scores come off with them.
        .with_columns(crate::measure::statistics::negated())
        .sort(PROCEDURE_KEY, SortMultipleOptions::default())
        .collect()?;
    let rejected = repeated
        .clone()
        .lazy()
        .select([
            col("file"),
            col(LINE).cast(DataType::Int64).alias("line"),
            lit("participant_id").alias("column"),
            concat_str(
                [
                    lit("этот участник уже учтён в этой процедуре по файлу "),
                    col("first_file"),
                    lit("; повторная строка не учитывается"),
                ],
                "",
                false,
            )
            .alias("reason"),
        ])
        .collect()?;
    let pair_correction =
        crate::measure::score_ranks::pairs(repeated.clone().lazy(), -1).collect()?;
    Ok(Repeats {
        correction,
        pair_correction,
        rejected,
    })
}
