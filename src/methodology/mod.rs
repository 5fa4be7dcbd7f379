//! The methodology: every setting that decides who is listed, read from a TOML
//! file an analyst can diff and version. Nothing about the rule lives in code
//! except the reading and validation of this file.

pub mod min_scores;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::ingest::normalize::{normalize_assessment, normalize_subject};

/// The default methodology, shipped inside the binary.
pub const DEFAULT_METHODOLOGY: &str = include_str!("../../methodologies/federal-2025.toml");

/// The published methodologies shipped inside the binary (name, text).
pub const PRESETS: &[(&str, &str)] = &[
    ("federal-2025", DEFAULT_METHODOLOGY),
    (
        "federal-2025-strict",
        include_str!("../../methodologies/federal-2025-strict.toml"),
    ),
    (
        "kuzbass-2022",
        include_str!("../../methodologies/kuzbass-2022.toml"),
    ),
    (
        "fioko-500plus",
        include_str!("../../methodologies/fioko-500plus.toml"),
    ),
    (
        "hse-ege-3y",
        include_str!("../../methodologies/hse-ege-3y.toml"),
    ),
];

/// Queries shipped inside the binary, addressed as `builtin:NAME`.
const BUILTIN_QUERIES: &[(&str, &str)] = &[
    (
        "procedure_counts.sql",
        include_str!("../../queries/procedure_counts.sql"),
    ),
    ("shnor.sql", include_str!("../../queries/shnor.sql")),
    (
        "indicator_scores.sql",
        include_str!("../../queries/indicator_scores.sql"),
    ),
    (
        "risk_profiles.sql",
        include_str!("../../queries/risk_profiles.sql"),
    ),
    ("shnsu.sql", include_str!("../../queries/shnsu.sql")),
    ("context.sql", include_str!("../../queries/context.sql")),
    (
        "municipalities.sql",
        include_str!("../../queries/municipalities.sql"),
    ),
    ("history.sql", include_str!("../../queries/history.sql")),
    (
        "school_years.sql",
        include_str!("../../queries/school_years.sql"),
    ),
    ("follow_up.sql", include_str!("../../queries/follow_up.sql")),
    ("targets.sql", include_str!("../../queries/targets.sql")),
    ("levels.sql", include_str!("../../queries/levels.sql")),
    ("risk_zone.sql", include_str!("../../queries/risk_zone.sql")),
    (
        "stably_high.sql",
        include_str!("../../queries/stably_high.sql"),
    ),
    ("partners.sql", include_str!("../../queries/partners.sql")),
    (
        "objectivity.sql",
        include_str!("../../queries/objectivity.sql"),
    ),
];

/// The ЕГЭ minimum test scores shipped inside the binary.
pub const BUILTIN_MIN_SCORES: &str = include_str!("../../reference/ege-min-scores.csv");
/// The shipped ВПР score → mark scales.
pub const BUILTIN_VPR_SCALES: &str = include_str!("../../reference/vpr-scales.csv");
/// How a methodology names them.
pub const BUILTIN_VPR_SCALES_NAME: &str = "builtin:vpr-scales";

/// How a methodology names the shipped minimum-score table.
pub const BUILTIN_MIN_SCORES_NAME: &str = "builtin:ege-min-scores";

/// The folder a methodology file's relative paths start from: its parent,
/// or the current folder for a bare file name (`-m rule.toml`).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A preset by its name, written `NAME` or `builtin:NAME` (the syntax of every
/// other built-in reference).
fn preset(name: &str) -> Option<&'static (&'static str, &'static str)> {
    let name = name.strip_prefix("builtin:").unwrap_or(name);
    PRESETS.iter().find(|(n, _)| *n == name)
}

/// A methodology as written in its file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Methodology {
    pub name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub applies_to_year: Option<i32>,
    #[serde(default)]
    pub assumptions: Vec<String>,
    pub shnor: ShnorRule,
    #[serde(default)]
    pub failure: FailureRule,
    pub shnsu: ShnsuRule,
    #[serde(default)]
    pub context: ContextRule,
    #[serde(default)]
    pub history: HistoryRule,
    /// The signs of biased assessment; none checked when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objectivity: Option<ObjectivityRule>,
    /// The road map's targets for the region and its municipalities.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Target>,
    /// Зона риска: the schools close to the line, watched, never listed.
    #[serde(default)]
    pub risk_zone: RiskZoneRule,
    /// Schools with stably high results, and partners for each ШНОР school.
    #[serde(default)]
    pub stably_high: StablyHighRule,
}

/// Зона риска (`risk_zone.sql`). The defaults are the project's reading of
/// «школы зоны риска»: no document gives the rule, so a report states it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RiskZoneRule {
    /// A school with a counting procedure this year that is not ШНОР.
    #[serde(default = "yes")]
    pub by_count: bool,
    /// A procedure below the threshold whose interval reaches it …
    #[serde(default = "yes")]
    pub by_interval: bool,
    /// … and whose share is at most this many percentage points below it:
    /// the interval of 1 «2» of 11 reaches 30 %, but that school is not
    /// close to the line.
    #[serde(default = "default_near_points")]
    pub near_points: f64,
    /// Procedures with too few participants summed over this many latest
    /// calendar years (0: not pooled) …
    #[serde(default = "default_pooled_years")]
    pub pooled_years: u32,
    /// … when at least this many of those years have the procedure.
    #[serde(default = "default_pooled_min_years")]
    pub pooled_min_years: u32,
}

fn yes() -> bool {
    true
}

fn default_near_points() -> f64 {
    5.0
}

fn default_pooled_years() -> u32 {
    3
}

fn default_pooled_min_years() -> u32 {
    2
}

impl Default for RiskZoneRule {
    fn default() -> Self {
        Self {
            by_count: true,
            by_interval: true,
            near_points: default_near_points(),
            pooled_years: default_pooled_years(),
            pooled_min_years: default_pooled_min_years(),
        }
    }
}

/// Stably high results (`stably_high.sql`) and the partner candidates of
/// each ШНОР school (`partners.sql`). No document gives the numbers: the
/// defaults are assumptions a report states.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StablyHighRule {
    /// The latest years of the data that are looked at, each of which must
    /// meet the rule.
    #[serde(default = "default_stable_years")]
    pub years: u32,
    /// The share of «2» at most this, in percent, in each year …
    #[serde(default = "default_stable_fail")]
    pub max_fail_percent: f64,
    /// … the share of «4» and «5» at least this …
    #[serde(default = "default_stable_quality")]
    pub min_quality_percent: f64,
    /// … with at least this many participants in the year's procedures.
    #[serde(default = "default_stable_participants")]
    pub min_participants: u32,
    /// Up to this many partners per ШНОР school and level of education.
    #[serde(default = "default_partners")]
    pub partners: u32,
}

fn default_stable_years() -> u32 {
    2
}

fn default_stable_fail() -> f64 {
    5.0
}

fn default_stable_quality() -> f64 {
    50.0
}

fn default_stable_participants() -> u32 {
    20
}

fn default_partners() -> u32 {
    3
}

impl Default for StablyHighRule {
    fn default() -> Self {
        Self {
            years: default_stable_years(),
            max_fail_percent: default_stable_fail(),
            min_quality_percent: default_stable_quality(),
            min_participants: default_stable_participants(),
            partners: default_partners(),
        }
    }
}

/// The figures of `municipalities` a target may be set on.
pub const TARGET_INDICATORS: [&str; 4] = [
    "shnor_share",
    "shnsu_share",
    "shnor_pass_share",
    "objectivity_index",
];

/// A target of the road map: a figure of `municipalities` at most or at
/// least a value, for the region and every municipality or for the named
/// ones.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub indicator: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
    /// Empty: the region and every municipality.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub municipalities: Vec<String>,
    #[serde(default)]
    pub source: String,
}

/// The ФИОКО signs a methodology may check.
pub const OBJECTIVITY_SIGNS: [&str; 4] = [
    "inflated_mean",
    "contradicts_marks",
    "cohort_fall",
    "cohort_rise",
];

/// The signs of biased assessment (ФИОКО «Уровень объективности оценки
/// образовательных результатов»), and the region's own.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ObjectivityRule {
    /// The procedures the ФИОКО signs look at.
    pub procedures: Vec<ObjectivityScope>,
    /// The multiplier of the intervals of the mean score, x̄ ± z·s/√n
    /// (ФИОКО: 1.96, a 95 % interval).
    #[serde(default = "default_objectivity_z")]
    pub z: f64,
    /// A school's procedure is checked only with at least this many scores.
    pub min_participants: u32,
    /// The ФИОКО signs to check: `inflated_mean`, `contradicts_marks`,
    /// `cohort_fall`, `cohort_rise`.
    pub signs: Vec<String>,
    /// The factor of the interquartile range that makes a cohort's change
    /// sharp (ФИОКО: 3, Q75 + 3·IQR and Q25 − 3·IQR).
    #[serde(default = "default_iqr_factor")]
    pub iqr_factor: f64,
    /// «Повысили» (the mark above the journal mark) above this share is a
    /// sign; none when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_higher_above: Option<f64>,
    /// A fall of the share of «2» by more than this many percentage points
    /// against the procedure's previous year is a sign; none when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_fall_pp: Option<f64>,
    /// Bands of the shares of marks: a sign when the share of «2» is below
    /// `fail_below` and the share of top marks above `top_above`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bands: Vec<ObjectivityBand>,
    /// What a sign does: "report" (beside the lists, nothing changes) or
    /// "mark_unreliable" (the ШНОР reasons call the procedure «недостоверен»).
    pub effect: ObjectivityEffect,
    #[serde(default = "default_objectivity_query")]
    pub query: String,
}

/// Procedures of one assessment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ObjectivityScope {
    pub assessment: String,
    pub subjects: Vec<String>,
    pub grades: Vec<i32>,
}

/// A region's band of mark shares for one procedure.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ObjectivityBand {
    pub assessment: String,
    pub subject: String,
    pub grade: i32,
    pub fail_below: f64,
    pub top_above: f64,
    /// "5" (the share of «5») or "4+5" (of «4» and «5»).
    pub top: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ObjectivityEffect {
    Report,
    MarkUnreliable,
}

fn default_objectivity_z() -> f64 {
    1.96
}

fn default_iqr_factor() -> f64 {
    3.0
}

fn default_objectivity_query() -> String {
    "builtin:objectivity.sql".into()
}

/// The contextual view: results against social conditions.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ContextRule {
    /// A school is resilient when its standardised residual is below this
    /// (results clearly better than its conditions predict) …
    #[serde(default = "default_resilient")]
    pub resilient_max_std_residual: f64,
    /// … its conditions are poor: risk_score ≥ this (on the index's scale) …
    #[serde(default = "default_poor_conditions")]
    pub poor_conditions_min_risk: f64,
    /// … and it is not ШНОР.
    #[serde(default = "default_context_query")]
    pub query: String,
}

impl Default for ContextRule {
    fn default() -> Self {
        Self {
            resilient_max_std_residual: default_resilient(),
            poor_conditions_min_risk: default_poor_conditions(),
            query: default_context_query(),
        }
    }
}

/// Earlier published lists.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HistoryRule {
    /// Folder of earlier lists (CSV: school_id, year, optional list = ШНОР/ШНСУ),
    /// relative to the methodology file; `--previous-lists` overrides it.
    #[serde(default)]
    pub previous_lists: Option<String>,
    /// The exit rule of the follow-up: a school on an earlier ШНОР list
    /// leaves it only after this many latest years in a row without a
    /// counting procedure (1: as soon as it is not ШНОР).
    #[serde(default = "default_exit_after_years")]
    pub exit_after_years: u32,
    /// … and, when set, only when the upper bound of every procedure's
    /// interval is below the threshold.
    #[serde(default)]
    pub exit_upper_bound_below: bool,
}

fn default_exit_after_years() -> u32 {
    1
}

impl Default for HistoryRule {
    fn default() -> Self {
        Self {
            previous_lists: None,
            exit_after_years: default_exit_after_years(),
            exit_upper_bound_below: false,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Comparison {
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = ">")]
    Above,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Combine {
    Or,
    And,
}

/// Settings of the ШНОР rule (results).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ShnorRule {
    #[serde(default)]
    pub assessments: Vec<String>,
    #[serde(default)]
    pub subjects: Vec<String>,
    #[serde(default)]
    pub grades: Vec<i32>,
    pub threshold_percent: f64,
    #[serde(default = "default_comparison")]
    pub comparison: Comparison,
    pub min_participants: u32,
    /// The years the rule looks at: explicit, or the last N available.
    #[serde(default)]
    pub years: YearSelection,
    /// Schools of these kinds (registry column `school_kind`) are never listed.
    #[serde(default)]
    pub exclude_school_kinds: Vec<String>,
    /// How the conditions combine.
    #[serde(default = "default_combine")]
    pub combine: Combine,
    pub conditions: Vec<Condition>,
    #[serde(default = "default_counting_query")]
    pub counting_query: String,
    #[serde(default = "default_shnor_query")]
    pub query: String,
    /// Login prefixes of one school across years: `sch220206` and
    /// `edu220206` (the same digits) are one school, under the registry's id.
    /// Empty: ids are taken as written.
    #[serde(default = "default_same_school_prefixes")]
    pub same_school_prefixes: Vec<String>,
}

/// The years a ШНОР rule considers. The current year is the latest of them,
/// the previous year the one before it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum YearSelection {
    /// `years = [2019, 2021]`: exactly these years (each must be in the data).
    Explicit(Vec<i32>),
    /// `years = { last = 3 }`: the last N years present in the results.
    Last { last: u32 },
}

impl Default for YearSelection {
    fn default() -> Self {
        YearSelection::Last { last: 2 }
    }
}

/// Which of the selected years a condition looks at.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ConditionYears {
    /// The current year only.
    Current,
    /// The current and the previous selected year.
    CurrentAndPrevious,
    /// Every selected year.
    All,
}

/// One condition of a ШНОР rule: in each of its years, at least
/// `min_procedures` counting procedures (the same ones in every year when
/// `same_procedure`; covering every subject family of the scope when
/// `every_subject`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// How the reasons name the condition.
    pub name: String,
    pub years: ConditionYears,
    #[serde(default = "default_one")]
    pub min_procedures: u32,
    #[serde(default)]
    pub same_procedure: bool,
    #[serde(default)]
    pub every_subject: bool,
}

/// How a student's failure is decided.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FailureRule {
    /// `builtin` or a path to a CSV with assessment, subject, from_year, min_score.
    #[serde(default = "default_builtin")]
    pub min_scores: String,
    /// Score → mark scales (`builtin:vpr-scales` or a path to a CSV with
    /// assessment, subject, grade, from_year, max_2, max_3, max_4, source):
    /// a score with no mark fails when the scale gives it a «2».
    #[serde(default = "default_scales")]
    pub scales: String,
    /// More scale tables in the same form, read after `scales`: regional
    /// ОГЭ primary-score scales, or years the shipped table lacks. A key
    /// given twice across the tables is refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_scales: Vec<String>,
}

impl Default for FailureRule {
    fn default() -> Self {
        Self {
            min_scores: default_builtin(),
            scales: default_scales(),
            extra_scales: Vec::new(),
        }
    }
}

fn default_same_school_prefixes() -> Vec<String> {
    vec!["sch".into(), "edu".into()]
}

fn default_min_indicators() -> usize {
    1
}

fn default_scales() -> String {
    BUILTIN_VPR_SCALES_NAME.into()
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Cut {
    /// The top share of scored schools by risk.
    TopShare,
    /// Every school at or above a fixed risk score.
    Cutoff,
    /// Named bands of the risk score; the bands marked `listed` make the list.
    Bands,
}

/// How each indicator is put on a common scale before averaging.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Normalisation {
    /// (x − mean) / population standard deviation.
    Zscore,
    /// (x − min) / (max − min), 0–1.
    MinMax,
    /// Percentile rank, 0–1 (ties share the lower rank).
    Percentile,
    /// Risk signs: 1 where an indicator is past its `[shnsu.thresholds]`
    /// value (at or above for a risk, at or below for a protective one);
    /// the score is their weighted count.
    Signs,
}

impl Normalisation {
    /// The name a methodology writes (`min_max`).
    pub fn name(self) -> &'static str {
        match self {
            Normalisation::Zscore => "zscore",
            Normalisation::MinMax => "min_max",
            Normalisation::Percentile => "percentile",
            Normalisation::Signs => "signs",
        }
    }
}

/// The schools each indicator is standardised against.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceGroup {
    /// All schools of the region.
    Region,
    /// Schools of the same `settlement_type` (urban with urban, rural with rural).
    SettlementType,
    /// Schools of the same municipality (a town's schools against each other).
    Municipality,
}

/// A band of the risk score: schools with score ≥ `min_score` (and below the
/// next band up) get `label`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub label: String,
    pub min_score: f64,
    #[serde(default)]
    pub listed: bool,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Risk,
    Protective,
    /// A fact about the school, shown but not part of the index.
    Descriptive,
}

/// Settings of the ШНСУ index (social conditions).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ShnsuRule {
    #[serde(default)]
    pub indicators: Vec<String>,
    #[serde(default)]
    pub protective_patterns: Vec<String>,
    #[serde(default = "default_normalisation")]
    pub normalisation: Normalisation,
    #[serde(default = "default_reference_group")]
    pub reference_group: ReferenceGroup,
    /// A school is scored only with at least this many indicators; with
    /// fewer it is reported as not scored.
    #[serde(default = "default_min_indicators")]
    pub min_indicators: usize,
    pub cut: Cut,
    #[serde(default = "default_top_share")]
    pub top_share_percent: f64,
    #[serde(default)]
    pub cutoff: f64,
    #[serde(default)]
    pub bands: Vec<Band>,
    #[serde(default = "default_shnsu_query")]
    pub query: String,
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
    #[serde(default)]
    pub directions: BTreeMap<String, Direction>,
    /// Absolute thresholds of risk signs (`ovz_share = 0.15`), by name or
    /// header; used by `normalisation = "signs"`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub thresholds: BTreeMap<String, f64>,
    /// The total each count of people is divided by (`"Количество
    /// обучающихся с ОВЗ" = "Всего обучающихся"`), by name or header.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub denominators: BTreeMap<String, String>,
    /// The SQL that puts each indicator on the index's common scale.
    #[serde(default = "default_scoring_query")]
    pub scoring_query: String,
    /// Risk factors and the levels of the risk profile.
    #[serde(default)]
    pub profile: Profile,
}

/// The risk profile (ФИОКО «500+»): indicators grouped into named factors,
/// each factor scored per school and given a level.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The factors; empty = the indicator dictionary's grouping (each
    /// indicator's `factor`, equal weights).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub factors: Vec<Factor>,
    /// What the risk score averages: the indicators (each with its weight)
    /// or the factors (each with its weight).
    #[serde(default)]
    pub index: ProfileIndex,
    /// The factor score at which a level starts, per normalisation
    /// (`zscore = { high = 1.0, medium = 0.5 }`); a normalisation without
    /// levels leaves `risk_level` empty and says so.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub levels: BTreeMap<Normalisation, Levels>,
    #[serde(default = "default_profile_query")]
    pub query: String,
}

/// The factor of one indicator as the run uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct FactorOf {
    pub code: String,
    pub label: String,
    pub weight: f64,
    /// Where the grouping came from.
    pub from: String,
}

/// One risk factor: a named group of indicators.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Factor {
    /// The code in the outputs (`equipment`).
    pub name: String,
    /// What a reader sees; the dictionary's label of the code when omitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default = "default_weight")]
    pub weight: f64,
    /// Indicators by the dictionary's name or the column's own header.
    pub indicators: Vec<String>,
}

/// Where the levels of a factor score start: `high` and above is a high
/// risk, `medium` up to `high` a medium one, below `medium` a low one.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Levels {
    pub high: f64,
    pub medium: f64,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ProfileIndex {
    /// The weighted mean of the indicators (signs: their weighted count).
    #[default]
    Indicators,
    /// The weighted mean of the factor scores (signs: their weighted sum).
    Factors,
}

fn default_weight() -> f64 {
    1.0
}
fn default_scoring_query() -> String {
    "builtin:indicator_scores.sql".into()
}
fn default_profile_query() -> String {
    "builtin:risk_profiles.sql".into()
}

fn default_comparison() -> Comparison {
    Comparison::AtLeast
}
fn default_combine() -> Combine {
    Combine::Or
}
fn default_resilient() -> f64 {
    -1.0
}
fn default_poor_conditions() -> f64 {
    0.5
}
fn default_context_query() -> String {
    "builtin:context.sql".into()
}
fn default_one() -> u32 {
    1
}
fn default_builtin() -> String {
    "builtin".into()
}
fn default_counting_query() -> String {
    "builtin:procedure_counts.sql".into()
}
fn default_shnor_query() -> String {
    "builtin:shnor.sql".into()
}
fn default_shnsu_query() -> String {
    "builtin:shnsu.sql".into()
}
fn default_normalisation() -> Normalisation {
    Normalisation::Zscore
}
fn default_reference_group() -> ReferenceGroup {
    ReferenceGroup::Region
}
fn default_top_share() -> f64 {
    10.0
}

/// A methodology together with where it came from, so that relative paths
/// (queries, minimum scores) resolve next to the file.
#[derive(Debug, Clone)]
pub struct LoadedMethodology {
    pub rule: Methodology,
    pub origin: String,
    pub base_dir: Option<PathBuf>,
    pub text: String,
    /// The methodologies it `extends`, nearest first (origin, text): part of
    /// what the run used, so recorded and hashed with it.
    pub bases: Vec<(String, String)>,
}

impl LoadedMethodology {
    /// The embedded default methodology.
    pub fn default_builtin() -> Result<Self> {
        Self::from_text(DEFAULT_METHODOLOGY, "builtin:federal-2025".into(), None)
    }

    /// A preset by name (see [`PRESETS`]) or a methodology file by path.
    pub fn resolve(name_or_path: &str) -> Result<Self> {
        let path = Path::new(name_or_path);
        if path.is_file() {
            return Self::from_file(path);
        }
        if let Some((name, text)) = preset(name_or_path) {
            return Self::from_text(text, format!("builtin:{name}"), None);
        }
        bail!(
            "методика `{name_or_path}` — не файл и не готовая методика; готовые: {} (см. `shnor methodologies`)",
            PRESETS
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    /// Reads and validates a methodology file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = crate::files::read_settings(path, "методика")?;
        Self::from_text(&text, path.display().to_string(), Some(folder_of(path)))
    }

    /// Parses methodology text that did not come from a file (relative paths
    /// in it resolve against the working directory).
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        Self::from_text(text, origin.to_string(), None)
    }

    fn from_text(text: &str, origin: String, base_dir: Option<PathBuf>) -> Result<Self> {
        let mut bases = Vec::new();
        let table = merged_table(text, &origin, base_dir.as_deref(), 0, &mut bases)?;
        refuse_non_finite(&toml::Value::Table(table.clone()), "")
            .with_context(|| format!("методика {origin} с ошибкой"))?;
        let rule: Methodology = table
            .try_into()
            .with_context(|| format!("методика {origin} с ошибкой"))?;
        rule.validate()
            .with_context(|| format!("методика {origin} с ошибкой"))?;
        Ok(Self {
            rule,
            origin,
            base_dir,
            text: text.to_string(),
            bases,
        })
    }

    /// The text of a query named in the methodology (`builtin:NAME` or a path
    /// relative to the methodology file).
    pub fn query_text(&self, reference: &str) -> Result<String> {
        if let Some(name) = reference.strip_prefix("builtin:") {
            return BUILTIN_QUERIES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, q)| q.to_string())
                .with_context(|| {
                    format!(
                        "встроенного запроса `{reference}` нет; встроенные запросы: {}",
                        BUILTIN_QUERIES
                            .iter()
                            .map(|(n, _)| format!("builtin:{n}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
        }
        let (_, text) = self.setting_file(reference, "запрос")?;
        Ok(text)
    }

    /// A file the methodology names, read from inside its folder (or the
    /// working directory for a methodology given as text).
    fn setting_file(&self, reference: &str, what: &str) -> Result<(PathBuf, String)> {
        let what = format!("{what} {reference} из методики {}", self.origin);
        let root = self.base_dir.clone().unwrap_or_else(|| PathBuf::from("."));
        let path = crate::files::confined(&root, reference, &what)?;
        let text = crate::files::read_settings(&path, &what)?;
        Ok((path, text))
    }

    /// The previous-lists folder named in the methodology, resolved.
    pub fn previous_lists_dir(&self) -> Option<PathBuf> {
        self.rule
            .history
            .previous_lists
            .as_deref()
            .map(|p| self.relative_path(p))
    }

    /// The minimum-score table text and where it came from.
    pub fn min_scores_text(&self) -> Result<(String, String)> {
        let reference = &self.rule.failure.min_scores;
        // `builtin` alone is the spelling of methodology files written before
        // `builtin:NAME` was the one syntax; both name the shipped table.
        if reference == "builtin" || reference == BUILTIN_MIN_SCORES_NAME {
            return Ok((
                BUILTIN_MIN_SCORES.to_string(),
                "builtin:reference/ege-min-scores.csv".into(),
            ));
        }
        let (path, text) = self.setting_file(reference, "таблица минимальных баллов")?;
        Ok((text, path.display().to_string()))
    }

    /// Each scale table's text and where it came from: `scales`, then
    /// `extra_scales`.
    pub fn scales_texts(&self) -> Result<Vec<(String, String)>> {
        let failure = &self.rule.failure;
        std::iter::once(&failure.scales)
            .chain(&failure.extra_scales)
            .map(|r| self.scales_text(r))
            .collect()
    }

    fn scales_text(&self, reference: &str) -> Result<(String, String)> {
        if reference == BUILTIN_VPR_SCALES_NAME {
            return Ok((
                BUILTIN_VPR_SCALES.to_string(),
                "builtin:reference/vpr-scales.csv".into(),
            ));
        }
        let (path, text) = self.setting_file(reference, "шкалы перевода баллов в отметки")?;
        Ok((text, path.display().to_string()))
    }

    fn relative_path(&self, reference: &str) -> PathBuf {
        let path = PathBuf::from(reference);
        match &self.base_dir {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path,
        }
    }
}

/// The methodology text as a TOML table, with `extends = "NAME|PATH"`
/// resolved: the base is read first and this file's keys override it (tables
/// merge key by key; arrays and values replace).
fn merged_table(
    text: &str,
    origin: &str,
    base_dir: Option<&Path>,
    depth: usize,
    bases: &mut Vec<(String, String)>,
) -> Result<toml::Table> {
    if depth > 8 {
        bail!("методика {origin}: цепочка `extends` глубже 8 уровней (цикл?)");
    }
    let mut table: toml::Table =
        toml::from_str(text).with_context(|| format!("методика {origin}: ошибка в TOML"))?;
    let Some(base) = table.remove("extends") else {
        return Ok(table);
    };
    let base = base
        .as_str()
        .with_context(|| {
            format!("методика {origin}: в `extends` укажите имя готовой методики или путь к файлу")
        })?
        .to_string();
    let (base_text, base_origin, base_base_dir) = if let Some((name, text)) = preset(&base) {
        (text.to_string(), format!("builtin:{name}"), None)
    } else {
        let what = format!("методика {origin}: extends = «{base}» (не предустановка и не файл)");
        let path = crate::files::confined(base_dir.unwrap_or(Path::new(".")), &base, &what)?;
        let text = crate::files::read_settings(&path, &what)?;
        (text, path.display().to_string(), Some(folder_of(&path)))
    };
    bases.push((base_origin.clone(), base_text.clone()));
    let mut merged = merged_table(
        &base_text,
        &base_origin,
        base_base_dir.as_deref(),
        depth + 1,
        bases,
    )?;
    merge_into(&mut merged, table);
    Ok(merged)
}

/// NaN and ±inf are valid TOML but never a valid setting: a threshold of NaN
/// compares false with everything and would empty or fill a list silently.
fn refuse_non_finite(value: &toml::Value, key: &str) -> Result<()> {
    match value {
        toml::Value::Float(f) if !f.is_finite() => {
            bail!("{key} = {f}: значение должно быть конечным числом (не nan и не inf)")
        }
        toml::Value::Table(t) => t.iter().try_for_each(|(k, v)| {
            let path = if key.is_empty() {
                k.clone()
            } else {
                format!("{key}.{k}")
            };
            refuse_non_finite(v, &path)
        }),
        toml::Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| refuse_non_finite(v, &format!("{key}[{i}]"))),
        _ => Ok(()),
    }
}

fn merge_into(base: &mut toml::Table, overrides: toml::Table) {
    for (key, value) in overrides {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge_into(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

impl Methodology {
    /// Checks ranges and names before any data is read, so that a typo in the
    /// methodology never costs a full run.
    pub fn validate(&self) -> Result<()> {
        let s = &self.shnor;
        if !(s.threshold_percent > 0.0 && s.threshold_percent <= 100.0) {
            bail!(
                "shnor.threshold_percent = {} вне допустимого: укажите процент в (0, 100], например 30",
                s.threshold_percent
            );
        }
        if s.min_participants == 0 {
            bail!("shnor.min_participants должен быть не меньше 1");
        }
        if s.conditions.is_empty() {
            bail!("shnor.conditions пуст: задайте хотя бы одно [[shnor.conditions]]");
        }
        if self.shnsu.normalisation == Normalisation::Signs && self.shnsu.thresholds.is_empty() {
            bail!(
                "shnsu.normalisation = \"signs\" считает признаки риска по порогам показателей, а \
                 [shnsu.thresholds] пуст; задайте пороги, например:\n[shnsu.thresholds]\novz_share = 0.15"
            );
        }
        for c in &s.conditions {
            if c.min_procedures == 0 {
                bail!(
                    "shnor.conditions `{}`: min_procedures должен быть не меньше 1",
                    c.name
                );
            }
            if c.every_subject && s.subjects.is_empty() {
                bail!(
                    "shnor.conditions `{}`: для every_subject перечислите предметы в shnor.subjects",
                    c.name
                );
            }
        }
        match &s.years {
            YearSelection::Explicit(years) if years.is_empty() => {
                bail!(
                    "shnor.years пуст: перечислите годы, например [2019, 2021], или задайте {{ last = 2 }}"
                )
            }
            YearSelection::Last { last: 0 } => bail!("shnor.years.last должен быть не меньше 1"),
            _ => {}
        }
        for a in &s.assessments {
            if normalize_assessment(a).is_none() {
                bail!("shnor.assessments: unknown assessment `{a}`; use ВПР, ОГЭ or ЕГЭ");
            }
        }
        for g in &s.grades {
            if !(1..=11).contains(g) {
                bail!("shnor.grades: класс {g} вне 1–11");
            }
        }
        let h = &self.shnsu;
        if self.shnsu.cut == Cut::TopShare
            && !(h.top_share_percent > 0.0 && h.top_share_percent <= 100.0)
        {
            bail!(
                "shnsu.top_share_percent = {} вне допустимого: укажите процент в (0, 100], например 10",
                h.top_share_percent
            );
        }
        if h.cut == Cut::Bands {
            if h.bands.is_empty() {
                bail!(
                    "для shnsu.cut = \"bands\" нужны [[shnsu.bands]] с label, min_score и listed"
                );
            }
            if !h.bands.iter().any(|b| b.listed) {
                bail!(
                    "shnsu.bands: ни в одной полосе нет listed = true, так что список ШНСУ всегда был бы пуст"
                );
            }
        }
        for (name, w) in &h.weights {
            if !(w.is_finite() && *w > 0.0) {
                bail!("shnsu.weights.{name} = {w}: веса должны быть положительными числами");
            }
        }
        self.validate_profile()?;
        self.validate_history()?;
        self.validate_targets()?;
        self.validate_watch_lists()?;
        self.validate_objectivity()
    }

    fn validate_watch_lists(&self) -> Result<()> {
        let z = &self.risk_zone;
        if z.pooled_years > 0 && !(1..=z.pooled_years).contains(&z.pooled_min_years) {
            bail!(
                "risk_zone.pooled_min_years = {}: укажите от 1 до pooled_years ({}) — сколько лет малой процедуры нужно, чтобы сложить их",
                z.pooled_min_years,
                z.pooled_years
            );
        }
        if !(z.near_points.is_finite() && z.near_points >= 0.0) {
            bail!(
                "risk_zone.near_points = {}: укажите, на сколько процентных пунктов ниже порога доля «2» ещё считается близкой к нему (например 10)",
                z.near_points
            );
        }
        let h = &self.stably_high;
        if h.years == 0 || h.partners == 0 {
            bail!(
                "stably_high: years и partners — не меньше 1 (сколько последних лет проверять и сколько партнёров предложить)"
            );
        }
        for (name, value) in [
            ("max_fail_percent", h.max_fail_percent),
            ("min_quality_percent", h.min_quality_percent),
        ] {
            if !(0.0..=100.0).contains(&value) {
                bail!("stably_high.{name} = {value}: укажите процент от 0 до 100");
            }
        }
        Ok(())
    }

    fn validate_targets(&self) -> Result<()> {
        for t in &self.targets {
            if !TARGET_INDICATORS.contains(&t.indicator.as_str()) {
                bail!(
                    "targets: показатель «{}» не из тех, для которых ставятся цели: {}",
                    t.indicator,
                    TARGET_INDICATORS.join(", ")
                );
            }
            if t.at_most.is_some() == t.at_least.is_some() {
                bail!(
                    "targets ({}): укажите ровно одно из at_most (не выше) и at_least (не ниже)",
                    t.indicator
                );
            }
        }
        Ok(())
    }

    fn validate_history(&self) -> Result<()> {
        if self.history.exit_after_years == 0 {
            bail!(
                "history.exit_after_years = 0: укажите, после скольких лет подряд без учитываемых процедур школа выходит из списка (1 — сразу)"
            );
        }
        Ok(())
    }

    fn validate_objectivity(&self) -> Result<()> {
        let Some(o) = &self.objectivity else {
            return Ok(());
        };
        if !(o.z.is_finite() && o.z > 0.0) {
            bail!(
                "objectivity.z = {}: множитель интервала должен быть положительным, например 1.96",
                o.z
            );
        }
        if !(o.iqr_factor.is_finite() && o.iqr_factor >= 0.0) {
            bail!(
                "objectivity.iqr_factor = {}: множитель межквартильного размаха не может быть отрицательным (ФИОКО: 3)",
                o.iqr_factor
            );
        }
        for sign in &o.signs {
            if !OBJECTIVITY_SIGNS.contains(&sign.as_str()) {
                bail!(
                    "objectivity.signs: неизвестный признак «{sign}»; есть: {}",
                    OBJECTIVITY_SIGNS.join(", ")
                );
            }
        }
        let assessments = o
            .procedures
            .iter()
            .map(|p| &p.assessment)
            .chain(o.bands.iter().map(|b| &b.assessment));
        for a in assessments {
            if normalize_assessment(a).is_none() {
                bail!("objectivity: неизвестная процедура «{a}»; укажите ВПР, ОГЭ или ЕГЭ");
            }
        }
        for b in &o.bands {
            if b.top != "5" && b.top != "4+5" {
                bail!(
                    "objectivity.bands ({} {} {} кл.): top = «{}»; укажите \"5\" или \"4+5\"",
                    b.assessment,
                    b.subject,
                    b.grade,
                    b.top
                );
            }
        }
        Ok(())
    }

    fn validate_profile(&self) -> Result<()> {
        let p = &self.shnsu.profile;
        for (i, f) in p.factors.iter().enumerate() {
            if !(f.weight.is_finite() && f.weight > 0.0) {
                bail!(
                    "shnsu.profile.factors «{}»: weight = {} — вес должен быть положительным числом",
                    f.name,
                    f.weight
                );
            }
            if p.factors[..i].iter().any(|g| g.name == f.name) {
                bail!("shnsu.profile.factors: фактор «{}» задан дважды", f.name);
            }
            if let Some(other) = p.factors[..i].iter().find_map(|g| {
                f.indicators
                    .iter()
                    .find(|x| g.indicators.contains(x))
                    .map(|x| (g, x))
            }) {
                bail!(
                    "shnsu.profile.factors: показатель «{}» отнесён и к «{}», и к «{}»; у показателя один фактор",
                    other.1,
                    other.0.name,
                    f.name
                );
            }
        }
        for (n, l) in &p.levels {
            if !matches!(
                l.medium.partial_cmp(&l.high),
                Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
            ) {
                bail!(
                    "shnsu.profile.levels.{}: medium = {} выше high = {}; уровень «средний» должен начинаться не выше «высокого»",
                    n.name(),
                    l.medium,
                    l.high
                );
            }
        }
        Ok(())
    }

    /// Canonical assessment codes in scope (empty = all).
    pub fn scope_assessments(&self) -> Vec<String> {
        self.shnor
            .assessments
            .iter()
            .filter_map(|a| normalize_assessment(a))
            .map(str::to_string)
            .collect()
    }

    /// Canonical subject names in scope (empty = all).
    pub fn scope_subjects(&self) -> Vec<String> {
        self.shnor
            .subjects
            .iter()
            .map(|s| normalize_subject(s))
            .collect()
    }

    /// Direction of an indicator: explicit setting first, then the protective
    /// name patterns, then risk.
    pub fn indicator_direction(&self, indicator: &str) -> Direction {
        if let Some(d) = self.shnsu.directions.get(indicator) {
            return *d;
        }
        if self
            .shnsu
            .protective_patterns
            .iter()
            .any(|p| indicator.contains(p.as_str()))
        {
            Direction::Protective
        } else {
            Direction::Risk
        }
    }

    pub fn indicator_weight(&self, indicator: &str) -> f64 {
        self.shnsu.weights.get(indicator).copied().unwrap_or(1.0)
    }

    /// The risk factor an indicator belongs to: the methodology's
    /// `[[shnsu.profile.factors]]` when it lists any, else the indicator
    /// dictionary's grouping (equal weights); None outside every factor.
    pub fn indicator_factor(&self, indicator: &str) -> Option<FactorOf> {
        let factors = &self.shnsu.profile.factors;
        if factors.is_empty() {
            let entry = crate::ingest::indicators::dictionary()
                .iter()
                .find(|e| e.name == indicator)?;
            return Some(FactorOf {
                code: entry.factor.clone(),
                label: crate::ingest::indicators::factor_label(&entry.factor).to_string(),
                weight: 1.0,
                from: "словарь показателей".into(),
            });
        }
        let f = factors
            .iter()
            .find(|f| f.indicators.iter().any(|i| i == indicator))?;
        Some(FactorOf {
            code: f.name.clone(),
            label: f
                .label
                .clone()
                .unwrap_or_else(|| crate::ingest::indicators::factor_label(&f.name).to_string()),
            weight: f.weight,
            from: "методика: [[shnsu.profile.factors]]".into(),
        })
    }

    /// The levels of the factor scores under the normalisation in use.
    pub fn profile_levels(&self) -> Option<Levels> {
        self.shnsu
            .profile
            .levels
            .get(&self.shnsu.normalisation)
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_methodology_parses_and_validates() {
        let m = LoadedMethodology::default_builtin().unwrap();
        assert_eq!(m.rule.name, "federal-2025");
        assert_eq!(m.rule.shnor.threshold_percent, 30.0);
        assert_eq!(m.rule.shnor.min_participants, 10);
        assert_eq!(m.rule.shnor.combine, Combine::Or);
        assert_eq!(m.rule.shnsu.cut, Cut::TopShare);
        for q in [
            &m.rule.shnor.counting_query,
            &m.rule.shnor.query,
            &m.rule.shnsu.query,
        ] {
            assert!(m.query_text(q).unwrap().contains("SELECT"));
        }
    }

    #[test]
    fn builtin_references_take_one_syntax() {
        let m = LoadedMethodology::resolve("builtin:federal-2025").unwrap();
        assert_eq!(m.origin, "builtin:federal-2025");
        let text = "extends = \"builtin:federal-2025\"\n[failure]\nmin_scores = \"builtin:ege-min-scores\"\n";
        let m = LoadedMethodology::from_text(text, "x.toml".into(), None).unwrap();
        let (table, origin) = m.min_scores_text().unwrap();
        assert_eq!(table, BUILTIN_MIN_SCORES);
        assert!(origin.starts_with("builtin:"), "{origin}");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let text = DEFAULT_METHODOLOGY.replace("threshold_percent", "treshold_percent");
        let err = LoadedMethodology::from_text(&text, "x.toml".into(), None).unwrap_err();
        assert!(format!("{err:#}").contains("treshold_percent"), "{err:#}");
    }

    #[test]
    fn out_of_range_threshold_is_refused() {
        let text =
            DEFAULT_METHODOLOGY.replace("threshold_percent = 30.0", "threshold_percent = 130.0");
        let err = LoadedMethodology::from_text(&text, "x.toml".into(), None).unwrap_err();
        assert!(format!("{err:#}").contains("вне допустимого"), "{err:#}");
    }

    #[test]
    fn directions_follow_patterns_unless_overridden() {
        let mut m = LoadedMethodology::default_builtin().unwrap().rule;
        assert_eq!(
            m.indicator_direction("parents_higher_ed_share"),
            Direction::Protective
        );
        assert_eq!(m.indicator_direction("ovz_share"), Direction::Risk);
        m.shnsu
            .directions
            .insert("ovz_share".into(), Direction::Protective);
        assert_eq!(m.indicator_direction("ovz_share"), Direction::Protective);
    }
}
