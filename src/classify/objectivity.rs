//! The signs of biased assessment: the methodology's `[objectivity]` as the
//! tables its query reads, the query run over the procedures, and what a
//! flagged procedure does to the ШНОР reasons (`effect`).

use anyhow::Result;
use polars::prelude::*;
use statrs::distribution::{ContinuousCDF, Normal};

use super::QueryRunner;
use crate::ingest::normalize::{normalize_assessment, normalize_subject};
use crate::methodology::{LoadedMethodology, ObjectivityEffect, ObjectivityRule};

/// The columns `params` gains for the query (null when the methodology
/// checks no signs).
pub fn params(rule: Option<&ObjectivityRule>) -> Vec<Column> {
    let z = rule.map(|o| Normal::standard().inverse_cdf(0.5 + o.confidence / 2.0));
    vec![
        Column::new("objectivity_z".into(), [z]),
        Column::new(
            "objectivity_min".into(),
            [rule.map(|o| o.min_participants as i64)],
        ),
        Column::new(
            "journal_higher_above".into(),
            [rule.and_then(|o| o.journal_higher_above)],
        ),
        Column::new(
            "failure_fall_pp".into(),
            [rule.and_then(|o| o.failure_fall_pp)],
        ),
    ]
}

fn canonical(assessment: &str) -> String {
    normalize_assessment(assessment)
        .unwrap_or(assessment)
        .to_string()
}

fn scope(o: &ObjectivityRule) -> Result<DataFrame> {
    let mut rows: (Vec<String>, Vec<String>, Vec<i32>) = Default::default();
    for p in &o.procedures {
        for s in &p.subjects {
            for g in &p.grades {
                rows.0.push(canonical(&p.assessment));
                rows.1.push(normalize_subject(s));
                rows.2.push(*g);
            }
        }
    }
    Ok(df!("assessment" => rows.0, "subject" => rows.1, "grade" => rows.2)?)
}

fn bands(o: &ObjectivityRule) -> Result<DataFrame> {
    let b = &o.bands;
    Ok(df!(
        "assessment" => b.iter().map(|b| canonical(&b.assessment)).collect::<Vec<_>>(),
        "subject" => b.iter().map(|b| normalize_subject(&b.subject)).collect::<Vec<_>>(),
        "grade" => b.iter().map(|b| b.grade).collect::<Vec<_>>(),
        "fail_below" => b.iter().map(|b| b.fail_below).collect::<Vec<_>>(),
        "top_above" => b.iter().map(|b| b.top_above).collect::<Vec<_>>(),
        "top" => b.iter().map(|b| b.top.clone()).collect::<Vec<_>>(),
    )?)
}

/// Runs the objectivity query over the registered `procedures` and the
/// rank correlations; None when the methodology checks no signs.
pub(super) fn signs(
    q: &mut QueryRunner,
    m: &LoadedMethodology,
    score_ranks: &DataFrame,
) -> Result<Option<DataFrame>> {
    let Some(o) = &m.rule.objectivity else {
        return Ok(None);
    };
    q.register("objectivity_scope", scope(o)?.lazy());
    q.register("objectivity_signs", df!("sign" => o.signs.clone())?.lazy());
    q.register("objectivity_bands", bands(o)?.lazy());
    q.register("score_ranks", score_ranks.clone().lazy());
    let found = q.run(&o.query)?;
    crate::codes::known::<crate::codes::Sign>(&found, &o.query)?;
    Ok(Some(found))
}

/// `procedure_counts` with `unreliable_signs`: with `effect =
/// "mark_unreliable"`, the labels of the signs flagged on each procedure
/// (empty otherwise), which the ШНОР reasons show.
pub fn with_unreliable(
    counted: DataFrame,
    found: Option<&DataFrame>,
    m: &LoadedMethodology,
) -> Result<DataFrame> {
    let key = || {
        ["school_id", "year", "assessment", "subject", "grade"]
            .map(col)
            .to_vec()
    };
    let marking = m
        .rule
        .objectivity
        .as_ref()
        .is_some_and(|o| o.effect == ObjectivityEffect::MarkUnreliable);
    let Some(found) = found.filter(|_| marking) else {
        return Ok(counted
            .lazy()
            .with_column(lit(NULL).cast(DataType::String).alias("unreliable_signs"))
            .collect()?);
    };
    let flagged = found
        .clone()
        .lazy()
        .filter(col("flagged"))
        .with_column(crate::codes::labels::<crate::codes::Sign>().alias("sign"))
        .group_by(key())
        .agg([col("sign").str().join(", ", true).alias("unreliable_signs")]);
    Ok(counted
        .lazy()
        .join(flagged, key(), key(), JoinArgs::new(JoinType::Left))
        .collect()?)
}

/// Per school, in the current year: whether any procedure was checked
/// (`objectivity_checked`) and how many signs were found
/// (`objectivity_signs`, 0 when checked and clean, empty when unchecked).
pub fn by_school(found: Option<&DataFrame>, current: i32) -> Result<DataFrame> {
    let Some(found) = found else {
        return Ok(crate::validate::empty_frame(&[
            ("school_id", DataType::String),
            ("objectivity_checked", DataType::Boolean),
            ("objectivity_signs", DataType::Int64),
        ]));
    };
    Ok(found
        .clone()
        .lazy()
        .filter(col("year").eq(lit(current)))
        .group_by([col("school_id")])
        .agg([
            lit(true).alias("objectivity_checked"),
            col("flagged")
                .cast(DataType::Int64)
                .sum()
                .alias("objectivity_signs"),
        ])
        .sort(["school_id"], SortMultipleOptions::default())
        .collect()?)
}
