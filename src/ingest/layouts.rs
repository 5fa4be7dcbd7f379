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
    /// Header label → canonical column.
    pub columns: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Table {
    layout: Vec<Layout>,
}

/// Every layout, as shipped.
pub fn layouts() -> &'static [Layout] {
    static PARSED: OnceLock<Vec<Layout>> = OnceLock::new();
    PARSED.get_or_init(|| {
        toml::from_str::<Table>(LAYOUTS)
            .expect("reference/layouts.toml parses")
            .layout
    })
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

/// The keys `name` (the path inside the data folder) gives for the columns
/// `missing`: the assessment from the layout or the name, the year from a
/// four-digit 20xx, the grade from «N класс» or a folder 1–11, the subject
/// from «по предмету» or the file's own name.
pub fn infer_from_name(name: &str, layout: Option<&Layout>, missing: &[&str]) -> Vec<Inferred> {
    let mut found = Vec::new();
    let path = name.split('[').next().unwrap_or(name);
    let parts: Vec<&str> = path.split(['/', '\\']).collect();
    let file = parts.last().copied().unwrap_or(path);
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let mut push = |column: &'static str, value: Option<String>, source: &str| {
        if let Some(value) = value.filter(|_| missing.contains(&column)) {
            found.push(Inferred {
                column,
                value,
                source: source.to_string(),
            });
        }
    };
    match layout.and_then(|l| l.assessment.clone()) {
        Some(a) => push("assessment", Some(a), "раскладка файла"),
        None => push("assessment", assessment_in(path), "имя файла"),
    }
    push("year", year_in(path), "имя файла или папки");
    let grade = grade_in(stem)
        .map(|g| (g, "имя файла"))
        .or_else(|| grade_folder(&parts).map(|g| (g, "папка")));
    if let Some((g, source)) = grade {
        push("grade", Some(g.to_string()), source);
    }
    push("subject", subject_in(stem), "имя файла");
    found
}

/// A word of the path that is a known assessment (`ВПР`, `vpr`, `ОГЭ`, …).
fn assessment_in(path: &str) -> Option<String> {
    comparison_key(path)
        .split(' ')
        .find_map(super::normalize::normalize_assessment)
        .map(str::to_string)
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

/// «Проведение работы по математике, 4 класс» → математика; a file named
/// after its subject («Русский язык.xlsx») → русский язык. `None` when the
/// words are no known subject.
fn subject_in(stem: &str) -> Option<String> {
    let lower = stem.to_lowercase();
    let phrase = match lower.find("по ") {
        Some(at) if at == 0 || lower[..at].ends_with(' ') => {
            let rest = &lower[at + "по ".len()..];
            rest.split([',', '.', '(']).next().unwrap_or(rest).trim()
        }
        _ => lower.split([',', '.', '(']).next().unwrap_or(&lower).trim(),
    };
    let subject = normalize_subject(phrase);
    super::normalize::is_known_subject(&subject).then_some(subject)
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
                assert!(l.column_for(s).is_some(), "{}: {s} unmapped", l.name);
            }
        }
    }

    #[test]
    fn keys_come_from_the_name_and_folders() {
        let layout = layouts().iter().find(|l| l.name.ends_with("2021"));
        let all = ["assessment", "year", "grade", "subject"];
        let found = infer_from_name(
            "results/2021/4/Проведение работы по математике, 4 класс. ВПР 2021.xlsx",
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
        let found = infer_from_name("results/vpr/2020/5/Русский язык.xlsx", None, &all);
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
            infer_from_name("results/2020/5/Русский язык.xlsx", None, &["grade"])
                .iter()
                .all(|i| i.column == "grade")
        );
    }
}
