//! `shnor compare`: a published list against a run, school by school, with
//! the closest reason from the run for every difference.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use polars::prelude::*;

use crate::codes::{self, Agreement, Code, CountStatus, List};
use crate::finished::FinishedRun;
use crate::ingest::normalize::comparison_key;
use crate::ingest::{CsvOverrides, read_table};
use crate::russian::{percent, plain};
use crate::validate::text;
use crate::write::manifest::Manifest;

/// What the comparison found.
pub struct Comparison {
    /// school_id, school_name, municipality, status, reason.
    pub table: DataFrame,
    pub text: String,
    pub identical: bool,
}

/// Organisation-form prefixes that published names carry or drop at will.
const PREFIXES: [&str; 14] = [
    "мбоу",
    "мкоу",
    "маоу",
    "моу",
    "гбоу",
    "гкоу",
    "гаоу",
    "гоу",
    "чоу",
    "ноу",
    "мбну",
    "моку",
    "фгбоу",
    "анооо",
];

/// A school name in the form two spellings meet: lower case, ё/е, no quotes
/// or punctuation, no organisation-form prefix, «№ 5» = «№5».
pub fn name_key(name: &str) -> String {
    let spaced = name.replace('№', " № ");
    let key = comparison_key(&spaced);
    let words: Vec<&str> = key
        .split_whitespace()
        .filter(|w| !PREFIXES.contains(w))
        .collect();
    words.join(" ")
}

fn keyed_names(frame: LazyFrame) -> Result<DataFrame> {
    let frame = frame.collect()?;
    let names = frame.column("school_name")?.str()?.clone();
    let municipalities = frame.column("municipality")?.str()?.clone();
    let name_keys: Vec<Option<String>> = names.iter().map(|n| n.map(name_key)).collect();
    let municipality_keys: Vec<Option<String>> = municipalities
        .iter()
        .map(|m| m.map(comparison_key))
        .collect();
    let mut frame = frame;
    frame.with_column(Column::new("name_key".into(), name_keys))?;
    frame.with_column(Column::new("municipality_key".into(), municipality_keys))?;
    Ok(frame)
}

/// The published list with `school_id` resolved: by id when it has one, else
/// by tolerant name (and municipality, when given) against the registry.
fn resolve_published(
    published: &crate::ingest::RawTable,
    registry: &DataFrame,
) -> Result<DataFrame> {
    if published.has("school_id") {
        return Ok(published
            .frame
            .clone()
            .lazy()
            .select([text("school_id").alias("school_id")])
            .filter(col("school_id").is_not_null())
            .unique_stable(None, UniqueKeepStrategy::First)
            .collect()?);
    }
    if !published.has("school_name") {
        bail!(
            "{}: в опубликованном списке нужен school_id или school_name (с municipality), чтобы сопоставить школы по названию",
            published.name
        );
    }
    let municipality = if published.has("municipality") {
        text("municipality")
    } else {
        lit(NULL).cast(DataType::String)
    };
    let wanted = keyed_names(published.frame.clone().lazy().select([
        text("school_name").alias("school_name"),
        municipality.alias("municipality"),
    ]))?;
    let registry = keyed_names(registry.clone().lazy().select([
        col("school_id"),
        col("school_name"),
        col("municipality"),
    ]))?;
    let by_name = registry.clone().lazy().select([
        col("school_id"),
        col("name_key"),
        col("municipality_key").alias("registry_municipality"),
    ]);
    // A name matches when it is unique in the registry or its municipality
    // agrees.
    let matched = wanted
        .lazy()
        .join(
            by_name,
            [col("name_key")],
            [col("name_key")],
            JoinArgs::new(JoinType::Left),
        )
        .filter(
            col("municipality_key")
                .is_null()
                .or(col("municipality_key").eq(col("registry_municipality")))
                .or(col("school_id").is_null()),
        )
        .with_column(
            len()
                .over([col("name_key"), col("municipality_key")])?
                .alias("candidates"),
        )
        .collect()?;
    Ok(matched
        .lazy()
        .select([
            when(col("candidates").eq(lit(1)))
                .then(col("school_id"))
                .otherwise(lit(NULL).cast(DataType::String))
                .alias("school_id"),
            col("school_name").alias("published_name"),
            col("candidates"),
        ])
        .unique_stable(None, UniqueKeepStrategy::First)
        .collect()?)
}

/// The non-empty `school_id`s of a table.
fn school_ids(frame: &DataFrame) -> Result<Vec<String>> {
    Ok(frame
        .column("school_id")?
        .str()?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect())
}

/// The closest reason why the run did not list a school.
fn why_not_listed(
    school_id: &str,
    registry: &DataFrame,
    procedures: &DataFrame,
    manifest: &Manifest,
) -> Result<String> {
    let in_registry = registry
        .column("school_id")?
        .str()?
        .iter()
        .any(|s| s == Some(school_id));
    if !in_registry {
        return Ok("нет в исходных данных (реестре школ)".into());
    }
    let rule = &manifest.methodology.resolved.shnor;
    let threshold = rule.threshold_percent;
    let minimum = i64::from(rule.min_participants);
    let current = manifest.years.current;
    let own = procedures
        .clone()
        .lazy()
        .filter(
            col("school_id")
                .eq(lit(school_id))
                .and(col("year").eq(lit(current))),
        )
        .filter(col("count_status").neq(lit(
            CountStatus::OutOfScope.label_for(rule.min_participants),
        )))
        .sort(
            ["fail_share"],
            SortMultipleOptions::default().with_order_descending(true),
        )
        .collect()?;
    if own.height() == 0 {
        return Ok(format!(
            "нет результатов за {current} год в исходных данных"
        ));
    }
    let counting = own.column("counts")?.bool()?.sum().unwrap_or(0);
    let describe = |r: usize| -> Result<String> {
        Ok(format!(
            "{} {} {} кл. {current}",
            own.column("assessment")?.str()?.get(r).unwrap_or(""),
            own.column("subject")?.str()?.get(r).unwrap_or(""),
            own.column("grade")?.i32()?.get(r).unwrap_or_default()
        ))
    };
    let shares = own.column("fail_share")?.f64()?.clone();
    let participants = own.column("participants")?.i64()?.clone();
    for r in 0..own.height() {
        let share = shares.get(r).unwrap_or(0.0);
        let n = participants.get(r).unwrap_or(0);
        if share * 100.0 >= threshold && n < minimum {
            return Ok(format!(
                "{n} участников в {}, меньше минимума {minimum} (доля {} %)",
                describe(r)?,
                percent(share)
            ));
        }
    }
    let top = (0..own.height())
        .find(|r| shares.get(*r).unwrap_or(0.0) * 100.0 < threshold)
        .unwrap_or(0);
    Ok(format!(
        "доля {} % в {}, ниже порога {} %; процедур с долей не ниже порога: {counting}",
        percent(shares.get(top).unwrap_or(0.0)),
        describe(top)?,
        plain(threshold)
    ))
}

/// Compares a published list (CSV or XLSX) with the ШНОР or ШНСУ list of a run.
pub fn compare(run: &Path, published_path: &Path, list: List) -> Result<Comparison> {
    let finished = FinishedRun::open(run)?;
    let published_name = published_path.display().to_string();
    let published = read_table(published_path, &published_name, CsvOverrides::default())?;
    let registry = finished.table("schools")?;
    let computed = finished.table(list.code())?;
    let published_ids = resolve_published(&published, &registry)?;
    let rows = differences(&finished, list, &published_ids, &computed, &registry)?;
    let table = crate::outputs::conform(
        "compare",
        rows.lazy().join(
            registry.clone().lazy().select([
                col("school_id"),
                col("school_name"),
                col("municipality"),
            ]),
            [col("school_id")],
            [col("school_id")],
            JoinArgs::new(JoinType::Left),
        ),
    )?;
    let text = summary(&table, &published_name, run, list);
    let identical = codes::count(&table, Agreement::OnlyPublished) == 0
        && codes::count(&table, Agreement::OnlyComputed) == 0;
    Ok(Comparison {
        table,
        text,
        identical,
    })
}

/// Writes the comparison as CSV; a failed write leaves no partial file.
pub fn write_table(path: &Path, mut table: DataFrame) -> Result<()> {
    let partial = path.with_extension("csv.part");
    let written = std::fs::File::create(&partial)
        .map_err(anyhow::Error::from)
        .and_then(|file| {
            CsvWriter::new(file)
                .include_header(true)
                .finish(&mut table)
                .map_err(anyhow::Error::from)
        })
        .and_then(|()| std::fs::rename(&partial, path).map_err(anyhow::Error::from));
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written.with_context(|| format!("не удалось записать {}", path.display()))
}

/// One row per school on either list: school_id, status, reason.
fn differences(
    finished: &FinishedRun,
    list: List,
    published_ids: &DataFrame,
    computed: &DataFrame,
    registry: &DataFrame,
) -> Result<DataFrame> {
    let published_set = school_ids(published_ids)?;
    let computed_set = school_ids(computed)?;
    let mut all: Vec<String> = published_set.iter().chain(&computed_set).cloned().collect();
    all.sort();
    all.dedup();
    let procedures = finished.table("procedures")?;
    let mut ids = Vec::new();
    let mut statuses = Vec::new();
    let mut reasons = Vec::new();
    for id in &all {
        let (in_published, in_computed) = (published_set.contains(id), computed_set.contains(id));
        let (status, reason) = match (in_published, in_computed) {
            (true, true) => (Agreement::Both, String::new()),
            (false, true) => (
                Agreement::OnlyComputed,
                format!("в расчёте: {}", computed_reason(computed, list, id)?),
            ),
            (true, false) if list == List::Shnor => (
                Agreement::OnlyPublished,
                why_not_listed(id, registry, &procedures, &finished.manifest)?,
            ),
            (true, false) => (
                Agreement::OnlyPublished,
                "индекс риска ниже отсечения расчёта".to_string(),
            ),
            (false, false) => unreachable!("every id comes from one of the lists"),
        };
        ids.push(id.clone());
        statuses.push(status.code());
        reasons.push(reason);
    }
    for name in unmatched_names(published_ids)? {
        ids.push(String::new());
        statuses.push(Agreement::OnlyPublished.code());
        reasons.push(format!(
            "«{name}»: нет в исходных данных (не найдена по названию)"
        ));
    }
    Ok(df!("school_id" => ids, "status" => statuses, "reason" => reasons)?)
}

/// The published names that matched no registry school.
fn unmatched_names(published_ids: &DataFrame) -> Result<Vec<String>> {
    let unmatched = published_ids
        .clone()
        .lazy()
        .filter(col("school_id").is_null())
        .collect()?;
    Ok(match unmatched.column("published_name") {
        Ok(names) => names.str()?.iter().flatten().map(str::to_string).collect(),
        Err(_) => Vec::new(),
    })
}

/// Why the run listed a school: its conditions met, or its top indicators.
fn computed_reason(computed: &DataFrame, list: List, school_id: &str) -> Result<String> {
    let column = match list {
        List::Shnor => "conditions_met",
        List::Shnsu => "top_indicators",
    };
    let row = computed
        .clone()
        .lazy()
        .filter(col("school_id").eq(lit(school_id)))
        .collect()?;
    Ok(row.column(column)?.str()?.get(0).unwrap_or("").to_string())
}

/// The counts and one line per difference.
fn summary(table: &DataFrame, published_name: &str, run: &Path, list: List) -> String {
    let mut text = format!(
        "{published_name} и {}/{}: в обоих {}, только в опубликованном {}, только в рассчитанном {}\n",
        run.display(),
        list.code(),
        codes::count(table, Agreement::Both),
        codes::count(table, Agreement::OnlyPublished),
        codes::count(table, Agreement::OnlyComputed),
    );
    let cell = |column: &str, r: usize| {
        table
            .column(column)
            .ok()
            .and_then(|c| c.str().ok()?.get(r).map(str::to_string))
            .unwrap_or_default()
    };
    for r in 0..table.height() {
        let Some(status) = codes::at::<Agreement>(table, r) else {
            continue;
        };
        if status == Agreement::Both {
            continue;
        }
        let _ = writeln!(
            text,
            "  {} {} {}: {}",
            status.label(),
            cell("school_id", r),
            cell("school_name", r),
            cell("reason", r)
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_meet_across_quotes_prefixes_and_number_signs() {
        assert_eq!(name_key("МБОУ «СОШ № 5»"), name_key("сош №5"));
        assert_eq!(
            name_key("МКОУ \"ООШ с. Берёзовка\""),
            name_key("ООШ с. Березовка")
        );
        assert_ne!(name_key("СОШ № 5"), name_key("СОШ № 15"));
    }
}
