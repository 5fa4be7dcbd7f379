//! Stage 4: the methodology's SQL (queries/) turns the procedure and survey
//! tables into the ШНОР and ШНСУ decisions, the contextual view and the
//! history. Rust only prepares the tables the SQL reads: scope flags, year
//! roles, the methodology's conditions and the one-row `params` table.

pub mod context;
pub mod history;
pub mod objectivity;

use anyhow::{Context, Result, bail};
use polars::prelude::*;
use polars::sql::SQLContext;
use serde::Serialize;

use crate::codes::{
    Code, ContextGroup, CountStatus, FollowUpStatus, IndexDirection, LeaveReason, LevelOfEducation,
    RiskLevel, TargetKind, Transition,
};
use crate::methodology::{
    Combine, Comparison, ConditionYears, Cut, Direction, LoadedMethodology, ProfileIndex,
    ReferenceGroup, YearSelection,
};
use crate::validate::rules::GRADES;

/// The years a run compares.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Years {
    /// The latest selected year.
    pub current: i32,
    /// The selected year before it.
    pub previous: Option<i32>,
    /// Every year the ШНОР rule looks at, ascending.
    pub selected: Vec<i32>,
    /// The survey year used for ШНСУ (the latest not after the current year).
    pub survey: Option<i32>,
}

/// Everything the classification produced.
pub struct Classification {
    /// Procedures with `counts`, `count_status`, `share_change_pp`.
    pub procedures: DataFrame,
    /// One row per registry school: the ШНОР decision and its reasons.
    pub shnor: DataFrame,
    /// One row per school with survey data: risk score, rank, ШНСУ decision.
    pub shnsu: DataFrame,
    /// One row per school × procedure × sign checked (None when the
    /// methodology checks no signs of biased assessment).
    pub objectivity: Option<DataFrame>,
    /// Per school: `objectivity_checked`, `objectivity_signs` (current year).
    pub school_objectivity: DataFrame,
    /// One row per school × indicator: value, group mean, scaled value.
    pub indicator_scores: DataFrame,
    /// One row per school × risk factor: score and level.
    pub risk_profiles: DataFrame,
    /// One row per registry school: context group and regression values.
    pub context: DataFrame,
    /// The weighted regression behind `context`.
    pub fit: context::Fit,
    /// One row per municipality.
    pub municipalities: DataFrame,
    /// Transitions against earlier lists (None without previous lists).
    pub history: Option<DataFrame>,
    /// One row per school × year in the data: results and lists.
    pub school_years: DataFrame,
    /// The follow-up of the earlier ШНОР lists (None without them).
    pub follow_up: Option<DataFrame>,
    /// One row per area × target of the methodology (empty without targets).
    pub targets: DataFrame,
    /// The current year's figures per area × level of education.
    pub levels: DataFrame,
    /// Зона риска: one row per school close to the line.
    pub risk_zone: DataFrame,
    /// The schools with stably high results, and the years looked at.
    pub stably_high: DataFrame,
    pub stable_years: Vec<i32>,
    /// One row per ШНОР school × level × partner candidate (a row with no
    /// partner where there is none).
    pub partners: DataFrame,
    pub years: Years,
    /// The SQL text of each query, as run.
    pub queries: Vec<(String, String)>,
    /// How long each query took, in milliseconds (for the manifest's
    /// timings: what bounds the classify stage).
    pub query_ms: Vec<(String, u128)>,
}

/// Picks the years of the rule from those present in the results.
pub fn choose_years(
    procedure_years: &[i32],
    survey_years: &[i32],
    m: &LoadedMethodology,
) -> Result<Years> {
    let mut present = procedure_years.to_vec();
    present.sort_unstable();
    present.dedup();
    if present.is_empty() {
        // A failed run writes no rejected.csv: `check` lists the rows.
        bail!(
            "ни одной пригодной строки результатов: выявлять не по чему; все строки отложены \
             или файлы пусты — список отложенных строк с причинами даёт `shnor check --all`"
        );
    }
    let selected = match &m.rule.shnor.years {
        YearSelection::Explicit(years) => {
            let missing: Vec<String> = years
                .iter()
                .filter(|y| !present.contains(y))
                .map(|y| y.to_string())
                .collect();
            if !missing.is_empty() {
                bail!(
                    "методика {} называет в shnor.years годы {}, а в результатах есть только {}",
                    m.origin,
                    missing.join(", "),
                    present
                        .iter()
                        .map(|y| y.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            let mut years = years.clone();
            years.sort_unstable();
            years.dedup();
            years
        }
        YearSelection::Last { last } => {
            let skip = present.len().saturating_sub(*last as usize);
            present[skip..].to_vec()
        }
    };
    let current = *selected.last().expect("non-empty selection");
    let previous = selected.len().checked_sub(2).map(|i| selected[i]);
    let survey = survey_years.iter().copied().filter(|y| *y <= current).max();
    Ok(Years {
        current,
        previous,
        selected,
        survey,
    })
}

fn list_literal(values: Series) -> Expr {
    lit(values).implode(false)
}

fn in_scope(m: &LoadedMethodology) -> Expr {
    let mut scope = lit(true);
    let assessments = m.rule.scope_assessments();
    if !assessments.is_empty() {
        scope = scope.and(
            col("assessment").is_in(list_literal(Series::new("a".into(), assessments)), false),
        );
    }
    let subjects = m.rule.scope_subjects();
    if !subjects.is_empty() {
        scope =
            scope.and(col("subject").is_in(list_literal(Series::new("s".into(), subjects)), false));
    }
    if !m.rule.shnor.grades.is_empty() {
        scope = scope.and(col("grade").is_in(
            list_literal(Series::new("g".into(), m.rule.shnor.grades.clone())),
            false,
        ));
    }
    scope
}

/// The subject without its level: «математика (профильная)» → «математика».
/// `every_subject` conditions count families, so profile or base maths both
/// satisfy «mathematics».
pub fn subject_family(subject: Expr) -> Expr {
    subject
        .str()
        .replace(lit(r"\s*\(.*\)$"), lit(""), false)
        .alias("subject_family")
}

/// `procedures` with `subject_family`, the pattern applied once per distinct
/// subject rather than once per row (a regex over 1.5 M rows at national
/// scale).
fn with_subject_family(procedures: LazyFrame) -> LazyFrame {
    let families = procedures
        .clone()
        .select([col("subject")])
        .unique(None, UniqueKeepStrategy::Any)
        .with_column(subject_family(col("subject")));
    procedures.join(
        families,
        [col("subject")],
        [col("subject")],
        JoinArgs::new(JoinType::Left),
    )
}

/// The registry with `excluded` and `exclusion_reason` from the methodology's
/// excluded school kinds.
fn schools_table(schools: &DataFrame, m: &LoadedMethodology) -> LazyFrame {
    let kinds: Vec<String> = m
        .rule
        .shnor
        .exclude_school_kinds
        .iter()
        .map(|k| k.trim().to_lowercase())
        .collect();
    let excluded = if kinds.is_empty() {
        lit(false)
    } else {
        col("school_kind")
            .str()
            .to_lowercase()
            .str()
            .strip_chars(lit(NULL))
            .is_in(list_literal(Series::new("k".into(), kinds)), false)
            .fill_null(false)
    };
    schools.clone().lazy().with_columns([
        excluded.alias("excluded"),
        concat_str(
            [
                lit("исключена методикой (вид ОО: "),
                col("school_kind"),
                lit(")"),
            ],
            "",
            true,
        )
        .alias("exclusion_reason"),
    ])
}

/// One row of the `conditions` table: the condition as the methodology
/// gives it, every field its own column, and what the run derives.
#[derive(Serialize)]
struct ConditionRow<'a> {
    condition_id: i64,
    #[serde(flatten)]
    condition: &'a crate::methodology::Condition,
    /// Years the condition needs (2 for the current and previous year, even
    /// when the data has only one: the condition cannot hold then).
    n_years: i64,
    /// Subject families of the methodology's scope (`every_subject`).
    n_families: i64,
}

/// The methodology's conditions and the years each looks at.
fn condition_tables(m: &LoadedMethodology, years: &Years) -> Result<(DataFrame, DataFrame)> {
    let n_families = scope_families(m)?;
    let mut rows = Vec::new();
    let (mut year_ids, mut year_values) = (Vec::new(), Vec::new());
    for (i, c) in m.rule.shnor.conditions.iter().enumerate() {
        let condition_years: Vec<i32> = match c.years {
            ConditionYears::Current => vec![years.current],
            ConditionYears::CurrentAndPrevious => {
                years.previous.into_iter().chain([years.current]).collect()
            }
            ConditionYears::All => years.selected.clone(),
        };
        let n_years = match c.years {
            ConditionYears::CurrentAndPrevious => 2,
            _ => condition_years.len() as i64,
        };
        rows.push(ConditionRow {
            condition_id: i as i64,
            condition: c,
            n_years,
            n_families,
        });
        year_ids.extend(condition_years.iter().map(|_| i as i64));
        year_values.extend(condition_years);
    }
    let conditions = table_of(&rows)?;
    let condition_years = df!("condition_id" => year_ids, "year" => year_values)?;
    Ok((conditions, condition_years))
}

/// How many subject families the methodology's scope covers, by the same
/// rule as the procedures' `subject_family`.
fn scope_families(m: &LoadedMethodology) -> Result<i64> {
    let subjects = Series::new("subject".into(), m.rule.scope_subjects());
    let families = DataFrame::new_infer_height(vec![subjects.into()])?
        .lazy()
        .select([subject_family(col("subject"))])
        .unique(None, UniqueKeepStrategy::Any)
        .collect()?;
    Ok(families.height() as i64)
}

/// A table with one row per item and one column per field, named and typed
/// as serde writes them (bool, integer, float, text; an enum as its name),
/// so that a new field of a methodology struct reaches the SQL by itself.
fn table_of<T: Serialize>(rows: &[T]) -> Result<DataFrame> {
    let values: Vec<serde_json::Map<String, serde_json::Value>> = rows
        .iter()
        .map(|r| match serde_json::to_value(r) {
            Ok(serde_json::Value::Object(map)) => Ok(map),
            Ok(_) => bail!("a table row must serialise as an object"),
            Err(e) => Err(e.into()),
        })
        .collect::<Result<_>>()?;
    let Some(first) = values.first() else {
        return Ok(DataFrame::empty());
    };
    let columns: Vec<Column> = first
        .iter()
        .map(|(name, sample)| {
            let cells = values.iter().map(|row| &row[name.as_str()]);
            let name = name.as_str().into();
            match sample {
                serde_json::Value::Bool(_) => {
                    Column::new(name, cells.map(|v| v.as_bool()).collect::<Vec<_>>())
                }
                serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => {
                    Column::new(name, cells.map(|v| v.as_i64()).collect::<Vec<_>>())
                }
                serde_json::Value::Number(_) => {
                    Column::new(name, cells.map(|v| v.as_f64()).collect::<Vec<_>>())
                }
                _ => Column::new(
                    name,
                    cells
                        .map(|v| {
                            v.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| v.to_string())
                        })
                        .collect::<Vec<_>>(),
                ),
            }
        })
        .collect();
    Ok(DataFrame::new_infer_height(columns)?)
}

fn cut_name(c: Cut) -> &'static str {
    match c {
        Cut::TopShare => "top_share",
        Cut::Cutoff => "cutoff",
        Cut::Bands => "bands",
    }
}

/// The one-row table of settings the SQL reads.
fn params(m: &LoadedMethodology, years: &Years) -> Result<DataFrame> {
    let r = &m.rule;
    Ok(df!(
        "threshold_percent" => [r.shnor.threshold_percent],
        "strict_comparison" => [r.shnor.comparison == Comparison::Above],
        "min_participants" => [r.shnor.min_participants as i64],
        "combine_and" => [r.shnor.combine == Combine::And],
        "current_year" => [years.current],
        "previous_year" => [years.previous],
        "normalisation" => [r.shnsu.normalisation.name()],
        "cut" => [cut_name(r.shnsu.cut)],
        "top_share_percent" => [r.shnsu.top_share_percent],
        "risk_cutoff" => [r.shnsu.cutoff],
        "resilient_max_std_residual" => [r.context.resilient_max_std_residual],
        "poor_conditions_min_risk" => [r.context.poor_conditions_min_risk],
        "min_indicators" => [r.shnsu.min_indicators as i64],
        "profile_index" => [match r.shnsu.profile.index {
            ProfileIndex::Indicators => "indicators",
            ProfileIndex::Factors => "factors",
        }],
        "profile_high" => [m.rule.profile_levels().map(|l| l.high)],
        "profile_medium" => [m.rule.profile_levels().map(|l| l.medium)],
        "exit_after_years" => [r.history.exit_after_years as i64],
        "exit_upper_bound_below" => [r.history.exit_upper_bound_below],
        "risk_zone_by_count" => [r.risk_zone.by_count],
        "risk_zone_by_interval" => [r.risk_zone.by_interval],
        "risk_zone_near_points" => [r.risk_zone.near_points],
        "risk_zone_pooled_years" => [r.risk_zone.pooled_years as i64],
        "risk_zone_pooled_min_years" => [r.risk_zone.pooled_min_years as i64],
        "stably_high_years" => [r.stably_high.years as i64],
        "stably_high_max_fail_percent" => [r.stably_high.max_fail_percent],
        "stably_high_min_quality_percent" => [r.stably_high.min_quality_percent],
        "stably_high_min_participants" => [r.stably_high.min_participants as i64],
        "partners_max" => [r.stably_high.partners as i64],
    )?
    .hstack(&objectivity::params(r.objectivity.as_ref()))?)
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
            // Never in the survey the index reads (left out when checked).
            Direction::Descriptive => 0.0,
        })
        .collect();
    // What a reader sees: the dictionary's label, and whether the value is
    // a share (shown in percent).
    let entry = |i: &String| {
        crate::ingest::indicators::dictionary()
            .iter()
            .find(|e| e.name == *i)
    };
    let label: Vec<String> = indicators
        .iter()
        .map(|i| entry(i).map_or_else(|| i.clone(), |e| e.label.clone()))
        .collect();
    let share: Vec<bool> = indicators
        .iter()
        .map(|i| entry(i).is_some_and(|e| e.unit == crate::ingest::indicators::Unit::Share))
        .collect();
    let threshold: Vec<Option<f64>> = indicators
        .iter()
        .map(|i| m.rule.shnsu.thresholds.get(i).copied())
        .collect();
    let factors: Vec<_> = indicators
        .iter()
        .map(|i| m.rule.indicator_factor(i))
        .collect();
    Ok(df!(
        "indicator" => indicators,
        "weight" => weight,
        "direction" => direction,
        "label" => label,
        "is_share" => share,
        "threshold" => threshold,
        "factor" => factors.iter().map(|f| f.as_ref().map(|f| f.code.clone())).collect::<Vec<_>>(),
        "factor_label" => factors.iter().map(|f| f.as_ref().map(|f| f.label.clone())).collect::<Vec<_>>(),
        "factor_weight" => factors.iter().map(|f| f.as_ref().map(|f| f.weight)).collect::<Vec<_>>(),
    )?)
}

fn bands(m: &LoadedMethodology) -> Result<DataFrame> {
    let b = &m.rule.shnsu.bands;
    Ok(df!(
        "label" => b.iter().map(|b| b.label.clone()).collect::<Vec<_>>(),
        "min_score" => b.iter().map(|b| b.min_score).collect::<Vec<_>>(),
        "listed" => b.iter().map(|b| b.listed).collect::<Vec<_>>(),
    )?)
}

/// Runs methodology queries in one SQL context and keeps their text.
struct QueryRunner<'a> {
    ctx: SQLContext,
    /// The tables registered so far: all a query may read.
    tables: Vec<&'static str>,
    methodology: &'a LoadedMethodology,
    log: Vec<(String, String)>,
    elapsed: Vec<(String, u128)>,
}

impl QueryRunner<'_> {
    fn register(&mut self, name: &'static str, frame: LazyFrame) {
        self.ctx.register(name, frame);
        if !self.tables.contains(&name) {
            self.tables.push(name);
        }
    }

    fn run(&mut self, reference: &str) -> Result<DataFrame> {
        let sql = self.methodology.query_text(reference)?;
        crate::sql_guard::check(&sql, reference, &self.tables)?;
        let start = std::time::Instant::now();
        let frame = self
            .ctx
            .execute(&sql)
            .and_then(|lf| lf.collect())
            .map_err(anyhow::Error::from)
            .with_context(|| format!("запрос {reference} не выполнился"))?;
        let name = reference.strip_prefix("builtin:").unwrap_or(reference);
        self.elapsed
            .push((name.to_string(), start.elapsed().as_millis()));
        self.log.push((reference.to_string(), sql));
        Ok(frame)
    }
}

/// The inputs of a classification.
pub struct Inputs<'a> {
    pub procedures: &'a DataFrame,
    pub schools: &'a DataFrame,
    /// Survey in long form: school_id, year, indicator, value.
    pub survey: &'a DataFrame,
    /// Earlier lists: school_id, year, list.
    pub previous_lists: Option<&'a DataFrame>,
    /// Spearman's rs of journal mark and score per procedure: school_id,
    /// year, assessment, subject, grade, rs, n.
    pub score_ranks: &'a DataFrame,
}

/// Runs the methodology's queries.
pub fn classify(inputs: &Inputs, years: Years, m: &LoadedMethodology) -> Result<Classification> {
    let mut q = QueryRunner {
        ctx: SQLContext::new(),
        tables: Vec::new(),
        methodology: m,
        log: Vec::new(),
        elapsed: Vec::new(),
    };
    let schools = schools_table(inputs.schools, m).collect()?;
    q.register("params", params(m, &years)?.lazy());
    q.register("schools", schools.clone().lazy());
    let counted = count_procedures(&mut q, inputs.procedures, m)?;
    let found = objectivity::signs(&mut q, m, inputs.score_ranks)?;
    let counted = objectivity::with_unreliable(counted, found.as_ref(), m)?;
    let school_objectivity = objectivity::by_school(found.as_ref(), years.current)?;
    q.register("procedure_counts", counted.clone().lazy());
    let (conditions, condition_years) = condition_tables(m, &years)?;
    q.register("conditions", conditions.lazy());
    q.register("condition_years", condition_years.lazy());
    let shnor = q.run(&m.rule.shnor.query)?;
    let SocialRisk {
        shnsu,
        scores: indicator_scores,
        profiles: risk_profiles,
    } = social_risk(&mut q, inputs, &years, m)?;

    let decisions = decisions(&schools, &shnor, &shnsu)?;
    let school_results = context::school_results(&counted, &years, m)?;
    let (fit, fitted) = context::fit(&school_results, &decisions)?;
    q.register("decisions", decisions.clone().lazy());
    q.register(
        "context_fit",
        context::every_school_with_results(&school_results, fitted),
    );
    let context_table = q.run(&m.rule.context.query)?;
    crate::codes::known::<ContextGroup>(&context_table, &m.rule.context.query)?;

    let summary = by_school(
        schools
            .clone()
            .lazy()
            .select([col("school_id"), col("municipality")]),
        [
            decisions.clone().lazy(),
            context_table
                .clone()
                .lazy()
                .select([col("school_id"), col("context_group")]),
            school_results.clone().lazy(),
            school_objectivity.clone().lazy(),
            with_results(&counted, years.current),
        ],
    );
    q.register("schools_summary", summary.clone());
    let municipalities = q.run("builtin:municipalities.sql")?;
    q.register("grade_levels", grade_levels()?.lazy());
    let levels = q.run("builtin:levels.sql")?;
    crate::codes::known::<LevelOfEducation>(&levels, "builtin:levels.sql")?;
    let targets = targets(&mut q, summary, &municipalities, m)?;
    let municipalities = with_targets_met(municipalities, &targets)?;
    q.register(
        "previous_lists",
        inputs
            .previous_lists
            .cloned()
            .unwrap_or_else(history::no_lists)
            .lazy(),
    );
    q.register("current_lists", history::current_lists(&decisions)?.lazy());
    let school_years = q.run("builtin:school_years.sql")?;
    q.register("school_years", school_years.clone().lazy());
    let (history, follow_up) = match inputs.previous_lists {
        Some(_) => (Some(transitions(&mut q)?), Some(follow_up(&mut q)?)),
        None => (None, None),
    };
    let risk_zone = q.run("builtin:risk_zone.sql")?;
    let stable_years = latest_years(&counted, years.current, m.rule.stably_high.years)?;
    q.register(
        "stably_high_years",
        df!("year" => stable_years.clone())?.lazy(),
    );
    let stably_high = q.run("builtin:stably_high.sql")?;
    q.register("stably_high", stably_high.clone().lazy());
    let partners = q.run("builtin:partners.sql")?;
    crate::codes::known::<LevelOfEducation>(&partners, "builtin:partners.sql")?;
    Ok(Classification {
        procedures: counted,
        shnor,
        shnsu,
        objectivity: found,
        school_objectivity,
        indicator_scores,
        risk_profiles,
        context: context_table,
        fit,
        municipalities,
        history,
        school_years,
        follow_up,
        targets,
        levels,
        risk_zone,
        stably_high,
        stable_years,
        partners,
        years,
        queries: q.log,
        query_ms: q.elapsed,
    })
}

/// The level of general education of each grade, as the law on education
/// divides them (НОО 1–4, ООО 5–9, СОО 10–11): the one table the queries
/// by level join, so that the boundaries are written once.
fn grade_levels() -> Result<DataFrame> {
    let level = |grade: i32| match grade {
        ..=4 => LevelOfEducation::Noo,
        5..=9 => LevelOfEducation::Ooo,
        _ => LevelOfEducation::Soo,
    };
    let grades: Vec<i32> = (GRADES.low..=GRADES.high).collect();
    Ok(df!(
        "level_of_education" => grades.iter().map(|g| level(*g).code()).collect::<Vec<_>>(),
        "grade" => grades,
    )?)
}

/// The latest `n` years of results up to the current one, ascending: the
/// years the stably-high rule looks at. Fewer than `n` when the data has
/// fewer, and then no school is stably high (the run warns).
fn latest_years(counted: &DataFrame, current: i32, n: u32) -> Result<Vec<i32>> {
    let years =
        counted
            .clone()
            .lazy()
            .filter(col("year").lt_eq(lit(current)).and(
                col("count_status").neq(lit(crate::codes::Code::code(CountStatus::OutOfScope))),
            ))
            .select([col("year").unique()])
            .sort(
                ["year"],
                SortMultipleOptions::default().with_order_descending(true),
            )
            .limit(n)
            .collect()?;
    let mut years: Vec<i32> = years.column("year")?.i32()?.into_no_null_iter().collect();
    years.sort_unstable();
    Ok(years)
}

/// The schools with a procedure in scope in the current year, however few
/// its participants (`has_results`): what the shares of a municipality are
/// shares of, so that colleges and boarding schools without results in the
/// registry do not dilute them.
fn with_results(counted: &DataFrame, current: i32) -> LazyFrame {
    counted
        .clone()
        .lazy()
        .filter(
            col("year").eq(lit(current)).and(
                col("count_status").neq(lit(crate::codes::Code::code(CountStatus::OutOfScope))),
            ),
        )
        .select([col("school_id")])
        .unique(None, UniqueKeepStrategy::First)
        .with_column(lit(true).alias("has_results"))
}

/// `left` with the columns of each of `right` joined on `school_id`.
fn by_school<const N: usize>(left: LazyFrame, right: [LazyFrame; N]) -> LazyFrame {
    right.into_iter().fold(left, |joined, other| {
        joined.join(
            other,
            [col("school_id")],
            [col("school_id")],
            JoinArgs::new(JoinType::Left),
        )
    })
}

/// The counting query over the procedures with their scope, family and
/// previous-year share.
fn count_procedures(
    q: &mut QueryRunner,
    procedures: &DataFrame,
    m: &LoadedMethodology,
) -> Result<DataFrame> {
    q.register(
        "procedures",
        with_subject_family(
            crate::measure::procedures::with_previous_year(procedures.clone())?.lazy(),
        )
        .with_column(in_scope(m).alias("in_scope")),
    );
    let counted = q.run(&m.rule.shnor.counting_query)?;
    crate::codes::known::<CountStatus>(&counted, &m.rule.shnor.counting_query)?;
    q.register("procedure_counts", counted.clone().lazy());
    Ok(counted)
}

/// The ШНСУ query over the survey year's indicators, each school in its
/// reference group.
fn social_risk(
    q: &mut QueryRunner,
    inputs: &Inputs,
    years: &Years,
    m: &LoadedMethodology,
) -> Result<SocialRisk> {
    let reference_group = match m.rule.shnsu.reference_group {
        ReferenceGroup::Region => lit("весь регион"),
        ReferenceGroup::SettlementType => col("settlement_type").fill_null(lit("не указан")),
        ReferenceGroup::Municipality => col("municipality").fill_null(lit("не указан")),
    };
    let indicators = by_school(
        inputs
            .survey
            .clone()
            .lazy()
            .filter(col("year").eq(lit(years.survey.unwrap_or(i32::MIN)))),
        [inputs.schools.clone().lazy().select([
            col("school_id"),
            col("settlement_type"),
            col("municipality"),
        ])],
    )
    .select([
        col("school_id"),
        col("indicator"),
        col("value"),
        reference_group.alias("ref_group"),
    ])
    .collect()?;
    let names: Vec<String> = indicators
        .column("indicator")?
        .unique_stable()?
        .str()?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    q.register("indicators", indicators.lazy());
    q.register("weights", weights(&names, m)?.lazy());
    q.register("bands", bands(m)?.lazy());
    let scores = q.run(&m.rule.shnsu.scoring_query)?;
    crate::codes::known::<IndexDirection>(&scores, &m.rule.shnsu.scoring_query)?;
    q.register("indicator_scores", scores.clone().lazy());
    let profiles = q.run(&m.rule.shnsu.profile.query)?;
    crate::codes::known_where_set::<RiskLevel>(&profiles, &m.rule.shnsu.profile.query)?;
    q.register("risk_profiles", profiles.clone().lazy());
    Ok(SocialRisk {
        shnsu: q.run(&m.rule.shnsu.query)?,
        scores,
        profiles,
    })
}

/// What the ШНСУ queries produced.
struct SocialRisk {
    shnsu: DataFrame,
    scores: DataFrame,
    profiles: DataFrame,
}

/// Both decisions for every registry school (false where a list has no row).
fn decisions(schools: &DataFrame, shnor: &DataFrame, shnsu: &DataFrame) -> Result<DataFrame> {
    Ok(by_school(
        schools.clone().lazy().select([col("school_id")]),
        [
            shnor
                .clone()
                .lazy()
                .select([col("school_id"), col("is_shnor")]),
            shnsu
                .clone()
                .lazy()
                .select([col("school_id"), col("is_shnsu"), col("risk_score")]),
        ],
    )
    .with_columns([
        col("is_shnor").fill_null(false),
        col("is_shnsu").fill_null(false),
    ])
    .collect()?)
}

/// The name the region's own row of the targets gets.
pub const REGION_AREA: &str = "Регион";

/// The road map's targets against the figures of the region (the
/// municipal query run over every school as one area, so that each figure
/// has one formula) and of each municipality.
fn targets(
    q: &mut QueryRunner,
    summary: LazyFrame,
    municipalities: &DataFrame,
    m: &LoadedMethodology,
) -> Result<DataFrame> {
    q.register(
        "schools_summary",
        summary.with_column(lit(REGION_AREA).alias("municipality")),
    );
    let region = q.run("builtin:municipalities.sql")?;
    let areas = concat(
        [
            region.lazy().with_column(lit("region").alias("level")),
            municipalities
                .clone()
                .lazy()
                .with_column(lit("municipality").alias("level")),
        ],
        UnionArgs::default(),
    )?;
    q.register("areas", areas);
    q.register("targets", target_table(m)?.lazy());
    let table = q.run("builtin:targets.sql")?;
    crate::codes::known::<TargetKind>(&table, "builtin:targets.sql")?;
    Ok(table)
}

/// The methodology's targets, one row per target × named municipality.
fn target_table(m: &LoadedMethodology) -> Result<DataFrame> {
    type Rows = (
        Vec<String>,
        Vec<f64>,
        Vec<&'static str>,
        Vec<Option<String>>,
        Vec<Option<String>>,
    );
    let mut rows: Rows = Default::default();
    for t in &m.rule.targets {
        let (value, kind) = match (t.at_most, t.at_least) {
            (Some(v), _) => (v, TargetKind::AtMost.code()),
            (None, Some(v)) => (v, TargetKind::AtLeast.code()),
            (None, None) => continue,
        };
        let areas: Vec<Option<String>> = if t.municipalities.is_empty() {
            vec![None]
        } else {
            t.municipalities.iter().cloned().map(Some).collect()
        };
        for area in areas {
            rows.0.push(t.indicator.clone());
            rows.1.push(value);
            rows.2.push(kind);
            rows.3.push(area);
            rows.4
                .push(Some(t.source.clone()).filter(|s| !s.is_empty()));
        }
    }
    Ok(df!(
        "indicator" => rows.0,
        "target" => rows.1,
        "target_kind" => rows.2,
        "municipality" => rows.3,
        "source" => rows.4,
    )?)
}

/// `municipalities` with the number of targets set and met in each.
fn with_targets_met(municipalities: DataFrame, targets: &DataFrame) -> Result<DataFrame> {
    let per_area = targets
        .clone()
        .lazy()
        .filter(col("level").eq(lit("municipality")))
        .group_by([col("municipality")])
        .agg([
            len().cast(DataType::Int64).alias("targets_set"),
            col("met").cast(DataType::Int64).sum().alias("targets_met"),
        ]);
    Ok(municipalities
        .lazy()
        .join(
            per_area,
            [col("municipality")],
            [col("municipality")],
            JoinArgs::new(JoinType::Left),
        )
        .with_columns([
            col("targets_set").fill_null(lit(0i64)),
            col("targets_met").fill_null(lit(0i64)),
        ])
        .collect()?)
}

/// Entered, stayed and left against the earlier lists (registered).
fn transitions(q: &mut QueryRunner) -> Result<DataFrame> {
    let table = q.run("builtin:history.sql")?;
    crate::codes::known::<Transition>(&table, "builtin:history.sql")?;
    Ok(table)
}

/// The follow-up of each earlier ШНОР list: status and why a school left.
fn follow_up(q: &mut QueryRunner) -> Result<DataFrame> {
    let table = q.run("builtin:follow_up.sql")?;
    crate::codes::known::<FollowUpStatus>(&table, "builtin:follow_up.sql")?;
    crate::codes::known_where_set::<LeaveReason>(&table, "builtin:follow_up.sql")?;
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row {
        id: i64,
        name: &'static str,
        flag: bool,
        share: f64,
    }

    #[test]
    fn a_struct_becomes_a_table_column_by_field() {
        let t = table_of(&[
            Row {
                id: 1,
                name: "a",
                flag: true,
                share: 0.5,
            },
            Row {
                id: 2,
                name: "b",
                flag: false,
                share: 1.5,
            },
        ])
        .unwrap();
        assert_eq!(t.height(), 2);
        assert_eq!(t.column("id").unwrap().dtype(), &DataType::Int64);
        assert_eq!(t.column("flag").unwrap().dtype(), &DataType::Boolean);
        assert_eq!(t.column("share").unwrap().f64().unwrap().get(1), Some(1.5));
        assert_eq!(t.column("name").unwrap().str().unwrap().get(0), Some("a"));
    }

    #[test]
    fn every_condition_field_reaches_the_conditions_table() {
        let m = LoadedMethodology::default_builtin().unwrap();
        let years = Years {
            current: 2025,
            previous: Some(2024),
            selected: vec![2024, 2025],
            survey: None,
        };
        let (conditions, condition_years) = condition_tables(&m, &years).unwrap();
        for c in [
            "condition_id",
            "name",
            "min_procedures",
            "same_procedure",
            "every_subject",
            "n_years",
            "n_families",
        ] {
            assert!(conditions.column(c).is_ok(), "{c}");
        }
        assert_eq!(conditions.height(), m.rule.shnor.conditions.len());
        assert!(condition_years.height() >= conditions.height());
    }
}
