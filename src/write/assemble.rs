//! The output tables assembled from a classification: the lists with their
//! repeat columns, every school with its flags, the procedures, the
//! municipalities and the transitions, each conformed to its declaration
//! in `reference/outputs.toml`.

use anyhow::Result;
use polars::prelude::*;

use crate::classify::Classification;
use crate::codes::count_status_labels;
use crate::outputs::conform;
use crate::validate::empty_frame;

fn left_join(left: LazyFrame, right: LazyFrame) -> LazyFrame {
    left.join(
        right,
        [col("school_id")],
        [col("school_id")],
        JoinArgs::new(JoinType::Left),
    )
}

/// The output tables from the classification, as `reference/outputs.toml`
/// declares them (columns, types, order, sort).
pub fn outputs(
    c: &Classification,
    registry: &DataFrame,
    min_participants: u32,
) -> Result<Vec<(&'static str, DataFrame)>> {
    let history_of = |list: &str| -> LazyFrame {
        match &c.history {
            Some(h) => h
                .clone()
                .lazy()
                .filter(col("list_name").eq(lit(list)))
                .select([
                    col("school_id"),
                    col("times_listed_before"),
                    col("years_listed_before"),
                ]),
            None => empty_frame(&[
                ("school_id", DataType::String),
                ("times_listed_before", DataType::UInt32),
                ("years_listed_before", DataType::String),
            ])
            .lazy(),
        }
    };
    let with_repeats = |frame: LazyFrame, list: &str| {
        left_join(frame, history_of(list)).with_columns([
            col("times_listed_before")
                .cast(DataType::Int64)
                .fill_null(lit(0i64)),
            col("times_listed_before")
                .fill_null(lit(0))
                .gt(lit(0))
                .alias("listed_before"),
        ])
    };
    let names =
        registry
            .clone()
            .lazy()
            .select([col("school_id"), col("school_name"), col("municipality")]);
    let schools = all_schools(c, registry);
    let mut outputs = vec![
        (
            "procedures",
            conform(
                "procedures",
                c.procedures
                    .clone()
                    .lazy()
                    .with_column(count_status_labels(min_participants)),
            )?,
        ),
        (
            "shnor",
            conform(
                "shnor",
                with_repeats(c.shnor.clone().lazy().filter(col("is_shnor")), "shnor"),
            )?,
        ),
        (
            "shnsu",
            conform(
                "shnsu",
                with_repeats(
                    left_join(
                        c.shnsu.clone().lazy().filter(col("is_shnsu")),
                        names.clone(),
                    ),
                    "shnsu",
                ),
            )?,
        ),
        (
            "risk_profiles",
            conform(
                "risk_profiles",
                left_join(c.risk_profiles.clone().lazy(), names.clone()),
            )?,
        ),
        (
            "school_indicators",
            conform(
                "school_indicators",
                left_join(c.indicator_scores.clone().lazy(), names.clone()),
            )?,
        ),
        ("schools", conform("schools", schools)?),
        (
            "municipalities",
            conform("municipalities", c.municipalities.clone().lazy())?,
        ),
    ];
    if let Some(found) = &c.objectivity {
        let rows = left_join(found.clone().lazy(), names.clone());
        outputs.push(("objectivity", conform("objectivity", rows)?));
    }
    outputs.push(("levels", conform("levels", c.levels.clone().lazy())?));
    outputs.push((
        "risk_zone",
        conform("risk_zone", c.risk_zone.clone().lazy())?,
    ));
    outputs.push((
        "stably_high",
        conform("stably_high", c.stably_high.clone().lazy())?,
    ));
    outputs.push(("partners", conform("partners", c.partners.clone().lazy())?));
    if c.targets.height() > 0 {
        outputs.push(("targets", conform("targets", c.targets.clone().lazy())?));
    }
    outputs.push((
        "school_years",
        conform(
            "school_years",
            left_join(c.school_years.clone().lazy(), names.clone()),
        )?,
    ));
    if let Some(follow_up) = &c.follow_up {
        let rows = left_join(follow_up.clone().lazy(), names.clone());
        outputs.push(("follow_up", conform("follow_up", rows)?));
    }
    if let Some(history) = &c.history {
        let transitions =
            left_join(history.clone().lazy(), names).with_column(col("list_name").alias("list"));
        outputs.push(("transitions", conform("transitions", transitions)?));
    }
    Ok(outputs)
}

/// Every school of the registry with its lists, risk and context.
fn all_schools(c: &Classification, registry: &DataFrame) -> LazyFrame {
    let shnor_flags = c.shnor.clone().lazy().select([
        col("school_id"),
        col("is_shnor"),
        col("excluded"),
        col("counting_procedures_current"),
        col("counting_procedures_previous"),
    ]);
    let shnsu_flags = c.shnsu.clone().lazy().select([
        col("school_id"),
        col("is_shnsu"),
        col("risk_score"),
        col("risk_rank"),
        col("risk_band"),
        col("indicators_used").alias("shnsu_indicators_used"),
    ]);
    left_join(
        left_join(
            left_join(left_join(registry.clone().lazy(), shnor_flags), shnsu_flags),
            c.context.clone().lazy(),
        ),
        c.school_objectivity.clone().lazy(),
    )
    .with_columns([
        col("is_shnor").fill_null(false),
        col("is_shnsu").fill_null(false),
        col("excluded").fill_null(false),
        col("counting_procedures_current").fill_null(0),
        col("counting_procedures_previous").fill_null(0),
        when(col("risk_score").is_not_null())
            .then(lit("риск рассчитан"))
            .when(col("shnsu_indicators_used").is_not_null())
            .then(concat_str(
                [
                    lit("не оценена: показателей "),
                    col("shnsu_indicators_used").cast(DataType::String),
                    lit(" — меньше, чем требует методика (shnsu.min_indicators)"),
                ],
                "",
                false,
            ))
            .otherwise(lit("нет данных анкеты: риск не рассчитан"))
            .alias("shnsu_status"),
    ])
}
