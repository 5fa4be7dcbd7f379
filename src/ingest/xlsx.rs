//! Reading XLSX/XLS/ODS workbooks as exported by ФИС ОКО and РЦОИ: title rows
//! above the header, two-row headers with merged group titles, numbers stored
//! as text, empty rows at the end.

use std::io::Cursor;

use anyhow::{Context, Result, bail};
use calamine::{Data, Reader, open_workbook_auto_from_rs};
use polars::prelude::*;

use super::normalize::known_column;
use super::table::LINE;

/// How many rows from the top are searched for the header.
const HEADER_SEARCH_ROWS: usize = 40;

/// One sheet: header labels (as they will be named) and text cells.
pub struct Sheet {
    pub name: String,
    /// Header labels as found (a two-row header joins the group title and the
    /// column title: «Распределение отметок, % 2»).
    pub headers: Vec<String>,
    pub frame: DataFrame,
}

/// A cell as text, the way a person reads it: 30.0 → "30".
fn cell_text(cell: &Data) -> Option<String> {
    let text = match cell {
        Data::Empty => return None,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.to_string(),
        Data::Error(e) => format!("#{e:?}"),
    };
    (!text.is_empty()).then_some(text)
}

/// Refuses a zipped workbook (XLSX/ODS) that would unpack to more than `cap`
/// bytes, before anything is unpacked: a decompression bomb, or a sheet
/// with millions of styled empty rows. XLS (not a zip) passes.
pub fn check_unpacked_size(bytes: &[u8], name: &str, cap: u64) -> Result<()> {
    let Ok(mut archive) = ::zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    // The central directory states each entry's unpacked size.
    let unpacked: u64 = match archive.decompressed_size() {
        Some(total) => u64::try_from(total).unwrap_or(u64::MAX),
        None => (0..archive.len())
            .filter_map(|i| archive.by_index_raw(i).ok().map(|f| f.size()))
            .fold(0u64, u64::saturating_add),
    };
    if unpacked > cap {
        bail!(
            "{name}: the workbook unpacks to {} MB (from {} KB): refused as a possible \
             decompression bomb or a sheet of millions of empty formatted rows; save the table as \
             CSV, or raise --max-memory if the file is genuine",
            unpacked >> 20,
            bytes.len() >> 10
        );
    }
    Ok(())
}

/// Reads every sheet with a header row; sheets without one are returned by
/// name in the second list, so that the caller can say so.
pub fn read_workbook(
    bytes: impl AsRef<[u8]> + Clone,
    name: &str,
    sheet: Option<&str>,
) -> Result<(Vec<Sheet>, Vec<String>)> {
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes))
        .with_context(|| format!("{name}: not a readable XLSX/XLS/ODS workbook"))?;
    let names = workbook.sheet_names();
    let wanted: Vec<String> = match sheet {
        Some(s) => {
            if !names.iter().any(|n| n == s) {
                bail!("{name}: no sheet named «{s}»; sheets: {}", names.join(", "));
            }
            vec![s.to_string()]
        }
        None => names,
    };
    let mut sheets = Vec::new();
    let mut skipped = Vec::new();
    for sheet_name in wanted {
        let range = workbook
            .worksheet_range(&sheet_name)
            .with_context(|| format!("{name}: cannot read sheet «{sheet_name}»"))?;
        let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        let rows: Vec<Vec<Option<String>>> = range
            .rows()
            .map(|r| r.iter().map(cell_text).collect())
            .collect();
        match find_header(&rows) {
            Some((at, headers)) => {
                let frame = data_frame(&rows, at, &headers, first_row)?;
                sheets.push(Sheet {
                    name: sheet_name,
                    headers,
                    frame,
                });
            }
            None => skipped.push(sheet_name),
        }
    }
    Ok((sheets, skipped))
}

/// The header row and its labels. A row is scored by how many of its labels
/// are known columns; a label may join the row above (a merged group title,
/// carried to the right) with the row's own text. Without any known label,
/// the first row that has the most text cells is the header.
pub fn find_header(rows: &[Vec<Option<String>>]) -> Option<(usize, Vec<String>)> {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut best: Option<(usize, usize, Vec<String>)> = None;
    for at in 0..rows.len().min(HEADER_SEARCH_ROWS) {
        let above = if at > 0 {
            carried_right(&rows[at - 1], width)
        } else {
            vec![None; width]
        };
        let mut labels = Vec::with_capacity(width);
        let mut known = 0;
        for (c, group) in above.iter().enumerate() {
            let own = rows[at].get(c).cloned().flatten();
            let joined = match (group, &own) {
                (Some(a), Some(o)) => Some(format!("{a} {o}")),
                _ => None,
            };
            let candidates = [
                own.clone(),
                joined.clone(),
                if own.is_none() { group.clone() } else { None },
            ];
            let recognised = candidates
                .iter()
                .flatten()
                .find(|l| known_column(l).is_some())
                .cloned();
            if recognised.is_some() {
                known += 1;
            }
            labels.push(recognised.or(own).unwrap_or_default());
        }
        if known >= 2 && best.as_ref().is_none_or(|(_, k, _)| known > *k) {
            best = Some((at, known, labels));
        }
    }
    if let Some((at, _, labels)) = best {
        return Some((at, labels));
    }
    // No known column: the first row with the most text cells.
    let text_cells = |r: &Vec<Option<String>>| {
        r.iter()
            .flatten()
            .filter(|t| t.parse::<f64>().is_err())
            .count()
    };
    let most = rows.iter().take(HEADER_SEARCH_ROWS).map(text_cells).max()?;
    if most < 2 {
        return None;
    }
    let at = rows.iter().position(|r| text_cells(r) == most)?;
    Some((
        at,
        (0..width)
            .map(|c| rows[at].get(c).cloned().flatten().unwrap_or_default())
            .collect(),
    ))
}

/// A title row with merged cells holds its text in the first cell only;
/// carry it right until the next text.
fn carried_right(row: &[Option<String>], width: usize) -> Vec<Option<String>> {
    let mut carried = Vec::with_capacity(width);
    let mut last: Option<String> = None;
    for c in 0..width {
        if let Some(t) = row.get(c).cloned().flatten() {
            last = Some(t);
        }
        carried.push(last.clone());
    }
    carried
}

/// The rows below the header as text columns, with `__line` = the row in the
/// sheet (1-based). Rows with no cell at all are not data and are skipped.
fn data_frame(
    rows: &[Vec<Option<String>>],
    header_at: usize,
    headers: &[String],
    first_row: usize,
) -> Result<DataFrame> {
    let mut lines: Vec<IdxSize> = Vec::new();
    let mut values: Vec<Vec<Option<String>>> = vec![Vec::new(); headers.len()];
    for (offset, row) in rows.iter().enumerate().skip(header_at + 1) {
        if row.iter().all(Option::is_none) {
            continue;
        }
        lines.push((first_row + offset + 1) as IdxSize);
        for (c, column) in values.iter_mut().enumerate() {
            column.push(row.get(c).cloned().flatten());
        }
    }
    let mut columns = vec![Column::new(LINE.into(), lines)];
    let mut used: Vec<String> = Vec::new();
    for (c, header) in headers.iter().enumerate() {
        // Unnamed columns (spacers, merged leftovers) get a stable name.
        let mut name = if header.is_empty() {
            format!("column_{}", c + 1)
        } else {
            header.clone()
        };
        if used.contains(&name) {
            name = format!("{name} ({})", c + 1);
        }
        used.push(name.clone());
        columns.push(Column::new(name.into(), std::mem::take(&mut values[c])));
    }
    Ok(DataFrame::new_infer_height(columns)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<Option<String>> {
        cells
            .iter()
            .map(|c| (!c.is_empty()).then(|| c.to_string()))
            .collect()
    }

    #[test]
    fn header_is_found_below_title_rows_and_joins_a_two_row_header() {
        let rows = vec![
            row(&["Статистика по отметкам", "", "", ""]),
            row(&["ВПР 2025, Русский язык, 5 класс", "", "", ""]),
            row(&["Логин", "Кол-во участников", "Распределение отметок, %", ""]),
            row(&["", "", "2", "3"]),
            row(&["edu1", "20", "35,5", "40"]),
        ];
        let (at, labels) = find_header(&rows).unwrap();
        assert_eq!(at, 3);
        assert_eq!(labels[0], "Логин");
        assert_eq!(labels[1], "Кол-во участников");
        assert_eq!(labels[2], "2");
    }
}
