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
    /// Where the header was found, and the title rows above it.
    pub header: HeaderFound,
}

/// The header row of a sheet (1-based, as the spreadsheet numbers rows), how
/// it was chosen, and the text of the rows above it (document titles).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeaderFound {
    pub row: usize,
    /// The row was set by the adapter's `header_row`, not found.
    pub forced: bool,
    /// Each title row above the header: its row and its cells joined.
    pub titles: Vec<(usize, String)>,
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
            "{name}: книга распаковывается в {} МБ (из {} КБ): отклонена как возможная \
             «zip-бомба» или лист с миллионами пустых отформатированных строк; сохраните таблицу как \
             CSV или поднимите --max-memory, если файл настоящий",
            unpacked >> 20,
            bytes.len() >> 10
        );
    }
    Ok(())
}

/// Memory a sheet cell costs once expanded (calamine's cell, our text copy
/// and its string): the estimate behind the cell cap.
pub const BYTES_PER_CELL: u64 = 100;

/// Refuses a workbook whose sheets would expand to more than `max_cells`
/// cells, counted from the sheet XML before any grid is allocated: the
/// reader allocates the rectangle from the first to the last cell, so one
/// cell at XFD1048576 costs 17 billion, and an ODS row repeated 60 million
/// times costs 60 million rows. XLS (not a zip) passes.
pub fn check_extent(bytes: &[u8], name: &str, max_cells: u64) -> Result<()> {
    let Ok(mut archive) = ::zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .with_context(|| format!("{name}: повреждённый архив книги"))?;
        let entry_name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        let mut extent = if entry_name.starts_with("xl/worksheets/") && entry_name.ends_with(".xml")
        {
            Extent::xlsx()
        } else if entry_name == "content.xml" {
            Extent::ods()
        } else {
            continue;
        };
        scan_tags(&mut entry, |tag| extent.tag(tag))
            .with_context(|| format!("{name}: не удаётся прочитать {entry_name}"))?;
        let cells = extent.cells();
        if cells > max_cells {
            bail!(
                "{name}: лист занимает {cells} ячеек (от первой заполненной до последней; {entry_name}), больше допустимых {max_cells}: обычно это одна ячейка далеко за таблицей или повторённые миллионы раз строки. Удалите лишние ячейки или сохраните таблицу как CSV; если файл подлинный, увеличьте --max-memory"
            );
        }
    }
    Ok(())
}

/// Calls `on_tag` with the text between each `<` and `>` of an XML stream,
/// read in blocks (a sheet is never held whole); a tag's text is cut at
/// 4 096 bytes. The brackets are found with `memchr`, not byte by byte: this
/// pass reads every sheet before calamine does.
fn scan_tags(reader: &mut impl std::io::Read, mut on_tag: impl FnMut(&[u8])) -> Result<()> {
    const MAX_TAG: usize = 4096;
    let mut block = vec![0u8; 1 << 16];
    let mut tag: Vec<u8> = Vec::new();
    let mut inside = false;
    loop {
        let n = reader.read(&mut block)?;
        if n == 0 {
            return Ok(());
        }
        let mut rest = &block[..n];
        while !rest.is_empty() {
            let bracket = if inside { b'>' } else { b'<' };
            let Some(at) = memchr::memchr(bracket, rest) else {
                if inside {
                    let room = MAX_TAG.saturating_sub(tag.len());
                    tag.extend_from_slice(&rest[..rest.len().min(room)]);
                }
                break;
            };
            if inside {
                let room = MAX_TAG.saturating_sub(tag.len());
                tag.extend_from_slice(&rest[..at.min(room)]);
                on_tag(&tag);
            } else {
                tag.clear();
            }
            inside = !inside;
            rest = &rest[at + 1..];
        }
    }
}

/// The value of attribute `name` in a tag's text.
fn attribute<'a>(tag: &'a [u8], name: &str) -> Option<&'a [u8]> {
    let key = format!(" {name}=\"");
    let at = memchr::memmem::find(tag, key.as_bytes())? + key.len();
    let len = memchr::memchr(b'"', &tag[at..])?;
    Some(&tag[at..at + len])
}

fn number(bytes: Option<&[u8]>) -> Option<u64> {
    std::str::from_utf8(bytes?).ok()?.parse().ok()
}

/// The rectangle a sheet expands to, from its tags.
enum Extent {
    /// XLSX: first and last row and column of the cells with content.
    Xlsx {
        rows: (u64, u64),
        columns: (u64, u64),
        row: u64,
        column: u64,
    },
    /// ODS: rows of this sheet expanded so far, rows up to its last with
    /// content, its widest row up to the last cell with content, and the
    /// largest sheet before it.
    Ods {
        rows: u64,
        filled_rows: u64,
        widest: u64,
        row_width: u64,
        row_filled: u64,
        row_repeats: u64,
        largest: u64,
    },
}

impl Extent {
    fn xlsx() -> Self {
        Extent::Xlsx {
            rows: (u64::MAX, 0),
            columns: (u64::MAX, 0),
            row: 0,
            column: 0,
        }
    }

    fn ods() -> Self {
        Extent::Ods {
            rows: 0,
            filled_rows: 0,
            widest: 0,
            row_width: 0,
            row_filled: 0,
            row_repeats: 1,
            largest: 0,
        }
    }

    fn cells(&self) -> u64 {
        match self {
            Extent::Xlsx { rows, columns, .. } if rows.0 <= rows.1 => {
                (rows.1 - rows.0 + 1).saturating_mul(columns.1 - columns.0 + 1)
            }
            Extent::Xlsx { .. } => 0,
            Extent::Ods {
                filled_rows,
                widest,
                largest,
                ..
            } => filled_rows.saturating_mul(*widest).max(*largest),
        }
    }

    fn tag(&mut self, tag: &[u8]) {
        let start = usize::from(tag.first() == Some(&b'/'));
        let name_end = tag[start..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'/')
            .map_or(tag.len(), |p| p + start);
        let (name, closing) = (&tag[..name_end], tag.last() == Some(&b'/'));
        match self {
            Extent::Xlsx {
                rows,
                columns,
                row,
                column,
            } => match name {
                b"row" => {
                    *row = number(attribute(tag, "r")).unwrap_or(*row + 1);
                    *column = 0;
                }
                b"c" => {
                    let (r, c) = attribute(tag, "r")
                        .and_then(cell_reference)
                        .unwrap_or((*row, *column + 1));
                    (*row, *column) = (r, c);
                    if !closing {
                        *rows = (rows.0.min(r), rows.1.max(r));
                        *columns = (columns.0.min(c), columns.1.max(c));
                    }
                }
                _ => {}
            },
            Extent::Ods {
                rows,
                filled_rows,
                widest,
                row_width,
                row_filled,
                row_repeats,
                largest,
            } => match name {
                b"table:table" => {
                    *largest = filled_rows.saturating_mul(*widest).max(*largest);
                    (*rows, *filled_rows, *widest) = (0, 0, 0);
                }
                b"table:table-row" => {
                    *row_repeats =
                        number(attribute(tag, "table:number-rows-repeated")).unwrap_or(1);
                    *row_width = 0;
                    *row_filled = 0;
                    if closing {
                        *rows = rows.saturating_add(*row_repeats);
                    }
                }
                b"/table:table-row" => {
                    *rows = rows.saturating_add(*row_repeats);
                    if *row_filled > 0 {
                        *filled_rows = (*filled_rows).max(*rows);
                        *widest = (*widest).max(*row_filled);
                    }
                }
                b"table:table-cell" | b"table:covered-table-cell" => {
                    let repeats =
                        number(attribute(tag, "table:number-columns-repeated")).unwrap_or(1);
                    *row_width = row_width.saturating_add(repeats);
                    if !closing || attribute(tag, "office:value-type").is_some() {
                        *row_filled = *row_width;
                    }
                }
                _ => {}
            },
        }
    }
}

/// `B12` → (12, 2).
fn cell_reference(reference: &[u8]) -> Option<(u64, u64)> {
    let letters = reference
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let column = reference[..letters].iter().fold(0u64, |n, b| {
        n * 26 + u64::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    let row = std::str::from_utf8(&reference[letters..])
        .ok()?
        .parse()
        .ok()?;
    (letters > 0).then_some((row, column))
}

/// Reads every sheet with a header row; sheets without one are returned by
/// name in the second list, so that the caller can say so.
pub fn read_workbook(
    bytes: impl AsRef<[u8]> + Clone,
    name: &str,
    sheet: Option<&str>,
    header_row: Option<usize>,
) -> Result<(Vec<Sheet>, Vec<String>)> {
    let mut workbook = open_workbook_auto_from_rs(Cursor::new(bytes))
        .with_context(|| format!("{name}: не читается как книга XLSX/XLS/ODS"))?;
    let names = workbook.sheet_names();
    let wanted: Vec<String> = match sheet {
        Some(s) => {
            if !names.iter().any(|n| n == s) {
                bail!("{name}: нет листа «{s}»; листы: {}", names.join(", "));
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
            .with_context(|| format!("{name}: не удалось прочитать лист «{sheet_name}»"))?;
        let first_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        let rows: Vec<Vec<Option<String>>> = range
            .rows()
            .map(|r| r.iter().map(cell_text).collect())
            .collect();
        let found = match header_row {
            Some(row) => Some(forced_header(&rows, row, first_row, name, &sheet_name)?),
            None => find_header(&rows),
        };
        match found {
            Some((at, headers)) => {
                let frame = data_frame(&rows, at, &headers, first_row)?;
                let header = HeaderFound {
                    row: first_row + at + 1,
                    forced: header_row.is_some(),
                    titles: titles_above(&rows, at, first_row),
                };
                sheets.push(Sheet {
                    name: sheet_name,
                    headers,
                    frame,
                    header,
                });
            }
            None => skipped.push(sheet_name),
        }
    }
    Ok((sheets, skipped))
}

/// The header at the sheet's row `row` (1-based, as the spreadsheet shows
/// it), set by an adapter's `header_row`: its cells as they are.
fn forced_header(
    rows: &[Vec<Option<String>>],
    row: usize,
    first_row: usize,
    name: &str,
    sheet: &str,
) -> Result<(usize, Vec<String>)> {
    let at = row
        .checked_sub(first_row + 1)
        .filter(|at| *at < rows.len())
        .with_context(|| {
            format!(
                "{name}[{sheet}]: header_row = {row}, а на листе строки {}–{}; исправьте header_row в adapters.toml",
                first_row + 1,
                first_row + rows.len()
            )
        })?;
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let labels = (0..width)
        .map(|c| rows[at].get(c).cloned().flatten().unwrap_or_default())
        .collect();
    Ok((at, labels))
}

/// The text of each non-empty row above the header (titles such as
/// «Статистика по отметкам», «ВПР 2021 Математика 4 класс»). A two-row
/// header's upper row is a title too: its words can name the year.
fn titles_above(rows: &[Vec<Option<String>>], at: usize, first_row: usize) -> Vec<(usize, String)> {
    rows[..at]
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let cells: Vec<&str> = r.iter().flatten().map(String::as_str).collect();
            (!cells.is_empty()).then(|| (first_row + i + 1, cells.join(" ")))
        })
        .collect()
}

/// The header row and its labels. Only a row of labels can be the header:
/// more of its cells are text than numbers, so a student's row (ids, task
/// scores, a total) never wins over the labels above it, whatever its cells
/// happen to spell. Such a row is scored by how many of its labels are known
/// columns (of `reference/headers.csv` or of a layout); a label may join the
/// row above (a merged group title, carried to the right) with the row's own
/// text. Without any known label, the first row that has the most text cells
/// is the header.
pub fn find_header(rows: &[Vec<Option<String>>]) -> Option<(usize, Vec<String>)> {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut best: Option<(usize, usize, Vec<String>)> = None;
    for at in 0..rows.len().min(HEADER_SEARCH_ROWS) {
        // Below the first row of labels, only the next row is looked at: it
        // may finish a two-row header under merged group titles.
        match &best {
            None if !is_label_row(&rows[at]) && !carries_signature(&rows[at]) => continue,
            Some((first, _, _)) if at > first + 1 => break,
            _ => {}
        }
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
                .find(|l| known_column(l).is_some() || crate::ingest::layouts::known_label(l))
                .cloned();
            if recognised.is_some() {
                known += 1;
            }
            labels.push(recognised.or(own).unwrap_or_default());
        }
        // The first row of labels is the header, or the row right below it
        // when that one knows more (a two-row header): rows further down
        // are data, whatever their cells spell.
        match &best {
            // A second header row fills in under merged group titles only:
            // at most half its cells hold text (a student's row fills most).
            Some((first, k, _))
                if at == first + 1
                    && known > *k
                    && (sparse(&rows[at], width)
                        || under_groups(&rows[at - 1], &rows[at], width)) =>
            {
                best = Some((at, known, labels));
            }
            Some(_) => break,
            None if known >= 2 => best = Some((at, known, labels)),
            None => {}
        }
    }
    if let Some((at, _, labels)) = best {
        return Some((at, labels));
    }
    // No known column: the first row with the most text cells.
    let text_cells = |r: &Vec<Option<String>>| r.iter().flatten().filter(|t| !is_number(t)).count();
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

/// A row with every label of a layout's signature is a header even when most
/// of its labels are numbers («Группы участников | Кол-во участников | 2 | 3
/// | 4 | 5»): no student's row spells a whole signature.
fn carries_signature(row: &[Option<String>]) -> bool {
    crate::ingest::layouts::recognise(row.iter().flatten().map(String::as_str)).is_some()
}

/// True when every filled cell of `lower` lies under a merged group title of
/// `upper` (a text followed by empty cells), as «2 3 4 5» under
/// «Распределение отметок, %»: a second header row, not a student's.
fn under_groups(upper: &[Option<String>], lower: &[Option<String>], width: usize) -> bool {
    let filled = |r: &[Option<String>], c: usize| r.get(c).is_some_and(Option::is_some);
    let mut in_group = vec![false; width];
    let mut c = 0;
    while c < width {
        if filled(upper, c) && c + 1 < width && !filled(upper, c + 1) {
            let mut end = c + 1;
            while end < width && !filled(upper, end) {
                end += 1;
            }
            in_group[c..end].iter_mut().for_each(|g| *g = true);
            c = end;
        } else {
            c += 1;
        }
    }
    let cells: Vec<usize> = (0..width).filter(|c| filled(lower, *c)).collect();
    !cells.is_empty() && cells.iter().all(|c| in_group[*c])
}

/// True for a row with at most half of `width` cells filled.
fn sparse(row: &[Option<String>], width: usize) -> bool {
    row.iter().flatten().count() * 2 <= width
}

/// True for a cell that reads as a number (`14`, `0,5`).
fn is_number(cell: &str) -> bool {
    cell.trim().replace(',', ".").parse::<f64>().is_ok()
}

/// A row that can hold labels: more text cells than number cells.
fn is_label_row(row: &[Option<String>]) -> bool {
    let (numbers, text): (Vec<&String>, Vec<&String>) =
        row.iter().flatten().partition(|c| is_number(c));
    text.len() > numbers.len()
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

    fn cells_of(mut extent: Extent, xml: &str) -> u64 {
        scan_tags(&mut xml.as_bytes(), |t| extent.tag(t)).unwrap();
        extent.cells()
    }

    #[test]
    fn the_extent_counts_cells_with_content_only() {
        // LibreOffice ends every sheet with a million empty repeated rows.
        let ods = r#"<table:table><table:table-row><table:table-cell office:value-type="float"/><table:table-cell table:number-columns-repeated="3"/><table:table-cell><text:p>x</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>"#;
        assert_eq!(cells_of(Extent::ods(), ods), 5);
        let xlsx = r#"<row r="2"><c r="B2"><v>1</v></c><c r="C2" s="1"/></row><row r="9"><c r="D9" t="s"><v>0</v></c></row>"#;
        assert_eq!(cells_of(Extent::xlsx(), xlsx), 8 * 3);
        assert_eq!(cell_reference(b"XFD1048576"), Some((1_048_576, 16_384)));
    }

    /// A reader that gives `step` bytes at a time.
    struct Trickle<'a>(&'a [u8], usize);

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn tags_are_found_whatever_the_reads_cut_and_a_long_one_is_cut_at_4096() {
        let long = format!("<c r=\"A1\" x=\"{}\">", "y".repeat(5000));
        let xml = format!("<row r=\"2\">text > not a tag<c r=\"B2\"/><v>1</v>{long}</row>");
        let tags = |step: usize| {
            let mut seen: Vec<Vec<u8>> = Vec::new();
            scan_tags(&mut Trickle(xml.as_bytes(), step), |t| {
                seen.push(t.to_vec())
            })
            .unwrap();
            seen
        };
        let whole = tags(usize::MAX);
        let names: Vec<String> = whole
            .iter()
            .map(|t| String::from_utf8_lossy(&t[..t.len().min(8)]).into_owned())
            .collect();
        assert_eq!(
            names,
            ["row r=\"2", "c r=\"B2\"", "v", "/v", "c r=\"A1\"", "/row"]
        );
        assert_eq!(whole[4].len(), 4096);
        for step in [1, 2, 3, 7, 4095] {
            assert_eq!(tags(step), whole, "reads of {step} bytes");
        }
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

    #[test]
    fn statistics_of_marks_header_of_numbers_is_found_in_both_forms() {
        let one_row = vec![
            row(&["Статистика по отметкам", "", "", "", "", "", ""]),
            row(&["ВПР 2021. Математика, 4 класс", "", "", "", "", "", ""]),
            row(&[
                "Группы участников",
                "Кол-во ОО",
                "Кол-во участников",
                "2",
                "3",
                "4",
                "5",
            ]),
            row(&["Вся выборка", "40000", "1300000", "5,1", "30", "45", "19,9"]),
        ];
        let (at, labels) = find_header(&one_row).unwrap();
        assert_eq!(at, 2);
        assert_eq!(labels[3], "2");
        let two_rows = vec![
            row(&[
                "Группы участников",
                "Кол-во ОО",
                "Кол-во участников",
                "Распределение групп баллов в %",
                "",
                "",
                "",
            ]),
            row(&["", "", "", "2", "3", "4", "5"]),
            row(&["sch220206 | МБОУ СОШ", "1", "25", "4", "36", "40", "20"]),
        ];
        let (at, labels) = find_header(&two_rows).unwrap();
        assert_eq!(at, 1);
        assert_eq!(labels[0], "Группы участников");
        assert_eq!(labels[2], "Кол-во участников");
        assert_eq!(labels[3], "2");
        assert_eq!(labels[6], "5");
    }

    #[test]
    fn a_students_row_never_wins_over_the_labels_above_it() {
        let mut rows = vec![row(&[
            "логин школы",
            "регион",
            "код обучающегося",
            "класс",
            "вариант",
            "всего баллов",
            "балл за 1",
            "балл за 2",
        ])];
        // Task scores that spell known labels («2», «X»), an absent row of
        // text, and rows of numbers.
        rows.push(row(&[
            "sch220206",
            "СПО",
            "40001",
            "а",
            "1",
            "20",
            "2",
            "2",
        ]));
        rows.push(row(&[
            "sch220206",
            "СПО",
            "40002",
            "б",
            "отсутствовал",
            "",
            "X",
            "X",
        ]));
        for _ in 0..30 {
            rows.push(row(&[
                "sch220207",
                "СПО",
                "40003",
                "НЕТ",
                "2",
                "14",
                "1",
                "2",
            ]));
        }
        let (at, labels) = find_header(&rows).unwrap();
        assert_eq!(at, 0);
        assert_eq!(labels[0], "логин школы");
    }
}
