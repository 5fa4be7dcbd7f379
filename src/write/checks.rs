//! Checks on the outputs before a byte is written: each output's key is
//! unique (a methodology query that returns a school twice would inflate
//! every count built on it), and no text is longer than an Excel cell holds
//! (found at the end, it would fail the run naming nothing).

use anyhow::{Result, bail};
use polars::prelude::*;

/// Excel's limit on the characters of one cell.
pub const EXCEL_CELL_CHARS: u32 = 32_767;

/// Refuses outputs with a repeated key or an over-long text.
pub fn check_outputs(outputs: &[(&'static str, DataFrame)]) -> Result<()> {
    for (name, frame) in outputs {
        let key = &crate::outputs::declared().output(name).key;
        if !key.is_empty() {
            let key: Vec<&str> = key.iter().map(String::as_str).collect();
            unique_key(name, frame, &key)?;
        }
        texts_fit(name, frame)?;
    }
    Ok(())
}

fn unique_key(name: &str, frame: &DataFrame, key: &[&str]) -> Result<()> {
    let repeated = frame
        .clone()
        .lazy()
        .group_by(key.iter().map(|k| col(*k)).collect::<Vec<_>>())
        .agg([len().alias("__rows")])
        .filter(col("__rows").gt(lit(1)))
        .sort(
            key.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
            Default::default(),
        )
        .limit(1)
        .collect()?;
    if repeated.height() == 0 {
        return Ok(());
    }
    let shown: Vec<String> = key
        .iter()
        .map(|k| {
            let value = repeated
                .column(k)
                .and_then(|c| c.get(0).map(|v| v.to_string()));
            format!("{k} = {}", value.unwrap_or_default())
        })
        .collect();
    let times = repeated.column("__rows")?.get(0)?;
    bail!(
        "вывод {name}: строка с {} встречается {times} раз(а), а ключ вывода ({}) должен быть \
         уникальным; запрос методики, который его строит, повторяет строки (проверьте JOIN)",
        shown.join(", "),
        key.join(", ")
    )
}

fn texts_fit(name: &str, frame: &DataFrame) -> Result<()> {
    for (column, dtype) in frame.schema().iter() {
        if *dtype != DataType::String {
            continue;
        }
        let long = frame
            .clone()
            .lazy()
            .filter(
                col(column.clone())
                    .str()
                    .len_chars()
                    .gt(lit(EXCEL_CELL_CHARS)),
            )
            .limit(1)
            .collect()?;
        if long.height() == 0 {
            continue;
        }
        let school = long
            .column("school_id")
            .ok()
            .and_then(|c| c.get(0).ok().map(|v| v.to_string()))
            .map(|id| format!("школа {id}, "))
            .unwrap_or_default();
        bail!(
            "вывод {name}: {school}столбец {column}: текст длиннее {EXCEL_CELL_CHARS} символов, \
             больше, чем вмещает ячейка Excel; сократите его во входном файле"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_and_a_long_text_are_named() {
        let twice = df!("school_id" => ["a", "b", "a"], "x" => [1, 2, 3]).unwrap();
        let err = check_outputs(&[("shnor", twice)]).unwrap_err().to_string();
        assert!(err.contains("school_id = \"a\" встречается 2 раз"), "{err}");
        let long = df!("school_id" => ["s9"], "school_name" => ["я".repeat(40_000)]).unwrap();
        let err = check_outputs(&[("schools", long)]).unwrap_err().to_string();
        assert!(err.contains("школа \"s9\", столбец school_name"), "{err}");
        let fine = df!("school_id" => ["a", "b"]).unwrap();
        assert!(check_outputs(&[("schools", fine)]).is_ok());
    }
}
