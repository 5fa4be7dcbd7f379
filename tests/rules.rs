//! The rules, tested on small hand-made tables through the methodology's SQL:
//! the 30 % boundary, min_participants, OR versus AND, the ШНСУ index.

mod common;

use common::*;
use polars::prelude::*;
use shnor::classify::Classification;
use shnor::methodology::{DEFAULT_METHODOLOGY, LoadedMethodology};

const RU: &str = "русский язык";
const MA: &str = "математика";

#[test]
fn exactly_thirty_percent_counts_and_just_below_does_not() {
    let c = run(
        &[
            ("at", CURRENT, "ВПР", RU, 5, 10, 3),
            ("at", CURRENT, "ВПР", MA, 5, 20, 6),
            ("below", CURRENT, "ВПР", RU, 5, 7, 2),
            ("below", CURRENT, "ВПР", MA, 5, 1000, 299),
        ],
        &[],
        &methodology(|t| t.replace("min_participants = 10", "min_participants = 1")),
    );
    assert!(is_shnor(&c, "at"), "3 of 10 and 6 of 20 are exactly 30 %");
    assert!(
        !is_shnor(&c, "below"),
        "2 of 7 and 299 of 1000 are below 30 %"
    );
    assert!(flag(&c.procedures, "at", "counts"));
}

#[test]
fn strict_comparison_excludes_the_boundary() {
    let c = run(
        &[
            ("at", CURRENT, "ВПР", RU, 10, 10, 3),
            ("at", CURRENT, "ВПР", MA, 5, 10, 3),
        ],
        &[],
        &methodology(|t| t.replace("comparison = \">=\"", "comparison = \">\"")),
    );
    assert!(!is_shnor(&c, "at"));
}

#[test]
fn procedures_below_min_participants_do_not_count() {
    let rows = [
        ("small", CURRENT, "ВПР", RU, 5, 9, 9),
        ("small", CURRENT, "ВПР", MA, 5, 9, 9),
        ("ten", CURRENT, "ВПР", RU, 5, 10, 3),
        ("ten", CURRENT, "ВПР", MA, 5, 10, 3),
    ];
    let c = run(&rows, &[], &methodology(|t| t));
    assert!(
        !is_shnor(&c, "small"),
        "9 participants is below the default minimum of 10"
    );
    assert!(is_shnor(&c, "ten"));
    let c = run(
        &rows,
        &[],
        &methodology(|t| t.replace("min_participants = 10", "min_participants = 9")),
    );
    assert!(is_shnor(&c, "small"));
}

fn or_and_rows() -> Vec<Procedure> {
    vec![
        // Two counting procedures now, none before.
        ("two_now", CURRENT, "ВПР", RU, 5, 20, 8),
        ("two_now", CURRENT, "ВПР", MA, 5, 20, 8),
        // One procedure counting in both years.
        ("repeat", PREVIOUS, "ВПР", RU, 6, 20, 8),
        ("repeat", CURRENT, "ВПР", RU, 6, 20, 8),
        // Both.
        ("both", PREVIOUS, "ВПР", RU, 4, 20, 8),
        ("both", CURRENT, "ВПР", RU, 4, 20, 8),
        ("both", CURRENT, "ОГЭ", MA, 9, 20, 8),
        // A repeat across different grades is not the same procedure.
        ("other_grade", PREVIOUS, "ВПР", RU, 5, 20, 8),
        ("other_grade", CURRENT, "ВПР", RU, 6, 20, 8),
        // An older year is not the previous year.
        ("old", 2023, "ВПР", RU, 5, 20, 8),
        ("old", CURRENT, "ВПР", RU, 5, 20, 8),
    ]
}

#[test]
fn or_lists_either_condition() {
    let c = run(&or_and_rows(), &[], &methodology(|t| t));
    assert!(is_shnor(&c, "two_now"));
    assert!(is_shnor(&c, "repeat"));
    assert!(is_shnor(&c, "both"));
    assert!(!is_shnor(&c, "other_grade"));
    assert!(!is_shnor(&c, "old"));
}

#[test]
fn and_needs_both_conditions() {
    let c = run(
        &or_and_rows(),
        &[],
        &methodology(|t| t.replace("combine = \"or\"", "combine = \"and\"")),
    );
    assert!(!is_shnor(&c, "two_now"));
    assert!(!is_shnor(&c, "repeat"));
    assert!(is_shnor(&c, "both"));
}

#[test]
fn scope_limits_assessments_and_subjects() {
    let rows = [
        ("s", CURRENT, "ОГЭ", RU, 9, 20, 8),
        ("s", CURRENT, "ОГЭ", "физика", 9, 20, 8),
    ];
    assert!(is_shnor(&run(&rows, &[], &methodology(|t| t)), "s"));
    let only_vpr = methodology(|t| {
        t.replace(
            "assessments = [\"ВПР\", \"ОГЭ\", \"ЕГЭ\"]",
            "assessments = [\"VPR\"]",
        )
    });
    assert!(!is_shnor(&run(&rows, &[], &only_vpr), "s"));
    let ru_ma = methodology(|t| {
        t.replace(
            "subjects = []",
            "subjects = [\"Русский язык\", \"математика\"]",
        )
    });
    assert!(!is_shnor(&run(&rows, &[], &ru_ma), "s"));
}

#[test]
fn reasons_name_the_procedures_and_shares() {
    let c = run(&or_and_rows(), &[], &methodology(|t| t));
    let reasons = c.shnor.column("reasons").unwrap().str().unwrap().clone();
    let ids = c.shnor.column("school_id").unwrap().str().unwrap().clone();
    let at = ids.iter().position(|v| v == Some("both")).unwrap();
    let text = reasons.get(at).unwrap();
    assert!(
        text.contains("ОГЭ математика 9 кл. 2025: 40,0 % (8 из 20)"),
        "{text}"
    );
    assert!(
        text.contains(
            "та же процедура два года подряд: ВПР русский язык 4 кл. 2024: 40,0 % (8 из 20); \
             ВПР русский язык 4 кл. 2025: 40,0 % (8 из 20)"
        ),
        "{text}"
    );
}

/// Three schools, two risk indicators and one protective one.
fn survey_rows() -> Vec<(&'static str, &'static str, f64)> {
    vec![
        ("a", "ovz_share", 0.30),
        ("b", "ovz_share", 0.10),
        ("c", "ovz_share", 0.20),
        ("a", "poor_housing_share", 0.40),
        ("b", "poor_housing_share", 0.00),
        ("c", "poor_housing_share", 0.20),
        ("a", "parents_higher_ed_share", 0.10),
        ("b", "parents_higher_ed_share", 0.50),
        ("c", "parents_higher_ed_share", 0.30),
        // "d" lacks two indicators: scored on the one it has.
        ("d", "ovz_share", 0.30),
    ]
}

#[test]
fn risk_score_is_the_mean_of_signed_population_z_scores() {
    let c = run(&[], &survey_rows(), &methodology(|t| t));
    // ovz over a, b, c, d: mean 0.225, population sd = sqrt(0.006875).
    let sd_ovz = 0.006875f64.sqrt();
    let z_ovz_a = (0.30 - 0.225) / sd_ovz;
    // poor housing over a, b, c: mean 0.2, population sd = sqrt(0.08/3).
    let z_housing_a = (0.40 - 0.2) / (0.08f64 / 3.0).sqrt();
    // higher education is protective: its z enters with the sign reversed.
    let z_higher_a = (0.10 - 0.3) / (0.08f64 / 3.0).sqrt();
    let expected_a = (z_ovz_a + z_housing_a - z_higher_a) / 3.0;
    let a = f64_of(&c.shnsu, "a", "risk_score").unwrap();
    assert!((a - expected_a).abs() < 1e-9, "{a} vs {expected_a}");
    let b = f64_of(&c.shnsu, "b", "risk_score").unwrap();
    assert!(b < 0.0, "b has the best conditions: {b}");
    // A missing indicator: d is scored on ovz alone.
    let d = f64_of(&c.shnsu, "d", "risk_score").unwrap();
    assert!((d - z_ovz_a).abs() < 1e-9, "{d}");
}

#[test]
fn direction_setting_reverses_an_indicator() {
    let m = methodology(|t| {
        t.replace(
            "[shnsu.directions]",
            "[shnsu.directions]\nparents_higher_ed_share = \"risk\"",
        )
    });
    let c = run(&[], &survey_rows(), &m);
    let reversed = f64_of(&c.shnsu, "a", "risk_score").unwrap();
    let c = run(&[], &survey_rows(), &methodology(|t| t));
    let default = f64_of(&c.shnsu, "a", "risk_score").unwrap();
    assert!(reversed < default);
}

#[test]
fn top_share_is_rounded_up_and_ties_go_by_school_id() {
    // 4 scored schools, top 10 % → ceil(0.4) = 1 school; 30 % → ceil(1.2) = 2.
    let c = run(&[], &survey_rows(), &methodology(|t| t));
    let listed: Vec<bool> = ["a", "b", "c", "d"]
        .iter()
        .map(|id| flag(&c.shnsu, id, "is_shnsu"))
        .collect();
    assert_eq!(listed.iter().filter(|x| **x).count(), 1);
    let c = run(
        &[],
        &survey_rows(),
        &methodology(|t| t.replace("top_share_percent = 10.0", "top_share_percent = 30.0")),
    );
    let count = ["a", "b", "c", "d"]
        .iter()
        .filter(|id| flag(&c.shnsu, id, "is_shnsu"))
        .count();
    assert_eq!(count, 2);
    // Equal scores: the lower school_id ranks first.
    let tied = run(
        &[],
        &[
            ("y", "x_share", 0.2),
            ("x", "x_share", 0.2),
            ("z", "x_share", 0.1),
        ],
        &methodology(|t| t),
    );
    let rank = |id| {
        let ids = tied
            .shnsu
            .column("school_id")
            .unwrap()
            .str()
            .unwrap()
            .clone();
        let ranks = tied
            .shnsu
            .column("risk_rank")
            .unwrap()
            .cast(&DataType::Int64)
            .unwrap();
        let at = ids.iter().position(|v| v == Some(id)).unwrap();
        ranks.i64().unwrap().get(at).unwrap()
    };
    assert_eq!((rank("x"), rank("y"), rank("z")), (1, 2, 3));
}

#[test]
fn fixed_cutoff_lists_every_school_above_it() {
    let m = methodology(|t| {
        t.replace("cut = \"top_share\"", "cut = \"cutoff\"")
            .replace("cutoff = 1.0", "cutoff = 0.0")
    });
    let c = run(&[], &survey_rows(), &m);
    for id in ["a", "d"] {
        assert!(flag(&c.shnsu, id, "is_shnsu"), "{id}");
    }
    assert!(!flag(&c.shnsu, "b", "is_shnsu"));
}

/// The row of one school and factor in the risk profiles.
fn profile_of(c: &Classification, id: &str, factor: &str) -> (f64, Option<String>, u32) {
    let row = c
        .risk_profiles
        .clone()
        .lazy()
        .filter(
            col("school_id")
                .eq(lit(id))
                .and(col("factor").eq(lit(factor))),
        )
        .collect()
        .unwrap();
    assert_eq!(row.height(), 1, "{id} × {factor}");
    let score = row.column("factor_score").unwrap().f64().unwrap().get(0);
    let level = row.column("risk_level").unwrap().str().unwrap().get(0);
    let used = row
        .column("indicators_used")
        .unwrap()
        .cast(&DataType::UInt32)
        .unwrap();
    (
        score.unwrap(),
        level.map(str::to_string),
        used.u32().unwrap().get(0).unwrap(),
    )
}

#[test]
fn risk_profile_scores_each_dictionary_factor_and_gives_its_level() {
    let c = run(&[], &survey_rows(), &methodology(|t| t));
    // The dictionary puts ОВЗ in «ovz», housing in «learning_failure» and
    // the parents' education in «parental_involvement»; each factor has one
    // indicator here, so its score is that indicator's aligned z.
    let z_ovz_a = (0.30 - 0.225) / 0.006875f64.sqrt();
    let z_housing_a = (0.40 - 0.2) / (0.08f64 / 3.0).sqrt();
    let z_higher_a = (0.10 - 0.3) / (0.08f64 / 3.0).sqrt();
    let (ovz, level, used) = profile_of(&c, "a", "ovz");
    assert!((ovz - z_ovz_a).abs() < 1e-9, "{ovz}");
    // 0.90: at least half a standard deviation above the mean, below one.
    assert_eq!((level.as_deref(), used), (Some("medium"), 1));
    let (housing, level, _) = profile_of(&c, "a", "learning_failure");
    assert!((housing - z_housing_a).abs() < 1e-9);
    assert_eq!(level.as_deref(), Some("high"));
    // Protective: a low share of parents with higher education is a risk.
    let (parents, level, _) = profile_of(&c, "a", "parental_involvement");
    assert!((parents + z_higher_a).abs() < 1e-9);
    assert_eq!(level.as_deref(), Some("high"));
    let (_, level, _) = profile_of(&c, "b", "ovz");
    assert_eq!(level.as_deref(), Some("low"));
    // The school card keeps every value beside its group's mean.
    let card = c
        .indicator_scores
        .clone()
        .lazy()
        .filter(col("school_id").eq(lit("a")))
        .collect()
        .unwrap();
    let shown: Vec<&str> = card
        .column("value_shown")
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .collect();
    assert!(
        shown.contains(&"Доля обучающихся с ОВЗ 30,0 % при среднем 22,5 %"),
        "{shown:?}"
    );
}

/// A methodology with two factors of its own: families (ОВЗ and housing)
/// and parents (weight 3), the index over the factors.
fn two_factors(t: String) -> String {
    t.replace("index = \"indicators\"", "index = \"factors\"")
        + "\n[[shnsu.profile.factors]]\nname = \"families\"\nlabel = \"семьи\"\n\
           indicators = [\"ovz_share\", \"poor_housing_share\"]\n\n\
           [[shnsu.profile.factors]]\nname = \"parents\"\nweight = 3.0\n\
           indicators = [\"parents_higher_ed_share\"]\n"
}

#[test]
fn the_index_over_factors_is_the_weighted_mean_of_factor_scores() {
    let c = run(&[], &survey_rows(), &methodology(two_factors));
    let z_ovz_a = (0.30 - 0.225) / 0.006875f64.sqrt();
    let z_housing_a = (0.40 - 0.2) / (0.08f64 / 3.0).sqrt();
    let z_higher_a = (0.10 - 0.3) / (0.08f64 / 3.0).sqrt();
    let families = (z_ovz_a + z_housing_a) / 2.0;
    let (score, _, used) = profile_of(&c, "a", "families");
    assert!((score - families).abs() < 1e-9);
    assert_eq!(used, 2);
    let expected = (families + 3.0 * -z_higher_a) / 4.0;
    let a = f64_of(&c.shnsu, "a", "risk_score").unwrap();
    assert!((a - expected).abs() < 1e-9, "{a} vs {expected}");
    // The factor's own label is what a reader sees.
    let labels = c.risk_profiles.column("factor_label").unwrap();
    assert!(labels.str().unwrap().iter().any(|l| l == Some("семьи")));
}

#[test]
fn with_signs_a_factor_counts_its_signs_and_levels_follow_the_counts() {
    let m = methodology(|t| {
        two_factors(
            t.replace("normalisation = \"zscore\"", "normalisation = \"signs\"")
                .replace(
                    "[shnsu.weights]",
                    "[shnsu.thresholds]\novz_share = 0.25\npoor_housing_share = 0.3\n\n[shnsu.weights]",
                ),
        )
    });
    let c = run(&[], &survey_rows(), &m);
    // a: ОВЗ 30 % ≥ 25 % and housing 40 % ≥ 30 %: two signs, a high risk.
    let (score, level, _) = profile_of(&c, "a", "families");
    assert_eq!((score, level.as_deref()), (2.0, Some("high")));
    // c: neither sign.
    let (score, level, _) = profile_of(&c, "c", "families");
    assert_eq!((score, level.as_deref()), (0.0, Some("low")));
}

#[test]
fn without_levels_for_the_normalisation_the_level_is_empty() {
    let m = methodology(|t| t.replace("zscore = { high = 1.0, medium = 0.5 }\n", ""));
    let c = run(&[], &survey_rows(), &m);
    let (_, level, _) = profile_of(&c, "a", "ovz");
    assert_eq!(level, None);
}

#[test]
fn an_indicator_in_two_factors_is_refused() {
    let text = two_factors(DEFAULT_METHODOLOGY.to_string()).replace(
        "indicators = [\"parents_higher_ed_share\"]",
        "indicators = [\"parents_higher_ed_share\", \"ovz_share\"]",
    );
    let err = LoadedMethodology::parse(&text, "test").unwrap_err();
    assert!(
        format!("{err:#}").contains("показатель «ovz_share» отнесён и к «families», и к «parents»"),
        "{err:#}"
    );
}
