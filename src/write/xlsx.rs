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
    let percent = Format::new().set_num_format("0.0%");
    let decimal = Format::new().set_num_format("0.000");
    let mut widths: Vec<usize> = Vec::with_capacity(frame.width());
    for (c, column) in frame.columns().iter().enumerate() {
        let name = column.name().as_str();
        let title = label(name);
        sheet.write_string_with_format(0, c as u16, title, &header)?;
        let mut width = title.chars().count().min(24);
        let series = column.as_materialized_series();
        for r in 0..frame.height() {
            let row = r as u32 + 1;
            let col = c as u16;
            match series.get(r)? {
                AnyValue::Null => {}
                AnyValue::Boolean(b) => {
                    sheet.write_string(row, col, if b { "да" } else { "нет" })?;
                }
                AnyValue::String(s) => {
                    width = width.max(s.chars().count());
                    sheet.write_string(row, col, s)?;
                }
                AnyValue::Float64(f) if is_share(name) => {
                    sheet.write_number_with_format(row, col, f, &percent)?;
                }
                AnyValue::Float64(f) => {
                    sheet.write_number_with_format(row, col, f, &decimal)?;
                }
                other => match other.extract::<f64>() {
                    Some(n) => {
                        width = width.max(n.to_string().len());
                        sheet.write_number(row, col, n)?;
                    }
                    None => {
                        let text = other.to_string();
                        width = width.max(text.chars().count());
                        sheet.write_string(row, col, text)?;
                    }
                },
            }
        }
        widths.push(width.clamp(6, MAX_WIDTH));
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

/// Writes the workbook: `sheets` are (sheet name, table); `methodology` is
/// a list of (setting, value) rows for the last sheet.
pub fn write_report(
    path: &Path,
    sheets: &[(&str, &DataFrame)],
    methodology: &[(String, String)],
) -> Result<()> {
    let mut workbook = Workbook::new();
    // A fixed creation time keeps the file byte-identical between runs.
    let created = ExcelDateTime::from_ymd(2000, 1, 1)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    // Excel's own level: about a third faster than the default 6, for a
    // file some 5 % larger (rust_xlsxwriter's performance notes).
    workbook.set_zip_compression_level(3);
    for (name, frame) in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(*name)?;
        write_frame(sheet, frame)?;
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
