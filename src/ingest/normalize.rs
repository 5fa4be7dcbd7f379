//! Canonical names for the values analysts type in many ways: assessments
//! (ВПР/VPR/впр), subjects («математика (профильная)», «профильная
//! математика»…) and column headers.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The subject spellings table shipped with the tool (canonical, alias).
const SUBJECT_ALIASES: &str = include_str!("../../reference/subjects.csv");

/// The header spellings of ФИС ОКО and РЦОИ exports (canonical, alias).
const HEADER_ALIASES: &str = include_str!("../../reference/headers.csv");

fn alias_table(text: &'static str) -> HashMap<String, String> {
    text.lines()
        .skip(1)
        .filter_map(|line| line.split_once(','))
        .map(|(canonical, alias)| (comparison_key(alias), canonical.trim().to_string()))
        .collect()
}

/// The assessments the tool knows and their spellings (canonical, alias),
/// compared in lower case without punctuation (`ГИА-9` = `гиа9`).
const ASSESSMENT_ALIASES: &str = include_str!("../../reference/assessments.csv");

fn assessment_key(raw: &str) -> String {
    raw.trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn assessment_aliases() -> &'static HashMap<String, String> {
    static TABLE: OnceLock<HashMap<String, String>> = OnceLock::new();
    TABLE.get_or_init(|| {
        ASSESSMENT_ALIASES
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(','))
            .flat_map(|(canonical, alias)| {
                let canonical = canonical.trim().to_string();
                [
                    (assessment_key(alias), canonical.clone()),
                    (assessment_key(&canonical), canonical),
                ]
            })
            .collect()
    })
}

/// Canonical assessment code (reference/assessments.csv) for any usual
/// spelling; None for one the table does not know.
pub fn normalize_assessment(raw: &str) -> Option<&'static str> {
    assessment_aliases()
        .get(&assessment_key(raw))
        .map(String::as_str)
}

/// The assessment a text names: one of its words («ВПР 2021»), or a spelling
/// of several words it contains («Всероссийские проверочные работы 2021»).
pub fn assessment_in_text(text: &str) -> Option<&'static str> {
    let key = comparison_key(text);
    if let Some(found) = key.split(' ').find_map(normalize_assessment) {
        return Some(found);
    }
    let padded = format!(" {key} ");
    ASSESSMENT_ALIASES
        .lines()
        .skip(1)
        .filter_map(|line| line.split_once(','))
        .find(|(_, alias)| {
            alias.contains(' ') && padded.contains(&format!(" {} ", comparison_key(alias)))
        })
        .and_then(|(canonical, _)| normalize_assessment(canonical))
}

/// The canonical assessments, in the table's order, for messages.
pub fn known_assessments() -> Vec<&'static str> {
    let mut known: Vec<&'static str> = Vec::new();
    for line in ASSESSMENT_ALIASES.lines().skip(1) {
        if let Some((canonical, _)) = line.split_once(',')
            && !known.contains(&canonical.trim())
        {
            known.push(canonical.trim());
        }
    }
    known
}

/// Lower case, ё→е, punctuation to spaces, single spaces: the form in which
/// two spellings of one name are compared.
pub fn comparison_key(raw: &str) -> String {
    let lowered = raw.trim().to_lowercase().replace('ё', "е");
    let spaced: String = lowered
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn subject_aliases() -> &'static HashMap<String, String> {
    static TABLE: OnceLock<HashMap<String, String>> = OnceLock::new();
    TABLE.get_or_init(|| alias_table(SUBJECT_ALIASES))
}

/// The canonical column a header stands for, when it is a known spelling
/// (reference/headers.csv): «Логин», «Код ОО» → school_id; «% «2»» →
/// fail_percent. Case, ё/е, spaces and punctuation do not matter.
pub fn known_column(raw: &str) -> Option<&'static str> {
    static TABLE: OnceLock<HashMap<String, String>> = OnceLock::new();
    TABLE
        .get_or_init(|| alias_table(HEADER_ALIASES))
        .get(&comparison_key(raw.trim_start_matches('\u{feff}')))
        .map(String::as_str)
}

/// The name a column gets: its canonical name when the header is a known
/// spelling, otherwise the header in snake case.
pub fn canonical_column(raw: &str) -> String {
    known_column(raw)
        .map(str::to_string)
        .unwrap_or_else(|| normalize_column(raw))
}

/// Canonical subject name: a known spelling maps to its canonical name
/// (reference/subjects.csv); an unknown subject keeps its comparison key, so
/// that «Астрономия» and «астрономия » still meet.
pub fn normalize_subject(raw: &str) -> String {
    let key = comparison_key(raw);
    subject_aliases().get(&key).cloned().unwrap_or(key)
}

/// True when `subject` is a canonical subject of `reference/subjects.csv`.
pub fn is_known_subject(subject: &str) -> bool {
    subject_aliases().values().any(|s| s == subject)
}

/// Canonical column name: lower case, trimmed, BOM and quotes removed, inner
/// spaces and dashes as underscores.
pub fn normalize_column(raw: &str) -> String {
    let trimmed = raw.trim_start_matches('\u{feff}').trim().trim_matches('"');
    trimmed
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assessments_in_any_case_and_script() {
        for raw in ["ВПР", "впр", " VPR ", "vpr"] {
            assert_eq!(normalize_assessment(raw), Some("ВПР"));
        }
        assert_eq!(normalize_assessment("Ege"), Some("ЕГЭ"));
        assert_eq!(normalize_assessment("ОГЭ"), Some("ОГЭ"));
        assert_eq!(normalize_assessment("ГИА-9"), Some("ОГЭ"));
        assert_eq!(normalize_assessment("олимпиада"), None);
    }

    #[test]
    fn profile_mathematics_spellings_meet() {
        for raw in [
            "математика (профильная)",
            "Математика профильного уровня",
            "профильная математика",
            "  МАТЕМАТИКА  (ПРОФИЛЬНАЯ) ",
        ] {
            assert_eq!(normalize_subject(raw), "математика (профильная)", "{raw}");
        }
        assert_eq!(
            normalize_subject("Базовая математика"),
            "математика (базовая)"
        );
    }

    #[test]
    fn yo_and_case_are_ignored_for_unknown_subjects() {
        assert_eq!(
            normalize_subject("Основы Учёбы"),
            normalize_subject("основы учебы")
        );
        assert_eq!(normalize_subject("Русский язык"), "русский язык");
        assert_eq!(normalize_subject("русский"), "русский язык");
    }

    #[test]
    fn russian_export_headers_are_recognised() {
        assert_eq!(canonical_column("Логин"), "school_id");
        assert_eq!(canonical_column("Код ОО"), "school_id");
        assert_eq!(canonical_column("Наименование ОО"), "school_name");
        assert_eq!(canonical_column("МО"), "municipality");
        assert_eq!(canonical_column("Кол-во участников"), "participants");
        assert_eq!(canonical_column("% «2»"), "fail_percent");
        assert_eq!(canonical_column("2"), "fail_percent");
        assert_eq!(canonical_column("Первичный балл"), "score");
        assert_eq!(canonical_column("Тестовый  балл"), "score");
        assert_eq!(canonical_column("ОТМЕТКА"), "mark");
        assert_eq!(canonical_column("Учебный предмет"), "subject");
        assert_eq!(canonical_column("ovz_share"), "ovz_share");
        assert_eq!(canonical_column("Доля детей с ОВЗ"), "доля_детей_с_овз");
    }

    #[test]
    fn columns_lose_bom_case_and_spaces() {
        assert_eq!(normalize_column("\u{feff}School_ID "), "school_id");
        assert_eq!(normalize_column("Fail Percent"), "fail_percent");
    }
}
