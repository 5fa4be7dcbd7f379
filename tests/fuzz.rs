//! No input crashes the tool: property tests over CSV and XLSX ingest, the
//! row checks and the methodology parser. Any input gives a result or an
//! error, never a panic. Bounded for CI (PROPTEST_CASES raises the count).

use std::path::Path;

use polars::prelude::*;
use proptest::prelude::*;
use shnor::ingest::{CsvOverrides, read_file};
use shnor::methodology::min_scores::MinScores;
use shnor::methodology::{BUILTIN_MIN_SCORES, DEFAULT_METHODOLOGY, LoadedMethodology};
use shnor::validate::results::check_results;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(48),
        ..ProptestConfig::default()
    }
}

fn registry() -> DataFrame {
    df!(
        "school_id" => ["s1", "s2"],
        "school_name" => ["a", "b"],
        "municipality" => ["m", "m"],
        "settlement_type" => [None::<&str>, None],
        "school_kind" => [None::<&str>, None],
        "region" => [None::<&str>, None],
    )
    .unwrap()
}

/// Reads bytes as a file of the given ending and checks every table as
/// results; returns whether it was read (errors are fine, panics are not).
fn ingest(bytes: &[u8], ending: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("input.{ending}"));
    std::fs::write(&path, bytes).unwrap();
    let min_scores = MinScores::parse(BUILTIN_MIN_SCORES, "builtin").unwrap();
    match read_file(&path, "input", CsvOverrides::default(), None) {
        Ok(file) => {
            for table in &file.tables {
                let _ = check_results(
                    table,
                    (&registry(), &shnor::validate::school_ids::empty()),
                    &min_scores,
                );
            }
            true
        }
        Err(_) => false,
    }
}

/// Tokens that make up plausible and implausible CSV cells.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("2025".to_string()),
        Just("ВПР".to_string()),
        Just("егэ".to_string()),
        Just("русский язык".to_string()),
        Just("s1".to_string()),
        Just("s2".to_string()),
        Just("Х".to_string()),
        Just("\"".to_string()),
        Just("\"a;b\"".to_string()),
        Just("3,5".to_string()),
        Just("-1".to_string()),
        Just("1e308".to_string()),
        Just("NaN".to_string()),
        Just("\u{feff}".to_string()),
        "[0-9]{1,4}",
        "\\PC{0,6}",
    ]
}

fn csv_text() -> impl Strategy<Value = String> {
    let header = prop_oneof![
        Just("year;assessment;subject;grade;school_id;participant_id;mark;score".to_string()),
        Just("year,assessment,subject,grade,school_id,participants,fail_percent".to_string()),
        Just("Год;Процедура;Предмет;Класс;Логин;Отметка".to_string()),
        "\\PC{0,40}",
    ];
    let sep = prop_oneof![Just(";"), Just(","), Just("\t")];
    (
        header,
        sep,
        prop::collection::vec(prop::collection::vec(cell(), 0..9), 0..12),
    )
        .prop_map(|(header, sep, rows)| {
            let mut text = header;
            for row in rows {
                text.push('\n');
                text.push_str(&row.join(sep));
            }
            text
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_as_csv_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        ingest(&bytes, "csv");
    }

    #[test]
    fn structured_csv_never_panics(text in csv_text(), cp1251 in any::<bool>()) {
        let bytes = if cp1251 {
            encoding_rs::WINDOWS_1251.encode(&text).0.into_owned()
        } else {
            text.into_bytes()
        };
        ingest(&bytes, "csv");
    }

    #[test]
    fn arbitrary_bytes_as_xlsx_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        prop_assert!(!ingest(&bytes, "xlsx") || bytes.starts_with(b"PK"));
    }

    #[test]
    fn mutated_methodologies_never_panic(
        drop in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        replace in prop::collection::vec((any::<prop::sample::Index>(), "\\PC{0,12}"), 0..4),
    ) {
        let mut lines: Vec<String> = DEFAULT_METHODOLOGY.lines().map(str::to_string).collect();
        for index in drop {
            if !lines.is_empty() {
                let i = index.index(lines.len());
                lines.remove(i);
            }
        }
        for (index, value) in replace {
            if !lines.is_empty() {
                let i = index.index(lines.len());
                if let Some((key, _)) = lines[i].split_once('=') {
                    lines[i] = format!("{key}= {value}");
                }
            }
        }
        let _ = LoadedMethodology::parse(&lines.join("\n"), "fuzz");
    }

    #[test]
    fn arbitrary_text_as_methodology_never_panics(text in "\\PC{0,200}") {
        let _ = LoadedMethodology::parse(&text, "fuzz");
    }
}

/// A score cell: a finite number, or one a float parser would take as a
/// non-finite or out-of-range value.
fn score_cell() -> impl Strategy<Value = (String, bool)> {
    prop_oneof![
        (0u32..100).prop_map(|n| (n.to_string(), true)),
        (0u32..1000).prop_map(|n| (format!("{},{}", n / 10, n % 10), true)),
        prop_oneof![
            Just("NaN"),
            Just("nan"),
            Just("inf"),
            Just("-inf"),
            Just("Infinity"),
            Just("1e309"),
            Just("-1e400"),
        ]
        .prop_map(|t| (t.to_string(), false)),
    ]
}

/// Reads `text` as `input.csv` and checks it as results: the valid rows
/// (scores) and the number set aside.
fn checked(text: &[u8]) -> (Vec<Option<f64>>, usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.csv");
    std::fs::write(&path, text).unwrap();
    let min_scores = MinScores::parse(BUILTIN_MIN_SCORES, "builtin").unwrap();
    let file = read_file(&path, "input", CsvOverrides::default(), None).unwrap();
    let table = &file.tables[0];
    let c = check_results(
        table,
        (&registry(), &shnor::validate::school_ids::empty()),
        &min_scores,
    )
    .unwrap()
    .checked;
    let scores = c.valid.column("score").unwrap().f64().unwrap().clone();
    (scores.iter().collect(), c.rejected.height())
}

proptest! {
    #![proptest_config(config())]

    /// Every non-finite score is set aside, every finite one kept, and
    /// no kept score is NaN or infinite.
    #[test]
    fn only_finite_scores_are_kept(cells in prop::collection::vec(score_cell(), 1..20)) {
        let mut text = String::from("year;assessment;subject;grade;school_id;participant_id;score\n");
        for (i, (score, _)) in cells.iter().enumerate() {
            text.push_str(&format!("2025;ЕГЭ;русский язык;11;s1;p{i};{score}\n"));
        }
        let (kept, set_aside) = checked(text.as_bytes());
        let finite = cells.iter().filter(|(_, f)| *f).count();
        prop_assert_eq!(kept.len(), finite);
        prop_assert_eq!(set_aside, cells.len() - finite);
        prop_assert!(kept.iter().all(|s| s.is_some_and(f64::is_finite)));
    }

    /// LF, CRLF and CR-only line ends give the same rows.
    #[test]
    fn line_endings_do_not_change_the_rows(
        cells in prop::collection::vec(score_cell(), 1..12),
        trailing in any::<bool>(),
    ) {
        let mut lines = vec!["year,assessment,subject,grade,school_id,participant_id,score".to_string()];
        for (i, (score, _)) in cells.iter().enumerate() {
            lines.push(format!("2025,ЕГЭ,русский язык,11,s1,p{i},\"{score}\""));
        }
        let outcome = |end: &str| {
            let mut text = lines.join(end);
            if trailing {
                text.push_str(end);
            }
            checked(text.as_bytes())
        };
        let lf = outcome("\n");
        prop_assert_eq!(&outcome("\r\n"), &lf);
        prop_assert_eq!(&outcome("\r"), &lf);
    }
}

#[test]
fn a_real_workbook_still_reads() {
    // The fuzz above mostly makes broken zips; make sure a genuine one passes.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ok.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, h) in ["Год", "Процедура", "Предмет", "Класс", "Логин", "Отметка"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["2025", "ВПР", "русский язык", "5", "s1", "2"]
        .iter()
        .enumerate()
    {
        sheet.write_string(1, c as u16, *v).unwrap();
    }
    workbook.save(&path).unwrap();
    assert!(ingest(&std::fs::read(Path::new(&path)).unwrap(), "xlsx"));
}
