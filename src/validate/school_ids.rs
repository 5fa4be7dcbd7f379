//! One school across years: a login whose prefix changed (`sch220206` in
//! 2020, `edu220206` in 2022) is the registry's school with the same digits,
//! for the prefixes the methodology names (`shnor.same_school_prefixes`);
//! and the renamings and mergers the data directory lists in
//! `school-ids.csv` (`old_id,new_id[,year]`).

use anyhow::{Result, bail};
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

pub use crate::ingest::RENAMINGS;

/// One line of `school-ids.csv`: results written under `old_id` belong to
/// the registry's `new_id` (from `year`, when given: said, not enforced).
#[derive(Debug, Clone, PartialEq)]
pub struct Renaming {
    pub old_id: String,
    pub new_id: String,
    pub year: Option<i32>,
    pub line: usize,
}

/// Parses `school-ids.csv`: a header `old_id,new_id` or
/// `old_id,new_id,year`, `#` lines as comments.
pub fn parse_renamings(text: &str) -> Result<Vec<Renaming>> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let header = lines
        .next()
        .map(|(_, h)| h.trim_start_matches('\u{feff}').trim().to_lowercase())
        .unwrap_or_default();
    let with_year = match header.as_str() {
        "old_id,new_id" => false,
        "old_id,new_id,year" => true,
        _ => bail!(
            "{RENAMINGS}: первая строка должна быть `old_id,new_id` или `old_id,new_id,year` (а она `{header}`)"
        ),
    };
    lines
        .map(|(i, l)| {
            let at = format!("{RENAMINGS}, строка {}", i + 1);
            let fields: Vec<&str> = l.split(',').map(str::trim).collect();
            let (old_id, new_id, year) = match (with_year, fields.as_slice()) {
                (false, [o, n]) => (*o, *n, None),
                (true, [o, n, ""]) => (*o, *n, None),
                (true, [o, n, y]) => (
                    *o,
                    *n,
                    Some(
                        y.parse::<i32>()
                            .map_err(|_| anyhow::anyhow!("{at}: год `{y}` — не число"))?,
                    ),
                ),
                _ => bail!(
                    "{at}: нужно {} поля через запятую",
                    2 + usize::from(with_year)
                ),
            };
            if old_id.is_empty() || new_id.is_empty() {
                bail!("{at}: пустой код школы");
            }
            Ok(Renaming {
                old_id: old_id.to_string(),
                new_id: new_id.to_string(),
                year,
                line: i + 1,
            })
        })
        .collect()
}

/// `aliases` with the renamings added. Each new id must be a registry
/// school and each old id must not be (else two schools would become one
/// by mistake); an old id is listed once, and a new id is no other line's
/// old id (a chain would hide which school is meant).
pub fn with_renamings(
    aliases: DataFrame,
    renamings: &[Renaming],
    registry: &DataFrame,
) -> Result<DataFrame> {
    if renamings.is_empty() {
        return Ok(aliases);
    }
    let ids: std::collections::HashSet<&str> = registry
        .column("school_id")?
        .str()?
        .iter()
        .flatten()
        .collect();
    for (i, r) in renamings.iter().enumerate() {
        let at = format!("{RENAMINGS}, строка {}", r.line);
        if !ids.contains(r.new_id.as_str()) {
            bail!(
                "{at}: новой школы `{}` нет в реестре; исправьте new_id",
                r.new_id
            );
        }
        if ids.contains(r.old_id.as_str()) {
            bail!(
                "{at}: `{}` — школа реестра; её результаты не могут стать результатами `{}`. \
                 Уберите строку или старую школу из реестра",
                r.old_id,
                r.new_id
            );
        }
        if let Some(same) = renamings[..i].iter().find(|o| o.old_id == r.old_id) {
            bail!(
                "{at}: `{}` уже переименован в строке {}; оставьте одну",
                r.old_id,
                same.line
            );
        }
        if let Some(chain) = renamings.iter().find(|o| o.old_id == r.new_id) {
            bail!(
                "{at}: `{}` сам переименован в строке {}; укажите сразу код реестра",
                r.new_id,
                chain.line
            );
        }
    }
    let listed = df!(
        "alias" => renamings.iter().map(|r| r.old_id.as_str()).collect::<Vec<_>>(),
        "registry_id" => renamings.iter().map(|r| r.new_id.as_str()).collect::<Vec<_>>(),
    )?;
    // A listed renaming wins over a login-prefix alias of the same id.
    Ok(
        concat([listed.lazy(), aliases.lazy()], UnionArgs::default())?
            .unique_stable(Some(cols(["alias"])), UniqueKeepStrategy::First)
            .collect()?,
    )
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
