//! The report's watch lists: «зона риска» and the schools with stably high
//! results with the partners proposed for each ШНОР school. No source gives
//! either rule, so their words come from the methodology's numbers and are
//! listed among the assumptions.

use std::fmt::Write as _;

use anyhow::Result;
use polars::prelude::*;

use super::{floats, table};
use crate::methodology::Methodology;
use crate::russian::plain;

/// The zone-of-risk rule in words, with the methodology's numbers.
pub(super) fn risk_zone_words(rule: &Methodology) -> String {
    let z = &rule.risk_zone;
    let mut parts = Vec::new();
    if z.by_count {
        parts.push(
            "в текущем году учитывается хотя бы одна процедура, но условия ШНОР не выполнены"
                .to_string(),
        );
    }
    if z.by_interval {
        parts.push(format!(
            "доля «2» в процедуре ниже порога не более чем на {} п. п., а верхняя граница её \
             95 % интервала достигает порога",
            plain(z.near_points)
        ));
    }
    if z.pooled_years > 0 {
        parts.push(format!(
            "процедура, в которой каждый год меньше {} участников, сложенная за последние {} \
             календарных года (не менее {} лет с ней), набирает {} участников и долю «2» не \
             ниже порога",
            rule.shnor.min_participants,
            z.pooled_years,
            z.pooled_min_years,
            rule.shnor.min_participants
        ));
    }
    if parts.is_empty() {
        return "Зона риска не выделяется: все её правила выключены.".to_string();
    }
    format!(
        "Зона риска (под наблюдением, не в списке ШНОР; школы исключённых видов в неё не \
         входят) — школа, у которой {}.",
        parts.join("; или ")
    )
}

/// The stably-high rule and the choice of partners in words.
pub(super) fn stably_high_words(rule: &Methodology) -> String {
    let h = &rule.stably_high;
    format!(
        "Стабильно высокие результаты — в каждом из {} последних лет данных не меньше {} \
         участников учтённых процедур, доля «2» не выше {} %, доля «4» и «5» не ниже {} %; \
         ШНОР и школы исключённых видов не отмечаются. Партнёры для школы ШНОР — до {} таких \
         школ её муниципалитета с результатами на том же уровне образования, ближайшие по \
         числу участников на этом уровне и по индексу социального риска.",
        h.years,
        h.min_participants,
        plain(h.max_fail_percent),
        plain(h.min_quality_percent),
        h.partners
    )
}

/// «Зона риска»: how many schools each rule finds, and the schools.
pub(super) fn risk_zone_section(
    html: &mut String,
    zone: &DataFrame,
    rule: &Methodology,
) -> Result<()> {
    let found = |column: &str| {
        floats(zone, column)
            .iter()
            .filter(|v| **v == Some(1.0))
            .count()
    };
    write!(
        html,
        "<section id=\"risk-zone\"><h2>Зона риска ({})</h2><p class=\"note\">{} Школ по \
         правилам (школа может попасть по нескольким): есть учитываемая процедура — {}, \
         интервал достигает порога — {}, малые процедуры за годы — {}.</p>",
        zone.height(),
        super::escape(&risk_zone_words(rule)),
        found("by_count"),
        found("by_interval"),
        found("by_pooling"),
    )?;
    html.push_str(&table(
        "risk-zone-table",
        zone,
        &["school_id", "school_name", "municipality", "reasons"],
    ));
    html.push_str("</section>");
    Ok(())
}

/// «Стабильно высокие результаты и партнёры»: the count of such schools
/// and, for each ШНОР school and level, its candidates; the pairs with none
/// are counted, not hidden.
pub(super) fn partners_section(
    html: &mut String,
    stably_high: &DataFrame,
    partners: &DataFrame,
    rule: &Methodology,
) -> Result<()> {
    let without = partners.column("partner_id")?.null_count();
    write!(
        html,
        "<section id=\"partners\"><h2>Стабильно высокие результаты и партнёры ШНОР</h2>\
         <p class=\"note\">{} Школ со стабильно высокими результатами: {}. Школа ШНОР × \
         уровень образования без кандидата в своём муниципалитете: {}. Список школ — в \
         stably_high.csv, кандидаты с расстояниями — в partners.csv.</p>",
        super::escape(&stably_high_words(rule)),
        stably_high.height(),
        without
    )?;
    html.push_str(&table(
        "partners-table",
        partners,
        &[
            "school_name",
            "municipality",
            "level_of_education",
            "partner_rank",
            "partner_name",
            "participants",
            "partner_participants",
            "partner_max_fail_share",
            "partner_min_quality_share",
        ],
    ));
    html.push_str("</section>");
    Ok(())
}
