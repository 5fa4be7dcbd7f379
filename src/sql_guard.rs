//! Methodology and adapter SQL may only read the tables the run registers.
//! polars' SQL has table functions that read files (`read_csv('…')` and
//! friends). The query is parsed the way polars parses it, and the statement
//! itself is checked — one `SELECT`, every table it reads among the tables
//! given to it or its own `WITH` names, every function among polars' scalar
//! and aggregate functions — so no spelling, quoting or comment gets past.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use anyhow::{Result, bail};
use sqlparser::ast::{Expr, Query, Statement, TableFactor, Visit, Visitor};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::{Parser, ParserOptions};

/// polars SQL's scalar and aggregate functions (polars-sql 0.55,
/// `PolarsSQLFunctions`): none of them reads a file.
const FUNCTIONS: &[&str] = &[
    "abs",
    "acos",
    "acosd",
    "array_agg",
    "array_contains",
    "array_get",
    "array_length",
    "array_lower",
    "array_mean",
    "array_reverse",
    "array_sum",
    "array_to_string",
    "array_unique",
    "array_upper",
    "asin",
    "asind",
    "atan",
    "atan2",
    "atan2d",
    "atand",
    "avg",
    "bit_and",
    "bit_count",
    "bit_length",
    "bit_not",
    "bit_or",
    "bit_xor",
    "bitand",
    "bitcount",
    "bitnot",
    "bitor",
    "bitxor",
    "cbrt",
    "ceil",
    "ceiling",
    "char_length",
    "character_length",
    "coalesce",
    "columns",
    "concat",
    "concat_ws",
    "corr",
    "cos",
    "cosd",
    "cot",
    "cotd",
    "count",
    "covar",
    "covar_pop",
    "covar_samp",
    "date",
    "date_part",
    "datetime",
    "degrees",
    "dense_rank",
    "div",
    "ends_with",
    "exp",
    "first",
    "first_value",
    "floor",
    "greatest",
    "group_concat",
    "if",
    "ifnull",
    "initcap",
    "lag",
    "last",
    "last_value",
    "lead",
    "least",
    "left",
    "length",
    "listagg",
    "ln",
    "log",
    "log10",
    "log1p",
    "log2",
    "lower",
    "lpad",
    "ltrim",
    "max",
    "median",
    "min",
    "mod",
    "normalize",
    "nullif",
    "octet_length",
    "pi",
    "pow",
    "power",
    "quantile_cont",
    "quantile_disc",
    "radians",
    "rank",
    "regexp_like",
    "replace",
    "reverse",
    "right",
    "round",
    "row_number",
    "rpad",
    "rtrim",
    "sign",
    "sin",
    "sind",
    "split_part",
    "sqrt",
    "starts_with",
    "stddev",
    "stddev_samp",
    "stdev",
    "stdev_samp",
    "strftime",
    "string_agg",
    "string_to_array",
    "strpos",
    "strptime",
    "substr",
    "sum",
    "tan",
    "tand",
    "time",
    "timestamp",
    "total",
    "trunc",
    "truncate",
    "unnest",
    "upper",
    "var",
    "var_samp",
    "variance",
    "xor",
];

/// Refuses SQL that could read anything but `tables`; `origin` names the
/// query in the message.
pub fn check(sql: &str, origin: &str, tables: &[&str]) -> Result<()> {
    let statements = Parser::new(&GenericDialect)
        .with_options(ParserOptions {
            trailing_commas: true,
            ..Default::default()
        })
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| anyhow::anyhow!("запрос {origin} не разбирается как SQL: {e}"))?;
    let [statement] = statements.as_slice() else {
        bail!(
            "запрос {origin}: в файле {} SQL-операторов; нужен ровно один SELECT",
            statements.len()
        );
    };
    if !matches!(statement, Statement::Query(_)) {
        bail!(
            "запрос {origin}: допускается только SELECT (или WITH … SELECT), \
             а не другие операторы SQL"
        );
    }
    let mut names = CteNames::default();
    let _ = statement.visit(&mut names);
    let mut allowed: BTreeSet<String> = tables.iter().map(|t| t.to_lowercase()).collect();
    allowed.extend(names.0);
    let mut guard = Guard { allowed: &allowed };
    if let ControlFlow::Break(why) = statement.visit(&mut guard) {
        bail!(
            "запрос {origin}: {why}; запросы читают только данные, которые им передаёт запуск \
             ({}), а не файлы",
            tables.join(", ")
        );
    }
    Ok(())
}

/// The names a query defines itself (`WITH name AS (…)`).
#[derive(Default)]
struct CteNames(BTreeSet<String>);

impl Visitor for CteNames {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        for cte in query.with.iter().flat_map(|w| &w.cte_tables) {
            self.0.insert(cte.alias.name.value.to_lowercase());
        }
        ControlFlow::Continue(())
    }
}

struct Guard<'a> {
    allowed: &'a BTreeSet<String>,
}

impl Visitor for Guard<'_> {
    type Break = String;

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<String> {
        match factor {
            TableFactor::Table { name, args, .. } => {
                let shown = name.to_string();
                if args.is_some() {
                    return ControlFlow::Break(format!("табличная функция {shown}(…) запрещена"));
                }
                let known = name.0.len() == 1
                    && name.0[0]
                        .as_ident()
                        .is_some_and(|i| self.allowed.contains(&i.value.to_lowercase()));
                if known {
                    ControlFlow::Continue(())
                } else {
                    ControlFlow::Break(format!("неизвестная таблица {shown}"))
                }
            }
            TableFactor::Derived { .. } | TableFactor::NestedJoin { .. } => {
                ControlFlow::Continue(())
            }
            other => ControlFlow::Break(format!("источник данных «{other}» запрещён")),
        }
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<String> {
        let Expr::Function(function) = expr else {
            return ControlFlow::Continue(());
        };
        let name = &function.name;
        let known = name.0.len() == 1
            && name.0[0]
                .as_ident()
                .is_some_and(|i| FUNCTIONS.contains(&i.value.to_lowercase().as_str()));
        if known {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(format!("функция {name}(…) не входит в разрешённые"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(sql: &str) -> String {
        check(sql, "adapters/x.sql", &["raw"])
            .expect_err(sql)
            .to_string()
    }

    #[test]
    fn tables_it_is_given_pass() {
        assert!(check("SELECT * FROM raw", "a", &["raw"]).is_ok());
        assert!(
            check(
                "WITH t AS (SELECT school_id, count(*) AS n FROM RAW GROUP BY school_id) \
                 SELECT t.*, upper(school_id) FROM t JOIN (SELECT 1 AS one) x ON true",
                "a",
                &["raw"]
            )
            .is_ok()
        );
    }

    #[test]
    fn every_spelling_of_a_file_reader_is_refused() {
        for sql in [
            "SELECT * FROM READ_CSV ('/etc/passwd')",
            "SELECT * FROM \"read_csv\"('/etc/hostname')",
            "SELECT * FROM read_csv/**/('x')",
            "SELECT * FROM read_csv -- c\n('x')",
            "SELECT * FROM \"read_parquet\"('x.parquet')",
            "SELECT * FROM raw UNION ALL SELECT * FROM read_ipc('x')",
            "SELECT * FROM raw WHERE school_id IN (SELECT * FROM read_json('x'))",
        ] {
            assert!(refused(sql).contains("табличная функция"), "{sql}");
        }
    }

    #[test]
    fn other_tables_statements_and_functions_are_refused() {
        assert!(refused("SELECT * FROM procedures").contains("неизвестная таблица procedures"));
        assert!(refused("SELECT * FROM main.raw").contains("неизвестная таблица main.raw"));
        assert!(refused("DROP TABLE raw").contains("только SELECT"));
        assert!(refused("SELECT 1; SELECT 2").contains("2 SQL-операторов"));
        assert!(refused("SELECT read_text('x') FROM raw").contains("функция read_text"));
        assert!(refused("SELECT * FROM").contains("не разбирается"));
    }
}
