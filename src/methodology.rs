//! The methodology: every setting that decides who is listed, read from a TOML
//! file an analyst can diff and version. Nothing about the rule lives in code
//! except the reading and validation of this file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::ingest::normalize::{normalize_assessment, normalize_subject};

/// The default methodology, shipped inside the binary.
pub const DEFAULT_METHODOLOGY: &str = include_str!("../methodologies/federal-2025.toml");
const DEFAULT_METHODOLOGY_NAME: &str = "methodologies/federal-2025.toml";

/// Queries shipped inside the binary, addressed as `builtin:NAME`.
const BUILTIN_QUERIES: &[(&str, &str)] = &[
    (
        "procedure_counts.sql",
        include_str!("../queries/procedure_counts.sql"),
    ),
    ("shnor.sql", include_str!("../queries/shnor.sql")),
    ("shnsu.sql", include_str!("../queries/shnsu.sql")),
];

/// The ЕГЭ minimum test scores shipped inside the binary.
pub const BUILTIN_MIN_SCORES: &str = include_str!("../reference/ege-min-scores.csv");

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
    pub min_procedures_current_year: u32,
    #[serde(default = "default_combine")]
    pub combine: Combine,
    #[serde(default)]
    pub current_year: Option<i32>,
    #[serde(default = "default_counting_query")]
    pub counting_query: String,
    #[serde(default = "default_shnor_query")]
    pub query: String,
}

/// How a student's failure is decided.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FailureRule {
    /// `builtin` or a path to a CSV with assessment, subject, from_year, min_score.
    #[serde(default = "default_builtin")]
    pub min_scores: String,
}

impl Default for FailureRule {
    fn default() -> Self {
        Self {
            min_scores: default_builtin(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Cut {
    TopShare,
    Cutoff,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Normalisation {
    Zscore,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Risk,
    Protective,
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
    pub cut: Cut,
    #[serde(default = "default_top_share")]
    pub top_share_percent: f64,
    #[serde(default)]
    pub cutoff: f64,
    #[serde(default = "default_shnsu_query")]
    pub query: String,
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
    #[serde(default)]
    pub directions: BTreeMap<String, Direction>,
}

fn default_comparison() -> Comparison {
    Comparison::AtLeast
}
fn default_combine() -> Combine {
    Combine::Or
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
}

impl LoadedMethodology {
    /// The embedded default methodology.
    pub fn default_builtin() -> Result<Self> {
        Self::from_text(DEFAULT_METHODOLOGY, DEFAULT_METHODOLOGY_NAME.into(), None)
    }

    /// Reads and validates a methodology file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read methodology file {}", path.display()))?;
        Self::from_text(
            &text,
            path.display().to_string(),
            path.parent().map(Path::to_path_buf),
        )
    }

    /// Parses methodology text that did not come from a file (relative paths
    /// in it resolve against the working directory).
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        Self::from_text(text, origin.to_string(), None)
    }

    fn from_text(text: &str, origin: String, base_dir: Option<PathBuf>) -> Result<Self> {
        let rule: Methodology =
            toml::from_str(text).with_context(|| format!("methodology {origin} is not valid"))?;
        rule.validate()
            .with_context(|| format!("methodology {origin} is not valid"))?;
        Ok(Self {
            rule,
            origin,
            base_dir,
            text: text.to_string(),
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
                        "unknown built-in query `{reference}`; built-in queries are {}",
                        BUILTIN_QUERIES
                            .iter()
                            .map(|(n, _)| format!("builtin:{n}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                });
        }
        let path = self.resolve(reference);
        std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read query {} named in methodology {}",
                path.display(),
                self.origin
            )
        })
    }

    /// The minimum-score table text and where it came from.
    pub fn min_scores_text(&self) -> Result<(String, String)> {
        let reference = &self.rule.failure.min_scores;
        if reference == "builtin" {
            return Ok((
                BUILTIN_MIN_SCORES.to_string(),
                "builtin:reference/ege-min-scores.csv".into(),
            ));
        }
        let path = self.resolve(reference);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "cannot read the minimum scores table {} named in methodology {}",
                path.display(),
                self.origin
            )
        })?;
        Ok((text, path.display().to_string()))
    }

    fn resolve(&self, reference: &str) -> PathBuf {
        let path = PathBuf::from(reference);
        match &self.base_dir {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path,
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
                "shnor.threshold_percent = {} is out of range: give a percentage in (0, 100], e.g. 30",
                s.threshold_percent
            );
        }
        if s.min_participants == 0 {
            bail!("shnor.min_participants must be at least 1");
        }
        if s.min_procedures_current_year == 0 {
            bail!("shnor.min_procedures_current_year must be at least 1");
        }
        for a in &s.assessments {
            if normalize_assessment(a).is_none() {
                bail!("shnor.assessments: unknown assessment `{a}`; use ВПР, ОГЭ or ЕГЭ");
            }
        }
        for g in &s.grades {
            if !(1..=11).contains(g) {
                bail!("shnor.grades: grade {g} is out of range 1–11");
            }
        }
        let h = &self.shnsu;
        if self.shnsu.cut == Cut::TopShare
            && !(h.top_share_percent > 0.0 && h.top_share_percent <= 100.0)
        {
            bail!(
                "shnsu.top_share_percent = {} is out of range: give a percentage in (0, 100], e.g. 10",
                h.top_share_percent
            );
        }
        for (name, w) in &h.weights {
            if !(w.is_finite() && *w > 0.0) {
                bail!("shnsu.weights.{name} = {w}: weights must be positive numbers");
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
        assert!(format!("{err:#}").contains("out of range"), "{err:#}");
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
