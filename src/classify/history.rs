//! This run's lists in the form the history query reads beside the earlier
//! ones (read by `ingest`, checked by `validate::previous_lists`).

use anyhow::Result;
use polars::prelude::*;

use crate::codes::{Code, List};

/// The lists of this run in the form the history query reads.
pub fn current_lists(decisions: &DataFrame) -> Result<DataFrame> {
    let lf = decisions.clone().lazy();
    Ok(concat(
        [
            lf.clone()
                .filter(col("is_shnor"))
                .select([col("school_id"), lit(List::Shnor.code()).alias("list_name")]),
            lf.filter(col("is_shnsu"))
                .select([col("school_id"), lit(List::Shnsu.code()).alias("list_name")]),
        ],
        UnionArgs::default(),
    )?
    .collect()?)
}

/// Earlier lists when none were given: the same columns, no rows.
pub fn no_lists() -> DataFrame {
    crate::validate::empty_frame(&[
        ("school_id", DataType::String),
        ("year", DataType::Int32),
        ("list_name", DataType::String),
    ])
}
