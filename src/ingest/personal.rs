//! Personal data (names, documents) in РЦОИ statements: dropped as soon as a
//! table is read, so that no output, message or `rejected.csv` can hold it.
//! Where a participant is known only by those cells, a SHA-256 pseudonym
//! taken before the drop keeps the repeated-participant check possible.

use anyhow::Result;
use polars::prelude::*;
use sha2::{Digest, Sha256};

use super::layouts::{Layout, is_personal};

/// Hex digits kept of the pseudonym's SHA-256: 64 bits, so that two
/// participants of one procedure never meet by chance.
const PSEUDONYM_HEX: usize = 16;

/// `frame` without its personal-data columns (those the layout maps to a
/// column of its own, such as the logins' «имя», are not personal), with
/// `participant_id` a pseudonym of them when the layout says so. Returns the
/// headers dropped.
pub fn without_personal_data(
    mut frame: DataFrame,
    layout: Option<&Layout>,
) -> Result<(DataFrame, Vec<String>)> {
    let personal: Vec<String> = frame
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .filter(|c| is_personal(c) && layout.is_none_or(|l| l.column_for(c).is_none()))
        .collect();
    if personal.is_empty() {
        return Ok((frame, personal));
    }
    if layout.is_some_and(|l| l.pseudonym) && !frame.schema().contains("participant_id") {
        let id = pseudonyms(&frame, &personal)?;
        frame.with_column(id)?;
    }
    let frame = frame.drop_many(personal.iter().map(String::as_str));
    Ok((frame, personal))
}

/// One pseudonym per row: the SHA-256 of the row's personal cells, each
/// trimmed and lower-cased (so that «Иванов» and «ИВАНОВ » meet).
fn pseudonyms(frame: &DataFrame, personal: &[String]) -> Result<Column> {
    let joined = frame
        .clone()
        .lazy()
        .select([concat_str(
            personal
                .iter()
                .map(|c| {
                    col(c.as_str())
                        .cast(DataType::String)
                        .fill_null(lit(""))
                        .str()
                        .strip_chars(lit(NULL))
                        .str()
                        .to_lowercase()
                })
                .collect::<Vec<_>>(),
            "\u{1f}",
            false,
        )
        .alias("participant_id")])
        .collect()?;
    let ids: StringChunked = joined
        .column("participant_id")?
        .str()?
        .iter()
        .map(|cells| {
            cells.map(|c| {
                let digest = format!("{:x}", Sha256::digest(c.as_bytes()));
                digest[..PSEUDONYM_HEX].to_string()
            })
        })
        .collect();
    Ok(ids.with_name("participant_id".into()).into_column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_documents_go_and_leave_a_stable_pseudonym() {
        let layout = super::super::layouts::layouts()
            .iter()
            .find(|l| l.name == "rcoi-statement")
            .unwrap();
        let frame = df!(
            "Фамилия" => ["Иванов", "ИВАНОВ ", "Петрова"],
            "Имя" => ["Иван", "иван", "Анна"],
            "Номер документа" => ["123456", "123456", "654321"],
            "score" => ["10", "11", "12"],
        )
        .unwrap();
        let (out, dropped) = without_personal_data(frame, Some(layout)).unwrap();
        assert_eq!(dropped, ["Фамилия", "Имя", "Номер документа"]);
        assert_eq!(
            out.get_column_names(),
            ["score", "participant_id"]
                .map(PlSmallStr::from_static)
                .iter()
                .collect::<Vec<_>>()
        );
        let ids: Vec<&str> = out
            .column("participant_id")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        assert_eq!(ids[0], ids[1]);
        assert_ne!(ids[0], ids[2]);
        assert_eq!(ids[0].len(), PSEUDONYM_HEX);
        // The logins' «имя» is the layout's school name, not personal data.
        let logins = super::super::layouts::layouts()
            .iter()
            .find(|l| l.name == "fisoko-logins")
            .unwrap();
        let frame = df!("имя" => ["МБОУ СОШ"]).unwrap();
        assert!(
            without_personal_data(frame, Some(logins))
                .unwrap()
                .1
                .is_empty()
        );
    }
}
