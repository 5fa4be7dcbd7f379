//! Hive-style partitioned Parquet (`region=…/year=…/part-0.parquet`) that
//! Spark, Trino, ClickHouse and DuckDB read as one table.

use std::path::Path;

use anyhow::Result;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::Staging;

/// A column the outputs can be partitioned by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionKey {
    /// Столбец `region` реестра школ.
    Region,
    /// Год таблицы (для списков — текущий год).
    Year,
}

impl PartitionKey {
    fn column(self) -> &'static str {
        match self {
            PartitionKey::Region => "region",
            PartitionKey::Year => "year",
        }
    }
}

/// Escapes a value for a directory name the way Hive does: the characters
/// that would break a path or a `key=value` pair become `%XX`.
pub fn escape(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_control() || "\"#%'*/:=?\\{}[]^".contains(c) {
                format!("%{:02X}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Writes `frame` under `dir` in one folder per combination of the keys, the
/// key columns dropped from the files (they live in the folder names).
pub fn write_partitioned(
    dir: &Path,
    frame: &DataFrame,
    keys: &[PartitionKey],
    staging: &Staging,
) -> Result<()> {
    let names: Vec<&str> = keys.iter().map(|k| k.column()).collect();
    let as_text: Vec<Expr> = names
        .iter()
        .map(|n| {
            col(*n)
                .cast(DataType::String)
                .fill_null(lit("__HIVE_DEFAULT_PARTITION__"))
                .alias(*n)
        })
        .collect();
    let keyed = frame.clone().lazy().with_columns(as_text).collect()?;
    let combinations = keyed
        .clone()
        .lazy()
        .select(names.iter().map(|n| col(*n)).collect::<Vec<_>>())
        .unique_stable(None, UniqueKeepStrategy::First)
        .sort(names.clone(), SortMultipleOptions::default())
        .collect()?;
    for row in 0..combinations.height() {
        let mut path = dir.to_path_buf();
        let mut filter = lit(true);
        for name in &names {
            let value = combinations
                .column(name)?
                .str()?
                .get(row)
                .unwrap_or_default()
                .to_string();
            path = path.join(format!("{name}={}", escape(&value)));
            filter = filter.and(col(*name).eq(lit(value)));
        }
        let mut part = keyed
            .clone()
            .lazy()
            .filter(filter)
            .drop(cols(names.clone()))
            .collect()?;
        staging.write_parquet_to(&path.join("part-0.parquet"), &mut part)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hive_escaping_keeps_cyrillic_and_escapes_separators() {
        assert_eq!(escape("Кемеровская область"), "Кемеровская область");
        assert_eq!(escape("a/b=c"), "a%2Fb%3Dc");
    }
}
