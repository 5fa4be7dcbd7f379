//! Which way each survey indicator points, and where that came from: the
//! methodology (`[shnsu.directions]`, by canonical name or by the column's
//! own header), the dictionary (`reference/indicators.toml`), or the
//! methodology's `protective_patterns`. An indicator none of them gives a
//! direction stops the run: a risk read as protective turns the ШНСУ list
//! upside down.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::ingest::RawTable;
use crate::ingest::indicators::{Indicator, Pointing, Unit, counts_people, derived, recognise};
use crate::ingest::normalize::comparison_key;
use crate::methodology::{Direction, Methodology};

/// One indicator as the run uses it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IndicatorUse {
    /// The column's name in the outputs (the dictionary's name when known).
    pub name: String,
    /// The header as the passport writes it.
    pub header: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub direction: Direction,
    /// Where the direction came from.
    pub direction_from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Unit>,
    /// The risk factor's code and label, and where the grouping came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor_from: Option<String>,
    /// Computed from counts (`[[derived]]`), not read.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub derived: bool,
}

/// One line for `shnor check`: the name, the header, the direction and
/// whence, the unit and the factor.
pub fn describe(u: &IndicatorUse) -> String {
    let direction = match u.direction {
        Direction::Risk => "риск (чем больше, тем хуже)",
        Direction::Protective => "благоприятный (чем больше, тем лучше)",
        Direction::Descriptive => "описательный (в индекс не входит)",
    };
    let mut line = u.name.clone();
    if u.header != u.name {
        line.push_str(&format!(" «{}»", u.header));
    }
    line.push_str(&format!(": {direction}, {}", u.direction_from));
    if let Some(unit) = u.unit {
        line.push_str(&format!("; единица: {}", unit_label(unit)));
    }
    if let (Some(f), Some(from)) = (&u.factor_label, &u.factor_from) {
        line.push_str(&format!("; фактор риска: {f} ({from})"));
    }
    line
}

fn unit_label(unit: Unit) -> &'static str {
    match unit {
        Unit::Share => "доля",
        Unit::Count => "количество",
        Unit::Ratio => "на одного обучающегося / часы / км",
        Unit::Binary => "да/нет",
        Unit::Ordinal => "код ответа",
    }
}

/// A methodology map's value for an indicator named by its canonical name
/// or by its header.
fn setting<'a, T>(
    map: &'a std::collections::BTreeMap<String, T>,
    name: &str,
    header: &str,
) -> Option<&'a T> {
    map.get(name).or_else(|| {
        let key = comparison_key(header);
        map.iter()
            .find(|(k, _)| comparison_key(k) == key)
            .map(|(_, v)| v)
    })
}

/// Lists an indicator under its dictionary name in the factor that names it
/// by its header, so that the profile finds it by the name the index uses.
fn name_factor_members(rule: &mut Methodology, name: &str, header: &str) {
    let key = comparison_key(header);
    for f in &mut rule.shnsu.profile.factors {
        let named = f
            .indicators
            .iter()
            .any(|i| i == name || comparison_key(i) == key);
        if named && !f.indicators.iter().any(|i| i == name) {
            f.indicators.push(name.to_string());
        }
    }
}

/// Renames each table's indicator columns to their dictionary names and
/// returns every indicator with its direction; fills the methodology's
/// directions and weights under those names, so that the index reads them.
/// Refuses indicators without a direction, listing the lines to add.
pub fn resolve(tables: &mut [RawTable], rule: &mut Methodology) -> Result<Vec<IndicatorUse>> {
    let mut uses: Vec<IndicatorUse> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    for table in tables.iter_mut() {
        let entries = with_dictionary_names(table)?;
        let mut derived = with_derived_shares(table)?;
        derived.extend(with_count_shares(table, &entries, rule)?);
        for column in super::survey::indicator_columns(table) {
            if uses.iter().any(|u| u.name == column) {
                continue;
            }
            let header = derived
                .iter()
                .find(|(n, _)| *n == column)
                .map_or_else(|| table.header_of(&column), |(_, h)| h.clone());
            let entry = entries
                .iter()
                .find(|(n, _)| *n == column)
                .map(|(_, e)| *e)
                .or_else(|| recognise(&column));
            let found = direction_of(rule, &column, &header, entry).or_else(|| {
                is_text(table, &column).ok()?.then(|| {
                    (
                        Direction::Descriptive,
                        "текст, не число: описательный факт".into(),
                    )
                })
            });
            let Some((direction, from)) = found else {
                unknown.push(header.clone());
                continue;
            };
            if let Some(w) = setting(&rule.shnsu.weights, &column, &header).copied() {
                rule.shnsu.weights.insert(column.clone(), w);
            }
            if let Some(t) = setting(&rule.shnsu.thresholds, &column, &header).copied() {
                rule.shnsu.thresholds.insert(column.clone(), t);
            }
            rule.shnsu.directions.insert(column.clone(), direction);
            name_factor_members(rule, &column, &header);
            let factor = rule.indicator_factor(&column);
            let is_derived = derived.iter().any(|(n, _)| *n == column);
            uses.push(IndicatorUse {
                name: column,
                header,
                label: entry.map(|e| e.label.clone()),
                direction,
                direction_from: from,
                unit: entry.map(|e| e.unit),
                factor: factor.as_ref().map(|f| f.code.clone()),
                factor_label: factor.as_ref().map(|f| f.label.clone()),
                factor_from: factor.map(|f| f.from),
                derived: is_derived,
            });
        }
    }
    if !unknown.is_empty() {
        bail!("{}", unknown_message(&unknown));
    }
    uses.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(uses)
}

/// Renames each indicator column the dictionary knows (by its header) to
/// the dictionary's name, unless the table already has that name; returns
/// the entry of each column so named.
fn with_dictionary_names(table: &mut RawTable) -> Result<Vec<(String, &'static Indicator)>> {
    let mut named = Vec::new();
    for column in super::survey::indicator_columns(table) {
        let header = table.header_of(&column);
        let Some(entry) = recognise(&header).or_else(|| recognise(&column)) else {
            continue;
        };
        let name = entry.name.clone();
        if name != column {
            if table.has(&name) {
                continue;
            }
            table.frame.rename(&column, name.as_str().into())?;
            for m in table.columns.iter_mut().filter(|m| m.column == column) {
                m.column = name.clone();
            }
        }
        named.push((name, entry));
    }
    Ok(named)
}

/// Adds each share the dictionary derives from counts (`[[derived]]`) when
/// the table has every count and not the share; returns each added share
/// with the headers it came from.
fn with_derived_shares(table: &mut RawTable) -> Result<Vec<(String, String)>> {
    use polars::prelude::*;
    let mut added = Vec::new();
    for d in derived() {
        let all_there = d.count.iter().chain(&d.of).all(|c| table.has(c));
        if !all_there || table.has(&d.name) {
            continue;
        }
        let sum = |columns: &[String]| {
            columns
                .iter()
                .map(|c| super::survey::passport_value(super::text(c), true))
                .reduce(|a, b| a + b)
                .expect("columns")
        };
        let share = when(sum(&d.of).gt(lit(0.0)))
            .then(sum(&d.count) / sum(&d.of))
            .otherwise(lit(NULL).cast(DataType::Float64))
            .cast(DataType::String)
            .alias(d.name.as_str());
        table.frame = table.frame.clone().lazy().with_column(share).collect()?;
        let headers = |columns: &[String]| {
            columns
                .iter()
                .map(|c| format!("«{}»", table.header_of(c)))
                .collect::<Vec<_>>()
                .join(" + ")
        };
        added.push((
            d.name.clone(),
            format!("доля: {} из {}", headers(&d.count), headers(&d.of)),
        ));
    }
    Ok(added)
}

/// Turns each share a passport gives as a number of people («Количество
/// обучающихся с ОВЗ») into the share of its total: the column the
/// methodology's `[shnsu.denominators]` names (by name or header), else the
/// table's number of students (of teachers, for a teachers' indicator).
/// Returns each share so made with its source; refuses a count without a
/// total, since a count read as a share would rank schools by their size.
fn with_count_shares(
    table: &mut RawTable,
    entries: &[(String, &'static Indicator)],
    rule: &Methodology,
) -> Result<Vec<(String, String)>> {
    use polars::prelude::*;
    let mut made = Vec::new();
    let mut missing = Vec::new();
    for (name, entry) in entries {
        let header = table.header_of(name);
        if entry.unit != Unit::Share || !counts_people(&header) {
            continue;
        }
        let Some(total) = total_column(table, name, &header, rule) else {
            missing.push(header);
            continue;
        };
        let value = |c: &str| super::survey::passport_value(super::text(c), true);
        let share = when(value(&total).gt(lit(0.0)))
            .then(value(name) / value(&total))
            .otherwise(lit(NULL).cast(DataType::Float64))
            .cast(DataType::String)
            .alias(name.as_str());
        table.frame = table.frame.clone().lazy().with_column(share).collect()?;
        made.push((
            name.clone(),
            format!("доля: «{header}» из «{}»", table.header_of(&total)),
        ));
    }
    if !missing.is_empty() {
        bail!("{}", missing_total_message(&missing));
    }
    Ok(made)
}

/// The column a count is divided by.
fn total_column(table: &RawTable, name: &str, header: &str, rule: &Methodology) -> Option<String> {
    if let Some(named) = setting(&rule.shnsu.denominators, name, header) {
        let key = comparison_key(named);
        return table
            .columns
            .iter()
            .map(|m| m.column.clone())
            .find(|c| c == named || comparison_key(&table.header_of(c)) == key);
    }
    let total = if name.starts_with("teachers_") || name.starts_with("part_time_teachers") {
        "teachers_count"
    } else {
        "students_count"
    };
    table.has(total).then(|| total.to_string())
}

fn missing_total_message(headers: &[String]) -> String {
    format!(
        "в анкете количества, а не доли: {}. Чтобы сравнивать школы разного размера, их нужно \
         разделить на общее число (обучающихся, учителей), а такого столбца в том же файле нет. \
         Добавьте столбец с общим числом или назовите его в методике:\n\n\
         [shnsu.denominators]\n{}",
        quoted(headers),
        lines_to_add(headers, "\"…\"    # заголовок столбца с общим числом")
    )
}

/// The headers as «a», «b».
fn quoted(headers: &[String]) -> String {
    headers
        .iter()
        .map(|h| format!("«{h}»"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One methodology line per header: `"header" = value`.
fn lines_to_add(headers: &[String], value: &str) -> String {
    headers
        .iter()
        .map(|h| format!("{} = {value}", toml_key(h)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// True for a column whose filled cells are mostly not numbers, yes/no or
/// answer codes: a text fact about the school (a director's remark, the
/// settlement's name), not an indicator.
fn is_text(table: &RawTable, column: &str) -> Result<bool> {
    use polars::prelude::*;
    let raw = super::text(column);
    let counted = table
        .frame
        .clone()
        .lazy()
        .select([
            raw.clone().is_not_null().sum().alias("filled"),
            super::survey::passport_value(raw, true)
                .is_not_null()
                .sum()
                .alias("numbers"),
        ])
        .collect()?;
    let get = |c: &str| super::first_count(&counted, c);
    let (filled, numbers) = (get("filled")?, get("numbers")?);
    Ok(filled > 0 && numbers * 2 < filled)
}

/// The direction of one indicator and where it came from.
fn direction_of(
    rule: &Methodology,
    name: &str,
    header: &str,
    entry: Option<&Indicator>,
) -> Option<(Direction, String)> {
    if let Some(d) = setting(&rule.shnsu.directions, name, header) {
        return Some((*d, "методика: [shnsu.directions]".into()));
    }
    if let Some(e) = entry {
        let d = match e.direction {
            Pointing::Risk => Direction::Risk,
            Pointing::Protective => Direction::Protective,
            Pointing::Descriptive => Direction::Descriptive,
        };
        return Some((d, "словарь показателей".into()));
    }
    rule.shnsu
        .protective_patterns
        .iter()
        .find(|p| name.contains(p.as_str()))
        .map(|p| {
            (
                Direction::Protective,
                format!("методика: protective_patterns «{p}»"),
            )
        })
}

/// The refusal for indicators without a direction: each header and the line
/// to add to the methodology.
fn unknown_message(headers: &[String]) -> String {
    format!(
        "направление показателей анкеты неизвестно: {}. Словарь показателей их не знает, а от \
         направления зависит, какие школы попадут в ШНСУ (риск, прочтённый как благоприятный \
         фактор, переворачивает список). Добавьте в методику (файл с extends = \"…\"):\n\n\
         [shnsu.directions]\n{}\n\n\"risk\" — чем больше, тем хуже условия; \"protective\" — \
         чем больше, тем лучше; \"descriptive\" — показывать, но не учитывать в индексе",
        quoted(headers),
        lines_to_add(
            headers,
            "\"risk\"    # или \"protective\", или \"descriptive\""
        )
    )
}

/// A TOML key: bare when it can be, quoted otherwise.
fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_string()
    } else {
        format!("\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""))
    }
}
