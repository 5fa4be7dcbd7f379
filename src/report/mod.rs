//! `report.html`: one self-contained page for the ministry — the methodology
//! in plain words, the inputs, headline figures, charts (inline SVG) and the
//! lists. Built from a finished run's outputs, so it can be made again later.

pub mod svg;
mod watch;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::*;

use svg::{Point, escape};

use crate::codes::{self, Code, ContextGroup, List, RiskLevel, Transition};
use crate::finished::FinishedRun;
use crate::methodology::Methodology;
use crate::methodology::{Combine, Comparison, Cut, Normalisation, ReferenceGroup};
use crate::russian::{percent, plain};
use crate::write::manifest::Manifest;

fn cell(frame: &DataFrame, column: &str, row: usize) -> String {
    match frame.column(column).ok().and_then(|c| c.get(row).ok()) {
        None | Some(AnyValue::Null) => String::new(),
        Some(AnyValue::String(s)) => s.to_string(),
        Some(AnyValue::StringOwned(s)) => s.to_string(),
        Some(AnyValue::Boolean(b)) => if b { "да" } else { "нет" }.to_string(),
        Some(AnyValue::Float64(f)) => crate::russian::decimal(f, 3),
        Some(other) => other.to_string(),
    }
}

fn floats(frame: &DataFrame, column: &str) -> Vec<Option<f64>> {
    frame
        .column(column)
        .ok()
        .and_then(|c| c.cast(&DataType::Float64).ok())
        .map(|c| c.f64().map(|v| v.iter().collect()).unwrap_or_default())
        .unwrap_or_default()
}

/// An HTML table of some columns of a frame, with Russian headers.
fn table(id: &str, frame: &DataFrame, columns: &[&str]) -> String {
    let labelled = crate::codes::labelled(frame);
    let frame = labelled.as_ref().unwrap_or(frame);
    let mut html = format!("<table id=\"{id}\" class=\"sortable\"><thead><tr>");
    for c in columns {
        write!(html, "<th>{}</th>", escape(crate::write::label(c))).unwrap();
    }
    html.push_str("</tr></thead><tbody>");
    for r in 0..frame.height() {
        html.push_str("<tr>");
        for c in columns {
            let text = match floats(frame, c).get(r).copied().flatten() {
                Some(share) if c.ends_with("_share") => format!("{} %", percent(share)),
                _ => cell(frame, c, r),
            };
            write!(html, "<td>{}</td>", escape(&text)).unwrap();
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    html
}

const STYLE: &str = "
body{font-family:'PT Sans','Segoe UI',Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0;width:100%}
th,td{border:1px solid #ddd;padding:.25em .4em;vertical-align:top;text-align:left}
th{background:#f3f3f3;cursor:pointer}
.figures{display:flex;gap:1em;flex-wrap:wrap}.figure{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:10em}
.figure b{font-size:1.6em;display:block}
.charts{display:flex;flex-wrap:wrap;gap:.5em}
svg .axis{stroke:#888}svg .ct{font-size:12px;font-weight:bold}svg .tick,svg .lbl{font-size:10px;fill:#444}
svg .bar{fill:#8aa9c9}svg .bar.hot{fill:#d9534f}svg .bar.shnor{fill:#d9534f}svg .bar.shnsu{fill:#f0ad4e}
svg .bar.entered{fill:#d9534f}svg .bar.stayed{fill:#999}svg .bar.left{fill:#5cb85c}
svg .band{fill:#8aa9c9;opacity:.35}svg .ci{stroke:#999;stroke-width:1}svg .ci.hot{stroke:#d9534f;stroke-width:1.5}
svg .cut{stroke:#c00;stroke-dasharray:4 3}svg .fit{stroke:#555;stroke-width:1.2}
svg .pt{fill:#bbb;opacity:.8}svg .pt.both{fill:#8b0000}svg .pt.shnor_only{fill:#d9534f}
svg .pt.shnsu_only{fill:#f0ad4e}svg .pt.resilient{fill:#2e8b57}
.legend span{display:inline-block;margin-right:1em}.legend i{display:inline-block;width:.8em;height:.8em;margin-right:.3em}
.note{color:#666;font-size:.9em}
td.level.high{background:#f6d5d4}td.level.medium{background:#fcebc9}td.level.low{background:#e3f1e3}
@media print{th{cursor:auto}h2{page-break-before:auto}.charts{display:block}}
";

const SCRIPT: &str = "
document.querySelectorAll('table.sortable').forEach(function(t){
  t.querySelectorAll('th').forEach(function(th,i){
    th.addEventListener('click',function(){
      var rows=Array.from(t.tBodies[0].rows);var up=th.dataset.dir!=='asc';th.dataset.dir=up?'asc':'desc';
      rows.sort(function(a,b){var x=a.cells[i].innerText,y=b.cells[i].innerText;
        var nx=parseFloat(x.replace(',','.')),ny=parseFloat(y.replace(',','.'));
        var c=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y,'ru');return up?c:-c;});
      rows.forEach(function(r){t.tBodies[0].appendChild(r);});
    });
  });
});
document.body.dataset.ready='1';
";

/// Writes `run/report.html` and returns its path.
pub fn write_report(run: &Path) -> Result<PathBuf> {
    let finished = FinishedRun::open(run)?;
    let html = render(&finished)?;
    let path = run.join("report.html");
    std::fs::write(&path, html)
        .with_context(|| format!("не удалось записать {}", path.display()))?;
    Ok(path)
}

/// The tables of a finished run the report reads.
struct Tables {
    shnor: DataFrame,
    shnsu: DataFrame,
    schools: DataFrame,
    municipalities: DataFrame,
    procedures: DataFrame,
    transitions: Option<DataFrame>,
    /// Absent from runs made before profiles existed.
    risk_profiles: Option<DataFrame>,
    /// Absent when the methodology checks no signs.
    objectivity: Option<DataFrame>,
    /// Written only with earlier lists.
    follow_up: Option<DataFrame>,
    /// Written only when the methodology sets targets.
    targets: Option<DataFrame>,
    /// Absent from runs made before levels existed.
    levels: Option<DataFrame>,
    /// Absent from runs made before the watch lists existed.
    risk_zone: Option<DataFrame>,
    stably_high: Option<DataFrame>,
    partners: Option<DataFrame>,
}

fn render(run: &FinishedRun) -> Result<String> {
    let t = Tables {
        shnor: run.table("shnor")?,
        shnsu: run.table("shnsu")?,
        schools: run.table("schools")?,
        municipalities: run.table("municipalities")?,
        procedures: run.table("procedures")?,
        transitions: run.table_if_written("transitions")?,
        risk_profiles: run.table_if_written("risk_profiles")?,
        objectivity: run.table_if_written("objectivity")?,
        follow_up: run.table_if_written("follow_up")?,
        targets: run.table_if_written("targets")?,
        levels: run.table_if_written("levels")?,
        risk_zone: run.table_if_written("risk_zone")?,
        stably_high: run.table_if_written("stably_high")?,
        partners: run.table_if_written("partners")?,
    };
    let manifest = &run.manifest;
    let rule = &manifest.methodology.resolved;
    let current = manifest.years.current;
    let mut html = String::from("<!DOCTYPE html><html lang=\"ru\"><head><meta charset=\"utf-8\">");
    write!(
        html,
        "<title>ШНОР и ШНСУ, {current}</title><style>{STYLE}</style></head><body>\
         <h1>Выявление школ с низкими образовательными результатами (ШНОР) и школ, \
         функционирующих в неблагоприятных социальных условиях (ШНСУ), {current} год</h1>\
         <p class=\"note\">Расчёт {} · shnor {} · идентификатор расчёта {}</p>",
        escape(&rule.name),
        escape(&manifest.version),
        escape(&manifest.run_id)
    )?;
    methodology_section(&mut html, manifest)?;
    inputs_section(&mut html, manifest, &t)?;
    headline_section(&mut html, &t)?;
    charts_section(&mut html, manifest, &t)?;
    lists_section(&mut html, &t, rule, current)?;
    write!(html, "<script>{SCRIPT}</script></body></html>")?;
    Ok(html)
}

/// The methodology in plain words, with its assumptions.
fn methodology_section(html: &mut String, manifest: &Manifest) -> Result<()> {
    let rule = &manifest.methodology.resolved;
    let shnor_rule = &rule.shnor;
    let conditions: Vec<String> = shnor_rule
        .conditions
        .iter()
        .map(|c| escape(&c.name))
        .collect();
    let combine = if shnor_rule.combine == Combine::And {
        "все условия"
    } else {
        "хотя бы одно условие"
    };
    write!(
        html,
        "<section id=\"methodology\"><h2>Методика</h2><p><b>{}</b>. Источник: {}.</p>\
         <p>Процедура (оценочная процедура × предмет × класс в одной школе за год) учитывается, если в ней \
         не менее {} участников и доля не преодолевших минимальную границу (отметка «2» или \
         балл ниже минимального) {} {} %. Школа включается в список ШНОР, если выполнено {combine}: {}. \
         Годы: {}.</p><p>Индекс социального риска: показатели анкеты школы приводятся к общей шкале \
         ({}, группа сравнения: {}), показатели, снижающие риск, берутся с обратным знаком, индекс — \
         взвешенное среднее; в список ШНСУ входят {}.</p><p><b>Допущения</b> (не установлены источником):</p><ul>",
        escape(&rule.title),
        escape(&rule.source),
        shnor_rule.min_participants,
        if shnor_rule.comparison == Comparison::Above {
            "больше"
        } else {
            "не меньше"
        },
        plain(shnor_rule.threshold_percent),
        conditions.join("; "),
        manifest
            .years
            .selected
            .iter()
            .map(|y| y.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        match rule.shnsu.normalisation {
            Normalisation::Zscore => "z-оценки",
            Normalisation::MinMax => "нормировка на размах 0–1",
            Normalisation::Percentile => "процентильные ранги",
            Normalisation::Signs => "признаки риска по порогам показателей",
        },
        if rule.shnsu.reference_group == ReferenceGroup::SettlementType {
            "школы того же типа поселения"
        } else {
            "все школы региона"
        },
        shnsu_cut_words(rule)
    )?;
    for a in &rule.assumptions {
        write!(html, "<li>{}</li>", escape(a))?;
    }
    for words in [watch::risk_zone_words(rule), watch::stably_high_words(rule)] {
        write!(html, "<li>{}</li>", escape(&words))?;
    }
    html.push_str("</ul></section>");
    Ok(())
}

/// Which schools the ШНСУ cut takes, in words.
fn shnsu_cut_words(rule: &Methodology) -> String {
    match rule.shnsu.cut {
        Cut::TopShare => format!(
            "{} % школ с наибольшим индексом (с округлением вверх)",
            plain(rule.shnsu.top_share_percent)
        ),
        Cut::Cutoff => format!("школы с индексом не ниже {}", rule.shnsu.cutoff),
        Cut::Bands => "школы в отмеченных полосах риска".to_string(),
    }
}

/// Each input file with its role and rows, the totals and the warnings.
fn inputs_section(html: &mut String, manifest: &Manifest, t: &Tables) -> Result<()> {
    html.push_str("<section id=\"inputs\"><h2>Исходные данные</h2><table><thead><tr><th>Файл</th><th>Роль</th><th>Строк</th><th>Отклонено</th></tr></thead><tbody>");
    for input in &manifest.inputs {
        write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&input.file),
            input.role.label(),
            input.rows,
            input.rows_rejected
        )?;
    }
    let participants: i64 = floats(&t.schools, "school_participants")
        .iter()
        .flatten()
        .map(|x| *x as i64)
        .sum();
    write!(
        html,
        "</tbody></table><p>Школ в реестре: {}; процедур: {}; участников в учтённых процедурах текущего года: {participants}; \
         отклонено строк: {} (см. rejected.csv).</p>",
        t.schools.height(),
        t.procedures.height(),
        manifest.rows_rejected
    )?;
    for w in &manifest.warnings {
        write!(html, "<p class=\"note\">Предупреждение: {}</p>", escape(w))?;
    }
    html.push_str("</section>");
    Ok(())
}

/// The headline counts and the municipalities table.
fn headline_section(html: &mut String, t: &Tables) -> Result<()> {
    // The shares are of the schools with results (ШНОР) and of the schools
    // with a risk score (ШНСУ), as in `municipalities`.
    let with_results: f64 = floats(&t.municipalities, "schools_with_results")
        .iter()
        .flatten()
        .sum();
    let scored = floats(&t.schools, "risk_score").iter().flatten().count();
    write!(
        html,
        "<section id=\"headline\"><h2>Основные показатели</h2><div class=\"figures\">\
         <div class=\"figure\"><b>{}</b>ШНОР, {} % школ с результатами</div>\
         <div class=\"figure\"><b>{}</b>ШНСУ, {} % школ с индексом риска</div>\
         <div class=\"figure\"><b>{}</b>ШНОР и ШНСУ одновременно</div>\
         <div class=\"figure\"><b>{}</b>резильентные школы</div></div>",
        t.shnor.height(),
        percent(t.shnor.height() as f64 / with_results.max(1.0)),
        t.shnsu.height(),
        percent(t.shnsu.height() as f64 / scored.max(1) as f64),
        codes::count(&t.schools, ContextGroup::Both),
        codes::count(&t.schools, ContextGroup::Resilient)
    )?;
    html.push_str(&table(
        "municipalities-table",
        &t.municipalities,
        &[
            "municipality",
            "schools",
            "schools_with_results",
            "shnor_schools",
            "shnor_share",
            "shnsu_schools",
            "shnsu_share",
            "resilient_schools",
            "shnor_participants",
            "shnor_pass_share",
        ],
    ));
    html.push_str("</section>");
    Ok(())
}

/// The charts: distributions, the context scatter, municipalities, moves.
fn charts_section(html: &mut String, manifest: &Manifest, t: &Tables) -> Result<()> {
    html.push_str("<section id=\"charts\"><h2>Графики</h2><h3>Распределение доли «2» по процедурам текущего года</h3><div class=\"charts\">");
    distribution_charts(html, manifest, &t.procedures)?;
    html.push_str("</div><h3>Индекс социального риска и доля «2» (текущий год)</h3>");
    context_chart(html, manifest, t);
    let rows: Vec<(String, Vec<f64>)> = (0..t.municipalities.height())
        .map(|r| {
            (
                cell(&t.municipalities, "municipality", r),
                vec![
                    floats(&t.municipalities, "shnor_schools")[r].unwrap_or(0.0),
                    floats(&t.municipalities, "shnsu_schools")[r].unwrap_or(0.0),
                ],
            )
        })
        .collect();
    html.push_str(&svg::bars(
        "chart-municipalities",
        "ШНОР и ШНСУ по муниципалитетам",
        &rows,
        &[("ШНОР", "shnor"), ("ШНСУ", "shnsu")],
    ));
    if let Some(transitions) = &t.transitions {
        transitions_chart(html, transitions);
    }
    html.push_str("</section>");
    Ok(())
}

/// One histogram of the «2» share per assessment × subject of the current
/// year's procedures with enough participants.
fn distribution_charts(
    html: &mut String,
    manifest: &Manifest,
    procedures: &DataFrame,
) -> Result<()> {
    let shnor_rule = &manifest.methodology.resolved.shnor;
    let current_procs = procedures
        .clone()
        .lazy()
        .filter(
            col("year")
                .cast(DataType::Int64)
                .eq(lit(manifest.years.current))
                .and(col("participants").gt_eq(lit(shnor_rule.min_participants))),
        )
        .collect()?;
    let keys = current_procs
        .clone()
        .lazy()
        .select([col("assessment"), col("subject")])
        .unique_stable(None, UniqueKeepStrategy::First)
        .sort(["assessment", "subject"], SortMultipleOptions::default())
        .collect()?;
    for k in 0..keys.height() {
        let (a, s) = (cell(&keys, "assessment", k), cell(&keys, "subject", k));
        let shares: Vec<f64> = floats(
            &current_procs
                .clone()
                .lazy()
                .filter(
                    col("assessment")
                        .eq(lit(a.as_str()))
                        .and(col("subject").eq(lit(s.as_str()))),
                )
                .collect()?,
            "fail_share",
        )
        .into_iter()
        .flatten()
        .collect();
        html.push_str(&svg::histogram(
            &format!("chart-distribution-{}", k + 1),
            &format!("{a} {s} ({} процедур)", shares.len()),
            &shares,
            shnor_rule.threshold_percent / 100.0,
        ));
    }
    Ok(())
}

/// Schools by risk index and «2» share, with the cuts and the fitted line.
fn context_chart(html: &mut String, manifest: &Manifest, t: &Tables) {
    let schools = &t.schools;
    let xs = floats(schools, "risk_score");
    let ys = floats(schools, "school_fail_share");
    let points: Vec<Point> = (0..schools.height())
        .filter_map(|r| match (xs[r], ys[r]) {
            (Some(x), Some(y)) => Some(Point {
                x,
                y,
                group: cell(schools, "context_group", r),
                label: format!(
                    "{} {}",
                    cell(schools, "school_id", r),
                    cell(schools, "school_name", r)
                ),
            }),
            _ => None,
        })
        .collect();
    let shnsu_cut = floats(&t.shnsu, "risk_score")
        .into_iter()
        .flatten()
        .fold(f64::INFINITY, f64::min);
    let mut cuts = Vec::new();
    if shnsu_cut.is_finite() {
        cuts.push((shnsu_cut, "граница ШНСУ"));
    }
    let poor = manifest
        .methodology
        .resolved
        .context
        .poor_conditions_min_risk;
    cuts.push((poor, "трудные условия"));
    let fit = &manifest.context_fit;
    let line = fit.intercept.zip(fit.slope);
    html.push_str(&svg::scatter(
        "chart-context",
        "Школы: индекс риска и доля «2»",
        &points,
        &cuts,
        line,
    ));
    html.push_str(
        "<p class=\"legend\"><span><i style=\"background:#8b0000\"></i>ШНОР и ШНСУ</span>\
         <span><i style=\"background:#d9534f\"></i>только ШНОР</span><span><i style=\"background:#f0ad4e\"></i>только ШНСУ</span>\
         <span><i style=\"background:#2e8b57\"></i>резильентные</span><span><i style=\"background:#bbb\"></i>прочие</span>\
         <span>линия — ожидаемая доля «2» при данном индексе риска</span></p>",
    );
}

/// Entered, stayed and left per list.
fn transitions_chart(html: &mut String, transitions: &DataFrame) {
    // The legend counts schools, so it speaks in the plural.
    let legend = |t: Transition| match t {
        Transition::Entered => "вошли",
        Transition::Stayed => "остались",
        Transition::Left => "вышли",
    };
    let rows: Vec<(String, Vec<f64>)> = List::ALL
        .iter()
        .map(|&list| {
            let values = Transition::ALL
                .iter()
                .map(|&kind| {
                    (0..transitions.height())
                        .filter(|&r| {
                            codes::at::<List>(transitions, r) == Some(list)
                                && codes::at::<Transition>(transitions, r) == Some(kind)
                        })
                        .count() as f64
                })
                .collect();
            (list.label().to_string(), values)
        })
        .collect();
    let series: Vec<(&str, &str)> = Transition::ALL
        .iter()
        .map(|&t| (legend(t), t.code()))
        .collect();
    html.push_str(&svg::bars(
        "chart-transitions",
        "Динамика списков по сравнению с прежним",
        &rows,
        &series,
    ));
}

/// Both lists as sortable tables.
fn lists_section(html: &mut String, t: &Tables, rule: &Methodology, current: i32) -> Result<()> {
    write!(
        html,
        "<section id=\"lists\"><h2>Список ШНОР ({})</h2>",
        t.shnor.height()
    )?;
    html.push_str(&table(
        "shnor-table",
        &t.shnor,
        &[
            "school_id",
            "school_name",
            "municipality",
            "counting_procedures_current",
            "listed_before",
            "reasons",
        ],
    ));
    write!(html, "<h2>Список ШНСУ ({})</h2>", t.shnsu.height())?;
    html.push_str(&table(
        "shnsu-table",
        &t.shnsu,
        &[
            "risk_rank",
            "school_id",
            "school_name",
            "municipality",
            "risk_score",
            "top_indicators",
            "listed_before",
        ],
    ));
    if let Some(profiles) = &t.risk_profiles {
        profiles_table(html, &t.shnsu, profiles)?;
    }
    html.push_str("</section>");
    if let Some(zone) = &t.risk_zone {
        watch::risk_zone_section(html, zone, rule)?;
    }
    if let (Some(high), Some(partners)) = (&t.stably_high, &t.partners) {
        watch::partners_section(html, high, partners, rule)?;
    }
    if let Some(found) = &t.objectivity {
        objectivity_section(html, found, &t.municipalities, current)?;
    }
    if let Some(follow_up) = &t.follow_up {
        follow_up_section(html, follow_up)?;
    }
    if let Some(targets) = &t.targets {
        targets_section(html, targets)?;
    }
    if let Some(levels) = &t.levels {
        html.push_str(
            "<section id=\"levels\"><h2>По уровням образования</h2><p class=\"note\">\
             Процедуры текущего года в расчёте, по уровню класса: НОО — 1–4, ООО — 5–9, \
             СОО — 10–11 классы; сначала регион, затем муниципалитеты.</p>",
        );
        html.push_str(&table(
            "levels-table",
            levels,
            &[
                "municipality",
                "level_of_education",
                "schools_with_results",
                "shnor_schools",
                "participants",
                "fail_share",
                "quality_share",
                "success_share",
            ],
        ));
        html.push_str("</section>");
    }
    Ok(())
}

/// «Целевые показатели»: each target of the region and the municipalities,
/// the actual figure beside it, and whether it is met.
fn targets_section(html: &mut String, targets: &DataFrame) -> Result<()> {
    let met = floats(targets, "met");
    let (set, done) = (
        met.iter().flatten().count(),
        met.iter().flatten().filter(|m| **m > 0.0).count(),
    );
    let named = targets
        .clone()
        .lazy()
        .with_column(
            col("indicator")
                .map(
                    |c| {
                        let labels: StringChunked = c
                            .str()?
                            .iter()
                            .map(|i| i.map(crate::write::label))
                            .collect();
                        Ok(labels.into_column())
                    },
                    |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
                )
                .alias("indicator"),
        )
        .collect()?;
    write!(
        html,
        "<section id=\"targets\"><h2>Целевые показатели</h2><p class=\"note\">Целей с \
         рассчитанным фактом: {set}, достигнуто: {done}. Доли ШНОР — от школ с результатами в \
         учтённых процедурах, доли ШНСУ — от школ с индексом риска; школы реестра без \
         результатов не входят в знаменатель.</p>"
    )?;
    html.push_str(&table(
        "targets-table",
        &named,
        &[
            "municipality",
            "indicator",
            "actual",
            "target",
            "target_kind",
            "met",
            "source",
        ],
    ));
    html.push_str("</section>");
    Ok(())
}

/// «Сопровождение прежних списков»: the latest earlier ШНОР list, each
/// school's status and, for those that left, why; counts by status first.
fn follow_up_section(html: &mut String, follow_up: &DataFrame) -> Result<()> {
    let years = floats(follow_up, "list_year");
    let Some(latest) = years.iter().flatten().copied().reduce(f64::max) else {
        return Ok(());
    };
    let rows = follow_up
        .clone()
        .lazy()
        .filter(col("list_year").cast(DataType::Float64).eq(lit(latest)))
        .collect()?;
    let counts = rows
        .clone()
        .lazy()
        .group_by([col("follow_up_status"), col("leave_reason")])
        .agg([len().cast(DataType::Int64).alias("schools")])
        .sort(
            ["follow_up_status", "leave_reason"],
            SortMultipleOptions::default(),
        )
        .collect()?;
    write!(
        html,
        "<section id=\"follow-up\"><h2>Сопровождение списка ШНОР {}</h2><p class=\"note\">\
         Школы прежнего списка и нынешнего: результаты тогда и сейчас, кто остаётся, кто вошёл, \
         кто вышел и почему. Все годы прежних списков — в follow_up.csv.</p>",
        plain(latest)
    )?;
    html.push_str(&table(
        "follow-up-counts",
        &counts,
        &["follow_up_status", "leave_reason", "schools"],
    ));
    html.push_str(&table(
        "follow-up-table",
        &rows,
        &[
            "school_id",
            "school_name",
            "municipality",
            "follow_up_status",
            "leave_reason",
            "fail_share_then",
            "fail_share_now",
            "counting_procedures_then",
            "counting_procedures_now",
        ],
    ));
    html.push_str("</section>");
    Ok(())
}

/// «Объективность результатов»: the region's and each municipality's
/// index, each school's interval against the region's per procedure, and the
/// signs found in the current year; the signs change no list.
fn objectivity_section(
    html: &mut String,
    found: &DataFrame,
    municipalities: &DataFrame,
    current: i32,
) -> Result<()> {
    let total = |c: &str| floats(municipalities, c).iter().flatten().sum::<f64>();
    let (checked, flagged) = (total("objectivity_checked"), total("objectivity_flagged"));
    let now = found
        .clone()
        .lazy()
        .filter(col("year").eq(lit(current)))
        .collect()?;
    let rows = now.clone().lazy().filter(col("flagged")).collect()?;
    write!(
        html,
        "<section id=\"objectivity\"><h2>Объективность результатов, {current}</h2><p class=\"note\">\
         Признаки необъективности оценивания по методике ФИОКО и региональные признаки. \
         Проверено школ: {}, с признаками: {}; индекс объективности региона {} \
         (100 − доля проверенных школ хотя бы с одним признаком, %). Признаки показаны рядом \
         со списками и не меняют их; все проверки с числами — в objectivity.csv.</p>",
        plain(checked),
        plain(flagged),
        if checked > 0.0 {
            plain(((100.0 - 100.0 * flagged / checked) * 10.0).round() / 10.0)
        } else {
            "—".into()
        }
    )?;
    html.push_str(&table(
        "objectivity-municipalities",
        &municipalities
            .clone()
            .lazy()
            .filter(col("objectivity_checked").gt(lit(0)))
            .collect()?,
        &[
            "municipality",
            "objectivity_checked",
            "objectivity_flagged",
            "objectivity_index",
        ],
    ));
    interval_charts(html, &now)?;
    write!(html, "<h3>Школы с признаками ({})</h3>", rows.height())?;
    html.push_str(&table(
        "objectivity-table",
        &rows,
        &[
            "school_id",
            "school_name",
            "municipality",
            "assessment",
            "subject",
            "grade",
            "sign",
            "value",
            "bound",
        ],
    ));
    html.push_str("</section>");
    Ok(())
}

/// One chart per procedure checked for an inflated mean: each school's
/// interval, in the order of its mean, against the region's.
fn interval_charts(html: &mut String, now: &DataFrame) -> Result<()> {
    let checked = now
        .clone()
        .lazy()
        .filter(col("sign").eq(lit("inflated_mean")))
        .sort(
            ["assessment", "subject", "grade", "school_mean", "school_id"],
            SortMultipleOptions::default(),
        )
        .collect()?;
    if checked.height() == 0 {
        return Ok(());
    }
    html.push_str("<h3>Средний балл школ и региона</h3><div class=\"charts\">");
    let parts = checked.partition_by_stable(["assessment", "subject", "grade"], true)?;
    for (i, part) in parts.iter().enumerate() {
        let values = |c: &str| floats(part, c);
        let (low, high, flags) = (
            values("school_ci_low"),
            values("school_ci_high"),
            values("flagged"),
        );
        let schools: Vec<svg::Interval> = (0..part.height())
            .map(|r| svg::Interval {
                low: low[r].unwrap_or(0.0),
                high: high[r].unwrap_or(0.0),
                flagged: flags[r] == Some(1.0),
                label: format!(
                    "{} {}",
                    cell(part, "school_id", r),
                    cell(part, "school_name", r)
                ),
            })
            .collect();
        let region = (
            values("region_ci_low")[0].unwrap_or(0.0),
            values("region_ci_high")[0].unwrap_or(0.0),
        );
        let title = format!(
            "{} {} {} кл.",
            cell(part, "assessment", 0),
            cell(part, "subject", 0),
            cell(part, "grade", 0)
        );
        html.push_str(&svg::intervals(
            &format!("intervals-{i}"),
            &title,
            &schools,
            region,
        ));
    }
    html.push_str("</div>");
    Ok(())
}

/// The risk profile of each ШНСУ school: a row per school in rank order, a
/// column per factor, each cell the factor's level and score.
fn profiles_table(html: &mut String, shnsu: &DataFrame, profiles: &DataFrame) -> Result<()> {
    let listed = shnsu.select(["school_id", "school_name"])?;
    let rows = listed
        .clone()
        .lazy()
        .join(
            profiles.clone().lazy(),
            [col("school_id")],
            [col("school_id")],
            JoinArgs::new(JoinType::Inner),
        )
        .collect()?;
    if rows.height() == 0 {
        return Ok(());
    }
    let factors = rows
        .clone()
        .lazy()
        .group_by([col("factor")])
        .agg([col("factor_label").first()])
        .sort(["factor"], SortMultipleOptions::default())
        .collect()?;
    write!(
        html,
        "<h3>Профили риска школ ШНСУ</h3><p class=\"note\">Уровень и балл каждого фактора \
         риска (больше — выше риск); показатели каждого фактора — в risk_profiles.csv, \
         значения паспорта рядом со средним — в school_indicators.csv.</p>\
         <table id=\"profiles-table\"><thead><tr><th>{}</th><th>{}</th>",
        escape(crate::write::label("school_id")),
        escape(crate::write::label("school_name"))
    )?;
    for f in 0..factors.height() {
        write!(
            html,
            "<th>{}</th>",
            escape(&cell(&factors, "factor_label", f))
        )?;
    }
    html.push_str("</tr></thead><tbody>");
    let scores = floats(&rows, "factor_score");
    let by_cell: std::collections::HashMap<(String, String), usize> = (0..rows.height())
        .map(|r| ((cell(&rows, "school_id", r), cell(&rows, "factor", r)), r))
        .collect();
    for s in 0..listed.height() {
        let id = cell(&listed, "school_id", s);
        write!(
            html,
            "<tr><td>{}</td><td>{}</td>",
            escape(&id),
            escape(&cell(&listed, "school_name", s))
        )?;
        for f in 0..factors.height() {
            let Some(&r) = by_cell.get(&(id.clone(), cell(&factors, "factor", f))) else {
                html.push_str("<td>—</td>");
                continue;
            };
            let level = codes::at::<RiskLevel>(&rows, r);
            let score = scores[r].map_or(String::new(), |v| crate::russian::decimal(v, 2));
            write!(
                html,
                "<td class=\"level {}\">{} ({score})</td>",
                level.map_or("none", |l| l.code()),
                escape(level.map_or("уровень не задан", |l| l.label()))
            )?;
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    Ok(())
}
