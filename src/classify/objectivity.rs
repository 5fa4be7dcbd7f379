//! The signs of biased assessment: the methodology's `[objectivity]` as the
//! tables its query reads, the query run over the procedures, and what a
//! flagged procedure does to the ШНОР reasons (`effect`).

use anyhow::Result;
use polars::prelude::*;

use super::QueryRunner;
use crate::ingest::normalize::{normalize_assessment, normalize_subject};
use crate::methodology::{LoadedMethodology, ObjectivityEffect, ObjectivityRule};

/// The columns `params` gains for the query (null when the methodology
/// checks no signs).
pub fn params(rule: Option<&ObjectivityRule>) -> Vec<Column> {
    vec![
        Column::new("objectivity_z".into(), [rule.map(|o| o.z)]),
        Column::new(
            "objectivity_min".into(),
            [rule.map(|o| o.min_participants as i64)],
        ),
        Column::new("objectivity_iqr".into(), [rule.map(|o| o.iqr_factor)]),
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

#[cfg(test)]
mod tests {
    //! The ФИОКО signs at their boundaries, on procedures built by hand (the
    //! query reads only the per-procedure sums and figures).
    use super::*;
    use polars::sql::SQLContext;

    /// A procedure of ВПР maths: school, grade, year, scores (n, Σx, Σx²),
    /// the school's mean and deviation, its percent of the maximum.
    struct P {
        school: &'static str,
        grade: i32,
        year: i32,
        n: i64,
        sums: (f64, f64),
        mean_sd: (f64, f64),
        percent: Option<f64>,
    }

    fn procedures(rows: &[P]) -> DataFrame {
        let none_f = || vec![None::<f64>; rows.len()];
        let none_i = || vec![None::<i64>; rows.len()];
        df!(
            "school_id" => rows.iter().map(|p| p.school).collect::<Vec<_>>(),
            "year" => rows.iter().map(|p| p.year).collect::<Vec<_>>(),
            "assessment" => vec!["ВПР"; rows.len()],
            "subject" => vec!["математика"; rows.len()],
            "grade" => rows.iter().map(|p| p.grade).collect::<Vec<_>>(),
            "participants" => rows.iter().map(|p| p.n).collect::<Vec<_>>(),
            "fail_share" => none_f(),
            "share_change_pp" => none_f(),
            "scored" => rows.iter().map(|p| p.n).collect::<Vec<_>>(),
            "score_sum" => rows.iter().map(|p| p.sums.0).collect::<Vec<_>>(),
            "score_sq_sum" => rows.iter().map(|p| p.sums.1).collect::<Vec<_>>(),
            "score_mean" => rows.iter().map(|p| p.mean_sd.0).collect::<Vec<_>>(),
            "score_sd" => rows.iter().map(|p| p.mean_sd.1).collect::<Vec<_>>(),
            "score_percent" => rows.iter().map(|p| p.percent).collect::<Vec<_>>(),
            "marked" => none_i(),
            "marks_4" => none_i(),
            "marks_5" => none_i(),
            "journal_compared" => none_i(),
            "journal_higher_share" => none_f(),
        )
        .unwrap()
    }

    /// The flagged state of each `school sign` row the query writes.
    fn run(procedures: DataFrame, ranks: DataFrame, z: f64) -> Vec<(String, bool, f64, f64)> {
        let mut m = LoadedMethodology::default_builtin().unwrap();
        m.rule.objectivity.as_mut().unwrap().z = z;
        let mut q = QueryRunner {
            ctx: SQLContext::new(),
            tables: vec![],
            methodology: &m,
            log: vec![],
            elapsed: vec![],
        };
        let params = DataFrame::new(1, params(m.rule.objectivity.as_ref())).unwrap();
        q.register("params", params.lazy());
        q.register("procedures", procedures.lazy());
        let found = signs(&mut q, &m, &ranks).unwrap().unwrap();
        let text = |c: &str, i: usize| {
            found
                .column(c)
                .unwrap()
                .str()
                .unwrap()
                .get(i)
                .unwrap()
                .to_string()
        };
        let number = |c: &str, i: usize| found.column(c).unwrap().f64().unwrap().get(i).unwrap();
        (0..found.height())
            .map(|i| {
                (
                    format!(
                        "{} {} {}",
                        text("school_id", i),
                        text("sign", i),
                        found.column("year").unwrap().i32().unwrap().get(i).unwrap()
                    ),
                    found
                        .column("flagged")
                        .unwrap()
                        .bool()
                        .unwrap()
                        .get(i)
                        .unwrap(),
                    number("value", i),
                    number("bound", i),
                )
            })
            .collect()
    }

    fn flagged(rows: &[(String, bool, f64, f64)], sign: &str) -> Vec<String> {
        rows.iter()
            .filter(|r| r.0.contains(sign) && r.1)
            .map(|r| r.0.split(' ').next().unwrap().to_string())
            .collect()
    }

    /// With z = 2 the region of 16 scores (Σx = 176, Σx² = 1996: mean 11,
    /// s² = (1996 − 176²/16) / 15 = 4) has the interval 11 ± 2·2/4 = [10, 12].
    /// a's five scores of 12 (s = 0) give [12, 12]: its lower bound is the
    /// region's upper bound, not above it. d, the same with a mean of
    /// 12 + 10⁻⁹ (the region's sums unchanged), is above.
    #[test]
    fn a_lower_bound_at_the_regions_upper_bound_is_not_inflated() {
        let p = |school, year, sums, mean| P {
            school,
            grade: 4,
            year,
            n: if school == "b" { 11 } else { 5 },
            sums,
            mean_sd: (mean, if school == "b" { 1.0 } else { 0.0 }),
            percent: None,
        };
        let at = run(
            procedures(&[
                p("a", 2025, (60.0, 720.0), 12.0),
                p("b", 2025, (116.0, 1276.0), 116.0 / 11.0),
                p("d", 2024, (60.0, 720.0), 12.0 + 1e-9),
                p("b", 2024, (116.0, 1276.0), 116.0 / 11.0),
            ]),
            crate::measure::score_ranks::none(),
            2.0,
        );
        let a = at.iter().find(|r| r.0 == "a inflated_mean 2025").unwrap();
        assert_eq!((a.1, a.2, a.3), (false, 12.0, 12.0));
        assert_eq!(flagged(&at, "inflated_mean"), ["d"]);
    }

    /// rs = 0 is not a contradiction; any rs below it is.
    #[test]
    fn a_rank_correlation_of_zero_is_not_a_contradiction() {
        let ranks = df!(
            "school_id" => ["a", "b"],
            "year" => [2025, 2025],
            "assessment" => ["ВПР", "ВПР"],
            "subject" => ["математика", "математика"],
            "grade" => [4, 4],
            "n" => [8i64, 8],
            "rs" => [0.0, -1e-12],
        )
        .unwrap();
        let at = run(procedures(&[]), ranks, 1.96);
        assert_eq!(flagged(&at, "contradicts_marks"), ["b"]);
        assert_eq!(at.len(), 2);
    }

    /// Nine cohorts, each 40 % in grade 5, from 30 … 60 % in grade 4 a year
    /// before: K = 0.75, 0.8125, 1, 1, 1, 1.0625, 1.0625, 1.25, 1.5. Linear
    /// quartiles of nine values sit on the 3rd and 7th: Q25 = 1, Q75 =
    /// 1.0625, IQR = 0.0625; a fall above 1.0625 + 3·0.0625 = 1.25, a rise
    /// below 1 − 3·0.0625 = 0.8125. The K on each critical value is not
    /// flagged; the ones beyond are.
    #[test]
    fn a_cohorts_k_on_a_critical_value_is_not_a_sharp_change() {
        let schools = ["r1", "r0", "m1", "m2", "m3", "m4", "m5", "f0", "f1"];
        let grade4 = [30.0, 32.5, 40.0, 40.0, 40.0, 42.5, 42.5, 50.0, 60.0];
        let mut rows = Vec::new();
        for (school, from) in schools.iter().zip(grade4) {
            let p = |grade, year, percent| P {
                school,
                grade,
                year,
                n: 10,
                sums: (100.0, 1100.0),
                mean_sd: (10.0, 3.0),
                percent: Some(percent),
            };
            rows.push(p(4, 2024, from));
            rows.push(p(5, 2025, 40.0));
        }
        let at = run(procedures(&rows), crate::measure::score_ranks::none(), 1.96);
        assert_eq!(flagged(&at, "cohort_fall"), ["f1"]);
        assert_eq!(flagged(&at, "cohort_rise"), ["r1"]);
        let f0 = at.iter().find(|r| r.0 == "f0 cohort_fall 2025").unwrap();
        assert_eq!((f0.1, f0.2, f0.3), (false, 1.25, 1.25));
        let r0 = at.iter().find(|r| r.0 == "r0 cohort_rise 2025").unwrap();
        assert_eq!((r0.1, r0.2, r0.3), (false, 0.8125, 0.8125));
        // The cohort is checked once, on the later procedure.
        assert_eq!(at.iter().filter(|r| r.0.contains("cohort")).count(), 18);
    }
}
