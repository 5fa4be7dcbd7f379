//! Each shipped preset on purpose-built data: it lists exactly the schools its
//! rule says. Also the other parts of the rule language: exclusions, ШНСУ
//! normalisations, reference groups and bands.

mod common;

use common::*;
use polars::prelude::*;
use shnor::methodology::{DEFAULT_METHODOLOGY, LoadedMethodology, PRESETS};

const RU: &str = "русский язык";
const MA: &str = "математика";
const PROFILE: &str = "математика (профильная)";
const BASE: &str = "математика (базовая)";

#[test]
fn every_preset_loads_and_states_its_source_and_assumptions() {
    for (name, _) in PRESETS {
        let m = preset(name);
        assert_eq!(m.rule.name, *name);
        assert!(!m.rule.source.is_empty(), "{name} has no source");
        assert!(
            !m.rule.assumptions.is_empty(),
            "{name} states no assumptions"
        );
    }
}

/// Where OR and AND differ: one school meets only condition A, one only B,
/// one both.
#[test]
fn federal_presets_differ_exactly_where_or_and_and_differ() {
    let rows = [
        ("only_a", 2025, "ВПР", RU, 5, 20, 8),
        ("only_a", 2025, "ВПР", MA, 5, 20, 8),
        ("only_b", 2024, "ОГЭ", RU, 9, 20, 8),
        ("only_b", 2025, "ОГЭ", RU, 9, 20, 8),
        ("both", 2024, "ВПР", RU, 6, 20, 8),
        ("both", 2025, "ВПР", RU, 6, 20, 8),
        ("both", 2025, "ЕГЭ", PROFILE, 11, 10, 3),
        ("neither", 2025, "ВПР", RU, 5, 20, 5),
    ];
    let or = run(&rows, &[], &preset("federal-2025"));
    assert_eq!(shnor_list(&or), ["both", "only_a", "only_b"]);
    let and = run(&rows, &[], &preset("federal-2025-strict"));
    assert_eq!(shnor_list(&and), ["both"]);
}

/// Kuzbass 2022: 2019 and 2021 (2020 absent), Russian and mathematics, any
/// counting procedure in each of the two years.
#[test]
fn kuzbass_uses_2019_and_2021_across_the_gap() {
    let rows = [
        // Counting in 2019 and 2021, different procedures: listed.
        ("a", 2019, "ВПР", MA, 5, 20, 8),
        ("a", 2021, "ОГЭ", RU, 9, 20, 8),
        // Only 2021: not listed.
        ("b", 2021, "ВПР", RU, 5, 20, 8),
        ("b", 2021, "ВПР", MA, 5, 20, 8),
        // Both years, but physics is not in the rule's subjects.
        ("c", 2019, "ЕГЭ", "физика", 11, 20, 8),
        ("c", 2021, "ЕГЭ", "физика", 11, 20, 8),
        // ЕГЭ base and profile mathematics are mathematics.
        ("d", 2019, "ЕГЭ", BASE, 11, 10, 3),
        ("d", 2021, "ЕГЭ", PROFILE, 11, 10, 3),
        // 2022 results exist but are not part of this list.
        ("e", 2021, "ВПР", RU, 6, 20, 8),
        ("e", 2022, "ВПР", RU, 6, 20, 8),
        // A school that only failed in 2018 (outside the rule's years).
        ("f", 2018, "ВПР", RU, 6, 20, 8),
        ("f", 2021, "ВПР", RU, 6, 20, 8),
    ];
    let c = run(&rows, &[], &preset("kuzbass-2022"));
    assert_eq!(c.years.selected, [2019, 2021]);
    assert_eq!(c.years.current, 2021);
    assert_eq!(c.years.previous, Some(2019));
    assert_eq!(shnor_list(&c), ["a", "d"]);
}

#[test]
fn kuzbass_refuses_data_without_its_years() {
    let m = preset("kuzbass-2022");
    let err = shnor::classify::choose_years(&[2021, 2022], &[], &m).unwrap_err();
    assert!(
        err.to_string().contains("называет в shnor.years годы 2019"),
        "{err}"
    );
}

/// HSE: ЕГЭ Russian and mathematics (profile or base) failed in each of the
/// last three years.
#[test]
fn hse_needs_russian_and_maths_in_each_of_three_years() {
    let mut rows = Vec::new();
    for year in [2023, 2024, 2025] {
        // "all": Russian and profile maths every year.
        rows.push(("all", year, "ЕГЭ", RU, 11, 10, 4));
        rows.push(("all", year, "ЕГЭ", PROFILE, 11, 10, 4));
        // "base": base maths instead of profile in one year — still maths.
        rows.push(("base", year, "ЕГЭ", RU, 11, 10, 4));
        rows.push((
            "base",
            year,
            "ЕГЭ",
            if year == 2024 { BASE } else { PROFILE },
            11,
            10,
            4,
        ));
        // "no_maths_2024": maths fine in 2024.
        rows.push(("no_maths_2024", year, "ЕГЭ", RU, 11, 10, 4));
        rows.push((
            "no_maths_2024",
            year,
            "ЕГЭ",
            PROFILE,
            11,
            10,
            if year == 2024 { 1 } else { 4 },
        ));
        // "vpr": ВПР failing everywhere does not matter to this rule.
        rows.push(("vpr", year, "ВПР", RU, 5, 20, 10));
        rows.push(("vpr", year, "ВПР", MA, 5, 20, 10));
    }
    // "two_years": failing only in the last two.
    for year in [2024, 2025] {
        rows.push(("two_years", year, "ЕГЭ", RU, 11, 10, 4));
        rows.push(("two_years", year, "ЕГЭ", PROFILE, 11, 10, 4));
    }
    // An older failing year is outside "the last 3".
    rows.push(("two_years", 2022, "ЕГЭ", RU, 11, 10, 4));
    rows.push(("two_years", 2022, "ЕГЭ", PROFILE, 11, 10, 4));
    let c = run(&rows, &[], &preset("hse-ege-3y"));
    assert_eq!(c.years.selected, [2023, 2024, 2025]);
    assert_eq!(shnor_list(&c), ["all", "base"]);
}

fn methodology(edit: impl Fn(String) -> String) -> LoadedMethodology {
    LoadedMethodology::parse(&edit(DEFAULT_METHODOLOGY.to_string()), "test").unwrap()
}

#[test]
fn excluded_school_kinds_are_never_listed_but_keep_their_reasons() {
    let rows = [
        ("evening", 2025, "ВПР", RU, 5, 20, 8),
        ("evening", 2025, "ВПР", MA, 5, 20, 8),
        ("regular", 2025, "ВПР", RU, 5, 20, 8),
        ("regular", 2025, "ВПР", MA, 5, 20, 8),
    ];
    let m = methodology(|t| {
        t.replace(
            "exclude_school_kinds = []",
            "exclude_school_kinds = [\"Вечерняя\"]",
        )
    });
    let c = run_with(&rows, &[], &[("evening", "вечерняя")], &[], &m);
    assert_eq!(shnor_list(&c), ["regular"]);
    let reasons = c
        .shnor
        .clone()
        .lazy()
        .filter(col("school_id").eq(lit("evening")))
        .collect()
        .unwrap();
    let text = reasons
        .column("reasons")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .unwrap()
        .to_string();
    assert!(
        text.starts_with("исключена методикой (вид ОО: вечерняя)"),
        "{text}"
    );
}

/// Three schools; ovz 0.1, 0.2, 0.4.
fn one_indicator() -> Vec<(&'static str, &'static str, f64)> {
    vec![
        ("a", "ovz_share", 0.1),
        ("b", "ovz_share", 0.2),
        ("c", "ovz_share", 0.4),
    ]
}

fn score(c: &shnor::classify::Classification, id: &str) -> f64 {
    f64_of(&c.shnsu, id, "risk_score").unwrap()
}

#[test]
fn min_max_and_percentile_normalisations() {
    let m = methodology(|t| t.replace("normalisation = \"zscore\"", "normalisation = \"min_max\""));
    let c = run(&[], &one_indicator(), &m);
    assert!((score(&c, "a") - 0.0).abs() < 1e-12);
    assert!((score(&c, "b") - 1.0 / 3.0).abs() < 1e-12);
    assert!((score(&c, "c") - 1.0).abs() < 1e-12);
    let m = methodology(|t| {
        t.replace(
            "normalisation = \"zscore\"",
            "normalisation = \"percentile\"",
        )
    });
    let c = run(&[], &one_indicator(), &m);
    assert!((score(&c, "a") - 0.0).abs() < 1e-12);
    assert!((score(&c, "b") - 0.5).abs() < 1e-12);
    assert!((score(&c, "c") - 1.0).abs() < 1e-12);
}

#[test]
fn settlement_type_reference_group_standardises_within_the_group() {
    // Urban a, b and rural c, d: within each group the higher value scores +1.
    let survey = [
        ("a", "ovz_share", 0.1),
        ("b", "ovz_share", 0.2),
        ("c", "ovz_share", 0.5),
        ("d", "ovz_share", 0.7),
    ];
    let settlements = [
        ("a", "urban"),
        ("b", "urban"),
        ("c", "rural"),
        ("d", "rural"),
    ];
    let m = methodology(|t| {
        t.replace(
            "reference_group = \"region\"",
            "reference_group = \"settlement_type\"",
        )
    });
    let c = run_with(&[], &survey, &[], &settlements, &m);
    for (id, z) in [("a", -1.0), ("b", 1.0), ("c", -1.0), ("d", 1.0)] {
        assert!((score(&c, id) - z).abs() < 1e-12, "{id}: {}", score(&c, id));
    }
}

#[test]
fn bands_label_schools_and_list_the_marked_ones() {
    let m = methodology(|t| {
        t.replace("cut = \"top_share\"", "cut = \"bands\"")
            + "\n[[shnsu.bands]]\nlabel = \"высокий\"\nmin_score = 1.0\nlisted = true\n\
               \n[[shnsu.bands]]\nlabel = \"повышенный\"\nmin_score = 0.0\nlisted = false\n"
    });
    // z-scores: a = −1.069, b = −0.267, c = 1.336.
    let c = run(&[], &one_indicator(), &m);
    let band = |id: &str| {
        let row = c
            .shnsu
            .clone()
            .lazy()
            .filter(col("school_id").eq(lit(id)))
            .collect()
            .unwrap();
        row.column("risk_band")
            .unwrap()
            .str()
            .unwrap()
            .get(0)
            .map(str::to_string)
    };
    assert_eq!(band("c").as_deref(), Some("высокий"));
    assert_eq!(band("b"), None);
    assert!(flag(&c.shnsu, "c", "is_shnsu"));
    assert!(!flag(&c.shnsu, "b", "is_shnsu"));
}

#[test]
fn extends_overrides_only_what_it_names() {
    let m = LoadedMethodology::parse(
        "extends = \"federal-2025\"\nname = \"mine\"\n[shnor]\nmin_participants = 5\n",
        "test",
    )
    .unwrap();
    let base = preset("federal-2025");
    assert_eq!(m.rule.name, "mine");
    assert_eq!(m.rule.shnor.min_participants, 5);
    assert_eq!(m.rule.shnor.conditions, base.rule.shnor.conditions);
    assert_eq!(m.rule.shnsu, base.rule.shnsu);
}
