//! Social passports printed the way municipal programmes print them:
//! indicators as rows and schools as columns («Показатель | ООШ №2 | СОШ
//! №3»). Such a table is turned to one row per school, the usual survey
//! form; a label wrapped onto a second line with no values is joined to the
//! line above.

use anyhow::{Result, bail};
use polars::prelude::*;

use super::indicators::recognise;
use super::layouts::infer_keys;
use super::normalize::canonical_column;
use super::table::{ColumnMapping, LINE, RawTable};

/// How many labels of the first column must be dictionary indicators for the
/// table to be read as indicators-in-rows.
const MIN_RECOGNISED: usize = 2;

/// The first column's labels and the school columns of a table printed with
/// indicators as rows; `None` for a table in the usual form.
fn shape(table: &RawTable) -> Option<(String, Vec<String>)> {
    if table.has("school_id") {
        return None;
    }
    let names: Vec<String> = table
        .frame
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .filter(|c| c != LINE)
        .collect();
    let (first, schools) = names.split_first()?;
    let labels = table
        .frame
        .column(first)
        .ok()?
        .cast(&DataType::String)
        .ok()?;
    let recognised = labels
        .str()
        .ok()?
        .iter()
        .flatten()
        .filter(|l| recognise(l).is_some())
        .count();
    (recognised >= MIN_RECOGNISED && !schools.is_empty()).then(|| (first.clone(), schools.to_vec()))
}

/// True for a passport printed with indicators as rows.
pub fn is_transposed(table: &RawTable) -> bool {
    shape(table).is_some()
}

/// The table turned to one row per school: `school_id` from each school
/// column's header, `year` from the file's title or name, one column per
/// indicator row. A school row's `__line` is its column's number.
pub fn transposed(mut table: RawTable) -> Result<RawTable> {
    let Some((first, schools)) = shape(&table) else {
        return Ok(table);
    };
    let rows = joined_rows(&table.frame, &first, &schools)?;
    let titles: Vec<(usize, &str)> = table
        .header
        .iter()
        .flat_map(|h| h.titles.iter().map(|(r, t)| (*r, t.as_str())))
        .collect();
    let year = infer_keys(&table.name, &titles, None, &["year"]);
    let Some(year) = year.first() else {
        bail!(
            "{}: паспорт с показателями в строках, а год нигде не указан; добавьте год в имя файла \
             («Паспорт 2025.xlsx») или в заголовок листа",
            table.name
        );
    };
    let mut columns = vec![
        Column::new(
            "school_id".into(),
            schools
                .iter()
                .map(|s| table.header_of(s))
                .collect::<Vec<_>>(),
        ),
        Column::new("year".into(), vec![year.value.clone(); schools.len()]),
        Column::new(
            LINE.into(),
            (0..schools.len())
                .map(|i| (i + 2) as IdxSize)
                .collect::<Vec<_>>(),
        ),
    ];
    let mut mappings = vec![ColumnMapping {
        found: format!("заголовки столбцов школ ({})", table.header_of(&first)),
        column: "school_id".into(),
    }];
    for (label, values) in rows {
        let name = canonical_column(&label);
        if name.is_empty() || mappings.iter().any(|m| m.column == name) {
            continue;
        }
        columns.push(Column::new(name.as_str().into(), values));
        mappings.push(ColumnMapping {
            found: label,
            column: name,
        });
    }
    table.frame = DataFrame::new_infer_height(columns)?;
    table.row_count = schools.len();
    table.columns = mappings;
    table.inferred.push(year.clone());
    Ok(table)
}

/// `table` with each `school_id` that is a registry school's name (compared
/// without case, ё/е or punctuation, and only names no two schools share)
/// replaced by that school's id; returns the names it replaced.
pub fn names_to_ids(table: &mut RawTable, registry: &DataFrame) -> Result<Vec<(String, String)>> {
    use super::normalize::comparison_key;
    use std::collections::HashMap;
    if !registry.schema().contains("school_name") {
        return Ok(Vec::new());
    }
    let ids = registry.column("school_id")?.str()?.clone();
    let names = registry.column("school_name")?.cast(&DataType::String)?;
    let mut by_name: HashMap<String, Option<String>> = HashMap::new();
    for (id, name) in ids.iter().zip(names.str()?.iter()) {
        if let (Some(id), Some(name)) = (id, name) {
            by_name
                .entry(comparison_key(name))
                .and_modify(|e| *e = None)
                .or_insert_with(|| Some(id.to_string()));
        }
    }
    let known: std::collections::HashSet<&str> = ids.iter().flatten().collect();
    let mut replaced = Vec::new();
    let column: Vec<Option<String>> = table
        .frame
        .column("school_id")?
        .str()?
        .iter()
        .map(|v| {
            let v = v?;
            if known.contains(v) {
                return Some(v.to_string());
            }
            match by_name.get(&comparison_key(v)).cloned().flatten() {
                Some(id) => {
                    replaced.push((v.to_string(), id.clone()));
                    Some(id)
                }
                None => Some(v.to_string()),
            }
        })
        .collect();
    table
        .frame
        .with_column(Column::new("school_id".into(), column))?;
    Ok(replaced)
}

/// For the passport of one school (one value column, «Показатель |
/// Значение»), the school its file name or title names: a registry id
/// among the words of the name, else the one registry name written there
/// (the longest when several are, none when two equally long are). Returns
/// the id and the words it was found in.
pub fn school_of_single_passport(
    table: &RawTable,
    registry: &DataFrame,
) -> Result<Option<(String, String)>> {
    use super::normalize::comparison_key;
    if table.frame.height() != 1 {
        return Ok(None);
    }
    let ids = registry.column("school_id")?.str()?.clone();
    let given = table
        .frame
        .column("school_id")?
        .str()?
        .get(0)
        .map(str::to_string);
    if given
        .as_deref()
        .is_some_and(|g| ids.iter().flatten().any(|id| id == g))
    {
        return Ok(None);
    }
    let titles = table
        .header
        .iter()
        .flat_map(|h| h.titles.iter().map(|(_, t)| t.clone()));
    let stem = std::path::Path::new(&table.name)
        .file_stem()
        .map_or(table.name.clone(), |s| s.to_string_lossy().to_string());
    for place in std::iter::once(stem).chain(titles) {
        let words: Vec<String> = comparison_key(&place)
            .split(' ')
            .map(str::to_string)
            .collect();
        if let Some(id) = ids
            .iter()
            .flatten()
            .find(|id| words.iter().any(|w| w == &id.to_lowercase()))
        {
            return Ok(Some((id.to_string(), place)));
        }
        if let Some(id) = named_school(&words, registry)? {
            return Ok(Some((id, place)));
        }
    }
    Ok(None)
}

/// The registry school whose name's words appear in a row in `words`: the
/// longest such name, none on a tie.
fn named_school(words: &[String], registry: &DataFrame) -> Result<Option<String>> {
    use super::normalize::comparison_key;
    if !registry.schema().contains("school_name") {
        return Ok(None);
    }
    let ids = registry.column("school_id")?.str()?.clone();
    let names = registry.column("school_name")?.cast(&DataType::String)?;
    let mut best: Option<(usize, String)> = None;
    let mut tied = false;
    for (id, name) in ids.iter().zip(names.str()?.iter()) {
        let (Some(id), Some(name)) = (id, name) else {
            continue;
        };
        let name: Vec<String> = comparison_key(name)
            .split(' ')
            .map(str::to_string)
            .collect();
        let written = !name.is_empty() && words.windows(name.len()).any(|w| w == name.as_slice());
        if !written {
            continue;
        }
        match &best {
            Some((n, _)) if name.len() < *n => {}
            Some((n, _)) if name.len() == *n => tied = true,
            _ => {
                best = Some((name.len(), id.to_string()));
                tied = false;
            }
        }
    }
    Ok(best.filter(|_| !tied).map(|(_, id)| id))
}

/// Each indicator row: its label (a wrapped second line with no values
/// joined on) and its value per school.
fn joined_rows(
    frame: &DataFrame,
    first: &str,
    schools: &[String],
) -> Result<Vec<(String, Vec<Option<String>>)>> {
    let text = |name: &str| -> Result<Vec<Option<String>>> {
        Ok(frame
            .column(name)?
            .cast(&DataType::String)?
            .str()?
            .iter()
            .map(|v| {
                v.map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            })
            .collect())
    };
    let labels = text(first)?;
    let values: Vec<Vec<Option<String>>> =
        schools.iter().map(|s| text(s)).collect::<Result<_>>()?;
    let mut rows: Vec<(String, Vec<Option<String>>)> = Vec::new();
    for (r, label) in labels.iter().enumerate() {
        let Some(label) = label else { continue };
        let cells: Vec<Option<String>> = values.iter().map(|v| v[r].clone()).collect();
        let empty = cells.iter().all(Option::is_none);
        // A wrapped label goes on in lower case; a line without values that
        // starts in capitals is a section heading.
        let continues = label.chars().next().is_some_and(char::is_lowercase);
        match rows.last_mut() {
            Some((above, _)) if empty && continues => {
                above.push(' ');
                above.push_str(label);
            }
            _ if empty => {}
            _ => rows.push((label.clone(), cells)),
        }
    }
    Ok(rows)
}
