//! Earlier published lists: who was listed before ("повторно") and who
//! entered, stayed on or left each list.

use std::path::Path;

use anyhow::{Result, bail};
use polars::prelude::*;

use crate::ingest::{CsvOverrides, DataDirFiles, RawTable};
use crate::validate::{number, text};

/// Reads every CSV/Parquet file of `dir`: `school_id`, `year`, optional
/// `list` (ШНОР/ШНСУ, default ШНОР). Returns school_id, year, list ('shnor'
/// or 'shnsu'), deduplicated and sorted.
pub fn read_previous_lists(dir: &Path, csv: CsvOverrides) -> Result<(DataFrame, Vec<RawTable>)> {
    let files = DataDirFiles::list_folder(dir)?;
    if files.is_empty() {
        bail!(
            "в папке прежних списков {} нет файлов CSV или Parquet",
            dir.display()
        );
    }
    let tables: Vec<RawTable> = files
        .iter()
        .map(|p| {
            let name = format!(
                "{}/{}",
                dir.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default(),
                p.strip_prefix(dir).unwrap_or(p).display()
            );
            crate::ingest::read_table(p, &name, csv)
        })
        .collect::<Result<_>>()?;
    let mut parts = Vec::new();
    for table in &tables {
        for c in ["school_id", "year"] {
            if !table.has(c) {
                bail!(
                    "{}: a previous list needs columns school_id and year (and optionally list = ШНОР/ШНСУ); `{c}` is missing",
                    table.name
                );
            }
        }
        let list = if table.has("list") {
            text("list").str().to_lowercase()
        } else {
            lit("шнор")
        };
        let frame = table
            .frame
            .clone()
            .lazy()
            .select([
                text("school_id").alias("school_id"),
                number("year", false).cast(DataType::Int32).alias("year"),
                when(list.clone().is_in(
                    lit(Series::new("l".into(), ["шнор", "shnor"])).implode(false),
                    false,
                ))
                .then(lit("shnor"))
                .when(list.is_in(
                    lit(Series::new("l".into(), ["шнсу", "shnsu"])).implode(false),
                    false,
                ))
                .then(lit("shnsu"))
                .otherwise(lit(NULL).cast(DataType::String))
                .alias("list_name"),
            ])
            .collect()?;
        let unusable = frame
            .clone()
            .lazy()
            .filter(
                col("school_id")
                    .is_null()
                    .or(col("year").is_null())
                    .or(col("list_name").is_null()),
            )
            .collect()?
            .height();
        if unusable > 0 {
            bail!(
                "{}: {unusable} row(s) without a school_id, a whole-number year or a list of ШНОР/ШНСУ; fix them so that the history is complete",
                table.name
            );
        }
        parts.push(frame.lazy());
    }
    let all = concat(parts, UnionArgs::default())?
        .unique_stable(None, UniqueKeepStrategy::First)
        .sort(
            ["list_name", "year", "school_id"],
            SortMultipleOptions::default(),
        )
        .collect()?;
    Ok((all, tables))
}

/// The lists of this run in the form the history query reads.
pub fn current_lists(decisions: &DataFrame) -> Result<DataFrame> {
    let lf = decisions.clone().lazy();
    Ok(concat(
        [
            lf.clone()
                .filter(col("is_shnor"))
                .select([col("school_id"), lit("shnor").alias("list_name")]),
            lf.filter(col("is_shnsu"))
                .select([col("school_id"), lit("shnsu").alias("list_name")]),
        ],
        UnionArgs::default(),
    )?
    .collect()?)
}
