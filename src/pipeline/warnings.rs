//! What a run warns about in data it can still use, and the methodology
//! settings it refuses because the data does not have them.

use anyhow::{Result, bail};
use polars::prelude::*;

use super::Prepared;
use crate::classify::Years;
use crate::ingest::normalize::comparison_key;
use crate::methodology::{ConditionYears, LoadedMethodology};
use crate::validate::indicators::IndicatorUse;

/// An indicator the methodology names (in `indicators`, `weights` or
/// `directions`, by name or by its header) must exist in the survey: a typo
/// there would otherwise silently change the index.
/// What the risk profile cannot do as set: levels missing for the
/// normalisation in use, and (with the index over the factors) indicators
/// outside every factor, which then do not count.
pub(crate) fn profile_warnings(
    rule: &crate::methodology::Methodology,
    used: &[IndicatorUse],
) -> Vec<String> {
    let mut warnings = Vec::new();
    if !used.is_empty() && rule.profile_levels().is_none() {
        let n = rule.shnsu.normalisation.name();
        warnings.push(format!(
            "уровни риска профиля не заданы для shnsu.normalisation = \"{n}\": risk_level в \
             risk_profiles пуст; задайте их в методике:\n[shnsu.profile.levels]\n{n} = \
             {{ high = …, medium = … }}"
        ));
    }
    warnings.extend(outside_factors(&rule.shnsu, used));
    warnings
}

fn outside_factors(h: &crate::methodology::ShnsuRule, used: &[IndicatorUse]) -> Option<String> {
    if h.profile.index != crate::methodology::ProfileIndex::Factors {
        return None;
    }
    let outside: Vec<String> = used
        .iter()
        .filter(|u| u.factor.is_none())
        .map(|u| format!("«{}»", u.header))
        .collect();
    (!outside.is_empty()).then(|| {
        format!(
            "индекс ШНСУ считается по факторам риска (shnsu.profile.index = \"factors\"), а \
             показатели {} не входят ни в один фактор [[shnsu.profile.factors]]: они показаны в \
             school_indicators, но в индекс не входят; чтобы учесть, добавьте их в indicators \
             нужного фактора",
            outside.join(", ")
        )
    })
}

pub(crate) fn check_wanted_indicators(
    h: &crate::methodology::ShnsuRule,
    origin: &str,
    uses: &[IndicatorUse],
    has_survey: bool,
) -> Result<()> {
    if !has_survey {
        return Ok(());
    }
    let available: Vec<String> = uses.iter().map(|u| u.name.clone()).collect();
    let known = |i: &str| {
        let key = comparison_key(i);
        uses.iter()
            .any(|u| u.name == i || comparison_key(&u.header) == key)
    };
    let named = h
        .indicators
        .iter()
        .map(|i| ("shnsu.indicators", i))
        .chain(h.weights.keys().map(|i| ("shnsu.weights", i)))
        .chain(h.directions.keys().map(|i| ("shnsu.directions", i)));
    for (setting, indicator) in named {
        if !known(indicator) {
            bail!(
                "методика {} называет `{indicator}` в {setting}, но ни в одном файле анкеты нет такого \
                 столбца; есть показатели: {}",
                origin,
                available.join(", ")
            );
        }
    }
    Ok(())
}

/// A warning for assessments in the data that the methodology's
/// `shnor.assessments` leaves out: a new kind of export (НИКО, ГВЭ) would
/// otherwise be out of scope without a word.
pub(crate) fn out_of_scope_assessments(
    procedures: &DataFrame,
    methodology: &LoadedMethodology,
) -> Result<Option<String>> {
    let scope = &methodology.rule.shnor.assessments;
    if scope.is_empty() {
        return Ok(None);
    }
    let found = procedures.column("assessment")?.unique_stable()?;
    let mut outside: Vec<&str> = found
        .str()?
        .iter()
        .flatten()
        .filter(|a| !scope.iter().any(|s| s == a))
        .collect();
    outside.sort_unstable();
    Ok((!outside.is_empty()).then(|| {
        format!(
            "в данных есть процедуры {}, которые методика {} не учитывает (shnor.assessments = {}); \
             они показаны в procedures, но в ШНОР не считаются",
            outside.join(", "),
            methodology.rule.name,
            scope.join(", ")
        )
    }))
}

/// What the chosen years leave out, said before the lists are made.
pub(crate) fn year_warnings(
    p: &Prepared,
    years: &Years,
    survey_long: &DataFrame,
) -> Result<Vec<String>> {
    let methodology = &p.methodology;
    let mut warnings = Vec::new();
    if years.previous.is_none()
        && methodology
            .rule
            .shnor
            .conditions
            .iter()
            .any(|c| c.years == ConditionYears::CurrentAndPrevious)
    {
        warnings.push(format!(
            "результаты только за один год ({}): условие повторного попадания выполнить нельзя",
            years.current
        ));
    }
    match years.survey {
        Some(y) if y != years.current => warnings.push(format!(
            "в анкете нет строк за {}; для ШНСУ взята анкета {y} года",
            years.current
        )),
        None if !p.survey.is_empty() => warnings.push(format!(
            "в анкете нет ни одного года до {} включительно: ШНСУ не выявить",
            years.current
        )),
        _ => {}
    }
    if let Some(year) = years.survey {
        warnings.extend(crate::validate::survey::spread_warnings(survey_long, year)?);
    }
    if let Some((lists, _)) = &p.previous_lists {
        warnings.extend(crate::validate::previous_lists::not_before(
            lists,
            years.current,
        )?);
    }
    Ok(warnings)
}
