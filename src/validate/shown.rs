//! How a reason shows a cell's value: quoted, with a note when it looks like
//! another value (an invisible character, Cyrillic letters that look Latin),
//! and hidden when it may be a participant's personal data.

use std::collections::HashMap;

use anyhow::Result;
use polars::prelude::*;

/// `prefix «value» suffix`, for messages that quote what the file said.
pub fn quoted(prefix: &str, value: Expr, suffix: &str) -> Expr {
    quoted_as(prefix, value, suffix, Values::Shown)
}

/// Whether a reason may show the cell values of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// School registries, aggregates, surveys: nothing personal.
    Shown,
    /// Participants' rows: any column may hold a participant's id or name
    /// (a header swapped with the participant column puts ids into
    /// `school_id` or `year`), so a value is shown only when it cannot
    /// single out a person — see [`quoted_as`].
    /// The table carries [`PERSON`].
    Personal,
}

/// A value is shown from participants' rows when it has at most this many
/// characters (a mark, «н/я»)…
const SHOWN_MAX_CHARS: u32 = 3;
/// …or when the set-aside rows that carry it belong to at least this many
/// participants (a school's id, a spelling of a subject): no one is singled
/// out. (Counting rows would show the id of a participant with three
/// subjects in one file.)
const SHOWN_MIN_ROWS: u32 = 3;

/// Who a row of participants is, for [`Values::Personal`]: the participant
/// id, or the line when the file has none. Tables checked with personal
/// values carry it.
pub const PERSON: &str = "__person";

/// [`quoted`], with personal values hidden: from participants' rows a value
/// is shown only when it is short or shared by several rows; otherwise its
/// length is given instead. A shown value that looks like another (an
/// invisible character, Latin and Cyrillic letters mixed) is said so.
pub fn quoted_as(prefix: &str, value: Expr, suffix: &str, values: Values) -> Expr {
    match values {
        Values::Shown => shown(prefix, value, suffix),
        Values::Personal => hidden_unless(
            prefix,
            value.clone(),
            suffix,
            lookalike_note(value),
            lit(false),
        ),
    }
}

fn shown(prefix: &str, value: Expr, suffix: &str) -> Expr {
    shown_with(prefix, value.clone(), suffix, lookalike_note(value))
}

fn shown_with(prefix: &str, value: Expr, suffix: &str, note: Expr) -> Expr {
    concat_str(
        [
            lit(format!("{prefix}«")),
            value,
            lit("»"),
            note.fill_null(lit("")),
            lit(suffix.to_string()),
        ],
        "",
        false,
    )
}

const NOT_IN_REGISTRY: &str = " нет в реестре школ";

/// The reason for a `school_id` that is not in the registry. A value that
/// differs from a registry id only by look-alike or invisible characters is
/// said to be like it; from participants' rows an id shaped like the
/// registry's (`edu999999` beside `edu990001`) is a school's code, not a
/// participant's, so it is shown.
pub fn not_in_registry(values: Values, registry: &DataFrame) -> Result<Expr> {
    let ids = registry.column("school_id")?.str()?.clone();
    let mut folded: HashMap<String, String> = HashMap::new();
    for id in ids.iter().flatten() {
        folded.entry(fold(id)).or_insert_with(|| id.to_string());
    }
    let note = note_of(col("school_id"), move |v| {
        like_registry(v, &folded).or_else(|| lookalike(v))
    });
    let (prefix, value) = ("school_id ", col("school_id"));
    if values == Values::Shown {
        return Ok(shown_with(prefix, value, NOT_IN_REGISTRY, note));
    }
    let shapes = registry
        .clone()
        .lazy()
        .select([id_shape(col("school_id"))])
        .unique_stable(None, UniqueKeepStrategy::First)
        .collect()?;
    let shaped = id_shape(value.clone()).is_in(
        lit(shapes.column("school_id")?.as_materialized_series().clone()).implode(false),
        false,
    );
    Ok(hidden_unless(prefix, value, NOT_IN_REGISTRY, note, shaped))
}

/// The registry id `value` is written like, with what differs.
fn like_registry(value: &str, folded: &HashMap<String, String>) -> Option<String> {
    let id = folded.get(&fold(value)).filter(|id| id.as_str() != value)?;
    let odd: Vec<String> = value
        .chars()
        .filter(|c| !c.is_ascii())
        .map(|c| format!("«{c}» U+{:04X}", c as u32))
        .collect();
    Some(format!(
        " (похож на «{id}» из реестра, но отличается символами: {})",
        odd.join(", ")
    ))
}

/// `value` with invisible characters removed and Cyrillic letters that look
/// Latin written as Latin.
fn fold(value: &str) -> String {
    const PAIRS: [(char, char); 27] = [
        ('а', 'a'),
        ('е', 'e'),
        ('о', 'o'),
        ('р', 'p'),
        ('с', 'c'),
        ('у', 'y'),
        ('х', 'x'),
        ('ѕ', 's'),
        ('і', 'i'),
        ('ј', 'j'),
        ('к', 'k'),
        ('А', 'A'),
        ('В', 'B'),
        ('Е', 'E'),
        ('К', 'K'),
        ('М', 'M'),
        ('Н', 'H'),
        ('О', 'O'),
        ('Р', 'P'),
        ('С', 'C'),
        ('Т', 'T'),
        ('Х', 'X'),
        ('У', 'Y'),
        ('Ѕ', 'S'),
        ('І', 'I'),
        ('Ј', 'J'),
        ('ԁ', 'd'),
    ];
    value
        .chars()
        .filter(|c| !is_invisible(*c))
        .map(|c| {
            PAIRS
                .iter()
                .find(|(from, _)| *from == c)
                .map_or(c, |(_, to)| *to)
        })
        .collect()
}

/// A personal value: shown when short, shared by several participants, or
/// when `also_safe` says so; otherwise only its length.
fn hidden_unless(prefix: &str, value: Expr, suffix: &str, note: Expr, also_safe: Expr) -> Expr {
    let chars = value.clone().str().len_chars();
    let people = col(PERSON)
        .n_unique()
        .over([value.clone()])
        .expect("a partition is given");
    let safe = chars
        .clone()
        .lt_eq(lit(SHOWN_MAX_CHARS))
        .or(people.gt_eq(lit(SHOWN_MIN_ROWS)))
        .or(also_safe);
    let hidden = concat_str(
        [
            lit(format!("{prefix}(значение скрыто, знаков: ")),
            chars.cast(DataType::String),
            lit(format!(
                "; из строк участников показываются только значения до {SHOWN_MAX_CHARS} знаков, \
                 общие для {SHOWN_MIN_ROWS} и более участников и коды вида кодов реестра){suffix}"
            )),
        ],
        "",
        false,
    );
    when(safe)
        .then(shown_with(prefix, value, suffix, note))
        .otherwise(hidden)
}

/// A code's shape: every digit as `9`.
fn id_shape(id: Expr) -> Expr {
    id.str().replace_all(lit("[0-9]"), lit("9"), false)
}

/// A note for a value that looks like a different one, or null.
fn lookalike_note(value: Expr) -> Expr {
    note_of(value, lookalike)
}

/// A note per text value, from `note` (null where it has none or the value
/// is null); runs only on the set-aside rows a reason is built for.
fn note_of(value: Expr, note: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Expr {
    map_multiple(
        move |columns: &mut [Column]| {
            let notes: StringChunked = columns[0]
                .str()?
                .iter()
                .map(|v| v.and_then(&note))
                .collect();
            Ok(notes.with_name("note".into()).into_column())
        },
        [value],
        |_, _| Ok(Field::new("note".into(), DataType::String)),
    )
}

/// Why `value` may not be what it looks like: an invisible character, or
/// Latin letters beside Cyrillic ones (Cyrillic «е» in `sch1е`).
fn lookalike(value: &str) -> Option<String> {
    if let Some(c) = value.chars().find(|c| is_invisible(*c)) {
        return Some(format!(" (в значении невидимый символ U+{:04X})", c as u32));
    }
    let cyrillic = |c: &char| ('\u{0400}'..='\u{04FF}').contains(c);
    let latin = value.chars().any(|c| c.is_ascii_alphabetic());
    let mut letters: Vec<char> = value.chars().filter(cyrillic).collect();
    letters.dedup();
    if !latin || letters.is_empty() {
        return None;
    }
    let letters: Vec<String> = letters.iter().map(|c| format!("«{c}»")).collect();
    Some(format!(
        " (латиница вперемешку с кириллицей; кириллические буквы: {})",
        letters.join(", ")
    ))
}

fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00A0}' | '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(frame: DataFrame, reason: Expr) -> Vec<String> {
        let out = frame.lazy().select([reason.alias("r")]).collect().unwrap();
        let r = out.column("r").unwrap().str().unwrap().clone();
        r.iter().map(|v| v.unwrap_or("").to_string()).collect()
    }

    #[test]
    fn personal_values_show_only_when_short_or_shared_by_three_people() {
        let frame = df!(
            "v" => ["P000123", "P000123", "P000123", "н/я", "sch9", "sch9", "sch9"],
            PERSON => ["a", "a", "a", "b", "c", "d", "e"],
        )
        .unwrap();
        let got = reasons(frame, quoted_as("x ", col("v"), ".", Values::Personal));
        // One participant with three rows is still one person: hidden.
        assert!(
            got[0].starts_with("x (значение скрыто, знаков: 7;"),
            "{got:?}"
        );
        assert!(!got[0].contains("P000123"));
        assert_eq!(got[3], "x «н/я».");
        assert_eq!(got[4], "x «sch9».");
    }

    #[test]
    fn lookalike_values_are_said_so() {
        assert_eq!(
            lookalike("sch1\u{0435}"),
            Some(" (латиница вперемешку с кириллицей; кириллические буквы: «е»)".into())
        );
        assert_eq!(
            lookalike("sch1\u{200b}"),
            Some(" (в значении невидимый символ U+200B)".into())
        );
        assert_eq!(lookalike("sch1"), None);
        assert_eq!(lookalike("школа 1"), None);
    }

    #[test]
    fn an_id_written_with_lookalikes_points_at_the_registry_id() {
        let mut folded = HashMap::new();
        folded.insert(fold("sch1e"), "sch1e".to_string());
        assert_eq!(
            like_registry("ѕсh1е", &folded),
            Some(
                " (похож на «sch1e» из реестра, но отличается символами: «ѕ» U+0455, «с» U+0441, \
                 «е» U+0435)"
                    .into()
            )
        );
        assert_eq!(like_registry("sch1e", &folded), None);
        assert_eq!(like_registry("sch2e", &folded), None);
    }
}
