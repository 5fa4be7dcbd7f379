//! `report.xlsx`: the lists for people — one sheet per list, the municipal
//! summary and the methodology, with Russian headers, a frozen header row,
//! filters, fitted widths and shares shown as percentages.

use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::*;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet};

use super::label;

/// Widest column, in characters.
const MAX_WIDTH: usize = 60;

/// Columns shown as percentages (they hold shares 0–1).
fn is_share(column: &str) -> bool {
    column.ends_with("_share") || column == "ci_low" || column == "ci_high"
}

fn write_frame(sheet: &mut Worksheet, frame: &DataFrame) -> Result<()> {
    // Codes (`shnor_only`, `left`, `high`) as the words people read.
    let frame = &crate::codes::labelled(frame)?;
    let header = Format::new().set_bold().set_text_wrap();
    let mut widths: Vec<usize> = Vec::with_capacity(frame.width());
    for (c, column) in frame.columns().iter().enumerate() {
        let name = column.name().as_str();
        let title = label(name);
        sheet.write_string_with_format(0, c as u16, title, &header)?;
        let width = write_column(sheet, c as u16, name, column.as_materialized_series())?;
        widths.push(width.max(title.chars().count().min(24)).clamp(6, MAX_WIDTH));
    }
    for (c, width) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, *width as f64 + 2.0)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    if frame.width() > 0 {
        sheet.autofilter(0, 0, frame.height() as u32, frame.width() as u16 - 1)?;
    }
    Ok(())
}

/// Writes one column below its header, by its type (a typed pass over the
/// column, not a value looked up per cell: the long sheets have millions of
/// cells); returns the width its values need, in characters.
fn write_column(sheet: &mut Worksheet, col: u16, name: &str, series: &Series) -> Result<usize> {
    let mut width = 0;
    // Row 0 is the header.
    let rows = 1u32..;
    match series.dtype() {
        DataType::Boolean => {
            for (row, value) in rows.zip(series.bool()?.iter()) {
                if let Some(b) = value {
                    sheet.write_string(row, col, if b { "да" } else { "нет" })?;
                }
            }
        }
        DataType::String => {
            for (row, value) in rows.zip(series.str()?.iter()) {
                if let Some(s) = value {
                    width = width.max(s.chars().count());
                    sheet.write_string(row, col, s)?;
                }
            }
        }
        DataType::Float64 => {
            let format = if is_share(name) {
                Format::new().set_num_format("0.0%")
            } else {
                Format::new().set_num_format("0.000")
            };
            for (row, value) in rows.zip(series.f64()?.iter()) {
                if let Some(f) = value {
                    sheet.write_number_with_format(row, col, f, &format)?;
                }
            }
        }
        dtype if dtype.is_primitive_numeric() => {
            let numbers = series.cast(&DataType::Float64)?;
            for (row, value) in rows.zip(numbers.f64()?.iter()) {
                if let Some(n) = value {
                    width = width.max(n.to_string().len());
                    sheet.write_number(row, col, n)?;
                }
            }
        }
        _ => {
            let texts = series.cast(&DataType::String)?;
            for (row, value) in rows.zip(texts.str()?.iter()) {
                if let Some(text) = value {
                    width = width.max(text.chars().count());
                    sheet.write_string(row, col, text)?;
                }
            }
        }
    }
    Ok(width)
}

/// A sheet of the workbook: the output it shows, the sheet's name and the table.
pub struct Sheet<'a> {
    pub output: &'a str,
    pub name: &'a str,
    pub frame: &'a DataFrame,
}

/// The warning for each sheet whose table is longer than `max` rows.
pub fn long_sheet_warnings(sheets: &[Sheet], max: usize) -> Vec<String> {
    sheets
        .iter()
        .filter(|s| s.frame.height() > max)
        .map(|s| {
            format!(
                "лист «{}» в report.xlsx не заполнен: в таблице {} строк при пределе листа {}; \
                 она целиком в {}.csv и {}.parquet",
                s.name,
                s.frame.height(),
                max,
                s.output,
                s.output
            )
        })
        .collect()
}

/// The sheet of a table too long for it: what it holds and where it is.
fn write_long_sheet_note(sheet: &mut Worksheet, s: &Sheet, max: usize) -> Result<()> {
    sheet.write_string_with_format(0, 0, "Примечание", &Format::new().set_bold())?;
    sheet.write_string(
        1,
        0,
        format!(
            "Таблица «{}» содержит {} строк, больше предела листа ({max}). \
             Она целиком записана в файлы {}.csv и {}.parquet рядом с этой книгой.",
            s.name,
            s.frame.height(),
            s.output,
            s.output
        ),
    )?;
    sheet.set_column_width(0, 120)?;
    Ok(())
}

/// Writes the workbook: one sheet per table, in order (a table longer than
/// `max_rows` as a note); `methodology` is a list of (setting, value) rows
/// for the last sheet.
pub fn write_report(
    path: &Path,
    sheets: &[Sheet],
    max_rows: usize,
    methodology: &[(String, String)],
) -> Result<()> {
    let mut workbook = Workbook::new();
    // A fixed creation time keeps the file byte-identical between runs.
    let created = ExcelDateTime::from_ymd(2000, 1, 1)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    // Excel's own level: about a third faster than the default 6, for a
    // file some 5 % larger (rust_xlsxwriter's performance notes).
    workbook.set_zip_compression_level(3);
    for s in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(s.name)?;
        if s.frame.height() > max_rows {
            write_long_sheet_note(sheet, s, max_rows)?;
        } else {
            write_frame(sheet, s.frame)?;
        }
    }
    let sheet = workbook.add_worksheet();
    sheet.set_name("Методика")?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    sheet.write_string_with_format(0, 0, "Параметр", &bold)?;
    sheet.write_string_with_format(0, 1, "Значение", &bold)?;
    for (i, (key, value)) in methodology.iter().enumerate() {
        sheet.write_string(i as u32 + 1, 0, key)?;
        sheet.write_string_with_format(i as u32 + 1, 1, value, &wrap)?;
    }
    sheet.set_column_width(0, 40)?;
    sheet.set_column_width(1, 100)?;
    sheet.set_freeze_panes(1, 0)?;
    workbook
        .save(path)
        .with_context(|| format!("не удалось записать {}", path.display()))?;
    Ok(())
}

/// The methodology as (setting, value) rows: every leaf of the resolved
/// methodology, with dotted names (shnor.threshold_percent = 30).
pub fn methodology_rows(resolved: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(prefix: &str, value: &serde_json::Value, rows: &mut Vec<(String, String)>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, rows);
                }
            }
            serde_json::Value::Array(items) if items.iter().any(|i| i.is_object()) => {
                for (i, item) in items.iter().enumerate() {
                    walk(&format!("{prefix}[{}]", i + 1), item, rows);
                }
            }
            serde_json::Value::Array(items) => rows.push((
                prefix.to_string(),
                items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| i.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            )),
            serde_json::Value::String(s) => rows.push((prefix.to_string(), s.clone())),
            other => rows.push((prefix.to_string(), other.to_string())),
        }
    }
    let mut rows = Vec::new();
    walk("", resolved, &mut rows);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Reader, Xlsx, open_workbook};

    #[test]
    fn a_table_longer_than_a_sheet_holds_is_named_on_its_sheet_and_warned() {
        let long = df!("school_id" => ["a", "b", "c"], "participants" => [1, 2, 3]).unwrap();
        let short = df!("school_id" => ["a"], "participants" => [7]).unwrap();
        let sheets = [
            Sheet {
                output: "risk_profiles",
                name: "Профили риска",
                frame: &long,
            },
            Sheet {
                output: "shnor",
                name: "ШНОР",
                frame: &short,
            },
        ];
        let warnings = long_sheet_warnings(&sheets, 2);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("«Профили риска»") && warnings[0].contains("3 строк"));
        assert!(warnings[0].contains("risk_profiles.csv и risk_profiles.parquet"));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.xlsx");
        write_report(&path, &sheets, 2, &[]).unwrap();
        let mut book: Xlsx<_> = open_workbook(&path).unwrap();
        let noted = book.worksheet_range("Профили риска").unwrap();
        assert_eq!(noted.height(), 2, "the note, not the rows");
        let note = noted.get_value((1, 0)).unwrap().to_string();
        assert!(
            note.contains("3 строк") && note.contains("risk_profiles.parquet"),
            "{note}"
        );
        let full = book.worksheet_range("ШНОР").unwrap();
        assert_eq!(full.height(), 2, "header and its one row");
        assert_eq!(full.get_value((1, 1)).unwrap().to_string(), "7");
    }
}
