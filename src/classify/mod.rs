//! Stage 4: the methodology's SQL (queries/) turns the procedure and survey
//! tables into the ШНОР and ШНСУ decisions. Rust only prepares the tables the
//! SQL reads: the scope flag, the year roles and the one-row `params` table.

use anyhow::{Context, Result, bail};
use polars::prelude::*;
use polars::sql::SQLContext;
use serde::Serialize;

use crate::methodology::{Combine, Comparison, Cut, Direction, LoadedMethodology};

/// The years a run compares.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Years {
    pub current: i32,
    pub previous: Option<i32>,
    /// The survey year used for ШНСУ (the latest not after the current year).
    pub survey: Option<i32>,
}

/// Everything the classification produced.
pub struct Classification {
    /// Procedures with `counts` and `count_status`.
    pub procedures: DataFrame,
    /// One row per registry school: the ШНОР decision and its reasons.
    pub shnor: DataFrame,
    /// One row per school with survey data: risk score, rank, ШНСУ decision.
    pub shnsu: DataFrame,
    pub years: Years,
    /// The SQL text of each query, as run.
    pub queries: Vec<(String, String)>,
}

/// Picks the current and previous years: the latest year in the results (or
/// the methodology's `current_year`) and the latest earlier year present.
pub fn choose_years(
    procedure_years: &[i32],
    survey_years: &[i32],
    m: &LoadedMethodology,
) -> Result<Years> {
    let latest = procedure_years.iter().copied().max();
    let current = match (m.rule.shnor.current_year, latest) {
        (Some(y), _) => y,
        (None, Some(y)) => y,
        (None, None) => bail!("no usable result rows: nothing to classify (see rejected.csv)"),
    };
    let previous = procedure_years
        .iter()
        .copied()
        .filter(|y| *y < current)
        .max();
    let survey = survey_years.iter().copied().filter(|y| *y <= current).max();
    Ok(Years {
        current,
        previous,
        survey,
    })
}

fn in_scope(m: &LoadedMethodology) -> Expr {
    let list = |values: Series| lit(values).implode(false);
    let mut scope = lit(true);
    let assessments = m.rule.scope_assessments();
    if !assessments.is_empty() {
        scope =
            scope.and(col("assessment").is_in(list(Series::new("a".into(), assessments)), false));
    }
    let subjects = m.rule.scope_subjects();
    if !subjects.is_empty() {
        scope = scope.and(col("subject").is_in(list(Series::new("s".into(), subjects)), false));
    }
    if !m.rule.shnor.grades.is_empty() {
        scope = scope.and(col("grade").is_in(
            list(Series::new("g".into(), m.rule.shnor.grades.clone())),
            false,
        ));
    }
    scope
}

/// The one-row table of settings the SQL reads.
fn params(m: &LoadedMethodology, years: Years) -> Result<DataFrame> {
    let r = &m.rule;
    Ok(df!(
        "threshold_percent" => [r.shnor.threshold_percent],
        "strict_comparison" => [r.shnor.comparison == Comparison::Above],
        "min_participants" => [r.shnor.min_participants as i64],
        "min_procedures" => [r.shnor.min_procedures_current_year as i64],
        "combine_and" => [r.shnor.combine == Combine::And],
        "current_year" => [years.current],
        "previous_year" => [years.previous],
        "cut_by_top_share" => [r.shnsu.cut == Cut::TopShare],
        "top_share_percent" => [r.shnsu.top_share_percent],
        "risk_cutoff" => [r.shnsu.cutoff],
    )?)
}

/// The weight and direction (+1 risk, −1 protective) of each indicator.
fn weights(indicators: &[String], m: &LoadedMethodology) -> Result<DataFrame> {
    let weight: Vec<f64> = indicators
        .iter()
        .map(|i| m.rule.indicator_weight(i))
        .collect();
    let direction: Vec<f64> = indicators
        .iter()
        .map(|i| match m.rule.indicator_direction(i) {
            Direction::Risk => 1.0,
            Direction::Protective => -1.0,
        })
        .collect();
    Ok(df!(
        "indicator" => indicators,
        "weight" => weight,
        "direction" => direction,
    )?)
}

fn run_query(
    ctx: &mut SQLContext,
    m: &LoadedMethodology,
    reference: &str,
    log: &mut Vec<(String, String)>,
) -> Result<DataFrame> {
    let sql = m.query_text(reference)?;
    let frame = ctx
        .execute(&sql)
        .and_then(|lf| lf.collect())
        .map_err(anyhow::Error::from)
        .with_context(|| format!("query {reference} failed"))?;
    log.push((reference.to_string(), sql));
    Ok(frame)
}

/// Runs the methodology's queries.
pub fn classify(
    procedures: &DataFrame,
    schools: &DataFrame,
    survey_long: &DataFrame,
    years: Years,
    m: &LoadedMethodology,
) -> Result<Classification> {
    let mut ctx = SQLContext::new();
    let mut queries = Vec::new();
    ctx.register("params", params(m, years)?.lazy());
    ctx.register("schools", schools.clone().lazy());
    ctx.register(
        "procedures",
        procedures
            .clone()
            .lazy()
            .with_column(in_scope(m).alias("in_scope")),
    );
    let counted = run_query(&mut ctx, m, &m.rule.shnor.counting_query, &mut queries)?;
    ctx.register("procedure_counts", counted.clone().lazy());
    let shnor = run_query(&mut ctx, m, &m.rule.shnor.query, &mut queries)?;

    let indicators_of_year = survey_long
        .clone()
        .lazy()
        .filter(col("year").eq(lit(years.survey.unwrap_or(i32::MIN))))
        .select([col("school_id"), col("indicator"), col("value")])
        .collect()?;
    let names: Vec<String> = indicators_of_year
        .column("indicator")?
        .unique_stable()?
        .str()?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    ctx.register("indicators", indicators_of_year.lazy());
    ctx.register("weights", weights(&names, m)?.lazy());
    let shnsu = run_query(&mut ctx, m, &m.rule.shnsu.query, &mut queries)?;
    Ok(Classification {
        procedures: counted,
        shnor,
        shnsu,
        years,
        queries,
    })
}
