//! The dictionary of social-passport indicators (`reference/indicators.toml`):
//! canonical names, the wordings real passports use, each indicator's
//! direction, unit and risk factor. A survey column is matched to an entry by
//! its header, tolerant of case, ё/е, punctuation, word order and endings.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::normalize::comparison_key;

const DICTIONARY: &str = include_str!("../../reference/indicators.toml");

/// Which way an indicator points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pointing {
    /// More is worse.
    Risk,
    /// More is better.
    Protective,
    /// A fact about the school, not part of the index.
    Descriptive,
}

/// What an indicator's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// 0–1 (percentages 0–100 are converted).
    Share,
    Count,
    /// Per student, hours, kilometres.
    Ratio,
    /// да/нет.
    Binary,
    /// The code of a questionnaire answer.
    Ordinal,
}

/// One dictionary entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub name: String,
    pub label: String,
    pub direction: Pointing,
    pub unit: Unit,
    pub factor: String,
    pub patterns: Vec<String>,
    /// A total that other counts are divided by (the number of students):
    /// it stands for a header only when no other entry does, so that
    /// «Численность обучающихся с ОВЗ» is the ОВЗ count, not the total.
    #[serde(default)]
    pub fallback: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Dictionary {
    factors: std::collections::BTreeMap<String, String>,
    indicator: Vec<Indicator>,
    derived: Vec<Derived>,
}

/// A share the dictionary derives from counts: the sum of `count` over the
/// sum of `of`, when a survey has all of them and not the share itself.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Derived {
    pub name: String,
    pub count: Vec<String>,
    pub of: Vec<String>,
}

/// The shares derived from counts.
pub fn derived() -> &'static [Derived] {
    &parsed().derived
}

fn parsed() -> &'static Dictionary {
    static PARSED: OnceLock<Dictionary> = OnceLock::new();
    PARSED.get_or_init(|| toml::from_str(DICTIONARY).expect("reference/indicators.toml parses"))
}

/// Every indicator, as shipped.
pub fn dictionary() -> &'static [Indicator] {
    &parsed().indicator
}

/// The Russian label of a risk factor («500+»), or the code itself.
pub fn factor_label(code: &str) -> &str {
    parsed().factors.get(code).map_or(code, String::as_str)
}

/// True for a header that gives a number of people, not a share:
/// «Количество обучающихся с ОВЗ», «Численность детей-инвалидов» — but not
/// «Численность/удельный вес …» or «… (%)», which carry the share.
pub fn counts_people(header: &str) -> bool {
    let key = comparison_key(header);
    let mut words = key.split(' ');
    let counted = words
        .next()
        .is_some_and(|w| w.starts_with("колич") || w.starts_with("числ"));
    counted
        && !header.contains('%')
        && !key
            .split(' ')
            .any(|w| w.starts_with("дол") || w.starts_with("удельн") || w.starts_with("процент"))
}

/// The entry a survey header stands for: its canonical name, or the entry
/// with the longest wording (in letters) whose words all begin words of the
/// header. `None` when nothing matches or two entries match equally well.
pub fn recognise(header: &str) -> Option<&'static Indicator> {
    let key = comparison_key(header);
    if let Some(exact) = dictionary().iter().find(|i| comparison_key(&i.name) == key) {
        return Some(exact);
    }
    let words: Vec<&str> = key.split(' ').collect();
    best_match(&words, false).or_else(|| best_match(&words, true))
}

/// The entry (a total when `fallback`) with the longest matching wording;
/// `None` on a tie.
fn best_match(words: &[&str], fallback: bool) -> Option<&'static Indicator> {
    let mut best: Option<(usize, &'static Indicator)> = None;
    let mut tied = false;
    for indicator in dictionary().iter().filter(|i| i.fallback == fallback) {
        let Some(length) = indicator
            .patterns
            .iter()
            .filter(|p| matches(p, words))
            .map(|p| p.chars().filter(|c| c.is_alphanumeric()).count())
            .max()
        else {
            continue;
        };
        match best {
            Some((b, _)) if length < b => {}
            Some((b, _)) if length == b => tied = true,
            _ => {
                best = Some((length, indicator));
                tied = false;
            }
        }
    }
    best.filter(|_| !tied).map(|(_, i)| i)
}

/// True when each word of `pattern` begins a word of the header; a word of
/// up to three letters («овз», «1», «не») must be a whole word.
fn matches(pattern: &str, words: &[&str]) -> bool {
    comparison_key(pattern).split(' ').all(|p| {
        words.iter().any(|w| {
            if p.chars().count() <= 3 {
                *w == p
            } else {
                w.starts_with(p)
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(header: &str) -> Option<&'static str> {
        recognise(header).map(|i| i.name.as_str())
    }

    #[test]
    fn a_count_of_some_pupils_is_that_indicator_and_the_total_only_alone() {
        assert_eq!(name("Численность обучающихся с ОВЗ"), Some("ovz_share"));
        assert_eq!(
            name("Количество обучающихся из многодетных семей"),
            Some("large_family_share")
        );
        assert_eq!(
            name("Количество учителей-совместителей"),
            Some("part_time_teachers_share")
        );
        assert_eq!(name("Численность обучающихся"), Some("students_count"));
        assert_eq!(name("Количество учителей"), Some("teachers_count"));
        assert!(counts_people("Количество обучающихся с ОВЗ"));
        assert!(counts_people("Число детей-инвалидов"));
        assert!(!counts_people(
            "Численность/удельный вес педагогических работников"
        ));
        assert!(!counts_people("Количество обучающихся с ОВЗ, %"));
        assert!(!counts_people("Доля обучающихся с ОВЗ"));
    }

    #[test]
    fn the_wordings_of_a_municipal_passport_are_recognised() {
        // The passport table «Сведения об участниках образовательного процесса».
        for (header, expected) in [
            (
                "Доля учителей с 1 квалификационной категорией",
                "teachers_first_category_share",
            ),
            (
                "Доля учителей с высшей квалификационной категорией",
                "teachers_top_category_share",
            ),
            (
                "Доля учителей с высшим педагогическим образованием",
                "teachers_higher_ped_ed_share",
            ),
            (
                "Доля учителей, прошедших программы повышения квалификации с получением свидетельства",
                "teachers_training_share",
            ),
            (
                "Доля обучающихся с ограниченными возможностями здоровья, в том числе по программам 7-го и 8-го вида",
                "ovz_share",
            ),
            (
                "Доля обучающихся, являющихся детьми-инвалидами",
                "disabled_share",
            ),
            (
                "Доля обучающихся, состоящих на учете с алко/ наркозависимостью",
                "addiction_registered_share",
            ),
            (
                "Доля обучающихся, состоящих на внутришкольном и других видах учета (ОДН, КДН и ЗП)",
                "registered_share",
            ),
            (
                "Доля обучающихся, воспитывающихся в многодетных семьях",
                "large_family_share",
            ),
            (
                "Доля обучающихся, воспитывающихся в неполных семьях",
                "single_parent_share",
            ),
            (
                "Доля обучающихся из семей, где оба родителя имеют высшее образование",
                "parents_higher_ed_share",
            ),
            (
                "Доля обучающихся из семей, где один родитель имеет высшее образование",
                "one_parent_higher_ed_share",
            ),
            (
                "Доля обучающихся, воспитывающихся в семьях, где оба родителя являются безработными",
                "unemployed_parents_share",
            ),
            (
                "Доля обучающихся, воспитывающихся в семьях, где единственный родитель является безработным",
                "single_unemployed_parent_share",
            ),
            (
                "Доля обучающихся воспитывающихся в семьях, где родители (один родитель) являются инвалидами",
                "parents_disabled_share",
            ),
            (
                "Доля обучающихся, проживающих в неблагоустроенных помещениях",
                "poor_housing_share",
            ),
            (
                "Доля обучающихся, для которых русский язык не является родным",
                "non_native_russian_share",
            ),
            ("Доля обучающихся, находящихся на подвозе", "bussed_share"),
            (
                "Доля обучающихся, чья семья сменила место жительства/страну или регион",
                "moved_region_share",
            ),
            (
                "Численность / удельный вес численности педагогических работников, имеющих высшее образование, в общей численности педагогических работников",
                "teachers_higher_ed_share",
            ),
            (
                "Численность / удельный вес численности педагогических работников, имеющих высшее образование педагогической направленности (профиля), в общей численности педагогических работников",
                "teachers_higher_ped_ed_share",
            ),
            (
                "Количество компьютеров в расчёте на одного учащегося",
                "computers_per_student",
            ),
            ("ovz_share", "ovz_share"),
            ("ДОЛЯ ДЕТЕЙ С ОВЗ", "ovz_share"),
        ] {
            assert_eq!(name(header), Some(expected), "{header}");
        }
        assert_eq!(name("Количество кружков"), None);
    }

    #[test]
    fn every_entry_has_a_known_factor_and_finds_itself() {
        assert_eq!(parsed().factors.len(), 11, "ten «500+» factors and context");
        for i in dictionary() {
            assert!(
                parsed().factors.contains_key(&i.factor),
                "{}: {}",
                i.name,
                i.factor
            );
            assert_eq!(name(&i.name), Some(i.name.as_str()));
        }
    }
}
