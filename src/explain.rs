//! `shnor explain SCHOOL_ID`: why a school is or is not on each list, in plain
//! words, from a finished run's outputs.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Result, bail};
use polars::prelude::*;

use crate::codes::{
    self, Code, ContextGroup, CountStatus, IndexDirection, List, RiskLevel, Sign, Transition,
};
use crate::finished::FinishedRun;
use crate::methodology::{Combine, Normalisation};
use crate::russian::{decimal, percent, yes_no};

fn rows_of(frame: &DataFrame, school_id: &str) -> Result<DataFrame> {
    Ok(frame
        .clone()
        .lazy()
        .filter(col("school_id").eq(lit(school_id)))
        .collect()?)
}

fn text(frame: &DataFrame, column: &str, row: usize) -> String {
    frame
        .column(column)
        .ok()
        .and_then(|c| c.get(row).ok())
        .map(|v| match v {
            AnyValue::Null => "—".to_string(),
            AnyValue::String(s) => s.to_string(),
            AnyValue::StringOwned(s) => s.to_string(),
            other => other.to_string(),
        })
        .unwrap_or_else(|| "—".into())
}

fn number(frame: &DataFrame, column: &str, row: usize) -> Option<f64> {
    frame
        .column(column)
        .ok()?
        .cast(&DataType::Float64)
        .ok()?
        .f64()
        .ok()?
        .get(row)
}

fn flag(frame: &DataFrame, column: &str, row: usize) -> bool {
    frame
        .column(column)
        .ok()
        .and_then(|c| c.bool().ok().and_then(|b| b.get(row)))
        .unwrap_or(false)
}

/// The explanation text for one school.
pub fn explain(run: &Path, school_id: &str) -> Result<String> {
    let finished = FinishedRun::open(run)?;
    let schools = rows_of(&finished.table("schools")?, school_id)?;
    if schools.height() == 0 {
        bail!("школы {school_id} нет в реестре этого запуска");
    }
    let rule = &finished.manifest.methodology.resolved;
    let years = &finished.manifest.years;
    let mut out = String::new();
    writeln!(
        out,
        "{school_id} — {} ({})",
        text(&schools, "school_name", 0),
        text(&schools, "municipality", 0)
    )?;
    writeln!(
        out,
        "Методика: {} — {}. Текущий год {}, предыдущий {}.\n",
        rule.name,
        rule.title,
        years.current,
        years.previous.map_or("—".to_string(), |y| y.to_string())
    )?;
    shnor_section(&mut out, &finished, school_id, &schools)?;
    procedures_section(&mut out, &finished, school_id)?;
    objectivity_section(&mut out, &finished, school_id)?;
    shnsu_section(&mut out, &finished, &schools)?;
    context_section(&mut out, &schools)?;
    history_section(&mut out, &finished, school_id)?;
    Ok(out)
}

/// ШНОР: the decision and each condition.
fn shnor_section(
    out: &mut String,
    finished: &FinishedRun,
    school_id: &str,
    schools: &DataFrame,
) -> Result<()> {
    let shnor_rule = &finished.manifest.methodology.resolved.shnor;
    let is_shnor = flag(schools, "is_shnor", 0);
    writeln!(out, "ШНОР: {}.", yes_no(is_shnor))?;
    if flag(schools, "excluded", 0) {
        writeln!(
            out,
            "  Школа исключена методикой по виду ОО ({}).",
            text(schools, "school_kind", 0)
        )?;
    }
    let shnor_row = rows_of(&finished.table("shnor")?, school_id)?;
    let met = if shnor_row.height() > 0 {
        text(&shnor_row, "conditions_met", 0)
    } else {
        String::new()
    };
    writeln!(
        out,
        "  Условия (нужно {}):",
        if shnor_rule.combine == Combine::And {
            "все"
        } else {
            "хотя бы одно"
        }
    )?;
    for condition in &shnor_rule.conditions {
        let name = condition.name.as_str();
        writeln!(
            out,
            "  - {name}: {}",
            if met.split("; ").any(|m| m == name) {
                "выполнено"
            } else {
                "не выполнено"
            }
        )?;
    }
    writeln!(
        out,
        "  Процедур с долей «2» не ниже порога: {} в текущем году, {} в предыдущем.",
        text(schools, "counting_procedures_current", 0),
        text(schools, "counting_procedures_previous", 0)
    )?;
    Ok(())
}

/// Every procedure of the school, newest first, with why it counts or not.
fn procedures_section(out: &mut String, finished: &FinishedRun, school_id: &str) -> Result<()> {
    let shnor_rule = &finished.manifest.methodology.resolved.shnor;
    let threshold = shnor_rule.threshold_percent;
    let procedures = rows_of(&finished.table("procedures")?, school_id)?
        .lazy()
        .sort(
            ["year", "assessment", "subject", "grade"],
            SortMultipleOptions::default().with_order_descending_multi([true, false, false, false]),
        )
        .collect()?;
    writeln!(out, "  Процедуры (порог {} %):", decimal(threshold, 1))?;
    for row in 0..procedures.height() {
        let share = number(&procedures, "fail_share", row).unwrap_or(f64::NAN);
        let status = text(&procedures, "count_status", row);
        let gap = if status == CountStatus::BelowThreshold.label_for(shnor_rule.min_participants) {
            format!(", до порога {} п.п.", decimal(threshold - 100.0 * share, 1))
        } else {
            String::new()
        };
        let change = number(&procedures, "share_change_pp", row)
            .map(|pp| {
                format!(
                    ", к {}: {}{} п.п.",
                    text(&procedures, "compared_year", row),
                    if pp >= 0.0 { "+" } else { "" },
                    decimal(pp, 1)
                )
            })
            .unwrap_or_default();
        writeln!(
            out,
            "    {} {} {} {} кл.: {} из {} = {} % (95 % ДИ {}–{} %) — {status}{gap}{change}",
            text(&procedures, "year", row),
            text(&procedures, "assessment", row),
            text(&procedures, "subject", row),
            text(&procedures, "grade", row),
            text(&procedures, "failed", row),
            text(&procedures, "participants", row),
            percent(share),
            percent(number(&procedures, "ci_low", row).unwrap_or(f64::NAN)),
            percent(number(&procedures, "ci_high", row).unwrap_or(f64::NAN)),
        )?;
    }
    if procedures.height() == 0 {
        writeln!(out, "    нет результатов в данных")?;
    }

    Ok(())
}

/// The signs of biased assessment found on the school's procedures, each
/// with the numbers that decided it.
fn objectivity_section(out: &mut String, finished: &FinishedRun, school: &str) -> Result<()> {
    let Some(all) = finished.table_if_written("objectivity")? else {
        return Ok(());
    };
    let found = rows_of(&all, school)?
        .lazy()
        .filter(col("flagged"))
        .collect()?;
    let checked = rows_of(&all, school)?.height();
    if checked == 0 {
        return Ok(());
    }
    if found.height() == 0 {
        writeln!(
            out,
            "
Признаки необъективности: не выявлены (проверок: {checked})."
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "
Признаки необъективности (проверок: {checked}):"
    )?;
    for r in 0..found.height() {
        let sign = codes::at::<Sign>(&found, r);
        let number = |c: &str| number(&found, c, r).map_or("—".into(), |v| decimal(v, 2));
        let why = match sign {
            Some(Sign::InflatedMean) => format!(
                "средний балл {} (ДИ {}–{}) выше, чем у региона: {} (ДИ {}–{})",
                number("school_mean"),
                number("school_ci_low"),
                number("school_ci_high"),
                number("region_mean"),
                number("region_ci_low"),
                number("region_ci_high")
            ),
            Some(Sign::ContradictsMarks) => format!(
                "корреляция Спирмена отметки по журналу и балла rs = {} (n = {})",
                number("value"),
                text(&found, "n", r)
            ),
            Some(Sign::CohortFall | Sign::CohortRise) => format!(
                "K = {} (процент выполнения {} год назад классом ниже и {} теперь) при критическом значении {}",
                number("value"),
                number("cohort_from_percent"),
                number("cohort_to_percent"),
                number("bound")
            ),
            _ => format!(
                "значение {} при границе {}",
                number("value"),
                number("bound")
            ),
        };
        writeln!(
            out,
            "  {} {} {} кл. {}: {} — {why}",
            text(&found, "assessment", r),
            text(&found, "subject", r),
            text(&found, "grade", r),
            text(&found, "year", r),
            sign.map_or("признак", |s| s.label()),
        )?;
    }
    Ok(())
}

/// ШНСУ: the risk score and rank.
fn shnsu_section(out: &mut String, finished: &FinishedRun, schools: &DataFrame) -> Result<()> {
    writeln!(out, "\nШНСУ: {}.", yes_no(flag(schools, "is_shnsu", 0)))?;
    match number(schools, "risk_score", 0) {
        None => writeln!(out, "  Нет данных анкеты: индекс риска не рассчитан.")?,
        Some(score) => {
            let shnsu_all = finished.table("shnsu")?;
            let scored = number(&shnsu_all, "scored_schools", 0)
                .map(|n| format!(" из {n}"))
                .unwrap_or_default();
            writeln!(
                out,
                "  Индекс социального риска {} (место {}{scored}; в списке ШНСУ {} школ).",
                decimal(score, 3),
                text(schools, "risk_rank", 0),
                shnsu_all.height()
            )?;
            if let Some(band) = Some(text(schools, "risk_band", 0)).filter(|b| b != "—") {
                writeln!(out, "  Полоса риска: {band}.")?;
            }
            top_indicators(out, &shnsu_all, &text(schools, "school_id", 0))?;
        }
    }
    let school = text(schools, "school_id", 0);
    risk_profile(out, finished, &school)?;
    school_card(out, finished, &school)
}

/// The school's risk profile: each factor's level and score, the highest
/// first, with the indicators behind it.
fn risk_profile(out: &mut String, finished: &FinishedRun, school: &str) -> Result<()> {
    let Some(all) = finished.table_if_written("risk_profiles")? else {
        return Ok(());
    };
    let rows = rows_of(&all, school)?.sort(
        ["factor_score", "factor"],
        SortMultipleOptions::default().with_order_descending_multi([true, false]),
    )?;
    if rows.height() == 0 {
        return Ok(());
    }
    writeln!(out, "  Профиль риска по факторам:")?;
    for r in 0..rows.height() {
        let level = codes::at::<RiskLevel>(&rows, r).map_or("уровень не задан", |l| l.label());
        writeln!(
            out,
            "    {}: {level} (балл {})",
            text(&rows, "factor_label", r),
            number(&rows, "factor_score", r).map_or("—".into(), |v| decimal(v, 2)),
        )?;
    }
    Ok(())
}

/// Every indicator of the school's passport beside its group's mean, with
/// its direction and whether the index counts it.
fn school_card(out: &mut String, finished: &FinishedRun, school: &str) -> Result<()> {
    let Some(all) = finished.table_if_written("school_indicators")? else {
        return Ok(());
    };
    let rows = rows_of(&all, school)?;
    if rows.height() == 0 {
        return Ok(());
    }
    let signs = finished.manifest.methodology.resolved.shnsu.normalisation == Normalisation::Signs;
    writeln!(
        out,
        "  Показатели паспорта (группа сравнения: {}):",
        text(&rows, "ref_group", 0)
    )?;
    for r in 0..rows.height() {
        let pointing = match codes::at::<IndexDirection>(&rows, r) {
            Some(IndexDirection::Protective) => "благоприятный",
            _ => "риск",
        };
        let counted = match (flag(&rows, "used_in_index", r), signs) {
            (true, _) => "",
            (false, true) => "; в индекс не входит: порог признака не задан",
            (false, false) => "; в индекс не входит: в группе сравнения у всех одно значение",
        };
        writeln!(
            out,
            "    {} ({pointing}{counted})",
            text(&rows, "value_shown", r)
        )?;
    }
    Ok(())
}

/// A listed school's indicators that raise its risk most, each beside its
/// group's mean (as `shnsu.csv` gives them).
fn top_indicators(out: &mut String, shnsu: &DataFrame, school: &str) -> Result<()> {
    let row = shnsu
        .clone()
        .lazy()
        .filter(col("school_id").eq(lit(school)))
        .select([col("top_indicators")])
        .collect()?;
    if row.height() == 0 {
        return Ok(());
    }
    let top = text(&row, "top_indicators", 0);
    if top != "—" && !top.is_empty() {
        writeln!(out, "  Сильнее всего повышают риск:")?;
        for item in top.split("; ") {
            writeln!(out, "    {item}")?;
        }
    }
    Ok(())
}

/// The contextual view: the group and the school's distance from expected.
fn context_section(out: &mut String, schools: &DataFrame) -> Result<()> {
    writeln!(
        out,
        "\nКонтекст: группа {}.",
        match codes::at::<ContextGroup>(schools, 0).unwrap_or(ContextGroup::Neither) {
            ContextGroup::Resilient => format!(
                "«{}» (трудные условия, результаты заметно лучше ожидаемых)",
                ContextGroup::Resilient.label()
            ),
            group => format!("«{}»", group.label()),
        }
    )?;
    if let (Some(actual), Some(expected), Some(z)) = (
        number(schools, "school_fail_share", 0),
        number(schools, "expected_share", 0),
        number(schools, "std_residual", 0),
    ) {
        writeln!(
            out,
            "  Доля «2» в текущем году {} %, ожидаемая при таком индексе риска {} %, стандартизированный остаток {}.",
            percent(actual),
            percent(expected),
            decimal(z, 2)
        )?;
    }

    Ok(())
}

/// Entered, stayed on or left each list, against the earlier lists.
fn history_section(out: &mut String, finished: &FinishedRun, school_id: &str) -> Result<()> {
    if let Some(transitions) = finished.table_if_written("transitions")? {
        let history = rows_of(&transitions, school_id)?;
        writeln!(out, "\nИстория:")?;
        if history.height() == 0 {
            writeln!(out, "  в прежних списках не было и сейчас нет")?;
        }
        for row in 0..history.height() {
            let list = codes::at::<List>(&history, row).unwrap_or(List::Shnsu);
            let transition = codes::at::<Transition>(&history, row).unwrap_or(Transition::Left);
            writeln!(
                out,
                "  {}: {} (прежний список {} г.); ранее в списке {} раз(а): {}",
                list.label(),
                transition.label(),
                text(&history, "previous_list_year", row),
                text(&history, "times_listed_before", row),
                text(&history, "years_listed_before", row)
            )?;
        }
    }
    Ok(())
}
