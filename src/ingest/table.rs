//! Reading one input file (CSV in any of the usual Russian-locale dialects, or
//! Parquet) into a table of canonical column names, with the line of every row.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use polars::prelude::*;
use serde::Serialize;

use super::format::InputFormat;
use super::layouts::{Inferred, Layout, infer_keys, recognise, with_cell_forms, with_inferred};
use super::normalize::{canonical_column, normalize_column};
use super::personal::without_personal_data;
use super::xlsx::HeaderFound;

/// Name of the column holding each row's line in its file (CSV: the physical
/// line, header = 1; Parquet: the row number, first row = 1).
pub const LINE: &str = "__line";

/// Text encodings a CSV may arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Windows1251,
    /// Excel's «Текст Юникод»: UTF-16 with a byte-order mark (little-endian
    /// when forced without one).
    Utf16,
}

impl std::fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8Bom => "UTF-8 с меткой BOM",
            TextEncoding::Windows1251 => "Windows-1251",
            TextEncoding::Utf16 => "UTF-16",
        })
    }
}

/// How to read input files: CSV dialect overrides (`None` = detected per
/// file) and the memory cap.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvOverrides {
    pub encoding: Option<TextEncoding>,
    pub delimiter: Option<u8>,
    pub decimal_comma: Option<bool>,
    /// Refuse, with a message, a file whose reading would need more memory
    /// than this (bytes); `--max-memory`.
    pub max_memory: Option<u64>,
    /// Check every cell as text even in a clean student-level file (slower;
    /// the lists are the same): `--full-checks`.
    pub full_checks: bool,
}

/// A file of N bytes takes about this many times N in memory once read as
/// text columns (measured on the sample exports; an estimate, not a bound).
pub const MEMORY_PER_INPUT_BYTE: u64 = 8;

/// The longest line a CSV may have: a longer one is not a table row.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Workbooks that unpack to more than this are refused (decompression bombs,
/// sheets with millions of styled empty rows), unless --max-memory allows more.
pub const MAX_WORKBOOK_UNPACKED: u64 = 1 << 30;

/// The dialect a CSV file was read with (detected or given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct CsvDialect {
    pub encoding: TextEncoding,
    #[serde(
        serialize_with = "serialize_delimiter",
        deserialize_with = "deserialize_delimiter"
    )]
    pub delimiter: u8,
    pub decimal_comma: bool,
}

fn serialize_delimiter<S: serde::Serializer>(d: &u8, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&(*d as char).to_string())
}

fn deserialize_delimiter<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    match text.as_bytes() {
        [byte] => Ok(*byte),
        _ => Err(serde::de::Error::custom(format!(
            "delimiter «{text}» is not one byte"
        ))),
    }
}

/// One input table: a CSV or Parquet file, or one sheet of a workbook.
#[derive(Debug)]
pub struct RawTable {
    /// How messages name it: the path inside the data directory, with
    /// `[sheet]` for a workbook sheet.
    pub name: String,
    pub path: PathBuf,
    /// CSV, Parquet or a workbook.
    pub format: InputFormat,
    pub sha256: String,
    pub bytes: u64,
    /// `None` for Parquet and workbooks.
    pub dialect: Option<CsvDialect>,
    /// Each column as found in the file and the name it was given.
    pub columns: Vec<ColumnMapping>,
    /// The adapter query applied, if any.
    pub adapter: Option<String>,
    /// Canonical column names; CSV columns are all strings, plus [`LINE`].
    pub frame: DataFrame,
    /// Rows read (kept when the rows are released).
    pub row_count: usize,
    /// How the rows were checked: typed in bulk (a clean student-level file,
    /// [`crate::measure::clean_students`]) or every cell as text.
    pub checks: RowChecks,
    /// The export layout recognised by its header (`reference/layouts.toml`).
    pub layout: Option<&'static Layout>,
    /// Keys the file has no column for, taken from its layout or name.
    pub inferred: Vec<Inferred>,
    /// A workbook sheet's header row and the title rows above it.
    pub header: Option<HeaderFound>,
    /// Lines the adapter's query filtered out (listed in rejected.csv).
    pub filtered_out: Vec<i64>,
    /// Headers of personal data (names, documents) dropped as the table was
    /// read: said in `check` and the manifest, never kept.
    pub personal_data: Vec<String>,
}

/// How a table's rows were checked (recorded in the manifest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowChecks {
    /// Every cell read as text and checked: rows set aside are named.
    EveryCell,
    /// Typed scan proved every row clean; counted without keeping rows.
    TypedScan,
}

/// A header as found and the column name it became.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ColumnMapping {
    pub found: String,
    pub column: String,
}

/// A file read: its tables and what could not be read as one (with why).
#[derive(Debug)]
pub struct ReadFile {
    pub tables: Vec<RawTable>,
    pub skipped: Vec<String>,
}

impl RawTable {
    pub fn has(&self, column: &str) -> bool {
        self.frame.schema().contains(column)
    }

    pub fn rows(&self) -> usize {
        self.row_count
    }

    /// The header a column was read from (its own name when unmapped).
    pub fn header_of(&self, column: &str) -> String {
        self.columns
            .iter()
            .find(|m| m.column == column)
            .map_or_else(|| column.to_string(), |m| m.found.clone())
    }

    /// The file's name without a `[sheet]`: what two sheets of one file share.
    pub fn path_name(&self) -> String {
        match self.name.rsplit_once('[') {
            Some((file, sheet)) if sheet.ends_with(']') => file.to_string(),
            _ => self.name.clone(),
        }
    }

    /// Frees the rows once they are checked; the description stays.
    pub fn release_rows(&mut self) {
        self.frame = self.frame.clear();
    }
}

/// A file's bytes, read once: hashed, and for a CSV decoded to UTF-8 with its
/// dialect found. Both the fast path for clean student files and the full
/// reader start from it, so a file is never read from disk twice.
pub struct LoadedFile {
    pub name: String,
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: u64,
    pub content: Content,
    /// Things noticed while decoding (a byte-order mark mid-file).
    pub notes: Vec<String>,
    /// `--max-memory`, checked again before every cell is read as text.
    pub max_memory: Option<u64>,
}

/// Bytes shared without copying (polars scans them in place).
pub type Bytes = polars_buffer::Buffer<u8>;

/// What kind of table file was loaded.
pub enum Content {
    /// UTF-8 text (decoded if it came in Windows-1251) and its dialect.
    Csv {
        text: Bytes,
        dialect: CsvDialect,
    },
    Parquet(Bytes),
    Workbook(Bytes),
}

impl Content {
    pub fn format(&self) -> InputFormat {
        match self {
            Content::Csv { .. } => InputFormat::Csv,
            Content::Parquet(_) => InputFormat::Parquet,
            Content::Workbook(_) => InputFormat::Workbook,
        }
    }
}

/// Reads a file's bytes and hashes them; decodes a CSV and detects its dialect.
pub fn load_file(path: &Path, name: &str, overrides: CsvOverrides) -> Result<LoadedFile> {
    let on_disk = crate::files::regular_file(path, name)?.len();
    // The bytes themselves must fit; checking every cell as text needs more,
    // which `LoadedFile::read` refuses (a clean student file never needs it).
    refuse_above_cap(name, on_disk, on_disk, overrides.max_memory)?;
    let Some(format) = InputFormat::of(path) else {
        let ending = path
            .extension()
            .map(|e| e.to_string_lossy())
            .unwrap_or_default();
        bail!("{name}: файлы типа `.{ending}` не читаются; дайте CSV, Parquet или XLSX");
    };
    let (sha256, size, content, notes) = match format {
        InputFormat::Csv => {
            let read = super::text::read_text(path, name, overrides.encoding)?;
            let (text, dialect, notes) = match read.text {
                Some((text, encoding)) => csv_from_text(text, encoding, name, overrides)?,
                None => decode_csv(read.raw, name, overrides)?,
            };
            (
                read.sha256,
                read.bytes,
                Content::Csv { text, dialect },
                notes,
            )
        }
        InputFormat::Parquet => {
            let (bytes, sha256) = super::text::map_hashed(path, name)?;
            (
                sha256,
                bytes.len() as u64,
                Content::Parquet(bytes),
                Vec::new(),
            )
        }
        InputFormat::Workbook => {
            let (bytes, sha256) = super::text::map_hashed(path, name)?;
            let unpacked_cap = overrides
                .max_memory
                .map(|m| m / MEMORY_PER_INPUT_BYTE)
                .unwrap_or(MAX_WORKBOOK_UNPACKED);
            super::xlsx::check_unpacked_size(&bytes, name, unpacked_cap)?;
            let max_cells =
                overrides.max_memory.unwrap_or(MAX_WORKBOOK_UNPACKED) / super::xlsx::BYTES_PER_CELL;
            super::xlsx::check_extent(&bytes, name, max_cells)?;
            let size = bytes.len() as u64;
            (sha256, size, Content::Workbook(bytes), Vec::new())
        }
    };
    Ok(LoadedFile {
        name: name.to_string(),
        path: path.to_path_buf(),
        sha256,
        bytes: size,
        content,
        notes,
        max_memory: overrides.max_memory,
    })
}

/// Refuses a file whose reading needs `need` bytes, above the `--max-memory` cap.
fn refuse_above_cap(name: &str, size: u64, need: u64, cap: Option<u64>) -> Result<()> {
    if let Some(cap) = cap
        && need > cap
    {
        bail!(
            "{name}: {} МБ; для чтения нужно около {} МБ, больше --max-memory {} МБ: разделите файл \
             (например, по годам или муниципалитетам) или поднимите предел",
            size >> 20,
            need >> 20,
            cap >> 20
        );
    }
    Ok(())
}

/// Reads a CSV, Parquet or workbook file; `name` is how messages refer to it.
/// An adapter, when given, turns each raw table into canonical columns.
pub fn read_file(
    path: &Path,
    name: &str,
    overrides: CsvOverrides,
    adapter: Option<&Adapter>,
) -> Result<ReadFile> {
    load_file(path, name, overrides)?.read(adapter)
}

impl LoadedFile {
    /// Every cell as text (CSV) or as stored (Parquet, workbooks), with
    /// canonical column names and the line of each row.
    pub fn read(self, adapter: Option<&Adapter>) -> Result<ReadFile> {
        let LoadedFile {
            name,
            path,
            sha256,
            bytes: size,
            content,
            notes,
            max_memory,
        } = self;
        let name = name.as_str();
        let format = content.format();
        if !matches!(content, Content::Workbook(_)) {
            refuse_above_cap(
                name,
                size,
                size.saturating_mul(MEMORY_PER_INPUT_BYTE),
                max_memory,
            )?;
        }
        let mut skipped = notes;
        let parts = parts_of(content, name, adapter, &mut skipped)?;
        if parts.is_empty() {
            bail!("{name}: ни на одном листе нет строки заголовка; проверьте, что в файле таблица");
        }
        // A query names the columns itself; otherwise the layout does.
        let parts = match adapter.and_then(|a| a.query.as_ref()) {
            None => recognised_sheets(parts, &mut skipped),
            Some(_) => parts,
        };
        let mut tables = Vec::with_capacity(parts.len());
        for part in parts {
            let rows_read = part.frame.height();
            let Named {
                frame,
                columns,
                inferred,
                filtered_out,
                personal,
            } = named_columns(&part, adapter, &mut skipped)?;
            tables.push(RawTable {
                name: part.shown,
                path: path.clone(),
                format,
                sha256: sha256.clone(),
                bytes: size,
                dialect: part.dialect,
                columns,
                adapter: adapter.and_then(|a| a.query.clone()),
                row_count: rows_read,
                frame,
                checks: RowChecks::EveryCell,
                layout: part.layout,
                inferred,
                header: part.header,
                filtered_out,
                personal_data: personal,
            });
        }
        Ok(ReadFile { tables, skipped })
    }
}

/// One table read from a file, before its columns are named.
struct Part {
    /// The file's name, with `[sheet]` when the workbook has several.
    shown: String,
    frame: DataFrame,
    dialect: Option<CsvDialect>,
    /// A workbook sheet's header row and titles.
    header: Option<HeaderFound>,
    layout: Option<&'static Layout>,
}

/// The tables of a file's content: one for a CSV or Parquet file, one per
/// sheet with a header for a workbook (the others noted in `skipped`).
fn parts_of(
    content: Content,
    name: &str,
    adapter: Option<&Adapter>,
    skipped: &mut Vec<String>,
) -> Result<Vec<Part>> {
    let part = |shown: String, frame, dialect| Part {
        shown,
        frame,
        dialect,
        header: None,
        layout: None,
    };
    Ok(match content {
        Content::Parquet(bytes) => {
            let (frame, notes) = read_parquet(bytes, name)?;
            skipped.extend(notes);
            vec![part(name.to_string(), frame, None)]
        }
        Content::Csv { text, dialect } => {
            let frame = parse_csv(text, name, dialect)?;
            vec![part(name.to_string(), frame, Some(dialect))]
        }
        Content::Workbook(bytes) => {
            let sheet = adapter.and_then(|a| a.sheet.as_deref());
            let header_row = adapter.and_then(|a| a.header_row);
            let (sheets, without_header) =
                super::xlsx::read_workbook(bytes, name, sheet, header_row)?;
            skipped.extend(without_header.into_iter().map(|s| {
                format!("{name}[{s}]: в первых строках нет строки заголовка; лист не читается")
            }));
            let single = sheets.len() == 1 && skipped.is_empty();
            sheets
                .into_iter()
                .map(|sh| {
                    let shown = if single {
                        name.to_string()
                    } else {
                        format!("{name}[{}]", sh.name)
                    };
                    Part {
                        header: Some(sh.header),
                        ..part(shown, sh.frame, None)
                    }
                })
                .collect()
        }
    })
}

/// A table's columns under their canonical names (by its layout, the header
/// table, or its adapter), with the keys its titles or name give when it has
/// no column for them.
fn named_columns(part: &Part, adapter: Option<&Adapter>, notes: &mut Vec<String>) -> Result<Named> {
    let shown = part.shown.as_str();
    let (frame, personal) = without_personal_data(part.frame.clone(), part.layout)?;
    let mut renamed: Vec<(String, String)> = Vec::new();
    let frame = match part.layout {
        Some(l) => {
            let named = with_layout_names(frame, l, shown, &mut renamed)?;
            let (frame, totals) = with_cell_forms(named, l)?;
            if !totals.is_empty() {
                notes.push(format!(
                    "{shown}: строки итогов (регион, муниципалитет — без кода школы) не читаются как школы: {} (строки {})",
                    totals.len(),
                    crate::russian::line_ranges(&totals)
                ));
            }
            frame
        }
        None => frame,
    };
    let (frame, mut columns) = canonical_columns(frame, shown)?;
    let pseudonymised = part.layout.is_some_and(|l| l.pseudonym)
        && !personal.is_empty()
        && !part.frame.schema().contains("participant_id");
    for m in &mut columns {
        if let Some((label, _)) = renamed.iter().find(|(_, c)| *c == m.found) {
            m.found = label.clone();
        } else if pseudonymised && m.column == "participant_id" {
            m.found = format!("псевдоним SHA-256 из: {}", personal.join(", "));
        }
    }
    let queried = adapter.filter(|a| a.query.is_some());
    let (frame, filtered_out) = match queried {
        Some(a) => apply_adapter(frame, a, shown)?,
        None => (frame, Vec::new()),
    };
    let mut inferred = match adapter {
        Some(a) => set_by_adapter(&frame, a, shown)?,
        None => Vec::new(),
    };
    inferred.extend(match queried {
        None if part.layout.is_some() || looks_like_results(&frame) => {
            let missing: Vec<&str> = ["assessment", "year", "subject", "grade"]
                .into_iter()
                .filter(|c| !frame.schema().contains(c) && !inferred.iter().any(|i| i.column == *c))
                .collect();
            let titles: Vec<(usize, &str)> = part
                .header
                .iter()
                .flat_map(|h| h.titles.iter().map(|(r, t)| (*r, t.as_str())))
                .collect();
            infer_keys(shown, &titles, part.layout, &missing)
        }
        _ => Vec::new(),
    });
    let frame = with_inferred(frame, &inferred)?;
    Ok(Named {
        frame,
        columns,
        inferred,
        filtered_out,
        personal,
    })
}

/// A table under its canonical names.
struct Named {
    frame: DataFrame,
    columns: Vec<ColumnMapping>,
    inferred: Vec<Inferred>,
    /// Lines the adapter's query left out (its `WHERE`).
    filtered_out: Vec<i64>,
    /// Personal-data headers dropped at read.
    personal: Vec<String>,
}

/// The keys an adapter's `set` gives; a key the file has a column for is
/// refused (which of the two is meant cannot be told).
fn set_by_adapter(frame: &DataFrame, adapter: &Adapter, shown: &str) -> Result<Vec<Inferred>> {
    const KEYS: [&str; 4] = ["year", "assessment", "subject", "grade"];
    let mut found = Vec::new();
    for (key, value) in &adapter.set {
        let Some(column) = KEYS.iter().find(|k| **k == key.as_str()) else {
            bail!(
                "adapters.toml, адаптер files = «{}»: set.{key} — задать можно только {}",
                adapter.files,
                KEYS.join(", ")
            );
        };
        if frame.schema().contains(column) {
            bail!(
                "{shown}: в файле есть столбец {column}, а adapters.toml задаёт set.{column} = «{value}»; \
                 уберите set.{column} или столбец"
            );
        }
        found.push(Inferred {
            column,
            value: value.clone(),
            source: "adapters.toml".into(),
        });
    }
    Ok(found)
}

/// Each table with the layout its header carries. When a layout names the
/// sheet that holds its rows, the workbook's other sheets are skipped with a
/// note (the «Классы» sheet beside «Протокол»).
fn recognised_sheets(parts: Vec<Part>, skipped: &mut Vec<String>) -> Vec<Part> {
    let parts: Vec<Part> = parts
        .into_iter()
        .map(|p| Part {
            layout: recognise(p.frame.get_column_names().iter().map(|c| c.as_str())),
            ..p
        })
        .collect();
    let Some(sheet_layout) = parts
        .iter()
        .find_map(|p| p.layout.filter(|l| l.sheet.is_some()))
    else {
        return parts;
    };
    let (kept, others): (Vec<Part>, Vec<Part>) =
        parts.into_iter().partition(|p| p.layout.is_some());
    for p in others {
        skipped.push(format!(
            "{}: не лист результатов раскладки «{}» (результаты на листе «{}»); лист не читается",
            p.shown,
            sheet_layout.title,
            sheet_layout.sheet.as_deref().unwrap_or_default()
        ));
    }
    kept
}

/// The frame with the layout's canonical names for its header labels.
fn with_layout_names(
    mut frame: DataFrame,
    layout: &Layout,
    name: &str,
    renamed: &mut Vec<(String, String)>,
) -> Result<DataFrame> {
    let labels: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    for label in labels {
        if let Some(canonical) = layout.column_for(&label) {
            frame
                .rename(&label, canonical.into())
                .map_err(anyhow::Error::from)
                .with_context(|| format!("{name}: столбец «{label}»"))?;
            renamed.push((label.clone(), canonical.to_string()));
        }
    }
    Ok(frame)
}

/// A table of results by its columns: marks, scores or counts.
fn looks_like_results(frame: &DataFrame) -> bool {
    let schema = frame.schema();
    ["mark", "score", "participants"]
        .iter()
        .any(|c| schema.contains(c))
}

/// A file that is one table (the registry, a previous list).
pub fn read_table(path: &Path, name: &str, overrides: CsvOverrides) -> Result<RawTable> {
    let mut file = read_file(path, name, overrides, None)?;
    match file.tables.len() {
        1 => Ok(file.tables.remove(0)),
        n => bail!("{name}: таблицы на {n} листах; оставьте в файле один лист"),
    }
}

fn read_parquet(bytes: Bytes, name: &str) -> Result<(DataFrame, Vec<String>)> {
    let frame = ParquetReader::new(Cursor::new(bytes))
        .finish()
        .map_err(anyhow::Error::from)
        .with_context(|| format!("{name}: не читается как файл Parquet"))?;
    let (frame, notes) = without_nested_columns(frame, name)?;
    Ok((frame.with_row_index(LINE.into(), Some(1))?, notes))
}

/// A Parquet column of lists or structs holds no single value per cell: one
/// the tool reads is refused by name, any other is left out with a note.
fn without_nested_columns(mut frame: DataFrame, name: &str) -> Result<(DataFrame, Vec<String>)> {
    let nested: Vec<(String, String)> = frame
        .columns()
        .iter()
        .filter(|c| c.dtype().is_nested() || matches!(c.dtype(), DataType::Binary))
        .map(|c| (c.name().to_string(), c.dtype().to_string()))
        .collect();
    let mut notes = Vec::new();
    for (column, dtype) in nested {
        if let Some(canonical) = super::normalize::known_column(&column) {
            bail!(
                "{name}: столбец `{column}` ({canonical}) хранит тип {dtype} — не одно значение в ячейке; \
                 сохраните его в Parquet простым столбцом (текст или число)"
            );
        }
        notes.push(format!(
            "{name}: столбец `{column}` типа {dtype} — не одно значение в ячейке; не читается"
        ));
        frame = frame.drop(&column)?;
    }
    Ok((frame, notes))
}

/// Whether the bytes are valid UTF-8 (SIMD: files are hundreds of MB).
fn is_utf8(bytes: &[u8]) -> bool {
    simdutf8::basic::from_utf8(bytes).is_ok()
}

/// Text as UTF-8 and the encoding it came in: a BOM or valid UTF-8 means
/// UTF-8; anything else is read as Windows-1251, which maps every byte.
pub fn decode_text(bytes: Vec<u8>, forced: Option<TextEncoding>) -> (Vec<u8>, TextEncoding) {
    let utf8 = is_utf8(&bytes);
    decode_known(bytes, forced, utf8)
}

/// [`decode_text`] when whether the bytes are UTF-8 is already known.
fn decode_known(
    bytes: Vec<u8>,
    forced: Option<TextEncoding>,
    utf8: bool,
) -> (Vec<u8>, TextEncoding) {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let has_bom = bytes.starts_with(BOM);
    let encoding = forced.unwrap_or(if has_bom {
        TextEncoding::Utf8Bom
    } else if utf16_bom(&bytes) {
        TextEncoding::Utf16
    } else if utf8 {
        TextEncoding::Utf8
    } else {
        TextEncoding::Windows1251
    });
    let text = match encoding {
        TextEncoding::Utf8 | TextEncoding::Utf8Bom if has_bom => {
            // In place: a copy would hold the whole file twice.
            let mut bytes = bytes;
            bytes.drain(..BOM.len());
            bytes
        }
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => bytes,
        TextEncoding::Windows1251 => {
            let (text, _, _) = encoding_rs::WINDOWS_1251.decode(&bytes);
            text.into_owned().into_bytes()
        }
        TextEncoding::Utf16 => {
            // `decode` follows a byte-order mark and removes it.
            let (text, _, _) = encoding_rs::UTF_16LE.decode(&bytes);
            text.into_owned().into_bytes()
        }
    };
    (text, encoding)
}

fn utf16_bom(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF")
}

/// The delimiter of a CSV: the most frequent of `;`, `,` and tab in the header
/// line, outside quotes (`;` wins ties: Russian Excel writes it).
pub fn detect_delimiter(text: &[u8]) -> u8 {
    let header = text.split(|b| *b == b'\n').next().unwrap_or_default();
    let mut counts = [(b';', 0usize), (b',', 0), (b'\t', 0)];
    let mut quoted = false;
    for b in header {
        if *b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(c) = counts.iter_mut().find(|(d, _)| d == b) {
            c.1 += 1;
        }
    }
    let best = counts.iter().max_by_key(|(_, n)| *n).copied();
    match best {
        Some((d, n)) if n > 0 && counts.iter().filter(|(_, m)| *m == n).count() == 1 => d,
        Some((_, n)) if n > 0 => b';',
        _ => b',',
    }
}

/// Refuses a file that is mostly UTF-8 but has lines in another encoding
/// (two exports pasted together): decoding it either way would garble part.
fn refuse_mixed_encoding(bytes: &[u8], name: &str) -> Result<()> {
    let Err(error) = std::str::from_utf8(bytes) else {
        return Ok(());
    };
    let mut counts = HighBytes::default();
    counts.add(bytes);
    if counts.mostly_utf8_cyrillic() {
        let line = bytes[..error.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        bail!(mixed_encoding(name, line));
    }
    Ok(())
}

/// The message for a file that is mostly UTF-8 but not on `line`.
pub(super) fn mixed_encoding(name: &str, line: usize) -> String {
    format!(
        "{name}: смешаны кодировки: файл в основном в UTF-8, но строка {line} — нет (Windows-1251?); \
         пересохраните весь файл в одной кодировке"
    )
}

/// Counts of the bytes above ASCII and of the UTF-8 Cyrillic pairs among
/// them, added chunk by chunk (a pair may straddle two chunks).
#[derive(Default)]
pub(super) struct HighBytes {
    high: usize,
    utf8_cyrillic: usize,
    last: Option<u8>,
}

impl HighBytes {
    pub(super) fn add(&mut self, bytes: &[u8]) {
        self.high += bytes.iter().filter(|b| **b >= 0x80).count();
        let is_pair = |a: u8, b: u8| matches!(a, 0xD0 | 0xD1) && (0x80..=0xBF).contains(&b);
        if let (Some(last), Some(first)) = (self.last, bytes.first()) {
            self.utf8_cyrillic += is_pair(last, *first) as usize;
        }
        self.utf8_cyrillic += bytes.windows(2).filter(|w| is_pair(w[0], w[1])).count();
        if let Some(last) = bytes.last() {
            self.last = Some(*last);
        }
    }

    /// True when most bytes above ASCII are UTF-8 Cyrillic: the file is
    /// UTF-8 with some lines in another encoding.
    pub(super) fn mostly_utf8_cyrillic(&self) -> bool {
        self.utf8_cyrillic >= 3 && self.utf8_cyrillic * 2 * 2 >= self.high
    }
}

/// Refuses a line too long to be a table row (a broken export, or not CSV).
fn refuse_long_lines(text: &[u8], name: &str) -> Result<()> {
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', text).chain(std::iter::once(text.len()));
    for (line, end) in ends.enumerate() {
        if end - start > MAX_LINE_BYTES {
            bail!(
                "{name}: строка {} длиной {} МБ; строка таблицы не бывает такой длинной — файл повреждён \
                 или это не выгрузка CSV",
                line + 1,
                (end - start) >> 20
            );
        }
        start = end + 1;
    }
    Ok(())
}

fn decode_csv(
    bytes: Vec<u8>,
    name: &str,
    overrides: CsvOverrides,
) -> Result<(Bytes, CsvDialect, Vec<String>)> {
    let utf8 = is_utf8(&bytes);
    if !utf8 && overrides.encoding.is_none() && !utf16_bom(&bytes) {
        refuse_mixed_encoding(&bytes, name)?;
    }
    let (text, encoding) = decode_known(bytes, overrides.encoding, utf8);
    csv_from_text(Bytes::from_vec(text), encoding, name, overrides)
}

/// The dialect of decoded CSV text, after the checks that refuse a file
/// that cannot be a table.
pub(super) fn csv_from_text(
    text: Bytes,
    encoding: TextEncoding,
    name: &str,
    overrides: CsvOverrides,
) -> Result<(Bytes, CsvDialect, Vec<String>)> {
    if text.iter().all(|b| b.is_ascii_whitespace()) {
        bail!("{name}: файл пуст; нужны строка заголовка и строки данных");
    }
    if memchr::memchr(0, &text).is_some() {
        bail!(
            "{name}: в тексте нулевые байты: похоже, это UTF-16 без метки BOM или не текстовый файл; \
             сохраните таблицу как CSV UTF-8 (или укажите --encoding utf16)"
        );
    }
    let mut notes = Vec::new();
    let text = if memchr::memchr(b'\n', &text).is_none() && memchr::memchr(b'\r', &text).is_some() {
        notes.push(format!(
            "{name}: строки разделены одним символом CR (старый формат Mac); прочитаны как обычные переводы строк"
        ));
        Bytes::from_vec(
            text.iter()
                .map(|&b| if b == b'\r' { b'\n' } else { b })
                .collect(),
        )
    } else {
        text
    };
    refuse_long_lines(&text, name)?;
    let (text, inner_boms) = strip_inner_boms(text);
    if let Some(line) = inner_boms {
        notes.push(format!(
            "{name}: метка порядка байтов (BOM) в середине файла (впервые в строке {line}): не склеены ли \
             два файла? Метки удалены"
        ));
    }
    let delimiter = overrides
        .delimiter
        .unwrap_or_else(|| detect_delimiter(&text));
    // Numbers are parsed later from text, so the decimal comma only tells how.
    let decimal_comma = overrides.decimal_comma.unwrap_or(delimiter != b',');
    Ok((
        text,
        CsvDialect {
            encoding,
            delimiter,
            decimal_comma,
        },
        notes,
    ))
}

/// Options shared by every CSV read: the dialect, quotes, empty = missing.
pub fn csv_options(dialect: CsvDialect) -> CsvReadOptions {
    CsvReadOptions::default()
        .with_has_header(true)
        .map_parse_options(|o| {
            o.with_separator(dialect.delimiter)
                .with_quote_char(Some(b'"'))
                .with_missing_is_null(true)
        })
}

/// The message when a CSV cannot be parsed with its dialect.
pub fn csv_unreadable(name: &str, dialect: CsvDialect) -> String {
    format!(
        "{name}: не читается как CSV с разделителем `{}`; проверьте разделитель \
         (--delimiter) и что в каждой строке столько же полей, сколько в заголовке",
        dialect.delimiter as char
    )
}

/// Every cell as text, with the line of each row. polars' own message on
/// a malformed file quotes the file's text (participants' ids and scores),
/// so it is never shown: the line is found here instead.
fn parse_csv(text: Bytes, name: &str, dialect: CsvDialect) -> Result<DataFrame> {
    let frame = csv_options(dialect)
        .with_infer_schema_length(Some(0))
        .with_row_index(Some(RowIndex {
            name: LINE.into(),
            offset: 2,
        }))
        .into_reader_with_file_handle(Cursor::new(text.clone()))
        .finish()
        .map_err(|_| anyhow::anyhow!("{}", malformed(&text, name, dialect)))?;
    if frame.height() == 0 && frame.width() > MAX_HEADER_COLUMNS {
        bail!(
            "{name}: заголовок из {} столбцов и ни одной строки данных: похоже, переводы строк \
             не распознаны или разделитель не тот; сохраните файл заново как CSV",
            frame.width() - 1
        );
    }
    Ok(frame)
}

/// More columns than any export has: a header like this is a misread file.
const MAX_HEADER_COLUMNS: usize = 2000;

/// Where a CSV stops being a table, without quoting any cell: the first
/// record whose field count differs from the header's, or a quote that
/// never closes.
fn malformed(text: &[u8], name: &str, dialect: CsvDialect) -> String {
    let (mut line, mut record_line, mut fields, mut quoted) = (1usize, 1usize, 1usize, false);
    let mut expected = None;
    let mut quote_line = 0;
    for &b in text {
        match b {
            b'"' => {
                quoted = !quoted;
                if quoted {
                    quote_line = line;
                }
            }
            b'\n' => {
                line += 1;
                if !quoted {
                    let header = *expected.get_or_insert(fields);
                    if fields != header && fields > 1 {
                        return format!(
                            "{name}: в строке {record_line} полей {fields}, а в заголовке {header}; \
                             проверьте разделитель (--delimiter) и кавычки в этой строке"
                        );
                    }
                    (fields, record_line) = (1, line);
                }
            }
            d if d == dialect.delimiter && !quoted => fields += 1,
            _ => {}
        }
    }
    if quoted {
        return format!(
            "{name}: кавычка, открытая в строке {quote_line}, не закрыта до конца файла; \
             исправьте кавычки в этой строке"
        );
    }
    csv_unreadable(name, dialect)
}

/// Removes byte-order marks after the start of the text; returns the line of
/// the first one.
fn strip_inner_boms(text: Bytes) -> (Bytes, Option<usize>) {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let Some(first) = memchr::memmem::find(&text, BOM) else {
        return (text, None);
    };
    let line = text[..first].iter().filter(|b| **b == b'\n').count() + 1;
    let mut cleaned = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with(BOM) {
            i += BOM.len();
        } else {
            cleaned.push(text[i]);
            i += 1;
        }
    }
    (Bytes::from_vec(cleaned), Some(line))
}

/// Renames columns to their canonical form (known Russian headers included).
/// When two headers mean the same column, the first keeps the canonical name
/// and the other keeps its own; two columns with one name are refused.
pub fn canonical_columns(
    mut frame: DataFrame,
    name: &str,
) -> Result<(DataFrame, Vec<ColumnMapping>)> {
    let originals: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let mut mappings: Vec<ColumnMapping> = Vec::with_capacity(originals.len());
    for original in &originals {
        if original == LINE {
            continue;
        }
        let mut canonical = canonical_column(original);
        if canonical.is_empty() {
            // A trailing delimiter gives an unnamed empty column: not data.
            frame = frame.drop(original)?;
            continue;
        }
        if mappings.iter().any(|m| m.column == canonical) {
            canonical = normalize_column(original);
        }
        if mappings.iter().any(|m| m.column == canonical) {
            bail!(
                "{name}: столбец `{canonical}` встречается дважды (как `{original}` и в другом написании); \
                 удалите или переименуйте один из них"
            );
        }
        frame.rename(original, canonical.as_str().into())?;
        mappings.push(ColumnMapping {
            found: original.trim_start_matches('\u{feff}').to_string(),
            column: canonical,
        });
    }
    Ok((frame, mappings))
}

/// An adapter: a SQL query over the raw table (`raw`) that selects the
/// canonical columns, for files that do not match the data contract.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Adapter {
    /// Files it applies to: a glob relative to the data directory.
    pub files: String,
    /// The SQL: a path relative to the data directory, or `builtin:NAME`.
    /// Without one, the file is read as it is (its layout recognised) with
    /// the adapter's other settings.
    #[serde(default)]
    pub query: Option<String>,
    /// The workbook sheet to read (all sheets with a header otherwise).
    #[serde(default)]
    pub sheet: Option<String>,
    /// The header's row in the sheet (1-based, as the spreadsheet shows it),
    /// when it is not to be found by its labels.
    #[serde(default)]
    pub header_row: Option<usize>,
    /// Keys the file has no column for: `year`, `assessment`, `subject`,
    /// `grade` (`set = { assessment = "ОГЭ", year = "2025" }`).
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    /// The query text, filled in when the adapters are loaded.
    #[serde(skip_deserializing, default)]
    pub sql: String,
}

impl Adapter {
    /// How messages name the adapter: its query, or its files pattern.
    pub fn shown(&self) -> String {
        match &self.query {
            Some(q) => q.clone(),
            None => format!("для «{}» (без запроса)", self.files),
        }
    }
}

/// Runs an adapter over a raw table. Each output row keeps its input line:
/// through `__line` when the query selects it, or by position when the query
/// keeps every row in order. Returns the lines its filter left out.
fn apply_adapter(raw: DataFrame, adapter: &Adapter, name: &str) -> Result<(DataFrame, Vec<i64>)> {
    crate::sql_guard::check(&adapter.sql, &adapter.shown(), &["raw"])?;
    let lines = raw.column(LINE)?.clone();
    let height = raw.height();
    let mut ctx = polars::sql::SQLContext::new();
    ctx.register("raw", raw.lazy());
    let out = ctx
        .execute(&adapter.sql)
        .and_then(|lf| lf.collect())
        .map_err(anyhow::Error::from)
        .with_context(|| format!("{name}: адаптер {} не выполнился", adapter.shown()))?;
    let (out, left_out) = if out.schema().contains(LINE) {
        let left_out = lines_left_out(&lines, out.column(LINE)?)?;
        (out, left_out)
    } else if out.height() == height {
        let mut out = out;
        out.with_column(lines)?;
        (out, Vec::new())
    } else {
        bail!(
            "{name}: адаптер {} меняет число строк ({height} → {}); выберите в запросе `__line`, \
             чтобы каждую строку можно было проследить до строки файла",
            adapter.shown(),
            out.height()
        );
    };
    Ok((canonical_columns(out, name)?.0, left_out))
}

/// The input lines no output row keeps.
fn lines_left_out(input: &Column, kept: &Column) -> Result<Vec<i64>> {
    let kept = kept.cast(&DataType::Int64)?;
    let kept: std::collections::HashSet<i64> = kept.i64()?.iter().flatten().collect();
    let input = input.cast(&DataType::Int64)?;
    Ok(input
        .i64()?
        .iter()
        .flatten()
        .filter(|line| !kept.contains(line))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp1251_is_detected_and_decoded() {
        let (encoded, _, _) = encoding_rs::WINDOWS_1251.encode("school_id;предмет\n1;русский\n");
        let (text, enc) = decode_text(encoded.into_owned(), None);
        assert_eq!(enc, TextEncoding::Windows1251);
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "school_id;предмет\n1;русский\n"
        );
    }

    #[test]
    fn utf8_bom_is_stripped() {
        let (text, enc) = decode_text(b"\xEF\xBB\xBFa,b\n".to_vec(), None);
        assert_eq!(enc, TextEncoding::Utf8Bom);
        assert_eq!(text, b"a,b\n");
    }

    #[test]
    fn delimiter_is_taken_from_the_header_outside_quotes() {
        assert_eq!(detect_delimiter(b"a;b;c\n1,5;2;3"), b';');
        assert_eq!(detect_delimiter(b"a,b,c\n"), b',');
        assert_eq!(detect_delimiter(b"\"a;x\",b,c\n"), b',');
        assert_eq!(detect_delimiter(b"a\tb\n"), b'\t');
        assert_eq!(detect_delimiter(b"single\n"), b',');
    }
}
