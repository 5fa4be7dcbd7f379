//! Export layouts read with no adapter (`reference/layouts.toml`): a table
//! whose header carries a layout's signature gets the layout's column names,
//! and the keys the file has no column for (year, assessment, subject,
//! grade) from the layout or from the file's name and folders. Each value
//! taken that way is said, with where it came from.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use anyhow::Result;
use polars::prelude::*;
use serde::Deserialize;

use super::normalize::{comparison_key, normalize_subject};

const LAYOUTS: &str = include_str!("../../reference/layouts.toml");

/// One known layout.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub name: String,
    pub title: String,
    pub signature: Vec<String>,
    /// The sheet with the rows; the workbook's other sheets are skipped.
    #[serde(default)]
    pub sheet: Option<String>,
    #[serde(default)]
    pub assessment: Option<String>,
    /// The grade by assessment when the file has no column for it.
    #[serde(default)]
    pub grades: BTreeMap<String, u32>,
    /// Canonical columns whose cells hold «code | name»: the code is kept.
    #[serde(default)]
    pub code_cells: Vec<String>,
    /// Rows without a school code are totals, not schools.
    #[serde(default)]
    pub summary_rows: bool,
    /// `participant_id` is a pseudonym of the personal-data cells.
    #[serde(default)]
    pub pseudonym: bool,
    /// Header label → canonical column.
    pub columns: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    personal_data: Vec<String>,
    personal_words: Vec<String>,
    layout: Vec<Layout>,
}

fn table() -> &'static Table {
    static PARSED: OnceLock<Table> = OnceLock::new();
    PARSED.get_or_init(|| toml::from_str(LAYOUTS).expect("reference/layouts.toml parses"))
}

/// Every layout, as shipped.
pub fn layouts() -> &'static [Layout] {
    &table().layout
}

/// True for a header of personal data: a name or document column, or a
/// header with a word of a director's name or contacts.
pub fn is_personal(label: &str) -> bool {
    let key = comparison_key(label);
    let t = table();
    t.personal_data.iter().any(|p| comparison_key(p) == key)
        || key
            .split(' ')
            .any(|w| t.personal_words.iter().any(|p| p == w))
}

/// The layout whose signature the header labels carry.
pub fn recognise<'a>(labels: impl IntoIterator<Item = &'a str>) -> Option<&'static Layout> {
    let keys: Vec<String> = labels.into_iter().map(comparison_key).collect();
    layouts().iter().find(|l| {
        l.signature
            .iter()
            .all(|s| keys.contains(&comparison_key(s)))
    })
}

/// True when a header label is a column of some layout (header detection
/// counts it as a label).
pub fn known_label(label: &str) -> bool {
    let key = comparison_key(label);
    layouts()
        .iter()
        .any(|l| l.columns.keys().any(|c| comparison_key(c) == key))
}

impl Layout {
    /// The canonical name of a header label under this layout.
    pub fn column_for(&self, label: &str) -> Option<&str> {
        let key = comparison_key(label);
        self.columns
            .iter()
            .find(|(l, _)| comparison_key(l) == key)
            .map(|(_, c)| c.as_str())
    }
}

/// A key of the procedure taken from outside the rows, and whence.
#[derive(Debug, Clone, PartialEq)]
pub struct Inferred {
    pub column: &'static str,
    pub value: String,
    pub source: String,
}

/// The keys a table has no column for (`missing`), taken from the title
/// rows above its header, else from `name` (the path inside the data
/// folder): the assessment from the layout or the words, the year from a
/// four-digit 20xx, the grade from «N класс» or a folder 1–11, the subject
/// from «по предмету», «Предмет: …» or the file's own name.
pub fn infer_keys(
    name: &str,
    titles: &[(usize, &str)],
    layout: Option<&Layout>,
    missing: &[&str],
) -> Vec<Inferred> {
    let path = name.split('[').next().unwrap_or(name);
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let file = parts.last().copied().unwrap_or(path);
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let in_titles = |find: fn(&str) -> Option<String>| {
        titles
            .iter()
            .find_map(|(row, t)| find(t).map(|v| (v, format!("заголовок листа, строка {row}"))))
    };
    let from_name = |v: Option<String>, source: &str| v.map(|v| (v, source.to_string()));
    // The words of the title or name win over the layout's assessment: a
    // base-maths ЕГЭ statement has the columns of an ОГЭ one.
    let assessment = in_titles(assessment_in)
        .or_else(|| from_name(assessment_in(path), "имя файла"))
        .or_else(|| {
            let a = layout?.assessment.clone()?;
            Some((a, "раскладка файла".to_string()))
        });
    let year = in_titles(year_in).or_else(|| from_name(year_in(path), "имя файла или папки"));
    let by_assessment = |(a, source): &(String, String)| {
        let g = layout?.grades.get(a.as_str())?;
        Some((
            g.to_string(),
            format!("по процедуре {a} ({source}) и раскладке файла"),
        ))
    };
    let grade = in_titles(|t| grade_in(t).map(|g| g.to_string()))
        .or_else(|| from_name(grade_in(stem).map(|g| g.to_string()), "имя файла"))
        .or_else(|| from_name(grade_folder(&parts).map(|g| g.to_string()), "папка"))
        .or_else(|| assessment.as_ref().and_then(by_assessment));
    let subject = in_titles(subject_in).or_else(|| from_name(subject_in(stem), "имя файла"));
    [
        ("assessment", assessment),
        ("year", year),
        ("grade", grade),
        ("subject", subject),
    ]
    .into_iter()
    .filter(|(column, _)| missing.contains(column))
    .filter_map(|(column, found)| {
        found.map(|(value, source)| Inferred {
            column,
            value,
            source,
        })
    })
    .collect()
}

/// The assessment a path or title names (`ВПР`, `vpr`, «Всероссийские
/// проверочные работы»).
fn assessment_in(text: &str) -> Option<String> {
    super::normalize::assessment_in_text(text).map(str::to_string)
}

/// The last 20xx of the path that stands alone (not inside a longer number).
fn year_in(path: &str) -> Option<String> {
    let chars: Vec<char> = path.chars().collect();
    let mut found = None;
    for i in 0..chars.len().saturating_sub(3) {
        let window: String = chars[i..i + 4].iter().collect();
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 4).copied();
        let alone = !before.is_some_and(|c| c.is_ascii_digit())
            && !after.is_some_and(|c| c.is_ascii_digit());
        if alone && window.starts_with("20") && window.chars().all(|c| c.is_ascii_digit()) {
            found = Some(window);
        }
    }
    found
}

/// «4 класс», «4 кл», «4-й класс» in the file name.
fn grade_in(stem: &str) -> Option<u32> {
    let key = comparison_key(stem);
    let words: Vec<&str> = key.split(' ').collect();
    words.windows(2).find_map(|w| {
        let number = w[0].trim_end_matches('й').trim_end_matches('-');
        let grade: u32 = number.parse().ok()?;
        (w[1].starts_with("кл") && (1..=11).contains(&grade)).then_some(grade)
    })
}

/// A folder named 1–11 (`2020/4/Математика.xlsx`), the nearest to the file.
fn grade_folder(parts: &[&str]) -> Option<u32> {
    parts
        .iter()
        .rev()
        .skip(1)
        .find_map(|p| p.parse::<u32>().ok().filter(|g| (1..=11).contains(g)))
}

/// «Проведение работы по математике, 4 класс» → математика; «Предмет:
/// Русский язык» → русский язык; a file named after its subject («Русский
/// язык.xlsx») → русский язык. `None` when no phrase is a known subject.
fn subject_in(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let cut = |rest: &str| {
        rest.split([',', '.', '(', ';', '«', '»', '"'])
            .next()
            .unwrap_or(rest)
            .trim()
            .to_string()
    };
    let mut phrases: Vec<String> = Vec::new();
    for marker in ["по ", "предмет:", "предмет "] {
        for (at, _) in lower.match_indices(marker) {
            if at == 0 || lower[..at].ends_with(' ') {
                phrases.push(cut(&lower[at + marker.len()..]));
            }
        }
    }
    // Each fragment, then its runs of words, longest first: «ОГЭ 2022
    // Обществознание» → обществознание.
    for fragment in lower.split([',', '.', '(', ')', ';', ':', '«', '»', '"', '_']) {
        let words: Vec<&str> = fragment.split_whitespace().collect();
        for n in (1..=words.len().min(4)).rev() {
            phrases.extend(words.windows(n).map(|w| w.join(" ")));
        }
    }
    phrases.into_iter().find_map(|phrase| {
        let subject = normalize_subject(&phrase);
        (!phrase.is_empty() && super::normalize::is_known_subject(&subject)).then_some(subject)
    })
}

/// A code at the start of a cell: «sch220206 | МБОУ …», «(sch220206) МБОУ …»,
/// «sch220206 МБОУ …» → sch220206. A code holds a digit and no Cyrillic, so
/// «Алтайский край» and «Вся выборка» have none.
const CODE_AT_START: &str = r"^\s*\(?\s*([A-Za-z0-9_\-]*[0-9][A-Za-z0-9_\-]*)\s*\)?(?:\s|\||$)";

/// The rows of `frame` as the layout's cells mean them: each code cell
/// reduced to its code and, for a layout with summary rows, the rows whose
/// school has no code (totals of the region or a municipality) taken out and
/// returned by their `__line`.
pub fn with_cell_forms(frame: DataFrame, layout: &Layout) -> Result<(DataFrame, Vec<i64>)> {
    let present: Vec<&str> = layout
        .code_cells
        .iter()
        .map(String::as_str)
        .filter(|c| frame.schema().contains(c))
        .collect();
    if present.is_empty() {
        return Ok((frame, Vec::new()));
    }
    let codes: Vec<Expr> = present
        .iter()
        .map(|c| {
            col(*c)
                .cast(DataType::String)
                .str()
                .extract(lit(CODE_AT_START), 1)
                .alias(*c)
        })
        .collect();
    let frame = frame.lazy().with_columns(codes).collect()?;
    if !(layout.summary_rows && frame.schema().contains("school_id")) {
        return Ok((frame, Vec::new()));
    }
    let summary = col("school_id").is_null();
    let lines = frame
        .clone()
        .lazy()
        .filter(summary.clone())
        .select([col(super::table::LINE).cast(DataType::Int64)])
        .collect()?;
    let lines: Vec<i64> = lines
        .column(super::table::LINE)?
        .i64()?
        .iter()
        .flatten()
        .collect();
    let kept = frame.lazy().filter(summary.not()).collect()?;
    Ok((kept, lines))
}

/// `frame` with a constant text column per inferred key.
pub fn with_inferred(frame: DataFrame, inferred: &[Inferred]) -> Result<DataFrame> {
    let mut frame = frame;
    for i in inferred {
        let column = Column::new_scalar(
            i.column.into(),
            Scalar::new(
                DataType::String,
                AnyValue::StringOwned(i.value.as_str().into()),
            ),
            frame.height(),
        );
        frame.with_column(column)?;
    }
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_is_recognised_by_its_own_signature() {
        for l in layouts() {
            let found = recognise(l.signature.iter().map(String::as_str)).unwrap();
            assert_eq!(found.name, l.name);
            for s in &l.signature {
                assert!(
                    l.column_for(s).is_some() || is_personal(s),
                    "{}: {s} unmapped",
                    l.name
                );
            }
        }
    }

    #[test]
    fn keys_come_from_the_name_and_folders() {
        let layout = layouts().iter().find(|l| l.name.ends_with("2021"));
        let all = ["assessment", "year", "grade", "subject"];
        let found = infer_keys(
            "results/2021/4/Проведение работы по математике, 4 класс. ВПР 2021.xlsx",
            &[],
            layout,
            &all,
        );
        let value = |c: &str| {
            found
                .iter()
                .find(|i| i.column == c)
                .map(|i| i.value.clone())
        };
        assert_eq!(value("assessment").as_deref(), Some("ВПР"));
        assert_eq!(value("year").as_deref(), Some("2021"));
        assert_eq!(value("grade").as_deref(), Some("4"));
        assert_eq!(value("subject").as_deref(), Some("математика"));
        let found = infer_keys("results/vpr/2020/5/Русский язык.xlsx", &[], None, &all);
        let value = |c: &str| {
            found
                .iter()
                .find(|i| i.column == c)
                .map(|i| i.value.clone())
        };
        assert_eq!(value("grade").as_deref(), Some("5"));
        assert_eq!(value("subject").as_deref(), Some("русский язык"));
        assert_eq!(value("year").as_deref(), Some("2020"));
        assert_eq!(value("assessment").as_deref(), Some("ВПР"));
        // Only what is missing is taken.
        assert!(
            infer_keys("results/2020/5/Русский язык.xlsx", &[], None, &["grade"])
                .iter()
                .all(|i| i.column == "grade")
        );
    }
}
