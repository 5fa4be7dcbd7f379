//! One school across years: a login whose prefix changed (`sch220206` in
//! 2020, `edu220206` in 2022) is the registry's school with the same digits,
//! for the prefixes the methodology names (`shnor.same_school_prefixes`).

use anyhow::Result;
use polars::prelude::*;

/// `alias → school_id`: for each registry id written PREFIX + digits, the
/// same digits under every other prefix, unless the registry has that id too.
pub fn aliases(registry: &DataFrame, prefixes: &[String]) -> Result<DataFrame> {
    let ids = registry.clone().lazy().select([col("school_id")]);
    let mut parts = Vec::new();
    for from in prefixes {
        for to in prefixes.iter().filter(|p| *p != from) {
            let digits = col("school_id").str().strip_prefix(lit(from.as_str()));
            parts.push(
                ids.clone()
                    .filter(
                        col("school_id")
                            .str()
                            .starts_with(lit(from.as_str()))
                            .and(digits.clone().str().contains(lit("^[0-9]+$"), false)),
                    )
                    .select([
                        concat_str([lit(to.as_str()), digits], "", false).alias("alias"),
                        col("school_id").alias("registry_id"),
                    ]),
            );
        }
    }
    if parts.is_empty() {
        return Ok(empty());
    }
    Ok(concat(parts, UnionArgs::default())?
        .join(
            ids,
            [col("alias")],
            [col("school_id")],
            JoinArgs::new(JoinType::Anti),
        )
        .unique_stable(None, UniqueKeepStrategy::First)
        .collect()?)
}

/// No aliases.
pub fn empty() -> DataFrame {
    DataFrame::new_infer_height(vec![
        Column::new_empty("alias".into(), &DataType::String),
        Column::new_empty("registry_id".into(), &DataType::String),
    ])
    .expect("two empty columns")
}

/// `frame` with each `school_id` that is an alias replaced by its registry id.
pub fn to_registry_ids(frame: DataFrame, aliases: &DataFrame) -> Result<DataFrame> {
    if aliases.height() == 0 {
        return Ok(frame);
    }
    Ok(frame
        .lazy()
        .join(
            aliases.clone().lazy(),
            [col("school_id")],
            [col("alias")],
            JoinArgs {
                maintain_order: MaintainOrderJoin::Left,
                ..JoinArgs::new(JoinType::Left)
            },
        )
        .with_column(
            col("registry_id")
                .fill_null(col("school_id"))
                .alias("school_id"),
        )
        .drop(cols(["registry_id"]))
        .collect()?)
}

/// The ids of `frame` that are aliases, with the registry id each became.
pub fn mapped(frame: &DataFrame, aliases: &DataFrame) -> Result<Vec<(String, String)>> {
    if aliases.height() == 0 {
        return Ok(Vec::new());
    }
    let found = frame
        .clone()
        .lazy()
        .select([col("school_id")])
        .unique_stable(None, UniqueKeepStrategy::First)
        .join(
            aliases.clone().lazy(),
            [col("school_id")],
            [col("alias")],
            JoinArgs::new(JoinType::Inner),
        )
        .sort(["school_id"], SortMultipleOptions::default())
        .collect()?;
    let ids = found.column("school_id")?.str()?.clone();
    let to = found.column("registry_id")?.str()?.clone();
    Ok((0..found.height())
        .filter_map(|i| Some((ids.get(i)?.to_string(), to.get(i)?.to_string())))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_login_is_the_registry_school_with_the_same_digits() {
        let registry = df!("school_id" => ["sch220206", "edu220300", "sch220300", "x1"]).unwrap();
        let prefixes = ["sch".to_string(), "edu".to_string()];
        let aliases = aliases(&registry, &prefixes).unwrap();
        // edu220300 and sch220300 are both in the registry: no alias.
        assert_eq!(aliases.height(), 1, "{aliases}");
        let results = df!("school_id" => ["edu220206", "sch220206", "edu220300", "x1"]).unwrap();
        let mapped_ids = mapped(&results, &aliases).unwrap();
        assert_eq!(
            mapped_ids,
            [("edu220206".to_string(), "sch220206".to_string())]
        );
        let fixed = to_registry_ids(results, &aliases).unwrap();
        let ids: Vec<Option<&str>> = fixed
            .column("school_id")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .collect();
        let ids: Vec<&str> = ids.into_iter().flatten().collect();
        assert_eq!(ids, ["sch220206", "sch220206", "edu220300", "x1"]);
        assert_eq!(super::aliases(&registry, &[]).unwrap().height(), 0);
    }
}
