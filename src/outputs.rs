//! The outputs as `reference/outputs.toml` declares them: each table's
//! columns in order with their types, its key, its sort, its sheet, and the
//! Russian label of every column. The writer, the key check, report.xlsx,
//! the HTML report and the data dictionary's test all read this one table.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use anyhow::{Result, bail};
use polars::prelude::*;
use serde::Deserialize;

const DECLARATION: &str = include_str!("../reference/outputs.toml");

/// The type of an output column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Text,
    Int32,
    Int64,
    Float64,
    Bool,
}

impl Kind {
    pub fn dtype(self) -> DataType {
        match self {
            Kind::Text => DataType::String,
            Kind::Int32 => DataType::Int32,
            Kind::Int64 => DataType::Int64,
            Kind::Float64 => DataType::Float64,
            Kind::Bool => DataType::Boolean,
        }
    }
}

/// One column, wherever it appears.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    #[serde(rename = "type")]
    pub kind: Kind,
    pub label: String,
}

/// One output table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    pub name: String,
    pub title: String,
    /// Its sheet in report.xlsx; None: not there.
    pub sheet: Option<String>,
    pub key: Vec<String>,
    /// Empty: the rows keep the order the query gave them.
    pub sort: Vec<String>,
    pub columns: Vec<String>,
    /// Written as CSV only, without the trailing columns (rejected.csv).
    #[serde(default)]
    pub csv_only: bool,
}

/// The whole declaration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Declaration {
    /// Outputs in the order of their sheets in report.xlsx.
    pub sheets: Vec<String>,
    /// The longest table a sheet holds; a longer one is named on its sheet.
    pub sheet_max_rows: usize,
    /// Columns every output but the CSV-only ones ends with.
    pub trailing: Vec<String>,
    /// Per coded column: each code and the label the outputs write.
    pub codes: BTreeMap<String, BTreeMap<String, String>>,
    pub columns: BTreeMap<String, ColumnSpec>,
    pub output: Vec<OutputSpec>,
}

/// The declaration built into the binary (checked by the tests below).
pub fn declared() -> &'static Declaration {
    static PARSED: OnceLock<Declaration> = OnceLock::new();
    PARSED.get_or_init(|| toml::from_str(DECLARATION).expect("reference/outputs.toml parses"))
}

impl Declaration {
    /// The declared output `name`; every name the code asks for is declared.
    pub fn output(&self, name: &str) -> &OutputSpec {
        self.output
            .iter()
            .find(|o| o.name == name)
            .unwrap_or_else(|| panic!("output {name} is not in reference/outputs.toml"))
    }

    /// The Russian label of a column (the name itself for one not declared).
    pub fn label<'a>(&'a self, column: &'a str) -> &'a str {
        self.columns
            .get(column)
            .map_or(column, |c| c.label.as_str())
    }
}

/// The Russian label people read for an output column.
pub fn label(column: &str) -> &str {
    declared().label(column)
}

/// The rows of output `name` as declared: its columns in order, each cast to
/// its type, sorted by its sort key. A declared column the frame lacks is an
/// error naming the output (a methodology query that stopped returning it).
pub fn conform(name: &str, frame: LazyFrame) -> Result<DataFrame> {
    let d = declared();
    let spec = d.output(name);
    let mut frame = frame;
    let schema = frame.collect_schema()?;
    let missing: Vec<&str> = spec
        .columns
        .iter()
        .filter(|c| !schema.contains(c))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        bail!(
            "вывод {name}: нет столбцов {}; их должен вернуть запрос методики, из которого \
             составляется этот вывод (см. reference/outputs.toml)",
            missing.join(", ")
        );
    }
    let columns: Vec<Expr> = spec
        .columns
        .iter()
        .map(|c| col(c.as_str()).cast(d.columns[c].kind.dtype()))
        .collect();
    let mut frame = frame.select(columns);
    if !spec.sort.is_empty() {
        frame = frame.sort(
            spec.sort.iter().map(String::as_str).collect::<Vec<_>>(),
            SortMultipleOptions::default().with_nulls_last(true),
        );
    }
    Ok(frame.collect()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_column_is_declared_once_with_a_type_and_label() {
        let d = declared();
        for o in &d.output {
            for c in o.columns.iter().chain(&o.key).chain(&o.sort) {
                assert!(
                    d.columns.contains_key(c),
                    "{}: column {c} undeclared",
                    o.name
                );
                assert!(
                    o.columns.contains(c),
                    "{}: {c} is not one of its columns",
                    o.name
                );
            }
        }
        for c in &d.trailing {
            assert!(d.columns.contains_key(c));
        }
        for s in &d.sheets {
            assert!(d.output(s).sheet.is_some(), "{s} has no sheet name");
        }
        let used: Vec<&String> = d
            .output
            .iter()
            .flat_map(|o| &o.columns)
            .chain(&d.trailing)
            .collect();
        for c in d.columns.keys() {
            assert!(used.contains(&c), "column {c} is declared but in no output");
        }
    }

    #[test]
    fn a_missing_column_names_the_output() {
        let frame = df!("school_id" => ["s1"]).unwrap().lazy();
        let err = conform("shnor", frame).unwrap_err().to_string();
        assert!(
            err.starts_with("вывод shnor: нет столбцов school_name,"),
            "{err}"
        );
    }

    /// The rows of the dictionary's table under the heading that starts
    /// with `heading`: (names, type, label).
    fn dictionary_rows(heading: &str) -> Vec<(Vec<String>, String, String)> {
        let text = include_str!("../docs/data-dictionary.md");
        let Some(start) = text.find(heading) else {
            return Vec::new();
        };
        text[start..]
            .lines()
            .skip(1)
            .take_while(|l| !l.starts_with("## "))
            .filter(|l| l.starts_with("| `"))
            .map(|l| {
                let cells: Vec<&str> = l.split(" | ").collect();
                let names = cells[0]
                    .trim_start_matches("| ")
                    .split(", ")
                    .map(|n| n.trim_matches('`').to_string())
                    .collect();
                (names, cells[1].to_string(), cells[2].to_string())
            })
            .collect()
    }

    #[test]
    fn the_data_dictionary_lists_every_declared_column_with_its_type_and_label() {
        let d = declared();
        let common = dictionary_rows("## Common columns");
        for o in &d.output {
            let own = dictionary_rows(&format!("## `{}", o.name));
            let rows: Vec<_> = own
                .iter()
                .chain(common.iter().filter(|(names, _, _)| {
                    names
                        .iter()
                        .all(|n| o.columns.contains(n) || (!o.csv_only && d.trailing.contains(n)))
                }))
                .collect();
            let named: Vec<&String> = rows.iter().flat_map(|(names, _, _)| names).collect();
            for c in &o.columns {
                assert!(
                    named.contains(&c),
                    "docs/data-dictionary.md: {} lacks `{c}`",
                    o.name
                );
            }
            for n in &named {
                assert!(
                    o.columns.contains(n) || (!o.csv_only && d.trailing.contains(n)),
                    "docs/data-dictionary.md: {} names `{n}`, which it does not have",
                    o.name
                );
            }
            for (names, kind, label) in rows.iter().filter(|(names, _, _)| names.len() == 1) {
                let spec = &d.columns[&names[0]];
                let word = match spec.kind {
                    Kind::Text => "string",
                    Kind::Int32 => "int32",
                    Kind::Int64 => "int64",
                    Kind::Float64 => "float64",
                    Kind::Bool => "bool",
                };
                assert!(
                    kind.starts_with(word),
                    "{}.{}: type {kind}, declared {word}",
                    o.name,
                    names[0]
                );
                assert_eq!(label, &spec.label, "{}.{}: label", o.name, names[0]);
            }
        }
    }
}
